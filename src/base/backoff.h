/* backoff: how long a worker waits before it retries a failed round (a
 * message's hand-over, an event's delivery).
 *
 * Exponential with "equal jitter": round n (1, 2, 3 ...) has a ceiling of
 * 1 s * 2^(n-1), capped at cap_ms, and the wait is drawn uniformly between
 * half the ceiling and all of it. The fixed half keeps a retry from coming
 * back at once; the random half spreads the retries of many messages that
 * failed together (a provider's outage) instead of sending them back in one
 * burst. */
#ifndef IOTP_BACKOFF_H
#define IOTP_BACKOFF_H

#include <stdint.h>

/* The ceiling of round `attempt` (ms): 1000 << (attempt - 1), at most cap_ms.
 * A round below 1 counts as round 1. */
int64_t backoff_ceiling_ms(int attempt, int64_t cap_ms);

/* The wait after round `attempt` failed (ms), in [ceiling / 2, ceiling], from
 * libsodium's random source. */
int64_t backoff_ms(int attempt, int64_t cap_ms);

#endif
