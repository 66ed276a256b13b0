/* The log's number masking: a phone number is never written in clear,
 * whatever text carries it, while ids, ports and times stay readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/log.h"

static const char *mask(const char *in)
{
	static char out[512];
	log_mask_numbers(in, out, sizeof out);
	return out;
}

static void e164_numbers_are_masked(void **state)
{
	(void)state;
	assert_string_equal(mask("sent to +447911123456 ok"), "sent to +4479******56 ok");
	assert_string_equal(mask("+15551234"), "+1555**34");
	assert_string_equal(mask("to=+33612345678,"), "to=+3361*****78,");
	/* Gateways often drop the '+': bare runs of 9 or more digits too. */
	assert_string_equal(mask("Kannel said to=447911123456"), "Kannel said to=447*******56");
	assert_string_equal(mask("\"msisdn\":\"33612345678\""), "\"msisdn\":\"336******78\"");
}

static void other_text_stays(void **state)
{
	(void)state;
	/* Ports, short counts, versions, times and ids that mix letters. */
	const char *keep[] = {
		"listening on http://127.0.0.1:8080",
		"schema migrated to version 12",
		"2026-12-07T00:31:59.518Z",
		"session WpMCQhp11b1U8y4LLC9rJ4xQHZv3e-Bd",
		"id e19b26b8c0e087557fbd4446fba9a406",
		"message abc123456789012 failed",
		"+1234", /* too short for a number */
		"",
	};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		assert_string_equal(mask(keep[i]), keep[i]);
}

static void output_is_bounded(void **state)
{
	(void)state;
	char small[8];
	size_t n = log_mask_numbers("+447911123456 and more", small, sizeof small);
	assert_int_equal(n, 7);
	assert_string_equal(small, "+4479**");
	assert_int_equal(log_mask_numbers("x", small, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(e164_numbers_are_masked),
		cmocka_unit_test(other_text_stays),
		cmocka_unit_test(output_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
