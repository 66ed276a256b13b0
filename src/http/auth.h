/* auth: reading credentials out of an Authorization header. Deciding whether
 * they are right belongs to whoever started the server (http_options). */
#ifndef IOTP_AUTH_H
#define IOTP_AUTH_H

/* The token of a "Bearer <token>" header (scheme case ignored), or NULL when
 * header is NULL, names another scheme, or carries an empty token. */
const char *auth_bearer(const char *header);

#endif
