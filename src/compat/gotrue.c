/* Supabase Auth (GoTrue) phone OTP over iotp's sessions: /otp and /resend send
 * a session's code, /verify checks it and logs the user in; PUT /user starts a
 * change of number that /verify type=phone_change completes.
 *
 * A user is an iotp account (core/account.h): signed in and moved by its
 * verified sessions. Records keep what GoTrue names and accounts do not:
 * "gt_user" (key: the user's UUID, as Supabase's auth.uid() needs) names its
 * account; "gt_alias" (key: the account id) names its user; "gt_otp" (key:
 * app|type|E.164) names the session whose code /verify expects. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "compat/compat.h"
#include "compat/compat_internal.h"
#include "compat/gotrue.h"
#include "core/account.h"
#include "core/number.h"
#include "core/session.h"

#define K_USER "gt_user"
#define K_ALIAS "gt_alias"
#define K_OTP "gt_otp"
#define KEEP_MS (24LL * 3600 * 1000)

static struct core *core_of(struct http_request *req)
{
	return ((struct api *)req->app)->core;
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

/* --- errors ----------------------------------------------------------- */

void gotrue_reply(struct http_response *res, int status, const char *error_code, const char *msg)
{
	json_decref(res->body);
	res->body = json_pack("{s:i, s:s, s:s}", "code", status, "error_code", error_code, "msg", msg);
	res->status = status;
}

/* iotp's outcomes as GoTrue's (by iotp's stable code, so policy/'s codes map
 * here without a build dependency). */
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

/* A send refused: GoTrue's words for a wait ("after N seconds"). */
static void reply_send_error(struct http_response *res, enum iotp_error e, int64_t retry_after,
			     const struct policy_verdict *v)
{
	char msg[256];
	if (e == IOTP_E_SEND_TOO_SOON) {
		strfmt(msg, sizeof msg,
		       "For security purposes, you can only request this after %lld seconds.",
		       (long long)retry_after);
		gotrue_reply(res, 429, "over_sms_send_rate_limit", msg);
		res->retry_after = retry_after;
		return;
	}
	gotrue_reply_error(res, e, compat_policy_message(e, v, msg, sizeof msg));
	if (iotp_error_status(e) == 429 && retry_after > 0)
		res->retry_after = retry_after;
}

static void otp_invalid(struct http_response *res)
{
	gotrue_reply(res, 403, "otp_expired", "Token has expired or is invalid");
}

/* --- users ------------------------------------------------------------ */

int gotrue_user_load(struct store *st, const char *id, int64_t now, struct gotrue_user *u)
{
	int rc;
	u->j = compat_record_get(st, K_USER, id, now, &u->rec, &rc);
	if (!u->j)
		return rc;
	/* The number and its proof are the account's: read them fresh. An account
	 * closed because its number moved to another is a user no more. */
	struct store_account a;
	rc = store_account_get(st, jstr(u->j, "account"), &a);
	if (rc == 0 && a.closed_at)
		rc = STORE_NOT_FOUND;
	if (rc != 0) {
		json_decref(u->j);
		u->j = NULL;
		return rc;
	}
	json_object_set_new(u->j, "phone", json_string(a.phone));
	json_object_set_new(u->j, "created", json_integer(a.created_at));
	json_object_set_new(u->j, "confirmed", json_integer(a.verified_at));
	return 0;
}

int gotrue_user_save(struct store *st, struct gotrue_user *u, int64_t now)
{
	return compat_record_put(st, &u->rec, K_USER, jstr(u->j, "id"), u->j, 0, now);
}

json_t *gotrue_user_json(json_t *u)
{
	const char *phone = jstr(u, "phone"), *new_phone = jstr(u, "new_phone");
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:s, s:[s]}, s:{}, s:[], s:o, s:o, s:b}",
		"id", jstr(u, "id"), "aud", "authenticated", "role", "authenticated", "email", "",
		"phone", phone[0] ? phone + 1 : "", "phone_confirmed_at",
		api_time(jint(u, "confirmed")), "confirmed_at", api_time(jint(u, "confirmed")),
		"last_sign_in_at", api_time(jint(u, "last_sign_in")), "app_metadata", "provider",
		"phone", "providers", "phone", "user_metadata", "identities", "created_at",
		api_time(jint(u, "created")), "updated_at", api_time(jint(u, "updated")),
		"is_anonymous", 0);
	/* The iotp account this user is, as the native API names it. */
	json_object_set_new(json_object_get(j, "app_metadata"), "iotp_account_id",
			    json_string(jstr(u, "account")));
	if (new_phone[0]) {
		json_object_set_new(j, "new_phone", json_string(new_phone + 1));
		json_object_set_new(j, "phone_change_sent_at",
				    api_time(jint(u, "phone_change_sent")));
	}
	return j;
}

/* The GoTrue user (a UUID, as Supabase's auth.uid() needs) of an account, made
 * on its first sign-in here. Returns 0 with *u loaded, or -1. */
static int user_for_account(struct store *st, const struct store_account *a, int64_t now,
			    struct gotrue_user *u)
{
	for (int tries = 0; tries < 4; tries++) {
		struct store_record rec;
		int rc;
		json_t *alias = compat_record_get(st, K_ALIAS, a->id, now, &rec, &rc);
		if (alias) {
			rc = gotrue_user_load(st, jstr(alias, "user"), now, u);
			json_decref(alias);
			return rc == 0 ? 0 : -1;
		}
		if (rc != STORE_NOT_FOUND)
			return -1;
		char id[37];
		compat_uuid(id);
		memset(u, 0, sizeof *u);
		u->j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I}", "id", id, "account", a->id,
				 "app", a->app, "updated", (json_int_t)now, "last_sign_in",
				 (json_int_t)0, "new_phone", "", "phone_change_sent", (json_int_t)0);
		rc = gotrue_user_save(st, u, now);
		json_decref(u->j);
		u->j = NULL;
		if (rc != 0)
			return -1;
		json_t *j = json_pack("{s:s}", "user", id);
		memset(&rec, 0, sizeof rec);
		rc = compat_record_put(st, &rec, K_ALIAS, a->id, j, 0, now);
		json_decref(j);
		if (rc != 0 && rc != STORE_CONFLICT)
			return -1;
		/* On a conflict a parallel first sign-in named the account first: the
		 * loop reads its alias (the user record made here stays unused). */
	}
	return -1;
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

static void otp_key(const char *app, const char *type, const char *e164, char *out, size_t size)
{
	strfmt(out, size, "%s|%s|%s", app, type, e164);
}

/* Sends the code of e164's pending session of this type (the same live code
 * again), or starts a session and sends its first. user is the user a
 * phone_change belongs to ("" for sms). Fills res: 200 {message_id} or the
 * error. */
static void send_otp(struct http_request *req, struct http_response *res, const char *type,
		     const char *e164, const char *user)
{
	struct core *c = core_of(req);
	int64_t now = clock_now_ms(), retry_after = 0;
	struct policy_client who = compat_client(req);
	struct policy_verdict v = {0};
	char key[STORE_RECORD_KEY_MAX];
	otp_key(req->principal, type, e164, key, sizeof key);
	struct store_record rec;
	int rc;
	struct store_session s;
	enum iotp_error e;
	json_t *otp = compat_record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!otp && rc != STORE_NOT_FOUND) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	if (!otp)
		rec.version = 0;
	if (otp && !strcmp(jstr(otp, "user"), user) &&
	    session_get(c, req->principal, jstr(otp, "session"), &s) == IOTP_E_OK &&
	    session_live(c, &s, now)) {
		json_decref(otp);
		e = session_send_code(c, s.id, "sms", NULL, &who, now, &s, &retry_after, &v);
		if (e) {
			reply_send_error(res, e, e == IOTP_E_SEND_TOO_SOON ? retry_after : v.retry_after, &v);
			return;
		}
		res->body = json_pack("{s:s}", "message_id", s.id);
		return;
	}
	json_decref(otp);
	struct session_request sr = {.app = req->principal, .phone = e164};
	struct phone_number n;
	e = session_create(c, &sr, &who, now, &s, &n, &v);
	if (!e)
		e = session_send_code(c, s.id, "sms", NULL, &who, now, &s, &retry_after, &v);
	if (e) {
		reply_send_error(res, e, e == IOTP_E_SEND_TOO_SOON ? retry_after : v.retry_after, &v);
		return;
	}
	json_t *j = json_pack("{s:s, s:s}", "session", s.id, "user", user);
	/* The newest code wins; a parallel request's session is left unused. */
	for (int tries = 0; tries < 16; tries++) {
		/* Resends stretch the session; the pointer outlives it, and the
		 * session itself says whether its code still works. */
		rc = compat_record_put(c->store, &rec, K_OTP, key, j, s.expires_at + KEEP_MS, now);
		if (rc != STORE_CONFLICT)
			break;
		json_t *old = compat_record_get(c->store, K_OTP, key, now, &rec, &rc);
		json_decref(old);
		if (!old)
			rec.version = 0;
	}
	json_decref(j);
	if (rc != 0) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->body = json_pack("{s:s}", "message_id", s.id);
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

void gotrue_otp(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	struct phone_number n;
	if (!channel_ok(req->body, res) || read_phone(c, req->body, res, &n) < 0)
		return;
	json_t *create = json_object_get(req->body, "create_user");
	if (json_is_false(create)) {
		struct store_account a;
		int rc = store_account_by_phone(c->store, req->principal, n.e164, &a);
		if (rc == STORE_NOT_FOUND) {
			gotrue_reply(res, 422, "otp_disabled", "Signups not allowed for otp");
			return;
		}
		if (rc != 0) {
			gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
			return;
		}
	}
	send_otp(req, res, "sms", n.e164, "");
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
	if (!strcmp(type, "sms")) {
		send_otp(req, res, "sms", n.e164, "");
		return;
	}
	/* A change of number: resend to the number a user asked to move to. */
	int64_t now = clock_now_ms();
	char key[STORE_RECORD_KEY_MAX];
	struct store_record rec;
	int rc;
	otp_key(req->principal, "phone_change", n.e164, key, sizeof key);
	json_t *otp = compat_record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!otp) {
		gotrue_reply(res, 422, "validation_failed", "No change to this phone number is pending");
		return;
	}
	char user[64];
	strfmt(user, sizeof user, "%s", jstr(otp, "user"));
	json_decref(otp);
	send_otp(req, res, "phone_change", n.e164, user);
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
		otp_invalid(res);
		return;
	}
	int64_t now = clock_now_ms();
	char key[STORE_RECORD_KEY_MAX];
	struct store_record rec;
	int rc;
	otp_key(req->principal, type, n.e164, key, sizeof key);
	json_t *otp = compat_record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!otp) {
		if (rc == STORE_NOT_FOUND)
			otp_invalid(res);
		else
			gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	struct store_session s;
	struct policy_client who = compat_client(req);
	struct policy_verdict v = {0};
	enum iotp_error e = session_check_code(c, jstr(otp, "session"), token, &who, now, &s, &v);
	if (e) {
		json_decref(otp);
		if (e == IOTP_E_INTERNAL) {
			gotrue_reply_error(res, e, NULL);
		} else if (iotp_error_status(e) == 429 && e != IOTP_E_ATTEMPTS_EXHAUSTED) {
			gotrue_reply_error(res, e, NULL); /* policy/: checks paused, rate limits */
			if (v.retry_after > 0)
				res->retry_after = v.retry_after;
		} else {
			otp_invalid(res); /* wrong, expired, used up: GoTrue says the same */
		}
		return;
	}
	struct gotrue_user u = {0};
	struct account_result ar;
	if (!strcmp(type, "sms")) {
		/* The verified session signs the number's account in (making it on
		 * the first sign-in): the same account as the native API's. */
		e = account_sign_in(c, req->principal, s.id, now, &ar);
		if (e == IOTP_E_PIN_REQUIRED) {
			json_decref(otp);
			gotrue_reply(res, 403, "insufficient_aal",
				     "This number is guarded by a two-step verification PIN: sign in "
				     "through the app's own registration instead.");
			return;
		}
		rc = e ? -1 : user_for_account(c->store, &ar.account, now, &u);
	} else {
		rc = gotrue_user_load(c->store, jstr(otp, "user"), now, &u);
		if (rc == 0 && strcmp(jstr(u.j, "new_phone"), n.e164) != 0)
			rc = STORE_NOT_FOUND; /* a later PUT /user asked for another number */
		if (rc == 0) {
			/* The core refuses a number another account holds in the move's
			 * own write: no PIN can come through GoTrue. */
			e = account_move_number(c, jstr(u.j, "account"), s.id, now, &ar);
			if (e == IOTP_E_NUMBER_TAKEN) {
				json_decref(u.j);
				json_decref(otp);
				gotrue_reply(res, 422, "phone_exists",
					     "Phone number already registered by another user");
				return;
			}
			rc = e ? -1 : 0;
		}
		if (rc == 0) { /* read the account as it now stands */
			char id[37];
			strfmt(id, sizeof id, "%s", jstr(u.j, "id"));
			json_decref(u.j);
			u.j = NULL;
			rc = gotrue_user_load(c->store, id, now, &u);
		}
	}
	json_decref(otp);
	if (rc != 0) {
		json_decref(u.j);
		if (rc == STORE_NOT_FOUND)
			otp_invalid(res);
		else
			gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	for (int tries = 0; tries < 16; tries++) {
		json_object_set_new(u.j, "last_sign_in", json_integer(now));
		json_object_set_new(u.j, "updated", json_integer(now));
		if (!strcmp(type, "phone_change"))
			json_object_set_new(u.j, "new_phone", json_string(""));
		rc = gotrue_user_save(c->store, &u, now);
		if (rc != STORE_CONFLICT)
			break;
		char id[37];
		strfmt(id, sizeof id, "%s", jstr(u.j, "id"));
		json_decref(u.j);
		if (gotrue_user_load(c->store, id, now, &u) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc != 0 || gotrue_login_start(req, res, u.j, now) < 0)
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
	json_decref(u.j);
}

/* --- the user --------------------------------------------------------- */

void gotrue_user_get(struct http_request *req, struct http_response *res)
{
	struct gotrue_user u = {0};
	char login[37];
	if (gotrue_authorize(req, res, clock_now_ms(), &u, login) < 0)
		return;
	res->body = gotrue_user_json(u.j);
	json_decref(u.j);
}

void gotrue_user_update(struct http_request *req, struct http_response *res)
{
	struct core *c = core_of(req);
	int64_t now = clock_now_ms();
	struct gotrue_user u = {0};
	char login[37];
	if (gotrue_authorize(req, res, now, &u, login) < 0)
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
			json_decref(u.j);
			gotrue_reply(res, 422, "validation_failed", msg);
			return;
		}
	}
	struct phone_number n;
	if (!json_object_get(req->body, "phone")) {
		res->body = gotrue_user_json(u.j);
		json_decref(u.j);
		return;
	}
	if (!channel_ok(req->body, res) || read_phone(c, req->body, res, &n) < 0) {
		json_decref(u.j);
		return;
	}
	if (!strcmp(n.e164, jstr(u.j, "phone"))) {
		res->body = gotrue_user_json(u.j);
		json_decref(u.j);
		return;
	}
	/* Whether another user holds the number is not said here, where anyone
	 * signed in could ask it of any number: the code goes to the number, and
	 * /verify, once its holder typed it, answers phone_exists. */
	int rc;
	char id[37];
	strfmt(id, sizeof id, "%s", jstr(u.j, "id"));
	send_otp(req, res, "phone_change", n.e164, id);
	if (res->status != 200) {
		json_decref(u.j);
		return;
	}
	for (int tries = 0; tries < 16; tries++) {
		json_object_set_new(u.j, "new_phone", json_string(n.e164));
		json_object_set_new(u.j, "phone_change_sent", json_integer(now));
		json_object_set_new(u.j, "updated", json_integer(now));
		rc = gotrue_user_save(c->store, &u, now);
		if (rc != STORE_CONFLICT)
			break;
		json_decref(u.j);
		if (gotrue_user_load(c->store, id, now, &u) != 0) {
			u.j = NULL;
			rc = -1;
			break;
		}
	}
	json_decref(res->body);
	res->body = NULL;
	if (rc != 0)
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
	else
		res->body = gotrue_user_json(u.j);
	json_decref(u.j);
}

void gotrue_settings(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->body = json_pack("{s:{s:b, s:b, s:b}, s:b, s:b, s:b, s:b, s:s}", "external", "phone", 1,
			      "email", 0, "anonymous_users", 0, "disable_signup", 0,
			      "mailer_autoconfirm", 0, "phone_autoconfirm", 0, "saml_enabled", 0,
			      "sms_provider", "iotp");
}
