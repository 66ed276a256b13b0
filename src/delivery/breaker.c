#include "delivery/breaker.h"

void breaker_init(struct breaker *b, int threshold, int64_t open_ms)
{
	*b = (struct breaker){.threshold = threshold > 0 ? threshold : 1, .open_ms = open_ms};
}

enum breaker_state breaker_state(const struct breaker *b, int64_t now)
{
	if (!b->opened_at)
		return BREAKER_CLOSED;
	return now < b->opened_at + b->open_ms ? BREAKER_OPEN : BREAKER_HALF_OPEN;
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
	return b->opened_at ? b->opened_at + b->open_ms : 0;
}

void breaker_success(struct breaker *b)
{
	b->failures = 0;
	b->opened_at = 0;
	b->probing = 0;
}

int breaker_failure(struct breaker *b, int64_t now)
{
	int was_open = b->opened_at != 0;
	b->failures++;
	b->probing = 0;
	if (was_open || b->failures >= b->threshold) {
		b->opened_at = now; /* a failed probe starts a new open period */
		return !was_open;
	}
	return 0;
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
