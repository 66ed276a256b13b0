/* api: the HTTP resources. Each file validates input, calls core/, and maps
 * outcomes to HTTP; no business rules live here. */
#ifndef IOTP_API_H
#define IOTP_API_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"
#include "delivery/inbox.h"
#include "http/http.h"

/* What handlers reach through req->app. */
struct api {
	struct core *core;
	struct inbox *inbox; /* NULL outside dev mode */
};

/* The route table: the whole API on one screen (api/routes.c). dev adds the dev
 * inbox. Sets *out and returns the count. */
size_t api_routes(int dev, const struct http_route **out);

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

void api_health(struct http_request *req, struct http_response *res);
void api_dev_inbox(struct http_request *req, struct http_response *res);
void api_session_create(struct http_request *req, struct http_response *res);
void api_session_get(struct http_request *req, struct http_response *res);
void api_session_send_code(struct http_request *req, struct http_response *res);
void api_session_check_code(struct http_request *req, struct http_response *res);
void api_session_update(struct http_request *req, struct http_response *res);

#endif
