/* login: logins and their refresh tokens, which rotate. Each refresh token
 * works once; presenting a used one ends the whole login (it leaked, or raced
 * itself), the winner's new tokens included. Records: "gt_login" (key: the
 * login id, the access token's session_id) {user, app, revoked, created};
 * "gt_refresh" (key: SHA-256 of the token) {login, user, used}. Both live
 * gotrue_refresh_ttl past the login's last refresh. */
#include <sodium.h>
#include <string.h>

#include "base/alloc.h"
#include "base/seal.h"
#include "core/account.h"
#include "core/login.h"
#include "core/login_internal.h"
#include "core/record.h"

#define K_LOGIN "gt_login"
#define K_REFRESH "gt_refresh"
#define REFRESH_BYTES 24

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

static int64_t login_expiry(const struct core *c, int64_t now)
{
	return now + (int64_t)c->cfg->gotrue_refresh_ttl * 1000;
}

/* A new refresh token of login, stored by its hash. Returns 0 or -1. */
static int refresh_new(struct store *st, const char *login, const char *user, int64_t expires,
		       int64_t now, char *token)
{
	char key[65];
	seal_random_id(REFRESH_BYTES, token, LOGIN_TOKEN_MAX);
	token_key(token, key);
	json_t *j = json_pack("{s:s, s:s, s:b}", "login", login, "user", user, "used", 0);
	struct store_record rec = {0};
	int rc = record_put(st, &rec, K_REFRESH, key, j, expires, now);
	json_decref(j);
	return rc == 0 ? 0 : -1;
}

void login_uuid(char out[LOGIN_ID_LEN])
{
	unsigned char b[16];
	char hex[33];
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	sodium_bin2hex(hex, sizeof hex, b, sizeof b);
	strfmt(out, LOGIN_ID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
	       hex + 20);
}

enum iotp_error login_start(struct core *c, const struct login_user *u, int64_t now,
			    char *login_id, char *refresh)
{
	int64_t expires = login_expiry(c, now);
	login_uuid(login_id);
	json_t *j = json_pack("{s:s, s:s, s:b, s:I}", "user", u->id, "app", u->app, "revoked", 0,
			      "created", (json_int_t)now);
	struct store_record rec = {0};
	int rc = record_put(c->store, &rec, K_LOGIN, login_id, j, expires, now);
	json_decref(j);
	if (rc != 0 || refresh_new(c->store, login_id, u->id, expires, now, refresh) != 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

static enum record_change revoke(json_t **j, int64_t *expires_at, void *arg)
{
	(void)expires_at;
	(void)arg;
	if (!*j)
		return RECORD_STOP; /* gone already: ended all the same */
	json_object_set_new(*j, "revoked", json_true());
	return RECORD_WRITE;
}

enum iotp_error login_end(struct core *c, const char *login_id, int64_t now)
{
	return record_update(c->store, K_LOGIN, login_id, now, revoke, NULL, NULL) < 0
		       ? IOTP_E_INTERNAL
		       : IOTP_E_OK;
}

/* The live login with this id, or NULL (revoked, expired, unknown). */
static json_t *login_live(struct store *st, const char *login, int64_t now,
			  struct store_record *rec)
{
	int rc;
	json_t *j = record_get(st, K_LOGIN, login, now, rec, &rc);
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
	json_t *r = record_get(st, K_REFRESH, key, now, &rec, &rc);
	int used = r && json_is_true(json_object_get(r, "used"));
	json_decref(r);
	return used;
}

/* Whether u's account must prove its number again before it is served. */
static enum iotp_error reverify_check(struct core *c, const struct login_user *u, int64_t now)
{
	struct store_account a;
	int rc = store_account_get(c->store, u->account, &a);
	if (rc != 0)
		return rc == STORE_NOT_FOUND ? IOTP_E_LOGIN_ENDED : IOTP_E_INTERNAL;
	return account_reverify_due(c, &a, now) ? IOTP_E_REVERIFICATION_REQUIRED : IOTP_E_OK;
}

enum iotp_error login_refresh(struct core *c, const char *app, const char *token, int64_t now,
			      struct login_user *u, char *login_id, char *refresh)
{
	struct store *st = c->store;
	char key[65];
	token_key(token, key);
	struct store_record rec, lrec;
	int rc;
	json_t *r = record_get(st, K_REFRESH, key, now, &rec, &rc);
	if (!r)
		return rc == STORE_NOT_FOUND ? IOTP_E_REFRESH_TOKEN_NOT_FOUND : IOTP_E_INTERNAL;
	strfmt(login_id, LOGIN_ID_LEN, "%s", jstr(r, "login"));
	json_t *l = NULL;
	int used = json_is_true(json_object_get(r, "used"));
	if (!used) {
		l = login_live(st, login_id, now, &lrec);
		if (!l || strcmp(jstr(l, "app"), app) != 0 ||
		    login_user_load(c, jstr(r, "user"), now, u, NULL, NULL) != 0) {
			json_decref(l);
			json_decref(r);
			/* A parallel refresh with this token may have won meanwhile,
			 * and a reuse of it ended the login: this one is a reuse too. */
			if (!l && token_used_now(st, key, now))
				return IOTP_E_REFRESH_TOKEN_USED;
			return IOTP_E_LOGIN_ENDED;
		}
		/* An account asked to prove its number again gets no new tokens
		 * until it has: the token stays unused, for after a sign-in code. */
		enum iotp_error e = reverify_check(c, u, now);
		if (e) {
			json_decref(l);
			json_decref(r);
			return e;
		}
		/* Mark it used, with compare-and-swap: of parallel refreshes with
		 * one token exactly one wins. */
		json_object_set_new(r, "used", json_true());
		rc = record_put(st, &rec, K_REFRESH, key, r, rec.expires_at, now);
		used = rc == STORE_CONFLICT;
		if (rc != 0 && rc != STORE_CONFLICT) {
			json_decref(l);
			json_decref(r);
			return IOTP_E_INTERNAL;
		}
	}
	json_decref(r);
	if (used) {
		json_decref(l);
		login_end(c, login_id, now);
		return IOTP_E_REFRESH_TOKEN_USED;
	}
	/* The login lives on from this refresh. */
	int64_t expires = login_expiry(c, now);
	record_put(st, &lrec, K_LOGIN, login_id, l, expires, now);
	json_decref(l);
	if (refresh_new(st, login_id, u->id, expires, now, refresh) != 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

enum iotp_error login_authorize(struct core *c, const char *app, const char *login_id,
				const char *user_id, int check_reverify, int64_t now,
				struct login_user *u)
{
	struct store_record rec;
	json_t *l = login_live(c->store, login_id, now, &rec);
	int ok = l && !strcmp(jstr(l, "user"), user_id) && !strcmp(jstr(l, "app"), app);
	json_decref(l);
	if (!ok)
		return IOTP_E_LOGIN_ENDED;
	int rc = login_user_load(c, user_id, now, u, NULL, NULL);
	if (rc != 0)
		return rc == STORE_NOT_FOUND ? IOTP_E_ACCOUNT_NOT_FOUND : IOTP_E_INTERNAL;
	return check_reverify ? reverify_check(c, u, now) : IOTP_E_OK;
}
