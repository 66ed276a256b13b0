/* The breaker's states: closed (failures < BREAKER_FAILURES), open (resting
 * until open_until), and half-open (the rest is over and one probe is busy —
 * the destination takes one delivery at a time anyway). */
#include "events/breaker.h"

#include "base/alloc.h"

int breaker_admit(struct breaker *b, int64_t now, int64_t *until)
{
	if (b->open_until && now < b->open_until) {
		*until = b->open_until;
		return BREAKER_OPEN;
	}
	b->busy = 1;
	return 0;
}

int breaker_done(struct breaker *b, int outcome, const char *error, int64_t now,
		 int64_t rest_ms)
{
	b->busy = 0;
	if (outcome == 0) {
		b->failures = 0;
		b->open_until = 0;
		b->rest_ms = 0;
		return 0;
	}
	if (outcome != 1)
		return 0;
	b->failures++;
	strfmt(b->last_error, sizeof b->last_error, "%s", error ? error : "");
	if (b->failures < BREAKER_FAILURES)
		return 0;
	/* The first opening rests rest_ms; each failed probe doubles it. */
	if (b->open_until == 0)
		b->rest_ms = rest_ms;
	else if (b->rest_ms < BREAKER_REST_MAX_MS)
		b->rest_ms = b->rest_ms * 2;
	if (b->rest_ms > BREAKER_REST_MAX_MS)
		b->rest_ms = BREAKER_REST_MAX_MS;
	b->open_until = now + b->rest_ms;
	return 1;
}
