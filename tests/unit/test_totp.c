/* base/totp against the published vectors: RFC 6238 appendix B (SHA-1),
 * RFC 4226 appendix D (HOTP) and RFC 4648 section 10 (base32). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/totp.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static void rfc6238_sha1_vectors(void **state)
{
	(void)state;
	static const struct {
		int64_t unix_s;
		const char *code;
	} v[] = {
	    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
	    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char out[9];
		int64_t step = totp_step(v[i].unix_s * 1000);
		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)step, 8, out), 0);
		assert_string_equal(out, v[i].code);
	}
}

static void rfc4226_hotp_vectors(void **state)
{
	(void)state;
	static const char *const v[] = {"755224", "287082", "359152", "969429", "338314",
	                                "254676", "287922", "162583", "399871", "520489"};
	for (int i = 0; i < 10; i++) {
		char out[7];
		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)i, 6, out), 0);
		assert_string_equal(out, v[i]);
		/* The 6-digit check the server uses, one step per counter. */
		assert_true(totp_matches(rfc_key, 20, i, v[i]));
		assert_false(totp_matches(rfc_key, 20, i + 1, v[i]));
	}
	assert_false(totp_matches(rfc_key, 20, 0, "75522"));
	assert_false(totp_matches(rfc_key, 20, 0, "7552240"));
	assert_false(totp_matches(rfc_key, 20, 0, NULL));
}

static void steps_are_30_seconds(void **state)
{
	(void)state;
	assert_int_equal(totp_step(0), 0);
	assert_int_equal(totp_step(29999), 0);
	assert_int_equal(totp_step(30000), 1);
	assert_int_equal(totp_step(59000), 1);
}

static void rfc4648_base32(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
	         {"f", "MY"},
	         {"fo", "MZXQ"},
	         {"foo", "MZXW6"},
	         {"foob", "MZXW6YQ"},
	         {"fooba", "MZXW6YTB"},
	         {"foobar", "MZXW6YTBOI"}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char out[32];
		assert_int_equal(
		    totp_base32((const unsigned char *)v[i].in, strlen(v[i].in), out, sizeof out),
		    0);
		assert_string_equal(out, v[i].out);
	}
	char small[4];
	assert_int_equal(totp_base32((const unsigned char *)"foobar", 6, small, sizeof small), -1);
	char secret[TOTP_BASE32_MAX];
	assert_int_equal(totp_base32(rfc_key, 20, secret, sizeof secret), 0);
	assert_string_equal(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc6238_sha1_vectors),
	    cmocka_unit_test(rfc4226_hotp_vectors),
	    cmocka_unit_test(steps_are_30_seconds),
	    cmocka_unit_test(rfc4648_base32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
