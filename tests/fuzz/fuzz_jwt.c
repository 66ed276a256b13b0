/* jwt_verify and jwt_sign (src/compat/jwt.c): the GoTrue facade's access
 * tokens, which any client can present. Input: a token, or (first byte 0)
 * claims as JSON to sign. Contract: verify returns NULL or an object whose
 * integer exp is later than now; a token it signed verifies to the same
 * claims under its secret, and not under another, nor once altered, nor
 * after exp. */
#include "compat/jwt.h"
#include "fuzz.h"

#define SECRET "fuzz-secret-fuzz-secret-fuzz-secret!"
#define NOW 1800000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0) {
		json_t *claims = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES,
					    NULL);
		if (!json_is_object(claims)) {
			json_decref(claims);
			return 0;
		}
		json_object_set_new(claims, "exp", json_integer(NOW + 60));
		char token[JWT_MAX];
		int rc = jwt_sign(SECRET, claims, token, sizeof token);
		FUZZ_ASSERT(rc == 0 || rc == -1);
		if (rc == 0) {
			FUZZ_ASSERT(strlen(token) < sizeof token);
			json_t *back = jwt_verify(SECRET, token, NOW);
			/* verify takes tokens shorter than JWT_MAX; sign may fill it. */
			if (strlen(token) < JWT_MAX - 1) {
				FUZZ_ASSERT(back != NULL);
				FUZZ_ASSERT(json_equal(back, claims));
			}
			json_decref(back);
			FUZZ_ASSERT(jwt_verify("another-secret-another-secret-xx", token, NOW) == NULL);
			FUZZ_ASSERT(jwt_verify(SECRET, token, NOW + 60) == NULL);
			size_t at = (size_t)data[size - 1] * 7 % strlen(token);
			token[at] = token[at] == 'A' ? 'B' : 'A';
			/* libsodium refuses a last character with unused bits set, so
			 * no other spelling of the same bytes passes either. */
			FUZZ_ASSERT(jwt_verify(SECRET, token, NOW) == NULL);
		}
		json_decref(claims);
		return 0;
	}
	char *token = malloc(size + 1);
	memcpy(token, data, size);
	token[size] = '\0';
	json_t *claims = jwt_verify(SECRET, token, NOW);
	if (claims) {
		FUZZ_ASSERT(json_is_object(claims));
		json_t *exp = json_object_get(claims, "exp");
		FUZZ_ASSERT(json_is_integer(exp) && json_integer_value(exp) > NOW);
	}
	json_decref(claims);
	free(token);
	return 0;
}
