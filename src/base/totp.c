#include "base/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int64_t totp_step(int64_t now_ms)
{
	return now_ms >= 0 ? now_ms / TOTP_STEP_MS : -1;
}

int totp_hotp(const unsigned char *key, size_t key_len, uint64_t counter, int digits, char *out)
{
	static const uint32_t pow10[] = {1,      10,      100,      1000,     10000,
	                                 100000, 1000000, 10000000, 100000000};
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (digits < 6 || digits > 8)
		return -1;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof msg, mac, &mac_len) || mac_len != 20)
		return -1;
	/* RFC 4226 5.3: dynamic truncation. */
	int off = mac[19] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	               ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	uint32_t v = bin % pow10[digits];
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[digits] = '\0';
	OPENSSL_cleanse(mac, sizeof mac);
	return 0;
}

int totp_matches(const unsigned char *key, size_t key_len, int64_t step, const char *code)
{
	char want[TOTP_DIGITS + 1];
	if (!code || strlen(code) != TOTP_DIGITS || step < 0)
		return 0;
	if (totp_hotp(key, key_len, (uint64_t)step, TOTP_DIGITS, want) < 0)
		return 0;
	/* Constant time: a timing difference would tell which digits are right. */
	unsigned char diff = 0;
	for (int i = 0; i < TOTP_DIGITS; i++)
		diff |= (unsigned char)(want[i] ^ code[i]);
	OPENSSL_cleanse(want, sizeof want);
	return diff == 0;
}

int totp_base32(const unsigned char *in, size_t len, char *out, size_t size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t need = (len * 8 + 4) / 5 + 1, o = 0;
	if (size < need)
		return -1;
	uint32_t buf = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}
