/* What the facade files of compat/ share. */
#ifndef IOTP_COMPAT_INTERNAL_H
#define IOTP_COMPAT_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "api/api.h"
#include "core/record.h"
#include "core/session.h"

/* A fresh id: prefix then 32 lowercase hex digits (16 random bytes), as
 * Twilio's sids look ("VA...", "VE..."). out needs 35 bytes. */
void compat_sid(const char *prefix, char out[35]);

/* Who is asking, for policy/: the client address and the calling app. */
struct policy_client compat_client(const struct http_request *req);

/* The sentence for a policy refusal that says more than the error table's
 * (the country refused, as the native API names it) into msg; NULL when the
 * table's sentence is all there is. */
const char *compat_policy_message(enum iotp_error e, const struct policy_verdict *v, char *msg,
				  size_t size);

/* RFC 3339 in UTC: "2026-11-27T04:00:00Z" (no fraction, as both APIs write). */
json_t *compat_time(int64_t ms);

/* Handlers. */
void twilio_service_create(struct http_request *req, struct http_response *res);
void twilio_service_get(struct http_request *req, struct http_response *res);
void twilio_service_list(struct http_request *req, struct http_response *res);
void twilio_service_update(struct http_request *req, struct http_response *res);
void twilio_service_delete(struct http_request *req, struct http_response *res);
void twilio_verification_create(struct http_request *req, struct http_response *res);
void twilio_verification_get(struct http_request *req, struct http_response *res);
void twilio_verification_update(struct http_request *req, struct http_response *res);
void twilio_verification_check(struct http_request *req, struct http_response *res);

/* Moves Twilio services stored under their bare sid (the first release) to
 * the per-app keys; *moved gets how many. 0 or -1 (a store failure). */
int twilio_services_upgrade(struct core *c, int64_t now, size_t *moved);

#endif
