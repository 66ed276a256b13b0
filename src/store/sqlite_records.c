/* The SQLite store's records: small keyed documents with an expiry that the
 * compatibility facades keep (store_record_*). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/sqlite_db.h"

int sqlite_record_get(void *state, const char *kind, const char *key, int64_t now,
			 struct store_record *out)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	/* On the writer's connection: a put may still sit in the open group. */
	sqlite_enter(db);
	if (sqlite_prepare(db,
			   "SELECT value, version, expires_at FROM records WHERE kind = ?1 AND key = ?2"
			   " AND (expires_at = 0 OR expires_at > ?3)",
			   &st, "record statement") == 0) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			strfmt(out->kind, sizeof out->kind, "%s", kind);
			strfmt(out->key, sizeof out->key, "%s", key);
			sqlite_copy_text(out->value, sizeof out->value, st, 0);
			out->version = sqlite3_column_int64(st, 1);
			out->expires_at = sqlite3_column_int64(st, 2);
			rc = 0;
		} else {
			rc = step == SQLITE_DONE ? STORE_NOT_FOUND : sqlite_fail(db, "read record");
		}
	}
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_record_list(void *state, const char *kind, const char *after, size_t limit,
			  int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	/* On the writer's connection, as record_get: a put may sit in the open group. */
	sqlite_enter(db);
	if (sqlite_prepare(db,
			   "SELECT key, value, version, expires_at FROM records WHERE kind = ?1"
			   " AND key > ?2 AND (expires_at = 0 OR expires_at > ?3)"
			   " ORDER BY key LIMIT ?4",
			   &st, "record statement") == 0) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
		struct store_record *r = xmalloc(sizeof *r);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			memset(r, 0, sizeof *r);
			strfmt(r->kind, sizeof r->kind, "%s", kind);
			sqlite_copy_text(r->key, sizeof r->key, st, 0);
			sqlite_copy_text(r->value, sizeof r->value, st, 1);
			r->version = sqlite3_column_int64(st, 2);
			r->expires_at = sqlite3_column_int64(st, 3);
			fn(r, arg);
		}
		free(r);
		rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "list records");
	}
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_record_put(void *state, const struct store_record *r, int64_t now)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) < 0)
		goto out;
	if (sqlite_prepare(db,
			   "DELETE FROM records WHERE kind = ?1 AND expires_at > 0 AND expires_at <= ?2"
			   " AND key IN (SELECT key FROM records WHERE kind = ?1 AND expires_at > 0"
			   " AND expires_at <= ?2 LIMIT 8)",
			   &st, "record statement") < 0)
		goto end;
	sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite_fail(db, "purge records");
		goto end;
	}
	sqlite3_finalize(st);
	st = NULL;
	const char *sql =
		r->version == 1
			? "INSERT INTO records (kind, key, value, version, expires_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, key) DO UPDATE SET"
			  " value = ?3, version = ?4, expires_at = ?5"
			  " WHERE records.expires_at > 0 AND records.expires_at <= ?6"
			: "UPDATE records SET value = ?3, version = ?4, expires_at = ?5"
			  " WHERE kind = ?1 AND key = ?2 AND version = ?4 - 1"
			  " AND (expires_at = 0 OR expires_at > ?6)";
	if (sqlite_prepare(db, sql, &st, "record statement") < 0)
		goto end;
	sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->version);
	sqlite3_bind_int64(st, 5, r->expires_at);
	sqlite3_bind_int64(st, 6, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		sqlite_fail(db, "write record");
	else
		rc = sqlite3_changes(db->conn) == 0 ? STORE_CONFLICT : 0;
end:
	sqlite3_finalize(st);
	group = sqlite_write_lost(db, rc, sqlite_write_end(db, rc == 0));
out:;
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}
