/* What the GoTrue facade's files share: its error shape, its user JSON and
 * its tokens. The rules — users, codes, logins, refresh rotation — are the
 * core's (core/login.h); these files only translate names, fields and
 * errors, and sign the access tokens. */
#ifndef IOTP_COMPAT_GOTRUE_H
#define IOTP_COMPAT_GOTRUE_H

#include <jansson.h>
#include <stdint.h>

#include "core/login.h"
#include "http/http.h"

/* Fills res with GoTrue's error JSON {code, error_code, msg}. */
void gotrue_reply(struct http_response *res, int status, const char *error_code, const char *msg);
/* A core outcome in GoTrue's words (and Retry-After from why, when given). */
void gotrue_reply_outcome(struct http_response *res, enum iotp_error e,
			  const struct login_refusal *why);

/* GoTrue's user JSON (phone without the plus, as GoTrue stores it). */
json_t *gotrue_user_json(const struct login_user *u);

/* Who asks, for the core: the calling app and the client's address. */
struct login_client gotrue_client(const struct http_request *req);

/* Answers res with GoTrue's session JSON (200) for a login of u: its access
 * token, signed with the calling app's secret, and refresh token. */
void gotrue_reply_session(struct http_request *req, struct http_response *res,
			  const struct login_user *u, const char *login_id, const char *refresh,
			  int64_t now);

/* The user an "Authorization: Bearer <access token>" names, if the token is
 * the calling app's and its login is live; else answers res (401/403) and
 * returns -1. *login_id (LOGIN_ID_LEN) gets the login's id. check_reverify:
 * refuse an account that must verify its number again first. */
int gotrue_authorize(struct http_request *req, struct http_response *res, int64_t now,
		     int check_reverify, struct login_user *u, char *login_id);

/* Handlers (compat/compat.c routes them under gotrue_prefix). */
void gotrue_otp(struct http_request *req, struct http_response *res);
void gotrue_verify(struct http_request *req, struct http_response *res);
void gotrue_resend(struct http_request *req, struct http_response *res);
void gotrue_token(struct http_request *req, struct http_response *res);
void gotrue_logout(struct http_request *req, struct http_response *res);
void gotrue_user_get(struct http_request *req, struct http_response *res);
void gotrue_user_update(struct http_request *req, struct http_response *res);
void gotrue_settings(struct http_request *req, struct http_response *res);

#endif
