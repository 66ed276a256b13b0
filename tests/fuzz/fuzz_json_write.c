/* json_write_compact (base/json_write.c) on any JSON value jansson reads:
 * contract, the same bytes as json_dumps(JSON_COMPACT | JSON_ENCODE_ANY),
 * whole or cut at any size as snprintf cuts; 0 only where json_dumps fails
 * too or the value nests deeper than JSON_WRITE_DEPTH. */
#include "base/json_write.h"
#include "fuzz.h"

/* How many arrays and objects the deepest value sits in. */
static int containers_deep(json_t *v)
{
	int most = 0;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			int d = containers_deep(json_array_get(v, i));
			most = d > most ? d : most;
		}
		return most + 1;
	}
	if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			int d = containers_deep(json_object_iter_value(it));
			most = d > most ? d : most;
		}
		return most + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!v)
		return 0;
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char small[64];
	size_t n = json_write_compact(v, small, sizeof small);
	if (n == 0) {
		/* jansson reads only UTF-8, so depth is the one reason left. */
		FUZZ_ASSERT(containers_deep(v) > JSON_WRITE_DEPTH || !want);
	} else {
		FUZZ_ASSERT(want != NULL);
		FUZZ_ASSERT(n == strlen(want));
		char *got = malloc(n + 1);
		FUZZ_ASSERT(json_write_compact(v, got, n + 1) == n);
		FUZZ_ASSERT(memcmp(got, want, n + 1) == 0);
		size_t cut = n < sizeof small ? n : sizeof small - 1;
		FUZZ_ASSERT(memcmp(small, want, cut) == 0 && small[cut] == '\0');
		free(got);
	}
	free(want);
	json_decref(v);
	return 0;
}
