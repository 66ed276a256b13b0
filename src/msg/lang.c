#include "msg/lang.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg/msg.h"

/* The order here is the order of documentation and `iotpctl template list`:
 * the languages with the most mobile users first, then the rest. The English
 * row must stay first: it is the default. */
/* clang-format off */
static const struct msg_lang langs[] = {
	{"en", "English", "English", "en-US", 0, MSG_RULE_ONE},
	{"zh-Hans", "Chinese (Simplified)", "中文（简体）", "zh-CN", 0, MSG_RULE_NONE},
	{"zh-Hant", "Chinese (Traditional)", "中文（繁體）", "zh-TW", 0, MSG_RULE_NONE},
	{"hi", "Hindi", "हिन्दी", "hi-IN", 0, MSG_RULE_ZERO_ONE},
	{"es", "Spanish", "Español", "es-US", 0, MSG_RULE_ONE},
	{"ar", "Arabic", "العربية", "ar-SA", 1, MSG_RULE_ARABIC},
	{"bn", "Bengali", "বাংলা", "bn-BD", 0, MSG_RULE_ZERO_ONE},
	{"pt", "Portuguese", "Português", "pt-BR", 0, MSG_RULE_ZERO_ONE},
	{"ru", "Russian", "Русский", "ru-RU", 0, MSG_RULE_SLAVIC},
	{"ja", "Japanese", "日本語", "ja-JP", 0, MSG_RULE_NONE},
	{"id", "Indonesian", "Bahasa Indonesia", "id-ID", 0, MSG_RULE_NONE},
	{"ur", "Urdu", "اردو", "ur-PK", 1, MSG_RULE_ONE},
	{"fr", "French", "Français", "fr-FR", 0, MSG_RULE_ZERO_ONE},
	{"de", "German", "Deutsch", "de-DE", 0, MSG_RULE_ONE},
	{"vi", "Vietnamese", "Tiếng Việt", "vi-VN", 0, MSG_RULE_NONE},
	{"tr", "Turkish", "Türkçe", "tr-TR", 0, MSG_RULE_ONE},
	{"ko", "Korean", "한국어", "ko-KR", 0, MSG_RULE_NONE},
	{"fa", "Persian", "فارسی", "fa-IR", 1, MSG_RULE_ZERO_ONE},
	{"it", "Italian", "Italiano", "it-IT", 0, MSG_RULE_ONE},
	{"th", "Thai", "ไทย", "th-TH", 0, MSG_RULE_NONE},
	{"sw", "Swahili", "Kiswahili", "sw-KE", 0, MSG_RULE_ONE},
	{"ms", "Malay", "Bahasa Melayu", "ms-MY", 0, MSG_RULE_NONE},
	{"uk", "Ukrainian", "Українська", "uk-UA", 0, MSG_RULE_SLAVIC},
	{"pl", "Polish", "Polski", "pl-PL", 0, MSG_RULE_POLISH},
	{"nl", "Dutch", "Nederlands", "nl-NL", 0, MSG_RULE_ONE},
	{"ro", "Romanian", "Română", "ro-RO", 0, MSG_RULE_ROMANIAN},
	{"el", "Greek", "Ελληνικά", "el-GR", 0, MSG_RULE_ONE},
	{"cs", "Czech", "Čeština", "cs-CZ", 0, MSG_RULE_CZECH},
	{"hu", "Hungarian", "Magyar", "hu-HU", 0, MSG_RULE_ONE},
	{"sv", "Swedish", "Svenska", "sv-SE", 0, MSG_RULE_ONE},
	{"he", "Hebrew", "עברית", "he-IL", 1, MSG_RULE_HEBREW},
};
/* clang-format on */

#define NLANGS (sizeof langs / sizeof langs[0])

size_t msg_lang_count(void)
{
	return NLANGS;
}

const struct msg_lang *msg_lang_at(size_t i)
{
	return i < NLANGS ? &langs[i] : NULL;
}

const struct msg_lang *msg_lang_get(const char *tag)
{
	if (!tag)
		return NULL;
	for (size_t i = 0; i < NLANGS; i++)
		if (strcasecmp(langs[i].tag, tag) == 0)
			return &langs[i];
	return NULL;
}

/* Old and ISO 639-3 codes that name one of iotp's languages. */
/* clang-format off */
static const char *const aliases[][2] = {
	{"in", "id"},  /* deprecated 1989 */
	{"iw", "he"},  /* deprecated 1989; Android still reports it */
	{"mo", "ro"},  /* Moldavian, deprecated 2008 */
	{"arb", "ar"}, /* Standard Arabic */
	{"pes", "fa"}, /* Iranian Persian */
	{"prs", "fa"}, /* Dari */
	{"zsm", "ms"}, /* Standard Malay */
	{"swh", "sw"}, /* Swahili proper */
};
/* clang-format on */

static int is_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

static int is_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

const struct msg_lang *msg_lang_from_locale(const char *locale)
{
	char buf[64], *sub[8];
	size_t nsub = 0, len;

	if (!locale || (len = strlen(locale)) == 0 || len >= sizeof buf)
		return NULL;
	for (size_t i = 0; i <= len; i++) {
		char ch = locale[i];
		buf[i] = ch == '_' ? '-' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	for (char *p = buf; p && nsub < sizeof sub / sizeof sub[0];) {
		sub[nsub++] = p;
		p = strchr(p, '-');
		if (p)
			*p++ = '\0';
	}

	const char *language = sub[0], *extlang = "", *script = "", *region = "";
	size_t n = strlen(language);
	if (n < 2 || n > 3 || !is_alpha(language, n))
		return NULL; /* "x-private", "i-klingon", empty */
	for (size_t k = 1; k < nsub; k++) {
		size_t m = strlen(sub[k]);
		if (m == 3 && is_alpha(sub[k], 3) && k == 1)
			extlang = sub[k];
		else if (m == 4 && is_alpha(sub[k], 4) && !*script && !*region)
			script = sub[k];
		else if (((m == 2 && is_alpha(sub[k], 2)) || (m == 3 && is_digit(sub[k], 3))) &&
		         !*region)
			region = sub[k];
		else
			break; /* variants and extensions do not change the language */
	}

	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(language, aliases[i][0]) == 0)
			language = aliases[i][1];

	/* Chinese is the one language whose written form iotp must pick from the
	 * tag: the script if given, else the region, else the spoken variety. */
	int cantonese = strcmp(language, "yue") == 0 || strcmp(extlang, "yue") == 0;
	if (strcmp(language, "zh") == 0 || strcmp(language, "cmn") == 0 || cantonese) {
		if (strcmp(script, "hant") == 0 || strcmp(extlang, "cht") == 0)
			return msg_lang_get("zh-Hant");
		if (strcmp(script, "hans") == 0 || strcmp(extlang, "chs") == 0)
			return msg_lang_get("zh-Hans");
		if (strcmp(region, "tw") == 0 || strcmp(region, "hk") == 0 ||
		    strcmp(region, "mo") == 0 || cantonese)
			return msg_lang_get("zh-Hant");
		return msg_lang_get("zh-Hans");
	}
	return msg_lang_get(language);
}

int msg_lang_choose(const char *locale, const char *app_lang, const char *region,
                    struct msg_lang_choice *out)
{
	memset(out, 0, sizeof *out);
	if (locale && *locale) {
		out->lang = msg_lang_from_locale(locale);
		if (out->lang) {
			out->reason = MSG_LANG_LOCALE;
			return MSG_OK;
		}
		out->locale_unsupported = 1;
	}
	if (app_lang && *app_lang) {
		out->lang = msg_lang_get(app_lang);
		if (!out->lang)
			out->lang = msg_lang_from_locale(app_lang);
		if (out->lang) {
			out->reason = MSG_LANG_APP;
			return MSG_OK;
		}
		out->app_lang_unsupported = 1;
	}
	if (region && *region) {
		if (msg_lang_of_region(region, &out->lang) == MSG_UNKNOWN)
			out->region_unknown = 1;
		else if (out->lang) {
			out->reason = MSG_LANG_COUNTRY;
			return MSG_OK;
		} else
			out->region_unsupported = 1;
	}
	out->lang = &langs[0];
	out->reason = MSG_LANG_DEFAULT;
	return MSG_OK;
}

/* Appends to buf at *o, keeping it NUL-terminated; remembers truncation. */
static void add(char *buf, size_t size, size_t *o, int *trunc, const char *fmt, const char *a,
                const char *b)
{
	if (*o >= size) {
		*trunc = 1;
		return;
	}
	int n = snprintf(buf + *o, size - *o, fmt, a, b);
	if (n < 0 || (size_t)n >= size - *o) {
		*trunc = 1;
		*o = size;
	} else {
		*o += (size_t)n;
	}
}

/* Copies at most max bytes of s (may be NULL) into out, never cutting a UTF-8
 * sequence in two: the sentence is served as JSON, which must be UTF-8. */
static const char *clip(const char *s, size_t max, char *out)
{
	size_t n = s ? strlen(s) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

int msg_lang_explain(const struct msg_lang_choice *c, const char *locale, const char *app_lang,
                     const char *region, char *buf, size_t size)
{
	size_t o = 0;
	int trunc = 0, notes = 0;
	char shown_locale[17], shown_app[17], shown_region[9];
	const char *r = region && *region ? region : "the number's country";
	locale = clip(locale, 16, shown_locale);
	app_lang = clip(app_lang, 16, shown_app);

	if (size == 0)
		return MSG_ESPACE;
	buf[0] = '\0';
	switch (c->reason) {
	case MSG_LANG_LOCALE:
		add(buf, size, &o, &trunc, "%s: the request's locale '%s'", c->lang->tag,
		    locale);
		break;
	case MSG_LANG_APP:
		add(buf, size, &o, &trunc, "%s: the app's language for %s", c->lang->tag, r);
		break;
	case MSG_LANG_COUNTRY:
		add(buf, size, &o, &trunc, "%s: the main language of %s", c->lang->tag, r);
		break;
	case MSG_LANG_DEFAULT:
		add(buf, size, &o, &trunc, "%s: %s", c->lang->tag, "default");
		break;
	}
	/* Only the steps before the deciding one were passed over. */
	if (c->locale_unsupported) {
		add(buf, size, &o, &trunc, "%s%s", notes++ ? "; " : " (", "the request's locale '");
		add(buf, size, &o, &trunc, "%s%s", locale, "' has no built-in templates");
	}
	if (c->app_lang_unsupported) {
		add(buf, size, &o, &trunc, "%s%s", notes++ ? "; " : " (", "the app's language '");
		add(buf, size, &o, &trunc, "%s%s", app_lang, "' has no built-in templates");
	}
	if (c->region_unsupported)
		add(buf, size, &o, &trunc, "%sno built-in language fits %s", notes++ ? "; " : " (",
		    r);
	if (c->region_unknown)
		add(buf, size, &o, &trunc, "%s%s is not a known region", notes++ ? "; " : " (",
		    clip(r, 8, shown_region));
	if (notes)
		add(buf, size, &o, &trunc, "%s%s", ")", "");
	return trunc ? MSG_ESPACE : MSG_OK;
}

/* Regional varieties that the common speech engines (Amazon Polly, Google
 * Cloud Text-to-Speech, Azure) all offer, so an xml:lang naming them is safe. */
static const struct {
	const char *lang, *region, *locale;
} voice_regions[] = {
    {"en", "GB", "en-GB"},      {"en", "AU", "en-AU"}, {"en", "IN", "en-IN"},
    {"es", "ES", "es-ES"},      {"es", "MX", "es-MX"}, {"pt", "PT", "pt-PT"},
    {"fr", "CA", "fr-CA"},      {"nl", "BE", "nl-BE"}, {"zh-Hant", "HK", "zh-HK"},
    {"zh-Hant", "MO", "zh-HK"}, {"ar", "EG", "ar-EG"}, {"sw", "TZ", "sw-TZ"},
    {"bn", "IN", "bn-IN"},
};

const char *msg_lang_voice_locale(const struct msg_lang *lang, const char *region)
{
	if (region)
		for (size_t i = 0; i < sizeof voice_regions / sizeof voice_regions[0]; i++)
			if (strcmp(voice_regions[i].lang, lang->tag) == 0 &&
			    strcasecmp(voice_regions[i].region, region) == 0)
				return voice_regions[i].locale;
	return lang->voice_locale;
}
