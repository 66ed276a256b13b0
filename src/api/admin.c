/* /v1/admin — the operator's API, which the dashboard at /admin and
 * 'iotpctl --url' read: figures over a time range, a number's timeline, and
 * the fraud measures in force with a way to lift one. Only the admin key
 * (admin_key) opens it, never an app's key; with no admin_key it is off (404).
 * No answer carries a code, a PIN or a message's text. */
#include <sodium.h>
#include <string.h>

#include "api/admin.h"
#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/admin.h"
#include "core/number.h"
#include "core/refusals.h"
#include "http/auth.h"

/* Hashes first, so the comparison takes the same time whatever the lengths. */
static int same_key(const char *want, const char *got)
{
	unsigned char a[32], b[32];
	crypto_generichash(a, sizeof a, (const unsigned char *)want, strlen(want), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *)got, strlen(got), NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}

int api_admin_allowed(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *want = api->core->cfg->admin_key;
	if (!want || !*want) {
		http_reply_error(
		    res, IOTP_E_NOT_FOUND,
		    "The admin API is off. Set admin_key (IOTP_ADMIN_KEY) to turn it on.");
		return 0;
	}
	const char *got = auth_bearer(http_header(req, "Authorization"));
	/* An app's key is refused even should an operator have given an app the
	 * admin key too: apps must never read other apps' numbers. */
	if (!got || !same_key(want, got) || apps_by_key(&api->core->apps, got)) {
		http_reply_error(
		    res, IOTP_E_UNAUTHORIZED,
		    "Missing or wrong admin key. Send 'Authorization: Bearer <admin_key>' "
		    "(an app's API key does not open the admin API).");
		return 0;
	}
	req->principal = "admin";
	return 1;
}

void api_admin_mask(const char *e164, char *buf, size_t size)
{
	/* The country code and the first digits tell where; the last two tell
	 * numbers apart in a list; the rest is hidden. */
	size_t n = strlen(e164), keep_head = n > 8 ? 5 : 2, keep_tail = n > 8 ? 2 : 0;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < size; i++) {
		if (i < keep_head || i >= n - keep_tail) {
			buf[o++] = e164[i];
		} else {
			memcpy(buf + o, "\xe2\x80\xa2", 3); /* • */
			o += 3;
		}
	}
	buf[o] = '\0';
}

/* The ranges the dashboard offers, each with the step its chart is drawn in. */
static const struct {
	const char *name;
	int64_t span_ms, step_ms;
} ranges[] = {
    {"15m", 15 * 60000LL, 60000},
    {"1h", 60 * 60000LL, 60000},
    {"6h", 6 * 3600000LL, 5 * 60000},
    {"24h", 24 * 3600000LL, 15 * 60000},
    {"7d", 7 * 24 * 3600000LL, 2 * 3600000LL},
};

struct stats {
	int64_t since, step;
	size_t n_steps;
	json_t *series;    /* one object per step, oldest first */
	json_t *countries; /* region -> {sent, verified} */
	json_t *providers;
	json_t *deliveries;
	json_t *refusals;
	json_t *recent;
	int reveal;
};

static json_t *step_of(struct stats *s, int64_t at)
{
	if (at < s->since)
		return NULL;
	size_t i = (size_t)((at - s->since) / s->step);
	return i < s->n_steps ? json_array_get(s->series, i) : NULL;
}

static void add_int(json_t *obj, const char *key, int64_t v)
{
	json_t *cur = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer((cur ? json_integer_value(cur) : 0) + v));
}

static void pair_add(json_t *map, const char *key, int64_t sent, int64_t verified)
{
	json_t *o = json_object_get(map, key);
	if (!o) {
		o = json_pack("{s:i, s:i}", "sent", (json_int_t)0, "verified", (json_int_t)0);
		json_object_set_new(map, key, o);
	}
	add_int(o, "sent", sent);
	add_int(o, "verified", verified);
}

static void on_activity(const struct store_activity *a, void *arg)
{
	struct stats *s = arg;
	json_t *step;
	switch (a->kind) {
	case STORE_ACT_MINUTE:
		if ((step = step_of(s, a->at))) {
			add_int(step, "sent", a->n[0]);
			add_int(step, "verified", a->n[1]);
		}
		break;
	case STORE_ACT_COUNTRY:
		pair_add(s->countries, a->key, a->n[0], a->n[1]);
		break;
	case STORE_ACT_PROVIDER:
		pair_add(s->providers, a->key, a->n[0], a->n[1]);
		break;
	case STORE_ACT_STATUS:
		add_int(s->deliveries, a->key, a->n[0]);
		break;
	}
}

static void on_refusals(int64_t minute, const uint32_t counts[REFUSAL_REASONS], void *arg)
{
	struct stats *s = arg;
	json_t *step = step_of(s, minute);
	for (int r = 0; r < REFUSAL_REASONS; r++) {
		if (!counts[r])
			continue;
		add_int(s->refusals, refusal_reason_name(r), counts[r]);
		if (step)
			add_int(json_object_get(step, "refused"), refusal_reason_name(r),
			        counts[r]);
	}
}

static void on_recent(const struct store_session *ss, void *arg)
{
	struct stats *s = arg;
	char phone[64];
	if (s->reveal)
		strfmt(phone, sizeof phone, "%s", ss->phone);
	else
		api_admin_mask(ss->phone, phone, sizeof phone);
	json_array_append_new(
	    s->recent,
	    json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:s}", "session_id",
	              ss->id, "phone", phone, "region", ss->region, "app", ss->app, "created_at",
	              api_time(ss->created_at), "verified_at", api_time(ss->verified_at),
	              "canceled_at", api_time(ss->canceled_at), "sms_sent", ss->sms_sent,
	              "voice_sent", ss->voice_sent, "checks", ss->check_attempts, "status",
	              ss->verified_at                 ? "verified"
	              : ss->canceled_at               ? "canceled"
	              : ss->sms_sent + ss->voice_sent ? "code_sent"
	                                              : "created"));
}

/* {region: {sent, verified}} as a list with names and conversion, busiest first. */
static json_t *pairs_list(json_t *map, const char *key_name, int countries)
{
	json_t *list = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(map, k, v)
	{
		int64_t sent = json_integer_value(json_object_get(v, "sent"));
		int64_t ver = json_integer_value(json_object_get(v, "verified"));
		json_t *row = json_pack("{s:s, s:I, s:I, s:o}", key_name, k, "sent",
		                        (json_int_t)sent, "verified", (json_int_t)ver, "conversion",
		                        sent ? json_real((double)ver / (double)sent) : json_null());
		if (countries) {
			char name[64];
			if (phone_country_name(k, name, sizeof name) == 0)
				json_object_set_new(row, "name", json_string(name));
		}
		size_t i = 0;
		for (; i < json_array_size(list); i++)
			if (json_integer_value(json_object_get(json_array_get(list, i), "sent")) <
			    sent)
				break;
		json_array_insert_new(list, i, row);
	}
	return list;
}

/* GET /v1/admin/stats?range=15m|1h|6h|24h|7d&reveal=1 */
void api_admin_stats(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (!api_admin_allowed(req, res))
		return;
	const char *range = http_query(req, "range");
	size_t r = 1;
	if (range) {
		for (r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
			if (!strcmp(ranges[r].name, range))
				break;
		if (r == sizeof ranges / sizeof ranges[0]) {
			json_object_set_new(
			    http_reply_error(res, IOTP_E_INVALID_FIELD,
			                     "Parameter 'range' must be 15m, 1h, 6h, "
			                     "24h or 7d."),
			    "field", json_string("range"));
			return;
		}
	}
	const char *reveal = http_query(req, "reveal");
	int64_t now = clock_now_ms(), step = ranges[r].step_ms;
	/* Steps aligned to the step, so a refresh does not shift every bar. */
	int64_t end = (now / step + 1) * step;
	struct stats s = {.step = step, .n_steps = (size_t)(ranges[r].span_ms / step)};
	s.since = end - (int64_t)s.n_steps * step;
	s.reveal = reveal && !strcmp(reveal, "1");
	s.series = json_array();
	for (size_t i = 0; i < s.n_steps; i++)
		json_array_append_new(s.series, json_pack("{s:o, s:i, s:i, s:{}}", "at",
		                                          api_time(s.since + (int64_t)i * step),
		                                          "sent", 0, "verified", 0, "refused"));
	s.countries = json_object();
	s.providers = json_object();
	s.deliveries = json_object();
	s.refusals = json_object();
	s.recent = json_array();
	int rc = admin_activity(api->core, s.since, step, on_activity, &s);
	if (rc == 0)
		rc = admin_recent_sessions(api->core, s.since, 20, on_recent, &s);
	refusals_read(s.since, now, on_refusals, &s);
	if (rc < 0) {
		json_decref(s.series);
		json_decref(s.countries);
		json_decref(s.providers);
		json_decref(s.deliveries);
		json_decref(s.refusals);
		json_decref(s.recent);
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	if (s.reveal)
		log_info("admin: numbers shown unmasked to %s", req->client_ip);
	int64_t sent = 0, verified = 0;
	for (size_t i = 0; i < s.n_steps; i++) {
		json_t *st = json_array_get(s.series, i);
		sent += json_integer_value(json_object_get(st, "sent"));
		verified += json_integer_value(json_object_get(st, "verified"));
	}
	res->status = 200;
	res->body =
	    json_pack("{s:s, s:o, s:o, s:I, s:{s:I, s:I, s:o}, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
	              "range", ranges[r].name, "since", api_time(s.since), "until", api_time(end),
	              "step_seconds", (json_int_t)(step / 1000), "totals", "sent", (json_int_t)sent,
	              "verified", (json_int_t)verified, "conversion",
	              sent ? json_real((double)verified / (double)sent) : json_null(), "series",
	              s.series, "countries", pairs_list(s.countries, "region", 1), "providers",
	              pairs_list(s.providers, "provider", 0), "deliveries", s.deliveries,
	              "refusals", s.refusals, "recent", s.recent, "refusals_scope",
	              "this node, since it started (refusals write nothing to the store)");
	json_decref(s.countries);
	json_decref(s.providers);
}
