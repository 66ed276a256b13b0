/* The PostgreSQL store's number notes (store_note_add, store_notes_of, and the
 * note that rides in a session write): the same as sqlite_notes.c, over every
 * node's notes. */
#include <libpq-fe.h>
#include <string.h>

#include "store/postgres_db.h"

int pg_note_insert(struct pg_db *db, struct pg_conn *c, const struct store_note *n)
{
	struct pg_params p = {0};
	pg_p_text(&p, n->phone);
	pg_p_int(&p, n->at);
	pg_p_text(&p, n->kind);
	pg_p_text(&p, n->session_id);
	pg_p_text(&p, n->detail);
	PGresult *r = pg_run(db, c, P_NOTE_INSERT, &p, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

int pg_note_add(void *state, const struct store_note *n)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = pg_note_insert(db, c, n);
	pg_release(db, c);
	return rc;
}

int pg_notes_of(void *state, const char *phone, int64_t since, size_t limit,
		void (*fn)(const struct store_note *n, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_text(&p, phone);
	pg_p_int(&p, since);
	pg_p_int(&p, (int64_t)limit);
	PGresult *r = pg_run_sql(state, PG_NOTES_OF_SQL, &p, "a number's notes");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_note n;
		memset(&n, 0, sizeof n);
		pg_text(n.phone, sizeof n.phone, r, i, 0);
		n.at = pg_int(r, i, 1);
		pg_text(n.kind, sizeof n.kind, r, i, 2);
		pg_text(n.session_id, sizeof n.session_id, r, i, 3);
		pg_text(n.detail, sizeof n.detail, r, i, 4);
		fn(&n, arg);
	}
	PQclear(r);
	return 0;
}
