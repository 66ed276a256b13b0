/* The admin API (/v1/admin, api/admin*.c): the operator's reads and the lift
 * of a fraud measure, for the dashboard and 'iotpctl --url'. */
#ifndef IOTP_API_ADMIN_H
#define IOTP_API_ADMIN_H

#include <stddef.h>

#include "http/http.h"

/* 1 when the request carries the admin key (and it is no app's key); else
 * fills res with 404 (no admin_key set) or 401 and returns 0. */
int api_admin_allowed(struct http_request *req, struct http_response *res);
/* A number with its middle hidden ("+4479•••••23"), for lists: where it is
 * and which it is, without the number itself. buf needs 3 bytes per digit. */
void api_admin_mask(const char *e164, char *buf, size_t size);

void api_admin_stats(struct http_request *req, struct http_response *res);
void api_admin_number(struct http_request *req, struct http_response *res);
void api_admin_blocks(struct http_request *req, struct http_response *res);
void api_admin_lift(struct http_request *req, struct http_response *res);

#endif
