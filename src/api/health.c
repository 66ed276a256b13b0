#include "api/api.h"

void api_health(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->status = 200;
	res->body = json_pack("{s:s}", "status", "ok");
}
