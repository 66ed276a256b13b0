/* A circuit breaker per destination of events (an app's webhook, the SMTP
 * server): after BREAKER_FAILURES failed deliveries in a row the destination
 * rests, and its events wait without a network call; after the rest one
 * delivery probes it, and a success closes the breaker. The caller serialises
 * calls on one breaker and passes the clock in. */
#ifndef IOTP_BREAKER_H
#define IOTP_BREAKER_H

#include <stdint.h>

/* Five in a row: the worker's own backoff retries one event after 1 s, 2 s,
 * 4 s..., so five straight failures (usually of different events) say the
 * destination is down, not that one event is unlucky; fewer would let a
 * short blip of a busy receiver hold every event. */
#define BREAKER_FAILURES 5
/* The longest rest: a destination down for hours costs a probe each 10 min. */
#define BREAKER_REST_MAX_MS (600 * 1000LL)

struct breaker {
	int failures;       /* transient failures in a row */
	int busy;           /* a delivery (or the probe) is in hand */
	int64_t open_until; /* ms; 0: closed. Past it, the next delivery probes */
	int64_t rest_ms;    /* the last rest; doubles after a failed probe */
	char last_error[128];
};

enum { BREAKER_OPEN = 1 };

/* Whether a delivery may start at now. 0: yes (the breaker is now busy, and
 * this delivery is the probe if it was open); BREAKER_OPEN: no, the
 * destination rests until *until. */
int breaker_admit(struct breaker *b, int64_t now, int64_t *until);

/* Records how the admitted delivery went: outcome 0 (delivered), 1 (transient
 * failure, with error) or 2 (the event can never go: says nothing about the
 * destination). rest_ms is the first rest. Returns 1 when this failure opened
 * the breaker (or a failed probe reopened it), else 0. */
int breaker_done(struct breaker *b, int outcome, const char *error, int64_t now,
		 int64_t rest_ms);

#endif
