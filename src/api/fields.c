#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/utf8.h"

/* How many bytes of s to quote in a message, at most max, never cutting a
 * UTF-8 character in two: the message is JSON, and JSON is UTF-8. */
static int quoted_len(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

int api_read_fields(struct http_request *req, struct http_response *res,
		    const struct api_field *fields, size_t n)
{
	char msg[256];
	const char *key;
	json_t *value;
	json_object_foreach(req->body, key, value) {
		size_t i = 0;
		while (i < n && strcmp(fields[i].name, key) != 0)
			i++;
		if (i == n) {
			char known[160] = "";
			size_t used = 0;
			for (size_t k = 0; k < n; k++) {
				int w = snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "",
						 fields[k].name);
				if (w < 0 || (size_t)w >= sizeof known - used)
					break;
				used += (size_t)w;
			}
			strfmt(msg, sizeof msg, "Unknown field '%.*s'. This endpoint takes: %s.",
			       quoted_len(key, 60), key, known);
			json_object_set_new(http_reply_error(res, IOTP_E_UNKNOWN_FIELD, msg), "field",
					    json_string(key));
			return -1;
		}
		if (!json_is_string(value)) {
			strfmt(msg, sizeof msg, "Field '%s' must be a string.", key);
			json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD_TYPE, msg), "field",
					    json_string(key));
			return -1;
		}
		if (json_string_length(value) > fields[i].max_len) {
			strfmt(msg, sizeof msg, "Field '%s' is too long (at most %zu characters).", key,
			       fields[i].max_len);
			json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD, msg), "field",
					    json_string(key));
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(req->body, fields[i].name);
		*fields[i].out = v ? json_string_value(v) : NULL;
		if (!v && fields[i].required) {
			strfmt(msg, sizeof msg, "Field '%s' is required.", fields[i].name);
			json_object_set_new(http_reply_error(res, IOTP_E_MISSING_FIELD, msg), "field",
					    json_string(fields[i].name));
			return -1;
		}
	}
	return 0;
}

static int valid_locale(const char *l)
{
	/* BCP 47 shape, loosely: letters, digits and '-', starting with a letter. */
	if (!isalpha((unsigned char)l[0]))
		return 0;
	for (; *l; l++)
		if (!isalnum((unsigned char)*l) && *l != '-' && *l != '_')
			return 0;
	return 1;
}

/* Refuses a locale that is not shaped like a language tag (an unknown but
 * well-formed one is fine: the message falls back to the next rule). */
int api_locale_ok(const char *locale, struct http_response *res)
{
	if (!locale || valid_locale(locale))
		return 1;
	json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD,
					     "Field 'locale' must be a language tag such as "
					     "\"en\", \"es\" or \"pt-BR\"."),
			    "field", json_string("locale"));
	return 0;
}

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
#define NAME_CHARS TEXT(API_NAME_CHARS)

/* Characters that show nothing: a name of only these is blank. */
static int blank(int32_t cp)
{
	return cp == ' ' || cp == 0xA0 || cp == 0x1680 || cp == 0x180E ||
	       (cp >= 0x2000 && cp <= 0x200D) || cp == 0x202F || cp == 0x205F || cp == 0x2060 ||
	       cp == 0x3000 || cp == 0xFEFF;
}

/* Characters that break a name out of its line or turn the text around it. */
static int control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int api_name_ok(const char *name, const char *field, struct http_response *res)
{
	if (!name)
		return 1;
	const char *why = NULL;
	size_t len = strlen(name), i = 0, chars = 0, shown = 0;
	while (!why && i < len) {
		int32_t cp = utf8_next(name, len, &i);
		chars++;
		if (cp < 0)
			why = "must be UTF-8 text";
		else if (control(cp))
			why = "must be one line of plain text, without control characters (line "
			      "breaks, tabs) or direction overrides";
		else if (!blank(cp))
			shown++;
	}
	if (!why && chars > API_NAME_CHARS)
		why = "is too long: at most " NAME_CHARS " characters";
	else if (!why && !shown)
		why = "must not be empty or only spaces";
	if (!why)
		return 1;
	char msg[256];
	strfmt(msg, sizeof msg,
	       "Field '%s' %s. Send the name the person knows it by, like \"Ana's phone\".",
	       field, why);
	json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD, msg), "field",
			    json_string(field));
	return 0;
}

json_t *api_time(int64_t ms)
{
	char buf[32];
	if (!ms)
		return json_null();
	clock_format_ms(ms, buf, sizeof buf);
	return json_string_nocheck(buf);
}
