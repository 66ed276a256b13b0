#include "delivery/expand.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"

struct out {
	char *p;
	size_t size, len;
	int overflow;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->p[o->len++] = c;
	else
		o->overflow = 1;
}

static void put_escaped(struct out *o, const char *v, enum expand_escape esc)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
		unsigned char c = *s;
		switch (esc) {
		case EXPAND_RAW:
			put(o, (char)c);
			break;
		case EXPAND_URL:
			if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
				put(o, (char)c);
			} else {
				put(o, '%');
				put(o, hex[c >> 4]);
				put(o, hex[c & 15]);
			}
			break;
		case EXPAND_JSON:
			if (c == '"' || c == '\\') {
				put(o, '\\');
				put(o, (char)c);
			} else if (c == '\n') {
				put(o, '\\');
				put(o, 'n');
			} else if (c < 0x20) {
				put(o, '\\');
				put(o, 'u');
				put(o, '0');
				put(o, '0');
				put(o, hex[c >> 4]);
				put(o, hex[c & 15]);
			} else {
				put(o, (char)c);
			}
			break;
		}
	}
}

static int name_char(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_';
}

int expand_template(const char *tmpl, enum expand_escape esc, expand_lookup lookup, void *arg,
                    char *out, size_t size, char *err, size_t errlen)
{
	struct out o = {out, size, 0, 0};
	/* A refusal leaves out empty, never a half-expanded text without its NUL. */
	if (size)
		out[0] = '\0';
	for (const char *s = tmpl; *s; s++) {
		size_t n = 0;
		if (*s == '{') {
			while (name_char(s[1 + n]))
				n++;
		}
		if (!n || s[1 + n] != '}') {
			put(&o, *s);
			continue;
		}
		char name[64];
		if (n >= sizeof name) {
			strfmt(err, errlen, "placeholder {%.20s...} is too long", s + 1);
			goto refused;
		}
		memcpy(name, s + 1, n);
		name[n] = '\0';
		const char *v = lookup(arg, name);
		if (!v) {
			strfmt(err, errlen, "unknown placeholder {%s}", name);
			goto refused;
		}
		if (esc == EXPAND_RAW && strpbrk(v, "\r\n")) {
			strfmt(err, errlen,
			       "placeholder {%s} holds a line break, which a header cannot", name);
			goto refused;
		}
		put_escaped(&o, v, esc);
		s += n + 1;
	}
	if (size)
		out[o.len < size ? o.len : size - 1] = '\0';
	if (o.overflow) {
		strfmt(err, errlen, "the expanded template is longer than %zu bytes",
		       size ? size - 1 : 0);
		goto refused;
	}
	return 0;
refused:
	if (size)
		out[0] = '\0';
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void expand_url_decode(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int expand_form_get(const char *body, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	for (const char *p = body; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq && (size_t)(eq - p) == kl && !memcmp(p, key, kl)) {
			size_t vl = len - kl - 1;
			if (vl >= size)
				return -1;
			memcpy(out, eq + 1, vl);
			out[vl] = '\0';
			expand_url_decode(out);
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}
