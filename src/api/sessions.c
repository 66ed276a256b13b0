/* /v1/sessions — the verification session resource. Every answer about a
 * session, errors included, carries the session object, so a client always
 * knows its timers. */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/json_write.h"
#include "core/code.h"
#include "core/session.h"
#include "core/timeline.h"

/* A timer in seconds, or null when it will never come. */
static void put_seconds(struct json_obj *w, const char *key, int64_t v)
{
	if (v < 0)
		json_obj_null(w, key);
	else
		json_obj_int(w, key, v);
}

/* An instant as the API writes it (RFC 3339, ms, UTC), or null for 0. */
static void put_time(struct json_obj *w, const char *key, int64_t ms)
{
	char buf[32];
	if (!ms) {
		json_obj_null(w, key);
		return;
	}
	clock_format_ms(ms, buf, sizeof buf);
	json_obj_string(w, key, buf);
}

/* The session as every answer about it shows it, written straight to JSON
 * text (heap; the caller frees it): a jansson tree built, written and freed
 * for each answer cost a sixth of a verified flow's instructions. What the
 * session asks of the client before it may request a code, and the
 * challenge itself, are in requested_information and challenge
 * (docs/fraud.md says how to solve it). NULL when memory ran out. */
static char *session_text(const struct core *c, const struct store_session *s, int64_t now,
			  size_t *len)
{
	struct session_timers t;
	session_timers(c, s, now, &t);
	char challenge[33];
	int pow = session_challenge(c, s, challenge);
	struct json_obj w;
	json_obj_begin(&w);
	json_obj_string(&w, "id", s->id);
	json_obj_string(&w, "phone", s->phone);
	json_obj_string(&w, "region", s->region);
	json_obj_string(&w, "number_type", s->number_type);
	json_obj_bool(&w, "allowed_to_request_code", t.allowed_to_request_code);
	json_obj_raw(&w, "requested_information", pow ? "[\"proof_of_work\"]" : "[]");
	put_seconds(&w, "next_sms", t.next_sms);
	put_seconds(&w, "next_call", t.next_call);
	put_seconds(&w, "next_verification_attempt", t.next_verification_attempt);
	json_obj_int(&w, "attempts_left", t.attempts_left);
	put_time(&w, "created_at", s->created_at);
	put_time(&w, "expires_at", s->expires_at);
	put_time(&w, "code_expires_at", s->code_sealed_len ? s->code_expires_at : 0);
	json_obj_bool(&w, "verified", s->verified_at != 0);
	put_time(&w, "verified_at", s->verified_at);
	put_time(&w, "canceled_at", s->canceled_at);
	json_obj_string(&w, "status", session_status_name(session_status(c, s, now)));
	json_obj_int(&w, "code_length", s->code_length ? s->code_length : c->cfg->code_length);
	if (pow) {
		char obj[160];
		/* The challenge is hex: nothing in it needs escaping. */
		strfmt(obj, sizeof obj,
		       "{\"proof_of_work\":{\"algorithm\":\"sha256-leading-zero-bits\","
		       "\"challenge\":\"%s\",\"difficulty\":%d}}",
		       challenge, (int)s->pow_difficulty);
		json_obj_raw(&w, "challenge", obj);
	}
	return json_obj_end(&w, len);
}

/* The same as a jansson value, for the error answers that carry the
 * session inside their own object. */
static json_t *session_json(const struct core *c, const struct store_session *s, int64_t now)
{
	size_t len;
	char *text = session_text(c, s, now, &len);
	json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	return j;
}

/* Who is asking, for policy: the client address and the app its key
 * belongs to. */
static struct policy_client client_of(const struct http_request *req)
{
	return (struct policy_client){.ip = req->client_ip,
				      .app = req->principal ? req->principal : APP_DEFAULT};
}

/* Adds what a policy refusal may tell: Retry-After, which limit, which
 * country. Says nothing of other numbers. */
static void add_verdict(struct http_response *res, enum iotp_error e,
			const struct policy_verdict *v)
{
	json_t *err = json_object_get(res->body, "error");
	if (!err)
		return;
	if (iotp_error_status(e) == 429 && v->retry_after > 0)
		res->retry_after = v->retry_after;
	if (v->limit[0])
		json_object_set_new(err, "limit", json_string(v->limit));
	if (e == IOTP_E_COUNTRY_NOT_ALLOWED && v->region[0]) {
		char country[64] = "", msg[256];
		phone_country_name(v->region, country, sizeof country);
		strfmt(msg, sizeof msg,
		       "Codes are not sent to numbers in %s (%s). Use a number from another country, "
		       "or ask the operator to allow it.",
		       country[0] ? country : v->region, v->region);
		json_object_set_new(err, "message", json_string(msg));
		json_object_set_new(err, "region", json_string(v->region));
		if (country[0])
			json_object_set_new(err, "country_name", json_string(country));
	}
}

/* Answers with the session (status) or with an error that carries it. */
static void reply(struct http_request *req, struct http_response *res, enum iotp_error e,
		  const struct store_session *s, int64_t now, int status)
{
	struct api *api = req->app;
	if (e == IOTP_E_OK) {
		size_t len;
		res->status = status;
		res->text = session_text(api->core, s, now, &len);
		res->text_type = "application/json";
		if (!res->text)
			http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	const char *msg = NULL;
	/* Only two things make a channel unavailable (core/session.c): a first
	 * call waits for a first SMS, and a landline takes no SMS. Say which, since
	 * next_call is null in the first case and waiting for it would be forever. */
	if (e == IOTP_E_CHANNEL_NOT_AVAILABLE && s)
		msg = !strcmp(s->number_type, "fixed_line")
			      ? "This number is a landline and cannot receive SMS: send the code with "
				"channel \"voice\"."
			      : "A call comes only after an SMS: send an SMS first (channel \"sms\"); "
				"next_call then says when a call may follow.";
	/* A developer testing from one address meets the proof-of-work after
	 * pow_ip_sessions sessions: say there how to turn it off. */
	if (e == IOTP_E_CHALLENGE_REQUIRED && api->core->cfg->dev)
		msg = "Solve the challenge in requested_information first, with PATCH "
		      "/v1/sessions/{id}. (Dev mode: one address that starts more than pow_ip_sessions "
		      "sessions owes a proof-of-work; start iotpd with IOTP_POW_IP_SESSIONS=0 to turn "
		      "that off, or IOTP_LIMITS=off for no limits at all.)";
	json_t *err = http_reply_error(res, e, msg);
	if (e == IOTP_E_INCORRECT_CODE) {
		struct session_timers t;
		session_timers(api->core, s, now, &t);
		json_object_set_new(err, "attempts_left", json_integer(t.attempts_left));
	}
	/* Only a session that was read: a call refused before that (a channel
	 * nothing serves) has none to show. */
	if (s && s->id[0] && e != IOTP_E_SESSION_NOT_FOUND && e != IOTP_E_INTERNAL)
		json_object_set_new(res->body, "session", session_json(api->core, s, now));
}

/* code_length, the one number POST /v1/sessions takes: read here, then taken
 * out of the body so that the string fields' reader does not see it.
 * Returns 0, or -1 after filling res. */
static int read_code_length(struct http_request *req, struct http_response *res, int *out)
{
	json_t *v = json_object_get(req->body, "code_length");
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD_TYPE,
						     "Field 'code_length' must be a whole number."),
				    "field", json_string("code_length"));
		return -1;
	}
	json_int_t n = json_integer_value(v);
	struct api *api = req->app;
	int min = session_min_code_length(api->core, req->principal);
	if (n < min || n > CODE_MAX_LENGTH) {
		char msg[200];
		/* Below the app's floor is refused as plainly as 3 digits: a short
		 * code is what a brute force wants. */
		if (min > CODE_MIN_LENGTH)
			strfmt(msg, sizeof msg,
			       "Field 'code_length' must be from %d to %d (digits): this app refuses "
			       "codes shorter than %d (its min_code_length).",
			       min, CODE_MAX_LENGTH, min);
		else
			strfmt(msg, sizeof msg, "Field 'code_length' must be from %d to %d (digits).",
			       min, CODE_MAX_LENGTH);
		json_t *err = http_reply_error(res, IOTP_E_INVALID_FIELD, msg);
		json_object_set_new(err, "field", json_string("code_length"));
		json_object_set_new(err, "min", json_integer(min));
		json_object_set_new(err, "max", json_integer(CODE_MAX_LENGTH));
		return -1;
	}
	*out = (int)n;
	json_object_del(req->body, "code_length");
	return 0;
}

void api_session_create(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct session_request r = {.app = req->principal};
	const char *ignored;
	const struct api_field fields[] = {
		{"phone", 1, PHONE_INPUT_MAX * 4, &r.phone},
		{"region", 0, 8, &r.region},
		{"locale", 0, 15, &r.locale},
		/* Read (and taken out of the body) by read_code_length; listed here
		 * so that an unknown field's message names every field there is. */
		{"code_length", 0, 0, &ignored},
	};
	if (read_code_length(req, res, &r.code_length) < 0 ||
	    api_read_fields(req, res, fields, 4) < 0 || !api_locale_ok(r.locale, res))
		return;
	struct store_session s = {0};
	struct phone_number n;
	struct policy_verdict v;
	struct policy_client who = client_of(req);
	int64_t now = clock_now_ms();
	enum iotp_error e = session_create(api->core, &r, &who, now, &s, &n, &v);
	if (e == IOTP_E_INTERNAL) {
		http_reply_error(res, e, NULL);
		return;
	}
	if (e && e != IOTP_E_UNSUPPORTED_NUMBER_TYPE && iotp_error_status(e) != 422) {
		http_reply_error(res, e, NULL);
		add_verdict(res, e, &v);
		return;
	}
	if (e) {
		api_reply_bad_number(res, e, &n, r.region);
		return;
	}
	reply(req, res, e, &s, now, 201);
}

void api_session_get(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_session s = {0};
	int64_t now = clock_now_ms();
	enum iotp_error e = session_get(api->core, client_of(req).app, req->params[0], &s);
	if (e != IOTP_E_OK) {
		reply(req, res, e, &s, now, 200);
		return;
	}
	/* The session with its timeline: a tree, as the timeline is one. */
	json_t *timeline = timeline_of_session(api->core, s.id);
	json_t *body = timeline ? session_json(api->core, &s, now) : NULL;
	if (!body) {
		json_decref(timeline);
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	json_object_set_new(body, "timeline", timeline);
	res->status = 200;
	res->body = body;
}

void api_session_send_code(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *channel, *locale;
	const struct api_field fields[] = {
		{"channel", 0, 16, &channel},
		{"locale", 0, 15, &locale},
	};
	if (api_read_fields(req, res, fields, 2) < 0)
		return;
	if (!channel)
		channel = "sms";
	if (strcmp(channel, "sms") != 0 && strcmp(channel, "voice") != 0 &&
	    strcmp(channel, "whatsapp") != 0) {
		json_object_set_new(
			http_reply_error(res, IOTP_E_INVALID_FIELD,
					 "Field 'channel' must be \"sms\", \"voice\" or \"whatsapp\"."),
			"field", json_string("channel"));
		return;
	}
	if (!api_locale_ok(locale, res))
		return;
	struct store_session s = {0};
	struct policy_verdict v;
	struct policy_client who = client_of(req);
	int64_t now = clock_now_ms(), retry_after = 0;
	enum iotp_error e = session_send_code(api->core, req->params[0], channel, locale, &who, now,
					      &s, &retry_after, &v);
	reply(req, res, e, &s, now, 200);
	if (e == IOTP_E_SEND_TOO_SOON)
		res->retry_after = retry_after;
	if (e)
		add_verdict(res, e, &v);
}

void api_session_check_code(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *code;
	const struct api_field fields[] = {{"code", 1, 32, &code}};
	if (api_read_fields(req, res, fields, 1) < 0)
		return;
	struct store_session s = {0};
	struct policy_verdict v;
	struct policy_client who = client_of(req);
	int64_t now = clock_now_ms();
	enum iotp_error e = session_check_code(api->core, req->params[0], code, &who, now, &s, &v);
	if (e == IOTP_E_INVALID_FIELD) {
		json_object_set_new(http_reply_error(res, e,
						     "Field 'code' must be the digits from the message, "
						     "like \"123456\" or \"123-456\"."),
				    "field", json_string("code"));
		if (s.id[0])
			json_object_set_new(res->body, "session", session_json(api->core, &s, now));
		return;
	}
	reply(req, res, e, &s, now, 200);
	if (e)
		add_verdict(res, e, &v);
}

/* PATCH /v1/sessions/{id}: answers a challenge the session asked for. */
void api_session_update(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *pow, *captcha;
	const struct api_field fields[] = {
		{"proof_of_work", 0, 64, &pow},
		{"captcha", 0, 4096, &captcha},
	};
	if (api_read_fields(req, res, fields, 2) < 0)
		return;
	if (!pow == !captcha) {
		json_object_set_new(http_reply_error(res, IOTP_E_MISSING_FIELD,
						     "Send exactly one of 'proof_of_work' (the nonce "
						     "that solves the session's challenge) and 'captcha'."),
				    "field", json_string("proof_of_work"));
		return;
	}
	struct store_session s = {0};
	int64_t now = clock_now_ms();
	enum iotp_error e = session_solve_challenge(api->core, client_of(req).app, req->params[0],
						    pow ? "proof_of_work" : "captcha",
						    pow ? pow : captcha, now, &s);
	reply(req, res, e, &s, now, 200);
}

/* DELETE /v1/sessions/{id}: the app abandons the verification (the person
 * gave up, or chose another number); its code stops working at once. */
void api_session_cancel(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_session s = {0};
	int64_t now = clock_now_ms();
	enum iotp_error e = session_cancel(api->core, client_of(req).app, req->params[0], now, &s);
	reply(req, res, e, &s, now, 200);
}
