/* GoTrue's tokens: HS256 access tokens with the claims Supabase's clients and
 * PostgREST read, each signed with its app's own secret ([app ID]
 * gotrue_jwt_secret, else the top-level one), so that one app's token is
 * refused by another app's PostgREST; and /token (refresh), /logout. Logins
 * and the rotation of refresh tokens are the core's (core/login.h). */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "compat/compat.h"
#include "compat/gotrue.h"
#include "compat/jwt.h"
#include "core/app.h"
#include "http/auth.h"

static struct core *core_of(struct http_request *req)
{
	return ((struct api *)req->app)->core;
}

/* The secret the calling app's tokens are signed and checked with. */
static const char *secret_of(struct http_request *req)
{
	const struct core *c = core_of(req);
	const struct app *a = apps_find(&c->apps, req->principal);
	return a && a->gotrue_jwt_secret ? a->gotrue_jwt_secret : c->cfg->gotrue_jwt_secret;
}

void gotrue_reply_session(struct http_request *req, struct http_response *res,
			  const struct login_user *u, const char *login_id, const char *refresh,
			  int64_t now)
{
	const struct config *cfg = core_of(req)->cfg;
	int64_t iat = now / 1000, exp = iat + cfg->gotrue_jwt_exp;
	json_t *claims = json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:{s:s, s:[s], s:s}, s:{}, s:s, s:s, "
		"s:[{s:s, s:I}], s:s, s:b}",
		"iss", cfg->gotrue_prefix, "sub", u->id, "aud", "authenticated", "exp", (json_int_t)exp,
		"iat", (json_int_t)iat, "email", "", "phone", u->phone[0] ? u->phone + 1 : "",
		"app_metadata", "provider", "phone", "providers", "phone", "iotp_app", u->app,
		"user_metadata", "role", "authenticated", "aal", "aal1", "amr", "method", "otp",
		"timestamp", (json_int_t)iat, "session_id", login_id, "is_anonymous", 0);
	char jwt[JWT_MAX];
	int rc = jwt_sign(secret_of(req), claims, jwt, sizeof jwt);
	json_decref(claims);
	if (rc < 0) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	json_decref(res->body);
	res->status = 200;
	res->body = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "access_token", jwt, "token_type",
			      "bearer", "expires_in", (json_int_t)cfg->gotrue_jwt_exp, "expires_at",
			      (json_int_t)exp, "refresh_token", refresh, "user", gotrue_user_json(u));
}

void gotrue_token(struct http_request *req, struct http_response *res)
{
	const char *grant = http_query(req, "grant_type");
	if (!grant || strcmp(grant, "refresh_token") != 0) {
		gotrue_reply(res, 400, "validation_failed",
			     "This server grants grant_type=refresh_token only (phone logins use /verify).");
		return;
	}
	const char *token = json_string_value(json_object_get(req->body, "refresh_token"));
	if (!token || !*token || strlen(token) > 128) {
		gotrue_reply(res, 400, "validation_failed", "refresh_token required");
		return;
	}
	int64_t now = clock_now_ms();
	struct login_user u;
	char login[LOGIN_ID_LEN], refresh[LOGIN_TOKEN_MAX];
	enum iotp_error e = login_refresh(core_of(req), req->principal, token, now, &u, login, refresh);
	if (e) {
		gotrue_reply_outcome(res, e, NULL);
		return;
	}
	gotrue_reply_session(req, res, &u, login, refresh, now);
}

int gotrue_authorize(struct http_request *req, struct http_response *res, int64_t now,
		     int check_reverify, struct login_user *u, char *login_id)
{
	const char *token = auth_bearer(http_header(req, "Authorization"));
	if (!token) {
		gotrue_reply(res, 401, "no_authorization", "This endpoint requires a valid Bearer token");
		return -1;
	}
	json_t *claims = jwt_verify(secret_of(req), token, now / 1000);
	if (!claims) {
		gotrue_reply(res, 403, "bad_jwt",
			     "invalid JWT: unable to parse or verify signature, token is expired");
		return -1;
	}
	const char *sid = json_string_value(json_object_get(claims, "session_id"));
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	strfmt(login_id, LOGIN_ID_LEN, "%s", sid ? sid : "");
	enum iotp_error e = login_authorize(core_of(req), req->principal, login_id, sub ? sub : "",
					    check_reverify, now, u);
	json_decref(claims);
	if (e == IOTP_E_LOGIN_ENDED) {
		/* auth-js reads this code as "signed out" (AuthSessionMissingError). */
		gotrue_reply(res, 403, "session_not_found",
			     "Session from session_id claim in JWT does not exist");
		return -1;
	}
	if (e == IOTP_E_ACCOUNT_NOT_FOUND) {
		gotrue_reply(res, 404, "user_not_found", "User from sub claim in JWT does not exist");
		return -1;
	}
	if (e) {
		gotrue_reply_outcome(res, e, NULL);
		return -1;
	}
	return 0;
}

void gotrue_logout(struct http_request *req, struct http_response *res)
{
	int64_t now = clock_now_ms();
	struct login_user u;
	char login[LOGIN_ID_LEN];
	if (gotrue_authorize(req, res, now, 0, &u, login) < 0)
		return;
	/* scope=local|global|others: every scope ends this login (docs/compat.md). */
	if (login_end(core_of(req), login, now) != IOTP_E_OK) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->status = 204;
}
