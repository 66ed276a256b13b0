/* GET /v1/dev/inbox?to=+E164 — what the log provider "sent" to a number, newest
 * first, exactly as the phone would show it. Dev mode only. */
#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"

static void add_entry(const struct inbox_entry *e, void *arg)
{
	char when[32];
	clock_format_ms(e->sent_at, when, sizeof when);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s}", "to", e->to, "channel",
					     e->channel, "text", e->text, "sent_at", when));
}

void api_dev_inbox(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *to = http_query(req, "to");
	if (!to || !*to) {
		json_object_set_new(http_reply_error(res, IOTP_E_MISSING_FIELD,
						     "Add ?to=+E164, the number whose messages you want "
						     "(encode + as %2B)."),
				    "field", json_string("to"));
		return;
	}
	/* An unencoded '+' arrives as a space; take it as the '+' it was. */
	char e164[24];
	strfmt(e164, sizeof e164, "%s%s", to[0] == ' ' ? "+" : "", to[0] == ' ' ? to + 1 : to);
	json_t *list = json_array();
	inbox_query(api->inbox, e164, 50, add_entry, list);
	res->status = 200;
	res->body = list;
}
