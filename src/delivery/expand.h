/* expand: fills "{name}" placeholders of a provider's URL, header or body
 * template, escaping each value for where it lands. A '{' not followed by a
 * name and '}' is kept as it is, so JSON bodies need no quoting of their own
 * braces. */
#ifndef IOTP_EXPAND_H
#define IOTP_EXPAND_H

#include <stddef.h>

enum expand_escape {
	EXPAND_RAW,  /* headers: values may not hold CR or LF */
	EXPAND_URL,  /* query strings and form bodies: percent-encoded */
	EXPAND_JSON, /* inside a JSON string: quotes, backslashes, controls escaped */
};

/* Looks a placeholder up: returns its value, or NULL for an unknown name. */
typedef const char *(*expand_lookup)(void *arg, const char *name);

/* Writes tmpl with every placeholder replaced into out. Returns 0, or -1 with
 * the reason in err (unknown placeholder, out too small, CR/LF in a header)
 * and out empty. */
int expand_template(const char *tmpl, enum expand_escape esc, expand_lookup lookup, void *arg,
                    char *out, size_t size, char *err, size_t errlen);

/* Percent-decodes a form or query value in place ('+' is a space). */
void expand_url_decode(char *s);

/* The value of key in an application/x-www-form-urlencoded body, decoded into
 * out; returns 0, or -1 when absent or too long. */
int expand_form_get(const char *body, const char *key, char *out, size_t size);

#endif
