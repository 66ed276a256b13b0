/* The PostgreSQL store's cleanup (store_cleanup): old rows removed in short
 * batches, one transaction each; rows another transaction holds are passed
 * over (SKIP LOCKED) rather than waited for. */
#include <libpq-fe.h>

#include "store/postgres_db.h"

/* $1 created before, $2 rows at most, $3 now (records' expiry). One statement:
 * the messages chosen once, their hand-overs removed with them. */
static const char sweep_sql[] =
	"WITH m AS (SELECT id FROM messages WHERE created_at < $1 AND state NOT IN (0, 1)"
	"  ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
	" a AS (DELETE FROM message_attempts WHERE message_id IN (SELECT id FROM m) RETURNING 1),"
	" dm AS (DELETE FROM messages WHERE id IN (SELECT id FROM m) RETURNING 1),"
	" ds AS (DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE created_at < $1"
	"  ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1),"
	" de AS (DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1"
	"  AND state <> 0 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1),"
	" dr AS (DELETE FROM records WHERE (kind, key) IN (SELECT kind, key FROM records"
	"  WHERE expires_at > 0 AND expires_at <= $3 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1),"
	" dn AS (DELETE FROM notes WHERE ctid IN (SELECT ctid FROM notes WHERE at < $1"
	"  LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1),"
	" df AS (DELETE FROM fraud_events WHERE id IN (SELECT id FROM fraud_events WHERE at < $1"
	"  ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1)"
	" SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM dm), (SELECT count(*) FROM ds),"
	" (SELECT count(*) FROM de), (SELECT count(*) FROM dr), (SELECT count(*) FROM dn),"
	" (SELECT count(*) FROM df)";

int pg_cleanup(void *state, int64_t before, int64_t now, size_t batch, struct store_cleanup *n)
{
	struct pg_db *db = state;
	*n = (struct store_cleanup){0};
	struct pg_params p = {0};
	pg_p_int(&p, before);
	pg_p_int(&p, (int64_t)batch);
	pg_p_int(&p, now);
	PGresult *r = pg_run_alone(db, P_CLEANUP, &p);
	if (!r)
		return -1;
	n->attempts = (size_t)pg_int(r, 0, 0);
	n->messages = (size_t)pg_int(r, 0, 1);
	n->sessions = (size_t)pg_int(r, 0, 2);
	n->events = (size_t)pg_int(r, 0, 3);
	n->records = (size_t)pg_int(r, 0, 4);
	n->notes = (size_t)pg_int(r, 0, 5);
	n->fraud_events = (size_t)pg_int(r, 0, 6);
	PQclear(r);
	return 0;
}

const char *const pg_cleanup_sql[P_COUNT] = {[P_CLEANUP] = sweep_sql};
