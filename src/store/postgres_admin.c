/* The PostgreSQL store's dashboard reads (store_activity,
 * store_sessions_recent): the same figures as sqlite_admin.c, over every
 * node's sessions. One read-only REPEATABLE READ transaction, so the kinds of
 * figures agree with each other; plain statements (not prepared), as a
 * dashboard runs them a few times a minute at most. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/postgres_db.h"

static const struct {
	int kind;
	const char *sql;
} queries[] = {
    {STORE_ACT_MINUTE, "SELECT $1::bigint + ((created_at - $1::bigint) / $2::bigint) * $2::bigint,"
                       " '', count(*), 0 FROM messages WHERE created_at >= $1::bigint GROUP BY 1"},
    {STORE_ACT_MINUTE, "SELECT $1::bigint + ((verified_at - $1::bigint) / $2::bigint) * $2::bigint,"
                       " '', 0, count(*) FROM sessions WHERE verified_at >= $1::bigint"
                       " AND verified_at > 0 GROUP BY 1"},
    {STORE_ACT_COUNTRY, "SELECT 0, region, count(*), count(*) FILTER (WHERE verified_at > 0)"
                        " FROM sessions WHERE created_at >= $1::bigint AND $2::bigint > 0"
                        " AND sms_sent + voice_sent > 0 GROUP BY region"},
    {STORE_ACT_PROVIDER, "SELECT 0, m.provider, count(DISTINCT m.session_id),"
                         " count(DISTINCT m.session_id) FILTER (WHERE s.verified_at > 0)"
                         " FROM messages m JOIN sessions s ON s.id = m.session_id"
                         " WHERE m.created_at >= $1::bigint AND $2::bigint > 0 AND m.provider <> ''"
                         " GROUP BY m.provider"},
    {STORE_ACT_STATUS, "SELECT 0, state, count(*), 0 FROM messages"
                       " WHERE created_at >= $1::bigint AND $2::bigint > 0 GROUP BY state"},
};

#define RECENT_SQL                                                                                 \
	"SELECT id, phone, region, app, created_at, sms_sent, voice_sent, check_attempts,"         \
	" verified_at, canceled_at FROM sessions WHERE created_at >= $1::bigint"                   \
	" ORDER BY created_at DESC LIMIT $2::bigint"

/* Each query takes $1 and $2 (the notes' a third): the test binds 0, 60000, 10. */
const char *pg_admin_sql(size_t i)
{
	size_t n = sizeof queries / sizeof queries[0];
	if (i < n)
		return queries[i].sql;
	return i == n ? RECENT_SQL : i == n + 1 ? PG_NOTES_OF_SQL : NULL;
}

int pg_activity(void *state, int64_t since, int64_t step_ms,
                void (*fn)(const struct store_activity *a, void *arg), void *arg)
{
	struct pg_db *db = state;
	if (step_ms <= 0)
		return -1;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	char a[24], b[24];
	snprintf(a, sizeof a, "%lld", (long long)since);
	snprintf(b, sizeof b, "%lld", (long long)step_ms);
	const char *params[2] = {a, b};
	int rc = pg_cmd(db, c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	for (size_t q = 0; rc == 0 && q < sizeof queries / sizeof queries[0]; q++) {
		PGresult *r = PQexecParams(c->conn, queries[q].sql, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			log_error("postgres: dashboard query on %s: %s", db->shown,
			          PQerrorMessage(c->conn));
			rc = -1;
		}
		for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
			struct store_activity x = {.kind = queries[q].kind};
			x.at = pg_int(r, i, 0);
			if (x.kind == STORE_ACT_STATUS)
				strfmt(x.key, sizeof x.key, "%s",
				       store_message_state_name((int)pg_int(r, i, 1)));
			else
				pg_text(x.key, sizeof x.key, r, i, 1);
			x.n[0] = pg_int(r, i, 2);
			x.n[1] = pg_int(r, i, 3);
			fn(&x, arg);
		}
		PQclear(r);
	}
	pg_cmd(db, c, rc == 0 ? "COMMIT" : "ROLLBACK");
	pg_release(db, c);
	return rc;
}

int pg_sessions_recent(void *state, int64_t since, size_t limit,
                       void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_int(&p, since);
	pg_p_int(&p, (int64_t)limit);
	PGresult *r = pg_run_sql(state, RECENT_SQL, &p, "recent sessions");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_session s;
		memset(&s, 0, sizeof s);
		pg_text(s.id, sizeof s.id, r, i, 0);
		pg_text(s.phone, sizeof s.phone, r, i, 1);
		pg_text(s.region, sizeof s.region, r, i, 2);
		pg_text(s.app, sizeof s.app, r, i, 3);
		s.created_at = pg_int(r, i, 4);
		s.sms_sent = (int)pg_int(r, i, 5);
		s.voice_sent = (int)pg_int(r, i, 6);
		s.check_attempts = (int)pg_int(r, i, 7);
		s.verified_at = pg_int(r, i, 8);
		s.canceled_at = pg_int(r, i, 9);
		fn(&s, arg);
	}
	PQclear(r);
	return 0;
}
