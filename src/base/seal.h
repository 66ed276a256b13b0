/* seal: authenticated encryption of small secrets at rest (codes, message texts)
 * with keys derived from the server secret. XChaCha20-Poly1305 from libsodium;
 * the associated data binds a sealed value to its row (a session or message id),
 * so a value copied to another row does not open. */
#ifndef IOTP_SEAL_H
#define IOTP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES 32
#define SEAL_OVERHEAD 40 /* nonce (24) + tag (16) */

/* Which key: one subkey of the server secret per purpose. */
enum seal_purpose { SEAL_CODE = 1, SEAL_MESSAGE = 2, SEAL_ACCOUNT = 3 };

struct seal_keys {
	unsigned char code[SEAL_KEY_BYTES];
	unsigned char message[SEAL_KEY_BYTES];
	unsigned char account[SEAL_KEY_BYTES]; /* recovery e-mails, credential hashes, PIN pepper */
};

/* Derives the purpose keys from a 32-byte master secret. */
void seal_derive(const unsigned char master[32], struct seal_keys *out);

/* Seals len bytes of plain into out (len + SEAL_OVERHEAD bytes, at most size).
 * Returns 0, or -1 when out is too small. */
int seal_close(const unsigned char key[SEAL_KEY_BYTES], const char *ad, const void *plain,
	       size_t len, unsigned char *out, size_t size, size_t *out_len);
/* Opens what seal_close made into out (at most size bytes, NUL-terminated so
 * text comes out as a C string: size must exceed the plain length).
 * Returns 0, or -1 when the value was tampered with, belongs to another row,
 * or was sealed with another secret. */
int seal_open(const unsigned char key[SEAL_KEY_BYTES], const char *ad, const unsigned char *sealed,
	      size_t len, char *out, size_t size, size_t *out_len);

/* A fresh random id: n random bytes as URL-safe base64 without padding, written
 * to out (size >= 4*n/3 + 2). */
void seal_random_id(size_t n, char *out, size_t size);

/* A fresh id for a row written often (sessions, messages): the time in ms
 * as SEAL_TIME_CHARS characters that sort as the times do, then n random
 * bytes (at least 12) as URL-safe base64 without padding; out needs
 * SEAL_TIME_CHARS + 4*n/3 + 2 bytes. Rows made one after another then go
 * to the end of the store's indexes, so a group commit writes a few pages
 * for them, not one page per row (and pages fill instead of splitting in
 * half); the random part keeps the id unguessable. The id tells when its
 * row was made, as the row's created_at does anyway. */
#define SEAL_TIME_CHARS 8 /* 48 bits of milliseconds: until the year 10889 */
void seal_time_id(size_t n, int64_t now_ms, char *out, size_t size);

/* Wipes a buffer that held a code or a message text (not optimised away). */
void seal_wipe(char *buf, size_t size);

#endif
