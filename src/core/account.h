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
};

/* Registers the number of a verified, unspent session of app on a new device.
 * A new number makes an account; a registered one moves to this device (the old
 * credential stops working at once; event account.device_replaced), which, while
 * the account has a PIN that has not lapsed, needs that PIN: IOTP_E_PIN_REQUIRED,
 * _INCORRECT_PIN, _PIN_WAIT, _PIN_LOCKED. pin (may be NULL) also sets the PIN of
 * a new account, or of one whose PIN lapsed. Other outcomes:
 * IOTP_E_SESSION_NOT_FOUND, _SESSION_NOT_VERIFIED, _SESSION_SPENT,
 * _SESSION_TOO_OLD, _INVALID_FIELD (a PIN that is not 6 digits). */
enum iotp_error account_register(struct core *c, const char *app, const char *session_id,
				 const struct account_device *device, const char *pin, int64_t now,
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
/* When a PIN stops protecting the number (ms), 0 without a PIN. */
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
 * _SAME_NUMBER, _INVALID_FIELD (a PIN that is not 6 digits). */
enum iotp_error account_change_number(struct core *c, const char *account_id,
				      const char *old_session_id, const char *new_session_id,
				      const char *pin, int64_t now, struct account_result *out);

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

#endif
