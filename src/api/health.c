#include "api/api.h"
#include "phone/phone.h"

/* The numbering metadata's version is here because "is this node reading
 * numbers with the current plans?" is the first question when one node of
 * several calls a real number invalid (docs/phone.md). */
void api_health(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->status = 200;
	res->body = json_pack("{s:s, s:s}", "status", "ok", "phone_metadata", phone_metadata_version());
}
