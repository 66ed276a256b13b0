/* form: application/x-www-form-urlencoded bodies (what Twilio's clients send, and
 * what providers' callbacks post), decoded into key/value pairs. The struct keeps
 * its http_ name: it is the HTML/HTTP form encoding, whoever decodes it. */
#ifndef IOTP_FORM_H
#define IOTP_FORM_H

#include <stddef.h>

#define HTTP_FORM_MAX 32 /* pairs; a form with more is refused */

struct http_form {
	int n;
	const char *key[HTTP_FORM_MAX];
	const char *value[HTTP_FORM_MAX];
};

/* Decodes body (len bytes, NUL-terminated at len) in place: '+' is a space and
 * %XX a byte; keys and values then point into body. An empty body is an empty
 * form. Refuses, returning -1 with a sentence in err: a bad %-escape, an empty
 * key, a NUL byte (raw or decoded), text that is not UTF-8, or more than HTTP_FORM_MAX
 * pairs. Returns 0. */
int form_parse(char *body, size_t len, struct http_form *out, char *err, size_t errlen);

/* Decodes one form name or value, s[0..len), in place ('+' is a space, %XX a
 * byte) and NUL-terminates it. Returns 0, or -1 with a sentence in err for a
 * bad %-escape or a NUL byte. No UTF-8 check: form_parse adds that. */
int form_decode(char *s, size_t len, char *err, size_t errlen);

/* The first value of key, or NULL. */
const char *form_get(const struct http_form *f, const char *key);

#endif
