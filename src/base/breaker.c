#include "base/breaker.h"

void breaker_init(struct breaker *b, int threshold, int64_t first_ms, int64_t rest_max_ms)
{
	*b = (struct breaker){.threshold = threshold > 0 ? threshold : 1,
	                      .first_ms = first_ms,
	                      .rest_max_ms = rest_max_ms > first_ms ? rest_max_ms : first_ms};
}

enum breaker_state breaker_state(const struct breaker *b, int64_t now)
{
	if (!b->open)
		return BREAKER_CLOSED;
	return now < b->opened_at + b->rest_ms ? BREAKER_OPEN : BREAKER_HALF_OPEN;
}

int breaker_allow(struct breaker *b, int64_t now)
{
	switch (breaker_state(b, now)) {
	case BREAKER_CLOSED:
		return 1;
	case BREAKER_OPEN:
		return 0;
	case BREAKER_HALF_OPEN:
		if (b->probing)
			return 0;
		b->probing = 1;
		return 1;
	}
	return 0;
}

int64_t breaker_reopens_at(const struct breaker *b)
{
	return b->open ? b->opened_at + b->rest_ms : 0;
}

void breaker_success(struct breaker *b)
{
	b->failures = 0;
	b->open = 0;
	b->opened_at = 0;
	b->rest_ms = 0;
	b->probing = 0;
}

int breaker_failure(struct breaker *b, int64_t now)
{
	b->failures++;
	b->probing = 0;
	if (b->open) {
		/* A failed probe (or a call that was already out when the breaker
		 * opened): a new rest from now, doubled while under the cap. */
		b->rest_ms = b->rest_ms * 2 < b->rest_max_ms ? b->rest_ms * 2 : b->rest_max_ms;
		b->opened_at = now;
		return BREAKER_REOPENED;
	}
	if (b->failures < b->threshold)
		return 0;
	b->open = 1;
	b->opened_at = now;
	b->rest_ms = b->first_ms < b->rest_max_ms ? b->first_ms : b->rest_max_ms;
	return BREAKER_OPENED;
}

void breaker_release(struct breaker *b)
{
	b->probing = 0;
}

const char *breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_CLOSED:
		return "closed";
	case BREAKER_OPEN:
		return "open";
	case BREAKER_HALF_OPEN:
		return "half-open";
	}
	return "?";
}
