#include "base/utf8.h"

#include <string.h>

int32_t utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t left = len - *i;
	uint32_t cp, min;
	size_t n;

	if (p[0] < 0x80) {
		*i += 1;
		return p[0];
	}
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2, cp = p[0] & 0x1F, min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3, cp = p[0] & 0x0F, min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	} else {
		*i += 1;
		return -1;
	}
	if (left < n) {
		*i += 1;
		return -1;
	}
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xC0) != 0x80) {
			*i += 1;
			return -1;
		}
		cp = (cp << 6) | (p[k] & 0x3F);
	}
	/* Overlong forms would let one character hide behind another's bytes;
	 * surrogates are not characters in UTF-8. */
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*i += 1;
		return -1;
	}
	*i += n;
	return (int32_t)cp;
}

int utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len)
		if (utf8_next(s, len, &i) < 0)
			return 0;
	return 1;
}

void utf8_scrub(char *s)
{
	size_t len = strlen(s), i = 0, o = 0;
	while (i < len) {
		size_t at = i;
		if (utf8_next(s, len, &i) < 0) {
			s[o++] = '?';
			continue;
		}
		memmove(s + o, s + at, i - at);
		o += i - at;
	}
	s[o] = '\0';
}

size_t utf8_put(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			return 0;
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp <= 0x10FFFF) {
		o[0] = (unsigned char)(0xF0 | (cp >> 18));
		o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (unsigned char)(0x80 | (cp & 0x3F));
		return 4;
	}
	return 0;
}

int utf8_is_rtl(uint32_t cp)
{
	/* The blocks whose letters have bidirectional class R or AL. Digits and
	 * marks inside them are caught too, which is harmless for the one use:
	 * deciding whether a name needs an isolate. */
	return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
	       (cp >= 0xFE70 && cp <= 0xFEFF) || (cp >= 0x10800 && cp <= 0x10FFF) ||
	       (cp >= 0x1E800 && cp <= 0x1EFFF);
}
