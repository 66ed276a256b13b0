/* session: the verification session — may this number get a code, send it,
 * check it. Modelled on Signal's registration sessions.
 *
 * Every function takes "now" (ms since the epoch) instead of reading a clock,
 * so tests drive time. Functions return 0 on success or a positive
 * enum iotp_error the API maps to HTTP; on success and on every outcome about an
 * existing session, *out holds the session as stored afterwards. */
#ifndef IOTP_SESSION_H
#define IOTP_SESSION_H

#include <stdint.h>

#include "core/core.h"
#include "base/error.h"
#include "msg/lang.h"
#include "phone/phone.h"
#include "policy/policy.h"

/* What a client needs to drive its UI; seconds from now, or -1 for "null":
 * not allowed now and not on a known schedule. */
struct session_timers {
	int allowed_to_request_code;
	int64_t next_sms;
	int64_t next_call;
	int64_t next_verification_attempt;
	int attempts_left;
};

void session_timers(const struct core *c, const struct store_session *s, int64_t now,
		    struct session_timers *out);

/* What a client asks a session for. */
struct session_request {
	const char *app;    /* the calling app's id (core/app.h); NULL: the default app */
	const char *phone;  /* as the person typed it */
	const char *region; /* ISO 3166 alpha-2 for a number typed without +; may be NULL */
	const char *locale; /* BCP 47, the language the person reads; may be NULL */
	int code_length;    /* digits of its codes, CODE_MIN_LENGTH..CODE_MAX_LENGTH;
			     * 0: the server's code_length */
};

/* Apps: a session belongs to the app that created it. Every function below
 * that names a session by id takes the calling app (app, or who->app; NULL:
 * any app, for calls that come from no client) and answers a session of
 * another app as IOTP_E_SESSION_NOT_FOUND, exactly as an id that never
 * existed: one app's key cannot read, send, guess on or cancel another's
 * sessions, nor learn that their ids exist. */

/* Policy: the functions below take who is asking (who; NULL skips the policy
 * hooks, as for calls that come from no client) and fill *v (may be NULL) with
 * what a policy refusal may tell the client: the limit, Retry-After, the
 * country. The buckets and counters policy picks are written in the same
 * store write as the session change they guard (store_session_write). Test
 * numbers skip the policy: they send nothing. */

/* Creates a session for what a person typed. On a refused number returns
 * IOTP_E_INVALID_NUMBER, _MISSING_COUNTRY_CODE, _TOO_SHORT, _TOO_LONG,
 * _INVALID_COUNTRY_CODE, _INVALID_REGION or _UNSUPPORTED_NUMBER_TYPE, with
 * *number filled as far as known (for the error message); policy may refuse
 * with _COUNTRY_NOT_ALLOWED or a _RATE_LIMITED_*, or make the session owe a
 * proof-of-work (pow_difficulty). A code_length out of range (below the
 * app's session_min_code_length, above CODE_MAX_LENGTH) is
 * IOTP_E_INVALID_FIELD, before anything else. */
enum iotp_error session_create(struct core *c, const struct session_request *r,
			       const struct policy_client *who, int64_t now,
			       struct store_session *out, struct phone_number *number,
			       struct policy_verdict *v);

/* The fewest digits the app's clients may ask codes to have: its
 * min_code_length (the option's value for an app without its own, or NULL). */
int session_min_code_length(const struct core *c, const char *app);

/* Where a session stands, in the words Twilio's verifications use: the one
 * definition of "still live" that every API asks. A canceled session is
 * canceled, a verified one approved, one whose attempts are used up
 * max_attempts; one past its end, or whose code has expired, expired;
 * anything else pending (a code may be checked or sent). */
enum session_status {
	SESSION_PENDING,
	SESSION_APPROVED,
	SESSION_EXPIRED,
	SESSION_CANCELED,
	SESSION_MAX_ATTEMPTS,
};
enum session_status session_status(const struct core *c, const struct store_session *s,
				   int64_t now);
/* 1 while the session can still do something: not canceled, not verified,
 * attempts left, not past its end. A live session whose code expired is
 * "expired" to session_status, yet a send gives it a new code: a facade
 * resends through it rather than start a new session, so the session's
 * schedule of waits keeps counting. */
int session_live(const struct core *c, const struct store_session *s, int64_t now);
/* "pending", "approved", "expired", "canceled", "max_attempts". */
const char *session_status_name(enum session_status st);

/* The proof-of-work challenge the session owes before it may request a code
 * (docs/fraud.md), into out (32 hex digits and a NUL): 1, or 0 when it owes
 * none. */
int session_challenge(const struct core *c, const struct store_session *s, char out[33]);

/* The app a session belongs to (the default app when its own is no longer
 * configured). */
const struct app *session_app(const struct core *c, const struct store_session *s);
/* The language the session's next message is written in, and why: the locale
 * it was given, its app's language for the number's country, the country's
 * main language, English. */
void session_language(const struct core *c, const struct store_session *s,
		      struct msg_lang_choice *out);

/* Submits the answer to a challenge the session asked for: kind
 * "proof_of_work" (answer: the nonce) or "captcha". Outcomes: 0 (solved; the
 * session may now request a code), IOTP_E_CHALLENGE_FAILED,
 * _CHALLENGE_NOT_REQUESTED (none owed, or already solved: a solution works
 * once), _CHALLENGE_NOT_SUPPORTED, _ALREADY_VERIFIED, _SESSION_CANCELED, _SESSION_EXPIRED,
 * _SESSION_NOT_FOUND. */
enum iotp_error session_solve_challenge(struct core *c, const char *app, const char *id,
					const char *kind, const char *answer, int64_t now,
					struct store_session *out);

/* Ends a session at its app's request (Twilio's cancel and hand approval,
 * DELETE /v1/sessions/{id}): its code stops working at once, even in a
 * message already on its way, and nothing more is sent or checked. Outcomes:
 * 0 (*out has canceled_at, and expires_at now), IOTP_E_ALREADY_VERIFIED (the
 * proof was given; an app abandons it by not spending it), _SESSION_CANCELED
 * (already), _SESSION_EXPIRED, _SESSION_NOT_FOUND. A compare-and-swap like
 * every change: of a cancel and a parallel check with the right code, exactly
 * one wins, and the other gets the winner's outcome. */
enum iotp_error session_cancel(struct core *c, const char *app, const char *id, int64_t now,
			       struct store_session *out);

/* Reads a session of app. IOTP_E_SESSION_NOT_FOUND when there is none. */
enum iotp_error session_get(struct core *c, const char *app, const char *id,
			    struct store_session *out);

/* Sends the session's code over channel ("sms", "voice" or "whatsapp", which
 * follows the SMS schedule) through the outbox.
 * A code still valid is sent again; otherwise a new one is made. Outcomes:
 * IOTP_E_SEND_TOO_SOON (*retry_after in s), _SENDS_EXHAUSTED,
 * _CHANNEL_NOT_AVAILABLE, _CHANNEL_NOT_CONFIGURED (no provider serves it),
 * _ATTEMPTS_EXHAUSTED, _ALREADY_VERIFIED, _SESSION_CANCELED,
 * _SESSION_EXPIRED, _SESSION_NOT_FOUND, _INVALID_FIELD (channel),
 * _CHALLENGE_REQUIRED; from policy _COUNTRY_NOT_ALLOWED, _PREFIX_BLOCKED,
 * _SPEND_CAP_REACHED, _RATE_LIMITED_* (*retry_after set for all 429s). */
enum iotp_error session_send_code(struct core *c, const char *id, const char *channel,
				  const char *locale, const struct policy_client *who, int64_t now,
				  struct store_session *out, int64_t *retry_after,
				  struct policy_verdict *v);

/* session_send_code for a send whose code must reach no one, though asking
 * must cost and take what a send does (login_send_code's answer for a number
 * without an account): every rule and limit of a send is applied and
 * charged, the session's schedule advances, and the timeline records the
 * message as not sent, with reason. */
enum iotp_error session_send_withheld(struct core *c, const char *id, const char *channel,
				      const struct policy_client *who, int64_t now,
				      struct store_session *out, int64_t *retry_after,
				      struct policy_verdict *v, const char *reason);

/* Checks a code typed by a person. The attempt is counted, durably and
 * atomically, before the comparison, so parallel guesses can never evaluate more
 * than max_check_attempts codes. Outcomes: 0 (verified), IOTP_E_INCORRECT_CODE,
 * _CODE_EXPIRED, _ATTEMPTS_EXHAUSTED, _NO_CODE_SENT, _ALREADY_VERIFIED,
 * _SESSION_CANCELED, _SESSION_EXPIRED, _SESSION_NOT_FOUND, _INVALID_FIELD (not a code at all);
 * from policy _NUMBER_CHECKS_LOCKED and _RATE_LIMITED_*. */
enum iotp_error session_check_code(struct core *c, const char *id, const char *code,
				   const struct policy_client *who, int64_t now,
				   struct store_session *out, struct policy_verdict *v);

#endif
