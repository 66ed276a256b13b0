#include "api/api.h"
#include "core/core.h"
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

/* For load balancers and orchestrators: 200 only when the store can serve;
 * else 503 with why, so the person reading the probe's log knows what broke. */
void api_ready(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	char why[512];
	const char *backend;
	if (core_ready(api->core, &backend, why, sizeof why) < 0) {
		res->status = 503;
		res->body = json_pack("{s:s, s:s}", "status", "not_ready", "why", why);
		return;
	}
	res->status = 200;
	res->body = json_pack("{s:s, s:s}", "status", "ready", "store", backend);
}
