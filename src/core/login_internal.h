/* What core/login.c and core/login_user.c share. */
#ifndef IOTP_LOGIN_INTERNAL_H
#define IOTP_LOGIN_INTERNAL_H

#include <jansson.h>

#include "core/login.h"

/* A fresh UUID (version 4): the ids of users and logins. */
void login_uuid(char out[LOGIN_ID_LEN]);

/* Loads user id with its account as it stands: 0, STORE_NOT_FOUND (also when
 * the account was closed) or -1. *j (may be NULL) gets the record's JSON and
 * *rec its version, for a later login_user_save. */
int login_user_load(struct core *c, const char *id, int64_t now, struct login_user *u,
		    json_t **j, struct store_record *rec);

#endif
