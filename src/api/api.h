/* api: the HTTP resources. Each file validates input, calls core/, and maps
 * outcomes to HTTP; no business rules live here. */
#ifndef IOTP_API_H
#define IOTP_API_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"
#include "delivery/inbox.h"
#include "http/http.h"
#include "phone/phone.h"

/* What handlers reach through req->app. */
struct delivery;

struct api {
	struct core *core;
	struct inbox *inbox;       /* NULL outside dev mode */
	struct delivery *delivery; /* providers, for delivery reports */
};

/* The route table: the whole API on one screen (api/routes.c). dev adds the dev
 * inbox; reports adds the delivery-report routes (left out when they have a
 * listener of their own). Sets *out to a new array (the caller frees it) and
 * returns the count. */
size_t api_routes(int dev, int reports, struct http_route **out);
/* The delivery-report routes alone, for the callback_listen listener: a static
 * table. Returns the count. */
size_t api_report_routes(const struct http_route **out);

/* http_options.authenticate: the app whose key "Authorization: Bearer <key>"
 * presents; its id becomes req->principal. */
int api_authenticate(void *api, const char *authorization, const char **principal);

/* Fills res with the 422 for a number refused by core/number.h: what is wrong,
 * for which country, what a valid number there looks like (as fields too:
 * region, country_name, calling_code, example, number_type). */
void api_reply_bad_number(struct http_response *res, enum iotp_error e,
			  const struct phone_number *n, const char *typed_region);

/* One expected field of a JSON body. */
struct api_field {
	const char *name;
	int required;
	size_t max_len;   /* longest accepted string, in bytes */
	const char **out; /* set to the string, or NULL when absent */
};

/* Reads the string fields of req->body. Refuses unknown fields, wrong types,
 * missing required fields and over-long values with a 400 naming the field.
 * Returns 0, or -1 after filling res. */
int api_read_fields(struct http_request *req, struct http_response *res,
		    const struct api_field *fields, size_t n);

/* The longest name a person may give a device or a passkey, in characters
 * (store.h's STORE_NAME_MAX holds it in UTF-8). */
#define API_NAME_CHARS 64

/* 1 when name (may be NULL: absent) can be shown as a device's or a
 * passkey's name: 1 to API_NAME_CHARS characters of UTF-8, not all blank,
 * with no control characters (line breaks, tabs, U+0000-U+001F,
 * U+007F-U+009F, U+2028, U+2029) and no direction overrides (U+202A-U+202E,
 * U+2066-U+2069), which would garble it in a list or a log. Else fills res
 * with a 400 naming field and saying what to send, and returns 0. */
int api_name_ok(const char *name, const char *field, struct http_response *res);

/* A time as the API writes it (RFC 3339 UTC with ms), or JSON null for 0
 * ("never"). */
json_t *api_time(int64_t ms);

/* 1 when locale (may be NULL) is shaped like a BCP 47 tag; else fills res with
 * a 400 naming the field and returns 0. A well-formed tag iotp has no
 * language for is fine: the message falls back to the next rule. */
int api_locale_ok(const char *locale, struct http_response *res);

void api_metrics(struct http_request *req, struct http_response *res);
void api_ready(struct http_request *req, struct http_response *res);
void api_health(struct http_request *req, struct http_response *res);
void api_dev_inbox(struct http_request *req, struct http_response *res);
void api_session_create(struct http_request *req, struct http_response *res);
void api_session_get(struct http_request *req, struct http_response *res);
void api_session_send_code(struct http_request *req, struct http_response *res);
void api_session_check_code(struct http_request *req, struct http_response *res);
void api_session_cancel(struct http_request *req, struct http_response *res);
void api_lookup(struct http_request *req, struct http_response *res);
/* The account of the device that calls (Authorization: Device <credential>,
 * api/accounts.c). Returns 0, or -1 after answering 401 (or 403 while it must
 * re-verify, unless allow_reverify). */
int api_device_account(struct http_request *req, struct http_response *res, int allow_reverify,
		       struct store_account *a, int64_t now);
/* Answers with the account (status) or the error of an account operation,
 * with the PIN's fields on a PIN outcome. */
struct account_result;
void api_account_reply(struct api *api, struct http_response *res, enum iotp_error e,
		       const struct account_result *r, int64_t now, int status);
/* Reads a browser's PublicKeyCredential in its JSON form (api/passkeys.c):
 * rawId (or id) and response's base64url members; registration (1) needs
 * attestationObject, authentication (0) authenticatorData and signature.
 * The strings are borrowed from cred. Returns 0, or -1 after a 400 naming
 * field. */
struct account_passkey_response;
int api_passkey_response(json_t *cred, const char *field, int registration,
			 struct account_passkey_response *out, struct http_response *res);
void api_passkey_register_options(struct http_request *req, struct http_response *res);
void api_passkey_register_finish(struct http_request *req, struct http_response *res);
void api_passkey_list(struct http_request *req, struct http_response *res);
void api_passkey_remove(struct http_request *req, struct http_response *res);
void api_passkey_auth_options(struct http_request *req, struct http_response *res);
void api_passkey_auth_finish(struct http_request *req, struct http_response *res);
void api_account_register(struct http_request *req, struct http_response *res);
void api_account_me(struct http_request *req, struct http_response *res);
void api_account_set_pin(struct http_request *req, struct http_response *res);
void api_account_remove_pin(struct http_request *req, struct http_response *res);
void api_account_check_pin(struct http_request *req, struct http_response *res);
void api_account_change_number(struct http_request *req, struct http_response *res);
void api_account_totp_enrol(struct http_request *req, struct http_response *res);
void api_account_totp_confirm(struct http_request *req, struct http_response *res);
void api_account_totp_disable(struct http_request *req, struct http_response *res);
void api_account_reverify(struct http_request *req, struct http_response *res);
void api_pin_reset_request(struct http_request *req, struct http_response *res);
void api_pin_reset_page(struct http_request *req, struct http_response *res);
void api_pin_reset(struct http_request *req, struct http_response *res);
void api_session_update(struct http_request *req, struct http_response *res);
void api_dlr(struct http_request *req, struct http_response *res);

#endif
