/* Twilio's signature on its webhooks and status callbacks, X-Twilio-Signature:
 * base64(HMAC-SHA1(auth token, URL + every POST parameter's name and value,
 * sorted by name)). The algorithm follows the official SDKs (twilio-node's
 * lib/webhooks/webhooks.js, validateRequest), which are what Twilio documents
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
 *
 * - the URL is the one Twilio called, with its query string;
 * - form parameters are decoded; a name sent several times counts each
 *   distinct value once, values sorted;
 * - a JSON body is not in the signature: Twilio adds bodySHA256=<hex SHA-256
 *   of the body> to the URL instead, and the signature covers the URL alone;
 * - Twilio is inconsistent about ports, so the SDK accepts the URL without
 *   its port, or with the scheme's standard one added when it has none.
 *
 * Names are sorted by bytes (UTF-8); the SDK sorts UTF-16 code units. The two
 * orders differ only between a character above U+FFFF and one in
 * U+E000..U+FFFF, which Twilio's parameter names (ASCII) never hold. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "delivery/callback.h"
#include "base/form.h"

#define PARAMS_MAX 256

struct param {
	const char *name, *value;
};

static int by_name_then_value(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

/* Splits form (decoded in place) into params sorted by name, then value, each
 * distinct pair once. Returns how many, or -1 when malformed or too many. */
static int parse_form(char *form, struct param *p)
{
	int n = 0;
	char *save = NULL;
	for (char *pair = strtok_r(form, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		if (n == PARAMS_MAX)
			return -1;
		char *eq = strchr(pair, '=');
		if (eq)
			*eq = '\0';
		p[n].name = pair;
		p[n].value = eq ? eq + 1 : "";
		char err[96];
		if (form_decode(pair, strlen(pair), err, sizeof err) < 0 ||
		    (eq && form_decode(eq + 1, strlen(eq + 1), err, sizeof err) < 0))
			return -1;
		n++;
	}
	qsort(p, (size_t)n, sizeof *p, by_name_then_value);
	int kept = 0;
	for (int i = 0; i < n; i++)
		if (!kept || by_name_then_value(&p[kept - 1], &p[i]) != 0)
			p[kept++] = p[i];
	return kept;
}

/* The signature of url followed by the n params. */
static void sign(const char *token, const char *url, const struct param *p, int n,
                 char out[CALLBACK_TWILIO_SIG_LEN + 1])
{
	size_t len = strlen(url);
	for (int i = 0; i < n; i++)
		len += strlen(p[i].name) + strlen(p[i].value);
	char *data = xmalloc(len + 1), *w = data;
	size_t l = strlen(url);
	memcpy(w, url, l);
	w += l;
	for (int i = 0; i < n; i++) {
		l = strlen(p[i].name);
		memcpy(w, p[i].name, l);
		w += l;
		l = strlen(p[i].value);
		memcpy(w, p[i].value, l);
		w += l;
	}
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)data, len, mac, &maclen);
	sodium_bin2base64(out, CALLBACK_TWILIO_SIG_LEN + 1, mac, maclen,
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(mac, sizeof mac);
	free(data);
}

int callback_twilio_signature(const char *token, const char *url, const char *form, size_t len,
                              char out[CALLBACK_TWILIO_SIG_LEN + 1])
{
	struct param *p = xmalloc(PARAMS_MAX * sizeof *p);
	char *copy = xmalloc(len + 1);
	memcpy(copy, form ? form : "", len);
	copy[len] = '\0';
	int n = memchr(copy, '\0', len) ? -1 : parse_form(copy, p);
	if (n >= 0)
		sign(token, url, p, n, out);
	free(copy);
	free(p);
	return n < 0 ? -1 : 0;
}

/* The value of bodySHA256 in url's query string, or NULL. */
static const char *body_sha256(const char *url, size_t *len)
{
	const char *q = strchr(url, '?');
	for (const char *p = q; p; p = strchr(p + 1, '&')) {
		if (!strncmp(p + 1, "bodySHA256=", 11)) {
			p += 12;
			*len = strcspn(p, "&#");
			return p;
		}
	}
	return NULL;
}

/* Writes url without its port (no_port) or with the scheme's standard port
 * when it has none; returns -1 when there is nothing different to try. */
static int url_variant(const char *url, int no_port, char *out, size_t size)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return -1;
	const char *host = sep + 3, *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	const char *colon = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		colon = close && close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
	}
	if (no_port)
		return colon ? strfmt(out, size, "%.*s%s", (int)(colon - url), url, end) : -1;
	if (colon)
		return -1;
	size_t sl = (size_t)(sep - url);
	const char *port = sl == 5 && !strncasecmp(url, "https", 5) ? ":443" : ":80";
	return strfmt(out, size, "%.*s%s%s", (int)(end - url), url, port, end);
}

int callback_twilio_ok(const char *token, const char *url, const char *content_type,
                       const char *body, size_t len, const char *header)
{
	if (!header || strlen(header) != CALLBACK_TWILIO_SIG_LEN)
		return 0;
	size_t hl = 0;
	const char *hash = body_sha256(url, &hl);
	int form =
	    content_type && !strncasecmp(content_type, "application/x-www-form-urlencoded", 33);
	if (hash) {
		/* The body is vouched for by its hash in the signed URL. */
		unsigned char digest[crypto_hash_sha256_BYTES];
		char hex[2 * sizeof digest + 1];
		crypto_hash_sha256(digest, (const unsigned char *)body, len);
		sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
		if (hl != 2 * sizeof digest || sodium_memcmp(hex, hash, hl) != 0)
			return 0;
	} else if (len && !form) {
		/* A body the signature would not cover could say anything. */
		return 0;
	}
	struct param *p = xmalloc(PARAMS_MAX * sizeof *p);
	char *copy = xmalloc(len + 1);
	memcpy(copy, body, len);
	copy[len] = '\0';
	int n = hash || !len ? 0 : memchr(copy, '\0', len) ? -1 : parse_form(copy, p);
	int ok = 0;
	size_t usize = strlen(url) + 8;
	char *u = xmalloc(usize), want[CALLBACK_TWILIO_SIG_LEN + 1];
	for (int v = 0; n >= 0 && v < 3; v++) {
		if (v == 0)
			strfmt(u, usize, "%s", url);
		else if (url_variant(url, v == 1, u, usize) < 0)
			continue;
		sign(token, u, p, n, want);
		/* Every variant is compared: timing says nothing about which matched. */
		ok |= sodium_memcmp(want, header, CALLBACK_TWILIO_SIG_LEN) == 0;
	}
	free(u);
	free(copy);
	free(p);
	return ok;
}
