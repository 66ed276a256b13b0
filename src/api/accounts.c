/* /v1/accounts — registration on a verified number, the device's own view of
 * its account (Authorization: Device <credential>), its PIN, change of number
 * and re-verification; /v1/pin-reset — the e-mailed link. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/seal.h"
#include "core/account.h"

static json_t *account_json(const struct core *c, const struct store_account *a, int64_t now)
{
	int has_pin = a->pin_hash[0] != '\0';
	int locked = has_pin && a->pin_failures >= c->cfg->pin_max_attempts;
	int64_t due = c->cfg->reverify_after ? a->verified_at + (int64_t)c->cfg->reverify_after * 1000 : 0;
	int required = a->reverify || (due && now >= due);
	return json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:{s:s, s:s, s:o, s:b}, s:{s:b, s:o, s:o, s:o, s:b, s:b, s:i},"
		" s:{s:b, s:o, s:o}, s:{s:b, s:b}}",
		"id", a->id, "phone", a->phone, "app", a->app, "created_at", api_time(a->created_at),
		"last_verified_at", api_time(a->verified_at), "device", "id", a->device_id, "name",
		a->device_name, "registered_at", api_time(a->device_at), "push_token",
		a->push_token[0] != '\0', "pin", "enabled", has_pin, "set_at",
		api_time(a->pin_set_at), "next_reminder_at",
		api_time(account_pin_reminder_at(c, a)), "lapses_at",
		api_time(account_pin_lapses_at(c, a)), "recovery_email", a->email_sealed_len > 0,
		"locked", locked, "attempts_left",
		has_pin ? c->cfg->pin_max_attempts - a->pin_failures : c->cfg->pin_max_attempts,
		"reverification", "required", required, "reason",
		a->reverify && a->reverify_reason[0] ? json_string(a->reverify_reason)
						     : (required ? json_string("age") : json_null()),
		"due_at", api_time(due), "totp", "enabled", a->totp_enabled_at != 0, "pending",
		a->totp_sealed_len > 0 && !a->totp_enabled_at);
}

/* The answer to a refused PIN: the error, attempts left, when the PIN lapses,
 * and Retry-After while a wait runs. */
static void reply_pin(struct http_response *res, enum iotp_error e, const struct account_result *r)
{
	json_t *err = http_reply_error(res, e, NULL);
	json_object_set_new(err, "attempts_left", json_integer(r->attempts_left));
	json_object_set_new(err, "reset_available_at", api_time(r->reset_available_at));
	json_object_set_new(err, "totp_accepted", json_boolean(r->totp));
	json_object_set_new(err, "passkey_accepted", json_boolean(r->passkey));
	if (r->retry_after > 0) {
		res->retry_after = r->retry_after;
		json_object_set_new(err, "retry_after", json_integer(r->retry_after));
	}
}

/* A refused authenticator code: Retry-After while a wait runs. */
static void reply_totp(struct http_response *res, enum iotp_error e, const struct account_result *r)
{
	json_t *err = http_reply_error(res, e, NULL);
	if (r->retry_after > 0) {
		res->retry_after = r->retry_after;
		json_object_set_new(err, "retry_after", json_integer(r->retry_after));
	}
}

static int is_pin_outcome(enum iotp_error e)
{
	return e == IOTP_E_PIN_REQUIRED || e == IOTP_E_INCORRECT_PIN || e == IOTP_E_PIN_WAIT ||
	       e == IOTP_E_PIN_LOCKED;
}

void api_account_reply(struct api *api, struct http_response *res, enum iotp_error e,
		       const struct account_result *r, int64_t now, int status)
{
	if (e == IOTP_E_OK) {
		res->status = status;
		res->body = json_pack("{s:o}", "account", account_json(api->core, &r->account, now));
		return;
	}
	if (is_pin_outcome(e))
		reply_pin(res, e, r);
	else if (e == IOTP_E_INCORRECT_TOTP || e == IOTP_E_TOTP_WAIT)
		reply_totp(res, e, r);
	else
		http_reply_error(res, e, r->why);
}

#define reply api_account_reply

static void invalid(struct http_response *res, const char *field, const char *message)
{
	json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD, message), "field",
			    json_string(field));
}

void api_account_register(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	json_t *device = json_incref(json_object_get(req->body, "device"));
	json_object_del(req->body, "device");
	json_t *passkey = json_incref(json_object_get(req->body, "passkey"));
	json_object_del(req->body, "passkey");
	struct account_passkey_response pk;
	struct account_device d = {0};
	const char *session_id, *pin, *totp;
	const struct api_field fields[] = {
		{"session_id", 1, STORE_ID_MAX, &session_id},
		{"pin", 0, 16, &pin},
		{"totp", 0, 16, &totp},
	};
	const struct api_field device_fields[] = {
		{"name", 1, SIZE_MAX, &d.name}, /* api_name_ok bounds it, in characters */
		{"push_token", 0, 256, &d.push_token},
	};
	struct http_request dreq = *req;
	dreq.body = device;
	if (api_read_fields(req, res, fields, 3) < 0)
		goto out;
	if (!json_is_object(device)) {
		json_object_set_new(http_reply_error(res, device ? IOTP_E_INVALID_FIELD_TYPE
								 : IOTP_E_MISSING_FIELD,
						     "Field 'device' must be an object: "
						     "{\"name\": \"Ana's phone\", \"push_token\": ...}."),
				    "field", json_string("device"));
		goto out;
	}
	if (api_read_fields(&dreq, res, device_fields, 2) < 0 ||
	    !api_name_ok(d.name, "name", res))
		goto out;
	if (passkey && api_passkey_response(passkey, "passkey", 0, &pk, res) < 0)
		goto out;
	struct account_result r;
	int64_t now = clock_now_ms();
	const struct account_factors f = {pin, totp, passkey ? &pk : NULL};
	enum iotp_error e = account_register_with(api->core, req->principal, session_id, &d, &f, now,
						  &r);
	if (e == IOTP_E_INVALID_FIELD) {
		invalid(res, "pin", "Field 'pin' must be 6 digits, like \"123456\".");
		goto out;
	}
	reply(api, res, e, &r, now, r.created ? 201 : 200);
	if (e == IOTP_E_OK) {
		json_object_set_new(res->body, "credential", json_string(r.credential));
		json_object_set_new(res->body, "created", json_boolean(r.created));
	}
out:
	json_decref(device);
	json_decref(passkey);
}

/* The account of the device that calls (Authorization: Device <credential>).
 * Returns 0, or -1 after answering 401 (or 403 while it must re-verify, unless
 * allow_reverify). */
int api_device_account(struct http_request *req, struct http_response *res, int allow_reverify,
		       struct store_account *a, int64_t now)
{
	struct api *api = req->app;
	static const char scheme[] = "Device ";
	const char *h = http_header(req, "Authorization");
	const char *cred = h && !strncmp(h, scheme, sizeof scheme - 1) ? h + sizeof scheme - 1 : NULL;
	int reverify = 0;
	enum iotp_error e = account_authenticate(api->core, cred, now, a, &reverify);
	if (e) {
		http_reply_error(res, e, NULL);
		return -1;
	}
	if (reverify && !allow_reverify) {
		json_t *err = http_reply_error(res, IOTP_E_REVERIFICATION_REQUIRED, NULL);
		json_object_set_new(err, "phone", json_string(a->phone));
		return -1;
	}
	return 0;
}

void api_account_me(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	res->body = json_pack("{s:o}", "account", account_json(api->core, &a, now));
}

void api_account_set_pin(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	const char *pin, *email, *field = NULL;
	const struct api_field fields[] = {{"pin", 1, 16, &pin}, {"email", 0, 254, &email}};
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0 || api_read_fields(req, res, fields, 2) < 0)
		return;
	struct account_result r;
	enum iotp_error e = account_set_pin(api->core, a.id, pin, email, now, &r, &field);
	if (e == IOTP_E_INVALID_FIELD) {
		invalid(res, field,
			!strcmp(field, "pin") ? "Field 'pin' must be 6 digits, like \"123456\"."
					      : "Field 'email' must be an e-mail address, like "
						"\"ana@example.com\" (or \"\" to remove it).");
		return;
	}
	reply(api, res, e, &r, now, 200);
}

typedef enum iotp_error (*pin_op)(struct core *c, const char *account_id, const char *pin,
				  int64_t now, struct account_result *out);

/* The routes that take {"pin"} and answer with the account. */
static void with_pin(struct http_request *req, struct http_response *res, pin_op op)
{
	struct api *api = req->app;
	struct store_account a;
	const char *pin;
	const struct api_field fields[] = {{"pin", 1, 16, &pin}};
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0 || api_read_fields(req, res, fields, 1) < 0)
		return;
	struct account_result r;
	enum iotp_error e = op(api->core, a.id, pin, now, &r);
	if (e == IOTP_E_INVALID_FIELD) {
		invalid(res, "pin", "Field 'pin' must be 6 digits, like \"123456\".");
		return;
	}
	reply(api, res, e, &r, now, 200);
}

void api_account_remove_pin(struct http_request *req, struct http_response *res)
{
	with_pin(req, res, account_remove_pin);
}

void api_account_check_pin(struct http_request *req, struct http_response *res)
{
	with_pin(req, res, account_check_pin);
}

void api_account_change_number(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	const char *old_id, *new_id, *pin, *totp;
	const struct api_field fields[] = {
		{"old_session_id", 1, STORE_ID_MAX, &old_id},
		{"new_session_id", 1, STORE_ID_MAX, &new_id},
		{"pin", 0, 16, &pin},
		{"totp", 0, 16, &totp},
	};
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	json_t *passkey = json_incref(json_object_get(req->body, "passkey"));
	json_object_del(req->body, "passkey");
	struct account_passkey_response pk;
	if (api_read_fields(req, res, fields, 4) < 0 ||
	    (passkey && api_passkey_response(passkey, "passkey", 0, &pk, res) < 0)) {
		json_decref(passkey);
		return;
	}
	struct account_result r;
	/* pin (or totp, or passkey): of the account that holds the new number,
	 * when a PIN guards it. */
	const struct account_factors f = {pin, totp, passkey ? &pk : NULL};
	enum iotp_error e = account_change_number_with(api->core, a.id, old_id, new_id, &f, now, &r);
	json_decref(passkey);
	if (e == IOTP_E_INVALID_FIELD) {
		invalid(res, "pin", "Field 'pin' must be 6 digits, like \"123456\".");
		return;
	}
	reply(api, res, e, &r, now, 200);
}

void api_account_totp_enrol(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	struct account_totp_enrolment en;
	struct account_result r;
	enum iotp_error e = account_totp_enrol(api->core, a.id, now, &en, &r);
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->status = 201;
	res->body = json_pack("{s:s, s:s, s:i, s:i, s:s}", "secret", en.secret, "uri", en.uri,
			      "digits", TOTP_DIGITS, "period", TOTP_STEP_MS / 1000, "algorithm",
			      "SHA1");
	seal_wipe((char *)&en, sizeof en);
}

typedef enum iotp_error (*totp_op)(struct core *c, const char *account_id, const char *code,
				   int64_t now, struct account_result *out);

/* The routes that take {"code"} of the authenticator and answer with the account. */
static void with_totp(struct http_request *req, struct http_response *res, totp_op op)
{
	struct api *api = req->app;
	struct store_account a;
	const char *code;
	const struct api_field fields[] = {{"code", 1, 16, &code}};
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0 || api_read_fields(req, res, fields, 1) < 0)
		return;
	struct account_result r;
	reply(api, res, op(api->core, a.id, code, now, &r), &r, now, 200);
}

void api_account_totp_confirm(struct http_request *req, struct http_response *res)
{
	with_totp(req, res, account_totp_confirm);
}

void api_account_totp_disable(struct http_request *req, struct http_response *res)
{
	with_totp(req, res, account_totp_disable);
}

void api_account_reverify(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	const char *session_id;
	const struct api_field fields[] = {{"session_id", 1, STORE_ID_MAX, &session_id}};
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 1, &a, now) < 0 || api_read_fields(req, res, fields, 1) < 0)
		return;
	struct account_result r;
	enum iotp_error e = account_reverify(api->core, a.id, session_id, now, &r);
	reply(api, res, e, &r, now, 200);
}

void api_pin_reset_request(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *session_id;
	const struct api_field fields[] = {{"session_id", 1, STORE_ID_MAX, &session_id}};
	if (api_read_fields(req, res, fields, 1) < 0)
		return;
	struct account_result r;
	int64_t now = clock_now_ms();
	enum iotp_error e = account_request_pin_reset(api->core, req->principal, session_id, now, &r);
	if (e == IOTP_E_NO_RECOVERY_EMAIL) {
		json_t *err = http_reply_error(res, e, NULL);
		json_object_set_new(err, "reset_available_at",
				    api_time(account_pin_lapses_at(api->core, &r.account)));
		return;
	}
	if (e == IOTP_E_PIN_RESET_PENDING) {
		json_t *err = http_reply_error(res, e, NULL);
		int64_t wait = (r.account.reset_expires_at - now + 999) / 1000;
		res->retry_after = wait > 0 ? wait : 1;
		json_object_set_new(err, "expires_at", api_time(r.account.reset_expires_at));
		return;
	}
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->status = 202;
	res->body = json_pack("{s:b, s:o}", "sent", 1, "expires_at",
			      api_time(r.account.reset_expires_at));
}

/* The page the e-mailed link opens. It changes nothing by itself (mail
 * scanners fetch links): a button posts the token. */
static const char reset_page[] =
	"<!doctype html><html lang=en><meta charset=utf-8>"
	"<meta name=viewport content='width=device-width,initial-scale=1'>"
	"<title>Reset your PIN</title>"
	"<body style='font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em'>"
	"<h1>Reset your two-step verification PIN</h1>"
	"<p>This turns the PIN off, so you can register your number again with the code "
	"from the SMS alone. You can choose a new PIN afterwards.</p>"
	"<button id=go style='font-size:1.1em;padding:.5em 1em'>Turn the PIN off</button>"
	"<p id=out role=status></p>"
	"<script>document.getElementById('go').onclick=async function(){"
	"var t=new URLSearchParams(location.search).get('token')||'';"
	"var r=await fetch('pin-reset',{method:'POST',headers:{'Content-Type':'application/json'},"
	"body:JSON.stringify({token:t})});var j=await r.json();"
	"document.getElementById('out').textContent=r.ok?'Done: your PIN is off. Register your "
	"number again in the app.':j.error.message;this.disabled=r.ok;};</script>";

void api_pin_reset_page(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->status = 200;
	res->text = xstrdup(reset_page);
}

void api_pin_reset(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *token;
	const struct api_field fields[] = {{"token", 1, 64, &token}};
	if (api_read_fields(req, res, fields, 1) < 0)
		return;
	enum iotp_error e = account_reset_pin(api->core, token, clock_now_ms());
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->body = json_pack("{s:b}", "pin_removed", 1);
}
