/* login: the sign-ins of facades whose clients hold their own tokens
 * (compat/gotrue.c, Supabase Auth): users, the codes that sign them in or move
 * them to a new number, and logins whose refresh tokens rotate. The facade
 * only names things as its API does and signs the access tokens; every rule
 * is here, over the core's sessions (core/session.h) and accounts
 * (core/account.h).
 *
 * A user is an iotp account seen through a UUID (Supabase's auth.uid() casts
 * the token's sub to uuid). A login is one signed-in client: it lives
 * gotrue_refresh_ttl past its last refresh, and each refresh token works once
 * — presenting a used one ends the whole login, as a stolen token would.
 *
 * Records (store_record, JSON): "gt_user" (key: the UUID) names its account
 * and keeps what GoTrue shows and accounts do not, with the user's own pending
 * change of number; "gt_alias" (key: the account id) names its user; "gt_otp"
 * (key: app|sms|E.164) names the session a sign-in code belongs to, and
 * (key: app|phone_change|E.164) the users waiting to move onto a number;
 * "gt_login" (key: the login id); "gt_refresh" (key: SHA-256 of the token,
 * never the token). Functions take "now" (ms) and return 0 or an
 * enum iotp_error; all are safe from any thread, and every change is a
 * compare-and-swap. */
#ifndef IOTP_LOGIN_H
#define IOTP_LOGIN_H

#include <stdint.h>

#include "base/error.h"
#include "core/core.h"

#define LOGIN_ID_LEN 37    /* a UUID and its NUL */
#define LOGIN_TOKEN_MAX 64 /* a refresh token and its NUL */
#define LOGIN_PHONE_MAX 17

/* Who asks: the calling app and the client's address, for the limits. */
struct login_client {
	const char *app;
	const char *ip; /* may be NULL */
};

/* What a refusal may tell the client besides its code. */
struct login_refusal {
	int64_t retry_after; /* s, with a 429 */
	char region[3];      /* the country refused (IOTP_E_COUNTRY_NOT_ALLOWED) */
};

/* A user as its account stands now. */
struct login_user {
	char id[LOGIN_ID_LEN];
	char account[STORE_ID_MAX];
	char app[STORE_APP_MAX];
	char phone[LOGIN_PHONE_MAX];     /* E.164: the account's number */
	char new_phone[LOGIN_PHONE_MAX]; /* a pending change of number; "" none */
	int64_t created_at, confirmed_at, updated_at, last_sign_in_at; /* ms */
	int64_t change_sent_at;          /* ms: when new_phone's code was asked for */
};

/* Sends a sign-in code to e164 (the number's pending sign-in session again,
 * within its code's lifetime, else a new session). With only_known, a number
 * without an account of the app gets nothing, yet the request costs what a
 * send costs — every send limit of the address and the number, the same
 * store writes, the same time — and only then IOTP_E_ACCOUNT_NOT_FOUND, so
 * asking is no cheaper or faster a way to learn who has an account than
 * sending. *session_id (STORE_ID_MAX) gets the session. Other outcomes:
 * session_create's and session_send_code's. */
enum iotp_error login_send_code(struct core *c, const struct login_client *who, const char *e164,
				int only_known, int64_t now, char *session_id,
				struct login_refusal *why);

/* Checks a sign-in code and signs the number's account in (making it on the
 * number's first sign-in): *u is its user. IOTP_E_INCORRECT_CODE for any
 * code that does not verify (wrong, expired, used, none sent: a facade says
 * the same of all); IOTP_E_PIN_REQUIRED while a two-step PIN guards the
 * number (no PIN can be given here); the limits' 429s. */
enum iotp_error login_verify_code(struct core *c, const struct login_client *who,
				  const char *e164, const char *code, int64_t now,
				  struct login_user *u, struct login_refusal *why);

/* User u asks to move to e164: a code goes to e164 and the change waits on u
 * itself (a second user asking for the same number waits beside it, never
 * in its place). Whether another account holds e164 is not said here (that
 * would answer anyone signed in about any number): login_verify_change says
 * it to whoever holds the number. *u is updated. */
enum iotp_error login_request_change(struct core *c, const struct login_client *who,
				     struct login_user *u, const char *e164, int64_t now,
				     char *session_id, struct login_refusal *why);

/* Sends the code of every change waiting on e164 again (a resend names the
 * number only). IOTP_E_SESSION_NOT_FOUND when none waits. */
enum iotp_error login_resend_change(struct core *c, const struct login_client *who,
				    const char *e164, int64_t now, char *session_id,
				    struct login_refusal *why);

/* Checks a change-of-number code for e164 against the changes waiting on it
 * and moves the user whose code it is. IOTP_E_INCORRECT_CODE as for
 * login_verify_code; IOTP_E_NUMBER_TAKEN when another live account holds
 * e164 (decided in the move's own write: no PIN can be given here). */
enum iotp_error login_verify_change(struct core *c, const struct login_client *who,
				    const char *e164, const char *code, int64_t now,
				    struct login_user *u, struct login_refusal *why);

/* Starts a login for u: *login_id (LOGIN_ID_LEN) and its first refresh token
 * (LOGIN_TOKEN_MAX), shown once and stored by its hash only. */
enum iotp_error login_start(struct core *c, const struct login_user *u, int64_t now,
			    char *login_id, char *refresh);

/* Trades a refresh token of app for its login's next one. Outcomes:
 * IOTP_E_REFRESH_TOKEN_NOT_FOUND; IOTP_E_REFRESH_TOKEN_USED (presented
 * before: the login ends); IOTP_E_LOGIN_ENDED (signed out, expired, another
 * app's, or its account closed); IOTP_E_REVERIFICATION_REQUIRED (the account
 * must prove its number again: a sign-in code clears it). */
enum iotp_error login_refresh(struct core *c, const char *app, const char *token, int64_t now,
			      struct login_user *u, char *login_id, char *refresh);

/* The user of a live login of app that an access token names (its login id
 * and user id). IOTP_E_LOGIN_ENDED, IOTP_E_ACCOUNT_NOT_FOUND (the user's
 * account was closed), and with check_reverify IOTP_E_REVERIFICATION_REQUIRED. */
enum iotp_error login_authorize(struct core *c, const char *app, const char *login_id,
				const char *user_id, int check_reverify, int64_t now,
				struct login_user *u);

/* Ends a login: its refresh tokens and access tokens stop working. */
enum iotp_error login_end(struct core *c, const char *login_id, int64_t now);

#endif
