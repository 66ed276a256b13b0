#include "base/outage.h"

#include <stdatomic.h>
#include <time.h>

/* ms (monotonic) of the next try while an outage lasts; 0: none. */
static _Atomic int64_t next_try;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void outage_report(int64_t retry_ms)
{
	atomic_store(&next_try, mono_ms() + (retry_ms > 0 ? retry_ms : 0) + 1);
}

void outage_clear(void)
{
	atomic_store(&next_try, 0);
}

int64_t outage_retry_after(void)
{
	int64_t t = atomic_load(&next_try);
	if (!t)
		return 0;
	int64_t left = t - mono_ms();
	return left > 1000 ? (left + 999) / 1000 : 1;
}
