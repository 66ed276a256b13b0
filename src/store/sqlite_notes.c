/* The SQLite store's number notes (store_note_add, store_notes_of, and the
 * note that rides in a session write). A note joins the writer's group
 * commit like any other write, so a burst of refusals shares one commit. */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite_db.h"

int sqlite_note_insert(struct sqlite_db *db, const struct store_note *n)
{
	sqlite3_stmt *st = db->stmt[S_NOTE_INSERT];
	sqlite3_bind_text(st, 1, n->phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n->at);
	sqlite3_bind_text(st, 3, n->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, n->detail, -1, SQLITE_STATIC);
	return sqlite_step_done(db, S_NOTE_INSERT) == SQLITE_DONE ? 0 : sqlite_fail(db, "insert note");
}

int sqlite_note_add(void *state, const struct store_note *n)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_note_insert(db, n);
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

int sqlite_notes_of(void *state, const char *phone, int64_t since, size_t limit,
		    void (*fn)(const struct store_note *n, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st;
	sqlite_enter(db);
	if (sqlite_prepare(db, SQLITE_NOTES_OF_SQL, &st, "notes") < 0) {
		sqlite_leave(db, 0);
		return -1;
	}
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_note n;
		memset(&n, 0, sizeof n);
		sqlite_copy_text(n.phone, sizeof n.phone, st, 0);
		n.at = sqlite3_column_int64(st, 1);
		sqlite_copy_text(n.kind, sizeof n.kind, st, 2);
		sqlite_copy_text(n.session_id, sizeof n.session_id, st, 3);
		sqlite_copy_text(n.detail, sizeof n.detail, st, 4);
		fn(&n, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read notes");
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}
