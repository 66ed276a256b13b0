/* policy: fraud and abuse defence between a request and the session it
 * touches — rate limits (token buckets in the store), geo permissions, spend
 * caps, the SMS-pumping detector and proof-of-work challenges. core/session.c
 * calls these hooks; api/ maps their outcomes to HTTP. docs/fraud.md is the
 * operator's description of every rule and default.
 *
 * The hooks that guard a session change (create, send, check, verified)
 * answer what they can at once and put the rest — the buckets and counters —
 * in a plan that is written with the change (struct policy_plan). Hooks take
 * "now" (ms) where they need it, and return 0 (go on) or a positive enum
 * iotp_error naming the rule that refused, with *v saying what the client may
 * be told (which limit, when to retry, which country). Store failures refuse
 * (fail closed) with IOTP_E_INTERNAL. All functions are thread-safe. */
#ifndef IOTP_POLICY_H
#define IOTP_POLICY_H

#include <stdint.h>

#include "base/seal.h"
#include "config.h"
#include "base/error.h"
#include "store/store.h"

struct policy;

/* Who is asking: the client address as the HTTP layer established it (NULL
 * when unknown) and the app the API key belongs to. */
struct policy_client {
	const char *ip;
	const char *app;
};

/* What a hook decided, beyond its return value. */
struct policy_verdict {
	int64_t retry_after; /* s, with a 429 */
	char limit[32];      /* the limit that refused: "send.ip" */
	char region[3];      /* the country refused (country_not_allowed) */
	int pretend;         /* send nothing but answer as if sent (fraud_action = pretend) */
	int pow_difficulty;  /* at creation: bits of proof-of-work the session owes, 0: none */
};

/* Builds the policy from cfg ([limits], [geo], [spend] and the fraud_* and
 * pow_* options). keys gives the secret the challenges are derived from.
 * Sets *out only on success; else -1 with err naming file:line or option. */
int policy_new(const struct config *cfg, struct store *st, const struct seal_keys *keys,
	       struct policy **out, char *err, size_t errlen);
void policy_free(struct policy *p);

/* What one request takes from the limits and adds to the pumping detector's
 * counters. A hook below fills it; the caller attaches it to the store write
 * of the session change it guards (policy_plan_attach), so the limits cost no
 * round on the store's writer of their own, and reads the outcome back with
 * policy_plan_refused or policy_plan_written. A plan may be written again
 * after a lost compare-and-swap. Caller-owned storage; the fields are
 * policy's. */
#define POLICY_PLAN_KEY_MAX 96
#define POLICY_PLAN_COUNTERS 16
struct policy_plan {
	size_t n;
	struct store_bucket b[STORE_BUCKETS_MAX];
	char keys[STORE_BUCKETS_MAX][POLICY_PLAN_KEY_MAX];
	enum iotp_error refusal[STORE_BUCKETS_MAX];
	char limit[STORE_BUCKETS_MAX][32];
	size_t nd;
	struct store_decay d[POLICY_PLAN_COUNTERS];
	char dkeys[POLICY_PLAN_COUNTERS][POLICY_PLAN_KEY_MAX];
	struct policy *p;
	int judge;    /* the counters are a send's: judge the number's ranges after */
	int pow_risk; /* at creation: risk signals known before the write */
	int pressure; /* at creation: the counters give the proof-of-work owed */
	int64_t now;  /* ms, the request's */
};

/* A session is about to be created for e164 in region: geo, then *plan gets
 * the creation limits (the client's own: number, address, network, by
 * default) and the counters of its risk signals — sessions per address, and
 * the pressure of unverified sessions on the country and the client's site.
 * Nothing shared with other clients is refused here: pressure raises the
 * proof-of-work the session owes (pow_difficulty), set on the session by the
 * write itself (policy_plan_attach) from the counts it takes. A limit already
 * known to lack a token (waits.h) refuses here, without the store; so in
 * policy_send and policy_lookup. */
enum iotp_error policy_create(struct policy *p, const struct policy_client *who, const char *e164,
			      const char *region, int64_t now, struct policy_verdict *v,
			      struct policy_plan *plan);
/* A code is about to be sent: geo and the pumping measures answer here;
 * *plan gets the send limits, the spend caps and the send's count for the
 * pumping detector, so a send the session refuses (a parallel one won) is
 * neither charged nor counted. Once written (policy_plan_written) the
 * detector judges the number's ranges, which may throttle or block them for
 * later sends. With v->pretend the plan is empty: nothing is taken. */
enum iotp_error policy_send(struct policy *p, const struct policy_client *who, const char *e164,
			    const char *region, int64_t now, struct policy_verdict *v,
			    struct policy_plan *plan);
/* A code compared on session (right or not) is about to be recorded with its
 * attempt at now: *plan gets the check limits and the number's wrong-code
 * allowance in the session's app (check_failed.number) — a wrong code takes
 * one, a right code needs one left and takes none — all in the write that
 * counts the attempt. So parallel guesses on one number across sessions never
 * have more codes judged than it allows, and a refusal answers the same for a
 * right code as for a wrong one. A right code also counts a verification for
 * the pumping detector and the pressure on the country and the client's site.
 * When a limit refuses, nothing is written: the session keeps the attempt. */
void policy_check(struct policy *p, const struct policy_client *who,
		  const struct store_session *session, int right, int64_t now,
		  struct policy_plan *plan);

/* Puts the plan's buckets and counters into w (nothing for an empty plan). */
void policy_plan_attach(struct policy_plan *plan, struct store_write *w);
/* After store_session_write returned STORE_LIMITED for w: the rule that
 * refused, with v->limit and v->retry_after filled. */
enum iotp_error policy_plan_refused(const struct policy_plan *plan, const struct store_write *w,
				    struct policy_verdict *v);
/* After the write succeeded: a send's counters are judged. */
void policy_plan_written(struct policy_plan *plan, int64_t now);

/* A number lookup (GET /v1/lookup): its own limits, apart from sends.
 * e164 may be NULL (an invalid number is limited too). */
enum iotp_error policy_lookup(struct policy *p, const struct policy_client *who, const char *e164,
			      int64_t now, struct policy_verdict *v);

/* The proof-of-work challenge of a session (32 hex digits + NUL). */
void policy_pow_challenge(const struct policy *p, const char *session_id, char out[33]);
/* 1 when nonce solves the session's challenge at difficulty, else 0. */
int policy_pow_verify(const struct policy *p, const char *session_id, int difficulty,
		      const char *nonce);

/* Operator tools (iotpctl), which run without a policy object. */

/* What a block key means, for people: "numbers starting +447911123". */
void policy_describe_key(const char *key, char *buf, size_t size);
/* Lifts the measure on key (as listed by store_blocks_list) and restarts its
 * counters, so that it is judged afresh. 0, STORE_NOT_FOUND or -1. */
int policy_unblock(struct store *st, const char *key, const char *who, int64_t now);

#endif
