/* The template language (src/msg/template.c, check.c, compose.c): operators'
 * templates from the configuration and iotpctl. Input: a selector byte
 * (language, channel, minutes), then the template text. Contract: the syntax
 * check returns 0 or MSG_REFUSED with a sentence naming the template; the
 * full check never accepts what the syntax check refuses; a template that
 * passes expands, in every style, to UTF-8 that carries the code (grouped in
 * an SMS, digit by digit when spoken), and its SSML holds no markup but the
 * breaks; any text at all expands without crashing. */
#include "fuzz.h"
#include "msg/check.h"
#include "msg/compose.h"
#include "msg/template.h"

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4 * MSG_TEMPLATE_MAX)
		return 0;
	const struct msg_lang *lang = msg_lang_at(data[0] % msg_lang_count());
	enum msg_channel ch = data[0] & 0x80 ? MSG_VOICE : MSG_SMS;
	unsigned long minutes = (unsigned long)(data[0] & 0x1f);
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	char err[512] = "";
	int syntax = msg_template_check_syntax("fuzz", ch, text, err, sizeof err);
	FUZZ_ASSERT(syntax == MSG_OK || syntax == MSG_REFUSED);
	if (syntax == MSG_REFUSED)
		FUZZ_ASSERT(strncmp(err, "template fuzz", 13) == 0);

	struct msg_app app = {.id = "fuzz", .name = "Acme", .domain = "example.com",
			      .app_hash = "FA+9qCX9VSu", .hash_place = MSG_HASH_OWN_LINE};
	int full = msg_template_check("fuzz", ch, lang, text, &app, (int)minutes, err, sizeof err);
	FUZZ_ASSERT(full == MSG_OK || full == MSG_REFUSED);
	if (syntax != MSG_OK)
		FUZZ_ASSERT(full == MSG_REFUSED);

	static char out[64 * 1024];
	struct msg_vars v = {.app = "Acme \xD7\x90", .code = "123456", .minutes = minutes,
			     .domain = "example.com", .app_hash = "FA+9qCX9VSu"};
	for (int style = MSG_STYLE_SMS; style <= MSG_STYLE_SSML; style++) {
		struct msg_buf b;
		msg_buf_init(&b, out, sizeof out);
		int rc = msg_template_expand(text, lang, &v, (enum msg_style)style, &b);
		FUZZ_ASSERT(rc == MSG_OK || rc == MSG_ESPACE);
		FUZZ_ASSERT(b.len < sizeof out && out[b.len] == '\0');
		if (syntax != MSG_OK)
			continue;
		FUZZ_ASSERT(rc == MSG_OK);
		FUZZ_ASSERT(fuzz_utf8(out, b.len));
		if (style == MSG_STYLE_SMS)
			FUZZ_ASSERT(strstr(out, "123-456") != NULL);
		else if (style == MSG_STYLE_SPEECH)
			FUZZ_ASSERT(strstr(out, "1, 2, 3, 4, 5, 6") != NULL);
		else
			FUZZ_ASSERT(count(out, "<") == count(out, "<break time=\"500ms\"/>") &&
				    count(out, ">") == count(out, "<break time=\"500ms\"/>"));
	}

	if (full == MSG_OK && ch == MSG_SMS) {
		char sms[4 * MSG_TEMPLATE_MAX];
		struct msg_sms_size m;
		int rc = msg_sms_compose(lang, text, &app, "1234567890", (int)minutes, sms, sizeof sms,
					 &m);
		FUZZ_ASSERT(rc == MSG_OK && m.segments == 1);
		FUZZ_ASSERT(fuzz_utf8(sms, strlen(sms)));
		FUZZ_ASSERT(strstr(sms, "\n@example.com #1234567890") != NULL);
	}
	free(text);
	return 0;
}
