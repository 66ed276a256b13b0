/* json_write: compact JSON as jansson writes it (see json_write.h). */
#include "base/json_write.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

/* Makes room for n more bytes in a growing buffer; 0 when memory ran out
 * (the text is then cut, and the writer reports it). */
static int room_for(struct json_write_out *o, size_t n)
{
	if (o->len + n < o->size)
		return 1;
	size_t size = o->size ? o->size : 256;
	while (size <= o->len + n)
		size *= 2;
	char *buf = realloc(o->buf, size);
	if (!buf)
		return 0;
	o->buf = buf;
	o->size = size;
	return 1;
}

static void put(struct json_write_out *o, const char *s, size_t n)
{
	if (o->grows)
		room_for(o, n);
	if (o->len < o->size) {
		size_t room = o->size - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_char(struct json_write_out *o, char c)
{
	if (o->grows)
		room_for(o, 1);
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
static int put_string(struct json_write_out *o, const char *s, size_t n)
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

/* "%" JSON_INTEGER_FORMAT, by hand: snprintf was a tenth of jansson's own
 * cost. */
static void put_int(struct json_write_out *o, long long v)
{
	char num[24];
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	char *p = num + sizeof num;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(o, p, (size_t)(num + sizeof num - p));
}

/* A real as jansson writes it ("%.17g", then ".0" or an exponent without
 * '+' and leading zeros, whatever the locale): rare in iotp's answers, so
 * jansson writes it. */
static int put_real(struct json_write_out *o, const json_t *j)
{
	char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		return 0;
	put(o, text, strlen(text));
	free(text);
	return 1;
}

static int put_value(struct json_write_out *o, const json_t *j, int depth)
{
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
	case JSON_INTEGER:
		put_int(o, json_integer_value(j));
		return 1;
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
	struct json_write_out o = {buf, size, 0, 0};
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

void json_obj_begin(struct json_obj *w)
{
	struct json_write_out *o = &w->out;
	*o = (struct json_write_out){NULL, 0, 0, 1};
	w->fields = 0;
	w->bad = 0;
	put_char(o, '{');
}

static void key(struct json_obj *w, const char *k)
{
	struct json_write_out *o = &w->out;
	size_t n = strlen(k);
	/* The usual key, a plain identifier, in one copy: ,"key": */
	int plain = room_for(o, n + 4);
	for (size_t i = 0; plain && i < n; i++)
		plain = k[i] >= 0x20 && k[i] < 0x7f && k[i] != '"' && k[i] != '\\';
	if (plain) {
		char *p = o->buf + o->len;
		if (w->fields++)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, k, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
		o->len = (size_t)(p - o->buf);
		return;
	}
	if (w->fields++)
		put_char(o, ',');
	if (!put_string(o, k, n))
		w->bad = 1;
	put_char(o, ':');
}

void json_obj_string(struct json_obj *w, const char *k, const char *v)
{
	key(w, k);
	if (!v)
		put(&w->out, "null", 4);
	else if (!put_string(&w->out, v, strlen(v)))
		w->bad = 1;
}

void json_obj_int(struct json_obj *w, const char *k, long long v)
{
	key(w, k);
	put_int(&w->out, v);
}

void json_obj_bool(struct json_obj *w, const char *k, int v)
{
	key(w, k);
	put(&w->out, v ? "true" : "false", v ? 4 : 5);
}

void json_obj_null(struct json_obj *w, const char *k)
{
	key(w, k);
	put(&w->out, "null", 4);
}

void json_obj_raw(struct json_obj *w, const char *k, const char *json)
{
	key(w, k);
	put(&w->out, json, strlen(json));
}

char *json_obj_end(struct json_obj *w, size_t *len)
{
	struct json_write_out *o = &w->out;
	put_char(o, '}');
	put_char(o, '\0');
	if (w->bad || o->len > o->size) {
		free(o->buf);
		*len = 0;
		return NULL;
	}
	*len = o->len - 1;
	return o->buf;
}
