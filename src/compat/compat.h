/* compat: the Twilio Verify v2 and Supabase Auth (GoTrue) APIs, translated onto
 * iotp's own sessions (core/session.h), so their official SDKs work against
 * iotpd by changing a base URL. No verification logic lives here: codes,
 * sends, waits, attempts and expiry are the core's; a facade only keeps what
 * its API names that iotp does not (Twilio services and verification sids,
 * GoTrue users, logins and refresh tokens) as store records (store_record). */
#ifndef IOTP_COMPAT_H
#define IOTP_COMPAT_H

#include <stddef.h>

#include "config.h"
#include "http/http.h"

/* A route table: base (the native API) followed by the routes of each facade
 * the configuration turns on (twilio_account_sid, gotrue_jwt_secret). Sets
 * *out to a table the caller frees with compat_routes_free; returns its size. */
size_t compat_routes(const struct config *cfg, const struct http_route *base, size_t n_base,
		     struct http_route **out);
void compat_routes_free(struct http_route *routes, size_t n, size_t n_base);

struct core;
/* Brings what the facades stored in an older release's shape to today's, at
 * start-up and before any request (safe on several nodes at once). Returns 0,
 * or -1 with a sentence in err. */
int compat_upgrade(struct core *c, char *err, size_t err_size);

/* Fills the facades' parts of http_options: their authenticators and error
 * shapes. */
void compat_http_options(struct http_options *ho);

/* http_options.authenticate_basic: Twilio's account SID as the user, an iotp
 * API key as the password; the key's app becomes the principal. */
int compat_twilio_authenticate(void *api, const char *user, const char *password,
			       const char **principal);
/* http_options.authenticate_apikey: Supabase's "apikey" header holds an iotp
 * API key; its app becomes the principal. */
int compat_gotrue_authenticate(void *api, const char *apikey, const char **principal);

/* Error shapes: Twilio's {code, message, more_info, status}; GoTrue's
 * {code, error_code, msg}. */
void twilio_reply_error(struct http_response *res, enum iotp_error e, const char *message);
void gotrue_reply_error(struct http_response *res, enum iotp_error e, const char *message);

#endif
