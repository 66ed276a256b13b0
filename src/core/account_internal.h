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

#endif
