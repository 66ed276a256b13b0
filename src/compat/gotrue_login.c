/* GoTrue logins: HS256 access tokens with the claims Supabase's clients and
 * PostgREST read, refresh tokens that rotate (each works once; presenting a
 * used one ends the whole login, as a stolen token would be), and logout.
 *
 * Records: "gt_login" (key: the login id, the JWT's session_id) {user, app,
 * revoked}; "gt_refresh" (key: SHA-256 of the token, never the token) {login,
 * user, used}. Both live gotrue_refresh_ttl past their last refresh. */
#include <sodium.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/seal.h"
#include "compat/compat.h"
#include "compat/compat_internal.h"
#include "compat/gotrue.h"
#include "compat/jwt.h"
#include "http/auth.h"

#define K_LOGIN "gt_login"
#define K_REFRESH "gt_refresh"
#define REFRESH_BYTES 24

static const struct config *cfg_of(struct http_request *req)
{
	return ((struct api *)req->app)->core->cfg;
}

static struct store *store_of(struct http_request *req)
{
	return ((struct api *)req->app)->core->store;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void token_key(const char *token, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* A new refresh token of login, stored by its hash. Returns 0 or -1. */
static int refresh_new(struct store *st, const char *login, const char *user, int64_t expires,
		       int64_t now, char *token, size_t size)
{
	char key[65];
	seal_random_id(REFRESH_BYTES, token, size);
	token_key(token, key);
	json_t *j = json_pack("{s:s, s:s, s:b}", "login", login, "user", user, "used", 0);
	struct store_record rec = {0};
	int rc = compat_record_put(st, &rec, K_REFRESH, key, j, expires, now);
	json_decref(j);
	return rc == 0 ? 0 : -1;
}

static json_t *session_json(struct http_request *req, json_t *user, const char *login,
			    const char *refresh, int64_t now)
{
	const struct config *cfg = cfg_of(req);
	int64_t iat = now / 1000, exp = iat + cfg->gotrue_jwt_exp;
	const char *phone = jstr(user, "phone");
	json_t *claims = json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:{s:s, s:[s]}, s:{}, s:s, s:s, s:[{s:s, s:I}], "
		"s:s, s:b}",
		"iss", cfg->gotrue_prefix, "sub", jstr(user, "id"), "aud", "authenticated", "exp",
		(json_int_t)exp, "iat", (json_int_t)iat, "email", "", "phone", phone[0] ? phone + 1 : "",
		"app_metadata", "provider", "phone", "providers", "phone", "user_metadata", "role",
		"authenticated", "aal", "aal1", "amr", "method", "otp", "timestamp", (json_int_t)iat,
		"session_id", login, "is_anonymous", 0);
	char jwt[JWT_MAX];
	int rc = jwt_sign(cfg->gotrue_jwt_secret, claims, jwt, sizeof jwt);
	json_decref(claims);
	if (rc < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "access_token", jwt, "token_type",
			 "bearer", "expires_in", (json_int_t)cfg->gotrue_jwt_exp, "expires_at",
			 (json_int_t)exp, "refresh_token", refresh, "user", gotrue_user_json(user));
}

int gotrue_login_start(struct http_request *req, struct http_response *res, json_t *user,
		       int64_t now)
{
	struct store *st = store_of(req);
	int64_t expires = now + (int64_t)cfg_of(req)->gotrue_refresh_ttl * 1000;
	char login[37], refresh[64];
	compat_uuid(login);
	json_t *j = json_pack("{s:s, s:s, s:b, s:I}", "user", jstr(user, "id"), "app",
			      jstr(user, "app"), "revoked", 0, "created", (json_int_t)now);
	struct store_record rec = {0};
	int rc = compat_record_put(st, &rec, K_LOGIN, login, j, expires, now);
	json_decref(j);
	if (rc != 0 || refresh_new(st, login, jstr(user, "id"), expires, now, refresh, sizeof refresh))
		return -1;
	json_t *body = session_json(req, user, login, refresh, now);
	if (!body)
		return -1;
	res->status = 200;
	res->body = body;
	return 0;
}

/* Ends a login: later refreshes and access tokens of it are refused. */
static int login_revoke(struct store *st, const char *login, int64_t now)
{
	for (int tries = 0; tries < 16; tries++) {
		struct store_record rec;
		int rc;
		json_t *j = compat_record_get(st, K_LOGIN, login, now, &rec, &rc);
		if (!j)
			return rc == STORE_NOT_FOUND ? 0 : -1;
		json_object_set_new(j, "revoked", json_true());
		rc = compat_record_put(st, &rec, K_LOGIN, login, j, rec.expires_at, now);
		json_decref(j);
		if (rc != STORE_CONFLICT)
			return rc;
	}
	return -1;
}

/* The live login with this id, or NULL (revoked, expired, unknown). */
static json_t *login_live(struct store *st, const char *login, int64_t now,
			  struct store_record *rec)
{
	int rc;
	json_t *j = compat_record_get(st, K_LOGIN, login, now, rec, &rc);
	if (j && json_is_true(json_object_get(j, "revoked"))) {
		json_decref(j);
		j = NULL;
	}
	return j;
}


/* Whether the refresh token under key has been used, as the store has it now. */
static int token_used_now(struct store *st, const char *key, int64_t now)
{
	struct store_record rec;
	int rc;
	json_t *r = compat_record_get(st, K_REFRESH, key, now, &rec, &rc);
	int used = r && json_is_true(json_object_get(r, "used"));
	json_decref(r);
	return used;
}

void gotrue_token(struct http_request *req, struct http_response *res)
{
	struct store *st = store_of(req);
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
	char key[65];
	token_key(token, key);
	struct store_record rec;
	int rc;
	json_t *r = compat_record_get(st, K_REFRESH, key, now, &rec, &rc);
	if (!r) {
		if (rc == STORE_NOT_FOUND)
			gotrue_reply(res, 400, "refresh_token_not_found",
				     "Invalid Refresh Token: Refresh Token Not Found");
		else
			gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	char login[64];
	strfmt(login, sizeof login, "%s", jstr(r, "login"));
	struct store_record lrec;
	json_t *l = NULL;
	struct gotrue_user u = {0};
	int used = json_is_true(json_object_get(r, "used"));
	if (!used) {
		l = login_live(st, login, now, &lrec);
		if (!l || strcmp(jstr(l, "app"), req->principal) != 0 ||
		    gotrue_user_load(st, jstr(r, "user"), now, &u) != 0) {
			json_decref(l);
			json_decref(r);
			/* A parallel refresh with this token may have won meanwhile,
			 * and a reuse of it ended the login: this one is a reuse too. */
			if (!l && token_used_now(st, key, now))
				gotrue_reply(res, 400, "refresh_token_already_used",
					     "Invalid Refresh Token: Already Used");
			else
				gotrue_reply(res, 400, "session_expired",
					     "Invalid Refresh Token: Session Expired");
			return;
		}
		/* Mark it used, with compare-and-swap: of parallel refreshes with one
		 * token exactly one wins. */
		json_object_set_new(r, "used", json_true());
		rc = compat_record_put(st, &rec, K_REFRESH, key, r, rec.expires_at, now);
		used = rc == STORE_CONFLICT;
		if (rc != 0 && rc != STORE_CONFLICT) {
			json_decref(l);
			json_decref(u.j);
			json_decref(r);
			gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
			return;
		}
	}
	json_decref(r);
	if (used) {
		/* A token presented twice has leaked, or raced itself: either way the
		 * login it belongs to ends, winner's new tokens included. */
		json_decref(l);
		json_decref(u.j);
		login_revoke(st, login, now);
		gotrue_reply(res, 400, "refresh_token_already_used",
			     "Invalid Refresh Token: Already Used");
		return;
	}
	/* The login lives on from this refresh. */
	int64_t expires = now + (int64_t)cfg_of(req)->gotrue_refresh_ttl * 1000;
	compat_record_put(st, &lrec, K_LOGIN, login, l, expires, now);
	json_decref(l);
	char refresh[64];
	json_t *body = NULL;
	if (refresh_new(st, login, jstr(u.j, "id"), expires, now, refresh, sizeof refresh) == 0)
		body = session_json(req, u.j, login, refresh, now);
	json_decref(u.j);
	if (!body) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->body = body;
}

int gotrue_authorize(struct http_request *req, struct http_response *res, int64_t now,
		     struct gotrue_user *u, char *login_id)
{
	const char *token = auth_bearer(http_header(req, "Authorization"));
	if (!token) {
		gotrue_reply(res, 401, "no_authorization", "This endpoint requires a valid Bearer token");
		return -1;
	}
	json_t *claims = jwt_verify(cfg_of(req)->gotrue_jwt_secret, token, now / 1000);
	if (!claims) {
		gotrue_reply(res, 403, "bad_jwt",
			     "invalid JWT: unable to parse or verify signature, token is expired");
		return -1;
	}
	struct store *st = store_of(req);
	struct store_record rec;
	strfmt(login_id, 37, "%s", jstr(claims, "session_id"));
	json_t *l = login_live(st, login_id, now, &rec);
	int ok = l && !strcmp(jstr(l, "user"), jstr(claims, "sub")) &&
		 !strcmp(jstr(l, "app"), req->principal);
	json_decref(l);
	if (!ok) {
		json_decref(claims);
		/* auth-js reads this code as "signed out" (AuthSessionMissingError). */
		gotrue_reply(res, 403, "session_not_found",
			     "Session from session_id claim in JWT does not exist");
		return -1;
	}
	int rc = gotrue_user_load(st, jstr(claims, "sub"), now, u);
	json_decref(claims);
	if (rc != 0) {
		gotrue_reply(res, 404, "user_not_found", "User from sub claim in JWT does not exist");
		return -1;
	}
	return 0;
}

void gotrue_logout(struct http_request *req, struct http_response *res)
{
	int64_t now = clock_now_ms();
	struct gotrue_user u = {0};
	char login[37];
	if (gotrue_authorize(req, res, now, &u, login) < 0)
		return;
	json_decref(u.j);
	/* scope=local|global|others: every scope ends this login (docs/compat.md). */
	if (login_revoke(store_of(req), login, now) < 0) {
		gotrue_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	res->status = 204;
}
