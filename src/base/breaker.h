/* breaker: the circuit breaker both workers put in front of a destination (a
 * provider for delivery/, an app's webhook or the SMTP server for events/).
 * A destination that fails `threshold` times in a row rests; after the rest
 * one call goes through as a probe; its success closes the breaker, its
 * failure starts a new rest, twice as long each time up to rest_max_ms.
 *
 * closed --(threshold failures in a row)--> open --(rest over)--> half-open
 * half-open --(probe succeeds)--> closed; --(probe fails)--> open, rest doubled
 *
 * Time is passed in (ms), so tests drive it. Not thread-safe: the caller
 * serialises the calls on one breaker (each worker holds its own lock). */
#ifndef IOTP_BREAKER_H
#define IOTP_BREAKER_H

#include <stdint.h>

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

/* What breaker_failure did, for the log. */
#define BREAKER_OPENED 1   /* this failure took a closed breaker open */
#define BREAKER_REOPENED 2 /* it failed while open (a probe): a new, longer rest */

struct breaker {
	int threshold;       /* failures in a row that open it (>= 1) */
	int64_t first_ms;    /* the first rest after it opens */
	int64_t rest_max_ms; /* failed probes double the rest up to this (== first_ms: never) */
	int failures;        /* in a row, including failed probes */
	int open;            /* 1 from opening until a success */
	int64_t opened_at;   /* ms; when the current rest began */
	int64_t rest_ms;     /* the current rest; 0 while closed */
	int probing;         /* half-open and the probe is out: the others wait */
};

/* A closed breaker. threshold below 1 counts as 1; rest_max_ms below
 * first_ms counts as first_ms (a fixed rest). */
void breaker_init(struct breaker *b, int threshold, int64_t first_ms, int64_t rest_max_ms);

/* Whether a call may go to the destination at now: 1 when closed; 0 while it
 * rests; once the rest is over the first caller gets the probe (1) and the
 * others are held back (0) until it reports with breaker_success, breaker_failure
 * or breaker_release. */
int breaker_allow(struct breaker *b, int64_t now);

/* When the current rest ends (ms): where a probe may go. 0 when closed. */
int64_t breaker_reopens_at(const struct breaker *b);

/* The destination took a call: closed, the count starts over. */
void breaker_success(struct breaker *b);

/* The destination failed a call at now. Returns BREAKER_OPENED when this
 * failure opened the breaker, BREAKER_REOPENED when it came while open (a
 * failed probe: the rest starts again at now, doubled), else 0. */
int breaker_failure(struct breaker *b, int64_t now);

/* An allowed call ended without saying anything about the destination (it
 * was never made, or failed for a reason of its own): the count stays, and a
 * probe's turn passes to the next caller. */
void breaker_release(struct breaker *b);

enum breaker_state breaker_state(const struct breaker *b, int64_t now);
/* "closed", "open", "half-open". */
const char *breaker_state_name(enum breaker_state s);

#endif
