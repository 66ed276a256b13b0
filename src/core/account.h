/* account: what a verified number is for — an account bound to it and to one
 * device, an optional two-step verification PIN, change of number and
 * re-verification, the way WhatsApp users know them.
 *
 * Each operation spends the verified sessions it is given (a session is spent
 * once, ever) in the same transaction as the account change and the events the
 * app hears about. PIN guesses are counted, durably and with compare-and-swap,
 * before any comparison, so parallel requests never get more guesses than
 * pin_max_attempts. Functions take "now" and return 0 or an enum iotp_error. */
#ifndef IOTP_ACCOUNT_H
#define IOTP_ACCOUNT_H

#include <stdint.h>

#include "core/core.h"
#include "base/error.h"
#include "base/totp.h"

#include <jansson.h>

#define ACCOUNT_CREDENTIAL_MAX 48
#define ACCOUNT_PIN_LENGTH 6

struct account_device {
	const char *name;       /* "Ana's phone" */
	const char *push_token; /* may be NULL */
};

/* What an answer about an account carries besides the account. */
struct account_result {
	struct store_account account;          /* as stored afterwards */
	char credential[ACCOUNT_CREDENTIAL_MAX]; /* a new device's credential, shown once; "" otherwise */
	int created;                           /* 1: a new account */
	int attempts_left;                     /* PIN guesses left (PIN outcomes) */
	int64_t retry_after;                   /* s until the next PIN guess is compared; 0: now */
	int64_t reset_available_at;            /* ms: when the PIN lapses (PIN outcomes) */
	int totp;                              /* 1: an authenticator code is accepted instead
						* of the PIN (PIN outcomes) */
	int passkey;                           /* 1: a passkey is accepted instead of the PIN
						* (PIN outcomes) */
	const char *why;                       /* a refused passkey: which check, in a sentence */
};

/* A browser's PublicKeyCredential as its JSON form carries it: base64url
 * fields (padding tolerated). A registration fills attestation_object; an
 * authentication authenticator_data and signature. */
struct account_passkey_response {
	const char *raw_id;
	const char *client_data_json;
	const char *attestation_object;
	const char *authenticator_data;
	const char *signature;
};

/* What may stand in for the two-step PIN (each may be NULL): the PIN, a code
 * of the account's authenticator app, or a passkey assertion answering a
 * challenge issued for the session being spent (account_passkey_options). */
struct account_factors {
	const char *pin;
	const char *totp;
	const struct account_passkey_response *passkey;
};

/* Registers the number of a verified, unspent session of app on a new device.
 * A new number makes an account; a registered one moves to this device (the old
 * credential stops working at once; event account.device_replaced), which, while
 * the account has a PIN that has not lapsed, needs that PIN: IOTP_E_PIN_REQUIRED,
 * _INCORRECT_PIN, _PIN_WAIT, _PIN_LOCKED. pin (may be NULL) also sets the PIN of
 * a new account, or of one whose PIN lapsed. Other outcomes:
 * IOTP_E_SESSION_NOT_FOUND, _SESSION_NOT_VERIFIED, _SESSION_SPENT,
 * _SESSION_TOO_OLD, _INVALID_FIELD (a PIN that is not 6 digits).
 * totp (may be NULL): a current code of the account's authenticator app,
 * accepted in the PIN's place (IOTP_E_INCORRECT_TOTP, _TOTP_WAIT); an account
 * guarded by an authenticator alone needs one like a PIN. Both lapse alike. */
enum iotp_error account_register(struct core *c, const char *app, const char *session_id,
				 const struct account_device *device, const char *pin,
				 const char *totp, int64_t now, struct account_result *out);
/* The same with a passkey possible too: f->passkey, when given, is checked
 * instead of the PIN or code (IOTP_E_PASSKEY_* outcomes, out->why saying
 * which check refused). */
enum iotp_error account_register_with(struct core *c, const char *app, const char *session_id,
				      const struct account_device *device,
				      const struct account_factors *f, int64_t now,
				      struct account_result *out);

/* The account a device credential belongs to (seen_at refreshed hourly).
 * IOTP_E_INVALID_CREDENTIAL when it is wrong, replaced or its account closed.
 * *reverify is set when the account must verify its number again first. */
enum iotp_error account_authenticate(struct core *c, const char *credential, int64_t now,
				     struct store_account *out, int *reverify);

/* Sets or changes the PIN (6 digits) and the recovery e-mail (NULL keeps it;
 * "" removes it). IOTP_E_INVALID_FIELD names what is wrong in *field. */
enum iotp_error account_set_pin(struct core *c, const char *account_id, const char *pin,
				const char *email, int64_t now, struct account_result *out,
				const char **field);
/* Removes the PIN; needs it (counted like a registration's guesses). */
enum iotp_error account_remove_pin(struct core *c, const char *account_id, const char *pin,
				   int64_t now, struct account_result *out);
/* The reminder: a right PIN pushes the next reminder further out. */
enum iotp_error account_check_pin(struct core *c, const char *account_id, const char *pin,
				  int64_t now, struct account_result *out);
/* When the next PIN reminder is due (ms), 0 without a PIN. */
int64_t account_pin_reminder_at(const struct core *c, const struct store_account *a);
/* When the two-step factors (PIN, authenticator app) stop protecting the
 * number, for lack of use (ms); 0 without either. */
int64_t account_pin_lapses_at(const struct core *c, const struct store_account *a);

/* Moves the account to a new number: a verified session for its number and one
 * for the new number, both unspent. A live account of the app on the new
 * number is closed (its holder proved the number is theirs now; event
 * account.closed for it) — but while a PIN guards that account (set, not
 * lapsed), only with that PIN: a code of the new number alone is what a SIM
 * swap yields. pin (may be NULL) is that PIN, counted and waited on like a
 * registration's guesses: IOTP_E_PIN_REQUIRED, _INCORRECT_PIN, _PIN_WAIT,
 * _PIN_LOCKED, with out's PIN fields about the account on the new number.
 * Event account.number_changed. Outcomes also IOTP_E_SESSION_WRONG_NUMBER,
 * _SAME_NUMBER, _INVALID_FIELD (a PIN that is not 6 digits). totp (may be
 * NULL) is a code of that account's authenticator app, in the PIN's place. */
enum iotp_error account_change_number(struct core *c, const char *account_id,
				      const char *old_session_id, const char *new_session_id,
				      const char *pin, const char *totp, int64_t now,
				      struct account_result *out);
/* The same, with a passkey of the account on the new number possible in the
 * PIN's place (a challenge issued for new_session_id). */
enum iotp_error account_change_number_with(struct core *c, const char *account_id,
					   const char *old_session_id, const char *new_session_id,
					   const struct account_factors *f, int64_t now,
					   struct account_result *out);

/* For facades whose clients hold their own tokens (compat/gotrue.c): signs in
 * the account on the number of a verified, unspent session of app, spending it.
 * A number without an account gets one (event account.registered) whose
 * device credential is never handed out: a native registration later moves it
 * to a real device. An existing account keeps its device; the session proves
 * its number again (verified_at, and a re-verification mark is cleared). A
 * live PIN keeps guarding the number, and none can be given here:
 * IOTP_E_PIN_REQUIRED. Other outcomes as account_register's. */
enum iotp_error account_sign_in(struct core *c, const char *app, const char *session_id,
				int64_t now, struct account_result *out);

/* account_change_number for a caller that proved the account itself (a
 * facade's access token): only the new number's session is needed and spent.
 * No PIN can be given here, so a number another live account holds is never
 * taken: IOTP_E_NUMBER_TAKEN, decided in the same compare-and-swap write as
 * the move (a registration that lands first is seen; one that lands after
 * finds the number taken). */
enum iotp_error account_move_number(struct core *c, const char *account_id,
				    const char *new_session_id, int64_t now,
				    struct account_result *out);

/* Whether account a must verify its number again before it is served: marked
 * (account_mark_reverify), or last verified reverify_after ago. */
int account_reverify_due(const struct core *c, const struct store_account *a, int64_t now);

/* Clears the re-verification mark with a verified session for the account's number. */
enum iotp_error account_reverify(struct core *c, const char *account_id, const char *session_id,
				 int64_t now, struct account_result *out);
/* Marks the live account of app on phone for re-verification (an operator, a
 * fraud rule). Event account.reverification_required. */
enum iotp_error account_mark_reverify(struct core *c, const char *app, const char *phone,
				      const char *reason, int64_t now, struct store_account *out);

/* Sends a PIN reset link to the recovery e-mail of the account on the number
 * of a verified session (the person proved the number; the session stays
 * unspent for the registration that follows). One link lives at a time:
 * while the last one works, IOTP_E_PIN_RESET_PENDING (out->account's
 * reset_expires_at says until when). IOTP_E_NO_PIN, _NO_RECOVERY_EMAIL,
 * _MAIL_NOT_CONFIGURED, _ACCOUNT_NOT_FOUND. */
enum iotp_error account_request_pin_reset(struct core *c, const char *app, const char *session_id,
					  int64_t now, struct account_result *out);
/* Removes the PIN of the account whose live reset link carries token.
 * IOTP_E_RESET_LINK_INVALID when it is wrong, used or expired. */
enum iotp_error account_reset_pin(struct core *c, const char *token, int64_t now);

/* Authenticator-app codes (TOTP, RFC 6238: HMAC-SHA-1, 6 digits, 30 s, a
 * step either side accepted). A code is accepted once: the step of the last
 * accepted one is kept, and a code for it or an earlier step is refused. Wrong
 * codes are counted and waited on like PIN guesses (pin_waits), in the same
 * compare-and-swap write, so parallel requests get no more guesses. The
 * secret is sealed with the server secret to the account. */
#define ACCOUNT_TOTP_URI_MAX 512
struct account_totp_enrolment {
	char secret[TOTP_BASE32_MAX];    /* base32, for typing into the app */
	char uri[ACCOUNT_TOTP_URI_MAX];  /* otpauth://totp/..., for a QR code */
};
/* Makes a new secret for the account (replacing one never confirmed):
 * IOTP_E_TOTP_ENABLED while one is on. The secret is shown this once. */
enum iotp_error account_totp_enrol(struct core *c, const char *account_id, int64_t now,
				   struct account_totp_enrolment *out, struct account_result *res);
/* Turns the enrolled authenticator on with a first current code (event
 * account.totp_enabled). IOTP_E_NO_TOTP, _INCORRECT_TOTP, _TOTP_WAIT. */
enum iotp_error account_totp_confirm(struct core *c, const char *account_id, const char *code,
				     int64_t now, struct account_result *out);
/* Turns it off with a current code (event account.totp_disabled).
 * IOTP_E_NO_TOTP, _INCORRECT_TOTP, _TOTP_WAIT. */
enum iotp_error account_totp_disable(struct core *c, const char *account_id, const char *code,
				     int64_t now, struct account_result *out);

/* Passkeys (WebAuthn Level 2, core/account_passkey.c), on apps with a
 * passkey_rp_id. Every ceremony answers a challenge made here: 32 random
 * bytes, kept for passkey_challenge_ttl, bound to its purpose and account
 * (and, standing in for the PIN, to the verified session being spent), and
 * spent by the first answer, right or wrong. A passkey's sign count and
 * backup flags are kept; a count that does not grow is refused. */

/* The options for navigator.credentials.create() (its publicKey member, in
 * WebAuthn's JSON form: base64url for bytes), for a new passkey of the
 * account. *out is the caller's. IOTP_E_PASSKEYS_OFF. */
enum iotp_error account_passkey_register_options(struct core *c, const char *account_id,
						 int64_t now, json_t **out);
/* Checks the browser's answer (§7.1: attestation none or packed) and keeps
 * the passkey under name (event account.passkey_added); *out gets it.
 * IOTP_E_PASSKEY_* outcomes with *why, IOTP_E_PASSKEY_EXISTS, _LIMIT. */
enum iotp_error account_passkey_register(struct core *c, const char *account_id,
					 const struct account_passkey_response *r,
					 const char *name, int64_t now, struct store_passkey *out,
					 const char **why);
/* Calls fn for each passkey of the account, oldest first. 0 or -1. */
int account_passkey_list(struct core *c, const char *account_id,
			 void (*fn)(const struct store_passkey *p, void *arg), void *arg);
/* Removes one (event account.passkey_removed). IOTP_E_PASSKEY_NOT_FOUND. */
enum iotp_error account_passkey_remove(struct core *c, const char *account_id, const char *id,
				       int64_t now);

/* The options for navigator.credentials.get(): with session_id NULL, for
 * the account's device to re-verify (account_passkey_reverify); else for
 * the verified, unspent session of app that is about to register the number
 * on a new device, or move an account onto it, with the passkey standing in
 * for the PIN of the account on its number (account_register_with,
 * account_change_number_with). IOTP_E_NO_PASSKEYS when that account has
 * none, _PASSKEYS_OFF, the session's outcomes, _ACCOUNT_NOT_FOUND. */
enum iotp_error account_passkey_auth_options(struct core *c, const char *app,
					     const char *account_id, const char *session_id,
					     int64_t now, json_t **out);
/* Re-verification with a passkey instead of an SMS code: clears the mark
 * and counts as verified now (verified_at), like account_reverify. */
enum iotp_error account_passkey_reverify(struct core *c, const char *account_id,
					 const struct account_passkey_response *r, int64_t now,
					 struct account_result *out);

#endif
