/* GET /metrics — the process's counters and histograms (base/metrics.h) for
 * Prometheus. Off (404) unless metrics_token is set; the scraper sends it as
 * a bearer token, compared in constant time. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "base/metrics.h"
#include "http/auth.h"

/* Hashes first, so the comparison takes the same time whatever the lengths. */
static int token_ok(const char *want, const char *got)
{
	unsigned char a[32], b[32];
	crypto_generichash(a, sizeof a, (const unsigned char *)want, strlen(want), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *)got, strlen(got), NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}

void api_metrics(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *want = api->core->cfg->metrics_token;
	if (!want || !*want) {
		http_reply_error(res, IOTP_E_NOT_FOUND, NULL);
		return;
	}
	const char *got = auth_bearer(http_header(req, "Authorization"));
	if (!got || !token_ok(want, got)) {
		http_reply_error(res, IOTP_E_UNAUTHORIZED,
		                 "Missing or wrong metrics token. Send 'Authorization: Bearer "
		                 "<metrics_token>'.");
		return;
	}
	char *text = metrics_render();
	if (!text) {
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->status = 200;
	res->text = text;
	res->text_type = "text/plain; version=0.0.4; charset=utf-8";
}
