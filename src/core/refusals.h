/* refusals: how many requests for a code this process refused, by reason and
 * minute, for the dashboard's "refusals by reason" (GET /v1/admin/stats).
 * Refusals write nothing to the store (an attack is mostly refusals, and each
 * would cost a write), so they are counted here, in memory: per node, since
 * the process started, the last 7 days at most. */
#ifndef IOTP_REFUSALS_H
#define IOTP_REFUSALS_H

#include <stdint.h>

#include "base/error.h"

enum refusal_reason {
	REFUSAL_RATE_LIMIT = 0, /* a token bucket: number, prefix, IP, country, app, global */
	REFUSAL_GEO,            /* country_not_allowed */
	REFUSAL_NUMBER_TYPE,    /* unsupported_number_type (premium rate, VoIP, ...) */
	REFUSAL_FRAUD_BLOCK,    /* prefix_blocked, spend_cap_reached */
	REFUSAL_CHALLENGE,      /* a proof-of-work was owed first */
	REFUSAL_REASONS
};

#define REFUSALS_MINUTES (7 * 24 * 60)

/* "rate_limit", "geo", "number_type", "fraud_block", "challenge". */
const char *refusal_reason_name(int reason);
/* The reason an outcome of session_create or session_send_code is a refusal
 * for, or -1 when it is none (success, a bad request, a wrong code). */
int refusal_reason_of(enum iotp_error e);
/* Counts e at now (ms) when it is a refusal; else does nothing. Any thread. */
void refusals_count(enum iotp_error e, int64_t now);
/* Calls fn for each minute since since (ms) with a refusal in it, oldest
 * first: the minute's start (ms) and its count per reason. */
void refusals_read(int64_t since, int64_t now,
                   void (*fn)(int64_t minute, const uint32_t counts[REFUSAL_REASONS], void *arg),
                   void *arg);

#endif
