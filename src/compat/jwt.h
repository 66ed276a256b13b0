/* jwt: HS256 JSON Web Tokens (RFC 7519), as Supabase's clients and PostgREST
 * read them: HMAC-SHA256 from libsodium, base64url without padding. */
#ifndef IOTP_JWT_H
#define IOTP_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_MAX 2048

/* Signs claims with secret into out ("header.payload.signature", at most size
 * bytes). Returns 0, or -1 when it does not fit. */
int jwt_sign(const char *secret, json_t *claims, char *out, size_t size);

/* Checks token's header (alg HS256), signature (constant time) and exp against
 * now (s since the epoch). Returns its claims (the caller owns them), or NULL
 * for a token that is malformed, forged, signed with another secret or
 * expired. */
json_t *jwt_verify(const char *secret, const char *token, int64_t now);

#endif
