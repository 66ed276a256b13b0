/* base/clock.c: clock_format_ms writes what gmtime_r and snprintf write, for
 * every kind of day (leap years, centuries, 400-year cycles) and instant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <time.h>

#include "base/clock.h"

static void reference(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void same(int64_t ms)
{
	char want[64], got[64];
	reference(ms, want, sizeof want);
	clock_format_ms(ms, got, sizeof got);
	assert_string_equal(got, want);
}

static void test_chosen_instants(void **state)
{
	(void)state;
	char buf[32];
	clock_format_ms(0, buf, sizeof buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	clock_format_ms(1796656838123, buf, sizeof buf);
	assert_string_equal(buf, "2026-12-07T15:20:38.123Z");
	clock_format_ms(951782400000, buf, sizeof buf); /* a century's leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
	clock_format_ms(4107542399999, buf, sizeof buf); /* 2100 is no leap year */
	assert_string_equal(buf, "2100-02-28T23:59:59.999Z");
	clock_format_ms(4107542400000, buf, sizeof buf);
	assert_string_equal(buf, "2100-03-01T00:00:00.000Z");
	clock_format_ms(CLOCK_YEAR_10000_MS - 1, buf, sizeof buf);
	assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
	same(CLOCK_YEAR_10000_MS);
	same(-1);
}

/* Every day from 1970 to 2500 at a moment of the day that moves, and random
 * instants up to the year 9999. */
static void test_every_day(void **state)
{
	(void)state;
	for (int64_t day = 0; day < 194000; day++)
		same(day * 86400000 + (day * 7919 % 86400000));
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same((int64_t)(x % (uint64_t)CLOCK_YEAR_10000_MS));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chosen_instants),
	    cmocka_unit_test(test_every_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
