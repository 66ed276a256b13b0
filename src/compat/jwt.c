#include "compat/jwt.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void mac(const char *secret, const char *data, size_t len,
		unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/* Appends base64url(data) at out + *used. Returns 0, or -1 when it does not fit. */
static int put_b64(char *out, size_t size, size_t *used, const void *data, size_t len)
{
	size_t need = sodium_base64_ENCODED_LEN(len, B64);
	if (*used + need > size)
		return -1;
	sodium_bin2base64(out + *used, size - *used, data, len, B64);
	*used += strlen(out + *used);
	return 0;
}

int jwt_sign(const char *secret, json_t *claims, char *out, size_t size)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *payload = json_dumps(claims, JSON_COMPACT);
	size_t used = 0;
	int rc = -1;
	if (!payload)
		return -1;
	if (put_b64(out, size, &used, header, sizeof header - 1) == 0 && used + 1 < size) {
		out[used++] = '.';
		if (put_b64(out, size, &used, payload, strlen(payload)) == 0 && used + 1 < size) {
			unsigned char sig[crypto_auth_hmacsha256_BYTES];
			mac(secret, out, used, sig);
			out[used++] = '.';
			rc = put_b64(out, size, &used, sig, sizeof sig);
		}
	}
	free(payload);
	return rc;
}

/* Decodes one base64url part into a JSON object, or NULL. */
static json_t *part(const char *b64, size_t len)
{
	unsigned char buf[JWT_MAX];
	size_t n;
	if (sodium_base642bin(buf, sizeof buf, b64, len, NULL, &n, NULL, B64) != 0)
		return NULL;
	json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *jwt_verify(const char *secret, const char *token, int64_t now)
{
	size_t len = token ? strlen(token) : 0;
	if (len == 0 || len >= JWT_MAX)
		return NULL;
	const char *dot1 = strchr(token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || strchr(dot2 + 1, '.'))
		return NULL;
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	size_t n;
	if (sodium_base642bin(got, sizeof got, dot2 + 1, strlen(dot2 + 1), NULL, &n, NULL, B64) != 0 ||
	    n != sizeof got)
		return NULL;
	mac(secret, token, (size_t)(dot2 - token), want);
	if (sodium_memcmp(want, got, sizeof want) != 0)
		return NULL;
	/* Signed by us: now the header and claims can be trusted to parse. */
	json_t *header = part(token, (size_t)(dot1 - token));
	const char *alg = json_string_value(json_object_get(header, "alg"));
	int alg_ok = alg && strcmp(alg, "HS256") == 0;
	json_decref(header);
	if (!alg_ok)
		return NULL;
	json_t *claims = part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	json_t *exp = json_object_get(claims, "exp");
	if (!claims || !json_is_integer(exp) || json_integer_value(exp) <= now) {
		json_decref(claims);
		return NULL;
	}
	return claims;
}
