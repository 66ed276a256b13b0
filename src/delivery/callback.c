#include "delivery/callback.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "base/alloc.h"

void callback_key_init(struct callback_key *k, const char *secret)
{
	crypto_auth_hmacsha256_init(&k->keyed, (const unsigned char *)secret, strlen(secret));
}

void callback_key_wipe(struct callback_key *k)
{
	sodium_memzero(k, sizeof *k);
}

static void hmac(const struct callback_key *k, const void *data, size_t len,
                 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st = k->keyed;
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void callback_token(const struct callback_key *k, const char *message_id,
                    char out[CALLBACK_TOKEN_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac(k, message_id, strlen(message_id), mac);
	sodium_bin2hex(out, CALLBACK_TOKEN_LEN + 1, mac, CALLBACK_TOKEN_LEN / 2);
}

int callback_token_ok(const struct callback_key *k, const char *message_id, const char *token)
{
	char want[CALLBACK_TOKEN_LEN + 1];
	if (!token || strlen(token) != CALLBACK_TOKEN_LEN)
		return 0;
	callback_token(k, message_id, want);
	return sodium_memcmp(want, token, CALLBACK_TOKEN_LEN) == 0;
}

int callback_signature_ok(const struct callback_key *k, const char *body, size_t len,
                          const char *header, const char *prefix)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char want[2 * sizeof mac + 1], got[2 * sizeof mac + 1];
	size_t pl = strlen(prefix);
	if (!header || strncmp(header, prefix, pl) != 0 || strlen(header + pl) != 2 * sizeof mac)
		return 0;
	for (size_t i = 0; i < 2 * sizeof mac; i++)
		got[i] = (char)tolower((unsigned char)header[pl + i]);
	got[2 * sizeof mac] = '\0';
	hmac(k, body, len, mac);
	sodium_bin2hex(want, sizeof want, mac, sizeof mac);
	return sodium_memcmp(want, got, 2 * sizeof mac) == 0;
}

int callback_url(const char *public_url, const char *provider, const char *message_id,
                 const struct callback_key *k, char *out, size_t size)
{
	char token[CALLBACK_TOKEN_LEN + 1];
	callback_token(k, message_id, token);
	return strfmt(out, size, "%s/v1/dlr/%s?m=%s&t=%s", public_url, provider, message_id, token);
}
