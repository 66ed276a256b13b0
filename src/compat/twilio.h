/* What the Twilio facade's files share: its error shape, the small readers
 * and writers every resource uses, and the service lookup verifications need.
 * twilio_services.c holds the services, twilio_verifications.c the
 * verifications and checks, twilio_error.c the error table. */
#ifndef IOTP_COMPAT_TWILIO_H
#define IOTP_COMPAT_TWILIO_H

#include <jansson.h>
#include <stdint.h>

#include "base/alloc.h"
#include "core/core.h"
#include "core/record.h"
#include "http/http.h"

/* Fills res with Twilio's error JSON {code, message, more_info, status}. */
void twilio_reply(struct http_response *res, int code, int status, const char *message);
/* 60200 "Invalid parameter `param`: why" (why may be NULL), 400. */
void twilio_invalid(struct http_response *res, const char *param, const char *why);
/* 20404, 404: what Twilio answers for anything absent or finished. */
void twilio_not_found(struct http_response *res);
/* 20500, 500: the store failed. */
void twilio_internal(struct http_response *res);

/* The core behind the request. */
struct core *twilio_core(const struct http_request *req);
/* "https://host" of this request, for the resources' url fields. */
void twilio_base_url(struct http_request *req, char *out, size_t size);
/* 1 when s is a sid with this two-letter prefix and 32 lowercase hex digits. */
int twilio_is_sid(const char *s, const char *prefix);

/* CodeLength: from the app's min_code_length to 10 digits; *out 0 when
 * absent. Returns 0, or -1 after answering 60200. */
int twilio_read_code_length(struct http_request *req, struct http_response *res, int *out);

/* The calling app's service sid names, or NULL after answering 20404 (or
 * 20500 when the store fails). rec (may be NULL) gets its record, for a
 * compare-and-swap write. The caller owns the object. */
json_t *twilio_service_load(struct http_request *req, struct http_response *res, const char *sid,
			    struct store_record *rec);

#endif
