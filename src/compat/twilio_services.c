/* Twilio Verify v2 services: a record of a service's settings, owned by the
 * app (the API key) that created it; no other app sees it.
 *
 * Records are keyed "<app>|<sid>", so that an app's services sit together in
 * key order: a listing reads only the calling app's records, and a lookup by
 * sid under another app's key finds nothing. An app holds at most
 * twilio_max_services live services; a count record per app, changed by
 * compare-and-swap, keeps that bound under parallel creates. */
#include <stdint.h>
#include <string.h>

#include "base/clock.h"
#include "compat/compat.h"
#include "compat/compat_internal.h"
#include "compat/twilio.h"

#define K_SERVICE "tw_service"
#define K_COUNT "tw_svc_count"

static const char *const service_flags[][2] = {
	{"LookupEnabled", "lookup_enabled"},
	{"SkipSmsToLandlines", "skip_sms_to_landlines"},
	{"DtmfInputRequired", "dtmf_input_required"},
	{"DoNotShareWarningEnabled", "do_not_share_warning_enabled"},
	{"CustomCodeEnabled", "custom_code_enabled"},
	{"Psd2Enabled", "psd2_enabled"},
};
#define N_FLAGS (sizeof service_flags / sizeof service_flags[0])

static void service_key(const char *app, const char *sid, char *out, size_t size)
{
	strfmt(out, size, "%s|%s", app, sid);
}

static json_t *service_json(struct http_request *req, const char *sid, json_t *svc)
{
	char base[300], url[400];
	const struct config *cfg = twilio_core(req)->cfg;
	twilio_base_url(req, base, sizeof base);
	strfmt(url, sizeof url, "%s/v2/Services/%s", base, sid);
	json_t *j = json_pack(
		"{s:s, s:s, s:O, s:i, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "sid",
		sid, "account_sid", cfg->twilio_account_sid, "friendly_name",
		json_object_get(svc, "friendly_name"),
		/* The length its verifications' codes have: its own, else iotp's. */
		"code_length",
		json_object_get(svc, "code_length") ? (int)record_int(svc, "code_length")
						     : cfg->code_length,
		"date_created", compat_time(record_int(svc, "created")), "date_updated",
		compat_time(record_int(svc, "updated")), "url", url, "tts_name", json_null(), "push",
		json_null(), "totp", json_null(), "default_template_sid", json_null(), "whatsapp",
		json_null(), "passkeys", json_null(), "links", json_object(),
		"verify_event_subscription_enabled", 0);
	for (size_t i = 0; i < N_FLAGS; i++)
		json_object_set(j, service_flags[i][1], json_object_get(svc, service_flags[i][1]));
	char links[500];
	strfmt(links, sizeof links, "%s/Verifications", url);
	json_object_set_new(json_object_get(j, "links"), "verifications", json_string(links));
	strfmt(links, sizeof links, "%s/VerificationCheck", url);
	json_object_set_new(json_object_get(j, "links"), "verification_checks", json_string(links));
	return j;
}

static int read_bool(struct http_request *req, struct http_response *res, const char *param,
		     int def, int *out)
{
	const char *v = form_get(req->form, param);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!strcmp(v, "true") || !strcmp(v, "True")) {
		*out = 1;
	} else if (!strcmp(v, "false") || !strcmp(v, "False")) {
		*out = 0;
	} else {
		twilio_invalid(res, param, "must be true or false");
		return -1;
	}
	return 0;
}

/* Counts a service in or out of its app's bound. */
struct count_change {
	int delta;
	int max;
};

static enum record_change change_count(json_t **j, int64_t *expires_at, void *arg)
{
	const struct count_change *ch = arg;
	(void)expires_at;
	int64_t n = record_int(*j, "n") + ch->delta;
	if (ch->delta > 0 && n > ch->max)
		return RECORD_STOP;
	if (n < 0)
		n = 0;
	if (!*j)
		*j = json_object();
	json_object_set_new(*j, "n", json_integer(n));
	return RECORD_WRITE;
}

static int count_service(struct core *c, const char *app, int delta, int64_t now)
{
	struct count_change ch = {delta, c->cfg->twilio_max_services};
	return record_update(c->store, K_COUNT, app, now, change_count, &ch, NULL);
}

void twilio_service_create(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	const char *name = form_get(req->form, "FriendlyName");
	if (!name || !*name) {
		twilio_invalid(res, "FriendlyName", "required");
		return;
	}
	if (strlen(name) > 32) {
		twilio_invalid(res, "FriendlyName", "at most 32 characters");
		return;
	}
	int code_length;
	if (twilio_read_code_length(req, res, &code_length) < 0)
		return;
	int64_t now = clock_now_ms();
	json_t *svc = json_pack("{s:s, s:s, s:I, s:I}", "app", req->principal, "friendly_name", name,
				"created", (json_int_t)now, "updated", (json_int_t)now);
	if (code_length)
		json_object_set_new(svc, "code_length", json_integer(code_length));
	for (size_t i = 0; i < N_FLAGS; i++) {
		int b;
		if (read_bool(req, res, service_flags[i][0], !strcmp(service_flags[i][0], "LookupEnabled"),
			      &b) < 0) {
			json_decref(svc);
			return;
		}
		json_object_set_new(svc, service_flags[i][1], json_boolean(b));
	}
	int rc = count_service(c, req->principal, 1, now);
	if (rc == RECORD_STOPPED) {
		char msg[256];
		strfmt(msg, sizeof msg,
		       "This account already has %d services, the most it may hold "
		       "(twilio_max_services): delete one it no longer uses, or ask the operator to "
		       "raise the limit.",
		       c->cfg->twilio_max_services);
		twilio_reply(res, 20403, 403, msg);
		json_decref(svc);
		return;
	}
	char sid[35], key[STORE_RECORD_KEY_MAX];
	compat_sid("VA", sid);
	service_key(req->principal, sid, key, sizeof key);
	struct store_record rec = {0};
	if (rc != 0 || record_put(c->store, &rec, K_SERVICE, key, svc, 0, now) != 0) {
		if (rc == 0)
			count_service(c, req->principal, -1, now);
		json_decref(svc);
		twilio_internal(res);
		return;
	}
	res->status = 201;
	res->body = service_json(req, sid, svc);
	json_decref(svc);
}

json_t *twilio_service_load(struct http_request *req, struct http_response *res, const char *sid,
			    struct store_record *rec)
{
	struct store_record local;
	char key[STORE_RECORD_KEY_MAX];
	int rc = STORE_NOT_FOUND;
	json_t *svc = NULL;
	if (twilio_is_sid(sid, "VA")) {
		service_key(req->principal, sid, key, sizeof key);
		svc = record_get(twilio_core(req)->store, K_SERVICE, key, clock_now_ms(),
				 rec ? rec : &local, &rc);
	}
	if (!svc && rc < 0)
		twilio_internal(res);
	else if (!svc)
		twilio_not_found(res);
	return svc;
}

void twilio_service_get(struct http_request *req, struct http_response *res)
{
	json_t *svc = twilio_service_load(req, res, req->params[0], NULL);
	if (!svc)
		return;
	res->body = service_json(req, req->params[0], svc);
	json_decref(svc);
}

/* A page of the calling app's services, gathered from the store's listing. */
struct service_page {
	struct http_request *req;
	const char *prefix; /* "<app>|": the app's keys */
	json_t *list;       /* the page's services */
	size_t want;        /* page size */
	int more;           /* another of the app's services follows the page */
	int done;           /* a key of another app was reached */
	char last[STORE_RECORD_KEY_MAX];      /* the last key read */
	char page_last[STORE_RECORD_KEY_MAX]; /* the page's last sid */
};

static void gather_service(const struct store_record *r, void *arg)
{
	struct service_page *p = arg;
	size_t plen = strlen(p->prefix);
	if (p->done || strncmp(r->key, p->prefix, plen) != 0) {
		p->done = 1;
		return;
	}
	strfmt(p->last, sizeof p->last, "%s", r->key);
	if (json_array_size(p->list) >= p->want) {
		p->more = 1;
		return;
	}
	json_t *svc = json_loads(r->value, 0, NULL);
	if (svc) {
		json_array_append_new(p->list, service_json(p->req, r->key + plen, svc));
		strfmt(p->page_last, sizeof p->page_last, "%s", r->key + plen);
	}
	json_decref(svc);
}

/* GET /v2/Services?PageSize=&Page=&PageToken=: the calling app's services in
 * sid order. PageToken is "PT" and the last sid of the previous page, which
 * Twilio's libraries take from meta.next_page_url. */
void twilio_service_list(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	const char *size = http_query(req, "PageSize"), *page = http_query(req, "Page");
	const char *token = http_query(req, "PageToken");
	long want = 50, index = 0;
	char *end;
	if (size && ((want = strtol(size, &end, 10)) < 1 || want > 1000 || *end || end == size)) {
		twilio_invalid(res, "PageSize", "a number from 1 to 1000");
		return;
	}
	if (page && ((index = strtol(page, &end, 10)) < 0 || *end || end == page)) {
		twilio_invalid(res, "Page", NULL);
		return;
	}
	if (token && (strncmp(token, "PT", 2) || !twilio_is_sid(token + 2, "VA"))) {
		twilio_invalid(res, "PageToken", NULL);
		return;
	}
	char prefix[STORE_RECORD_KEY_MAX];
	service_key(req->principal, "", prefix, sizeof prefix);
	struct service_page p = {.req = req, .prefix = prefix, .list = json_array(),
				 .want = (size_t)want};
	service_key(req->principal, token ? token + 2 : "", p.last, sizeof p.last);
	/* Only the app's own keys are read: the listing starts at its prefix and
	 * stops at the first key past it. */
	int64_t now = clock_now_ms();
	while (!p.more && !p.done) {
		char before[STORE_RECORD_KEY_MAX];
		strfmt(before, sizeof before, "%s", p.last);
		size_t batch = (size_t)want + 1 - json_array_size(p.list);
		if (record_list(c->store, K_SERVICE, before, batch, now, gather_service, &p) < 0) {
			json_decref(p.list);
			twilio_internal(res);
			return;
		}
		if (!strcmp(before, p.last))
			break;
	}
	char base[300], url[600], first[600], next[700];
	twilio_base_url(req, base, sizeof base);
	strfmt(first, sizeof first, "%s/v2/Services?PageSize=%ld&Page=0", base, want);
	if (token)
		strfmt(url, sizeof url, "%s/v2/Services?PageSize=%ld&Page=%ld&PageToken=%s", base, want,
		       index, token);
	else
		strfmt(url, sizeof url, "%s/v2/Services?PageSize=%ld&Page=%ld", base, want, index);
	strfmt(next, sizeof next, "%s/v2/Services?PageSize=%ld&Page=%ld&PageToken=PT%s", base, want,
	       index + 1, p.page_last);
	res->body = json_pack("{s:o, s:{s:I, s:I, s:s, s:n, s:s, s:s?, s:s}}", "services", p.list,
			      "meta", "page", (json_int_t)index, "page_size", (json_int_t)want,
			      "first_page_url", first, "previous_page_url", "url", url,
			      "next_page_url", p.more ? next : NULL, "key", "services");
}

/* What a service update asks for, read and checked before any write, so a
 * lost compare-and-swap re-applies it to the service as it now stands. */
struct service_change {
	const char *name; /* NULL: unchanged */
	int code_length;  /* 0: unchanged */
	int flags[N_FLAGS]; /* -1: unchanged */
	int64_t now;
	int delete;       /* DELETE: the record expires now */
};

static enum record_change apply_service_change(json_t **j, int64_t *expires_at, void *arg)
{
	const struct service_change *ch = arg;
	json_t *svc = *j;
	if (!svc)
		return RECORD_STOP; /* deleted meanwhile */
	if (ch->delete) {
		/* A record that expires now reads as absent from now on. */
		*expires_at = ch->now;
		return RECORD_WRITE;
	}
	if (ch->name)
		json_object_set_new(svc, "friendly_name", json_string(ch->name));
	if (ch->code_length)
		json_object_set_new(svc, "code_length", json_integer(ch->code_length));
	for (size_t i = 0; i < N_FLAGS; i++)
		if (ch->flags[i] >= 0)
			json_object_set_new(svc, service_flags[i][1], json_boolean(ch->flags[i]));
	json_object_set_new(svc, "updated", json_integer(ch->now));
	return RECORD_WRITE;
}

/* Applies ch to the calling app's service sid; answers 20404 when it has
 * none. Returns the service as written (the caller owns it), or NULL after
 * answering. */
static json_t *change_service(struct http_request *req, struct http_response *res,
			      const char *sid, struct service_change *ch)
{
	struct core *c = twilio_core(req);
	char key[STORE_RECORD_KEY_MAX];
	json_t *svc = NULL;
	if (!twilio_is_sid(sid, "VA")) {
		twilio_not_found(res);
		return NULL;
	}
	service_key(req->principal, sid, key, sizeof key);
	int rc = record_update(c->store, K_SERVICE, key, ch->now, apply_service_change, ch, &svc);
	if (rc == RECORD_STOPPED) {
		twilio_not_found(res);
		return NULL;
	}
	if (rc != 0) {
		twilio_internal(res);
		return NULL;
	}
	return svc;
}

/* POST /v2/Services/{VA}: changes what is given. A new CodeLength applies to
 * verifications started from now on; a pending one keeps its code. */
void twilio_service_update(struct http_request *req, struct http_response *res)
{
	struct service_change ch = {.name = form_get(req->form, "FriendlyName"),
				    .now = clock_now_ms()};
	if (ch.name && (!*ch.name || strlen(ch.name) > 32)) {
		twilio_invalid(res, "FriendlyName", "1 to 32 characters");
		return;
	}
	if (twilio_read_code_length(req, res, &ch.code_length) < 0)
		return;
	for (size_t i = 0; i < N_FLAGS; i++)
		if (read_bool(req, res, service_flags[i][0], -1, &ch.flags[i]) < 0)
			return;
	json_t *svc = change_service(req, res, req->params[0], &ch);
	if (!svc)
		return;
	res->body = service_json(req, req->params[0], svc);
	json_decref(svc);
}

/* DELETE /v2/Services/{VA}: 204. Its verifications go with it (20404); the
 * sessions under them run out as any unused session does. */
void twilio_service_delete(struct http_request *req, struct http_response *res)
{
	struct service_change ch = {.now = clock_now_ms(), .delete = 1};
	json_t *svc = change_service(req, res, req->params[0], &ch);
	if (!svc)
		return;
	json_decref(svc);
	/* Out of the app's bound; a failure here leaves the count high, which
	 * only errs on the side of the limit. */
	count_service(twilio_core(req), req->principal, -1, ch.now);
	res->status = 204;
}

/* --- services written before keys named their app ---------------------- */

/* The first release keyed a service by its bare sid, with its app inside the
 * record; such a service would now read as unknown to its own app. */
struct old_services {
	json_t *keys;  /* bare sids seen, to move once the listing is done */
	char last[STORE_RECORD_KEY_MAX];
	size_t seen;
};

static void gather_old(const struct store_record *r, void *arg)
{
	struct old_services *o = arg;
	o->seen++;
	strfmt(o->last, sizeof o->last, "%s", r->key);
	if (!strchr(r->key, '|'))
		json_array_append_new(o->keys, json_string(r->key));
}

/* Moves one old service under "<app>|<sid>". Parallel nodes may move the same
 * one: only the node whose write creates the new record counts it in. */
static int move_service(struct core *c, const char *sid, int64_t now)
{
	struct store_record rec;
	int rc;
	json_t *svc = record_get(c->store, K_SERVICE, sid, now, &rec, &rc);
	if (!svc)
		return rc == STORE_NOT_FOUND ? 0 : -1;
	const char *app = record_str(svc, "app");
	char key[STORE_RECORD_KEY_MAX];
	service_key(app, sid, key, sizeof key);
	struct store_record moved = {0};
	rc = app[0] ? record_put(c->store, &moved, K_SERVICE, key, svc, 0, now) : 0;
	if (rc == 0 && app[0]) {
		/* Already there before the limit existed: counted without it. */
		struct count_change ch = {1, INT32_MAX};
		rc = record_update(c->store, K_COUNT, app, now, change_count, &ch, NULL) == 0 ? 0 : -1;
	} else if (rc == STORE_CONFLICT) {
		rc = 0; /* another node moved it */
	}
	/* The old record goes once the new one stands (an expiry of now). */
	if (rc == 0 && record_put(c->store, &rec, K_SERVICE, sid, svc, now, now) == STORE_CONFLICT)
		rc = 0;
	json_decref(svc);
	return rc;
}

int twilio_services_upgrade(struct core *c, int64_t now, size_t *moved)
{
	struct old_services o = {.keys = json_array()};
	*moved = 0;
	int rc = 0;
	do {
		o.seen = 0;
		char after[STORE_RECORD_KEY_MAX];
		strfmt(after, sizeof after, "%s", o.last);
		rc = record_list(c->store, K_SERVICE, after, 500, now, gather_old, &o);
	} while (rc == 0 && o.seen == 500);
	size_t i;
	json_t *k;
	json_array_foreach(o.keys, i, k)
	{
		if (rc == 0)
			rc = move_service(c, json_string_value(k), now);
		if (rc == 0)
			(*moved)++;
	}
	json_decref(o.keys);
	return rc;
}
