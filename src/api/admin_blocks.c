/* /v1/admin/blocks — the fraud measures in force (number ranges and countries
 * throttled or blocked for SMS pumping, docs/fraud.md), and POST
 * /v1/admin/blocks/lift {"key"} to lift one, as 'iotpctl fraud unblock' does.
 * The key goes in the body: it holds '|' and '+', which paths mangle. */
#include <string.h>

#include "api/admin.h"
#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/admin.h"

static void add_block(const struct store_block *b, void *arg)
{
	char what[96];
	admin_describe_block(b->key, what, sizeof what);
	json_array_append_new(
	    arg, json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:f, s:f, s:f, s:s}", "key", b->key,
	                   "measure", b->state == STORE_BLOCK_BLOCKED ? "blocked" : "throttled",
	                   "applies_to", what, "since", api_time(b->since), "until",
	                   b->until ? api_time(b->until) : json_null(), "strike", b->strikes, "sent",
	                   b->sent, "verified", b->verified, "baseline", b->baseline, "reason",
	                   b->reason));
}

void api_admin_blocks(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (!api_admin_allowed(req, res))
		return;
	json_t *list = json_array();
	if (admin_blocks(api->core, clock_now_ms(), add_block, list) < 0) {
		json_decref(list);
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->status = 200;
	res->body = json_pack("{s:o}", "blocks", list);
}

void api_admin_lift(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (!api_admin_allowed(req, res))
		return;
	const char *key;
	const struct api_field fields[] = {{"key", 1, 39, &key}};
	if (api_read_fields(req, res, fields, 1) < 0)
		return;
	char by[80];
	strfmt(by, sizeof by, "admin API (%s)", req->client_ip ? req->client_ip : "?");
	int rc = admin_lift_block(api->core, key, by, clock_now_ms());
	if (rc == STORE_NOT_FOUND) {
		json_object_set_new(
		    http_reply_error(res, IOTP_E_NOT_FOUND,
		                     "Nothing is blocked or throttled under this key. "
		                     "GET /v1/admin/blocks lists the keys in force."),
		    "key", json_string(key));
		return;
	}
	if (rc < 0) {
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	log_info("admin: lifted the fraud measure on %s (%s)", key, by);
	res->status = 200;
	res->body = json_pack("{s:s, s:b}", "key", key, "lifted", 1);
}
