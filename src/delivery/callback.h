/* callback: how delivery-report URLs and payloads are authenticated.
 *
 * A report URL iotpd hands a gateway names the message and carries a token,
 * HMAC-SHA256(provider's callback_secret, message id) cut to 128 bits: a
 * leaked URL speaks for its one message only, and nobody without the secret
 * can make one. Gateways that sign their payload instead (WhatsApp's
 * X-Hub-Signature-256) are checked with HMAC-SHA256 over the raw body; Twilio's
 * X-Twilio-Signature (HMAC-SHA1 over the URL it called and the form's
 * parameters) by callback_twilio_ok (callback_twilio.c). Every comparison is
 * constant-time. */
#ifndef IOTP_CALLBACK_H
#define IOTP_CALLBACK_H

#include <sodium.h>
#include <stddef.h>

#define CALLBACK_TOKEN_LEN 32 /* hex digits */

/* A secret made ready for HMAC-SHA256: its padded key hashed once, when the
 * provider is set up, so a token costs two SHA-256 blocks instead of four (a
 * code's three tokens were a tenth of its instructions in front of Kannel).
 * Holds what the secret can be recomputed from: wipe it with
 * callback_key_wipe. */
struct callback_key {
	crypto_auth_hmacsha256_state keyed;
};

void callback_key_init(struct callback_key *k, const char *secret);
void callback_key_wipe(struct callback_key *k);

/* Writes the token for message_id (CALLBACK_TOKEN_LEN hex digits and a NUL). */
void callback_token(const struct callback_key *k, const char *message_id,
                    char out[CALLBACK_TOKEN_LEN + 1]);
/* Whether token is message_id's token; constant-time. NULL token: no. */
int callback_token_ok(const struct callback_key *k, const char *message_id, const char *token);
/* Whether header is prefix followed by the hex HMAC-SHA256 of body under
 * k (any case); constant-time. NULL header: no. */
int callback_signature_ok(const struct callback_key *k, const char *body, size_t len,
                          const char *header, const char *prefix);
#define CALLBACK_TWILIO_SIG_LEN 28 /* base64 of an HMAC-SHA1 */

/* Writes Twilio's signature of a request to url (the full URL with its query
 * string) with the form body form (len bytes, may be 0): CALLBACK_TWILIO_SIG_LEN
 * base64 characters and a NUL. Returns 0, or -1 when form is malformed. */
int callback_twilio_signature(const char *token, const char *url, const char *form, size_t len,
                              char out[CALLBACK_TWILIO_SIG_LEN + 1]);
/* Whether header (X-Twilio-Signature; NULL: no) signs a request to url with
 * this body under Twilio's auth token; constant-time. A form body's parameters
 * are signed; any other body must be vouched for by a bodySHA256 in url, as
 * Twilio sends JSON. The URL is tried as given, without its port, and with
 * the scheme's standard port, as Twilio's SDKs do. */
int callback_twilio_ok(const char *token, const char *url, const char *content_type,
                       const char *body, size_t len, const char *header);
/* Writes "<public_url>/v1/dlr/<provider>?m=<id>&t=<token>". Returns 0 or -1 when too long. */
int callback_url(const char *public_url, const char *provider, const char *message_id,
                 const struct callback_key *k, char *out, size_t size);

#endif
