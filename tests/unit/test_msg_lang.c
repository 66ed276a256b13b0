/* Languages: locales map to the right built-in language, every region
 * libphonenumber knows has a row, numbers from every continent get their
 * country's language, the order locale > app > country > English holds and
 * says why, and plural categories follow CLDR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "msg/builtin.h"
#include "msg/lang.h"
#include "msg/msg.h"
#include "msg/plural.h"
#include "phone/phone.h"

/* libphonenumber's supported regions (PhoneNumberUtil::GetSupportedRegions of
 * the Debian 12 library iotp builds with). */
static const char libphonenumber_regions[] =
    "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ "
    "BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU "
    "CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA "
    "GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL "
    "IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT "
    "MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK "
    "PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM "
    "SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
    "UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW ";

static const char *tag_of(const struct msg_lang *l)
{
	return l ? l->tag : "(none)";
}

static void required_languages_exist(void **state)
{
	(void)state;
	const char *required[] = {"en",      "es",      "pt", "fr", "de", "it", "ru", "uk", "tr",
	                          "ar",      "fa",      "hi", "bn", "ur", "id", "ms", "vi", "th",
	                          "zh-Hans", "zh-Hant", "ja", "ko", "sw", "nl", "pl"};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		const struct msg_lang *l = msg_lang_get(required[i]);
		if (!l)
			fail_msg("no language %s", required[i]);
		assert_string_equal(l->tag, required[i]);
		assert_non_null(msg_builtin_get(l));
	}
	assert_true(msg_lang_count() >= 25);
	assert_string_equal(msg_lang_at(0)->tag, "en");
	assert_null(msg_lang_at(msg_lang_count()));
	assert_string_equal(msg_lang_get("ZH-hant")->tag, "zh-Hant");
	assert_null(msg_lang_get("tlh"));
	assert_null(msg_lang_get(NULL));

	/* Right to left: exactly the Arabic-script languages and Hebrew. */
	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *l = msg_lang_at(i);
		int rtl = !strcmp(l->tag, "ar") || !strcmp(l->tag, "fa") || !strcmp(l->tag, "ur") ||
		          !strcmp(l->tag, "he");
		assert_int_equal(l->rtl, rtl);
		assert_non_null(msg_builtin_get(l));
		/* A language's own tag, read as a locale, is itself. */
		assert_ptr_equal(msg_lang_from_locale(l->tag), l);
	}
}

static void locales_map_to_languages(void **state)
{
	(void)state;
	/* clang-format off */
	const char *cases[][2] = {
		{"pt-BR", "pt"},         {"pt_PT", "pt"},          {"en", "en"},
		{"EN-gb", "en"},         {"en-US-u-ca-gregory", "en"}, {"es-419", "es"},
		{"es-MX", "es"},         {"zh", "zh-Hans"},        {"zh-CN", "zh-Hans"},
		{"zh-SG", "zh-Hans"},    {"zh-Hans", "zh-Hans"},   {"zh-Hans-HK", "zh-Hans"},
		{"zh-TW", "zh-Hant"},    {"zh-HK", "zh-Hant"},     {"zh-MO", "zh-Hant"},
		{"zh-Hant", "zh-Hant"},  {"zh_Hant_TW", "zh-Hant"}, {"zh-Hant-CN", "zh-Hant"},
		{"yue", "zh-Hant"},      {"yue-Hans", "zh-Hans"},  {"zh-yue", "zh-Hant"},
		{"cmn-Hans-CN", "zh-Hans"}, {"zh-CHT", "zh-Hant"}, {"in", "id"},
		{"id-ID", "id"},         {"iw-IL", "he"},          {"he", "he"},
		{"mo", "ro"},            {"arb", "ar"},            {"ar-EG", "ar"},
		{"fa-AF", "fa"},         {"prs", "fa"},            {"ur-PK", "ur"},
		{"hi-IN", "hi"},         {"bn-BD", "bn"},          {"ms-MY", "ms"},
		{"zsm", "ms"},           {"sw-KE", "sw"},          {"uk-UA", "uk"},
		{"ru", "ru"},            {"tr-TR", "tr"},          {"vi-VN", "vi"},
		{"th-TH", "th"},         {"ja-JP", "ja"},          {"ko-KR", "ko"},
		{"nl-BE", "nl"},         {"pl-PL", "pl"},          {"de-CH", "de"},
		{"fr-CA", "fr"},         {"it", "it"},             {"el-GR", "el"},
		{"cs-CZ", "cs"},         {"hu", "hu"},             {"sv-FI", "sv"},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct msg_lang *l = msg_lang_from_locale(cases[i][0]);
		if (!l || strcmp(l->tag, cases[i][1]) != 0)
			fail_msg("locale %s: got %s, want %s", cases[i][0], tag_of(l), cases[i][1]);
	}

	/* Unsupported or malformed: no language, so the next rule decides. */
	const char *none[] = {"tlh", "sr-Latn-RS", "ta-IN", "x-private", "i-klingon", "",
	                      "e",   "english",    "123",   "-en",       "nb-NO"};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (msg_lang_from_locale(none[i]))
			fail_msg("locale '%s' should name no built-in language", none[i]);
	assert_null(msg_lang_from_locale(NULL));
}

static void every_libphonenumber_region_has_a_row(void **state)
{
	(void)state;
	assert_int_equal(phone_init(), 0);
	assert_int_equal(strlen(libphonenumber_regions), 245 * 3);
	assert_int_equal(msg_region_count(), 245);
	for (size_t i = 0; i < msg_region_count(); i++) {
		const char *r = msg_region_at(i);
		/* Sorted (the lookup is a binary search), unique, and known. */
		if (i)
			assert_true(strcmp(msg_region_at(i - 1), r) < 0);
		assert_memory_equal(libphonenumber_regions + 3 * i, r, 2);
		if (!phone_region_known(r))
			fail_msg("%s is not a libphonenumber region", r);
		const struct msg_lang *l = (const struct msg_lang *)1;
		assert_int_equal(msg_lang_of_region(r, &l), MSG_OK);
		/* A row names a built-in language or none. */
		assert_true(l == NULL || msg_builtin_get(l) != NULL);
	}
	const struct msg_lang *l;
	assert_int_equal(msg_lang_of_region("ZZ", &l), MSG_UNKNOWN);
	assert_null(l);
	assert_int_equal(msg_lang_of_region("GBR", &l), MSG_UNKNOWN);
	assert_int_equal(msg_lang_of_region("", &l), MSG_UNKNOWN);
	assert_int_equal(msg_lang_of_region("br", &l), MSG_OK);
	assert_string_equal(l->tag, "pt");
}

static void numbers_from_every_continent(void **state)
{
	(void)state;
	/* clang-format off */
	const char *cases[][2] = {
		/* Europe */
		{"GB", "en"}, {"IE", "en"}, {"ES", "es"}, {"PT", "pt"}, {"FR", "fr"},
		{"DE", "de"}, {"AT", "de"}, {"CH", "de"}, {"IT", "it"}, {"NL", "nl"},
		{"BE", "nl"}, {"PL", "pl"}, {"RU", "ru"}, {"UA", "uk"}, {"BY", "ru"},
		{"GR", "el"}, {"CY", "el"}, {"RO", "ro"}, {"MD", "ro"}, {"CZ", "cs"},
		{"SK", "cs"}, {"HU", "hu"}, {"SE", "sv"}, {"LU", "fr"}, {"MC", "fr"},
		/* Asia and the Middle East */
		{"TR", "tr"}, {"SA", "ar"}, {"AE", "ar"}, {"IQ", "ar"}, {"IR", "fa"},
		{"AF", "fa"}, {"IL", "he"}, {"IN", "en"}, {"BD", "bn"}, {"PK", "ur"},
		{"ID", "id"}, {"MY", "ms"}, {"BN", "ms"}, {"SG", "en"}, {"PH", "en"},
		{"VN", "vi"}, {"TH", "th"}, {"CN", "zh-Hans"}, {"TW", "zh-Hant"},
		{"HK", "zh-Hant"}, {"MO", "zh-Hant"}, {"JP", "ja"}, {"KR", "ko"},
		{"KP", "ko"}, {"KZ", "ru"}, {"AZ", "tr"},
		/* Africa */
		{"EG", "ar"}, {"MA", "ar"}, {"DZ", "ar"}, {"NG", "en"}, {"KE", "en"},
		{"TZ", "sw"}, {"ZA", "en"}, {"SN", "fr"}, {"CI", "fr"}, {"CD", "fr"},
		{"CM", "fr"}, {"AO", "pt"}, {"MZ", "pt"}, {"GH", "en"}, {"UG", "en"},
		/* The Americas */
		{"US", "en"}, {"CA", "en"}, {"MX", "es"}, {"BR", "pt"}, {"AR", "es"},
		{"CO", "es"}, {"PE", "es"}, {"CL", "es"}, {"VE", "es"}, {"CU", "es"},
		{"PR", "es"}, {"HT", "fr"}, {"JM", "en"}, {"SR", "nl"}, {"GF", "fr"},
		/* Oceania */
		{"AU", "en"}, {"NZ", "en"}, {"FJ", "en"}, {"PG", "en"}, {"NC", "fr"},
		{"PF", "fr"}, {"WS", "en"},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct msg_lang *l;
		assert_int_equal(msg_lang_of_region(cases[i][0], &l), MSG_OK);
		if (!l || strcmp(l->tag, cases[i][1]) != 0)
			fail_msg("%s: got %s, want %s", cases[i][0], tag_of(l), cases[i][1]);

		struct msg_lang_choice c;
		assert_int_equal(msg_lang_choose(NULL, NULL, cases[i][0], &c), MSG_OK);
		assert_string_equal(c.lang->tag, cases[i][1]);
		assert_int_equal(c.reason, MSG_LANG_COUNTRY);
	}

	/* Countries whose language iotp does not write get English by default. */
	const char *none[] = {"GE", "ET", "FI", "NO", "DK", "RS", "BG", "LK", "MM", "KH"};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		const struct msg_lang *l;
		assert_int_equal(msg_lang_of_region(none[i], &l), MSG_OK);
		assert_null(l);
		struct msg_lang_choice c;
		msg_lang_choose(NULL, NULL, none[i], &c);
		assert_string_equal(c.lang->tag, "en");
		assert_int_equal(c.reason, MSG_LANG_DEFAULT);
		assert_true(c.region_unsupported);
	}
}

static void choose_in_order_and_say_why(void **state)
{
	(void)state;
	struct msg_lang_choice c;
	char why[256];

	/* The locale wins over everything. */
	msg_lang_choose("pt-BR", "de", "MX", &c);
	assert_string_equal(c.lang->tag, "pt");
	assert_int_equal(c.reason, MSG_LANG_LOCALE);
	assert_int_equal(msg_lang_explain(&c, "pt-BR", "de", "MX", why, sizeof why), MSG_OK);
	assert_string_equal(why, "pt: the request's locale 'pt-BR'");

	/* Then the app's language for the country. */
	msg_lang_choose(NULL, "en", "KE", &c);
	assert_string_equal(c.lang->tag, "en");
	assert_int_equal(c.reason, MSG_LANG_APP);
	msg_lang_choose("", "sw", "KE", &c);
	assert_string_equal(c.lang->tag, "sw");
	assert_int_equal(c.reason, MSG_LANG_APP);
	msg_lang_explain(&c, "", "sw", "KE", why, sizeof why);
	assert_string_equal(why, "sw: the app's language for KE");

	/* An unsupported locale falls through, and the "why" says so. */
	msg_lang_choose("tlh", NULL, "ES", &c);
	assert_string_equal(c.lang->tag, "es");
	assert_int_equal(c.reason, MSG_LANG_COUNTRY);
	assert_true(c.locale_unsupported);
	msg_lang_explain(&c, "tlh", NULL, "ES", why, sizeof why);
	assert_string_equal(why, "es: the main language of ES (the request's locale 'tlh' has no "
	                         "built-in templates)");

	/* An unsupported app language falls through too. */
	msg_lang_choose("tlh", "ta", "IN", &c);
	assert_string_equal(c.lang->tag, "en");
	assert_int_equal(c.reason, MSG_LANG_COUNTRY);
	assert_true(c.app_lang_unsupported);

	/* Nothing fits: English, with every reason. */
	msg_lang_choose("tlh", "ka", "GE", &c);
	assert_string_equal(c.lang->tag, "en");
	assert_int_equal(c.reason, MSG_LANG_DEFAULT);
	msg_lang_explain(&c, "tlh", "ka", "GE", why, sizeof why);
	assert_string_equal(why, "en: default (the request's locale 'tlh' has no built-in "
	                         "templates; the app's language 'ka' has no built-in templates; "
	                         "no built-in language fits GE)");
	msg_lang_choose(NULL, NULL, "ZZ", &c);
	assert_int_equal(c.reason, MSG_LANG_DEFAULT);
	assert_true(c.region_unknown);
	msg_lang_explain(&c, NULL, NULL, "ZZ", why, sizeof why);
	assert_string_equal(why, "en: default (ZZ is not a known region)");
	msg_lang_choose(NULL, NULL, NULL, &c);
	assert_string_equal(c.lang->tag, "en");
	assert_int_equal(c.reason, MSG_LANG_DEFAULT);
	msg_lang_explain(&c, NULL, NULL, NULL, why, sizeof why);
	assert_string_equal(why, "en: default");

	/* A buffer too small says so, and stays terminated. */
	char tiny[8];
	msg_lang_choose("tlh", NULL, "ES", &c);
	assert_int_equal(msg_lang_explain(&c, "tlh", NULL, "ES", tiny, sizeof tiny), MSG_ESPACE);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void voice_locales(void **state)
{
	(void)state;
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("es"), "MX"), "es-MX");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("es"), "es"), "es-ES");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("es"), "AR"), "es-US");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("zh-Hant"), "HK"), "zh-HK");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("zh-Hant"), "TW"), "zh-TW");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("pt"), "PT"), "pt-PT");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("pt"), NULL), "pt-BR");
	assert_string_equal(msg_lang_voice_locale(msg_lang_get("en"), "NG"), "en-US");
	for (size_t i = 0; i < msg_lang_count(); i++)
		assert_non_null(strchr(msg_lang_at(i)->voice_locale, '-'));
}

static void plural_categories(void **state)
{
	(void)state;
	/* clang-format off */
	const struct {
		enum msg_plural_rule rule;
		unsigned long n;
		enum msg_plural want;
	} cases[] = {
		{MSG_RULE_NONE, 1, MSG_PLURAL_OTHER},    {MSG_RULE_ONE, 1, MSG_PLURAL_ONE},
		{MSG_RULE_ONE, 0, MSG_PLURAL_OTHER},     {MSG_RULE_ONE, 2, MSG_PLURAL_OTHER},
		{MSG_RULE_ZERO_ONE, 0, MSG_PLURAL_ONE},  {MSG_RULE_ZERO_ONE, 1, MSG_PLURAL_ONE},
		{MSG_RULE_ZERO_ONE, 2, MSG_PLURAL_OTHER}, {MSG_RULE_SLAVIC, 1, MSG_PLURAL_ONE},
		{MSG_RULE_SLAVIC, 21, MSG_PLURAL_ONE},   {MSG_RULE_SLAVIC, 11, MSG_PLURAL_MANY},
		{MSG_RULE_SLAVIC, 2, MSG_PLURAL_FEW},    {MSG_RULE_SLAVIC, 24, MSG_PLURAL_FEW},
		{MSG_RULE_SLAVIC, 12, MSG_PLURAL_MANY},  {MSG_RULE_SLAVIC, 5, MSG_PLURAL_MANY},
		{MSG_RULE_SLAVIC, 111, MSG_PLURAL_MANY}, {MSG_RULE_SLAVIC, 0, MSG_PLURAL_MANY},
		{MSG_RULE_POLISH, 1, MSG_PLURAL_ONE},    {MSG_RULE_POLISH, 21, MSG_PLURAL_MANY},
		{MSG_RULE_POLISH, 22, MSG_PLURAL_FEW},   {MSG_RULE_POLISH, 12, MSG_PLURAL_MANY},
		{MSG_RULE_CZECH, 1, MSG_PLURAL_ONE},     {MSG_RULE_CZECH, 4, MSG_PLURAL_FEW},
		{MSG_RULE_CZECH, 5, MSG_PLURAL_OTHER},   {MSG_RULE_CZECH, 22, MSG_PLURAL_OTHER},
		{MSG_RULE_ROMANIAN, 1, MSG_PLURAL_ONE},  {MSG_RULE_ROMANIAN, 0, MSG_PLURAL_FEW},
		{MSG_RULE_ROMANIAN, 19, MSG_PLURAL_FEW}, {MSG_RULE_ROMANIAN, 20, MSG_PLURAL_OTHER},
		{MSG_RULE_ROMANIAN, 102, MSG_PLURAL_FEW}, {MSG_RULE_HEBREW, 2, MSG_PLURAL_TWO},
		{MSG_RULE_HEBREW, 10, MSG_PLURAL_OTHER}, {MSG_RULE_ARABIC, 0, MSG_PLURAL_ZERO},
		{MSG_RULE_ARABIC, 1, MSG_PLURAL_ONE},    {MSG_RULE_ARABIC, 2, MSG_PLURAL_TWO},
		{MSG_RULE_ARABIC, 3, MSG_PLURAL_FEW},    {MSG_RULE_ARABIC, 10, MSG_PLURAL_FEW},
		{MSG_RULE_ARABIC, 11, MSG_PLURAL_MANY},  {MSG_RULE_ARABIC, 99, MSG_PLURAL_MANY},
		{MSG_RULE_ARABIC, 100, MSG_PLURAL_OTHER}, {MSG_RULE_ARABIC, 102, MSG_PLURAL_OTHER},
		{MSG_RULE_ARABIC, 103, MSG_PLURAL_FEW},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (msg_plural_select(cases[i].rule, cases[i].n) != cases[i].want)
			fail_msg("rule %d, n=%lu: got %s, want %s", (int)cases[i].rule, cases[i].n,
			         msg_plural_name(msg_plural_select(cases[i].rule, cases[i].n)),
			         msg_plural_name(cases[i].want));
	assert_int_equal(msg_plural_from_name("few", 3), MSG_PLURAL_FEW);
	assert_int_equal(msg_plural_from_name("several", 7), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(required_languages_exist),
	    cmocka_unit_test(locales_map_to_languages),
	    cmocka_unit_test(every_libphonenumber_region_has_a_row),
	    cmocka_unit_test(numbers_from_every_continent),
	    cmocka_unit_test(choose_in_order_and_say_why),
	    cmocka_unit_test(voice_locales),
	    cmocka_unit_test(plural_categories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
