/* /v1/sessions — the verification session resource. Every answer about a
 * session, errors included, carries the session object, so a client always
 * knows its timers. */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/session.h"

static json_t *seconds_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *time_or_null(int64_t ms)
{
	char buf[32];
	if (!ms)
		return json_null();
	clock_format_ms(ms, buf, sizeof buf);
	return json_string(buf);
}

static json_t *session_json(const struct core *c, const struct store_session *s, int64_t now)
{
	struct session_timers t;
	session_timers(c, s, now, &t);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:[], s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:b, s:o}",
			 "id", s->id, "phone", s->phone, "region", s->region, "number_type",
			 s->number_type, "allowed_to_request_code", t.allowed_to_request_code,
			 "requested_information", "next_sms", seconds_or_null(t.next_sms),
			 "next_call", seconds_or_null(t.next_call), "next_verification_attempt",
			 seconds_or_null(t.next_verification_attempt), "attempts_left",
			 t.attempts_left, "created_at", time_or_null(s->created_at), "expires_at",
			 time_or_null(s->expires_at), "code_expires_at",
			 time_or_null(s->code_sealed_len ? s->code_expires_at : 0), "verified",
			 s->verified_at != 0, "verified_at", time_or_null(s->verified_at));
}

static const char *const state_names[] = {"queued", "sending", "sent", "failed"};

static void add_message(const struct store_message *m, void *arg)
{
	const char *state = (unsigned)m->state < 4 ? state_names[m->state] : "unknown";
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "id", m->id,
					     "channel", m->channel, "provider", m->provider, "status",
					     state, "attempts", m->attempts, "created_at",
					     time_or_null(m->created_at), "sent_at",
					     time_or_null(m->sent_at), "error",
					     m->error[0] ? json_string(m->error) : json_null()));
}

/* Answers with the session (status) or with an error that carries it. */
static void reply(struct http_request *req, struct http_response *res, enum iotp_error e,
		  const struct store_session *s, int64_t now, int status)
{
	struct api *api = req->app;
	if (e == IOTP_E_OK) {
		res->status = status;
		res->body = session_json(api->core, s, now);
		return;
	}
	json_t *err = http_reply_error(res, e, NULL);
	if (e == IOTP_E_INCORRECT_CODE) {
		struct session_timers t;
		session_timers(api->core, s, now, &t);
		json_object_set_new(err, "attempts_left", json_integer(t.attempts_left));
	}
	if (s && e != IOTP_E_SESSION_NOT_FOUND && e != IOTP_E_INTERNAL)
		json_object_set_new(res->body, "session", session_json(api->core, s, now));
}

/* The sentence for a refused number: what is wrong, for which country, and what
 * a valid number there looks like. */
static void reply_bad_number(struct http_response *res, enum iotp_error e,
			     const struct phone_number *n, const char *typed_region)
{
	char country[64] = "", example[40] = "", where[128] = "", msg[512];
	const char *region = n->region[0] ? n->region : NULL;
	if (region && phone_country_name(region, country, sizeof country) == 0)
		strfmt(where, sizeof where, " for %s (+%d)", country, n->calling_code);
	if (region)
		phone_example(region, example, sizeof example);
	char like[96] = "";
	if (example[0])
		strfmt(like, sizeof like, " A valid number there looks like %s.", example);
	switch (e) {
	case IOTP_E_TOO_SHORT:
		strfmt(msg, sizeof msg,
		       "The number is too short%s — did you include the country code and every digit?%s",
		       where, like);
		break;
	case IOTP_E_TOO_LONG:
		strfmt(msg, sizeof msg, "The number is too long%s — check for an extra digit.%s", where,
		       like);
		break;
	case IOTP_E_MISSING_COUNTRY_CODE:
		strfmt(msg, sizeof msg,
		       "The number has no country code. Start it with + and the country code "
		       "(e.g. +44 7400 123456), or send \"region\" with the two-letter country code "
		       "(e.g. \"GB\").");
		break;
	case IOTP_E_INVALID_COUNTRY_CODE:
		strfmt(msg, sizeof msg,
		       "No country uses this calling code. Start the number with + and a real country "
		       "code, e.g. +44 for the United Kingdom or +1 for the United States.");
		break;
	case IOTP_E_INVALID_REGION:
		strfmt(msg, sizeof msg,
		       "Region '%.8s' is not a two-letter country code. Use an ISO 3166 code such as "
		       "GB or US.",
		       typed_region ? typed_region : "");
		break;
	case IOTP_E_UNSUPPORTED_NUMBER_TYPE:
		strfmt(msg, sizeof msg,
		       "Codes cannot be sent to %s numbers%s. Use a mobile number.%s",
		       phone_type_name(n->type), where, like);
		break;
	default:
		strfmt(msg, sizeof msg, "This is not a valid phone number%s.%s", where, like);
		break;
	}
	json_t *err = http_reply_error(res, e, msg);
	if (region) {
		json_object_set_new(err, "region", json_string(region));
		if (country[0])
			json_object_set_new(err, "country_name", json_string(country));
		json_object_set_new(err, "calling_code", json_integer(n->calling_code));
		if (example[0])
			json_object_set_new(err, "example", json_string(example));
	}
	if (e == IOTP_E_UNSUPPORTED_NUMBER_TYPE)
		json_object_set_new(err, "number_type", json_string(phone_type_name(n->type)));
}

static int valid_locale(const char *l)
{
	/* BCP 47 shape, loosely: letters, digits and '-', starting with a letter. */
	if (!isalpha((unsigned char)l[0]))
		return 0;
	for (; *l; l++)
		if (!isalnum((unsigned char)*l) && *l != '-' && *l != '_')
			return 0;
	return 1;
}

/* Refuses a locale that is not shaped like a language tag (an unknown but
 * well-formed one is fine: the message falls back to the next rule). */
static int locale_ok(const char *locale, struct http_response *res)
{
	if (!locale || valid_locale(locale))
		return 1;
	json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD,
					     "Field 'locale' must be a language tag such as "
					     "\"en\", \"es\" or \"pt-BR\"."),
			    "field", json_string("locale"));
	return 0;
}

void api_session_create(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct session_request r = {.app = req->principal};
	const struct api_field fields[] = {
		{"phone", 1, PHONE_INPUT_MAX * 4, &r.phone},
		{"region", 0, 8, &r.region},
		{"locale", 0, 15, &r.locale},
	};
	if (api_read_fields(req, res, fields, 3) < 0 || !locale_ok(r.locale, res))
		return;
	struct store_session s;
	struct phone_number n;
	int64_t now = clock_now_ms();
	enum iotp_error e = session_create(api->core, &r, now, &s, &n);
	if (e == IOTP_E_INTERNAL) {
		http_reply_error(res, e, NULL);
		return;
	}
	if (e) {
		reply_bad_number(res, e, &n, r.region);
		return;
	}
	reply(req, res, e, &s, now, 201);
}

void api_session_get(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_session s;
	int64_t now = clock_now_ms();
	enum iotp_error e = session_get(api->core, req->params[0], &s);
	reply(req, res, e, &s, now, 200);
	if (e == IOTP_E_OK) {
		json_t *timeline = json_array();
		if (store_session_messages(api->core->store, s.id, add_message, timeline) < 0) {
			json_decref(timeline);
			http_reply_error(res, IOTP_E_INTERNAL, NULL);
			return;
		}
		json_object_set_new(res->body, "timeline", timeline);
	}
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
	if (strcmp(channel, "sms") != 0 && strcmp(channel, "voice") != 0) {
		json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD,
						     "Field 'channel' must be \"sms\" or \"voice\"."),
				    "field", json_string("channel"));
		return;
	}
	if (!locale_ok(locale, res))
		return;
	struct store_session s;
	int64_t now = clock_now_ms(), retry_after = 0;
	enum iotp_error e =
		session_send_code(api->core, req->params[0], channel, locale, now, &s, &retry_after);
	reply(req, res, e, &s, now, 200);
	if (e == IOTP_E_SEND_TOO_SOON)
		res->retry_after = retry_after;
}

void api_session_check_code(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *code;
	const struct api_field fields[] = {{"code", 1, 32, &code}};
	if (api_read_fields(req, res, fields, 1) < 0)
		return;
	struct store_session s;
	int64_t now = clock_now_ms();
	enum iotp_error e = session_check_code(api->core, req->params[0], code, now, &s);
	if (e == IOTP_E_INVALID_FIELD) {
		json_object_set_new(http_reply_error(res, e,
						     "Field 'code' must be the digits from the message, "
						     "like \"123456\" or \"123-456\"."),
				    "field", json_string("code"));
		json_object_set_new(res->body, "session", session_json(api->core, &s, now));
		return;
	}
	reply(req, res, e, &s, now, 200);
}
