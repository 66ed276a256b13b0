/* /v1/dlr/{provider} — delivery reports from gateways (Kannel's dlr-url, an
 * aggregator's status callback, a messaging platform's webhook). Public: each
 * report authenticates itself (a per-message token in the URL or a signature
 * over the body), and the provider decides which. A forged or unknown report
 * is refused and logged; a duplicate or late one is answered 200 so the
 * gateway stops retrying, and changes nothing. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "delivery/delivery.h"

static const char *query(void *arg, const char *key)
{
	return http_query(arg, key);
}

static const char *header(void *arg, const char *name)
{
	return http_header(arg, name);
}

void api_dlr(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *provider = req->params[0];
	struct provider_report_in in = {
	    .query = query,
	    .header = header,
	    .arg = req,
	    .content_type = http_header(req, "Content-Type"),
	    .body = req->raw_body ? req->raw_body : "",
	    .body_len = req->raw_len,
	    .target = req->target,
	};
	char id[STORE_ID_MAX], why[256] = "";
	int rc = api->delivery ? delivery_report(api->delivery, api->core->store, provider, &in,
	                                         clock_now_ms(), id, why, sizeof why)
	                       : DELIVERY_REPORT_UNKNOWN;
	switch (rc) {
	case 0:
	case DELIVERY_REPORT_STALE:
	case DELIVERY_REPORT_IGNORED:
		log_debug("report from %s for message %s: %s", provider, id[0] ? id : "-",
		          rc ? why : "applied");
		/* Two reports a message: the answer is written as is. */
		res->status = 200;
		res->text = xstrdup(rc == 0 ? "{\"status\":\"applied\"}" : "{\"status\":\"ignored\"}");
		res->text_type = "application/json";
		return;
	case DELIVERY_REPORT_CHALLENGE:
		/* WhatsApp's (Meta's) webhook subscription: echo hub.challenge as is. */
		res->status = 200;
		res->text = xstrdup(id);
		return;
	case DELIVERY_REPORT_FORGED:
		log_warn("refused a forged delivery report for provider %.32s from %s: %s",
		         provider, req->client_ip, why);
		http_reply_error(res, IOTP_E_REPORT_FORGED, NULL);
		return;
	case DELIVERY_REPORT_INVALID:
		log_warn("refused a delivery report for provider %.32s from %s: %s", provider,
		         req->client_ip, why);
		http_reply_error(res, IOTP_E_REPORT_INVALID, NULL);
		return;
	case DELIVERY_REPORT_UNKNOWN:
		log_warn("refused a delivery report for provider %.32s from %s: %s", provider,
		         req->client_ip, why[0] ? why : "no such provider");
		http_reply_error(res, IOTP_E_REPORT_UNKNOWN, NULL);
		return;
	default:
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
}
