/* Supabase Auth (GoTrue) phone OTP, translated onto core/login.h: /otp and
 * /resend send a code, /verify checks it and logs the user in; PUT /user
 * starts a change of number that /verify type=phone_change completes. This
 * file reads GoTrue's fields and writes GoTrue's answers; the rules are the
 * core's. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "compat/compat.h"
#include "compat/gotrue.h"
#include "core/number.h"
#include "phone/phone.h"

static struct core *core_of(struct http_request *req)
{
	return ((struct api *)req->app)->core;
}

/* --- errors ----------------------------------------------------------- */

void gotrue_reply(struct http_response *res, int status, const char *error_code, const char *msg)
{
	json_decref(res->body);
	res->body = json_pack("{s:i, s:s, s:s}", "code", status, "error_code", error_code, "msg", msg);
	res->status = status;
}

/* iotp's outcomes as GoTrue's (by iotp's stable code). */
static const struct {
	const char *iotp;
	int status;
	const char *code;
} map[] = {
	{"unauthorized", 401, "no_authorization"},
	{"malformed_json", 400, "bad_json"},
	{"invalid_utf8", 400, "bad_json"},
	{"invalid_field_type", 400, "bad_json"},
	{"unsupported_media_type", 400, "bad_json"},
	{"body_too_large", 413, "validation_failed"},
	{"invalid_number", 400, "validation_failed"},
	{"missing_country_code", 400, "validation_failed"},
	{"too_short", 400, "validation_failed"},
	{"too_long", 400, "validation_failed"},
	{"invalid_country_code", 400, "validation_failed"},
	{"invalid_region", 400, "validation_failed"},
	{"unsupported_number_type", 422, "sms_send_failed"},
	{"send_too_soon", 429, "over_sms_send_rate_limit"},
	{"sends_exhausted", 429, "over_sms_send_rate_limit"},
	{"channel_not_available", 429, "over_sms_send_rate_limit"},
	{"attempts_exhausted", 403, "otp_expired"},
	{"session_canceled", 403, "otp_expired"},
	{"rate_limited_number", 429, "over_sms_send_rate_limit"},
	{"rate_limited_prefix", 429, "over_sms_send_rate_limit"},
	{"rate_limited_ip", 429, "over_request_rate_limit"},
	{"rate_limited_network", 429, "over_request_rate_limit"},
	{"rate_limited_country", 429, "over_sms_send_rate_limit"},
	{"rate_limited_app", 429, "over_request_rate_limit"},
	{"rate_limited_global", 429, "over_sms_send_rate_limit"},
	{"spend_cap_reached", 429, "over_sms_send_rate_limit"},
	{"number_checks_locked", 429, "over_request_rate_limit"},
	{"country_not_allowed", 422, "sms_send_failed"},
	{"prefix_blocked", 422, "sms_send_failed"},
	{"challenge_required", 400, "captcha_failed"},
	{"unavailable", 503, "unexpected_failure"},
};

void gotrue_reply_error(struct http_response *res, enum iotp_error e, const char *message)
{
	const char *name = iotp_error_code(e);
	const char *msg = message ? message : iotp_error_message(e);
	if (e == IOTP_E_UNAUTHORIZED && !message)
		msg = "Invalid API key: send an iotp API key in the apikey header";
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].iotp, name) == 0) {
			gotrue_reply(res, map[i].status, map[i].code, msg);
			return;
		}
	gotrue_reply(res, 500, "unexpected_failure", msg);
}

void gotrue_reply_outcome(struct http_response *res, enum iotp_error e,
			  const struct login_refusal *why)
{
	char msg[256];
	int64_t wait = why ? why->retry_after : 0;
	switch (e) {
	case IOTP_E_SEND_TOO_SOON:
		strfmt(msg, sizeof msg,
		       "For security purposes, you can only request this after %lld seconds.",
		       (long long)wait);
		gotrue_reply(res, 429, "over_sms_send_rate_limit", msg);
		break;
	case IOTP_E_INCORRECT_CODE: /* wrong, expired, used up: GoTrue says the same */
		gotrue_reply(res, 403, "otp_expired", "Token has expired or is invalid");
		break;
	case IOTP_E_PIN_REQUIRED:
		gotrue_reply(res, 403, "insufficient_aal",
			     "This number is guarded by a two-step verification PIN: sign in through "
			     "the app's own registration instead.");
		break;
	case IOTP_E_NUMBER_TAKEN:
		gotrue_reply(res, 422, "phone_exists", "Phone number already registered by another user");
		break;
	case IOTP_E_ACCOUNT_NOT_FOUND:
		gotrue_reply(res, 422, "otp_disabled", "Signups not allowed for otp");
		break;
	case IOTP_E_REFRESH_TOKEN_NOT_FOUND:
		gotrue_reply(res, 400, "refresh_token_not_found",
			     "Invalid Refresh Token: Refresh Token Not Found");
		break;
	case IOTP_E_REFRESH_TOKEN_USED:
		gotrue_reply(res, 400, "refresh_token_already_used",
			     "Invalid Refresh Token: Already Used");
		break;
	case IOTP_E_LOGIN_ENDED:
		gotrue_reply(res, 400, "session_expired", "Invalid Refresh Token: Session Expired");
		break;
	case IOTP_E_REVERIFICATION_REQUIRED:
		gotrue_reply(res, 403, "reauthentication_needed",
			     "Verify this phone number again: sign in with a new code "
			     "(signInWithOtp, then verifyOtp).");
		break;
	case IOTP_E_COUNTRY_NOT_ALLOWED:
		if (why && why->region[0]) {
			char country[64] = "";
			phone_country_name(why->region, country, sizeof country);
			strfmt(msg, sizeof msg,
			       "Codes are not sent to numbers in %s (%s). Use a number from another "
			       "country, or ask the operator to allow it.",
			       country[0] ? country : why->region, why->region);
			gotrue_reply_error(res, e, msg);
		} else {
			gotrue_reply_error(res, e, NULL);
		}
		break;
	default:
		gotrue_reply_error(res, e, NULL);
	}
	if (res->status == 429 && wait > 0)
		res->retry_after = wait;
}

struct login_client gotrue_client(const struct http_request *req)
{
	return (struct login_client){.app = req->principal, .ip = req->client_ip};
}

/* --- users ------------------------------------------------------------ */

json_t *gotrue_user_json(const struct login_user *u)
{
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:s, s:[s]}, s:{}, s:[], s:o, s:o, s:b}",
		"id", u->id, "aud", "authenticated", "role", "authenticated", "email", "", "phone",
		u->phone[0] ? u->phone + 1 : "", "phone_confirmed_at", api_time(u->confirmed_at),
		"confirmed_at", api_time(u->confirmed_at), "last_sign_in_at",
		api_time(u->last_sign_in_at), "app_metadata", "provider", "phone", "providers",
		"phone", "user_metadata", "identities", "created_at", api_time(u->created_at),
		"updated_at", api_time(u->updated_at), "is_anonymous", 0);
	/* The iotp account this user is, as the native API names it. */
	json_object_set_new(json_object_get(j, "app_metadata"), "iotp_account_id",
			    json_string(u->account));
	if (u->new_phone[0]) {
		json_object_set_new(j, "new_phone", json_string(u->new_phone + 1));
		json_object_set_new(j, "phone_change_sent_at", api_time(u->change_sent_at));
	}
	return j;
}

/* --- codes ------------------------------------------------------------ */

/* Reads the phone field as GoTrue does: international digits, with or without +. */
static int read_phone(struct core *c, json_t *body, struct http_response *res,
		      struct phone_number *n)
{
	const char *typed = json_string_value(json_object_get(body, "phone"));
	char buf[PHONE_INPUT_MAX + 2];
	int test;
	if (!typed || !*typed) {
		gotrue_reply(res, 400, "validation_failed", "Phone number is required");
		return -1;
	}
	if (strlen(typed) > PHONE_INPUT_MAX) {
		gotrue_reply(res, 400, "validation_failed", "Invalid phone number format (E.164 required)");
		return -1;
	}
	strfmt(buf, sizeof buf, "%s%s", typed[0] == '+' ? "" : "+", typed);
	enum iotp_error e = number_read(c, buf, NULL, n, &test);
	if (!e)
		e = number_allowed(c, n, test);
	if (e) {
		gotrue_reply_error(res, e, NULL);
		return -1;
	}
	return 0;
}

static int channel_ok(json_t *body, struct http_response *res)
{
	const char *ch = json_string_value(json_object_get(body, "channel"));
	if (ch && strcmp(ch, "sms") != 0) {
		gotrue_reply(res, 400, "validation_failed",
			     "This server sends codes by SMS only (channel must be \"sms\").");
		return 0;
	}
	return 1;
}

static void reply_sent(struct http_response *res, enum iotp_error e, const char *session,
		       const struct login_refusal *why)
{
	if (e)
		gotrue_reply_outcome(res, e, why);
	else
		res->body = json_pack("{s:s}", "message_id", session);
}

void gotrue_otp(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	struct phone_number n;
	if (!channel_ok(req->body, res) || read_phone(c, req->body, res, &n) < 0)
		return;
	struct login_client who = gotrue_client(req);
	struct login_refusal why;
	char session[STORE_ID_MAX];
	int only_known = json_is_false(json_object_get(req->body, "create_user"));
	enum iotp_error e = login_send_code(c, &who, n.e164, only_known, clock_now_ms(), session, &why);
	reply_sent(res, e, session, &why);
}

void gotrue_resend(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *type = json_string_value(json_object_get(req->body, "type"));
	struct phone_number n;
	if (!type || (strcmp(type, "sms") && strcmp(type, "phone_change"))) {
		gotrue_reply(res, 400, "validation_failed",
			     "Missing one of these types: sms, phone_change (this server sends phone "
			     "codes only)");
		return;
	}
	if (read_phone(c, req->body, res, &n) < 0)
		return;
	struct login_client who = gotrue_client(req);
	struct login_refusal why;
	char session[STORE_ID_MAX];
	int64_t now = clock_now_ms();
	enum iotp_error e;
	if (!strcmp(type, "sms")) {
		e = login_send_code(c, &who, n.e164, 0, now, session, &why);
	} else {
		e = login_resend_change(c, &who, n.e164, now, session, &why);
		if (e == IOTP_E_SESSION_NOT_FOUND) {
			gotrue_reply(res, 422, "validation_failed",
				     "No change to this phone number is pending");
			return;
		}
	}
	reply_sent(res, e, session, &why);
}

void gotrue_verify(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	const char *type = json_string_value(json_object_get(req->body, "type"));
	const char *token = json_string_value(json_object_get(req->body, "token"));
	struct phone_number n;
	if (!type || (strcmp(type, "sms") && strcmp(type, "phone_change"))) {
		gotrue_reply(res, 400, "validation_failed",
			     "Verify requires a verification type: sms or phone_change (this server "
			     "verifies phone codes only)");
		return;
	}
	if (read_phone(c, req->body, res, &n) < 0)
		return;
	if (!token || !*token || strlen(token) > 32) {
		gotrue_reply_outcome(res, IOTP_E_INCORRECT_CODE, NULL);
		return;
	}
	int64_t now = clock_now_ms();
	struct login_client who = gotrue_client(req);
	struct login_refusal why;
	struct login_user u;
	enum iotp_error e = !strcmp(type, "sms")
				    ? login_verify_code(c, &who, n.e164, token, now, &u, &why)
				    : login_verify_change(c, &who, n.e164, token, now, &u, &why);
	char login[LOGIN_ID_LEN], refresh[LOGIN_TOKEN_MAX];
	if (!e)
		e = login_start(c, &u, now, login, refresh);
	if (e) {
		gotrue_reply_outcome(res, e, &why);
		return;
	}
	gotrue_reply_session(req, res, &u, login, refresh, now);
}

/* --- the user --------------------------------------------------------- */

void gotrue_user_get(struct http_request *req, struct http_response *res)
{
	struct login_user u;
	char login[LOGIN_ID_LEN];
	if (gotrue_authorize(req, res, clock_now_ms(), 1, &u, login) < 0)
		return;
	res->body = gotrue_user_json(&u);
}

void gotrue_user_update(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	int64_t now = clock_now_ms();
	struct login_user u;
	char login[LOGIN_ID_LEN];
	if (gotrue_authorize(req, res, now, 1, &u, login) < 0)
		return;
	/* E-mail and password are not iotp's business: say so rather than
	 * pretend. The SDK's other keys (data, code_challenge, ...) are ignored. */
	const char *const refused[] = {"email", "password", "nonce"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		json_t *v = json_object_get(req->body, refused[i]);
		if (v && !json_is_null(v)) {
			char msg[160];
			strfmt(msg, sizeof msg, "This server changes phone numbers only (got '%s').",
			       refused[i]);
			gotrue_reply(res, 422, "validation_failed", msg);
			return;
		}
	}
	struct phone_number n;
	if (!json_object_get(req->body, "phone")) {
		res->body = gotrue_user_json(&u);
		return;
	}
	if (!channel_ok(req->body, res) || read_phone(c, req->body, res, &n) < 0)
		return;
	if (!strcmp(n.e164, u.phone)) {
		res->body = gotrue_user_json(&u);
		return;
	}
	/* Whether another user holds the number is not said here, where anyone
	 * signed in could ask it of any number: the code goes to the number, and
	 * /verify, once its holder typed it, answers phone_exists. */
	struct login_client who = gotrue_client(req);
	struct login_refusal why;
	char session[STORE_ID_MAX];
	enum iotp_error e = login_request_change(c, &who, &u, n.e164, now, session, &why);
	if (e) {
		gotrue_reply_outcome(res, e, &why);
		return;
	}
	res->body = gotrue_user_json(&u);
}

void gotrue_settings(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->body = json_pack("{s:{s:b, s:b, s:b}, s:b, s:b, s:b, s:b, s:s}", "external", "phone", 1,
			      "email", 0, "anonymous_users", 0, "disable_signup", 0,
			      "mailer_autoconfirm", 0, "phone_autoconfirm", 0, "saml_enabled", 0,
			      "sms_provider", "iotp");
}
