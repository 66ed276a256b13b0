/* HS256 tokens: what PostgREST and Supabase's clients accept, and what a
 * forger cannot get past jwt_verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "compat/jwt.h"

static const char *secret = "super-secret-jwt-token-with-at-least-32-characters";

static void sign(json_t *claims, char *out, size_t size)
{
	assert_int_equal(jwt_sign(secret, claims, out, size), 0);
	json_decref(claims);
}

static void round_trip(void **state)
{
	(void)state;
	char t[JWT_MAX];
	sign(json_pack("{s:s, s:I, s:s}", "sub", "u1", "exp", (json_int_t)2000, "role", "authenticated"),
	     t, sizeof t);
	/* RFC 7515's known header for {"alg":"HS256","typ":"JWT"}. */
	assert_memory_equal(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37);
	assert_null(strchr(t, '='));
	json_t *c = jwt_verify(secret, t, 1999);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "u1");
	json_decref(c);
}

static void refuses_forgeries(void **state)
{
	(void)state;
	char t[JWT_MAX], bad[JWT_MAX];
	sign(json_pack("{s:s, s:I}", "role", "authenticated", "exp", (json_int_t)2000), t, sizeof t);
	assert_null(jwt_verify(secret, t, 2000)); /* expired at exp */
	assert_null(jwt_verify("another-secret-of-at-least-32-characters", t, 1000));
	/* A changed claim with the old signature. */
	char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
	char payload[256];
	const char *evil = "{\"role\":\"service_role\",\"exp\":2000}";
	sodium_bin2base64(payload, sizeof payload, (const unsigned char *)evil, strlen(evil),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(bad, sizeof bad, "%.*s.%s%s", (int)(dot1 - t), t, payload, dot2);
	assert_null(jwt_verify(secret, bad, 1000));
	/* alg none, no signature. */
	snprintf(bad, sizeof bad, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.", (int)(dot2 - dot1 - 1),
		 dot1 + 1);
	assert_null(jwt_verify(secret, bad, 1000));
	/* Shapes. */
	assert_null(jwt_verify(secret, NULL, 1000));
	assert_null(jwt_verify(secret, "", 1000));
	assert_null(jwt_verify(secret, "a.b", 1000));
	assert_null(jwt_verify(secret, "a.b.c.d", 1000));
	/* No exp: never accepted. */
	sign(json_pack("{s:s}", "sub", "u1"), t, sizeof t);
	assert_null(jwt_verify(secret, t, 0));
}

static void too_small_a_buffer(void **state)
{
	(void)state;
	char t[40];
	json_t *c = json_pack("{s:s, s:I}", "sub", "u1", "exp", (json_int_t)2000);
	assert_int_equal(jwt_sign(secret, c, t, sizeof t), -1);
	json_decref(c);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refuses_forgeries),
		cmocka_unit_test(too_small_a_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
