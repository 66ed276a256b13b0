/* json_write: compact JSON as jansson writes it (see json_write.h). */
#include "base/json_write.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

struct out {
	char *buf;
	size_t size;
	size_t len; /* of the whole text so far, written or not */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_char(struct out *o, char c)
{
	if (o->len < o->size)
		o->buf[o->len] = c;
	o->len++;
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Whether any of the 8 bytes of w is below 0x20, '"', '\\' or not ASCII:
 * the classic "has a zero byte" test, (x - ONES) & ~x & HIGHS, on w and on w
 * xor each character. */
static int special8(uint64_t w)
{
	uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
	return ((((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
		 ((backslash - ONES) & ~backslash) | w) &
		HIGHS) != 0;
}

/* jansson's escapes: the two that must be, the five with a short form, and
 * \u00XX (upper case) for the other control characters; nothing else, not
 * even '/', DEL or U+2028. Plain runs are found 8 bytes at a time. */
static int put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int ascii = 1;
	put_char(o, '"');
	size_t run = 0, i = 0;
	while (i < n) {
		uint64_t w;
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!special8(w)) {
				i += 8;
				continue;
			}
		}
		unsigned char c = (unsigned char)s[i++];
		ascii &= c < 0x80;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - 1 - run);
		run = i;
		char esc[6] = {'\\', 0, '0', '0', hex[c >> 4], hex[c & 15]};
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: esc[1] = 'u'; break;
		}
		put(o, esc, esc[1] == 'u' ? 6 : 2);
	}
	put(o, s + run, n - run);
	put_char(o, '"');
	/* json_string_nocheck takes any bytes; json_dumps refuses those that are
	 * not UTF-8, and so does this. */
	return ascii || utf8_valid(s, n);
}

/* A real as jansson writes it ("%.17g", then ".0" or an exponent without
 * '+' and leading zeros, whatever the locale): rare in iotp's answers, so
 * jansson writes it. */
static int put_real(struct out *o, const json_t *j)
{
	char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		return 0;
	put(o, text, strlen(text));
	free(text);
	return 1;
}

static int put_value(struct out *o, const json_t *j, int depth)
{
	char num[24];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		if (depth >= JSON_WRITE_DEPTH)
			return 0;
		put_char(o, '{');
		int first = 1;
		/* jansson keeps an object's keys in the order they were set, and
		 * json_dumps (without JSON_SORT_KEYS) writes them in that order. */
		for (void *it = json_object_iter((json_t *)j); it;
		     it = json_object_iter_next((json_t *)j, it)) {
			if (!first)
				put_char(o, ',');
			first = 0;
			if (!put_string(o, json_object_iter_key(it), json_object_iter_key_len(it)))
				return 0;
			put_char(o, ':');
			if (!put_value(o, json_object_iter_value(it), depth + 1))
				return 0;
		}
		put_char(o, '}');
		return 1;
	}
	case JSON_ARRAY: {
		if (depth >= JSON_WRITE_DEPTH)
			return 0;
		put_char(o, '[');
		size_t n = json_array_size(j);
		for (size_t i = 0; i < n; i++) {
			if (i)
				put_char(o, ',');
			if (!put_value(o, json_array_get(j, i), depth + 1))
				return 0;
		}
		put_char(o, ']');
		return 1;
	}
	case JSON_STRING:
		return put_string(o, json_string_value(j), json_string_length(j));
	case JSON_INTEGER: {
		/* "%" JSON_INTEGER_FORMAT, by hand: snprintf was a tenth of
		 * jansson's own cost. */
		json_int_t v = json_integer_value(j);
		uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		char *p = num + sizeof num;
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (v < 0)
			*--p = '-';
		put(o, p, (size_t)(num + sizeof num - p));
		return 1;
	}
	case JSON_REAL:
		return put_real(o, j);
	case JSON_TRUE:
		put(o, "true", 4);
		return 1;
	case JSON_FALSE:
		put(o, "false", 5);
		return 1;
	case JSON_NULL:
		put(o, "null", 4);
		return 1;
	}
	return 0;
}

size_t json_write_compact(const json_t *j, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	if (!j || !put_value(&o, j, 0))
		return 0;
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

char *json_write_text(const json_t *j, char *buf, size_t size, size_t *len)
{
	*len = json_write_compact(j, buf, size);
	if (*len > 0 && *len < size)
		return buf;
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	*len = text ? strlen(text) : 0;
	return text;
}
