#include "base/seal.h"

#include <sodium.h>
#include <string.h>

void seal_derive(const unsigned char master[32], struct seal_keys *out)
{
	crypto_kdf_derive_from_key(out->code, sizeof out->code, SEAL_CODE, "iotpseal", master);
	crypto_kdf_derive_from_key(out->message, sizeof out->message, SEAL_MESSAGE, "iotpseal",
				   master);
	crypto_kdf_derive_from_key(out->account, sizeof out->account, SEAL_ACCOUNT, "iotpseal", master);
}

int seal_close(const unsigned char key[SEAL_KEY_BYTES], const char *ad, const void *plain,
	       size_t len, unsigned char *out, size_t size, size_t *out_len)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	if (size < len + SEAL_OVERHEAD)
		return -1;
	randombytes_buf(out, nb);
	unsigned long long clen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, &clen, plain, len,
						   (const unsigned char *)ad, strlen(ad), NULL, out,
						   key);
	*out_len = nb + (size_t)clen;
	return 0;
}

int seal_open(const unsigned char key[SEAL_KEY_BYTES], const char *ad, const unsigned char *sealed,
	      size_t len, char *out, size_t size, size_t *out_len)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	if (len < SEAL_OVERHEAD || len - SEAL_OVERHEAD >= size)
		return -1;
	unsigned long long mlen;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &mlen, NULL,
						       sealed + nb, len - nb,
						       (const unsigned char *)ad, strlen(ad), sealed,
						       key) != 0)
		return -1;
	out[mlen] = '\0';
	if (out_len)
		*out_len = (size_t)mlen;
	return 0;
}

void seal_random_id(size_t n, char *out, size_t size)
{
	unsigned char buf[64];
	if (n > sizeof buf)
		n = sizeof buf;
	randombytes_buf(buf, n);
	sodium_bin2base64(out, size, buf, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(buf, n);
}

/* URL-safe base64's characters in byte order, so that ids sort by time. */
static const char sorted64[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

void seal_time_id(size_t n, int64_t now_ms, char *out, size_t size)
{
	if (size < SEAL_TIME_CHARS + 1) {
		if (size)
			out[0] = '\0';
		return;
	}
	uint64_t t = (uint64_t)now_ms;
	for (int i = 0; i < SEAL_TIME_CHARS; i++)
		out[i] = sorted64[(t >> (6 * (SEAL_TIME_CHARS - 1 - i))) & 63];
	seal_random_id(n < 12 ? 12 : n, out + SEAL_TIME_CHARS, size - SEAL_TIME_CHARS);
}

void seal_wipe(char *buf, size_t size)
{
	sodium_memzero(buf, size);
}
