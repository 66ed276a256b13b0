#include "msg/compose.h"

#include <stdio.h>
#include <string.h>

#include "msg/buf.h"
#include "msg/template.h"
#include "base/utf8.h"

static int set(const char *s)
{
	return s && *s;
}

static int name_ok(const char *name, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0, i = 0;
	if (len == 0 || len > MSG_APP_NAME_MAX) {
		snprintf(err, errlen, "app name: 1 to %d bytes", MSG_APP_NAME_MAX);
		return 0;
	}
	if (name[0] == '@') {
		snprintf(
		    err, errlen,
		    "app name '%s': must not start with '@', the mark of the origin-bound line",
		    name);
		return 0;
	}
	while (i < len) {
		int32_t cp = utf8_next(name, len, &i);
		if (cp < 0) {
			snprintf(err, errlen, "app name: not valid UTF-8");
			return 0;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF) {
			snprintf(err, errlen,
			         "app name: holds U+%04X, a control or formatting character",
			         (unsigned)cp);
			return 0;
		}
	}
	return 1;
}

static int domain_ok(const char *d, char *err, size_t errlen)
{
	size_t len = strlen(d), label = 0;
	if (len > MSG_DOMAIN_MAX || d[0] == '.' || d[0] == '-' || d[len - 1] == '.' ||
	    d[len - 1] == '-')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char ch = d[i];
		if (ch == '.') {
			if (label == 0 || d[i - 1] == '-' || d[i + 1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			goto bad;
		if (++label > 63)
			goto bad;
	}
	return 1;
bad:
	snprintf(err, errlen,
	         "app domain '%.64s': must be a lower-case host name such as example.com, "
	         "without https://, port or path (an internationalised name in its xn-- form)",
	         d);
	return 0;
}

static int hash_ok(const char *h, char *err, size_t errlen)
{
	size_t len = strlen(h);
	int ok = len == MSG_APP_HASH_LEN;
	for (size_t i = 0; ok && i < len; i++)
		ok = (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z') ||
		     (h[i] >= '0' && h[i] <= '9') || h[i] == '+' || h[i] == '/';
	if (!ok)
		snprintf(err, errlen,
		         "app hash '%.32s': must be the 11 Base64 characters the Android app "
		         "computes from its package name and signing certificate",
		         h);
	return ok;
}

int msg_app_check(const struct msg_app *app, char *err, size_t errlen)
{
	if (!name_ok(app->name, err, errlen))
		return MSG_REFUSED;
	if (set(app->domain) && !domain_ok(app->domain, err, errlen))
		return MSG_REFUSED;
	if (set(app->app_hash) && !hash_ok(app->app_hash, err, errlen))
		return MSG_REFUSED;
	if (app->hash_place != MSG_HASH_OWN_LINE && app->hash_place != MSG_HASH_ORIGIN_LINE) {
		snprintf(err, errlen, "app hash placement: unknown value %d", (int)app->hash_place);
		return MSG_REFUSED;
	}
	return MSG_OK;
}

static void vars_of(struct msg_vars *v, const struct msg_app *app, const char *code, int minutes)
{
	v->app = app->name;
	v->code = code;
	v->minutes = (unsigned long)minutes;
	v->domain = app->domain;
	v->app_hash = app->app_hash;
}

int msg_sms_compose(const struct msg_lang *lang, const char *tmpl, const struct msg_app *app,
                    const char *code, int minutes, char *out, size_t size,
                    struct msg_sms_size *measured)
{
	struct msg_buf b;
	struct msg_vars v;
	struct msg_sms_size m;

	if (!msg_code_valid(code) || minutes < 0)
		return MSG_EINVAL;
	vars_of(&v, app, code, minutes);
	msg_buf_init(&b, out, size);
	int rc = msg_template_expand(tmpl, lang, &v, MSG_STYLE_SMS, &b);
	if (rc < 0)
		return rc;

	/* The suffix lines are ASCII and never isolated: parsers read them byte
	 * by byte, and each is a paragraph of its own that starts with a
	 * left-to-right letter or '@', so a right-to-left message cannot reorder
	 * them. */
	int hash = set(app->app_hash), origin = set(app->domain);
	if (hash && (!origin || app->hash_place == MSG_HASH_OWN_LINE)) {
		msg_buf_puts(&b, "\n");
		msg_buf_puts(&b, app->app_hash);
	}
	if (origin) {
		msg_buf_puts(&b, "\n@");
		msg_buf_puts(&b, app->domain);
		msg_buf_puts(&b, " #");
		msg_buf_puts(&b, code);
		if (hash && app->hash_place == MSG_HASH_ORIGIN_LINE) {
			msg_buf_puts(&b, " ");
			msg_buf_puts(&b, app->app_hash);
		}
	}
	if (b.overflow)
		return MSG_ESPACE;
	if (msg_sms_measure(out, &m) < 0)
		return MSG_EUTF8; /* only an invalid app name or template gets here */
	if (measured)
		*measured = m;
	return m.segments == 1 ? MSG_OK : MSG_MULTIPART;
}

int msg_voice_compose(const struct msg_lang *lang, const char *tmpl, const struct msg_app *app,
                      const char *code, int minutes, const char *xml_lang, char *script,
                      size_t script_size, char *ssml, size_t ssml_size)
{
	struct msg_buf b;
	struct msg_vars v;

	if (!msg_code_valid(code) || minutes < 0)
		return MSG_EINVAL;
	vars_of(&v, app, code, minutes);
	msg_buf_init(&b, script, script_size);
	int rc = msg_template_expand(tmpl, lang, &v, MSG_STYLE_SPEECH, &b);
	if (rc < 0 || !ssml)
		return rc;

	/* The locale lands in an attribute: anything but a tag's letters, digits
	 * and hyphens is refused in favour of the language's own. */
	if (!xml_lang || !*xml_lang ||
	    strspn(xml_lang, "abcdefghijklmnopqrstuvwxyz"
	                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(xml_lang))
		xml_lang = lang->voice_locale;
	msg_buf_init(&b, ssml, ssml_size);
	msg_buf_puts(&b, "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" "
	                 "xml:lang=\"");
	msg_buf_puts(&b, xml_lang);
	msg_buf_puts(&b, "\">");
	rc = msg_template_expand(tmpl, lang, &v, MSG_STYLE_SSML, &b);
	if (rc < 0)
		return rc;
	msg_buf_puts(&b, "</speak>");
	return b.overflow ? MSG_ESPACE : MSG_OK;
}
