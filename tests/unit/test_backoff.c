/* base/backoff.c: the retry waits of both workers. The ceiling is exact; the
 * drawn wait is checked against its bounds over many draws (no timing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>

#include "base/backoff.h"

#define DELIVERY_CAP (5 * 60 * 1000LL) /* delivery/worker.c */
#define EVENTS_CAP (2 * 3600 * 1000LL) /* events/worker.c */

static void ceiling_doubles_from_one_second_to_the_cap(void **state)
{
	(void)state;
	assert_true(backoff_ceiling_ms(1, DELIVERY_CAP) == 1000);
	assert_true(backoff_ceiling_ms(2, DELIVERY_CAP) == 2000);
	assert_true(backoff_ceiling_ms(3, DELIVERY_CAP) == 4000);
	assert_true(backoff_ceiling_ms(8, DELIVERY_CAP) == 128000);
	assert_true(backoff_ceiling_ms(9, DELIVERY_CAP) == 256000);
	assert_true(backoff_ceiling_ms(10, DELIVERY_CAP) == DELIVERY_CAP);
	assert_true(backoff_ceiling_ms(13, EVENTS_CAP) == 4096000);
	assert_true(backoff_ceiling_ms(14, EVENTS_CAP) == EVENTS_CAP);
	/* Far past the cap, and rounds the shift could not take: still the cap. */
	assert_true(backoff_ceiling_ms(20, DELIVERY_CAP) == DELIVERY_CAP);
	assert_true(backoff_ceiling_ms(64, EVENTS_CAP) == EVENTS_CAP);
	assert_true(backoff_ceiling_ms(1 << 30, EVENTS_CAP) == EVENTS_CAP);
	/* A round below 1 is round 1 (no negative shift). */
	assert_true(backoff_ceiling_ms(0, DELIVERY_CAP) == 1000);
	assert_true(backoff_ceiling_ms(-5, DELIVERY_CAP) == 1000);
}

/* Equal jitter: every wait lies in [ceiling / 2, ceiling], and the draws
 * spread over that range rather than sitting on one value. */
static void wait_lies_between_half_and_all_of_the_ceiling(void **state)
{
	(void)state;
	for (int attempt = 1; attempt <= 20; attempt++) {
		int64_t ceiling = backoff_ceiling_ms(attempt, EVENTS_CAP);
		int64_t lo = ceiling, hi = 0;
		for (int i = 0; i < 2000; i++) {
			int64_t w = backoff_ms(attempt, EVENTS_CAP);
			assert_true(w >= ceiling / 2 && w <= ceiling);
			lo = w < lo ? w : lo;
			hi = w > hi ? w : hi;
		}
		/* 2000 uniform draws miss the lower and upper eighths with odds 2^-385. */
		assert_true(lo < ceiling / 2 + ceiling / 16);
		assert_true(hi > ceiling - ceiling / 16);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ceiling_doubles_from_one_second_to_the_cap),
	    cmocka_unit_test(wait_lies_between_half_and_all_of_the_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
