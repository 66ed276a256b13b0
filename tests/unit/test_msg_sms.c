/* SMS encoding and length: every character of the GSM-7 default alphabet and
 * its extension table, what forces UCS-2, and segment counts at each boundary,
 * including surrogate pairs and escapes that must not be split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "msg/msg.h"
#include "msg/sms.h"
#include "base/utf8.h"

/* TS 23.038's basic table in its order, written out independently of sms.c:
 * 128 positions less the escape at 0x1B. */
static const char basic_table[] = "@£$¥èéùìòÇ\nØø\rÅå"
                                  "Δ_ΦΓΛΩΠΨΣΘΞ" /* 0x1B, the escape, is skipped */ "ÆæßÉ"
                                  " !\"#¤%&'()*+,-./"
                                  "0123456789:;<=>?"
                                  "¡ABCDEFGHIJKLMNO"
                                  "PQRSTUVWXYZÄÖÑÜ§"
                                  "¿abcdefghijklmno"
                                  "pqrstuvwxyzäöñüà";

static const char extension_table[] = "\f^{}\\[~]|€";

static void repeat(char *out, const char *unit, int n)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(out, unit);
}

static void basic_table_is_one_septet_each(void **state)
{
	(void)state;
	size_t len = strlen(basic_table), i = 0;
	int count = 0;
	while (i < len) {
		int32_t cp = utf8_next(basic_table, len, &i);
		assert_true(cp > 0);
		if (msg_gsm7_septets((uint32_t)cp) != 1)
			fail_msg("U+%04X should be in the basic table", (unsigned)cp);
		count++;
	}
	assert_int_equal(count, 127);

	struct msg_sms_size m;
	assert_int_equal(msg_sms_measure(basic_table, &m), MSG_OK);
	assert_int_equal(m.encoding, MSG_GSM7);
	assert_int_equal(m.units, 127);
	assert_int_equal(m.chars, 127);
	assert_int_equal(m.segments, 1);
	assert_int_equal(m.first_ucs2, 0);
}

static void extension_table_is_two_septets_each(void **state)
{
	(void)state;
	size_t len = strlen(extension_table), i = 0;
	int count = 0;
	while (i < len) {
		int32_t cp = utf8_next(extension_table, len, &i);
		if (msg_gsm7_septets((uint32_t)cp) != 2)
			fail_msg("U+%04X should be in the extension table", (unsigned)cp);
		count++;
	}
	assert_int_equal(count, 10);

	struct msg_sms_size m;
	assert_int_equal(msg_sms_measure(extension_table, &m), MSG_OK);
	assert_int_equal(m.encoding, MSG_GSM7);
	assert_int_equal(m.units, 20);
	assert_int_equal(m.chars, 10);
}

static void everything_else_is_outside(void **state)
{
	(void)state;
	/* Look-alikes and neighbours of table characters that GSM-7 lacks. */
	const uint32_t outside[] = {
	    0x1B, /* the escape itself is no text */
	    '`',
	    0x00E7 /* ç: only capital Ç is in the table */,
	    0x00E1 /* á */,
	    0x00F3 /* ó */,
	    0x00E3 /* ã */,
	    0x00EA /* ê */,
	    0x00C8 /* È */,
	    0x00A0 /* no-break space */,
	    0x2019 /* ’ */,
	    0x201C /* “ */,
	    0x2026 /* … */,
	    0x00B0 /* ° */,
	    0x03B1 /* α: Greek capitals only */,
	    0x0416 /* Ж */,
	    0x0627 /* ا */,
	    0x4E2D /* 中 */,
	    0x1F600 /* 😀 */,
	    '\t',
	    0x7F,
	    0,
	};
	for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
		if (msg_gsm7_septets(outside[i]) != 0)
			fail_msg("U+%04X should not be in GSM-7", (unsigned)outside[i]);

	/* Every code point outside the tables counts 0: scan the BMP. */
	int in = 0;
	for (uint32_t cp = 1; cp < 0x10000; cp++)
		in += msg_gsm7_septets(cp) != 0;
	assert_int_equal(in, 127 + 10);
}

static void one_character_forces_ucs2(void **state)
{
	(void)state;
	struct msg_sms_size m;
	assert_int_equal(msg_sms_measure("Your code: 123-456.", &m), MSG_OK);
	assert_int_equal(m.encoding, MSG_GSM7);
	assert_int_equal(m.limit, 160);

	/* clang-format off */
	const struct {
		const char *text;
		uint32_t first;
		size_t units;
	} cases[] = {
		{"Tu código: 123-456.", 0x00F3, 19},
		{"Ça va ç", 0x00E7, 7},
		{"Code’s here", 0x2019, 11},
		{"Код 123", 0x041A, 7},
		{"OK 😀", 0x1F600, 5}, /* the emoji is a surrogate pair: 2 units */
		{"验证码", 0x9A8C, 3},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(msg_sms_measure(cases[i].text, &m), MSG_OK);
		assert_int_equal(m.encoding, MSG_UCS2);
		assert_int_equal(m.limit, 70);
		assert_int_equal(m.first_ucs2, cases[i].first);
		assert_int_equal(m.units, cases[i].units);
	}
	assert_string_equal(msg_encoding_name(MSG_GSM7), "GSM-7");
	assert_string_equal(msg_encoding_name(MSG_UCS2), "UCS-2");
}

static int segments(const char *text, size_t *units)
{
	struct msg_sms_size m;
	assert_int_equal(msg_sms_measure(text, &m), MSG_OK);
	if (units)
		*units = m.units;
	return m.segments;
}

static void gsm7_boundaries(void **state)
{
	(void)state;
	char text[2048], tail[1024];
	size_t units;

	assert_int_equal(segments("", &units), 1);
	assert_int_equal(units, 0);

	const struct {
		int n, segments;
	} cases[] = {{1, 1}, {160, 1}, {161, 2}, {306, 2}, {307, 3}, {459, 3}, {460, 4}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		repeat(text, "a", cases[i].n);
		assert_int_equal(segments(text, &units), cases[i].segments);
		assert_int_equal(units, (size_t)cases[i].n);
	}

	/* Extension characters count two: 159 + 2 = 161 septets. */
	repeat(text, "a", 159);
	strcat(text, "€");
	assert_int_equal(segments(text, &units), 2);
	assert_int_equal(units, 161);
	repeat(text, "a", 158);
	strcat(text, "€");
	assert_int_equal(segments(text, &units), 1);
	assert_int_equal(units, 160);

	/* An escape and its septet never straddle two parts: 152 + 2 + 152 = 306
	 * septets would be 2 parts of 153, but the euro sign cannot start at the
	 * 153rd septet, so the second part starts with it and a third is needed. */
	repeat(text, "a", 152);
	strcat(text, "€");
	repeat(tail, "a", 152);
	strcat(text, tail);
	assert_int_equal(segments(text, &units), 3);
	assert_int_equal(units, 306);
	/* Moved one earlier it fits: 151 + 2 = 153, then 153. */
	repeat(text, "a", 151);
	strcat(text, "€");
	repeat(tail, "a", 153);
	strcat(text, tail);
	assert_int_equal(segments(text, &units), 2);
}

static void ucs2_boundaries(void **state)
{
	(void)state;
	char text[4096];
	size_t units;

	const struct {
		int n, segments;
	} cases[] = {{70, 1}, {71, 2}, {134, 2}, {135, 3}, {201, 3}, {202, 4}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		repeat(text, "ж", cases[i].n);
		assert_int_equal(segments(text, &units), cases[i].segments);
		assert_int_equal(units, (size_t)cases[i].n);
	}
}

static void surrogate_pairs(void **state)
{
	(void)state;
	char text[4096], tail[2048];
	size_t units;
	struct msg_sms_size m;

	/* 35 emoji are 70 units, one segment; 36 are 72, two. */
	repeat(text, "😀", 35);
	assert_int_equal(msg_sms_measure(text, &m), MSG_OK);
	assert_int_equal(m.chars, 35);
	assert_int_equal(m.units, 70);
	assert_int_equal(m.segments, 1);
	repeat(text, "😀", 36);
	assert_int_equal(segments(text, &units), 2);
	assert_int_equal(units, 72);

	/* 69 letters and an emoji: 71 units. */
	repeat(text, "ж", 69);
	strcat(text, "😀");
	assert_int_equal(segments(text, &units), 2);
	assert_int_equal(units, 71);
	repeat(text, "ж", 68);
	strcat(text, "😀");
	assert_int_equal(segments(text, &units), 1);

	/* 66 + 2 + 66 = 134 units would be two parts of 67, but the pair cannot
	 * be split at the 67th unit: three parts. */
	repeat(text, "ж", 66);
	strcat(text, "😀");
	repeat(tail, "ж", 66);
	strcat(text, tail);
	assert_int_equal(segments(text, &units), 3);
	assert_int_equal(units, 134);
	/* 65 + 2 = 67, then 67: two. */
	repeat(text, "ж", 65);
	strcat(text, "😀");
	repeat(tail, "ж", 67);
	strcat(text, tail);
	assert_int_equal(segments(text, &units), 2);

	/* Characters outside the BMP other than emoji count two as well. */
	assert_int_equal(msg_sms_measure("𠀀", &m), MSG_OK); /* CJK Extension B */
	assert_int_equal(m.units, 2);
	assert_int_equal(m.chars, 1);
}

static void invalid_utf8_is_an_error(void **state)
{
	(void)state;
	/* clang-format off */
	const char *bad[] = {
		"\x80",                 /* a stray continuation byte */
		"abc\xC3",              /* truncated */
		"\xC0\xAF",             /* overlong '/' */
		"\xE0\x80\xAF",         /* overlong, three bytes */
		"\xED\xA0\x80",         /* a UTF-16 surrogate */
		"\xF4\x90\x80\x80",     /* above U+10FFFF */
		"\xF8\x88\x80\x80\x80", /* five bytes */
		"ok \xFF",
	};
	/* clang-format on */
	struct msg_sms_size m;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(msg_sms_measure(bad[i], &m), MSG_EUTF8);
		assert_false(utf8_valid(bad[i], strlen(bad[i])));
	}
	assert_true(utf8_valid("ü😀", strlen("ü😀")));
}

static void utf8_round_trip(void **state)
{
	(void)state;
	const uint32_t cps[] = {0x24, 0xA3, 0x20AC, 0x1F600, 0x10FFFF};
	for (size_t k = 0; k < sizeof cps / sizeof cps[0]; k++) {
		char buf[5];
		size_t n = utf8_put(cps[k], buf), i = 0;
		assert_true(n > 0);
		assert_int_equal(utf8_next(buf, n, &i), (int32_t)cps[k]);
		assert_int_equal(i, n);
	}
	char buf[5];
	assert_int_equal(utf8_put(0xD800, buf), 0);
	assert_int_equal(utf8_put(0x110000, buf), 0);
}

static void utf8_scrub_marks_bad_bytes(void **state)
{
	(void)state;
	char ok[] = "Caf\xc3\xa9 \xf0\x9f\x98\x80";
	utf8_scrub(ok);
	assert_string_equal(ok, "Caf\xc3\xa9 \xf0\x9f\x98\x80");
	/* A stray byte, an overlong '/', a surrogate and a character cut at the end. */
	char bad[] = "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82";
	utf8_scrub(bad);
	assert_string_equal(bad, "a?b??c???d??");
	assert_true(utf8_valid(bad, strlen(bad)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basic_table_is_one_septet_each),
	    cmocka_unit_test(extension_table_is_two_septets_each),
	    cmocka_unit_test(everything_else_is_outside),
	    cmocka_unit_test(one_character_forces_ucs2),
	    cmocka_unit_test(gsm7_boundaries),
	    cmocka_unit_test(ucs2_boundaries),
	    cmocka_unit_test(surrogate_pairs),
	    cmocka_unit_test(invalid_utf8_is_an_error),
	    cmocka_unit_test(utf8_round_trip),
	    cmocka_unit_test(utf8_scrub_marks_bad_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
