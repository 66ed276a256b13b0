/* Apps: the default app from the top-level options, [app ID] sections with
 * their own keys, languages per country and templates, key lookup, and the
 * refusals that name what to fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/app.h"
#include "phone/phone.h"

static char err[1024];

static const char *write_file(const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/test_app_%d.conf", IOTP_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Loads text as a dev configuration into *cfg and its apps into *a; returns apps_load's answer. */
static int load(const char *text, int dev, struct config *cfg, struct apps *a)
{
	assert_int_equal(config_load(cfg, write_file(text), dev, err, sizeof err), 0);
	return apps_load(a, cfg, err, sizeof err);
}

static void default_app_from_options(void **state)
{
	(void)state;
	struct config cfg;
	struct apps a;
	assert_int_equal(load("app_name = Shop\napi_key = 0123456789abcdef0\n", 0, &cfg, &a), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].id, "default");
	assert_string_equal(a.v[0].msg.name, "Shop");
	assert_ptr_equal(apps_by_key(&a, "0123456789abcdef0"), &a.v[0]);
	assert_null(apps_by_key(&a, "0123456789abcdef"));
	assert_null(apps_by_key(&a, ""));
	apps_free(&a);
	config_deinit(&cfg);
}

static void apps_with_languages_and_templates(void **state)
{
	(void)state;
	struct config cfg;
	struct apps a;
	assert_int_equal(load("[app default]\nlanguages = CH:it, IN:hi\ndomain = shop.example\n"
			      "[app acme]\napi_key = acme\nname = Acme\nsms.es = Acme: {code}\n",
			      1, &cfg, &a),
			 0);
	assert_int_equal(a.n, 2);
	const struct app *d = apps_find(&a, "default"), *acme = apps_find(&a, "acme");
	assert_non_null(d);
	assert_non_null(acme);
	assert_null(apps_find(&a, "nope"));
	assert_string_equal(app_language(d, "CH"), "it");
	assert_string_equal(app_language(d, "IN"), "hi");
	assert_null(app_language(d, "FR"));
	assert_null(app_language(acme, "CH"));
	assert_string_equal(d->msg.domain, "shop.example");
	assert_ptr_equal(apps_by_key(&a, "acme"), acme);
	assert_ptr_equal(apps_by_key(&a, "dev"), d);

	int overridden = 0;
	const char *t = msg_catalog_template(a.catalog, "acme", msg_lang_get("es"), MSG_SMS, &overridden);
	assert_string_equal(t, "Acme: {code}");
	assert_int_equal(overridden, 1);
	msg_catalog_template(a.catalog, "default", msg_lang_get("es"), MSG_SMS, &overridden);
	assert_int_equal(overridden, 0);
	apps_free(&a);
	config_deinit(&cfg);
}

/* Passkey settings: the default app's from the options, another's from its
 * section; origins default to https://<rp id>; any subdomain is fine. */
static void passkey_settings(void **state)
{
	(void)state;
	struct config cfg;
	struct apps a;
	assert_int_equal(load("passkey_rp_id = example.com\n"
			      "passkey_origins = https://example.com, https://login.example.com:8443\n"
			      "[app acme]\napi_key = k\nname = A\npasskey_rp_id = acme.test\n"
			      "[app plain]\napi_key = p\nname = P\n"
			      "[app dev]\napi_key = d\nname = D\npasskey_rp_id = localhost\n"
			      "passkey_origins = http://localhost:*\n",
			      1, &cfg, &a),
			 0);
	assert_string_equal(a.v[0].passkey_rp_id, "example.com");
	assert_int_equal(a.v[0].n_passkey_origins, 2);
	assert_string_equal(a.v[0].passkey_origins[1], "https://login.example.com:8443");
	const struct app *acme = apps_find(&a, "acme");
	assert_string_equal(acme->passkey_rp_id, "acme.test");
	assert_int_equal(acme->n_passkey_origins, 1);
	assert_string_equal(acme->passkey_origins[0], "https://acme.test");
	assert_string_equal(apps_find(&a, "plain")->passkey_rp_id, "");
	assert_string_equal(apps_find(&a, "dev")->passkey_origins[0], "http://localhost:*");
	apps_free(&a);
	config_deinit(&cfg);
}

static void refusals_say_what_to_fix(void **state)
{
	(void)state;
	static const struct {
		const char *conf;
		int dev;
		const char *want;
	} cases[] = {
		{"[app acme]\nname = Acme\n", 1, ":1: [app acme]: set api_key"},
		{"api_key = 0123456789abcdef0\n[app acme]\napi_key = short\nname = A\n", 0,
		 "set api_key, at least 16 characters"},
		{"[app acme]\napi_key = dev\nname = A\n", 1, "apps default and acme have the same api_key"},
		{"[app acme]\napi_key = k\n", 1, "set name"},
		{"[app default]\napi_key = k\n", 1, "takes its key and name from the options"},
		{"[app default]\nlanguages = CH-it\n", 1, ":2: [app default]: languages: 'CH-it' is not REGION:LANGUAGE"},
		{"[app default]\nlanguages = CH:kl\n", 1, "no built-in language 'kl'"},
		{"[app default]\nhash_place = top\n", 1, "hash_place is own_line or origin_line"},
		{"[app default]\napp_hash = short\n", 1, "hash"},
		{"[app default]\nsms.es = {code} {nombre}\n", 1, ":2: [app default]: template sms.es"},
		{"[app default]\ncolour = red\n", 1, "unknown setting 'colour'"},
		{"[templates]\nvoice.es = Su código\n", 1, "{code}"},
		{"[templates x]\n", 1, "[templates] takes no name"},
		{"passkey_rp_id = https://example.com\n", 1, "passkey_rp_id 'https://example.com' is not a domain"},
		{"passkey_rp_id = Example.com\n", 1, "is not a domain name"},
		{"passkey_origins = https://example.com\n", 1, "passkey_rp_id is not"},
		{"passkey_rp_id = example.com\npasskey_origins = http://example.com\n", 1,
		 "'http://example.com' cannot run ceremonies for 'example.com'"},
		{"passkey_rp_id = example.com\npasskey_origins = https://evilexample.com\n", 1,
		 "cannot run ceremonies"},
		{"passkey_rp_id = example.com\npasskey_origins = https://example.com/login\n", 1,
		 "no path"},
		{"passkey_rp_id = example.com\npasskey_origins = https://example.com:*\n", 1,
		 "cannot run ceremonies"},
		{"[app acme]\napi_key = k\nname = A\npasskey_rp_id = acme.test\n"
		 "passkey_origins = https://example.com\n", 1, ":5: [app acme]: passkey_origins"},
		{"passkey_user_verification = sometimes\n", 1, "is not required or preferred"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		struct apps a;
		err[0] = '\0';
		int rc = config_load(&cfg, write_file(cases[i].conf), cases[i].dev, err, sizeof err);
		if (rc == 0)
			rc = config_validate(&cfg, err, sizeof err);
		if (rc == 0)
			rc = apps_load(&a, &cfg, err, sizeof err);
		if (rc != -1 || !strstr(err, cases[i].want))
			fail_msg("case %zu: want '%s', got '%s'", i, cases[i].want, err);
		config_deinit(&cfg);
	}
}

int main(void)
{
	if (sodium_init() < 0 || phone_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_app_from_options),
		cmocka_unit_test(apps_with_languages_and_templates),
		cmocka_unit_test(passkey_settings),
		cmocka_unit_test(refusals_say_what_to_fix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
