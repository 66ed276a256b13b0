/* base/breaker.c, the one circuit breaker of both workers, with a driven
 * clock: as delivery/ sets it (a fixed rest, breaker_* options of a provider)
 * and as events/ sets it (five failures, a rest that doubles to 10 minutes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/breaker.h"

#define T0 ((int64_t)1800000000000)
#define S(x) ((int64_t)(x)*1000)

/* A provider's breaker: breaker_failures = 3, breaker_open_ms = 1000. */
static void fixed_rest_opens_probes_and_closes(void **state)
{
	(void)state;
	struct breaker b;
	breaker_init(&b, 3, 1000, 1000);
	assert_int_equal(breaker_state(&b, 0), BREAKER_CLOSED);
	assert_int_equal(breaker_reopens_at(&b), 0);
	assert_int_equal(breaker_failure(&b, 10), 0);
	assert_int_equal(breaker_failure(&b, 20), 0);
	breaker_success(&b); /* a success resets the count */
	assert_int_equal(breaker_failure(&b, 30), 0);
	assert_int_equal(breaker_failure(&b, 40), 0);
	assert_int_equal(breaker_allow(&b, 45), 1);
	assert_int_equal(breaker_failure(&b, 50), BREAKER_OPENED); /* the third in a row */
	assert_int_equal(breaker_state(&b, 51), BREAKER_OPEN);
	assert_int_equal(breaker_allow(&b, 1049), 0);
	assert_int_equal(breaker_reopens_at(&b), 1050);
	/* Half-open: one probe, the others held back. */
	assert_int_equal(breaker_state(&b, 1050), BREAKER_HALF_OPEN);
	assert_int_equal(breaker_allow(&b, 1050), 1);
	assert_int_equal(breaker_allow(&b, 1051), 0);
	/* The probe fails: open again for a full period, no longer (a fixed rest). */
	assert_int_equal(breaker_failure(&b, 1100), BREAKER_REOPENED);
	assert_int_equal(breaker_allow(&b, 2099), 0);
	assert_int_equal(breaker_allow(&b, 2100), 1);
	breaker_success(&b);
	assert_int_equal(breaker_state(&b, 2101), BREAKER_CLOSED);
	assert_int_equal(breaker_allow(&b, 2101), 1);
	assert_int_equal(breaker_allow(&b, 2102), 1);
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
}

/* An events destination: five failures, a 30 s rest that doubles to 10 min. */
static void growing_rest_doubles_to_its_cap_and_starts_over(void **state)
{
	(void)state;
	struct breaker b;
	const int64_t cap = S(600);
	breaker_init(&b, 5, S(30), cap);
	int64_t now = T0;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(breaker_allow(&b, now), 1);
		assert_int_equal(breaker_failure(&b, now), 0);
	}
	assert_int_equal(breaker_allow(&b, now), 1);
	assert_int_equal(breaker_failure(&b, now), BREAKER_OPENED);
	assert_int_equal(breaker_allow(&b, now + S(29)), 0);
	assert_true(breaker_reopens_at(&b) == now + S(30));
	/* Each failed probe: a new rest from its failure, 60 s, 120 s ... 600 s. */
	int64_t rest = S(60);
	now += S(30);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(breaker_allow(&b, now), 1);
		assert_int_equal(breaker_failure(&b, now), BREAKER_REOPENED);
		assert_int_equal(breaker_allow(&b, now + rest - 1), 0);
		assert_true(breaker_reopens_at(&b) == now + rest);
		now += rest;
		rest = rest * 2 > cap ? cap : rest * 2;
	}
	assert_true(b.rest_ms == cap);
	/* The probe succeeds: closed, and the next opening rests 30 s again. */
	assert_int_equal(breaker_allow(&b, now), 1);
	breaker_success(&b);
	assert_int_equal(breaker_reopens_at(&b), 0);
	for (int i = 0; i < 5; i++)
		breaker_failure(&b, now);
	assert_true(breaker_reopens_at(&b) == now + S(30));
}

/* A call that says nothing about the destination (an event that can never
 * go) neither counts nor keeps the probe's turn: without release, a probe
 * that never reported would hold the destination back for good. */
static void release_passes_the_probe_on_and_keeps_the_count(void **state)
{
	(void)state;
	struct breaker b;
	breaker_init(&b, 2, 100, 100);
	assert_int_equal(breaker_allow(&b, 0), 1);
	assert_int_equal(breaker_failure(&b, 0), 0);
	assert_int_equal(breaker_allow(&b, 1), 1);
	breaker_release(&b);
	assert_int_equal(b.failures, 1);
	assert_int_equal(breaker_failure(&b, 2), BREAKER_OPENED);
	assert_int_equal(breaker_allow(&b, 102), 1); /* the probe */
	assert_int_equal(breaker_allow(&b, 102), 0);
	breaker_release(&b);
	assert_int_equal(breaker_state(&b, 103), BREAKER_HALF_OPEN);
	assert_int_equal(breaker_allow(&b, 103), 1); /* the next caller probes */
}

/* Out-of-range settings: a threshold below 1 opens at the first failure, a
 * cap below the first rest keeps the rest fixed. */
static void init_clamps_settings(void **state)
{
	(void)state;
	struct breaker b;
	breaker_init(&b, 0, 500, 10);
	assert_int_equal(breaker_failure(&b, 1000), BREAKER_OPENED);
	assert_true(breaker_reopens_at(&b) == 1500);
	assert_int_equal(breaker_failure(&b, 1600), BREAKER_REOPENED);
	assert_true(breaker_reopens_at(&b) == 2100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fixed_rest_opens_probes_and_closes),
	    cmocka_unit_test(growing_rest_doubles_to_its_cap_and_starts_over),
	    cmocka_unit_test(release_passes_the_probe_on_and_keeps_the_count),
	    cmocka_unit_test(init_clamps_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
