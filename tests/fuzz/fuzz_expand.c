/* expand_template, expand_url_decode and expand_form_get
 * (src/delivery/expand.c): an http provider's URL, header and body templates
 * filled with values that come from outside (the text, the number, gateway
 * answers). Input: template, NUL, value, NUL, form body. Contract: 0 with the
 * expansion NUL-terminated within size, or -1 with a reason; a value lands
 * escaped so that reading it back gives the value (percent-decoding for
 * EXPAND_URL, a JSON string for EXPAND_JSON); a header never gets a line
 * break from a value. */
#include "delivery/expand.h"
#include "fuzz.h"

static const char *lookup(void *arg, const char *name)
{
	if (!strcmp(name, "v"))
		return arg;
	if (!strcmp(name, "to"))
		return "+447400123456";
	return NULL;
}

static void expand_each(const char *tmpl, const char *value)
{
	static const size_t sizes[] = {4096, 7, 1};
	for (int esc = EXPAND_RAW; esc <= EXPAND_JSON; esc++) {
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			char out[4096], err[128] = "";
			memset(out, 'x', sizeof out);
			int rc = expand_template(tmpl, (enum expand_escape)esc, lookup, (void *)value,
						 out, sizes[k], err, sizeof err);
			FUZZ_ASSERT(rc == 0 || rc == -1);
			FUZZ_ASSERT(memchr(out, '\0', sizes[k]) != NULL);
			if (rc < 0)
				FUZZ_ASSERT(err[0] != '\0');
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 3, &p);
	const char *tmpl = p.s[0], *value = p.s[1], *form = p.s[2];
	expand_each(tmpl, value);

	/* A value alone, escaped each way, reads back as itself. */
	char out[4096], err[128];
	if (strlen(value) < 600) { /* six bytes each ("\u0013") fit out */
		FUZZ_ASSERT(expand_template("{v}", EXPAND_URL, lookup, (void *)value, out, sizeof out,
					    err, sizeof err) == 0);
		FUZZ_ASSERT(strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789-_.~%") == strlen(out));
		expand_url_decode(out);
		FUZZ_ASSERT(strcmp(out, value) == 0);
		FUZZ_ASSERT(expand_template("{\"v\": \"{v}\"}", EXPAND_JSON, lookup, (void *)value, out,
					    sizeof out, err, sizeof err) == 0);
		json_t *j = json_loads(out, 0, NULL);
		if (fuzz_utf8(value, strlen(value))) {
			FUZZ_ASSERT(j != NULL);
			FUZZ_ASSERT(strcmp(json_string_value(json_object_get(j, "v")), value) == 0);
		}
		json_decref(j);
		int raw = expand_template("X-V: {v}", EXPAND_RAW, lookup, (void *)value, out,
					  sizeof out, err, sizeof err);
		FUZZ_ASSERT(raw == (strpbrk(value, "\r\n") ? -1 : 0));
		if (raw == 0)
			FUZZ_ASSERT(!strpbrk(out, "\r\n"));
	}

	/* Reading a form body: the value of a key that is there, decoded, never
	 * longer than the encoded text. */
	char got[256];
	int rc = expand_form_get(form, tmpl, got, sizeof got);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_ASSERT(strlen(got) < sizeof got && strlen(got) <= strlen(form));
	char *copy = strdup(form);
	expand_url_decode(copy);
	FUZZ_ASSERT(strlen(copy) <= strlen(form));
	free(copy);
	fuzz_parts_free(&p);
	return 0;
}
