/* The operator's side: refusals counted per minute and reason (core/refusals.h)
 * and numbers masked for lists (api_admin_mask). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/admin.h"
#include "core/refusals.h"

#define MIN 60000LL

struct sum {
	int minutes;
	int64_t first;
	uint32_t n[REFUSAL_REASONS];
};

static void add_up(int64_t minute, const uint32_t counts[REFUSAL_REASONS], void *arg)
{
	struct sum *s = arg;
	if (!s->minutes)
		s->first = minute;
	s->minutes++;
	for (int r = 0; r < REFUSAL_REASONS; r++)
		s->n[r] += counts[r];
}

static void refusals_by_reason_and_minute(void **state)
{
	(void)state;
	int64_t t = 5000000 * MIN; /* far from the other tests' minutes */
	refusals_count(IOTP_E_RATE_LIMITED_IP, t);
	refusals_count(IOTP_E_RATE_LIMITED_NUMBER, t + 1);
	refusals_count(IOTP_E_COUNTRY_NOT_ALLOWED, t + MIN);
	refusals_count(IOTP_E_PREFIX_BLOCKED, t + 2 * MIN);
	refusals_count(IOTP_E_UNSUPPORTED_NUMBER_TYPE, t + 2 * MIN);
	/* Not refusals: nothing counted. */
	refusals_count(IOTP_E_OK, t);
	refusals_count(IOTP_E_INCORRECT_CODE, t);
	refusals_count(IOTP_E_SEND_TOO_SOON, t);
	struct sum s = {0};
	refusals_read(t, t + 2 * MIN, add_up, &s);
	assert_int_equal(s.minutes, 3);
	assert_int_equal(s.first, t);
	assert_int_equal(s.n[REFUSAL_RATE_LIMIT], 2);
	assert_int_equal(s.n[REFUSAL_GEO], 1);
	assert_int_equal(s.n[REFUSAL_FRAUD_BLOCK], 1);
	assert_int_equal(s.n[REFUSAL_NUMBER_TYPE], 1);
	/* Only what is since since. */
	memset(&s, 0, sizeof s);
	refusals_read(t + MIN, t + 2 * MIN, add_up, &s);
	assert_int_equal(s.minutes, 2);
	assert_int_equal(s.n[REFUSAL_RATE_LIMIT], 0);
	assert_string_equal(refusal_reason_name(REFUSAL_GEO), "geo");
	assert_string_equal(refusal_reason_name(99), "unknown");
}

static void a_week_later_the_slot_starts_afresh(void **state)
{
	(void)state;
	int64_t t = 6000000 * MIN, week = (int64_t)REFUSALS_MINUTES * MIN;
	refusals_count(IOTP_E_RATE_LIMITED_GLOBAL, t);
	refusals_count(IOTP_E_RATE_LIMITED_GLOBAL, t + week); /* the same slot */
	struct sum s = {0};
	refusals_read(t + week, t + week, add_up, &s);
	assert_int_equal(s.n[REFUSAL_RATE_LIMIT], 1);
	/* The week-old minute is gone, not added to. */
	memset(&s, 0, sizeof s);
	refusals_read(t, t + week, add_up, &s);
	assert_int_equal(s.minutes, 1);
	assert_int_equal(s.n[REFUSAL_RATE_LIMIT], 1);
}

static void masks_the_middle(void **state)
{
	(void)state;
	char buf[64];
	api_admin_mask("+447400123456", buf, sizeof buf);
	assert_string_equal(buf, "+4474\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
	                         "\xe2\x80\xa2"
	                         "56");
	api_admin_mask("+1234", buf, sizeof buf);
	assert_string_equal(buf, "+1\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2");
	/* Never past the buffer, never half a bullet. */
	api_admin_mask("+447400123456", buf, 12);
	assert_true(strlen(buf) < 12);
	assert_int_equal(strncmp(buf, "+4474", 5), 0);
	assert_int_equal((strlen(buf) - 5) % 3, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(refusals_by_reason_and_minute),
	    cmocka_unit_test(a_week_later_the_slot_starts_afresh),
	    cmocka_unit_test(masks_the_middle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
