/* The main language of every region libphonenumber knows (245 in its
 * metadata), as one of iotp's built-in languages, or NULL when none of them
 * is what people there read (the message is then in English, and the "why"
 * says so). An app that knows better sets its own language per country.
 *
 * Where a country has several languages, the row names the one most people
 * there read in SMS; the comments say why where that is a judgement. */
#include "msg/lang.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg/msg.h"

struct region_row {
	char region[3];
	const char *lang;
};

/* clang-format off */
static const struct region_row regions[] = {
	{"AC", "en"},      /* Ascension Island */
	{"AD", "es"},      /* Catalan has no templates; Spanish is read by nearly all */
	{"AE", "ar"},
	{"AF", "fa"},      /* Dari, the lingua franca, is Persian */
	{"AG", "en"},
	{"AI", "en"},
	{"AL", NULL},      /* Albanian */
	{"AM", "ru"},      /* Armenian has no templates; Russian is widely read */
	{"AO", "pt"},
	{"AR", "es"},
	{"AS", "en"},
	{"AT", "de"},
	{"AU", "en"},
	{"AW", "nl"},      /* Papiamento has no templates; Dutch is official */
	{"AX", "sv"},
	{"AZ", "tr"},      /* Azerbaijani has no templates; Turkish is close and widely read */
	{"BA", NULL},      /* Bosnian, Croatian, Serbian */
	{"BB", "en"},
	{"BD", "bn"},
	{"BE", "nl"},      /* Dutch speakers are the majority; French via locale */
	{"BF", "fr"},
	{"BG", NULL},      /* Bulgarian */
	{"BH", "ar"},
	{"BI", "fr"},
	{"BJ", "fr"},
	{"BL", "fr"},
	{"BM", "en"},
	{"BN", "ms"},
	{"BO", "es"},
	{"BQ", "nl"},
	{"BR", "pt"},
	{"BS", "en"},
	{"BT", "en"},      /* Dzongkha has no templates; English is the language of schooling */
	{"BW", "en"},
	{"BY", "ru"},      /* Russian is co-official and the most used */
	{"BZ", "en"},
	{"CA", "en"},      /* a number does not say whether it is in Quebec; French via locale */
	{"CC", "en"},
	{"CD", "fr"},
	{"CF", "fr"},
	{"CG", "fr"},
	{"CH", "de"},      /* German speakers are the majority; French and Italian via locale */
	{"CI", "fr"},
	{"CK", "en"},
	{"CL", "es"},
	{"CM", "fr"},      /* French-speaking regions hold most of the population */
	{"CN", "zh-Hans"},
	{"CO", "es"},
	{"CR", "es"},
	{"CU", "es"},
	{"CV", "pt"},
	{"CW", "nl"},
	{"CX", "en"},
	{"CY", "el"},
	{"CZ", "cs"},
	{"DE", "de"},
	{"DJ", "fr"},
	{"DK", NULL},      /* Danish */
	{"DM", "en"},
	{"DO", "es"},
	{"DZ", "ar"},
	{"EC", "es"},
	{"EE", NULL},      /* Estonian */
	{"EG", "ar"},
	{"EH", "ar"},
	{"ER", NULL},      /* Tigrinya */
	{"ES", "es"},
	{"ET", NULL},      /* Amharic */
	{"FI", NULL},      /* Finnish; the Swedish-speaking minority is 5% */
	{"FJ", "en"},
	{"FK", "en"},
	{"FM", "en"},
	{"FO", NULL},      /* Faroese */
	{"FR", "fr"},
	{"GA", "fr"},
	{"GB", "en"},
	{"GD", "en"},
	{"GE", NULL},      /* Georgian */
	{"GF", "fr"},
	{"GG", "en"},
	{"GH", "en"},
	{"GI", "en"},
	{"GL", NULL},      /* Greenlandic, Danish */
	{"GM", "en"},
	{"GN", "fr"},
	{"GP", "fr"},
	{"GQ", "es"},
	{"GR", "el"},
	{"GT", "es"},
	{"GU", "en"},
	{"GW", "pt"},
	{"GY", "en"},
	{"HK", "zh-Hant"},
	{"HN", "es"},
	{"HR", NULL},      /* Croatian */
	{"HT", "fr"},      /* Haitian Creole has no templates; French is official and written */
	{"HU", "hu"},
	{"ID", "id"},
	{"IE", "en"},
	{"IL", "he"},
	{"IM", "en"},
	/* India writes in 22 scheduled languages and Hindi is not read across the
	 * south and east; English is the language of nearly all Indian OTP SMS.
	 * Hindi is there for a locale or an app's per-country language. */
	{"IN", "en"},
	{"IO", "en"},
	{"IQ", "ar"},
	{"IR", "fa"},
	{"IS", NULL},      /* Icelandic */
	{"IT", "it"},
	{"JE", "en"},
	{"JM", "en"},
	{"JO", "ar"},
	{"JP", "ja"},
	/* Swahili is Kenya's national language, but banks, M-PESA and the state
	 * write SMS in English, the other official language; Swahili stays one
	 * configuration line away. Tanzania writes in Swahili. */
	{"KE", "en"},
	{"KG", "ru"},      /* Russian is official */
	{"KH", NULL},      /* Khmer */
	{"KI", "en"},
	{"KM", "fr"},
	{"KN", "en"},
	{"KP", "ko"},
	{"KR", "ko"},
	{"KW", "ar"},
	{"KY", "en"},
	{"KZ", "ru"},      /* Russian is official and the most read */
	{"LA", NULL},      /* Lao */
	{"LB", "ar"},
	{"LC", "en"},
	{"LI", "de"},
	{"LK", NULL},      /* Sinhala, Tamil */
	{"LR", "en"},
	{"LS", "en"},
	{"LT", NULL},      /* Lithuanian */
	{"LU", "fr"},      /* French is the written language of business and the state */
	{"LV", NULL},      /* Latvian */
	{"LY", "ar"},
	{"MA", "ar"},
	{"MC", "fr"},
	{"MD", "ro"},
	{"ME", NULL},      /* Montenegrin */
	{"MF", "fr"},
	{"MG", "fr"},      /* Malagasy has no templates; French is official and written */
	{"MH", "en"},
	{"MK", NULL},      /* Macedonian */
	{"ML", "fr"},
	{"MM", NULL},      /* Burmese */
	{"MN", NULL},      /* Mongolian */
	{"MO", "zh-Hant"},
	{"MP", "en"},
	{"MQ", "fr"},
	{"MR", "ar"},
	{"MS", "en"},
	{"MT", "en"},      /* Maltese has no templates; English is official */
	{"MU", "en"},
	{"MV", NULL},      /* Dhivehi */
	{"MW", "en"},
	{"MX", "es"},
	{"MY", "ms"},
	{"MZ", "pt"},
	{"NA", "en"},
	{"NC", "fr"},
	{"NE", "fr"},
	{"NF", "en"},
	{"NG", "en"},
	{"NI", "es"},
	{"NL", "nl"},
	{"NO", NULL},      /* Norwegian */
	{"NP", NULL},      /* Nepali */
	{"NR", "en"},
	{"NU", "en"},
	{"NZ", "en"},
	{"OM", "ar"},
	{"PA", "es"},
	{"PE", "es"},
	{"PF", "fr"},
	{"PG", "en"},
	{"PH", "en"},      /* Filipino has no templates; English is official and written */
	{"PK", "ur"},      /* Urdu, the national language, is read across the country */
	{"PL", "pl"},
	{"PM", "fr"},
	{"PR", "es"},
	{"PS", "ar"},
	{"PT", "pt"},
	{"PW", "en"},
	{"PY", "es"},
	{"QA", "ar"},
	{"RE", "fr"},
	{"RO", "ro"},
	{"RS", NULL},      /* Serbian */
	{"RU", "ru"},
	{"RW", "en"},      /* Kinyarwanda has no templates; English is the language of schooling */
	{"SA", "ar"},
	{"SB", "en"},
	{"SC", "en"},
	{"SD", "ar"},
	{"SE", "sv"},
	{"SG", "en"},
	{"SH", "en"},
	{"SI", NULL},      /* Slovenian */
	{"SJ", NULL},      /* Norwegian */
	{"SK", "cs"},      /* Slovak has no templates; Czech is read by nearly every Slovak */
	{"SL", "en"},
	{"SM", "it"},
	{"SN", "fr"},
	{"SO", NULL},      /* Somali */
	{"SR", "nl"},
	{"SS", "en"},
	{"ST", "pt"},
	{"SV", "es"},
	{"SX", "en"},      /* Sint Maarten speaks English */
	{"SY", "ar"},
	{"SZ", "en"},
	{"TA", "en"},      /* Tristan da Cunha */
	{"TC", "en"},
	{"TD", "fr"},      /* French and Arabic are official; French is the written one */
	{"TG", "fr"},
	{"TH", "th"},
	{"TJ", "ru"},      /* Tajik is Persian in Cyrillic letters; Persian script is not read */
	{"TK", "en"},
	{"TL", "pt"},      /* Tetum has no templates; Portuguese is official */
	{"TM", "ru"},
	{"TN", "ar"},
	{"TO", "en"},
	{"TR", "tr"},
	{"TT", "en"},
	{"TV", "en"},
	{"TW", "zh-Hant"},
	{"TZ", "sw"},
	{"UA", "uk"},
	{"UG", "en"},
	{"US", "en"},
	{"UY", "es"},
	{"UZ", "ru"},      /* Uzbek has no templates; Russian is widely read */
	{"VA", "it"},
	{"VC", "en"},
	{"VE", "es"},
	{"VG", "en"},
	{"VI", "en"},
	{"VN", "vi"},
	{"VU", "en"},
	{"WF", "fr"},
	{"WS", "en"},
	{"XK", NULL},      /* Albanian */
	{"YE", "ar"},
	{"YT", "fr"},
	{"ZA", "en"},
	{"ZM", "en"},
	{"ZW", "en"},
};
/* clang-format on */

#define NREGIONS (sizeof regions / sizeof regions[0])

static int cmp(const void *key, const void *row)
{
	return strncasecmp(key, ((const struct region_row *)row)->region, 2);
}

int msg_lang_of_region(const char *region, const struct msg_lang **out)
{
	*out = NULL;
	if (!region || strlen(region) != 2)
		return MSG_UNKNOWN;
	/* The rows are sorted by region (a unit test keeps them so). */
	const struct region_row *row = bsearch(region, regions, NREGIONS, sizeof regions[0], cmp);
	if (!row)
		return MSG_UNKNOWN;
	if (row->lang)
		*out = msg_lang_get(row->lang);
	return MSG_OK;
}

size_t msg_region_count(void)
{
	return NREGIONS;
}

const char *msg_region_at(size_t i)
{
	return i < NREGIONS ? regions[i].region : NULL;
}
