/* totp: authenticator-app codes (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1,
 * 6 digits, 30-second steps, which is what every authenticator app reads from
 * an otpauth:// URI without asking. The HMAC is OpenSSL's; this file only does
 * the truncation and the base32 the URIs carry. Time is passed in. */
#ifndef IOTP_TOTP_H
#define IOTP_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits: RFC 4226's recommended key length */
#define TOTP_DIGITS 6
#define TOTP_STEP_MS 30000
#define TOTP_BASE32_MAX 64 /* base32 of a secret, NUL included */

/* The 30-second step now (ms since the epoch) falls in. */
int64_t totp_step(int64_t now_ms);

/* The HOTP value of key for counter, reduced to digits (6..8) decimal digits,
 * written zero-padded into out (digits + 1 bytes). Returns 0, or -1 when the
 * HMAC could not be computed. */
int totp_hotp(const unsigned char *key, size_t key_len, uint64_t counter, int digits, char *out);

/* Whether code is key's code for step, in constant time over its digits.
 * code must be exactly TOTP_DIGITS digits (else 0). */
int totp_matches(const unsigned char *key, size_t key_len, int64_t step, const char *code);

/* RFC 4648 base32 without padding (what otpauth:// secrets are), into out
 * (at most size bytes, NUL-terminated). Returns 0, or -1 when out is too small. */
int totp_base32(const unsigned char *in, size_t len, char *out, size_t size);

#endif
