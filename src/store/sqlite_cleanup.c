/* The SQLite store's cleanup (store_cleanup): old rows removed in short
 * batches, each one write of the group commit, so requests never wait long. */
#include <sqlite3.h>

#include "store/sqlite_db.h"

/* Each deletes at most ?2 rows: created before ?1, or (records) expired by ?3. */
static const char *const sweeps[] = {
	/* Hand-overs first: they go with the messages the next statement takes. */
	"DELETE FROM message_attempts WHERE message_id IN (SELECT id FROM messages"
	" WHERE created_at < ?1 AND state NOT IN (0, 1) ORDER BY created_at LIMIT ?2)",
	"DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	" WHERE created_at < ?1 AND state NOT IN (0, 1) ORDER BY created_at LIMIT ?2)",
	"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
	" WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
	"DELETE FROM events WHERE id IN (SELECT id FROM events"
	" WHERE created_at < ?1 AND state <> 0 ORDER BY created_at LIMIT ?2)",
	"DELETE FROM records WHERE (kind, key) IN (SELECT kind, key FROM records"
	" WHERE expires_at > 0 AND expires_at <= ?3 LIMIT ?2)",
	"DELETE FROM notes WHERE rowid IN (SELECT rowid FROM notes WHERE at < ?1 LIMIT ?2)",
	"DELETE FROM fraud_events WHERE id IN (SELECT id FROM fraud_events"
	" WHERE at < ?1 ORDER BY at LIMIT ?2)",
};

int sqlite_cleanup(void *state, int64_t before, int64_t now, size_t batch,
		   struct store_cleanup *n)
{
	struct sqlite_db *db = state;
	size_t *counts[] = {&n->attempts, &n->messages, &n->sessions, &n->events, &n->records,
			   &n->notes, &n->fraud_events};
	uint64_t group = 0;
	int rc = -1;
	*n = (struct store_cleanup){0};
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < sizeof sweeps / sizeof sweeps[0]; i++) {
			sqlite3_stmt *st;
			if ((rc = sqlite_prepare(db, sweeps[i], &st, "cleanup")) < 0)
				break;
			sqlite3_bind_int64(st, 1, before);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)batch);
			sqlite3_bind_int64(st, 3, now);
			if (sqlite3_step(st) == SQLITE_DONE)
				*counts[i] = (size_t)sqlite3_changes(db->conn);
			else
				rc = sqlite_fail(db, "clean up old rows");
			sqlite3_finalize(st);
		}
		/* The sessions kept in memory may be among those deleted. */
		if (n->sessions)
			sqlite_sessions_forget(db);
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	if (rc != 0)
		*n = (struct store_cleanup){0};
	return rc != 0 ? rc : crc;
}
