/* auth: API-key checks for app endpoints. */
#ifndef IOTP_AUTH_H
#define IOTP_AUTH_H

/* 1 when header is "Bearer <key>" with the right key. The comparison takes the
 * same time whatever the header holds (both sides are hashed first, so neither
 * content nor length leaks through timing). */
int auth_bearer_ok(const char *header, const char *key);

#endif
