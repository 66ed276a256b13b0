/* Unit tests for src/phone: the C face on libphonenumber.
 *
 * Every expectation was checked against Debian 12's libphonenumber 8.12.57
 * and still holds with the current metadata iotp hands it
 * (src/phone/phone_metadata.c); the cases below test_init_twice are the
 * renumberings since late 2022 that the library's own metadata gets wrong.
 * tests/e2e/phone-reference.test.mjs compares every region with the
 * reference library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "phone/phone.h"

/* A macro, not a function, so a failure names the line of the case. */
#define EXPECT_PARSE(in_, rarg_, status_, e164_, region_, cc_, type_)	\
	do {								\
		struct phone_number n_;					\
		memset(&n_, 0x5a, sizeof(n_));				\
		assert_int_equal(phone_parse((in_), (rarg_), &n_),	\
				 (status_));				\
		assert_string_equal(n_.e164, (e164_));			\
		assert_string_equal(n_.region, (region_));		\
		assert_int_equal(n_.calling_code, (cc_));		\
		assert_string_equal(phone_type_name(n_.type), (type_));	\
	} while (0)

#define EXPECT_OK(in_, rarg_, e164_, region_, cc_, type_)		\
	EXPECT_PARSE(in_, rarg_, PHONE_OK, e164_, region_, cc_, type_)

/* On a refusal there is no number and no type, only the country if known. */
#define EXPECT_ERR(in_, rarg_, status_, region_, cc_)			\
	EXPECT_PARSE(in_, rarg_, status_, "", region_, cc_, "unknown")

static int setup(void **state)
{
	(void)state;
	return phone_init();
}

static void test_init_twice(void **state)
{
	(void)state;
	assert_int_equal(phone_init(), 0);
	assert_int_equal(phone_init(), 0);
}

/* Benin went from 8 to 10 digits in 2024 (01 + the old number); with the
 * library's own metadata these were "too long". */
static void test_benin_ten_digits(void **state)
{
	(void)state;
	EXPECT_OK("+229 01 95 12 34 56", NULL, "+2290195123456", "BJ", 229, "mobile");
	EXPECT_OK("01 20 21 12 34", "BJ", "+2290120211234", "BJ", 229, "fixed_line");
	EXPECT_ERR("+229 97 12 34 56", NULL, PHONE_INVALID_NUMBER, "BJ", 229);
	char buf[32];
	assert_int_equal(phone_example("BJ", buf, sizeof buf), 0);
	assert_string_equal(buf, "+229 01 95 12 34 56");
}

/* Chile's 600 numbers are fixed lines now (the late-2022 metadata refused
 * them). Mexico dropped the "1" of mobile numbers from international dialling
 * in 2019; current metadata no longer strips it, so "+52 1 ..." is one digit
 * too long, as the reference library says too. */
static void test_chile_mexico(void **state)
{
	(void)state;
	EXPECT_OK("+56 600 123 456", NULL, "+56600123456", "CL", 56, "fixed_line");
	EXPECT_OK("+52 55 1234 5678", NULL, "+525512345678", "MX", 52, "fixed_line_or_mobile");
	EXPECT_ERR("+52 1 55 1234 5678", NULL, PHONE_TOO_LONG, "MX", 52);
}

/* The version names the npm package the tables come from and their hash. */
static void test_metadata_version(void **state)
{
	(void)state;
	const char *v = phone_metadata_version();
	assert_non_null(strstr(v, "google-libphonenumber "));
	assert_non_null(strstr(v, ", sha256 "));
	assert_int_equal(strlen(strstr(v, ", sha256 ") + 9), 16);
}

/* The classic example number is in Guernsey's mobile range (07911 ...), and
 * the library reports the number's own region, not the +44 main region. */
static void test_gb_international(void **state)
{
	(void)state;
	EXPECT_OK("+44 7911 123456", NULL, "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("+44 7400 123456", NULL, "+447400123456", "GB", 44, "mobile");
}

static void test_gb_national_with_region(void **state)
{
	(void)state;
	EXPECT_OK("07911 123456", "GB", "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("07400 123456", "GB", "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("020 7946 0958", "GB", "+442079460958", "GB", 44, "fixed_line");
}

/* "00" is read as '+' only when no region is given; with GB the library
 * strips GB's own international prefix, which is also 00. */
static void test_leading_00(void **state)
{
	(void)state;
	EXPECT_OK("0044 7911 123456", NULL, "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("0044 7911 123456", "", "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("0044 7911 123456", "GB", "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("0033 6 12 34 56 78", NULL, "+33612345678", "FR", 33, "mobile");
	/* The US dials out with 011, so 00 there is not an exit code. */
	EXPECT_OK("011 44 7400 123456", "US", "+447400123456", "GB", 44, "mobile");
}

/* US numbers cannot be told mobile from fixed by their digits. */
static void test_us_typing_styles(void **state)
{
	(void)state;
	EXPECT_OK("(415) 555-2671", "US", "+14155552671", "US", 1, "fixed_line_or_mobile");
	EXPECT_OK("415.555.2671", "US", "+14155552671", "US", 1, "fixed_line_or_mobile");
	EXPECT_OK("415-555-2671", "US", "+14155552671", "US", 1, "fixed_line_or_mobile");
	EXPECT_OK("+1 415 555 2671", NULL, "+14155552671", "US", 1, "fixed_line_or_mobile");
	EXPECT_OK("1 (415) 555-2671", "US", "+14155552671", "US", 1, "fixed_line_or_mobile");
}

static void test_de_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+49 1512 3456789", NULL, "+4915123456789", "DE", 49, "mobile");
	EXPECT_OK("01512 3456789", "DE", "+4915123456789", "DE", 49, "mobile");
}

static void test_fr_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+33 6 12 34 56 78", NULL, "+33612345678", "FR", 33, "mobile");
	EXPECT_OK("06 12 34 56 78", "FR", "+33612345678", "FR", 33, "mobile");
}

static void test_in_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+91 98765 43210", NULL, "+919876543210", "IN", 91, "mobile");
}

static void test_br_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+55 11 91234-5678", NULL, "+5511912345678", "BR", 55, "mobile");
}

static void test_cn_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+86 138 0013 8000", NULL, "+8613800138000", "CN", 86, "mobile");
}

static void test_jp_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+81 90-1234-5678", NULL, "+819012345678", "JP", 81, "mobile");
	EXPECT_OK("090-1234-5678", "JP", "+819012345678", "JP", 81, "mobile");
}

static void test_ng_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+234 803 123 4567", NULL, "+2348031234567", "NG", 234, "mobile");
}

static void test_au_mobile(void **state)
{
	(void)state;
	EXPECT_OK("+61 412 345 678", NULL, "+61412345678", "AU", 61, "mobile");
	EXPECT_OK("0412 345 678", "AU", "+61412345678", "AU", 61, "mobile");
}

static void test_separators(void **state)
{
	(void)state;
	EXPECT_OK("+44.7400.123.456", NULL, "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("+44-7400-123456", NULL, "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("+44 (0) 7400 123456", NULL, "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("  +447400123456\t", NULL, "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("+44/7400/123456", NULL, "+447400123456", "GB", 44, "mobile");
}

/* Full-width digits (Japanese keyboards) and Arabic-Indic digits. */
static void test_non_ascii_digits(void **state)
{
	(void)state;
	EXPECT_OK("\xef\xbc\x8b\xef\xbc\x94\xef\xbc\x94 \xef\xbc\x97\xef\xbc\x94\xef\xbc\x90\xef\xbc\x90 "
		  "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96",
		  NULL, "+447400123456", "GB", 44, "mobile");
	EXPECT_OK("+\xd9\xa4\xd9\xa4 \xd9\xa7\xd9\xa4\xd9\xa0\xd9\xa0 "
		  "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",
		  NULL, "+447400123456", "GB", 44, "mobile");
}

/* Several countries share +1 and +7: the number tells which. */
static void test_shared_calling_codes(void **state)
{
	(void)state;
	EXPECT_OK("+1 416 555 0123", NULL, "+14165550123", "CA", 1, "fixed_line_or_mobile");
	EXPECT_OK("+7 912 345 6789", NULL, "+79123456789", "RU", 7, "mobile");
	EXPECT_OK("+7 701 234 5678", NULL, "+77012345678", "KZ", 7, "mobile");
}

static void test_too_short(void **state)
{
	(void)state;
	EXPECT_ERR("+44 791", NULL, PHONE_TOO_SHORT, "GB", 44);
	/* One digit after the code: the library refuses it while parsing. */
	EXPECT_ERR("+44 1", NULL, PHONE_TOO_SHORT, "GB", 44);
	EXPECT_ERR("041", "AU", PHONE_TOO_SHORT, "AU", 61);
	/* Not "too short": Australia has six-digit numbers (13 xx xx), so the
	 * length is possible and the number merely invalid. */
	EXPECT_ERR("0412 345", "AU", PHONE_INVALID_NUMBER, "AU", 61);
	/* The caller's region is kept when it shares the calling code. */
	EXPECT_ERR("(613) 555-01", "CA", PHONE_TOO_SHORT, "CA", 1);
}

/* A number without its area code has a length the library calls "local
 * only"; to the person typing it, it is too short. */
static void test_local_number_is_too_short(void **state)
{
	(void)state;
	EXPECT_ERR("555-2671", "US", PHONE_TOO_SHORT, "US", 1);
	EXPECT_ERR("+44 7911 1", NULL, PHONE_TOO_SHORT, "GB", 44);
}

static void test_too_long(void **state)
{
	(void)state;
	EXPECT_ERR("+44 7911 1234567890", NULL, PHONE_TOO_LONG, "GB", 44);
	EXPECT_ERR("07400 1234567", "GB", PHONE_TOO_LONG, "GB", 44);
	/* 18 digits after the code: the library refuses it while parsing,
	 * the country is still named. */
	EXPECT_ERR("+44 123456789012345678", NULL, PHONE_TOO_LONG, "GB", 44);
	EXPECT_ERR("0049 123456789012345678", NULL, PHONE_TOO_LONG, "DE", 49);
}

/* Inputs past PHONE_INPUT_MAX never reach the library. */
static void test_input_length_limit(void **state)
{
	char buf[256];

	(void)state;
	/* Exactly PHONE_INPUT_MAX characters: still read. */
	snprintf(buf, sizeof(buf), "%-*s", PHONE_INPUT_MAX, "+44 7400 123456");
	assert_int_equal(strlen(buf), PHONE_INPUT_MAX);
	EXPECT_OK(buf, NULL, "+447400123456", "GB", 44, "mobile");
	/* One more: refused. */
	strcat(buf, " ");
	EXPECT_ERR(buf, NULL, PHONE_TOO_LONG, "GB", 44);

	memset(buf, '7', 200);
	buf[200] = '\0';
	EXPECT_ERR(buf, "GB", PHONE_TOO_LONG, "GB", 44);
	memset(buf, 'x', 200);
	EXPECT_ERR(buf, NULL, PHONE_TOO_LONG, "", 0);
}

static void test_invalid_country_code(void **state)
{
	(void)state;
	EXPECT_ERR("+999 1234567", NULL, PHONE_INVALID_COUNTRY_CODE, "", 0);
	EXPECT_ERR("+999 1234567", "GB", PHONE_INVALID_COUNTRY_CODE, "", 0);
	EXPECT_ERR("00999 1234567", NULL, PHONE_INVALID_COUNTRY_CODE, "", 0);
}

static void test_missing_country_code(void **state)
{
	(void)state;
	EXPECT_ERR("07911 123456", NULL, PHONE_MISSING_COUNTRY_CODE, "", 0);
	EXPECT_ERR("07911 123456", "", PHONE_MISSING_COUNTRY_CODE, "", 0);
	EXPECT_ERR("(415) 555-2671", NULL, PHONE_MISSING_COUNTRY_CODE, "", 0);
}

/* An unknown region is no region the library supports: a national number
 * cannot be read with it, and the caller named a country, so the country
 * code is what is wrong. A '+' number does not need the region at all. */
static void test_unknown_region_argument(void **state)
{
	(void)state;
	EXPECT_ERR("07911 123456", "XX", PHONE_INVALID_COUNTRY_CODE, "", 0);
	EXPECT_ERR("07911 123456", "gb", PHONE_INVALID_COUNTRY_CODE, "", 0);
	EXPECT_ERR("07911 123456", "ZZ", PHONE_INVALID_COUNTRY_CODE, "", 0);
	EXPECT_OK("+44 7400 123456", "XX", "+447400123456", "GB", 44, "mobile");
}

static void test_not_a_number(void **state)
{
	(void)state;
	EXPECT_ERR("hello", NULL, PHONE_INVALID_NUMBER, "", 0);
	EXPECT_ERR("", NULL, PHONE_INVALID_NUMBER, "", 0);
	EXPECT_ERR("   ", NULL, PHONE_INVALID_NUMBER, "", 0);
	EXPECT_ERR(NULL, NULL, PHONE_INVALID_NUMBER, "", 0);
	EXPECT_ERR("+", NULL, PHONE_INVALID_NUMBER, "", 0);
	EXPECT_ERR("0", "GB", PHONE_INVALID_NUMBER, "GB", 44);
	/* With a region the country is known even for garbage. */
	EXPECT_ERR("abc", "GB", PHONE_INVALID_NUMBER, "GB", 44);
	EXPECT_ERR("", "DE", PHONE_INVALID_NUMBER, "DE", 49);
}

/* Right length, but no number of the country looks like it. */
static void test_invalid_number_of_known_country(void **state)
{
	(void)state;
	EXPECT_ERR("+1 999 123 4567", NULL, PHONE_INVALID_NUMBER, "US", 1);
	/* US toll-free exchanges never start with 1. */
	EXPECT_ERR("+1 800 123 4567", NULL, PHONE_INVALID_NUMBER, "US", 1);
	EXPECT_ERR("+44 7911 12345", NULL, PHONE_INVALID_NUMBER, "GB", 44);
}

static void test_premium_rate(void **state)
{
	(void)state;
	EXPECT_OK("+44 909 8765432", NULL, "+449098765432", "GB", 44, "premium_rate");
	EXPECT_OK("0909 876 5432", "GB", "+449098765432", "GB", 44, "premium_rate");
}

static void test_toll_free(void **state)
{
	(void)state;
	EXPECT_OK("+1 800 234 5678", NULL, "+18002345678", "US", 1, "toll_free");
	/* Letters on the keypad are converted ("vanity numbers"). */
	EXPECT_OK("1-800-FLOWERS", "US", "+18003569377", "US", 1, "toll_free");
	EXPECT_OK("0800 123 4567", "GB", "+448001234567", "GB", 44, "toll_free");
}

/* +800 is the International Freephone Service: valid, but of no region. */
static void test_non_geographic(void **state)
{
	(void)state;
	EXPECT_OK("+800 1234 5678", NULL, "+80012345678", "", 800, "toll_free");
	assert_string_equal(phone_region_for_calling_code(800), "");
}

static void test_out_reset_and_null(void **state)
{
	struct phone_number n;

	(void)state;
	assert_int_equal(phone_parse("+44 7400 123456", NULL, &n), PHONE_OK);
	/* A refusal after a success leaves nothing of the old number. */
	assert_int_equal(phone_parse("+999 1234567", NULL, &n), PHONE_INVALID_COUNTRY_CODE);
	assert_string_equal(n.e164, "");
	assert_string_equal(n.region, "");
	assert_int_equal(n.calling_code, 0);
	assert_int_equal(n.type, PHONE_TYPE_UNKNOWN);

	assert_int_equal(phone_parse("+44 7400 123456", NULL, NULL), PHONE_OK);
	assert_int_equal(phone_parse("+44 1", NULL, NULL), PHONE_TOO_SHORT);
}

/* phone_parse answers from its cache exactly what the library answers: the
 * same text with another region, or with a region where none was given, is
 * another question; failures are cached as failures; an input too long for a
 * cache slot is still parsed. */
static void test_cache_same_answers(void **state)
{
	static const struct {
		const char *text, *region;
	} q[] = {
		{"07911 123456", "GB"}, {"07911 123456", "FR"}, {"07911 123456", NULL},
		{"07911 123456", ""},   {"+44 7911 123456", NULL}, {"+44 1", NULL},
		{"+999 1234567", NULL}, {"(415) 555-2671", "US"}, {"415 555 2671", "CA"},
		{"+44 7911 123456 and then a great deal more text than a slot holds", NULL},
		{"", NULL},
	};
	(void)state;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
			struct phone_number a, b;
			memset(&a, 0x55, sizeof a);
			memset(&b, 0x55, sizeof b);
			enum phone_status sa = phone_parse(q[i].text, q[i].region, &a);
			enum phone_status sb = phone_parse_uncached(q[i].text, q[i].region, &b);
			assert_int_equal(sa, sb);
			assert_memory_equal(&a, &b, sizeof a);
		}
	}
	struct phone_number gb, fr;
	assert_int_equal(phone_parse("07911 123456", "GB", &gb), PHONE_OK);
	assert_string_equal(gb.e164, "+447911123456");
	assert_int_not_equal(phone_parse("07911 123456", "FR", &fr), PHONE_OK);
}

static void test_type_names(void **state)
{
	static const char *const names[PHONE_TYPE_COUNT] = {
		"unknown", "mobile", "fixed_line", "fixed_line_or_mobile",
		"toll_free", "premium_rate", "shared_cost", "voip",
		"personal_number", "pager", "uan", "voicemail",
	};

	(void)state;
	for (int t = 0; t < PHONE_TYPE_COUNT; t++) {
		assert_string_equal(phone_type_name((enum phone_type)t), names[t]);
		assert_int_equal(phone_type_from_name(names[t]), t);
	}
	assert_string_equal(phone_type_name(PHONE_TYPE_COUNT), "unknown");
	assert_string_equal(phone_type_name((enum phone_type)-1), "unknown");
	assert_int_equal(phone_type_from_name("Mobile"), -1);
	assert_int_equal(phone_type_from_name("cell"), -1);
	assert_int_equal(phone_type_from_name(""), -1);
	assert_int_equal(phone_type_from_name(NULL), -1);
}

static void test_region_known(void **state)
{
	(void)state;
	assert_int_equal(phone_region_known("GB"), 1);
	assert_int_equal(phone_region_known("US"), 1);
	assert_int_equal(phone_region_known("GG"), 1);
	assert_int_equal(phone_region_known("XK"), 1);
	assert_int_equal(phone_region_known("gb"), 0);
	assert_int_equal(phone_region_known("XX"), 0);
	assert_int_equal(phone_region_known("ZZ"), 0);
	assert_int_equal(phone_region_known("001"), 0);
	assert_int_equal(phone_region_known("GBR"), 0);
	assert_int_equal(phone_region_known("G"), 0);
	assert_int_equal(phone_region_known(""), 0);
	assert_int_equal(phone_region_known(NULL), 0);
}

static void test_country_names(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(phone_country_name("GB", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "United Kingdom");
	assert_int_equal(phone_country_name("US", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "United States");
	assert_int_equal(phone_country_name("DE", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Germany");
	assert_int_equal(phone_country_name("GG", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Guernsey");
	assert_int_equal(phone_country_name("CI", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "C\xc3\xb4te d\xe2\x80\x99Ivoire");

	assert_int_equal(phone_country_name("XX", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(phone_country_name("gb", buf, sizeof(buf)), -1);
	assert_int_equal(phone_country_name(NULL, buf, sizeof(buf)), -1);
	assert_int_equal(phone_country_name("GB", NULL, 0), -1);
}

/* Truncation never splits a UTF-8 character. */
static void test_country_name_truncated(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(phone_country_name("GB", buf, 5), 0);
	assert_string_equal(buf, "Unit");
	/* "Cô": 'C' and two bytes of 'ô' do not fit in 2 bytes + NUL. */
	assert_int_equal(phone_country_name("CI", buf, 3), 0);
	assert_string_equal(buf, "C");
	assert_int_equal(phone_country_name("CI", buf, 4), 0);
	assert_string_equal(buf, "C\xc3\xb4");
	assert_int_equal(phone_country_name("GB", buf, 1), 0);
	assert_string_equal(buf, "");
}

static void test_calling_codes(void **state)
{
	(void)state;
	assert_int_equal(phone_calling_code("GB"), 44);
	assert_int_equal(phone_calling_code("US"), 1);
	assert_int_equal(phone_calling_code("CA"), 1);
	assert_int_equal(phone_calling_code("DE"), 49);
	assert_int_equal(phone_calling_code("NG"), 234);
	assert_int_equal(phone_calling_code("GG"), 44);
	assert_int_equal(phone_calling_code("XX"), 0);
	assert_int_equal(phone_calling_code("gb"), 0);
	assert_int_equal(phone_calling_code(NULL), 0);
}

static void test_region_for_calling_code(void **state)
{
	(void)state;
	assert_string_equal(phone_region_for_calling_code(44), "GB");
	assert_string_equal(phone_region_for_calling_code(1), "US");
	assert_string_equal(phone_region_for_calling_code(7), "RU");
	assert_string_equal(phone_region_for_calling_code(49), "DE");
	assert_string_equal(phone_region_for_calling_code(234), "NG");
	assert_string_equal(phone_region_for_calling_code(999), "");
	assert_string_equal(phone_region_for_calling_code(0), "");
	assert_string_equal(phone_region_for_calling_code(-44), "");
	assert_string_equal(phone_region_for_calling_code(1000), "");
	assert_string_equal(phone_region_for_calling_code(4400), "");
}

static void test_examples(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(phone_example("GB", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+44 7400 123456");
	assert_int_equal(phone_example("DE", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+49 1512 3456789");
	/* International format keeps the NANP's dashes. */
	assert_int_equal(phone_example("US", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+1 201-555-0123");
	assert_int_equal(phone_example("GB", buf, 4), 0);
	assert_string_equal(buf, "+44");

	assert_int_equal(phone_example("XX", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(phone_example(NULL, buf, sizeof(buf)), -1);
	assert_int_equal(phone_example("GB", NULL, 0), -1);
}

/* Every region the library knows has a name, a calling code and an example
 * that parses back to that calling code: error messages can rely on them. */
static void test_every_region(void **state)
{
	int regions = 0;

	(void)state;
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char r[3] = { a, b, '\0' };
			char name[128], ex[64];
			struct phone_number n;
			int cc;

			if (!phone_region_known(r))
				continue;
			regions++;
			cc = phone_calling_code(r);
			assert_true(cc > 0);
			assert_int_equal(phone_country_name(r, name, sizeof(name)), 0);
			assert_true(strlen(name) > 2);
			assert_int_equal(phone_example(r, ex, sizeof(ex)), 0);
			assert_int_equal(phone_parse(ex, NULL, &n), PHONE_OK);
			assert_int_equal(n.calling_code, cc);
			assert_int_equal(phone_parse(ex, r, &n), PHONE_OK);
			assert_string_not_equal(phone_region_for_calling_code(cc), "");
		}
	}
	/* 245 in the 8.12.57 metadata. */
	assert_true(regions > 200);
}

/* "+" and digits are read without the library's parser (phone_type.cc):
 * every region's example in E.164, with its last digit cut and with one more,
 * must read exactly as the same digits with a space after the calling code,
 * which the library parses. */
static void test_e164_reads_as_library(void **state)
{
	int compared = 0;

	(void)state;
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char r[3] = { a, b, '\0' };
			char ex[64];
			struct phone_number n;

			if (!phone_region_known(r) || phone_example(r, ex, sizeof(ex)) != 0 ||
			    phone_parse_uncached(ex, NULL, &n) != PHONE_OK)
				continue;
			char cc[8];
			snprintf(cc, sizeof cc, "%d", n.calling_code);
			const char *nsn = n.e164 + 1 + strlen(cc);
			for (int cut = -1; cut <= 1; cut++) {
				char tight[40], spaced[40];
				int len = (int)strlen(nsn) + cut;
				snprintf(tight, sizeof tight, "+%s%.*s%s", cc, len, nsn, cut > 0 ? "5" : "");
				snprintf(spaced, sizeof spaced, "+%s %.*s%s", cc, len, nsn, cut > 0 ? "5" : "");
				struct phone_number x, y;
				memset(&x, 0x5a, sizeof x);
				memset(&y, 0x5a, sizeof y);
				assert_int_equal(phone_parse_uncached(tight, NULL, &x),
						 phone_parse_uncached(spaced, NULL, &y));
				assert_memory_equal(&x, &y, sizeof x);
				compared++;
			}
		}
	}
	assert_true(compared > 600);
	/* What the quick reading must leave to the library: a national prefix
	 * after the calling code (stripped when the rest is a possible
	 * number), a leading zero that is part of the number (Italy), no
	 * calling code, and lengths the library refuses. */
	EXPECT_OK("+112025550123", NULL, "+12025550123", "US", 1, "fixed_line_or_mobile");
	EXPECT_OK("+4407911123456", NULL, "+447911123456", "GG", 44, "mobile");
	EXPECT_OK("+789161234567", NULL, "+79161234567", "RU", 7, "mobile");
	EXPECT_OK("+390612345678", NULL, "+390612345678", "IT", 39, "fixed_line");
	EXPECT_OK("+447911123456", NULL, "+447911123456", "GG", 44, "mobile");
	EXPECT_ERR("+0447911123456", NULL, PHONE_INVALID_COUNTRY_CODE, "GB", 44);
	EXPECT_ERR("+441", NULL, PHONE_TOO_SHORT, "GB", 44);
	EXPECT_ERR("+4479111234567890123", NULL, PHONE_TOO_LONG, "GB", 44);
}

struct worker {
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct phone_number n;

	for (int i = 0; i < 300; i++) {
		if (phone_parse("+44 7911 123456", NULL, &n) != PHONE_OK ||
		    strcmp(n.e164, "+447911123456") != 0)
			w->failures++;
		if (phone_parse("(415) 555-2671", "US", &n) != PHONE_OK ||
		    n.type != PHONE_TYPE_FIXED_LINE_OR_MOBILE)
			w->failures++;
		if (phone_parse("+44 1", NULL, &n) != PHONE_TOO_SHORT ||
		    n.calling_code != 44)
			w->failures++;
	}
	return NULL;
}

/* The header promises thread safety after phone_init(). */
static void test_threads(void **state)
{
	pthread_t t[4];
	struct worker w[4] = { { 0 } };

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_twice),
		cmocka_unit_test(test_e164_reads_as_library),
		cmocka_unit_test(test_gb_international),
		cmocka_unit_test(test_gb_national_with_region),
		cmocka_unit_test(test_leading_00),
		cmocka_unit_test(test_us_typing_styles),
		cmocka_unit_test(test_de_mobile),
		cmocka_unit_test(test_fr_mobile),
		cmocka_unit_test(test_in_mobile),
		cmocka_unit_test(test_br_mobile),
		cmocka_unit_test(test_cn_mobile),
		cmocka_unit_test(test_jp_mobile),
		cmocka_unit_test(test_ng_mobile),
		cmocka_unit_test(test_au_mobile),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_non_ascii_digits),
		cmocka_unit_test(test_shared_calling_codes),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_local_number_is_too_short),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_input_length_limit),
		cmocka_unit_test(test_invalid_country_code),
		cmocka_unit_test(test_missing_country_code),
		cmocka_unit_test(test_unknown_region_argument),
		cmocka_unit_test(test_not_a_number),
		cmocka_unit_test(test_invalid_number_of_known_country),
		cmocka_unit_test(test_premium_rate),
		cmocka_unit_test(test_toll_free),
		cmocka_unit_test(test_non_geographic),
		cmocka_unit_test(test_out_reset_and_null),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_region_known),
		cmocka_unit_test(test_country_names),
		cmocka_unit_test(test_country_name_truncated),
		cmocka_unit_test(test_calling_codes),
		cmocka_unit_test(test_region_for_calling_code),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_every_region),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_benin_ten_digits),
		cmocka_unit_test(test_chile_mexico),
		cmocka_unit_test(test_metadata_version),
		cmocka_unit_test(test_cache_same_answers),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
