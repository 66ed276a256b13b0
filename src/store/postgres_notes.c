/* The PostgreSQL store's number notes (store_note_add, store_notes_of): the
 * same as sqlite_notes.c, over every node's notes. Plain statements: a note is
 * rare next to the session writes. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "store/postgres_db.h"

int pg_note_insert(struct pg_db *db, struct pg_conn *c, const struct store_note *n)
{
	char at[24];
	snprintf(at, sizeof at, "%lld", (long long)n->at);
	const char *params[5] = {n->phone, at, n->kind, n->session_id, n->detail};
	PGresult *r = PQexecParams(c->conn,
				   "INSERT INTO notes (phone, at, kind, session_id, detail)"
				   " VALUES ($1, $2::bigint, $3, $4, $5)",
				   5, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		log_error("postgres: note on %s: %s", db->shown, PQerrorMessage(c->conn));
	PQclear(r);
	return rc;
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
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	char a[24], b[24];
	snprintf(a, sizeof a, "%lld", (long long)since);
	snprintf(b, sizeof b, "%zu", limit);
	const char *params[3] = {phone, a, b};
	PGresult *r = PQexecParams(c->conn, PG_NOTES_OF_SQL, 3, NULL, params, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_error("postgres: notes on %s: %s", db->shown, PQerrorMessage(c->conn));
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
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
	pg_release(db, c);
	return rc;
}
