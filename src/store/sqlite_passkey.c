/* The SQLite store's passkeys (store_passkey_*): one row per WebAuthn
 * credential, beside the accounts table. Reads go to the writer's connection,
 * as records' do: a use may still sit in the open group. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/sqlite_db.h"

#define COLS                                                                                  \
	"id, account_id, app, cred_id, public_key, alg, aaguid, attestation, name, sign_count," \
	" backup_eligible, backup_state, created_at, last_used_at, version"

static void read_row(sqlite3_stmt *st, struct store_passkey *p)
{
	memset(p, 0, sizeof *p);
	sqlite_copy_text(p->id, sizeof p->id, st, 0);
	sqlite_copy_text(p->account_id, sizeof p->account_id, st, 1);
	sqlite_copy_text(p->app, sizeof p->app, st, 2);
	p->cred_id_len = sqlite_copy_blob(p->cred_id, sizeof p->cred_id, st, 3);
	p->public_key_len = sqlite_copy_blob(p->public_key, sizeof p->public_key, st, 4);
	p->alg = sqlite3_column_int(st, 5);
	sqlite_copy_blob(p->aaguid, sizeof p->aaguid, st, 6);
	sqlite_copy_text(p->attestation, sizeof p->attestation, st, 7);
	sqlite_copy_text(p->name, sizeof p->name, st, 8);
	p->sign_count = sqlite3_column_int64(st, 9);
	p->backup_eligible = sqlite3_column_int(st, 10);
	p->backup_state = sqlite3_column_int(st, 11);
	p->created_at = sqlite3_column_int64(st, 12);
	p->last_used_at = sqlite3_column_int64(st, 13);
	p->version = sqlite3_column_int64(st, 14);
}

/* Runs one writing statement (bound by bind) in a write of its own; *changed
 * gets the rows it changed. 0 or -1. */
static int write_one(struct sqlite_db *db, const char *sql,
		     void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
		     int *changed)
{
	uint64_t group = 0;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) < 0)
		goto out;
	if (sqlite_prepare(db, sql, &st, "passkey statement") == 0) {
		bind(st, arg);
		if (sqlite3_step(st) == SQLITE_DONE) {
			*changed = sqlite3_changes(db->conn);
			rc = 0;
		} else {
			sqlite_fail(db, "write passkey");
		}
	}
	sqlite3_finalize(st);
	group = sqlite_write_end(db, rc == 0);
out:;
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

int sqlite_passkey_insert(void *state, const struct store_passkey *p, int max)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) < 0)
		goto out;
	/* The count and the insert in one write: the writer's lock is held
	 * throughout, so parallel inserts see each other. */
	if (sqlite_prepare(db, "SELECT count(*) FROM passkeys WHERE account_id = ?1", &st,
			   "passkey count") < 0)
		goto end;
	sqlite3_bind_text(st, 1, p->account_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite_fail(db, "count passkeys");
		goto end;
	}
	if (sqlite3_column_int(st, 0) >= max) {
		rc = STORE_LIMITED;
		goto end;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite_prepare(db,
			   "INSERT INTO passkeys (" COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			   " ?9, ?10, ?11, ?12, ?13, ?14, 1)",
			   &st, "passkey insert") < 0)
		goto end;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->account_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->app, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, p->cred_id, (int)p->cred_id_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, p->public_key, (int)p->public_key_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, p->alg);
	sqlite3_bind_blob(st, 7, p->aaguid, sizeof p->aaguid, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, p->attestation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, p->sign_count);
	sqlite3_bind_int(st, 11, p->backup_eligible);
	sqlite3_bind_int(st, 12, p->backup_state);
	sqlite3_bind_int64(st, 13, p->created_at);
	sqlite3_bind_int64(st, 14, p->last_used_at);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = 0;
	else if (step == SQLITE_CONSTRAINT)
		rc = STORE_CONFLICT;
	else
		sqlite_fail(db, "insert passkey");
end:
	sqlite3_finalize(st);
	group = sqlite_write_end(db, rc == 0);
out:;
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

int sqlite_passkey_get(void *state, const char *app, const unsigned char *cred_id,
		       size_t cred_id_len, struct store_passkey *out)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_prepare(db, "SELECT " COLS " FROM passkeys WHERE app = ?1 AND cred_id = ?2", &st,
			   "passkey read") == 0) {
		sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, cred_id, (int)cred_id_len, SQLITE_STATIC);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			read_row(st, out);
			rc = 0;
		} else {
			rc = step == SQLITE_DONE ? STORE_NOT_FOUND : sqlite_fail(db, "read passkey");
		}
	}
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_passkey_list(void *state, const char *account_id,
			void (*fn)(const struct store_passkey *p, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_prepare(db,
			   "SELECT " COLS " FROM passkeys WHERE account_id = ?1"
			   " ORDER BY created_at, id",
			   &st, "passkey list") == 0) {
		sqlite3_bind_text(st, 1, account_id, -1, SQLITE_STATIC);
		struct store_passkey *p = xmalloc(sizeof *p);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			read_row(st, p);
			fn(p, arg);
		}
		free(p);
		rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "list passkeys");
	}
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}

static void bind_update(sqlite3_stmt *st, const void *arg)
{
	const struct store_passkey *p = arg;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->sign_count);
	sqlite3_bind_int(st, 3, p->backup_state);
	sqlite3_bind_int64(st, 4, p->last_used_at);
	sqlite3_bind_text(st, 5, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, p->version);
}

int sqlite_passkey_update(void *state, const struct store_passkey *p)
{
	int changed = 0;
	int rc = write_one(state,
			   "UPDATE passkeys SET sign_count = ?2, backup_state = ?3, last_used_at = ?4,"
			   " name = ?5, version = ?6 WHERE id = ?1 AND version = ?6 - 1",
			   bind_update, p, &changed);
	return rc ? rc : changed ? 0 : STORE_CONFLICT;
}

struct del {
	const char *account_id, *id;
};

static void bind_delete(sqlite3_stmt *st, const void *arg)
{
	const struct del *d = arg;
	sqlite3_bind_text(st, 1, d->account_id, -1, SQLITE_STATIC);
	if (d->id)
		sqlite3_bind_text(st, 2, d->id, -1, SQLITE_STATIC);
}

int sqlite_passkey_delete(void *state, const char *account_id, const char *id)
{
	struct del d = {account_id, id};
	int changed = 0;
	int rc = write_one(state,
			   id ? "DELETE FROM passkeys WHERE account_id = ?1 AND id = ?2"
			      : "DELETE FROM passkeys WHERE account_id = ?1",
			   bind_delete, &d, &changed);
	return rc ? rc : (id && !changed) ? STORE_NOT_FOUND : 0;
}
