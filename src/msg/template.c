#include "msg/template.h"

#include <stdio.h>
#include <string.h>

#include "msg/plural.h"
#include "base/utf8.h"

#define LRI "\xE2\x81\xA6" /* U+2066 LEFT-TO-RIGHT ISOLATE */
#define FSI "\xE2\x81\xA8" /* U+2068 FIRST STRONG ISOLATE */
#define PDI "\xE2\x81\xA9" /* U+2069 POP DIRECTIONAL ISOLATE */
#define BREAK "<break time=\"500ms\"/>"

static const char *const placeholders[] = {"code", "app", "minutes", "domain", "app_hash"};

const char *msg_channel_name(enum msg_channel ch)
{
	return ch == MSG_VOICE ? "voice" : "sms";
}

int msg_code_valid(const char *code)
{
	size_t n = 0;
	if (!code)
		return 0;
	for (; code[n]; n++)
		if (code[n] < '0' || code[n] > '9')
			return 0;
	return n >= MSG_CODE_MIN && n <= MSG_CODE_MAX;
}

int msg_code_group(const char *code, char *out, size_t size)
{
	/* Group sizes per length, 0 ending the list; core/code.c's code_format uses
	 * the same table (a unit test compares the two). */
	static const int groups[MSG_CODE_MAX + 1][4] = {
	    [4] = {4},    [5] = {5},       [6] = {3, 3},     [7] = {3, 4},
	    [8] = {4, 4}, [9] = {3, 3, 3}, [10] = {3, 3, 4},
	};
	if (!msg_code_valid(code))
		return MSG_EINVAL;
	size_t len = strlen(code), o = 0, i = 0;
	if (size < len + 3)
		return MSG_ESPACE;
	for (int g = 0; g < 4 && groups[len][g]; g++) {
		if (g)
			out[o++] = '-';
		for (int k = 0; k < groups[len][g]; k++)
			out[o++] = code[i++];
	}
	out[o] = '\0';
	return MSG_OK;
}

/* One piece of a template. */
enum tok_kind {
	TOK_END,
	TOK_TEXT,   /* s, n: literal text (a doubled brace yields one brace) */
	TOK_VAR,    /* s, n: the placeholder's name */
	TOK_PLURAL, /* s, n: the name; c, cn: the choices after '|' */
	TOK_ERROR,  /* err: what is wrong; s, n: the offending text */
};

struct tok {
	enum tok_kind kind;
	const char *s, *c, *err;
	size_t n, cn;
};

static void next_token(const char **pp, struct tok *t)
{
	const char *p = *pp;
	memset(t, 0, sizeof *t);
	if (!*p) {
		t->kind = TOK_END;
		return;
	}
	if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
		t->kind = TOK_TEXT, t->s = p, t->n = 1;
		*pp = p + 2;
		return;
	}
	if (*p == '}') {
		t->kind = TOK_ERROR, t->s = p, t->n = 1;
		t->err = "a '}' without its '{' (write '}}' for a literal brace)";
		*pp = p + 1;
		return;
	}
	if (*p != '{') {
		const char *e = p;
		while (*e && *e != '{' && *e != '}')
			e++;
		t->kind = TOK_TEXT, t->s = p, t->n = (size_t)(e - p);
		*pp = e;
		return;
	}
	const char *close = p + 1;
	while (*close && *close != '}' && *close != '{')
		close++;
	if (*close != '}') {
		t->kind = TOK_ERROR, t->s = p, t->n = (size_t)(close - p);
		t->err = "a '{' that is never closed (write '{{' for a literal brace)";
		*pp = close;
		return;
	}
	const char *bar = memchr(p + 1, '|', (size_t)(close - p - 1));
	t->s = p + 1;
	t->n = (size_t)((bar ? bar : close) - t->s);
	if (bar) {
		t->kind = TOK_PLURAL;
		t->c = bar + 1;
		t->cn = (size_t)(close - t->c);
	} else {
		t->kind = TOK_VAR;
	}
	*pp = close + 1;
}

static int name_is(const struct tok *t, const char *name)
{
	return strlen(name) == t->n && memcmp(t->s, name, t->n) == 0;
}

static int known(const struct tok *t)
{
	for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
		if (name_is(t, placeholders[i]))
			return 1;
	return 0;
}

int msg_template_uses(const char *tmpl, const char *placeholder)
{
	struct tok t;
	for (next_token(&tmpl, &t); t.kind != TOK_END; next_token(&tmpl, &t))
		if ((t.kind == TOK_VAR || t.kind == TOK_PLURAL) && name_is(&t, placeholder))
			return 1;
	return 0;
}

/* Writes text, escaped for XML in the SSML style. */
static void put_text(struct msg_buf *b, const char *s, size_t n, enum msg_style style)
{
	if (style != MSG_STYLE_SSML) {
		msg_buf_put(b, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			msg_buf_puts(b, "&amp;");
			break;
		case '<':
			msg_buf_puts(b, "&lt;");
			break;
		case '>':
			msg_buf_puts(b, "&gt;");
			break;
		case '"':
			msg_buf_puts(b, "&quot;");
			break;
		case '\'':
			msg_buf_puts(b, "&apos;");
			break;
		default:
			msg_buf_put(b, s + i, 1);
		}
	}
}

static int has_rtl(const char *s)
{
	size_t len = strlen(s), i = 0;
	while (i < len) {
		int32_t cp = utf8_next(s, len, &i);
		if (cp > 0 && utf8_is_rtl((uint32_t)cp))
			return 1;
	}
	return 0;
}

static int put_code(struct msg_buf *b, const char *code, const struct msg_lang *lang,
                    enum msg_style style)
{
	char shown[MSG_CODE_MAX + 3];
	if (msg_code_group(code, shown, sizeof shown) < 0)
		return MSG_EINVAL;
	if (style == MSG_STYLE_SMS) {
		if (lang->rtl)
			msg_buf_puts(b, LRI);
		msg_buf_puts(b, shown);
		if (lang->rtl)
			msg_buf_puts(b, PDI);
		return MSG_OK;
	}
	for (size_t i = 0; code[i]; i++) {
		if (i)
			msg_buf_puts(b, style == MSG_STYLE_SSML ? BREAK " " : ", ");
		msg_buf_put(b, code + i, 1);
	}
	return MSG_OK;
}

/* Writes the choice for n's category from "one:# minute|other:# minutes". */
static void put_plural(struct msg_buf *b, const char *c, size_t cn, const struct msg_lang *lang,
                       unsigned long n, enum msg_style style)
{
	enum msg_plural want = msg_plural_select(lang->plural, n);
	const char *pick = NULL, *other = NULL;
	size_t pick_n = 0, other_n = 0;
	for (const char *p = c, *end = c + cn; p < end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *stop = bar ? bar : end;
		const char *colon = memchr(p, ':', (size_t)(stop - p));
		if (colon) {
			int cat = msg_plural_from_name(p, (size_t)(colon - p));
			if (cat == (int)want)
				pick = colon + 1, pick_n = (size_t)(stop - colon - 1);
			if (cat == MSG_PLURAL_OTHER)
				other = colon + 1, other_n = (size_t)(stop - colon - 1);
		}
		p = bar ? bar + 1 : end;
	}
	if (!pick)
		pick = other, pick_n = other_n;
	char num[24];
	snprintf(num, sizeof num, "%lu", n);
	for (size_t i = 0; pick && i < pick_n;) {
		size_t j = i;
		while (j < pick_n && pick[j] != '#')
			j++;
		put_text(b, pick + i, j - i, style);
		if (j < pick_n) {
			msg_buf_puts(b, num);
			j++;
		}
		i = j;
	}
}

/* A domain or hash: machine text that must keep its order. */
static void put_ltr(struct msg_buf *b, const char *s, const struct msg_lang *lang,
                    enum msg_style style)
{
	int isolate = style == MSG_STYLE_SMS && lang->rtl && *s;
	if (isolate)
		msg_buf_puts(b, LRI);
	put_text(b, s, strlen(s), style);
	if (isolate)
		msg_buf_puts(b, PDI);
}

int msg_template_expand(const char *tmpl, const struct msg_lang *lang, const struct msg_vars *v,
                        enum msg_style style, struct msg_buf *out)
{
	struct tok t;
	const char *app = v->app ? v->app : "";
	for (next_token(&tmpl, &t); t.kind != TOK_END; next_token(&tmpl, &t)) {
		if (t.kind == TOK_TEXT || t.kind == TOK_ERROR) {
			put_text(out, t.s, t.n, style);
		} else if (t.kind == TOK_PLURAL) {
			put_plural(out, t.c, t.cn, lang, v->minutes, style);
		} else if (name_is(&t, "code")) {
			if (put_code(out, v->code, lang, style) < 0)
				return MSG_EINVAL;
		} else if (name_is(&t, "app")) {
			int isolate = style == MSG_STYLE_SMS && *app && (lang->rtl || has_rtl(app));
			if (isolate)
				msg_buf_puts(out, FSI);
			put_text(out, app, strlen(app), style);
			if (isolate)
				msg_buf_puts(out, PDI);
		} else if (name_is(&t, "minutes")) {
			char num[24];
			snprintf(num, sizeof num, "%lu", v->minutes);
			msg_buf_puts(out, num);
		} else if (name_is(&t, "domain")) {
			put_ltr(out, v->domain ? v->domain : "", lang, style);
		} else if (name_is(&t, "app_hash")) {
			put_ltr(out, v->app_hash ? v->app_hash : "", lang, style);
		} else {
			/* Unknown: checked templates have none; show it rather than hide it. */
			msg_buf_puts(out, "{");
			put_text(out, t.s, t.n, style);
			msg_buf_puts(out, "}");
		}
	}
	return out->overflow ? MSG_ESPACE : MSG_OK;
}

/* Checks one plural choice list; returns NULL or what is wrong. */
static const char *check_plural(const char *c, size_t cn, char *bad, size_t badlen)
{
	int seen[MSG_PLURAL_COUNT] = {0};
	for (const char *p = c, *end = c + cn; p <= end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *stop = bar ? bar : end;
		const char *colon = memchr(p, ':', (size_t)(stop - p));
		if (!colon)
			return "a plural choice without 'category:' (write one:# minute)";
		int cat = msg_plural_from_name(p, (size_t)(colon - p));
		if (cat < 0) {
			snprintf(bad, badlen, "%.*s", (int)(colon - p) > 16 ? 16 : (int)(colon - p),
			         p);
			return "unknown plural category";
		}
		if (seen[cat]++)
			return "a plural category given twice";
		if (!bar)
			break;
		p = bar + 1;
	}
	if (!seen[MSG_PLURAL_OTHER])
		return "plural choices without the 'other' form every language needs";
	return NULL;
}

int msg_template_check_syntax(const char *name, enum msg_channel ch, const char *text, char *err,
                              size_t errlen)
{
	size_t len = strlen(text), i = 0;

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		int n_ = snprintf(err, errlen, "template %s: ", name);                             \
		if (n_ >= 0 && (size_t)n_ < errlen)                                                \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);                      \
		return MSG_REFUSED;                                                                \
	} while (0)

	if (len == 0)
		REFUSE("is empty");
	if (len > MSG_TEMPLATE_MAX)
		REFUSE("is %zu bytes; the most a template may hold is %d", len, MSG_TEMPLATE_MAX);
	while (i < len) {
		size_t at = i;
		int32_t cp = utf8_next(text, len, &i);
		if (cp < 0)
			REFUSE("is not valid UTF-8 (byte %zu)", at);
		if ((cp < 0x20 && cp != '\n') || (cp >= 0x7F && cp < 0xA0))
			REFUSE("holds the control character U+%04X; only line breaks are allowed",
			       (unsigned)cp);
		if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0xFEFF)
			REFUSE("holds the invisible formatting character U+%04X; iotp isolates the "
			       "code and names itself",
			       (unsigned)cp);
		if (ch == MSG_SMS && cp == '@' && (at == 0 || text[at - 1] == '\n'))
			REFUSE("a line starts with '@'; iotp writes the origin-bound line "
			       "(@domain #code) itself when the app has a domain");
	}

	struct tok t;
	const char *p = text;
	int has_code = 0;
	for (next_token(&p, &t); t.kind != TOK_END; next_token(&p, &t)) {
		if (t.kind == TOK_ERROR)
			REFUSE("%s", t.err);
		if (t.kind == TOK_TEXT)
			continue;
		if (!known(&t))
			REFUSE("unknown placeholder {%.*s}; the placeholders are {code}, {app}, "
			       "{minutes}, {domain} and {app_hash}",
			       t.n > 32 ? 32 : (int)t.n, t.s);
		if (t.kind == TOK_PLURAL) {
			char bad[20] = "";
			if (!name_is(&t, "minutes"))
				REFUSE("{%.*s|...}: only {minutes} has plural forms", (int)t.n,
				       t.s);
			const char *why = check_plural(t.c, t.cn, bad, sizeof bad);
			if (why && *bad)
				REFUSE(
				    "%s '%s' in {minutes|...}; the categories are zero, one, two, "
				    "few, many and other",
				    why, bad);
			if (why)
				REFUSE("%s in {minutes|...}", why);
		}
		if (name_is(&t, "code"))
			has_code = 1;
		if (ch == MSG_VOICE && name_is(&t, "app_hash"))
			REFUSE(
			    "{app_hash} means nothing when spoken; only SMS templates may use it");
	}
	if (!has_code)
		REFUSE("has no {code}; every template must carry the code");
	return MSG_OK;
#undef REFUSE
}
