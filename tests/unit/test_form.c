/* Form bodies and Basic credentials: what Twilio's clients send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "http/auth.h"
#include "base/form.h"

/* Parses text (copied: parsing decodes in place). Returns form_parse's result. */
static int parse(const char *text, char *buf, size_t size, struct http_form *f)
{
	char err[256];
	size_t n = strlen(text);
	assert_true(n < size);
	memcpy(buf, text, n + 1);
	return form_parse(buf, n, f, err, sizeof err);
}

static void decodes_pairs(void **state)
{
	(void)state;
	char buf[256];
	struct http_form f;
	assert_int_equal(parse("To=%2B447911123456&Channel=sms&FriendlyName=Caf%C3%A9+%26+Co", buf,
			       sizeof buf, &f),
			 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(form_get(&f, "To"), "+447911123456");
	assert_string_equal(form_get(&f, "Channel"), "sms");
	assert_string_equal(form_get(&f, "FriendlyName"), "Café & Co");
	assert_null(form_get(&f, "Code"));
	assert_null(form_get(NULL, "To"));
}

static void edge_shapes(void **state)
{
	(void)state;
	char buf[256];
	struct http_form f;
	assert_int_equal(parse("", buf, sizeof buf, &f), 0);
	assert_int_equal(f.n, 0);
	/* Empty pairs are skipped; a key without '=' has the empty value; the
	 * first of repeated keys wins; '=' inside a value stays. */
	assert_int_equal(parse("&&a&b=&c=1=2&a=x&", buf, sizeof buf, &f), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(form_get(&f, "a"), "");
	assert_string_equal(form_get(&f, "b"), "");
	assert_string_equal(form_get(&f, "c"), "1=2");
	/* Key names are decoded too. */
	assert_int_equal(parse("Totp%2ECodeLength=6", buf, sizeof buf, &f), 0);
	assert_string_equal(form_get(&f, "Totp.CodeLength"), "6");
}

static void refuses_bad_forms(void **state)
{
	(void)state;
	char buf[512];
	struct http_form f;
	assert_int_equal(parse("a=%zz", buf, sizeof buf, &f), -1);
	assert_int_equal(parse("a=%4", buf, sizeof buf, &f), -1);
	assert_int_equal(parse("a=%", buf, sizeof buf, &f), -1);
	assert_int_equal(parse("a=%00", buf, sizeof buf, &f), -1);
	assert_int_equal(parse("=1", buf, sizeof buf, &f), -1);
	assert_int_equal(parse("a=%C3%28", buf, sizeof buf, &f), -1);    /* not UTF-8 */
	assert_int_equal(parse("a=%ED%A0%80", buf, sizeof buf, &f), -1); /* a surrogate */
	assert_int_equal(parse("a=%C0%AF", buf, sizeof buf, &f), -1);    /* overlong */
	char nul[] = "a=1\0b=2";
	char err[128];
	assert_int_equal(form_parse(nul, sizeof nul - 1, &f, err, sizeof err), -1);
	char many[512] = "";
	for (int i = 0; i <= HTTP_FORM_MAX; i++)
		strcat(many, "k=v&");
	assert_int_equal(parse(many, buf, sizeof buf, &f), -1);
	many[strlen(many) - 4] = '\0'; /* exactly HTTP_FORM_MAX pairs */
	assert_int_equal(parse(many, buf, sizeof buf, &f), 0);
	assert_int_equal(f.n, HTTP_FORM_MAX);
}

static void basic_credentials(void **state)
{
	(void)state;
	char user[64], pass[64], header[128], b64[96];
	const char *raw = "AC0123:se:cret";
	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)raw, strlen(raw),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(header, sizeof header, "basic %s", b64);
	assert_int_equal(auth_basic(header, user, sizeof user, pass, sizeof pass), 0);
	assert_string_equal(user, "AC0123");
	assert_string_equal(pass, "se:cret"); /* the password may hold ':' */
	assert_int_equal(auth_basic(NULL, user, sizeof user, pass, sizeof pass), -1);
	assert_int_equal(auth_basic("Bearer abc", user, sizeof user, pass, sizeof pass), -1);
	assert_int_equal(auth_basic("Basic !!!", user, sizeof user, pass, sizeof pass), -1);
	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)"nocolon", 7,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(header, sizeof header, "Basic %s", b64);
	assert_int_equal(auth_basic(header, user, sizeof user, pass, sizeof pass), -1);
	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)raw, strlen(raw),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(header, sizeof header, "Basic %s", b64);
	assert_int_equal(auth_basic(header, user, 4, pass, sizeof pass), -1); /* does not fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_pairs),
		cmocka_unit_test(edge_shapes),
		cmocka_unit_test(refuses_bad_forms),
		cmocka_unit_test(basic_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
