#include "base/form.h"

#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int form_decode(char *s, size_t len, char *err, size_t errlen)
{
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				strfmt(err, errlen,
				       "The form body has a '%%' that is not followed by two hex digits.");
				return -1;
			}
			c = (char)(hi * 16 + lo);
			if (c == '\0') {
				strfmt(err, errlen, "The form body holds a NUL byte (%%00).");
				return -1;
			}
			i += 2;
		}
		s[j++] = c;
	}
	s[j] = '\0';
	return 0;
}

int form_parse(char *body, size_t len, struct http_form *out, char *err, size_t errlen)
{
	out->n = 0;
	if (memchr(body, '\0', len)) {
		strfmt(err, errlen, "The form body holds a NUL byte.");
		return -1;
	}
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end > i) { /* "a=1&&b=2": an empty pair is skipped, as browsers do */
			if (out->n == HTTP_FORM_MAX) {
				strfmt(err, errlen, "The form body has more than %d fields.", HTTP_FORM_MAX);
				return -1;
			}
			char *eq = memchr(body + i, '=', end - i);
			size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
			if (klen == 0) {
				strfmt(err, errlen, "The form body has a field without a name.");
				return -1;
			}
			char *key = body + i, *value = eq ? eq + 1 : body + end;
			size_t vlen = eq ? (size_t)(body + end - value) : 0;
			/* Decoding only shrinks; the terminators land on the '=' and '&'. */
			if (form_decode(key, klen, err, errlen) < 0 ||
			    (eq && form_decode(value, vlen, err, errlen) < 0))
				return -1;
			if (!eq)
				value = key + strlen(key); /* "" */
			if (!utf8_valid(key, strlen(key)) || !utf8_valid(value, strlen(value))) {
				strfmt(err, errlen, "The form body is not UTF-8 once decoded.");
				return -1;
			}
			out->key[out->n] = key;
			out->value[out->n] = value;
			out->n++;
		}
		i = end + 1;
	}
	return 0;
}

const char *form_get(const struct http_form *f, const char *key)
{
	for (int i = 0; f && i < f->n; i++)
		if (strcmp(f->key[i], key) == 0)
			return f->value[i];
	return NULL;
}
