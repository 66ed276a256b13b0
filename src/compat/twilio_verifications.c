/* Twilio Verify v2 verifications and checks over iotp's sessions.
 *
 * A verification ("VE...") is a record naming the iotp session that does the
 * work, plus what Twilio shows and iotp does not keep: the send attempts'
 * sids, and a manual approval (a cancel is the session's own state). A second
 * record per service and number points at the newest verification, so
 * Twilio's "a second create for the same number resends" and "check by To"
 * find it. Codes, resends (the same live code), waits, attempt counts, expiry
 * and status are the session's (core/session.h). Both records expire a day
 * after their session could last end. */
#include <ctype.h>
#include <string.h>

#include "base/clock.h"
#include "compat/compat.h"
#include "compat/compat_internal.h"
#include "compat/twilio.h"
#include "core/number.h"
#include "core/record.h"
#include "core/session.h"

#define K_VERIFY "tw_verify"
#define K_PENDING "tw_pending"
/* A finished verification stays readable this long after its session ends. */
#define KEEP_MS (24LL * 3600 * 1000)
#define ATTEMPTS_KEPT 20

/* A verification as stored. */
struct verif {
	char sid[35];
	json_t *j; /* owned */
};

static void pending_key(const char *svc, const char *e164, char *out, size_t size)
{
	strfmt(out, size, "%s|%s", svc, e164);
}

/* Loads a verification by sid. Returns 0, STORE_NOT_FOUND or -1. */
static int verif_load(struct core *c, const char *sid, int64_t now, struct verif *v)
{
	struct store_record rec;
	int rc = STORE_NOT_FOUND;
	strfmt(v->sid, sizeof v->sid, "%s", sid);
	v->j = twilio_is_sid(sid, "VE") ? record_get(c->store, K_VERIFY, sid, now, &rec, &rc) : NULL;
	return v->j ? 0 : rc;
}

/* The newest verification of a number in a service. */
static int verif_by_to(struct core *c, const char *svc, const char *to, int64_t now,
		       struct verif *v)
{
	struct phone_number n;
	int test;
	if (number_read(c, to, NULL, &n, &test))
		return STORE_NOT_FOUND;
	char key[STORE_RECORD_KEY_MAX];
	struct store_record rec;
	int rc;
	pending_key(svc, n.e164, key, sizeof key);
	json_t *p = record_get(c->store, K_PENDING, key, now, &rec, &rc);
	if (!p)
		return rc;
	rc = verif_load(c, record_str(p, "verification"), now, v);
	json_decref(p);
	return rc;
}

/* What Twilio calls the verification's status now: its own word when it was
 * canceled or approved by hand, else its session's (session_status). */
static const char *verif_status(struct core *c, const struct verif *v,
				const struct store_session *s, int have_session, int64_t now)
{
	const char *st = record_str(v->j, "status");
	if (strcmp(st, "pending") != 0)
		return st;
	if (!have_session)
		return "expired";
	enum session_status ss = session_status(c, s, now);
	/* Twilio's word for the one name that differs. */
	return ss == SESSION_MAX_ATTEMPTS ? "max_attempts_reached" : session_status_name(ss);
}

static json_t *verif_json(struct http_request *req, struct verif *v, const char *status,
			  const struct store_session *s, int have_session, int check)
{
	struct core *c = twilio_core(req);
	char base[300], url[400];
	twilio_base_url(req, base, sizeof base);
	strfmt(url, sizeof url, "%s/v2/Services/%s/Verifications/%s", base,
	       record_str(v->j, "service"), v->sid);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:n, s:n, s:n, s:o, s:o}", "sid",
			      v->sid, "service_sid", record_str(v->j, "service"), "account_sid",
			      c->cfg->twilio_account_sid, "to", record_str(v->j, "to"), "channel",
			      record_str(v->j, "channel"), "status", status, "valid",
			      !strcmp(status, "approved"), "amount", "payee", "sna", "date_created",
			      compat_time(record_int(v->j, "created")), "date_updated",
			      compat_time(record_int(v->j, "updated")));
	if (check) {
		json_object_set_new(j, "sna_attempts_error_codes", json_array());
		return j;
	}
	json_t *attempts = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(v->j, "attempts"), i, a)
		json_array_append_new(attempts,
				      json_pack("{s:s, s:s, s:o}", "attempt_sid", record_str(a, "sid"),
						"channel", record_str(a, "channel"), "time",
						compat_time(record_int(a, "time"))));
	json_object_set_new(j, "send_code_attempts", attempts);
	/* What iotp learnt of the number; Twilio's carrier lookup is not done. */
	json_object_set_new(j, "lookup",
			    json_pack("{s:{s:n, s:n, s:n, s:n, s:s?}}", "carrier", "error_code",
				      "name", "mobile_country_code", "mobile_network_code", "type",
				      have_session ? s->number_type : NULL));
	json_object_set_new(j, "url", json_string(url));
	return j;
}

/* A change to a verification record: one more send attempt, or a status. */
struct verif_change {
	const char *channel; /* a send attempt by it; NULL: none */
	const char *status;  /* a new status; NULL: unchanged */
	int64_t expires_at;  /* the record's new expiry; 0: unchanged */
	int64_t now;
};

static enum record_change apply_verif_change(json_t **j, int64_t *expires_at, void *arg)
{
	const struct verif_change *ch = arg;
	if (!*j)
		return RECORD_STOP; /* expired meanwhile */
	if (ch->channel) {
		char sid[35];
		compat_sid("VL", sid);
		json_t *list = json_object_get(*j, "attempts");
		if (!list) {
			list = json_array();
			json_object_set_new(*j, "attempts", list);
		}
		while (json_array_size(list) >= ATTEMPTS_KEPT)
			json_array_remove(list, 0);
		json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "sid", sid, "channel",
						      ch->channel, "time", (json_int_t)ch->now));
	}
	if (ch->status)
		json_object_set_new(*j, "status", json_string(ch->status));
	if (ch->expires_at)
		*expires_at = ch->expires_at;
	json_object_set_new(*j, "updated", json_integer(ch->now));
	return RECORD_WRITE;
}

/* Applies ch to v's record (compare-and-swap, re-applied to the record as it
 * now stands after a lost race); v->j becomes the record as written. Returns
 * 0 or -1. */
static int verif_change(struct core *c, struct verif *v, const struct verif_change *ch)
{
	json_t *written = NULL;
	int rc = record_update(c->store, K_VERIFY, v->sid, ch->now, apply_verif_change, (void *)ch,
			       &written);
	if (rc != 0) {
		json_decref(written);
		return -1;
	}
	json_decref(v->j);
	v->j = written;
	return 0;
}

/* The pointer from a service's number to its newest verification. */
struct pointer {
	const char *sid;
	int64_t expires_at;
};

static enum record_change point_at(json_t **j, int64_t *expires_at, void *arg)
{
	const struct pointer *p = arg;
	json_decref(*j);
	/* The newest verification of the number wins. Resends stretch the
	 * session; the pointer outlives it, and readers ask the session itself
	 * whether it is still pending. */
	*j = json_pack("{s:s}", "verification", p->sid);
	*expires_at = p->expires_at;
	return RECORD_WRITE;
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
		twilio_invalid(res, "Channel", iotp_error_message(e));
		return;
	}
	twilio_reply_error(res, e, compat_policy_message(e, v, msg, sizeof msg));
	if (res->status == 429 && retry_after > 0)
		res->retry_after = retry_after;
}

void twilio_verification_create(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	const char *svc_sid = req->params[0];
	json_t *svc = twilio_service_load(req, res, svc_sid, NULL);
	if (!svc)
		return;
	/* The service's CodeLength, fixed in the session from its creation. */
	int code_length = (int)record_int(svc, "code_length");
	json_decref(svc);
	const char *to = form_get(req->form, "To");
	const char *channel = form_get(req->form, "Channel");
	const char *locale = form_get(req->form, "Locale");
	if (!to || !*to) {
		twilio_invalid(res, "To", "required");
		return;
	}
	if (!channel ||
	    (strcmp(channel, "sms") && strcmp(channel, "call") && strcmp(channel, "whatsapp"))) {
		twilio_invalid(res, "Channel", "this server sends by sms, call or whatsapp");
		return;
	}
	if (locale && !locale_ok(locale)) {
		twilio_invalid(res, "Locale", "a language tag such as en, es or pt-BR");
		return;
	}
	if (strlen(to) > PHONE_INPUT_MAX) {
		twilio_invalid(res, "To", "too long");
		return;
	}
	/* WhatsApp is iotp's channel of that name: an authentication template
	 * where a route serves it (else 60200), on the SMS schedule. */
	const char *core_channel = !strcmp(channel, "call") ? "voice" : channel;
	if (!strcmp(channel, "whatsapp") && !(c->channels & CORE_CHANNEL_WHATSAPP)) {
		twilio_invalid(res, "Channel", iotp_error_message(IOTP_E_CHANNEL_NOT_CONFIGURED));
		return; /* before a session is made for nothing */
	}
	int64_t now = clock_now_ms(), retry_after = 0;
	struct policy_client who = compat_client(req);
	struct policy_verdict pv = {0};
	struct store_session s;
	struct verif v = {0};
	enum iotp_error e;

	/* A pending verification of this number: send its code again, through
	 * the same session while it lives (its waits keep counting). */
	if (verif_by_to(c, svc_sid, to, now, &v) == 0 &&
	    !strcmp(record_str(v.j, "status"), "pending") &&
	    session_get(c, who.app, record_str(v.j, "session"), &s) == IOTP_E_OK &&
	    session_live(c, &s, now)) {
		e = session_send_code(c, s.id, core_channel, locale, &who, now, &s, &retry_after, &pv);
		if (e) {
			json_decref(v.j);
			reply_send_error(res, e, e == IOTP_E_SEND_TOO_SOON ? retry_after : pv.retry_after,
					 &pv);
			return;
		}
		struct verif_change ch = {.channel = channel, .expires_at = s.expires_at + KEEP_MS,
					  .now = now};
		if (verif_change(c, &v, &ch) < 0) {
			json_decref(v.j);
			twilio_internal(res);
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
			twilio_internal(res);
			return;
		}
		if (e == IOTP_E_INVALID_FIELD) {
			/* The service's CodeLength, below the app's min_code_length
			 * since the operator raised it. */
			strfmt(msg, sizeof msg,
			       "The service's CodeLength (%d) is below this account's min_code_length "
			       "(%d): update the service's CodeLength",
			       code_length, session_min_code_length(c, req->principal));
			twilio_invalid(res, "CodeLength", msg);
			return;
		}
		if (iotp_error_status(e) != 422) { /* policy/: not the number's fault */
			reply_send_error(res, e, pv.retry_after, &pv);
			return;
		}
		/* iotp's own sentence offers a region field; Twilio's API has none. */
		if (e == IOTP_E_MISSING_COUNTRY_CODE)
			strfmt(msg, sizeof msg,
			       "Invalid parameter `To`: the number has no country code. Send it in "
			       "E.164 form, + and the country code first (e.g. +447400123456).");
		else
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
	struct verif_change ch = {.channel = channel, .now = now};
	int64_t keep = s.expires_at + KEEP_MS;
	apply_verif_change(&v.j, &keep, &ch);
	char key[STORE_RECORD_KEY_MAX];
	pending_key(svc_sid, s.phone, key, sizeof key);
	struct store_record rec = {0};
	struct pointer ptr = {v.sid, keep};
	if (record_put(c->store, &rec, K_VERIFY, v.sid, v.j, keep, now) != 0 ||
	    record_update(c->store, K_PENDING, key, now, point_at, &ptr, NULL) != 0) {
		json_decref(v.j);
		twilio_internal(res);
		return;
	}
	res->status = 201;
	res->body = verif_json(req, &v, "pending", &s, 1, 0);
	json_decref(v.j);
}

/* Finds the verification {vsid} names (a VE sid or the number) in the
 * calling app's service; answers 20404 when there is none. */
static int find_verif(struct http_request *req, struct http_response *res, const char *vsid,
		      int64_t now, struct verif *v)
{
	struct core *c = twilio_core(req);
	json_t *svc = twilio_service_load(req, res, req->params[0], NULL);
	if (!svc)
		return -1;
	json_decref(svc);
	int rc = vsid[0] == 'V' ? verif_load(c, vsid, now, v)
				: verif_by_to(c, req->params[0], vsid, now, v);
	if (rc == 0 && strcmp(record_str(v->j, "service"), req->params[0]) != 0) {
		json_decref(v->j);
		v->j = NULL;
		rc = STORE_NOT_FOUND;
	}
	if (rc == STORE_NOT_FOUND)
		twilio_not_found(res);
	else if (rc != 0)
		twilio_internal(res);
	return rc == 0 ? 0 : -1;
}

void twilio_verification_get(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	int64_t now = clock_now_ms();
	struct verif v = {0};
	if (find_verif(req, res, req->params[1], now, &v) < 0)
		return;
	struct store_session s;
	int have = session_get(c, req->principal, record_str(v.j, "session"), &s) == IOTP_E_OK;
	res->body = verif_json(req, &v, verif_status(c, &v, &s, have, now), &s, have, 0);
	json_decref(v.j);
}

void twilio_verification_update(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	const char *status = form_get(req->form, "Status");
	if (!status || (strcmp(status, "canceled") && strcmp(status, "approved"))) {
		twilio_invalid(res, "Status", "canceled or approved");
		return;
	}
	int64_t now = clock_now_ms();
	struct verif v = {0};
	if (find_verif(req, res, req->params[1], now, &v) < 0)
		return;
	struct store_session s;
	int have = session_get(c, req->principal, record_str(v.j, "session"), &s) == IOTP_E_OK;
	if (strcmp(verif_status(c, &v, &s, have, now), "pending") != 0) {
		json_decref(v.j);
		twilio_not_found(res);
		return;
	}
	/* Both end the session underneath: its code stops working, and a check
	 * racing this request either wins (this answers 20404) or finds it
	 * canceled. An approval by hand is the app's word, not proof that a
	 * person holds the number, so the session is never marked verified: it
	 * cannot be spent on an account, and the fraud monitor does not count it
	 * as a conversion (docs/compat.md). */
	enum iotp_error e = session_cancel(c, req->principal, record_str(v.j, "session"), now, &s);
	if (e) {
		json_decref(v.j);
		if (e == IOTP_E_INTERNAL)
			twilio_internal(res);
		else
			twilio_not_found(res);
		return;
	}
	struct verif_change ch = {.status = status, .now = now};
	if (verif_change(c, &v, &ch) < 0) {
		json_decref(v.j);
		twilio_internal(res);
		return;
	}
	res->body = verif_json(req, &v, status, &s, have, 0);
	json_decref(v.j);
}

void twilio_verification_check(struct http_request *req, struct http_response *res)
{
	struct core *c = twilio_core(req);
	const char *code = form_get(req->form, "Code");
	const char *to = form_get(req->form, "To");
	const char *vsid = form_get(req->form, "VerificationSid");
	if (!code || strlen(code) < 4 || strlen(code) > 10) {
		twilio_invalid(res, "Code", "4 to 10 characters");
		return;
	}
	if (!to && !vsid) {
		twilio_invalid(res, "To", "send To or VerificationSid");
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
	    (number_read(c, to, NULL, &n, &test) || strcmp(n.e164, record_str(v.j, "to")) != 0)) {
		json_decref(v.j);
		twilio_not_found(res);
		return;
	}
	if (strcmp(record_str(v.j, "status"), "pending") != 0) {
		json_decref(v.j);
		twilio_not_found(res);
		return;
	}
	struct store_session s;
	struct policy_client who = compat_client(req);
	struct policy_verdict pv = {0};
	enum iotp_error e =
		session_check_code(c, record_str(v.j, "session"), code, &who, now, &s, &pv);
	if (e == IOTP_E_OK) {
		json_object_set_new(v.j, "updated", json_integer(now));
		res->body = verif_json(req, &v, "approved", &s, 1, 1);
	} else if (e == IOTP_E_INCORRECT_CODE) {
		res->body = verif_json(req, &v, "pending", &s, 1, 1);
	} else if (e == IOTP_E_INVALID_FIELD) {
		twilio_invalid(res, "Code", "the digits of the message");
	} else {
		twilio_reply_error(res, e, NULL);
		if (res->status == 429 && pv.retry_after > 0)
			res->retry_after = pv.retry_after;
	}
	json_decref(v.j);
}
