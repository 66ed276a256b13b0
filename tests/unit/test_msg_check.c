/* Validation: operators' templates and app settings are refused with a
 * sentence that names them and says what to change; the catalog applies
 * overrides per language and per app and checks the whole set at start-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "msg/catalog.h"
#include "msg/check.h"
#include "msg/compose.h"
#include "msg/lang.h"
#include "msg/msg.h"
#include "msg/template.h"

static const struct msg_app acme = {.id = "acme", .name = "Acme", .domain = "example.com"};
static const struct msg_app plain = {.name = "Acme"};

/* Checks text as sms.es (or voice.es) for app and returns the sentence. */
static const char *refusal(enum msg_channel ch, const char *text, const struct msg_app *app)
{
	static char err[512];
	err[0] = '\0';
	int rc = msg_template_check(ch == MSG_SMS ? "sms.es" : "voice.es", ch, msg_lang_get("es"),
	                            text, app, 10, err, sizeof err);
	if (rc == MSG_OK)
		return NULL;
	assert_int_equal(rc, MSG_REFUSED);
	return err;
}

static void accepts_good_templates(void **state)
{
	(void)state;
	/* clang-format off */
	const char *good[] = {
		"Código {app}: {code}. Caduca en {minutes} min.",
		"{code} es tu clave. No la compartas. {minutes|one:# minuto|other:# minutos}.",
		"Código {code}\nÚsalo en {domain}.",
		"Llaves literales: {{ y }} — {code}",
		"{code}",
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *why = refusal(MSG_SMS, good[i], &acme);
		if (why)
			fail_msg("%s", why);
	}
	assert_null(refusal(MSG_VOICE, "Tu código: {code}. Otra vez: {code}.", &plain));

	/* A literal brace is written once. */
	char out[256];
	struct msg_sms_size m;
	assert_int_equal(msg_sms_compose(msg_lang_get("es"), "{{x}} {code}", &plain, "1234", 5, out,
	                                 sizeof out, &m),
	                 MSG_OK);
	assert_string_equal(out, "{x} 1234");
	assert_int_equal(m.units, 8 + 2); /* the braces are extension characters */
}

static void names_what_is_wrong(void **state)
{
	(void)state;
	/* clang-format off */
	const struct {
		enum msg_channel ch;
		const char *text, *want;
	} cases[] = {
		{MSG_SMS, "Hola {nombre}, tu código: {code}",
		 "template sms.es: unknown placeholder {nombre}; the placeholders are {code}, {app}, "
		 "{minutes}, {domain} and {app_hash}"},
		{MSG_SMS, "Tu código de {app} caduca en {minutes} min.",
		 "template sms.es: has no {code}; every template must carry the code"},
		{MSG_SMS, "", "template sms.es: is empty"},
		{MSG_SMS, "Código {code", "template sms.es: a '{' that is never closed (write '{{' "
					  "for a literal brace)"},
		{MSG_SMS, "Código} {code}", "template sms.es: a '}' without its '{' (write '}}' for "
					    "a literal brace)"},
		{MSG_SMS, "Código:\r{code}", "template sms.es: holds the control character U+000D; "
					     "only line breaks are allowed"},
		{MSG_SMS, "Código:\t{code}", "template sms.es: holds the control character U+0009; "
					     "only line breaks are allowed"},
		{MSG_SMS, "Código: \xE2\x80\xAE{code}",
		 "template sms.es: holds the invisible formatting character U+202E; iotp isolates "
		 "the code and names itself"},
		{MSG_SMS, "C\xC3" "digo {code}", "template sms.es: is not valid UTF-8 (byte 1)"},
		{MSG_SMS, "{code}\n@evil.example #{code}",
		 "template sms.es: a line starts with '@'; iotp writes the origin-bound line "
		 "(@domain #code) itself when the app has a domain"},
		{MSG_SMS, "{code} {minutes|uno:# minuto|other:# minutos}",
		 "template sms.es: unknown plural category 'uno' in {minutes|...}; the categories "
		 "are zero, one, two, few, many and other"},
		{MSG_SMS, "{code} {minutes|one:# minuto}",
		 "template sms.es: plural choices without the 'other' form every language needs in "
		 "{minutes|...}"},
		{MSG_SMS, "{code} {minutes|one:# minuto|one:# min|other:#}",
		 "template sms.es: a plural category given twice in {minutes|...}"},
		{MSG_SMS, "{code} {minutes|minutos}",
		 "template sms.es: a plural choice without 'category:' (write one:# minute) in "
		 "{minutes|...}"},
		{MSG_SMS, "{code|one:x|other:y}", "template sms.es: {code|...}: only {minutes} has "
						  "plural forms"},
		{MSG_VOICE, "Tu código: {code}. {app_hash}",
		 "template voice.es: {app_hash} means nothing when spoken; only SMS templates may "
		 "use it"},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = refusal(cases[i].ch, cases[i].text, &acme);
		if (!why || strcmp(why, cases[i].want) != 0)
			fail_msg("case %zu:\n got: %s\nwant: %s", i, why ? why : "(accepted)",
			         cases[i].want);
	}
}

static void says_how_long_and_how_much_to_cut(void **state)
{
	(void)state;
	char text[512];

	/* 13 (the grouped 10-digit code and a space) + 138 + 25 (the origin-bound
	 * line) = 176 septets. */
	snprintf(text, sizeof text, "{code} %0138d", 0);
	assert_string_equal(
	    refusal(MSG_SMS, text, &acme),
	    "template sms.es is 2 segments (176 GSM-7 septets with a 10-digit code, "
	    "the app's name and the origin-bound line); shorten it by 16 to fit 160");
	/* One septet less than the limit's worth fits. */
	snprintf(text, sizeof text, "{code} %0122d", 0);
	assert_null(refusal(MSG_SMS, text, &acme));

	/* One accent makes it UCS-2, and the sentence says which. */
	snprintf(text, sizeof text, "Tu código: {code}. %060d", 0);
	assert_string_equal(
	    refusal(MSG_SMS, text, &plain),
	    "template sms.es is 2 segments (85 UCS-2 units with a 10-digit code and "
	    "the app's name); shorten it by 15 to fit 70; it is UCS-2 because of 'ó' "
	    "(U+00F3)");
}

static void refuses_missing_suffix_settings(void **state)
{
	(void)state;
	assert_string_equal(refusal(MSG_SMS, "{code} para {domain}", &plain),
	                    "template sms.es uses {domain}, but the app has no domain");
	assert_string_equal(refusal(MSG_SMS, "{code} {app_hash}", &plain),
	                    "template sms.es uses {app_hash}, but the app has no hash");
	const struct msg_app hashed = {.name = "Acme", .app_hash = "FA+9qCX9VSu"};
	assert_null(refusal(MSG_SMS, "{code}\n{app_hash}", &hashed));

	/* A voice script has no segments, but has a length a person can sit through. */
	char text[MSG_TEMPLATE_MAX + 2];
	memset(text, 'a', 900);
	strcpy(text + 900, "{code}");
	assert_null(refusal(MSG_VOICE, text, &plain));
	text[0] = '\0';
	for (int i = 0; i < 160; i++)
		strcat(text, "{code}");
	assert_string_equal(
	    refusal(MSG_VOICE, text, &plain),
	    "template voice.es is longer than 1500 bytes when read out; shorten it");

	/* A template has a hard size, whatever it renders to. */
	memset(text, 'x', MSG_TEMPLATE_MAX + 1);
	text[MSG_TEMPLATE_MAX + 1] = '\0';
	memcpy(text, "{code}", 6);
	assert_string_equal(refusal(MSG_SMS, text, &plain),
	                    "template sms.es: is 1001 bytes; the most a template may hold is 1000");
}

static void app_settings(void **state)
{
	(void)state;
	char err[512];
	/* clang-format off */
	const struct {
		struct msg_app app;
		const char *want;
	} cases[] = {
		{{.name = ""}, "app name: 1 to 64 bytes"},
		{{.name = "@home"},
		 "app name '@home': must not start with '@', the mark of the origin-bound line"},
		{{.name = "Acme\nBank"}, "app name: holds U+000A, a control or formatting character"},
		{{.name = "Acme\xE2\x80\xAE"},
		 "app name: holds U+202E, a control or formatting character"},
		{{.name = "Acme\xFF"}, "app name: not valid UTF-8"},
		{{.name = "Acme", .domain = "https://example.com"},
		 "app domain 'https://example.com': must be a lower-case host name such as "
		 "example.com, without https://, port or path (an internationalised name in its "
		 "xn-- form)"},
		{{.name = "Acme", .domain = "Example.com"}, NULL},
		{{.name = "Acme", .domain = "example.com:443"}, NULL},
		{{.name = "Acme", .domain = "exa mple.com"}, NULL},
		{{.name = "Acme", .domain = "example..com"}, NULL},
		{{.name = "Acme", .domain = "-example.com"}, NULL},
		{{.name = "Acme", .domain = "bücher.example"}, NULL},
		{{.name = "Acme", .app_hash = "FA+9qCX9VS"},
		 "app hash 'FA+9qCX9VS': must be the 11 Base64 characters the Android app computes "
		 "from its package name and signing certificate"},
		{{.name = "Acme", .app_hash = "FA+9qCX9VS!"}, NULL},
		{{.name = "Acme", .hash_place = 7}, "app hash placement: unknown value 7"},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (msg_app_check(&cases[i].app, err, sizeof err) != MSG_REFUSED)
			fail_msg("case %zu accepted", i);
		if (cases[i].want && strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got: %s\nwant: %s", i, err, cases[i].want);
	}
	/* clang-format off */
	const struct msg_app good[] = {
		{.name = "Acme Bank", .domain = "example.com", .app_hash = "FA+9qCX9VSu"},
		{.name = "متجر", .domain = "xn--bcher-kva.example"},
		{.name = "Acme", .domain = "login.accounts.example.co.uk"},
		{.name = "Acme", .domain = "localhost", .hash_place = MSG_HASH_ORIGIN_LINE},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (msg_app_check(&good[i], err, sizeof err) != MSG_OK)
			fail_msg("good case %zu refused: %s", i, err);
}

static void catalog_overrides(void **state)
{
	(void)state;
	struct msg_catalog *cat;
	char err[512], out[512];
	const struct msg_app other = {.id = "other", .name = "Other", .domain = "example.com"};
	assert_int_equal(msg_catalog_new(&cat), MSG_OK);

	/* A language iotp does not have, and a bad template, are refused by name. */
	assert_int_equal(msg_catalog_override(cat, NULL, "tlh", MSG_SMS, "{code}", err, sizeof err),
	                 MSG_REFUSED);
	assert_string_equal(err,
	                    "template sms.tlh: iotp has no language 'tlh'; use one of the tags "
	                    "`iotpctl template list` shows (es, pt, zh-Hant, ...)");
	assert_int_equal(msg_catalog_override(cat, "acme", "es", MSG_SMS, "Hola {nombre} {code}",
	                                      err, sizeof err),
	                 MSG_REFUSED);
	assert_string_equal(err,
	                    "template sms.es for app acme: unknown placeholder {nombre}; the "
	                    "placeholders are {code}, {app}, {minutes}, {domain} and {app_hash}");

	/* One for every app, one for acme alone; the app's own wins. */
	assert_int_equal(
	    msg_catalog_override(cat, NULL, "es", MSG_SMS, "Todos: {code}", err, sizeof err),
	    MSG_OK);
	assert_int_equal(
	    msg_catalog_override(cat, "acme", "es", MSG_SMS, "Acme: {code}", err, sizeof err),
	    MSG_OK);
	assert_int_equal(msg_catalog_override(cat, "acme", "es", MSG_VOICE,
	                                      "Acme dice: {code}. Otra vez: {code}.", err,
	                                      sizeof err),
	                 MSG_OK);
	const struct msg_lang *es = msg_lang_get("es");
	struct msg_sms_info info;
	assert_int_equal(msg_render_sms(cat, es, &acme, "123456", 10, out, sizeof out, &info), 0);
	assert_string_equal(out, "Acme: 123-456\n@example.com #123456");
	assert_true(info.overridden);
	assert_int_equal(msg_render_sms(cat, es, &other, "123456", 10, out, sizeof out, &info), 0);
	assert_string_equal(out, "Todos: 123-456\n@example.com #123456");
	assert_int_equal(
	    msg_render_voice(cat, es, &acme, "1234", 10, NULL, out, sizeof out, NULL, 0), MSG_OK);
	assert_string_equal(out, "Acme dice: 1, 2, 3, 4. Otra vez: 1, 2, 3, 4.");
	/* Other languages and channels keep the built-ins. */
	assert_int_equal(
	    msg_render_sms(cat, msg_lang_get("pt"), &acme, "123456", 10, out, sizeof out, &info),
	    MSG_OK);
	assert_false(info.overridden);
	int overridden;
	assert_string_equal(msg_catalog_template(cat, "other", es, MSG_VOICE, &overridden),
	                    msg_builtin_get(es)->voice);
	assert_false(overridden);

	/* A second override replaces the first. */
	assert_int_equal(
	    msg_catalog_override(cat, "acme", "ES", MSG_SMS, "Nuevo: {code}", err, sizeof err),
	    MSG_OK);
	assert_int_equal(msg_render_sms(cat, es, &acme, "1234", 10, out, sizeof out, NULL), 0);
	assert_string_equal(out, "Nuevo: 1234\n@example.com #1234");

	/* The start-up check passes, then fails on a template too long for this
	 * app's suffixes, naming the template and the app. */
	assert_int_equal(msg_catalog_check(cat, &acme, 10, err, sizeof err), MSG_OK);
	assert_int_equal(msg_catalog_check(cat, &other, 10, err, sizeof err), MSG_OK);
	char longer[256];
	snprintf(longer, sizeof longer, "{code} %0138d", 0);
	assert_int_equal(msg_catalog_override(cat, "acme", "es", MSG_SMS, longer, err, sizeof err),
	                 MSG_OK);
	assert_int_equal(msg_catalog_check(cat, &acme, 10, err, sizeof err), MSG_REFUSED);
	assert_string_equal(err, "template sms.es for app acme is 2 segments (176 GSM-7 septets "
	                         "with a 10-digit code, the app's name and the origin-bound line); "
	                         "shorten it by 16 to fit 160");
	/* Without the domain line the same template fits. */
	const struct msg_app acme_plain = {.id = "acme", .name = "Acme"};
	assert_int_equal(msg_catalog_check(cat, &acme_plain, 10, err, sizeof err), MSG_OK);
	/* A template that needs a domain the app lacks. */
	assert_int_equal(
	    msg_catalog_override(cat, "acme", "es", MSG_SMS, "{code} en {domain}", err, sizeof err),
	    MSG_OK);
	assert_int_equal(msg_catalog_check(cat, &acme_plain, 10, err, sizeof err), MSG_REFUSED);
	assert_string_equal(err, "template sms.es for app acme uses {domain}, but the app has no "
	                         "domain");
	msg_catalog_free(cat);
	msg_catalog_free(NULL);
}

static void startup_check_of_the_built_ins(void **state)
{
	(void)state;
	char err[512];
	const struct msg_app worst = {
	    .name = "Example Shop", .domain = "example.com", .app_hash = "FA+9qCX9VSu"};
	assert_int_equal(msg_catalog_check(NULL, &worst, 10, err, sizeof err), MSG_OK);
	assert_int_equal(msg_catalog_check(NULL, &worst, 1440, err, sizeof err), MSG_OK);

	/* A name and a domain so long that no form of a UCS-2 language fits. */
	const struct msg_app huge = {.name = "The Very Long Example Company",
	                             .domain = "accounts.login.the-very-long-example-company.com",
	                             .app_hash = "FA+9qCX9VSu"};
	assert_int_equal(msg_catalog_check(NULL, &huge, 10, err, sizeof err), MSG_REFUSED);
	assert_non_null(strstr(err, "built-in template sms."));
	assert_non_null(strstr(err, ", even in its shortest form, is 2 segments ("));
	assert_non_null(strstr(err, "UCS-2 units with a 10-digit code, the app's name, the app "
	                            "hash and the origin-bound line); shorten it by "));
	assert_non_null(strstr(err, "(or shorten the app's name or domain, or override it)"));

	/* msg_render_sms still writes that message whole, and says it is long. */
	char out[512];
	struct msg_sms_info info;
	assert_int_equal(msg_render_sms(NULL, msg_lang_get("ru"), &huge, "1234567890", 10, out,
	                                sizeof out, &info),
	                 MSG_MULTIPART);
	assert_int_equal(info.form, MSG_FORM_WARNING);
	assert_int_equal(info.size.segments, 2);
	assert_string_equal(out + strlen(out) - 23, "company.com #1234567890");

	/* Bad app settings stop the check first. */
	const struct msg_app bad = {.name = "Acme", .domain = "https://example.com"};
	assert_int_equal(msg_catalog_check(NULL, &bad, 10, err, sizeof err), MSG_REFUSED);
	assert_int_equal(strncmp(err, "app domain 'https://example.com'", 32), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepts_good_templates),
	    cmocka_unit_test(names_what_is_wrong),
	    cmocka_unit_test(says_how_long_and_how_much_to_cut),
	    cmocka_unit_test(refuses_missing_suffix_settings),
	    cmocka_unit_test(app_settings),
	    cmocka_unit_test(catalog_overrides),
	    cmocka_unit_test(startup_check_of_the_built_ins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
