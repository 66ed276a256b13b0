#include "base/backoff.h"

#include <sodium.h>

/* randombytes_uniform draws below 2^32: half a ceiling must stay under it. */
#define CEILING_MAX ((int64_t)UINT32_MAX)

int64_t backoff_ceiling_ms(int attempt, int64_t cap_ms)
{
	if (attempt < 1)
		attempt = 1;
	/* 2^30 s is far past any cap; the shift stops there so it cannot overflow. */
	int64_t ceiling = 1000LL << (attempt < 31 ? attempt - 1 : 30);
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	if (ceiling > CEILING_MAX)
		ceiling = CEILING_MAX;
	return ceiling > 0 ? ceiling : 0;
}

int64_t backoff_ms(int attempt, int64_t cap_ms)
{
	int64_t ceiling = backoff_ceiling_ms(attempt, cap_ms);
	return ceiling / 2 + randombytes_uniform((uint32_t)(ceiling / 2) + 1);
}
