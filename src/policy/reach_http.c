/* The "http" reachability provider: GET reach_url with {phone} replaced by
 * the number (E.164 with its '+' %-escaped), the reach_header header if set,
 * and an answer of 200 with a JSON object whose "reachable" is true or false.
 * Anything else — another status, no such member, a timeout — is unknown. An
 * operator points it at the provider's lookup API directly when it answers
 * so, or at a small adapter. docs/fraud.md describes it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "delivery/fetch.h"
#include "policy/reach.h"

struct http_reach {
	struct fetch *fetch;
	char *url;
	char *header; /* "Name: value" or NULL */
};

static int http_open(const struct config *cfg, void **state, char *err, size_t errlen)
{
	if (!cfg->reach_url || strncmp(cfg->reach_url, "http", 4) ||
	    !strstr(cfg->reach_url, "{phone}")) {
		strfmt(err, errlen,
		       "option reach_url (IOTP_REACH_URL): give the lookup URL with {phone} where the "
		       "number goes, e.g. https://lookup.example/v1/{phone}");
		return -1;
	}
	if (cfg->reach_header && *cfg->reach_header && !strchr(cfg->reach_header, ':')) {
		strfmt(err, errlen,
		       "option reach_header (IOTP_REACH_HEADER): write it as 'Name: value', e.g. "
		       "'Authorization: Bearer KEY'");
		return -1;
	}
	struct http_reach *h = xcalloc(1, sizeof *h);
	h->fetch = fetch_new(cfg->reach_timeout_ms);
	h->url = xstrdup(cfg->reach_url);
	h->header = cfg->reach_header && *cfg->reach_header ? xstrdup(cfg->reach_header) : NULL;
	*state = h;
	return 0;
}

static void http_close(void *state)
{
	struct http_reach *h = state;
	fetch_free(h->fetch);
	free(h->url);
	free(h->header);
	free(h);
}

static enum reach_status http_lookup(void *state, const char *e164, char *err, size_t errlen)
{
	struct http_reach *h = state;
	char url[1024], number[40];
	/* E.164 is '+' and digits: only the '+' needs escaping. */
	strfmt(number, sizeof number, "%s%s", e164[0] == '+' ? "%2B" : "", e164 + (e164[0] == '+'));
	const char *at = strstr(h->url, "{phone}");
	if (strfmt(url, sizeof url, "%.*s%s%s", (int)(at - h->url), h->url, number,
		   at + strlen("{phone}")) < 0) {
		strfmt(err, errlen, "the lookup URL is too long");
		return REACH_UNKNOWN;
	}
	const char *headers[] = {h->header, NULL};
	struct fetch_request req = {.method = "GET", .url = url, .headers = h->header ? headers : NULL};
	struct fetch_answer *ans = xmalloc(sizeof *ans);
	enum reach_status st = REACH_UNKNOWN;
	if (fetch_do(h->fetch, &req, ans, err, errlen) < 0)
		goto out;
	if (ans->status != 200) {
		strfmt(err, errlen, "the provider answered HTTP %ld", ans->status);
		goto out;
	}
	json_t *doc = json_loadb(ans->body, ans->len, 0, NULL);
	json_t *v = json_is_object(doc) ? json_object_get(doc, "reachable") : NULL;
	if (json_is_boolean(v))
		st = json_is_true(v) ? REACH_REACHABLE : REACH_UNREACHABLE;
	else
		strfmt(err, errlen, "the provider's answer has no \"reachable\": true or false");
	json_decref(doc);
out:
	free(ans);
	return st;
}

const struct reach_ops reach_http_ops = {
	.name = "http",
	.open = http_open,
	.close = http_close,
	.lookup = http_lookup,
};
