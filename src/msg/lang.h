/* lang: the languages iotp writes in, and which one a message uses.
 *
 * A message's language is chosen from, in order: the request's locale, the
 * app's configured language for the number's country, the main language of
 * the number's country, English. Each step only counts when it names a
 * language iotp has built-in templates for; otherwise the next step decides. */
#ifndef IOTP_MSG_LANG_H
#define IOTP_MSG_LANG_H

#include <stddef.h>

#include "msg/plural.h"

/* One built-in language. The table is static: pointers stay valid for the
 * life of the process and may be compared for identity. */
struct msg_lang {
	const char *tag;          /* canonical tag configuration uses: "es", "zh-Hant" */
	const char *english;      /* "Spanish", "Chinese (Traditional)" */
	const char *native;       /* "Español", "中文（繁體）" */
	const char *voice_locale; /* xml:lang of its SSML when the region says nothing better */
	int rtl;                  /* 1 when the script runs right to left */
	enum msg_plural_rule plural;
};

/* The built-in languages, in the order documentation lists them. */
size_t msg_lang_count(void);
const struct msg_lang *msg_lang_at(size_t i);

/* The language with this canonical tag (ASCII case ignored: "zh-hant" works),
 * or NULL when iotp has none. Configuration uses this; requests go through
 * msg_lang_from_locale. */
const struct msg_lang *msg_lang_get(const char *tag);

/* The built-in language a BCP 47 locale asks for, or NULL when it asks for one
 * iotp does not have. '_' is read as '-' and case is ignored. Region and script
 * subtags pick the written variety where that matters: "zh-TW", "zh-HK",
 * "zh-Hant" and Cantonese ("yue") give zh-Hant; "zh", "zh-CN", "zh-SG" and
 * "zh-Hans" give zh-Hans. Otherwise only the language subtag counts
 * ("pt-BR" -> pt, "en-GB" -> en), with its deprecated aliases ("in" -> id,
 * "iw" -> he) and the ISO 639-3 codes of the macrolanguages' main members
 * ("arb" -> ar, "pes" -> fa, "zsm" -> ms, "swh" -> sw, "cmn" -> zh). */
const struct msg_lang *msg_lang_from_locale(const char *locale);

/* The main language of a country (ISO 3166-1 alpha-2, upper case; the table
 * covers every region libphonenumber knows). Returns 0 and sets *out, to NULL
 * when none of the built-in languages fits the country (English is then the
 * default, and the "why" says so); MSG_UNKNOWN when the table does not list
 * region. */
int msg_lang_of_region(const char *region, const struct msg_lang **out);

/* The regions the country table lists, for tests and documentation. */
size_t msg_region_count(void);
const char *msg_region_at(size_t i);

/* Which step of the order decided. */
enum msg_lang_reason {
	MSG_LANG_LOCALE = 0, /* the request's locale */
	MSG_LANG_APP,        /* the app's language for the number's country */
	MSG_LANG_COUNTRY,    /* the main language of the number's country */
	MSG_LANG_DEFAULT,    /* nothing else applied: English */
};

struct msg_lang_choice {
	const struct msg_lang *lang;
	enum msg_lang_reason reason;
	/* Inputs that were given but named no built-in language, so a preview can
	 * say why they did not decide. */
	int locale_unsupported;
	int app_lang_unsupported;
	int region_unsupported; /* the region is listed, but no built-in language fits it */
	int region_unknown;     /* the region is not in the table */
};

/* Chooses the language of a message. locale is the request's BCP 47 locale,
 * app_lang the language tag the app configured for the number's country, region
 * the number's ISO 3166-1 alpha-2 region; any of them may be NULL or "". Always
 * succeeds and returns 0: English is the last resort. */
int msg_lang_choose(const char *locale, const char *app_lang, const char *region,
                    struct msg_lang_choice *out);

/* A sentence for `iotpctl template preview`: why this language was chosen, with
 * the inputs that were passed over ("es: the main language of MX";
 * "en: default (the request's locale 'tlh' has no built-in templates; no
 * built-in language fits GE)"). The same inputs as msg_lang_choose. Returns 0,
 * or MSG_ESPACE when buf was too small (it then holds a truncated sentence). */
int msg_lang_explain(const struct msg_lang_choice *c, const char *locale, const char *app_lang,
                     const char *region, char *buf, size_t size);

/* The locale to put in a voice script's xml:lang: the language's voice locale,
 * or a regional variety speech engines commonly offer when the number's region
 * has one ("es" for MX gives "es-MX", "zh-Hant" for HK gives Cantonese "zh-HK").
 * region may be NULL. Returns a static string. */
const char *msg_lang_voice_locale(const struct msg_lang *lang, const char *region);

#endif
