/* form_parse (src/base/form.c): the application/x-www-form-urlencoded bodies
 * Twilio's clients send. Contract: 0 with at most HTTP_FORM_MAX pairs, each
 * with a non-empty key, keys and values UTF-8 without NUL, pointing into the
 * body; or -1 with a sentence. A parsed form, encoded again, parses to the
 * same pairs. */
#include "fuzz.h"
#include "base/form.h"

static size_t encode(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
			out[o++] = (char)*p;
		} else if (*p == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1), err[256] = "";
	memcpy(body, data, size);
	body[size] = '\0';
	struct http_form f;
	int rc = form_parse(body, size, &f, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		free(body);
		return 0;
	}
	FUZZ_ASSERT(f.n >= 0 && f.n <= HTTP_FORM_MAX);
	char *again = malloc(3 * size + 2 * HTTP_FORM_MAX + 1);
	size_t o = 0;
	for (int i = 0; i < f.n; i++) {
		FUZZ_ASSERT(f.key[i] >= body && f.key[i] <= body + size);
		FUZZ_ASSERT(f.value[i] >= body && f.value[i] <= body + size);
		FUZZ_ASSERT(f.key[i][0] != '\0');
		FUZZ_ASSERT(fuzz_utf8(f.key[i], strlen(f.key[i])));
		FUZZ_ASSERT(fuzz_utf8(f.value[i], strlen(f.value[i])));
		FUZZ_ASSERT(form_get(&f, f.key[i]) != NULL);
		if (i)
			again[o++] = '&';
		o += encode(f.key[i], again + o);
		again[o++] = '=';
		o += encode(f.value[i], again + o);
	}
	again[o] = '\0';
	struct http_form g;
	FUZZ_ASSERT(form_parse(again, o, &g, err, sizeof err) == 0);
	FUZZ_ASSERT(g.n == f.n);
	for (int i = 0; i < f.n; i++) {
		FUZZ_ASSERT(strcmp(g.key[i], f.key[i]) == 0);
		FUZZ_ASSERT(strcmp(g.value[i], f.value[i]) == 0);
	}
	free(again);
	free(body);
	return 0;
}
