/* phone: parse, validate and describe phone numbers (a C face on libphonenumber).
 *
 * Everything here is thread safe once phone_init() has returned: the library's
 * PhoneNumberUtil is a process-wide singleton with an internal lock. */
#ifndef IOTP_PHONE_H
#define IOTP_PHONE_H

#include <stddef.h>

/* E.164 is at most 15 digits plus '+'. */
#define PHONE_E164_MAX 16
/* Inputs longer than this are refused before they reach the library (it accepts
 * some absurd inputs that other ports reject). */
#define PHONE_INPUT_MAX 64

enum phone_type {
	PHONE_TYPE_UNKNOWN = 0,
	PHONE_TYPE_MOBILE,
	PHONE_TYPE_FIXED_LINE,
	PHONE_TYPE_FIXED_LINE_OR_MOBILE,
	PHONE_TYPE_TOLL_FREE,
	PHONE_TYPE_PREMIUM_RATE,
	PHONE_TYPE_SHARED_COST,
	PHONE_TYPE_VOIP,
	PHONE_TYPE_PERSONAL_NUMBER,
	PHONE_TYPE_PAGER,
	PHONE_TYPE_UAN,
	PHONE_TYPE_VOICEMAIL,
	PHONE_TYPE_COUNT
};

/* Why a number was refused. 0 means it parsed and is valid. */
enum phone_status {
	PHONE_OK = 0,
	PHONE_INVALID_NUMBER,       /* not a number, or no valid number of its country */
	PHONE_MISSING_COUNTRY_CODE, /* national form and no region to interpret it */
	PHONE_TOO_SHORT,
	PHONE_TOO_LONG,
	PHONE_INVALID_COUNTRY_CODE, /* '+' followed by a calling code nobody uses */
};

struct phone_number {
	char e164[PHONE_E164_MAX + 1];  /* "+447911123456" */
	char region[3];                 /* ISO 3166-1 alpha-2, "GB"; "" when unknown */
	int calling_code;               /* 44 */
	enum phone_type type;
};

/* Loads the library's metadata (about 20 ms); call once before any thread uses
 * the functions below. Returns 0, or -1 when the library cannot start or did
 * not take iotp's own numbering plans (src/phone/phone_metadata.c) in place of
 * the older ones compiled into it. */
int phone_init(void);

/* Where the numbering plans in use come from, for /healthz, iotpctl and bug
 * reports: "google-libphonenumber 3.2.47, sha256 a1a0444348456d29" (the npm
 * package the tables were generated from, and the start of their hash).
 * Returns a static string. */
const char *phone_metadata_version(void);

/* Parses what a person typed: "+44 7911 123456", "07911 123456" with region
 * "GB", "(415) 555-2671" with region "US", "0044 7911 123456" (a leading 00 is
 * read as '+' when no region is given). region may be NULL or "".
 * On PHONE_OK fills *out. On any other status, *out still carries what is known
 * (region and calling_code when the country could be told, else "" and 0), so
 * an error message can name the country. Never returns a negative value. */
enum phone_status phone_parse(const char *input, const char *region,
			      struct phone_number *out);
/* phone_parse answers from a bounded cache of recent inputs (phone_cache.c):
 * the library's regular expressions cost 15-50 us a number, and a flood of
 * requests for one number should not pay that each time. This is the library
 * itself, uncached (the cache's misses, bench/phone.c). */
enum phone_status phone_parse_uncached(const char *input, const char *region,
				       struct phone_number *out);

/* "mobile", "fixed_line", "fixed_line_or_mobile", "toll_free", "premium_rate",
 * "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
 * "unknown". Stable: clients and configuration use these names. */
const char *phone_type_name(enum phone_type type);
/* The inverse; returns -1 for an unknown name. */
int phone_type_from_name(const char *name);

/* 1 when region is a two-letter region code libphonenumber knows ("GB"),
 * else 0. Case-sensitive: callers upper-case first. */
int phone_region_known(const char *region);

/* English name of a region ("United Kingdom"), written into buf (NUL-terminated,
 * truncated to size). Returns 0, or -1 when the region is unknown. */
int phone_country_name(const char *region, char *buf, size_t size);

/* The calling code of a region (44 for "GB"), or 0 when unknown. */
int phone_calling_code(const char *region);

/* An example mobile number of the region in international format
 * ("+44 7400 123456"), for error messages. Falls back to a fixed-line example.
 * Returns 0, or -1 when the region has none. */
int phone_example(const char *region, char *buf, size_t size);

/* An E.164 number as people of its country write it ("07400 123456",
 * international 0: national) or as the rest of the world does ("+44 7400
 * 123456"). Returns 0, or -1 when e164 does not parse. */
int phone_format(const char *e164, int international, char *buf, size_t size);

/* Main region of a calling code (44 -> "GB"), or "" when the code is unused.
 * Returns a static string. */
const char *phone_region_for_calling_code(int calling_code);

#endif
