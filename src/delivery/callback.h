/* callback: how delivery-report URLs and payloads are authenticated.
 *
 * A report URL iotpd hands a gateway names the message and carries a token,
 * HMAC-SHA256(provider's callback_secret, message id) cut to 128 bits: a
 * leaked URL speaks for its one message only, and nobody without the secret
 * can make one. Gateways that sign their payload instead (WhatsApp's
 * X-Hub-Signature-256) are checked with HMAC-SHA256 over the raw body. Every
 * comparison is constant-time. */
#ifndef IOTP_CALLBACK_H
#define IOTP_CALLBACK_H

#include <stddef.h>

#define CALLBACK_TOKEN_LEN 32 /* hex digits */

/* Writes the token for message_id (CALLBACK_TOKEN_LEN hex digits and a NUL). */
void callback_token(const char *secret, const char *message_id, char out[CALLBACK_TOKEN_LEN + 1]);
/* Whether token is message_id's token; constant-time. NULL token: no. */
int callback_token_ok(const char *secret, const char *message_id, const char *token);
/* Whether header is prefix followed by the hex HMAC-SHA256 of body under
 * secret (any case); constant-time. NULL header: no. */
int callback_signature_ok(const char *secret, const char *body, size_t len, const char *header,
                          const char *prefix);
/* Writes "<public_url>/v1/dlr/<provider>?m=<id>&t=<token>". Returns 0 or -1 when too long. */
int callback_url(const char *public_url, const char *provider, const char *message_id,
                 const char *secret, char *out, size_t size);

#endif
