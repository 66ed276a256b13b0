/* pow: the built-in proof-of-work challenge.
 *
 * The challenge of a session is 32 hex digits, a keyed hash of the session id
 * (so it is bound to the session, and the server stores nothing but the
 * difficulty). A solution is a nonce — 1 to 32 characters of [0-9a-zA-Z] —
 * such that SHA-256(challenge ":" nonce) starts with at least difficulty zero
 * bits. Finding one takes 2^difficulty hashes on average; checking it, one. */
#ifndef IOTP_POLICY_POW_H
#define IOTP_POLICY_POW_H

#include <stddef.h>

#define POW_CHALLENGE_LEN 32
#define POW_NONCE_MAX 32
#define POW_KEY_BYTES 32

/* Writes the challenge of session_id (POW_CHALLENGE_LEN hex digits + NUL). */
void pow_challenge(const unsigned char key[POW_KEY_BYTES], const char *session_id,
		   char out[POW_CHALLENGE_LEN + 1]);

/* The number of leading zero bits of SHA-256(challenge ":" nonce), or -1 when
 * nonce is not 1..POW_NONCE_MAX characters of [0-9a-zA-Z]. */
int pow_zero_bits(const char *challenge, const char *nonce);

/* 1 when nonce solves challenge at difficulty, else 0. */
int pow_verify(const char *challenge, const char *nonce, int difficulty);

#endif
