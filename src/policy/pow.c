#include "policy/pow.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

void pow_challenge(const unsigned char key[POW_KEY_BYTES], const char *session_id,
		   char out[POW_CHALLENGE_LEN + 1])
{
	unsigned char h[POW_CHALLENGE_LEN / 2];
	crypto_generichash(h, sizeof h, (const unsigned char *)session_id, strlen(session_id), key,
			   POW_KEY_BYTES);
	sodium_bin2hex(out, POW_CHALLENGE_LEN + 1, h, sizeof h);
}

int pow_zero_bits(const char *challenge, const char *nonce)
{
	size_t n = strlen(nonce);
	if (n < 1 || n > POW_NONCE_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)nonce[i]))
			return -1;
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)challenge, strlen(challenge));
	crypto_hash_sha256_update(&st, (const unsigned char *)":", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)nonce, n);
	crypto_hash_sha256_final(&st, h);
	int bits = 0;
	for (size_t i = 0; i < sizeof h; i++) {
		if (h[i] == 0) {
			bits += 8;
			continue;
		}
		for (int b = 7; b >= 0 && !(h[i] >> b & 1); b--)
			bits++;
		break;
	}
	return bits;
}

int pow_verify(const char *challenge, const char *nonce, int difficulty)
{
	return pow_zero_bits(challenge, nonce) >= difficulty;
}
