/* Codes: generation is uniform and well-formed, typed codes are read leniently
 * but strictly digits, comparison is exact, display grouping is right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/code.h"

static void generates_digits_of_each_length(void **state)
{
	(void)state;
	for (int len = CODE_MIN_LENGTH; len <= CODE_MAX_LENGTH; len++) {
		char code[CODE_MAX_LENGTH + 1];
		code_generate(len, code);
		assert_int_equal(strlen(code), (size_t)len);
		for (int i = 0; i < len; i++)
			assert_true(code[i] >= '0' && code[i] <= '9');
	}
}

static void digits_are_uniform(void **state)
{
	/* 600,000 digits: each of 10 values expected 60,000 times. A chi-square
	 * over 9 degrees of freedom above 60 happens by chance about once in 750
	 * million runs (the old bound, 27.9 over 60,000 digits, failed once in
	 * 1,000 runs, and did in a sanitizer run); a generator taking a byte
	 * modulo 10, too generous to 0-5, lands near 300. */
	(void)state;
	long counts[10] = {0};
	for (int i = 0; i < 100000; i++) {
		char code[7];
		code_generate(6, code);
		for (int k = 0; k < 6; k++)
			counts[code[k] - '0']++;
	}
	double chi = 0;
	for (int d = 0; d < 10; d++)
		chi += (counts[d] - 60000.0) * (counts[d] - 60000.0) / 60000.0;
	assert_true(chi < 60);
}

static void codes_differ(void **state)
{
	(void)state;
	char a[11], b[11];
	int same = 0;
	for (int i = 0; i < 100; i++) {
		code_generate(10, a);
		code_generate(10, b);
		same += strcmp(a, b) == 0;
	}
	assert_int_equal(same, 0);
}

static void normalize_accepts_grouping(void **state)
{
	(void)state;
	char out[11];
	assert_int_equal(code_normalize("123-456", out, sizeof out), 0);
	assert_string_equal(out, "123456");
	assert_int_equal(code_normalize(" 123 456 ", out, sizeof out), 0);
	assert_string_equal(out, "123456");
	assert_int_equal(code_normalize("1234567890", out, sizeof out), 0);
	assert_string_equal(out, "1234567890");
}

static void normalize_refuses_non_codes(void **state)
{
	(void)state;
	char out[11];
	assert_int_equal(code_normalize("12a456", out, sizeof out), -1);
	assert_int_equal(code_normalize("", out, sizeof out), -1);
	assert_int_equal(code_normalize("--", out, sizeof out), -1);
	assert_int_equal(code_normalize("12345678901", out, sizeof out), -1);
	assert_int_equal(code_normalize("１２３４５６", out, sizeof out), -1); /* full-width */
	assert_int_equal(code_normalize("123456\n", out, sizeof out), -1);
}

static void equal_is_exact(void **state)
{
	(void)state;
	assert_true(code_equal("123456", "123456"));
	assert_false(code_equal("123456", "123457"));
	assert_false(code_equal("123456", "12345"));
	assert_false(code_equal("12345", "123456"));
	assert_false(code_equal("", "123456"));
	assert_true(code_equal("0000000000", "0000000000"));
	assert_false(code_equal("0000000000", "000000000"));
	assert_false(code_equal("12345678901", "12345678901")); /* too long to be a code */
}

static void format_groups(void **state)
{
	(void)state;
	char out[24];
	const char *cases[][2] = {
		{"1234", "1234"},         {"12345", "12345"},         {"123456", "123-456"},
		{"1234567", "123-4567"},  {"12345678", "1234-5678"},  {"123456789", "123-456-789"},
		{"1234567890", "123-456-7890"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		code_format(cases[i][0], out, sizeof out);
		assert_string_equal(out, cases[i][1]);
		char back[11];
		assert_int_equal(code_normalize(out, back, sizeof back), 0);
		assert_string_equal(back, cases[i][0]);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generates_digits_of_each_length),
		cmocka_unit_test(digits_are_uniform),
		cmocka_unit_test(codes_differ),
		cmocka_unit_test(normalize_accepts_grouping),
		cmocka_unit_test(normalize_refuses_non_codes),
		cmocka_unit_test(equal_is_exact),
		cmocka_unit_test(format_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
