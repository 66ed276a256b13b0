/* What the account operations of core/account.c and core/account_totp.c share:
 * not for other modules. */
#ifndef IOTP_ACCOUNT_INTERNAL_H
#define IOTP_ACCOUNT_INTERNAL_H

#include "core/account.h"

/* Writes w and, when it carried events, wakes their delivery. 0 or STORE_*. */
int account_store_write(struct core *c, const struct store_account_write *w);

/* Edits a copy of an account; returns an outcome to stop with, and may add up
 * to two events. */
typedef enum iotp_error (*account_change)(struct core *c, struct store_account *a, int64_t now,
                                          void *arg, struct store_event *ev, int *n_ev);
/* Reads the account, lets change() edit a copy, and writes it with CAS,
 * retrying from a fresh read on conflict. out->account is the account as
 * stored afterwards (or as read, on a refusal). */
enum iotp_error account_change_with(struct core *c, const char *id, int64_t now,
                                    account_change change, void *arg, struct account_result *out);

/* The wait (ms) after the failures-th wrong guess in a row (pin_waits). */
int64_t account_wait_ms(const struct core *c, int failures);
/* Whole seconds from now until at (0 when past). */
int64_t account_secs_until(int64_t at, int64_t now);

/* Counts one authenticator-code guess for *a and compares it (see
 * account_totp.c): OK with *a as stored (the code's step remembered), or
 * IOTP_E_INCORRECT_TOTP, _TOTP_WAIT, _NO_TOTP (turned off meanwhile), with out's retry_after
 * filled. */
enum iotp_error account_totp_guess(struct core *c, struct store_account *a, const char *code,
                                   int64_t now, struct account_result *out);

/* A session an account operation may spend: the app's, verified, unspent,
 * verified within verified_ttl. OK or the session's outcome. */
enum iotp_error account_spendable(struct core *c, const char *app, const char *id, int64_t now,
				  struct store_session *s);

/* "+447700900123" as "+44*******0123" (account_totp.c). */
void account_masked_number(const char *phone, char *out, size_t size);

/* Checks a passkey assertion for *a in the PIN's place (account_passkey.c):
 * the challenge must have been issued for session_id and a. OK, or
 * IOTP_E_PASSKEY_*, _NO_PASSKEYS with out->why. */
enum iotp_error account_passkey_guess(struct core *c, const struct store_account *a,
				      const struct account_passkey_response *r,
				      const char *session_id, int64_t now,
				      struct account_result *out);
/* How many passkeys a has (0 when its app has passkeys off, or on a store
 * failure: only ever used to say what would be accepted). */
int account_passkey_count(struct core *c, const struct store_account *a);
/* Removes every passkey of the account (logged on failure). */
void account_passkeys_drop(struct core *c, const char *account_id);

#endif
