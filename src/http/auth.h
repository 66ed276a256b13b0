/* auth: reading credentials out of an Authorization header. Deciding whether
 * they are right belongs to whoever started the server (http_options). */
#ifndef IOTP_AUTH_H
#define IOTP_AUTH_H

#include <stddef.h>

/* The token of a "Bearer <token>" header (scheme case ignored), or NULL when
 * header is NULL, names another scheme, or carries an empty token. */
const char *auth_bearer(const char *header);

/* Decodes a "Basic base64(user:password)" header (scheme case ignored) into
 * user and password (NUL-terminated, each at most size - 1 bytes). Returns 0,
 * or -1 when header is NULL, names another scheme, is not base64, has no ':'
 * or does not fit. */
int auth_basic(const char *header, char *user, size_t user_size, char *password,
	       size_t password_size);

#endif
