/* What the GoTrue facade's files share: its error shape, its users and its
 * logins (a login is GoTrue's "session": an access token, a refresh token
 * that rotates, a logout). */
#ifndef IOTP_COMPAT_GOTRUE_H
#define IOTP_COMPAT_GOTRUE_H

#include <jansson.h>
#include <stdint.h>

#include "http/http.h"
#include "store/store.h"

/* Fills res with GoTrue's error JSON {code, error_code, msg}. */
void gotrue_reply(struct http_response *res, int status, const char *error_code, const char *msg);

/* A user: its "gt_user" record (id, account, app, updated, last_sign_in,
 * new_phone, phone_change_sent; ms) with, once loaded, its account's phone
 * (E.164), created and confirmed (its verified_at). */
struct gotrue_user {
	json_t *j; /* owned */
	struct store_record rec;
};

/* Loads a user by id with its account: 0, STORE_NOT_FOUND (also when its
 * account was closed) or -1. */
int gotrue_user_load(struct store *st, const char *id, int64_t now, struct gotrue_user *u);
/* Writes u->j back (compare-and-swap on what was loaded): 0, STORE_CONFLICT or -1. */
int gotrue_user_save(struct store *st, struct gotrue_user *u, int64_t now);
/* GoTrue's user JSON (phone without the plus, as GoTrue stores it). */
json_t *gotrue_user_json(json_t *user);

/* Starts a login for user: a new login record, a refresh token, an access
 * token. Fills res with GoTrue's session JSON (200). Returns 0 or -1. */
int gotrue_login_start(struct http_request *req, struct http_response *res, json_t *user,
		       int64_t now);

/* The user an "Authorization: Bearer <access token>" names, if its login is
 * live and it belongs to the calling app; else answers res (401/403) and
 * returns -1. *login_id (37 bytes) gets the login's id. */
int gotrue_authorize(struct http_request *req, struct http_response *res, int64_t now,
		     struct gotrue_user *u, char *login_id);

#endif
