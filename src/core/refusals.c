/* refusals: a ring of per-minute counters, one slot per minute of the last 7
 * days. A slot remembers which minute it holds, so a slot last written a week
 * ago is taken as empty rather than added to. One mutex: a refusal costs a
 * lock and an increment, far less than the request that caused it. */
#include "core/refusals.h"

#include <pthread.h>
#include <string.h>

struct slot {
	int64_t minute; /* ms / 60000 of what it holds; 0: never written */
	uint32_t n[REFUSAL_REASONS];
};

static struct slot ring[REFUSALS_MINUTES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const names[REFUSAL_REASONS] = {"rate_limit", "geo", "number_type",
                                                   "fraud_block", "challenge"};

const char *refusal_reason_name(int reason)
{
	return reason >= 0 && reason < REFUSAL_REASONS ? names[reason] : "unknown";
}

int refusal_reason_of(enum iotp_error e)
{
	switch (e) {
	case IOTP_E_RATE_LIMITED_NUMBER:
	case IOTP_E_RATE_LIMITED_PREFIX:
	case IOTP_E_RATE_LIMITED_IP:
	case IOTP_E_RATE_LIMITED_NETWORK:
	case IOTP_E_RATE_LIMITED_COUNTRY:
	case IOTP_E_RATE_LIMITED_APP:
	case IOTP_E_RATE_LIMITED_GLOBAL:
		return REFUSAL_RATE_LIMIT;
	case IOTP_E_COUNTRY_NOT_ALLOWED:
		return REFUSAL_GEO;
	case IOTP_E_UNSUPPORTED_NUMBER_TYPE:
		return REFUSAL_NUMBER_TYPE;
	case IOTP_E_PREFIX_BLOCKED:
	case IOTP_E_SPEND_CAP_REACHED:
		return REFUSAL_FRAUD_BLOCK;
	case IOTP_E_CHALLENGE_REQUIRED:
		return REFUSAL_CHALLENGE;
	default:
		return -1;
	}
}

void refusals_count(enum iotp_error e, int64_t now)
{
	int r = refusal_reason_of(e);
	if (r < 0 || now < 0)
		return;
	int64_t minute = now / 60000;
	pthread_mutex_lock(&lock);
	struct slot *s = &ring[minute % REFUSALS_MINUTES];
	if (s->minute != minute) {
		memset(s, 0, sizeof *s);
		s->minute = minute;
	}
	s->n[r]++;
	pthread_mutex_unlock(&lock);
}

void refusals_read(int64_t since, int64_t now,
                   void (*fn)(int64_t minute, const uint32_t counts[REFUSAL_REASONS], void *arg),
                   void *arg)
{
	int64_t last = now / 60000, first = since / 60000;
	if (first < last - REFUSALS_MINUTES + 1)
		first = last - REFUSALS_MINUTES + 1;
	if (first < 1)
		first = 1;
	for (int64_t m = first; m <= last; m++) {
		struct slot copy;
		pthread_mutex_lock(&lock);
		copy = ring[m % REFUSALS_MINUTES];
		pthread_mutex_unlock(&lock);
		if (copy.minute == m)
			fn(m * 60000, copy.n, arg);
	}
}
