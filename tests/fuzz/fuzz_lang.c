/* msg_lang_from_locale, msg_lang_choose and msg_lang_explain (src/msg/lang.c):
 * a request's locale and an app's configured language. Input: locale, NUL,
 * app language, NUL, region. Contract: a locale names one of the built-in
 * languages or none, ignoring case and reading '_' as '-'; choosing always
 * succeeds with a language and the step that decided; the explanation is a
 * NUL-terminated sentence, UTF-8 when its inputs are (it is served as JSON by
 * GET /v1/lookup), or MSG_ESPACE when cut. */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"
#include "msg/lang.h"
#include "msg/msg.h"

static int in_table(const struct msg_lang *l)
{
	for (size_t i = 0; i < msg_lang_count(); i++)
		if (msg_lang_at(i) == l)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 3, &p);
	const char *locale = p.s[0], *app_lang = p.s[1], *region = p.s[2];

	const struct msg_lang *l = msg_lang_from_locale(locale);
	FUZZ_ASSERT(!l || in_table(l));
	char *other = strdup(locale);
	for (char *c = other; *c; c++)
		*c = *c == '_' ? '-' : *c == '-' ? '_' : (char)toupper((unsigned char)*c);
	FUZZ_ASSERT(msg_lang_from_locale(other) == l);
	free(other);
	const struct msg_lang *g = msg_lang_get(app_lang);
	FUZZ_ASSERT(!g || (in_table(g) && strcasecmp(g->tag, app_lang) == 0));

	struct msg_lang_choice c;
	FUZZ_ASSERT(msg_lang_choose(locale, app_lang, region, &c) == MSG_OK);
	FUZZ_ASSERT(c.lang && in_table(c.lang));
	FUZZ_ASSERT(c.reason >= MSG_LANG_LOCALE && c.reason <= MSG_LANG_DEFAULT);
	if (c.reason == MSG_LANG_LOCALE)
		FUZZ_ASSERT(c.lang == l);
	if (c.reason == MSG_LANG_DEFAULT)
		FUZZ_ASSERT(c.lang == msg_lang_at(0));

	static const size_t sizes[] = {256, 20, 1};
	int utf8 = fuzz_utf8(locale, strlen(locale)) && fuzz_utf8(app_lang, strlen(app_lang)) &&
		   fuzz_utf8(region, strlen(region));
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char why[256];
		memset(why, 'x', sizeof why);
		int rc = msg_lang_explain(&c, locale, app_lang, region, why, sizes[k]);
		FUZZ_ASSERT(rc == MSG_OK || rc == MSG_ESPACE);
		FUZZ_ASSERT(memchr(why, '\0', sizes[k]) != NULL);
		if (rc == MSG_OK && utf8)
			FUZZ_ASSERT(fuzz_utf8(why, strlen(why)));
	}
	const char *voice = msg_lang_voice_locale(c.lang, region);
	FUZZ_ASSERT(voice && strspn(voice, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") ==
				     strlen(voice));
	fuzz_parts_free(&p);
	return 0;
}
