/* What core/login.c and core/login_user.c share: their records as JSON. */
#ifndef IOTP_LOGIN_INTERNAL_H
#define IOTP_LOGIN_INTERNAL_H

#include <jansson.h>

#include "core/login.h"

/* Reads a record's JSON object; NULL when absent or expired (*rc =
 * STORE_NOT_FOUND) or on a failure (*rc = -1). The caller owns it. */
json_t *login_record_get(struct store *st, const char *kind, const char *key, int64_t now,
			 struct store_record *rec, int *rc);
/* Writes value as rec's next version (rec->version 0: a new record, which
 * must not exist yet) expiring at expires_at (0: never). Returns 0,
 * STORE_CONFLICT or -1. */
int login_record_put(struct store *st, struct store_record *rec, const char *kind,
		     const char *key, json_t *value, int64_t expires_at, int64_t now);

/* A fresh UUID (version 4): the ids of users and logins. */
void login_uuid(char out[LOGIN_ID_LEN]);

/* Loads user id with its account as it stands: 0, STORE_NOT_FOUND (also when
 * the account was closed) or -1. *j (may be NULL) gets the record's JSON and
 * *rec its version, for a later login_user_save. */
int login_user_load(struct core *c, const char *id, int64_t now, struct login_user *u,
		    json_t **j, struct store_record *rec);

#endif
