/* The error table: codes are unique snake_case, statuses are HTTP errors, and
 * the codes clients branch on keep their meaning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <string.h>

#include "base/error.h"

static void codes_are_unique_snake_case(void **state)
{
	(void)state;
	for (int i = 0; i < IOTP_E_COUNT; i++) {
		const char *c = iotp_error_code((enum iotp_error)i);
		assert_non_null(c);
		for (const char *p = c; *p; p++)
			assert_true(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
		for (int j = i + 1; j < IOTP_E_COUNT; j++)
			assert_string_not_equal(c, iotp_error_code((enum iotp_error)j));
		const char *m = iotp_error_message((enum iotp_error)i);
		assert_true(strlen(m) > 5);
		assert_int_equal(m[strlen(m) - 1], '.'); /* a sentence */
	}
}

static void statuses_map_as_documented(void **state)
{
	(void)state;
	struct {
		enum iotp_error e;
		int status;
		const char *code;
	} rows[] = {
		{IOTP_E_UNAUTHORIZED, 401, "unauthorized"},
		{IOTP_E_BODY_TOO_LARGE, 413, "body_too_large"},
		{IOTP_E_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
		{IOTP_E_INVALID_NUMBER, 422, "invalid_number"},
		{IOTP_E_MISSING_COUNTRY_CODE, 422, "missing_country_code"},
		{IOTP_E_TOO_SHORT, 422, "too_short"},
		{IOTP_E_TOO_LONG, 422, "too_long"},
		{IOTP_E_INVALID_COUNTRY_CODE, 422, "invalid_country_code"},
		{IOTP_E_UNSUPPORTED_NUMBER_TYPE, 422, "unsupported_number_type"},
		{IOTP_E_SESSION_NOT_FOUND, 404, "session_not_found"},
		{IOTP_E_SEND_TOO_SOON, 429, "send_too_soon"},
		{IOTP_E_INCORRECT_CODE, 400, "incorrect_code"},
		{IOTP_E_CODE_EXPIRED, 410, "code_expired"},
		{IOTP_E_ATTEMPTS_EXHAUSTED, 429, "attempts_exhausted"},
		{IOTP_E_ALREADY_VERIFIED, 409, "already_verified"},
		{IOTP_E_SESSION_CANCELED, 410, "session_canceled"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(iotp_error_status(rows[i].e), rows[i].status);
		assert_string_equal(iotp_error_code(rows[i].e), rows[i].code);
	}
	for (int i = 1; i < IOTP_E_COUNT; i++)
		assert_true(iotp_error_status((enum iotp_error)i) >= 400);
}

static void out_of_range_is_internal(void **state)
{
	(void)state;
	assert_int_equal(iotp_error_status((enum iotp_error)9999), 500);
	assert_string_equal(iotp_error_code((enum iotp_error)-1), "internal_error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codes_are_unique_snake_case),
		cmocka_unit_test(statuses_map_as_documented),
		cmocka_unit_test(out_of_range_is_internal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
