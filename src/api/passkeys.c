/* Passkeys: /v1/accounts/me/passkeys (the device registers, lists and
 * removes its account's passkeys) and /v1/passkeys/authenticate (a passkey
 * in place of the SMS code of a re-verification, or of the PIN on a new
 * device). The ceremonies' options and answers travel in WebAuthn's JSON
 * form (base64url for bytes); core/account_passkey.c checks them. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/account.h"
#include "http/auth.h"

static void invalid(struct http_response *res, const char *field, const char *message)
{
	json_object_set_new(http_reply_error(res, IOTP_E_INVALID_FIELD, message), "field",
			    json_string(field));
}

/* A string member, or NULL; -1 when present and not a string. */
static int member(json_t *o, const char *k, const char **out)
{
	json_t *v = json_object_get(o, k);
	*out = json_string_value(v);
	return v && !*out ? -1 : 0;
}

int api_passkey_response(json_t *cred, const char *field, int registration,
			 struct account_passkey_response *out, struct http_response *res)
{
	static const char shape[] =
		"Field '%s' must be the browser's PublicKeyCredential as JSON: {\"rawId\": base64url, "
		"\"type\": \"public-key\", \"response\": {\"clientDataJSON\": ..., %s}}.";
	char msg[300];
	memset(out, 0, sizeof *out);
	strfmt(msg, sizeof msg, shape, field,
	       registration ? "\"attestationObject\": ..."
			    : "\"authenticatorData\": ..., \"signature\": ...");
	json_t *r = json_object_get(cred, "response");
	const char *type = NULL, *id = NULL;
	if (!json_is_object(cred) || !json_is_object(r) || member(cred, "type", &type) < 0 ||
	    (type && strcmp(type, "public-key") != 0) || member(cred, "rawId", &out->raw_id) < 0 ||
	    member(cred, "id", &id) < 0 || member(r, "clientDataJSON", &out->client_data_json) < 0 ||
	    member(r, "attestationObject", &out->attestation_object) < 0 ||
	    member(r, "authenticatorData", &out->authenticator_data) < 0 ||
	    member(r, "signature", &out->signature) < 0 || !out->client_data_json ||
	    (!out->raw_id && !id) ||
	    (registration ? !out->attestation_object
			  : !out->authenticator_data || !out->signature)) {
		invalid(res, field, msg);
		return -1;
	}
	if (!out->raw_id)
		out->raw_id = id; /* the same bytes, base64url, by the spec */
	return 0;
}

static const char *alg_name(int alg)
{
	return alg == -7 ? "ES256" : alg == -8 ? "EdDSA" : "unknown";
}

static json_t *passkey_json(const struct store_passkey *p)
{
	char aaguid[37];
	const unsigned char *g = p->aaguid;
	strfmt(aaguid, sizeof aaguid,
	       "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[0], g[1],
	       g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
	       g[15]);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:o, s:o}", "id", p->id, "name",
			 p->name, "algorithm", alg_name(p->alg), "attestation", p->attestation,
			 "aaguid", aaguid, "sign_count", (json_int_t)p->sign_count,
			 "backup_eligible", p->backup_eligible, "backed_up", p->backup_state,
			 "created_at", api_time(p->created_at), "last_used_at",
			 api_time(p->last_used_at));
}

/* A refused ceremony: the error, with the failed check in its message. */
static void refused(struct http_response *res, enum iotp_error e, const char *why)
{
	http_reply_error(res, e, why);
}

/* Reads a ceremony's finish: the body's "credential", the PublicKeyCredential
 * navigator.credentials.create() (registration) or .get() returned, and its
 * other fields (as api_read_fields). 0 with r pointing into *cred; -1 after
 * filling res. Either way the caller releases *cred (json_decref). */
static int read_credential(struct http_request *req, struct http_response *res, int registration,
			   const struct api_field *fields, size_t n, json_t **cred,
			   struct account_passkey_response *r)
{
	*cred = json_incref(json_object_get(req->body, "credential"));
	json_object_del(req->body, "credential");
	if (api_read_fields(req, res, fields, n) < 0)
		return -1;
	if (!*cred) {
		char msg[160];
		strfmt(msg, sizeof msg,
		       "Field 'credential' is missing: send the PublicKeyCredential "
		       "navigator.credentials.%s() returned, as JSON.",
		       registration ? "create" : "get");
		json_object_set_new(http_reply_error(res, IOTP_E_MISSING_FIELD, msg), "field",
				    json_string("credential"));
		return -1;
	}
	return api_passkey_response(*cred, "credential", registration, r, res);
}

void api_passkey_register_options(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0 || api_read_fields(req, res, NULL, 0) < 0)
		return;
	json_t *options = NULL;
	enum iotp_error e = account_passkey_register_options(api->core, a.id, now, &options);
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->body = json_pack("{s:o}", "publicKey", options);
}

void api_passkey_register_finish(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	const char *name;
	const struct api_field fields[] = {{"name", 0, SIZE_MAX, &name}}; /* api_name_ok bounds it */
	struct account_passkey_response r;
	json_t *cred;
	if (read_credential(req, res, 1, fields, 1, &cred, &r) < 0 ||
	    !api_name_ok(name, "name", res))
		goto out;
	struct store_passkey p;
	const char *why = NULL;
	enum iotp_error e = account_passkey_register(api->core, a.id, &r, name, now, &p, &why);
	if (e) {
		refused(res, e, why);
		goto out;
	}
	res->status = 201;
	res->body = json_pack("{s:o}", "passkey", passkey_json(&p));
out:
	json_decref(cred);
}

static void list_one(const struct store_passkey *p, void *arg)
{
	json_array_append_new(arg, passkey_json(p));
}

void api_passkey_list(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	json_t *list = json_array();
	if (account_passkey_list(api->core, a.id, list_one, list) < 0) {
		json_decref(list);
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->body = json_pack("{s:o}", "passkeys", list);
}

void api_passkey_remove(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	if (api_device_account(req, res, 0, &a, now) < 0)
		return;
	enum iotp_error e = account_passkey_remove(api->core, a.id, req->params[0], now);
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->body = json_pack("{s:b}", "removed", 1);
}

/* Whether the caller is the app's backend (Authorization: Bearer <api
 * key>): then *app names it. */
static int backend(struct http_request *req, const char **app)
{
	const char *h = http_header(req, "Authorization");
	return h && !strncmp(h, "Bearer ", 7) && api_authenticate(req->app, h, app) == 0;
}

void api_passkey_auth_options(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	int64_t now = clock_now_ms();
	const char *app = NULL, *session_id = NULL;
	const struct api_field fields[] = {{"session_id", 0, STORE_ID_MAX, &session_id}};
	json_t *options = NULL;
	enum iotp_error e;
	if (backend(req, &app)) {
		if (api_read_fields(req, res, fields, 1) < 0)
			return;
		if (!session_id) {
			json_object_set_new(
				http_reply_error(res, IOTP_E_MISSING_FIELD,
						 "Field 'session_id' is missing: the app's backend asks "
						 "for a passkey on behalf of the verified session that "
						 "registers the number on a new device."),
				"field", json_string("session_id"));
			return;
		}
		e = account_passkey_auth_options(api->core, app, NULL, session_id, now, &options);
	} else {
		struct store_account a;
		if (api_device_account(req, res, 1, &a, now) < 0 ||
		    api_read_fields(req, res, NULL, 0) < 0)
			return;
		e = account_passkey_auth_options(api->core, a.app, a.id, NULL, now, &options);
	}
	if (e) {
		http_reply_error(res, e, NULL);
		return;
	}
	res->body = json_pack("{s:o}", "publicKey", options);
}

/* Re-verification by the device with a passkey instead of an SMS code. A
 * new device sends its assertion with the registration (POST /v1/accounts,
 * "passkey"), where it stands in for the PIN. */
void api_passkey_auth_finish(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	struct store_account a;
	int64_t now = clock_now_ms();
	const char *app;
	if (backend(req, &app)) {
		http_reply_error(res, IOTP_E_INVALID_FIELD,
				 "A new device sends its passkey with the registration: POST "
				 "/v1/accounts {\"session_id\", \"device\", \"passkey\": "
				 "<PublicKeyCredential>}. This route is the device's re-verification "
				 "(Authorization: Device <credential>).");
		return;
	}
	if (api_device_account(req, res, 1, &a, now) < 0)
		return;
	struct account_passkey_response r;
	json_t *cred;
	if (read_credential(req, res, 0, NULL, 0, &cred, &r) < 0)
		goto out;
	struct account_result ar;
	enum iotp_error e = account_passkey_reverify(api->core, a.id, &r, now, &ar);
	api_account_reply(api, res, e, &ar, now, 200);
out:
	json_decref(cred);
}
