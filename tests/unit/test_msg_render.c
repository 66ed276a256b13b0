/* Rendering: every built-in SMS of every language fits one segment with a
 * 10-digit code, a 12-character app name and both auto-fill lines; the
 * suffix lines have their exact formats; right-to-left texts isolate the
 * code; voice scripts say the code twice; plural forms agree; the English texts are
 * exactly what iotp has always sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/code.h"
#include "msg/builtin.h"
#include "msg/catalog.h"
#include "msg/compose.h"
#include "msg/lang.h"
#include "msg/msg.h"
#include "msg/sms.h"
#include "msg/template.h"
#include "msg/voice.h"

#define LRI "\xE2\x81\xA6"
#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"
#define HASH "FA+9qCX9VSu"

/* A typical app (a 6-character name, and the default 6-digit code) and the
 * worst cases the promises cover: a 12-character name, a 10-digit code, and
 * each combination of suffix lines. */
static const struct msg_app typical = {.name = "AcmeCo"};
static const struct msg_app bare = {.name = "Example Shop"};
static const struct msg_app hashed = {.name = "Example Shop", .app_hash = HASH};
static const struct msg_app bound = {.name = "Example Shop", .domain = "example.com"};
static const struct msg_app both = {
    .name = "Example Shop", .domain = "example.com", .app_hash = HASH};
static const struct msg_app both_inline = {.name = "Example Shop",
                                           .domain = "example.com",
                                           .app_hash = HASH,
                                           .hash_place = MSG_HASH_ORIGIN_LINE};

static const int lifetimes[] = {1, 2, 3, 5, 10, 11, 15, 21, 30, 60, 100};

/* The languages whose every form is written in GSM-7. */
static const char *const gsm_langs[] = {"en", "es", "fr", "de", "it", "nl", "id", "ms", "sw", "sv"};

static const char *last_line(const char *text)
{
	const char *nl = strrchr(text, '\n');
	return nl ? nl + 1 : text;
}

/* The WICG parsing rules for the last line: '@', the host, exactly one space,
 * '#', the code, then the end or a space and ignored text. */
static int origin_line_ok(const char *text, const char *host, const char *code)
{
	const char *l = last_line(text);
	size_t h = strlen(host), c = strlen(code);
	return l[0] == '@' && strncmp(l + 1, host, h) == 0 && l[1 + h] == ' ' && l[2 + h] == '#' &&
	       strncmp(l + 3 + h, code, c) == 0 && (l[3 + h + c] == '\0' || l[3 + h + c] == ' ');
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

static void every_language_fits_one_segment(void **state)
{
	(void)state;
	const struct msg_app *apps[] = {&bare, &hashed, &bound, &both, &both_inline};
	char out[1024], grouped[16];
	assert_int_equal(msg_code_group("1234567890", grouped, sizeof grouped), MSG_OK);

	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		for (size_t a = 0; a < sizeof apps / sizeof apps[0]; a++) {
			for (size_t k = 0; k < sizeof lifetimes / sizeof lifetimes[0]; k++) {
				struct msg_sms_info info;
				int rc = msg_render_sms(NULL, lang, apps[a], "1234567890",
				                        lifetimes[k], out, sizeof out, &info);
				if (rc != MSG_OK || info.size.segments != 1)
					fail_msg("%s, app %zu, %d min: %d segments (%zu %s), form "
					         "%s:\n%s",
					         lang->tag, a, lifetimes[k], info.size.segments,
					         info.size.units,
					         msg_encoding_name(info.size.encoding),
					         msg_form_name(info.form), out);
				assert_true(info.size.units <= info.size.limit);
				assert_false(info.overridden);
				/* The code is there: grouped in the text, or bare on the
				 * origin-bound line when the warning form dropped it. */
				if (info.form == MSG_FORM_WARNING)
					assert_true(
					    origin_line_ok(out, "example.com", "1234567890"));
				else
					assert_non_null(strstr(out, grouped));
				if (apps[a]->domain)
					assert_true(
					    origin_line_ok(out, "example.com", "1234567890"));
				if (apps[a]->app_hash)
					assert_int_equal(count(out, HASH), 1);
			}
		}
	}
}

static void forms_keep_their_promises(void **state)
{
	(void)state;
	char out[1024];
	struct msg_sms_size m;
	/* clang-format off */
	const struct {
		enum msg_form form;
		const struct msg_app *app;
		const char *code;
	} promises[] = {
		{MSG_FORM_FULL, &typical, "123456"},       {MSG_FORM_SHORT, &bare, "1234567890"},
		{MSG_FORM_CODE, &hashed, "1234567890"},    {MSG_FORM_CODE, &bound, "1234567890"},
		{MSG_FORM_WARNING, &both, "1234567890"},   {MSG_FORM_WARNING, &both_inline, "1234567890"},
	};
	/* clang-format on */
	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		const struct msg_builtin *b = msg_builtin_get(lang);
		for (size_t p = 0; p < sizeof promises / sizeof promises[0]; p++) {
			int rc = msg_sms_compose(lang, b->sms[promises[p].form], promises[p].app,
			                         promises[p].code, 10, out, sizeof out, &m);
			if (rc != MSG_OK)
				fail_msg("%s %s form: %zu %s, over one segment:\n%s", lang->tag,
				         msg_form_name(promises[p].form), m.units,
				         msg_encoding_name(m.encoding), out);
		}

		/* What each form says: the richer two all four facts, the code form
		 * the code, the warning form nothing but words. */
		const char *syntax_name[MSG_FORMS] = {"full", "short", "code", "warning"};
		for (int f = MSG_FORM_FULL; f <= MSG_FORM_SHORT; f++) {
			assert_true(msg_template_uses(b->sms[f], "app"));
			assert_true(msg_template_uses(b->sms[f], "minutes"));
		}
		for (int f = MSG_FORM_FULL; f <= MSG_FORM_CODE; f++) {
			char err[256];
			assert_true(msg_template_uses(b->sms[f], "code"));
			if (msg_template_check_syntax(syntax_name[f], MSG_SMS, b->sms[f], err,
			                              sizeof err) != MSG_OK)
				fail_msg("%s: %s", lang->tag, err);
		}
		assert_null(strchr(b->sms[MSG_FORM_WARNING], '{'));
		char err[256];
		if (msg_template_check_syntax("voice", MSG_VOICE, b->voice, err, sizeof err) !=
		    MSG_OK)
			fail_msg("%s: %s", lang->tag, err);
		assert_int_equal(count(b->voice, "{code}"), 2);
		assert_true(msg_template_uses(b->voice, "minutes"));
		assert_true(msg_template_uses(b->voice, "app"));
	}
}

static void ladder_takes_the_richest_form_that_fits(void **state)
{
	(void)state;
	const struct msg_app *apps[] = {&typical, &bare, &hashed, &bound, &both};
	char out[1024];
	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		const struct msg_builtin *b = msg_builtin_get(lang);
		for (size_t a = 0; a < sizeof apps / sizeof apps[0]; a++) {
			struct msg_sms_info info;
			assert_int_equal(msg_render_sms(NULL, lang, apps[a], "1234567890", 10, out,
			                                sizeof out, &info),
			                 MSG_OK);
			for (int f = MSG_FORM_FULL; f < (int)info.form; f++)
				assert_int_equal(msg_sms_compose(lang, b->sms[f], apps[a],
				                                 "1234567890", 10, out, sizeof out,
				                                 NULL),
				                 MSG_MULTIPART);
			/* Without the origin-bound line the code must stay in the text. */
			if (!apps[a]->domain)
				assert_true(info.form <= MSG_FORM_CODE);
		}
	}
	/* The GSM-7 languages keep their full form even in the worst case. */
	for (size_t i = 0; i < sizeof gsm_langs / sizeof gsm_langs[0]; i++) {
		struct msg_sms_info info;
		const struct msg_lang *lang = msg_lang_get(gsm_langs[i]);
		assert_int_equal(
		    msg_render_sms(NULL, lang, &both, "1234567890", 100, out, sizeof out, &info),
		    MSG_OK);
		if (info.form != MSG_FORM_FULL || info.size.encoding != MSG_GSM7)
			fail_msg("%s: %s form in %s", gsm_langs[i], msg_form_name(info.form),
			         msg_encoding_name(info.size.encoding));
	}
}

static void suffix_formats(void **state)
{
	(void)state;
	const struct msg_lang *en = msg_lang_get("en");
	const char *text = "Your Example Shop code: 123-456. Don't share this code with anyone. "
	                   "It expires in 10 minutes.";
	char out[512], want[512];

	assert_int_equal(msg_render_sms(NULL, en, &bare, "123456", 10, out, sizeof out, NULL), 0);
	assert_string_equal(out, text);

	/* The hash ends the message on a line of its own. */
	assert_int_equal(msg_render_sms(NULL, en, &hashed, "123456", 10, out, sizeof out, NULL), 0);
	snprintf(want, sizeof want, "%s\n" HASH, text);
	assert_string_equal(out, want);

	/* The origin-bound line is last, with the bare digits. */
	assert_int_equal(msg_render_sms(NULL, en, &bound, "123456", 10, out, sizeof out, NULL), 0);
	snprintf(want, sizeof want, "%s\n@example.com #123456", text);
	assert_string_equal(out, want);
	assert_true(origin_line_ok(out, "example.com", "123456"));

	/* Both: the hash above the origin-bound line, which stays last... */
	assert_int_equal(msg_render_sms(NULL, en, &both, "123456", 10, out, sizeof out, NULL), 0);
	snprintf(want, sizeof want, "%s\n" HASH "\n@example.com #123456", text);
	assert_string_equal(out, want);
	assert_true(origin_line_ok(out, "example.com", "123456"));

	/* ...or after the code on it, as text the WICG parser ignores. */
	assert_int_equal(
	    msg_render_sms(NULL, en, &both_inline, "123456", 10, out, sizeof out, NULL), 0);
	snprintf(want, sizeof want, "%s\n@example.com #123456 " HASH, text);
	assert_string_equal(out, want);
	assert_true(origin_line_ok(out, "example.com", "123456"));
	assert_int_equal(strcmp(out + strlen(out) - strlen(HASH), HASH), 0);

	/* Every language: the same lines, byte for byte, after its text. */
	for (size_t i = 0; i < msg_lang_count(); i++) {
		struct msg_sms_info info;
		assert_int_equal(msg_render_sms(NULL, msg_lang_at(i), &both, "12345678", 10, out,
		                                sizeof out, &info),
		                 MSG_OK);
		const char *tail = "\n" HASH "\n@example.com #12345678";
		assert_string_equal(out + strlen(out) - strlen(tail), tail);
		/* One segment is 140 bytes on the air: the Retriever's limit. */
		assert_int_equal(info.size.segments, 1);
	}
}

static size_t units_of(const char *text)
{
	struct msg_sms_size m;
	assert_int_equal(msg_sms_measure(text, &m), MSG_OK);
	return m.units;
}

static void strip_isolates(const char *in, char *out)
{
	size_t o = 0;
	for (size_t i = 0; in[i];) {
		if ((unsigned char)in[i] == 0xE2 && (unsigned char)in[i + 1] == 0x81 &&
		    (unsigned char)in[i + 2] >= 0xA6 && (unsigned char)in[i + 2] <= 0xA9) {
			i += 3;
			continue;
		}
		out[o++] = in[i++];
	}
	out[o] = '\0';
}

static void rtl_isolates_keep_the_code_in_order(void **state)
{
	(void)state;
	const char *rtl[] = {"ar", "fa", "ur", "he"};
	char out[1024], plain[1024];

	for (size_t i = 0; i < sizeof rtl / sizeof rtl[0]; i++) {
		const struct msg_lang *lang = msg_lang_get(rtl[i]);
		const struct msg_builtin *b = msg_builtin_get(lang);
		for (int f = MSG_FORM_FULL; f <= MSG_FORM_CODE; f++) {
			assert_in_range(msg_sms_compose(lang, b->sms[f], &both, "123456", 10, out,
			                                sizeof out, NULL),
			                MSG_OK, MSG_MULTIPART);
			/* The grouped code sits in a left-to-right isolate. */
			assert_non_null(strstr(out, LRI "123-456" PDI));
			/* The app's name, where shown, in a first-strong isolate. */
			if (f != MSG_FORM_CODE)
				assert_non_null(strstr(out, FSI "Example Shop" PDI));
			/* The isolates count: every one is a UCS-2 unit. */
			strip_isolates(out, plain);
			int isolates = count(out, LRI) + count(out, FSI) + count(out, PDI);
			assert_int_equal(units_of(out), units_of(plain) + (size_t)isolates);
			/* The machine lines stay bare: parsers read them byte by byte. */
			assert_string_equal(last_line(out), "@example.com #123456");
			assert_non_null(strstr(out, "\n" HASH "\n"));
		}
		/* The origin line's code is never isolated or grouped. */
		assert_null(strstr(out, "#" LRI));
	}

	/* Left-to-right languages add nothing for a Latin name... */
	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		if (lang->rtl)
			continue;
		assert_int_equal(
		    msg_render_sms(NULL, lang, &both, "123456", 10, out, sizeof out, NULL), MSG_OK);
		assert_null(strstr(out, LRI));
		assert_null(strstr(out, FSI));
		assert_null(strstr(out, PDI));
	}
	/* ...but isolate a right-to-left one, which also makes the text UCS-2 (and
	 * so the short form). */
	const struct msg_app arabic_name = {.name = "متجر"};
	struct msg_sms_info info;
	assert_int_equal(msg_render_sms(NULL, msg_lang_get("en"), &arabic_name, "123456", 10, out,
	                                sizeof out, &info),
	                 MSG_OK);
	assert_non_null(strstr(out, FSI "متجر" PDI " code: 123-456."));
	assert_int_equal(info.form, MSG_FORM_SHORT);
	assert_int_equal(info.size.encoding, MSG_UCS2);

	/* An operator's {domain} in a right-to-left text is isolated too. */
	char ltr[256];
	struct msg_buf buf;
	struct msg_vars v = {.app = "X", .code = "123456", .minutes = 5, .domain = "example.com"};
	msg_buf_init(&buf, ltr, sizeof ltr);
	assert_int_equal(
	    msg_template_expand("{code} @ {domain}", msg_lang_get("ar"), &v, MSG_STYLE_SMS, &buf),
	    MSG_OK);
	assert_string_equal(ltr, LRI "123-456" PDI " @ " LRI "example.com" PDI);
}

static void voice_says_the_code_twice(void **state)
{
	(void)state;
	char script[2048], ssml[8192];
	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		assert_int_equal(msg_render_voice(NULL, lang, &typical, "123456", 10, NULL, script,
		                                  sizeof script, ssml, sizeof ssml),
		                 MSG_OK);
		if (count(script, "1, 2, 3, 4, 5, 6") != 2)
			fail_msg("%s: %s", lang->tag, script);
		assert_null(strstr(script, "123456"));
		assert_null(strstr(script, LRI)); /* speech needs no isolates */
		assert_non_null(strstr(script, "AcmeCo"));

		char head[160];
		snprintf(head, sizeof head,
		         "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" "
		         "xml:lang=\"%s\">",
		         lang->voice_locale);
		assert_int_equal(strncmp(ssml, head, strlen(head)), 0);
		assert_string_equal(ssml + strlen(ssml) - strlen("</speak>"), "</speak>");
		/* Five pauses between six digits, said twice. */
		assert_int_equal(count(ssml, "<break time=\"500ms\"/>"), 10);
		assert_int_equal(count(ssml, "<"), 12);
	}

	/* The region picks a regional voice; text is escaped for XML only in SSML. */
	const struct msg_app odd = {.name = "A&B <Co>"};
	assert_int_equal(msg_render_voice(NULL, msg_lang_get("es"), &odd, "4821", 5, "MX", script,
	                                  sizeof script, ssml, sizeof ssml),
	                 MSG_OK);
	assert_string_equal(script, "Tu código de A&B <Co> es: 4, 8, 2, 1. Repito: 4, 8, 2, 1. "
	                            "No compartas este código con nadie. Expira en 5 minutos.");
	assert_non_null(strstr(ssml, "xml:lang=\"es-MX\">Tu código de A&amp;B &lt;Co&gt; es: 4"));
	assert_non_null(strstr(ssml, "4<break time=\"500ms\"/> 8<break time=\"500ms\"/> 2"));

	/* The script alone, without SSML. */
	assert_int_equal(msg_render_voice(NULL, msg_lang_get("ja"), &typical, "1234", 3, NULL,
	                                  script, sizeof script, NULL, 0),
	                 MSG_OK);
	assert_string_equal(script,
	                    "AcmeCoの認証コードは、1, 2, 3, 4です。もう一度言います。1, 2, "
	                    "3, 4。このコードを他人に教えないでください。有効期限は3分です。");
}

static void render_in(const char *tag, const struct msg_app *app, int minutes, int voice, char *out,
                      size_t size)
{
	const struct msg_lang *lang = msg_lang_get(tag);
	if (voice)
		assert_int_equal(
		    msg_render_voice(NULL, lang, app, "123456", minutes, NULL, out, size, NULL, 0),
		    MSG_OK);
	else
		assert_int_equal(
		    msg_render_sms(NULL, lang, app, "123456", minutes, out, size, NULL), MSG_OK);
}

static void plural_forms_agree(void **state)
{
	(void)state;
	/* clang-format off */
	const struct {
		const char *lang;
		int voice, minutes;
		const char *want;
	} cases[] = {
		{"en", 0, 1, "expires in 1 minute."},  {"en", 0, 2, "expires in 2 minutes."},
		{"en", 1, 1, "expires in 1 minute."},  {"fr", 0, 1, "expire dans 1 minute."},
		{"fr", 0, 5, "expire dans 5 minutes."}, {"de", 0, 1, "Er ist 1 Minute gültig."},
		{"ru", 1, 1, "действует 1 минуту."},   {"ru", 1, 3, "действует 3 минуты."},
		{"ru", 1, 5, "действует 5 минут."},    {"ru", 1, 11, "действует 11 минут."},
		{"ru", 1, 21, "действует 21 минуту."}, {"pl", 1, 2, "ważny 2 minuty."},
		{"pl", 1, 5, "ważny 5 minut."},        {"uk", 1, 4, "дійсний 4 хвилини."},
		{"cs", 1, 2, "Platí 2 minuty."},       {"ar", 0, 1, "صالح لمدة دقيقة واحدة."},
		{"ar", 0, 2, "صالح لمدة دقيقتين."},    {"ar", 0, 5, "صالح لمدة 5 دقائق."},
		{"ar", 0, 15, "صالح لمدة 15 دقيقة."},  {"ar", 0, 100, "صالح لمدة 100 دقيقة."},
		{"ro", 0, 1, "Expiră în 1 minut."},    {"ro", 0, 10, "Expiră în 10 minute."},
		{"ro", 0, 20, "Expiră în 20 de minute."}, {"he", 0, 1, "בתוקף לדקה אחת."},
		{"he", 0, 2, "בתוקף לשתי דקות."},      {"he", 0, 10, "בתוקף ל-10 דקות."},
		{"sv", 0, 1, "gäller i 1 minut."},     {"nl", 0, 1, "Hij is 1 minuut geldig."},
		{"es", 0, 1, "Expira en 1 minuto."},   {"it", 0, 1, "Scade tra 1 minuto."},
	};
	/* clang-format on */
	char out[1024];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		render_in(cases[i].lang, &typical, cases[i].minutes, cases[i].voice, out,
		          sizeof out);
		if (!strstr(out, cases[i].want))
			fail_msg("%s %d min: want '%s' in:\n%s", cases[i].lang, cases[i].minutes,
			         cases[i].want, out);
	}
}

static void english_texts_are_exact(void **state)
{
	(void)state;
	char out[512];
	const struct msg_lang *en = msg_lang_get("en");
	struct msg_app bank = {.name = "Acme Bank"}, iotp = {.name = "iotp"};
	assert_int_equal(msg_render_sms(NULL, en, &bank, "123456", 10, out, sizeof out, NULL), 0);
	assert_string_equal(out, "Your Acme Bank code: 123-456. Don't share this code with anyone. "
	                         "It expires in 10 minutes.");
	assert_int_equal(msg_render_sms(NULL, en, &iotp, "12345678", 1, out, sizeof out, NULL), 0);
	assert_string_equal(out, "Your iotp code: 1234-5678. Don't share this code with anyone. "
	                         "It expires in 1 minute.");
	assert_int_equal(msg_render_voice(NULL, en, &iotp, "123456", 1, NULL, out, sizeof out, NULL, 0), 0);
	assert_string_equal(out, "Your iotp code is: 1, 2, 3, 4, 5, 6. Again: 1, 2, 3, 4, 5, 6. "
	                         "Don't share this code with anyone. It expires in 1 minute.");
	assert_true(msg_render_sms(NULL, en, &iotp, "123456", 10, out, 20, NULL) < 0);
	assert_int_equal(msg_render_sms(NULL, en, &iotp, "12x456", 10, out, sizeof out, NULL), MSG_EINVAL);
}

static void grouping_matches_core(void **state)
{
	(void)state;
	const char *digits = "9081726354";
	for (size_t len = MSG_CODE_MIN; len <= MSG_CODE_MAX; len++) {
		char code[16], ours[16], core[24];
		memcpy(code, digits, len);
		code[len] = '\0';
		assert_int_equal(msg_code_group(code, ours, sizeof ours), MSG_OK);
		code_format(code, core, sizeof core);
		assert_string_equal(ours, core);
	}
	char out[16];
	assert_int_equal(msg_code_group("123", out, sizeof out), MSG_EINVAL);
	assert_int_equal(msg_code_group("12345678901", out, sizeof out), MSG_EINVAL);
	assert_int_equal(msg_code_group("12-456", out, sizeof out), MSG_EINVAL);
	assert_int_equal(msg_code_group("123456", out, 8), MSG_ESPACE);
}

static void refuses_bad_input(void **state)
{
	(void)state;
	const struct msg_lang *en = msg_lang_get("en");
	char out[512];
	const char *bad[] = {"12a456", "123", "12345678901", "", "１２３４５６" /* full width */};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
		    msg_render_sms(NULL, en, &typical, bad[i], 10, out, sizeof out, NULL),
		    MSG_EINVAL);
		assert_int_equal(msg_render_voice(NULL, en, &typical, bad[i], 10, NULL, out,
		                                  sizeof out, NULL, 0),
		                 MSG_EINVAL);
	}
	assert_int_equal(msg_render_sms(NULL, en, &typical, "123456", -1, out, sizeof out, NULL),
	                 MSG_EINVAL);
	assert_int_equal(msg_render_sms(NULL, NULL, &typical, "123456", 1, out, sizeof out, NULL),
	                 MSG_EINVAL);
	assert_int_equal(msg_render_sms(NULL, en, &typical, "123456", 1, out, 12, NULL),
	                 MSG_ESPACE);
	char ssml[32];
	assert_int_equal(msg_render_voice(NULL, en, &typical, "123456", 1, NULL, out, sizeof out,
	                                  ssml, sizeof ssml),
	                 MSG_ESPACE);
}

/* Persian and Urdu are written with their own kaf and yeh, which look like
 * Arabic's in some fonts but are other characters (and sort, search and
 * render differently); Arabic text uses Arabic's. */
static void scripts_use_their_own_letters(void **state)
{
	(void)state;
	const char *arabic_kaf = "\xD9\x83", *arabic_yeh = "\xD9\x8A";   /* U+0643, U+064A */
	const char *persian_kaf = "\xDA\xA9", *persian_yeh = "\xDB\x8C"; /* U+06A9, U+06CC */
	const char *tags[] = {"fa", "ur", "ar"};
	for (size_t t = 0; t < 3; t++) {
		const struct msg_builtin *b = msg_builtin_get(msg_lang_get(tags[t]));
		const char *texts[MSG_FORMS + 1] = {b->sms[0], b->sms[1], b->sms[2], b->sms[3],
		                                    b->voice};
		for (int f = 0; f <= MSG_FORMS; f++) {
			if (t < 2) {
				assert_null(strstr(texts[f], arabic_kaf));
				assert_null(strstr(texts[f], arabic_yeh));
			} else {
				assert_null(strstr(texts[f], persian_kaf));
				assert_null(strstr(texts[f], persian_yeh));
			}
		}
	}
	/* The GSM-7 languages never slip a typographic apostrophe or a
	 * non-GSM accent into any form. */
	for (size_t i = 0; i < sizeof gsm_langs / sizeof gsm_langs[0]; i++) {
		const struct msg_builtin *b = msg_builtin_get(msg_lang_get(gsm_langs[i]));
		for (int f = 0; f < MSG_FORMS; f++) {
			struct msg_sms_size m;
			char out[512];
			msg_sms_compose(msg_lang_get(gsm_langs[i]), b->sms[f], &typical, "123456",
			                10, out, sizeof out, &m);
			if (m.encoding != MSG_GSM7)
				fail_msg("%s %s form is UCS-2 because of U+%04X", gsm_langs[i],
				         msg_form_name(f), (unsigned)m.first_ucs2);
		}
	}
}

/* A call's script and SSML share one outbox text: what core/ packs,
 * delivery/ gets back; SSML that does not fit leaves the script alone. */
static void voice_pack_round_trip(void **state)
{
	(void)state;
	char text[64] = "Your code is 1, 2, 3.";
	assert_int_equal(msg_voice_pack(text, sizeof text, "<speak>1 2 3</speak>"), 0);
	assert_int_equal(strlen(text), strlen("Your code is 1, 2, 3.") + 1 + 20);
	const char *ssml = msg_voice_unpack(text);
	assert_string_equal(text, "Your code is 1, 2, 3.");
	assert_non_null(ssml);
	assert_string_equal(ssml, "<speak>1 2 3</speak>");
	/* 21 + 1 + 20 + NUL = 43 bytes: 42 is one short. */
	char small[43] = "Your code is 1, 2, 3.";
	assert_int_equal(msg_voice_pack(small, 42, "<speak>1 2 3</speak>"), 1);
	assert_string_equal(small, "Your code is 1, 2, 3.");
	assert_int_equal(msg_voice_pack(small, 43, "<speak>1 2 3</speak>"), 0);
	/* An SMS text, or a script packed with an empty SSML: no SSML. */
	char sms[32] = "Code 1234";
	assert_null(msg_voice_unpack(sms));
	assert_string_equal(sms, "Code 1234");
	char empty[32] = "Code 1234";
	assert_int_equal(msg_voice_pack(empty, sizeof empty, ""), 0);
	assert_null(msg_voice_unpack(empty));
	assert_string_equal(empty, "Code 1234");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(voice_pack_round_trip),
	    cmocka_unit_test(every_language_fits_one_segment),
	    cmocka_unit_test(forms_keep_their_promises),
	    cmocka_unit_test(ladder_takes_the_richest_form_that_fits),
	    cmocka_unit_test(suffix_formats),
	    cmocka_unit_test(rtl_isolates_keep_the_code_in_order),
	    cmocka_unit_test(voice_says_the_code_twice),
	    cmocka_unit_test(plural_forms_agree),
	    cmocka_unit_test(english_texts_are_exact),
	    cmocka_unit_test(grouping_matches_core),
	    cmocka_unit_test(refuses_bad_input),
	    cmocka_unit_test(scripts_use_their_own_letters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
