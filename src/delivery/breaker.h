/* breaker: takes a provider that keeps failing out of rotation for a while,
 * then lets one message through as a probe: the circuit-breaker pattern.
 *
 * closed --(failures in a row)--> open --(open_ms later)--> half-open
 * half-open --(probe succeeds)--> closed; --(probe fails)--> open again.
 *
 * Time is passed in (ms). Not thread-safe: the delivery thread owns it. */
#ifndef IOTP_BREAKER_H
#define IOTP_BREAKER_H

#include <stdint.h>

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker {
	int threshold;     /* failures in a row that open it */
	int64_t open_ms;   /* how long it stays open before a probe */
	int failures;      /* in a row */
	int64_t opened_at; /* ms; 0 when closed */
	int probing;       /* a probe is out */
};

void breaker_init(struct breaker *b, int threshold, int64_t open_ms);
/* Whether a message may go to the provider now; in half-open state the first
 * caller gets the probe and the others are held back until it reports. */
int breaker_allow(struct breaker *b, int64_t now);
/* When an open breaker lets a probe through (ms); 0 when it is not open. */
int64_t breaker_reopens_at(const struct breaker *b);
void breaker_success(struct breaker *b);
/* Returns 1 when this failure opened the breaker (for the log). */
int breaker_failure(struct breaker *b, int64_t now);
enum breaker_state breaker_state(const struct breaker *b, int64_t now);
const char *breaker_state_name(enum breaker_state s);

#endif
