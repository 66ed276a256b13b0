/* The SQLite store's dashboard reads (store_activity, store_sessions_recent).
 * They scan a time range of sessions and messages, so they run on a read-only
 * connection of their own, opened per call: WAL lets them read while the writer
 * commits, and a dashboard refreshing every few seconds never holds the
 * writer's lock that every code request waits for. */
#include <sqlite3.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/sqlite_db.h"

static sqlite3 *open_reader(struct sqlite_db *db)
{
	sqlite3 *conn = NULL;
	if (sqlite3_open_v2(db->path, &conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_error("sqlite: cannot open a reader for the dashboard: %s",
		          conn ? sqlite3_errmsg(conn) : "out of memory");
		sqlite3_close(conn);
		return NULL;
	}
	sqlite3_busy_timeout(conn, 5000);
	return conn;
}

/* One query per kind; ?1 is since, ?2 the step. Each row: at, key, n0, n1. */
static const struct {
	int kind;
	const char *sql;
} queries[] = {
    {STORE_ACT_MINUTE, "SELECT ?1 + ((created_at - ?1) / ?2) * ?2, '', count(*), 0"
                       " FROM messages WHERE created_at >= ?1 GROUP BY 1"},
    /* "verified_at > 0" lets the partial index sessions_by_verified serve it. */
    {STORE_ACT_MINUTE, "SELECT ?1 + ((verified_at - ?1) / ?2) * ?2, '', 0, count(*)"
                       " FROM sessions WHERE verified_at >= ?1 AND verified_at > 0 GROUP BY 1"},
    {STORE_ACT_COUNTRY, "SELECT 0, region, count(*), sum(verified_at > 0) FROM sessions"
                        " WHERE created_at >= ?1 AND sms_sent + voice_sent > 0 GROUP BY region"},
    {STORE_ACT_PROVIDER, "SELECT 0, m.provider, count(DISTINCT m.session_id),"
                         " count(DISTINCT CASE WHEN s.verified_at > 0 THEN m.session_id END)"
                         " FROM messages m JOIN sessions s ON s.id = m.session_id"
                         " WHERE m.created_at >= ?1 AND m.provider <> '' GROUP BY m.provider"},
    {STORE_ACT_STATUS, "SELECT 0, state, count(*), 0 FROM messages"
                       " WHERE created_at >= ?1 GROUP BY state"},
};

#define RECENT_SQL                                                                                 \
	"SELECT id, phone, region, app, created_at, sms_sent, voice_sent, check_attempts,"         \
	" verified_at, canceled_at FROM sessions WHERE created_at >= ?1"                           \
	" ORDER BY created_at DESC LIMIT ?2"

const char *sqlite_admin_sql(size_t i)
{
	size_t n = sizeof queries / sizeof queries[0];
	if (i < n)
		return queries[i].sql;
	return i == n ? RECENT_SQL : i == n + 1 ? SQLITE_NOTES_OF_SQL : NULL;
}

int sqlite_activity(void *state, int64_t since, int64_t step_ms,
                void (*fn)(const struct store_activity *a, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	if (step_ms <= 0)
		return -1;
	sqlite3 *conn = open_reader(db);
	if (!conn)
		return -1;
	int rc = 0;
	/* One read transaction: every kind sees the same moment. */
	sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL);
	for (size_t q = 0; rc == 0 && q < sizeof queries / sizeof queries[0]; q++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(conn, queries[q].sql, -1, &st, NULL) != SQLITE_OK) {
			log_error("sqlite: dashboard query: %s", sqlite3_errmsg(conn));
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, since);
		sqlite3_bind_int64(st, 2, step_ms);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			struct store_activity a = {.kind = queries[q].kind};
			a.at = sqlite3_column_int64(st, 0);
			if (a.kind == STORE_ACT_STATUS)
				strfmt(a.key, sizeof a.key, "%s",
				       store_message_state_name(sqlite3_column_int(st, 1)));
			else
				sqlite_copy_text(a.key, sizeof a.key, st, 1);
			a.n[0] = sqlite3_column_int64(st, 2);
			a.n[1] = sqlite3_column_int64(st, 3);
			fn(&a, arg);
		}
		if (step != SQLITE_DONE) {
			log_error("sqlite: dashboard query: %s", sqlite3_errmsg(conn));
			rc = -1;
		}
		sqlite3_finalize(st);
	}
	sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(conn);
	return rc;
}

int sqlite_sessions_recent(void *state, int64_t since, size_t limit,
                       void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	static const char sql[] = RECENT_SQL;
	sqlite3 *conn = open_reader(db);
	if (!conn)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("sqlite: recent sessions: %s", sqlite3_errmsg(conn));
		sqlite3_close(conn);
		return -1;
	}
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_session s;
		memset(&s, 0, sizeof s);
		sqlite_copy_text(s.id, sizeof s.id, st, 0);
		sqlite_copy_text(s.phone, sizeof s.phone, st, 1);
		sqlite_copy_text(s.region, sizeof s.region, st, 2);
		sqlite_copy_text(s.app, sizeof s.app, st, 3);
		s.created_at = sqlite3_column_int64(st, 4);
		s.sms_sent = sqlite3_column_int(st, 5);
		s.voice_sent = sqlite3_column_int(st, 6);
		s.check_attempts = sqlite3_column_int(st, 7);
		s.verified_at = sqlite3_column_int64(st, 8);
		s.canceled_at = sqlite3_column_int64(st, 9);
		fn(&s, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : -1;
	if (rc)
		log_error("sqlite: recent sessions: %s", sqlite3_errmsg(conn));
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return rc;
}
