/* The SQLite store's SMS-pumping blocks and the fraud events that tell of
 * them (store_block_*, store_fraud_events). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/sqlite_db.h"

static int fraud_event_add(struct sqlite_db *db, int64_t at, const char *type, const char *subject,
		     const char *detail)
{
	sqlite3_stmt *st = db->stmt[S_FRAUD_EVENT_INSERT];
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	return sqlite_step_done(db, S_FRAUD_EVENT_INSERT) == SQLITE_DONE ? 0 : sqlite_fail(db, "insert event");
}

/* The measure in force on key at now (0: none, or one that has run out), or -1. */
static int block_state(struct sqlite_db *db, const char *key, int64_t now)
{
	sqlite3_stmt *st = db->stmt[S_BLOCK_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	int step = sqlite3_step(st);
	int rc = step == SQLITE_ROW ? sqlite3_column_int(st, 0)
		 : step == SQLITE_DONE ? 0
				       : sqlite_fail(db, "read block");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int sqlite_block_set(void *state, const struct store_block *b, const char *event_type)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		int have = block_state(db, b->key, b->since);
		if (have < 0) {
			rc = -1;
		} else if (have >= b->state) {
			rc = STORE_CONFLICT;
		} else {
			sqlite3_stmt *st = db->stmt[S_BLOCK_PUT];
			sqlite3_bind_text(st, 1, b->key, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, b->state);
			sqlite3_bind_int64(st, 3, b->since);
			sqlite3_bind_double(st, 4, b->sent);
			sqlite3_bind_double(st, 5, b->verified);
			sqlite3_bind_double(st, 6, b->baseline);
			sqlite3_bind_text(st, 7, b->reason, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 8, b->until);
			sqlite3_bind_int(st, 9, b->strikes);
			rc = sqlite_step_done(db, S_BLOCK_PUT) == SQLITE_DONE ? 0 : sqlite_fail(db, "write block");
			if (rc == 0)
				rc = fraud_event_add(db, b->since, event_type, b->key, b->reason);
		}
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

int sqlite_block_lift(void *state, const char *key, const char *who, int64_t now,
		      const char *event_type)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		sqlite3_bind_text(db->stmt[S_BLOCK_DELETE], 1, key, -1, SQLITE_STATIC);
		rc = sqlite_step_done(db, S_BLOCK_DELETE) == SQLITE_DONE ? 0 : sqlite_fail(db, "delete block");
		if (rc == 0 && sqlite3_changes(db->conn) == 0)
			rc = STORE_NOT_FOUND;
		if (rc == 0) {
			char detail[128];
			strfmt(detail, sizeof detail, "lifted by %s", who);
			rc = fraud_event_add(db, now, event_type, key, detail);
		}
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

int sqlite_blocks_list(void *state, void (*fn)(const struct store_block *b, void *arg),
			  void *arg)
{
	struct sqlite_db *db = state;
	struct store_block b;
	sqlite_enter(db);
	sqlite3_stmt *st = db->stmt[S_BLOCK_LIST];
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		sqlite_copy_text(b.key, sizeof b.key, st, 0);
		b.state = sqlite3_column_int(st, 1);
		b.since = sqlite3_column_int64(st, 2);
		b.sent = sqlite3_column_double(st, 3);
		b.verified = sqlite3_column_double(st, 4);
		b.baseline = sqlite3_column_double(st, 5);
		sqlite_copy_text(b.reason, sizeof b.reason, st, 6);
		b.until = sqlite3_column_int64(st, 7);
		b.strikes = sqlite3_column_int(st, 8);
		fn(&b, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read blocks");
	sqlite3_reset(st);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_fraud_events(void *state, int64_t after_id, size_t limit,
			   void (*fn)(const struct store_fraud_event *e, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	struct store_fraud_event e;
	sqlite_enter(db);
	sqlite3_stmt *st = db->stmt[S_FRAUD_EVENT_LIST];
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof e);
		e.id = sqlite3_column_int64(st, 0);
		e.at = sqlite3_column_int64(st, 1);
		sqlite_copy_text(e.type, sizeof e.type, st, 2);
		sqlite_copy_text(e.subject, sizeof e.subject, st, 3);
		sqlite_copy_text(e.detail, sizeof e.detail, st, 4);
		fn(&e, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read events");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite_leave(db, 0);
	return rc;
}

/* Records are the facades' (compat/), rare next to sessions: their statements
 * are prepared per call rather than kept, which keeps them out of the hot
 * statement table. */
