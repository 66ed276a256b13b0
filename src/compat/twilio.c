/* Twilio Verify v2: services, verifications and checks over iotp's sessions.
 *
 * A service ("VA...") is a record of its settings and its app (the API key
 * that created it); only that app sees it. A verification ("VE...") is a
 * record naming the iotp session that does the work, plus what Twilio shows
 * and iotp does not keep: the send attempts' sids, and a manual approval (a
 * cancel is the session's own state). A second record per service and
 * number points at the newest verification, so Twilio's "a second create for
 * the same number resends" and "check by To" find it. Codes, resends (the same live code), waits,
 * attempt counts and expiry are the session's (core/session.h). */
#include <ctype.h>
#include <string.h>

#include "base/clock.h"
#include "compat/compat.h"
#include "compat/compat_internal.h"
#include "compat/twilio.h"
#include "core/code.h"
#include "core/number.h"
#include "core/session.h"

#define K_SERVICE "tw_service"
#define K_VERIFY "tw_verify"
#define K_PENDING "tw_pending"
/* A finished verification stays readable this long after its session ends. */
#define KEEP_MS (24LL * 3600 * 1000)
#define ATTEMPTS_KEPT 20

static struct core *core_of(struct http_request *req)
{
	return ((struct api *)req->app)->core;
}

static void invalid(struct http_response *res, const char *param, const char *why)
{
	char msg[300];
	strfmt(msg, sizeof msg, "Invalid parameter `%s`%s%s", param, why ? ": " : "", why ? why : "");
	twilio_reply(res, 60200, 400, msg);
}

static void not_found(struct http_response *res)
{
	twilio_reply(res, 20404, 404, "The requested resource was not found");
}

static void internal(struct http_response *res)
{
	twilio_reply_error(res, IOTP_E_INTERNAL, NULL);
}

/* "https://host" of this request, for the resources' url fields. */
static void base_url(struct http_request *req, char *out, size_t size)
{
	const char *host = http_header(req, "Host");
	const char *proto = http_header(req, "X-Forwarded-Proto");
	strfmt(out, size, "%s://%s", proto && !strcmp(proto, "https") ? "https" : "http",
	       host ? host : "localhost");
}

static int is_sid(const char *s, const char *prefix)
{
	if (strlen(s) != 34 || strncmp(s, prefix, 2) != 0)
		return 0;
	for (int i = 2; i < 34; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* --- services --------------------------------------------------------- */

static const char *const service_flags[][2] = {
	{"LookupEnabled", "lookup_enabled"},
	{"SkipSmsToLandlines", "skip_sms_to_landlines"},
	{"DtmfInputRequired", "dtmf_input_required"},
	{"DoNotShareWarningEnabled", "do_not_share_warning_enabled"},
	{"CustomCodeEnabled", "custom_code_enabled"},
	{"Psd2Enabled", "psd2_enabled"},
};

static json_t *service_json(struct http_request *req, const char *sid, json_t *svc)
{
	char base[300], url[400];
	const struct config *cfg = core_of(req)->cfg;
	base_url(req, base, sizeof base);
	strfmt(url, sizeof url, "%s/v2/Services/%s", base, sid);
	json_t *j = json_pack(
		"{s:s, s:s, s:O, s:i, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "sid",
		sid, "account_sid", cfg->twilio_account_sid, "friendly_name",
		json_object_get(svc, "friendly_name"),
		/* The length its verifications' codes have: its own, else iotp's. */
		"code_length",
		json_object_get(svc, "code_length") ? (int)jint(svc, "code_length") : cfg->code_length,
		"date_created",
		compat_time(json_integer_value(json_object_get(svc, "created"))), "date_updated",
		compat_time(json_integer_value(json_object_get(svc, "updated"))), "url", url,
		"tts_name", json_null(), "push", json_null(), "totp", json_null(),
		"default_template_sid", json_null(), "whatsapp", json_null(), "passkeys", json_null(),
		"links", json_object(), "verify_event_subscription_enabled", 0);
	for (size_t i = 0; i < sizeof service_flags / sizeof service_flags[0]; i++)
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
		invalid(res, param, "must be true or false");
		return -1;
	}
	return 0;
}

/* CodeLength: 4 to 10 digits, as Twilio takes it; *out 0 when absent. */
static int read_code_length(struct http_request *req, struct http_response *res, int *out)
{
	const char *len = form_get(req->form, "CodeLength");
	*out = 0;
	if (!len)
		return 0;
	char *end;
	long n = strtol(len, &end, 10);
	if (*end || end == len || n < CODE_MIN_LENGTH || n > CODE_MAX_LENGTH) {
		invalid(res, "CodeLength", "a number from 4 to 10");
		return -1;
	}
	*out = (int)n;
	return 0;
}

void twilio_service_create(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *name = form_get(req->form, "FriendlyName");
	if (!name || !*name) {
		invalid(res, "FriendlyName", "required");
		return;
	}
	if (strlen(name) > 32) {
		invalid(res, "FriendlyName", "at most 32 characters");
		return;
	}
	int code_length;
	if (read_code_length(req, res, &code_length) < 0)
		return;
	int64_t now = clock_now_ms();
	json_t *svc = json_pack("{s:s, s:s, s:I, s:I}", "app", req->principal, "friendly_name", name,
				"created", (json_int_t)now, "updated", (json_int_t)now);
	if (code_length)
		json_object_set_new(svc, "code_length", json_integer(code_length));
	for (size_t i = 0; i < sizeof service_flags / sizeof service_flags[0]; i++) {
		int b;
		if (read_bool(req, res, service_flags[i][0], !strcmp(service_flags[i][0], "LookupEnabled"),
			      &b) < 0) {
			json_decref(svc);
			return;
		}
		json_object_set_new(svc, service_flags[i][1], json_boolean(b));
	}
	char sid[35];
	compat_sid("VA", sid);
	struct store_record rec = {0};
	if (compat_record_put(c->store, &rec, K_SERVICE, sid, svc, 0, now) != 0) {
		json_decref(svc);
		internal(res);
		return;
	}
	res->status = 201;
	res->body = service_json(req, sid, svc);
	json_decref(svc);
}

/* The service sid names, if the calling app owns it; else answers 20404 (or
 * 20500 when the store fails). rec (may be NULL) gets the record, for a
 * compare-and-swap write. */
static json_t *load_service_rec(struct http_request *req, struct http_response *res,
				const char *sid, struct store_record *rec)
{
	struct store_record local;
	int rc = STORE_NOT_FOUND;
	json_t *svc = is_sid(sid, "VA") ? compat_record_get(core_of(req)->store, K_SERVICE, sid,
							     clock_now_ms(), rec ? rec : &local, &rc)
					: NULL;
	if (svc && strcmp(jstr(svc, "app"), req->principal)) {
		json_decref(svc);
		svc = NULL;
	}
	if (!svc && rc < 0)
		internal(res);
	else if (!svc)
		not_found(res);
	return svc;
}

static json_t *load_service(struct http_request *req, struct http_response *res, const char *sid)
{
	return load_service_rec(req, res, sid, NULL);
}

void twilio_service_get(struct http_request *req, struct http_response *res)
{
	json_t *svc = load_service(req, res, req->params[0]);
	if (!svc)
		return;
	res->body = service_json(req, req->params[0], svc);
	json_decref(svc);
}

/* A page of the calling app's services, gathered from the store's listing. */
struct service_page {
	struct http_request *req;
	json_t *list;       /* the page's services */
	size_t want;        /* page size */
	int more;           /* another of the app's services follows the page */
	char last[STORE_RECORD_KEY_MAX]; /* the last key read */
	char page_last[STORE_RECORD_KEY_MAX]; /* the page's last sid */
};

static void gather_service(const struct store_record *r, void *arg)
{
	struct service_page *p = arg;
	strfmt(p->last, sizeof p->last, "%s", r->key);
	json_t *svc = json_loads(r->value, 0, NULL);
	if (svc && !strcmp(jstr(svc, "app"), p->req->principal)) {
		if (json_array_size(p->list) < p->want) {
			json_array_append_new(p->list, service_json(p->req, r->key, svc));
			strfmt(p->page_last, sizeof p->page_last, "%s", r->key);
		} else {
			p->more = 1;
		}
	}
	json_decref(svc);
}

/* GET /v2/Services?PageSize=&Page=&PageToken=: the calling app's services in
 * sid order. PageToken is "PT" and the last sid of the previous page, which
 * Twilio's libraries take from meta.next_page_url. */
void twilio_service_list(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *size = http_query(req, "PageSize"), *page = http_query(req, "Page");
	const char *token = http_query(req, "PageToken");
	long want = 50, index = 0;
	char *end;
	if (size && ((want = strtol(size, &end, 10)) < 1 || want > 1000 || *end || end == size)) {
		invalid(res, "PageSize", "a number from 1 to 1000");
		return;
	}
	if (page && ((index = strtol(page, &end, 10)) < 0 || *end || end == page)) {
		invalid(res, "Page", NULL);
		return;
	}
	if (token && (strncmp(token, "PT", 2) || !is_sid(token + 2, "VA"))) {
		invalid(res, "PageToken", NULL);
		return;
	}
	struct service_page p = {.req = req, .list = json_array(), .want = (size_t)want};
	strfmt(p.last, sizeof p.last, "%s", token ? token + 2 : "");
	/* Every app's services share the kind: read in batches until the page
	 * is full and one more of the app's is seen, or the kind ends. */
	int64_t now = clock_now_ms();
	for (;;) {
		char before[STORE_RECORD_KEY_MAX];
		strfmt(before, sizeof before, "%s", p.last);
		if (store_record_list(c->store, K_SERVICE, before, 200, now, gather_service, &p) < 0) {
			json_decref(p.list);
			internal(res);
			return;
		}
		if (p.more || !strcmp(before, p.last))
			break;
	}
	char base[300], url[600], first[600], next[700];
	base_url(req, base, sizeof base);
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
	int flags[sizeof service_flags / sizeof service_flags[0]]; /* -1: unchanged */
};

static void apply_service_change(json_t *svc, const struct service_change *ch, int64_t now)
{
	if (ch->name)
		json_object_set_new(svc, "friendly_name", json_string(ch->name));
	if (ch->code_length)
		json_object_set_new(svc, "code_length", json_integer(ch->code_length));
	for (size_t i = 0; i < sizeof service_flags / sizeof service_flags[0]; i++)
		if (ch->flags[i] >= 0)
			json_object_set_new(svc, service_flags[i][1], json_boolean(ch->flags[i]));
	json_object_set_new(svc, "updated", json_integer(now));
}

/* POST /v2/Services/{VA}: changes what is given. A new CodeLength applies to
 * verifications started from now on; a pending one keeps its code. */
void twilio_service_update(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *sid = req->params[0];
	struct service_change ch = {.name = form_get(req->form, "FriendlyName")};
	if (ch.name && (!*ch.name || strlen(ch.name) > 32)) {
		invalid(res, "FriendlyName", "1 to 32 characters");
		return;
	}
	if (read_code_length(req, res, &ch.code_length) < 0)
		return;
	for (size_t i = 0; i < sizeof service_flags / sizeof service_flags[0]; i++)
		if (read_bool(req, res, service_flags[i][0], -1, &ch.flags[i]) < 0)
			return;
	for (int tries = 0; tries < 16; tries++) {
		struct store_record rec;
		json_t *svc = load_service_rec(req, res, sid, &rec);
		if (!svc)
			return;
		int64_t now = clock_now_ms();
		apply_service_change(svc, &ch, now);
		int rc = compat_record_put(c->store, &rec, K_SERVICE, sid, svc, 0, now);
		if (rc == 0) {
			res->body = service_json(req, sid, svc);
			json_decref(svc);
			return;
		}
		json_decref(svc);
		if (rc != STORE_CONFLICT)
			break;
	}
	internal(res);
}

/* DELETE /v2/Services/{VA}: 204. Its verifications go with it (20404); the
 * sessions under them run out as any unused session does. */
void twilio_service_delete(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *sid = req->params[0];
	for (int tries = 0; tries < 16; tries++) {
		struct store_record rec;
		json_t *svc = load_service_rec(req, res, sid, &rec);
		if (!svc)
			return;
		int64_t now = clock_now_ms();
		/* A record that expires now reads as absent from now on. */
		int rc = compat_record_put(c->store, &rec, K_SERVICE, sid, svc, now, now);
		json_decref(svc);
		if (rc == 0) {
			res->status = 204;
			return;
		}
		if (rc != STORE_CONFLICT)
			break;
	}
	internal(res);
}

/* --- verifications ---------------------------------------------------- */

/* A verification as stored, with the record it came from. */
struct verif {
	char sid[35];
	json_t *j; /* owned */
	struct store_record rec;
};

static void pending_key(const char *svc, const char *e164, char *out, size_t size)
{
	strfmt(out, size, "%s|%s", svc, e164);
}

/* Loads a verification by sid. Returns 0, STORE_NOT_FOUND or -1. */
static int verif_load(struct core *c, const char *sid, int64_t now, struct verif *v)
{
	int rc;
	strfmt(v->sid, sizeof v->sid, "%s", sid);
	v->j = is_sid(sid, "VE") ? compat_record_get(c->store, K_VERIFY, sid, now, &v->rec, &rc)
				 : NULL;
	if (!is_sid(sid, "VE"))
		rc = STORE_NOT_FOUND;
	return v->j ? 0 : rc;
}

/* The newest verification of a number in a service. */
static int verif_by_to(struct core *c, const char *svc, const char *to, const char *app,
		       int64_t now, struct verif *v)
{
	struct phone_number n;
	int test;
	if (number_read(c, to, NULL, &n, &test))
		return STORE_NOT_FOUND;
	char key[STORE_RECORD_KEY_MAX];
	struct store_record rec;
	int rc;
	pending_key(svc, n.e164, key, sizeof key);
	(void)app;
	json_t *p = compat_record_get(c->store, K_PENDING, key, now, &rec, &rc);
	if (!p)
		return rc;
	rc = verif_load(c, jstr(p, "verification"), now, v);
	json_decref(p);
	return rc;
}

/* What Twilio calls the verification's status now: its own word when it was
 * canceled or approved by hand, else what its session says. */
static const char *verif_status(struct core *c, const struct verif *v,
				const struct store_session *s, int have_session, int64_t now)
{
	const char *st = jstr(v->j, "status");
	if (strcmp(st, "pending") != 0)
		return st;
	if (!have_session)
		return "expired";
	if (s->canceled_at) /* by Twilio's cancel, or the native DELETE */
		return "canceled";
	if (s->verified_at)
		return "approved";
	if (s->check_attempts >= c->cfg->max_check_attempts)
		return "max_attempts_reached";
	if (now >= s->expires_at || (s->code_sealed_len && now >= s->code_expires_at))
		return "expired";
	return "pending";
}

static json_t *verif_json(struct http_request *req, struct verif *v, const char *status,
			  const struct store_session *s, int have_session, int check)
{
	struct core *c = core_of(req);
	char base[300], url[400];
	base_url(req, base, sizeof base);
	strfmt(url, sizeof url, "%s/v2/Services/%s/Verifications/%s", base, jstr(v->j, "service"),
	       v->sid);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:n, s:n, s:n, s:o, s:o}", "sid",
			      v->sid, "service_sid", jstr(v->j, "service"), "account_sid",
			      c->cfg->twilio_account_sid, "to", jstr(v->j, "to"), "channel",
			      jstr(v->j, "channel"), "status", status, "valid",
			      !strcmp(status, "approved"), "amount", "payee", "sna", "date_created",
			      compat_time(jint(v->j, "created")), "date_updated",
			      compat_time(jint(v->j, "updated")));
	if (check) {
		json_object_set_new(j, "sna_attempts_error_codes", json_array());
		return j;
	}
	json_t *attempts = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(v->j, "attempts"), i, a)
		json_array_append_new(attempts,
				      json_pack("{s:s, s:s, s:o}", "attempt_sid", jstr(a, "sid"),
						"channel", jstr(a, "channel"), "time",
						compat_time(jint(a, "time"))));
	json_object_set_new(j, "send_code_attempts", attempts);
	/* What iotp learnt of the number; Twilio's carrier lookup is not done. */
	json_object_set_new(j, "lookup",
			    json_pack("{s:{s:n, s:n, s:n, s:n, s:s?}}", "carrier", "error_code",
				      "name", "mobile_country_code", "mobile_network_code", "type",
				      have_session ? s->number_type : NULL));
	json_object_set_new(j, "url", json_string(url));
	return j;
}

/* Records one more send attempt and bumps date_updated. */
static void add_attempt(json_t *v, const char *channel, int64_t now)
{
	char sid[35];
	compat_sid("VL", sid);
	json_t *list = json_object_get(v, "attempts");
	if (!list) {
		list = json_array();
		json_object_set_new(v, "attempts", list);
	}
	while (json_array_size(list) >= ATTEMPTS_KEPT)
		json_array_remove(list, 0);
	json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "sid", sid, "channel", channel,
					      "time", (json_int_t)now));
	json_object_set_new(v, "updated", json_integer(now));
}

/* Writes v->j back, re-reading and re-applying apply on a lost
 * compare-and-swap. Returns 0 or -1. */
static int verif_save(struct core *c, struct verif *v, int64_t expires_at, int64_t now,
		      void (*apply)(json_t *j, void *arg), void *arg)
{
	for (int tries = 0; tries < 16; tries++) {
		int rc = compat_record_put(c->store, &v->rec, K_VERIFY, v->sid, v->j, expires_at, now);
		if (rc == 0)
			return 0;
		if (rc != STORE_CONFLICT)
			return -1;
		json_decref(v->j);
		if (verif_load(c, v->sid, now, v) != 0)
			return -1;
		apply(v->j, arg);
	}
	return -1;
}

struct attempt_arg {
	const char *channel;
	int64_t now;
};

static void apply_attempt(json_t *j, void *arg)
{
	struct attempt_arg *a = arg;
	add_attempt(j, a->channel, a->now);
}

static void apply_status(json_t *j, void *arg)
{
	json_object_set_new(j, "status", json_string(arg));
}

/* A language tag's shape, as the native API takes it (an unknown but
 * well-formed one falls back as docs/messages.md says). */
static int locale_ok(const char *l)
{
	size_t n = strlen(l);
	if (n == 0 || n > 15 || !isalpha((unsigned char)l[0]))
		return 0;
	for (; *l; l++)
		if (!isalnum((unsigned char)*l) && *l != '-' && *l != '_')
			return 0;
	return 1;
}

static void reply_send_error(struct http_response *res, enum iotp_error e, int64_t retry_after,
			     const struct policy_verdict *v)
{
	char msg[256];
	if (e == IOTP_E_CHANNEL_NOT_CONFIGURED) {
		invalid(res, "Channel", iotp_error_message(e));
		return;
	}
	twilio_reply_error(res, e, compat_policy_message(e, v, msg, sizeof msg));
	if (res->status == 429 && retry_after > 0)
		res->retry_after = retry_after;
}

void twilio_verification_create(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *svc_sid = req->params[0];
	json_t *svc = load_service(req, res, svc_sid);
	if (!svc)
		return;
	/* The service's CodeLength, fixed in the session from its creation. */
	int code_length = (int)jint(svc, "code_length");
	json_decref(svc);
	const char *to = form_get(req->form, "To");
	const char *channel = form_get(req->form, "Channel");
	const char *locale = form_get(req->form, "Locale");
	if (!to || !*to) {
		invalid(res, "To", "required");
		return;
	}
	if (!channel ||
	    (strcmp(channel, "sms") && strcmp(channel, "call") && strcmp(channel, "whatsapp"))) {
		invalid(res, "Channel", "this server sends by sms, call or whatsapp");
		return;
	}
	if (locale && !locale_ok(locale)) {
		invalid(res, "Locale", "a language tag such as en, es or pt-BR");
		return;
	}
	if (strlen(to) > PHONE_INPUT_MAX) {
		invalid(res, "To", "too long");
		return;
	}
	/* WhatsApp is iotp's channel of that name: an authentication template
	 * where a route serves it (else 60200), on the SMS schedule. */
	const char *core_channel = !strcmp(channel, "call") ? "voice" : channel;
	if (!strcmp(channel, "whatsapp") && !(c->channels & CORE_CHANNEL_WHATSAPP)) {
		invalid(res, "Channel", iotp_error_message(IOTP_E_CHANNEL_NOT_CONFIGURED));
		return; /* before a session is made for nothing */
	}
	int64_t now = clock_now_ms(), retry_after = 0;
	struct policy_client who = compat_client(req);
	struct policy_verdict pv = {0};
	struct store_session s;
	struct verif v = {0};
	enum iotp_error e;

	/* A pending verification of this number: send its code again. */
	if (verif_by_to(c, svc_sid, to, req->principal, now, &v) == 0 &&
	    !strcmp(jstr(v.j, "status"), "pending") &&
	    session_get(c, jstr(v.j, "session"), &s) == IOTP_E_OK && !s.verified_at &&
	    now < s.expires_at && s.check_attempts < c->cfg->max_check_attempts) {
		e = session_send_code(c, s.id, core_channel, locale, &who, now, &s, &retry_after, &pv);
		if (e) {
			json_decref(v.j);
			reply_send_error(res, e, e == IOTP_E_SEND_TOO_SOON ? retry_after : pv.retry_after, &pv);
			return;
		}
		struct attempt_arg a = {channel, now};
		apply_attempt(v.j, &a);
		if (verif_save(c, &v, s.expires_at + KEEP_MS, now, apply_attempt, &a) < 0) {
			json_decref(v.j);
			internal(res);
			return;
		}
		res->status = 201;
		res->body = verif_json(req, &v, "pending", &s, 1, 0);
		json_decref(v.j);
		return;
	}
	json_decref(v.j);

	struct session_request sr = {
		.app = req->principal, .phone = to, .locale = locale, .code_length = code_length};
	struct phone_number n;
	e = session_create(c, &sr, &who, now, &s, &n, &pv);
	if (e) {
		char msg[300];
		if (e == IOTP_E_INTERNAL) {
			internal(res);
			return;
		}
		if (iotp_error_status(e) != 422) { /* policy/: not the number's fault */
			reply_send_error(res, e, pv.retry_after, &pv);
			return;
		}
		strfmt(msg, sizeof msg, "Invalid parameter `To`: %s", iotp_error_message(e));
		twilio_reply_error(res, e, msg);
		return;
	}
	e = session_send_code(c, s.id, core_channel, locale, &who, now, &s, &retry_after, &pv);
	if (e) {
		reply_send_error(res, e, e == IOTP_E_SEND_TOO_SOON ? retry_after : pv.retry_after, &pv);
		return;
	}
	memset(&v, 0, sizeof v);
	compat_sid("VE", v.sid);
	v.j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "service", svc_sid, "session", s.id,
			"to", s.phone, "channel", channel, "status", "pending", "created",
			(json_int_t)now, "updated", (json_int_t)now);
	add_attempt(v.j, channel, now);
	char key[STORE_RECORD_KEY_MAX];
	pending_key(svc_sid, s.phone, key, sizeof key);
	json_t *ptr = json_pack("{s:s}", "verification", v.sid);
	int rc = compat_record_put(c->store, &v.rec, K_VERIFY, v.sid, v.j, s.expires_at + KEEP_MS, now);
	/* The newest verification of the number wins the pointer. */
	for (int tries = 0; rc == 0 && tries < 16; tries++) {
		struct store_record prec;
		int grc;
		json_t *old = compat_record_get(c->store, K_PENDING, key, now, &prec, &grc);
		json_decref(old);
		if (grc == STORE_NOT_FOUND)
			prec.version = 0;
		else if (grc != 0) {
			rc = -1;
			break;
		}
		/* Resends stretch the session; the pointer outlives it, and readers
		 * ask the session itself whether it is still pending. */
		rc = compat_record_put(c->store, &prec, K_PENDING, key, ptr, s.expires_at + KEEP_MS, now);
		if (rc != STORE_CONFLICT)
			break;
		rc = 0;
	}
	json_decref(ptr);
	if (rc != 0) {
		json_decref(v.j);
		internal(res);
		return;
	}
	res->status = 201;
	res->body = verif_json(req, &v, "pending", &s, 1, 0);
	json_decref(v.j);
}

/* Finds the verification {vsid} names (a VE sid or the number) in the
 * service; answers 20404 when there is none. */
static int find_verif(struct http_request *req, struct http_response *res, const char *vsid,
		      int64_t now, struct verif *v)
{
	struct core *c = core_of(req);
	json_t *svc = load_service(req, res, req->params[0]);
	if (!svc)
		return -1;
	json_decref(svc);
	int rc = vsid[0] == 'V' ? verif_load(c, vsid, now, v)
				: verif_by_to(c, req->params[0], vsid, req->principal, now, v);
	if (rc == 0 && strcmp(jstr(v->j, "service"), req->params[0]) != 0) {
		json_decref(v->j);
		v->j = NULL;
		rc = STORE_NOT_FOUND;
	}
	if (rc == STORE_NOT_FOUND)
		not_found(res);
	else if (rc != 0)
		internal(res);
	return rc == 0 ? 0 : -1;
}

void twilio_verification_get(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	int64_t now = clock_now_ms();
	struct verif v = {0};
	if (find_verif(req, res, req->params[1], now, &v) < 0)
		return;
	struct store_session s;
	int have = session_get(c, jstr(v.j, "session"), &s) == IOTP_E_OK;
	res->body = verif_json(req, &v, verif_status(c, &v, &s, have, now), &s, have, 0);
	json_decref(v.j);
}

void twilio_verification_update(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *status = form_get(req->form, "Status");
	if (!status || (strcmp(status, "canceled") && strcmp(status, "approved"))) {
		invalid(res, "Status", "canceled or approved");
		return;
	}
	int64_t now = clock_now_ms();
	struct verif v = {0};
	if (find_verif(req, res, req->params[1], now, &v) < 0)
		return;
	struct store_session s;
	int have = session_get(c, jstr(v.j, "session"), &s) == IOTP_E_OK;
	if (strcmp(verif_status(c, &v, &s, have, now), "pending") != 0) {
		json_decref(v.j);
		not_found(res);
		return;
	}
	/* Both end the session underneath: its code stops working, and a check
	 * racing this request either wins (this answers 20404) or finds it
	 * canceled. An approval by hand is the app's word, not proof that a
	 * person holds the number, so the session is never marked verified: it
	 * cannot be spent on an account, and the fraud monitor does not count it
	 * as a conversion (docs/compat.md). */
	enum iotp_error e = session_cancel(c, jstr(v.j, "session"), now, &s);
	if (e) {
		json_decref(v.j);
		if (e == IOTP_E_INTERNAL)
			internal(res);
		else
			not_found(res);
		return;
	}
	apply_status(v.j, (void *)status);
	json_object_set_new(v.j, "updated", json_integer(now));
	if (verif_save(c, &v, v.rec.expires_at, now, apply_status, (void *)status) < 0) {
		json_decref(v.j);
		internal(res);
		return;
	}
	res->body = verif_json(req, &v, status, &s, have, 0);
	json_decref(v.j);
}

void twilio_verification_check(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *code = form_get(req->form, "Code");
	const char *to = form_get(req->form, "To");
	const char *vsid = form_get(req->form, "VerificationSid");
	if (!code || strlen(code) < 4 || strlen(code) > 10) {
		invalid(res, "Code", "4 to 10 characters");
		return;
	}
	if (!to && !vsid) {
		invalid(res, "To", "send To or VerificationSid");
		return;
	}
	int64_t now = clock_now_ms();
	struct verif v = {0};
	if (find_verif(req, res, vsid ? vsid : to, now, &v) < 0)
		return;
	/* Both given: the sid names it, and To must be its number. */
	struct phone_number n;
	int test;
	if (vsid && to &&
	    (number_read(c, to, NULL, &n, &test) || strcmp(n.e164, jstr(v.j, "to")) != 0)) {
		json_decref(v.j);
		not_found(res);
		return;
	}
	if (strcmp(jstr(v.j, "status"), "pending") != 0) {
		json_decref(v.j);
		not_found(res);
		return;
	}
	struct store_session s;
	struct policy_client who = compat_client(req);
	struct policy_verdict pv = {0};
	enum iotp_error e = session_check_code(c, jstr(v.j, "session"), code, &who, now, &s, &pv);
	if (e == IOTP_E_OK) {
		json_object_set_new(v.j, "updated", json_integer(now));
		res->body = verif_json(req, &v, "approved", &s, 1, 1);
	} else if (e == IOTP_E_INCORRECT_CODE) {
		res->body = verif_json(req, &v, "pending", &s, 1, 1);
	} else if (e == IOTP_E_INVALID_FIELD) {
		invalid(res, "Code", "the digits of the message");
	} else {
		twilio_reply_error(res, e, NULL);
		if (res->status == 429 && pv.retry_after > 0)
			res->retry_after = pv.retry_after;
	}
	json_decref(v.j);
}
