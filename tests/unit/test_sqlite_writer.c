/* What the SQLite store's writer keeps beside the file, driven on the backend
 * itself so a test can hold the writer's lock or look into its memory:
 * - delivery rounds handed to the writer (sqlite_handed.c): a thread that
 *   records a round without waiting for its commit never waits for the lock
 *   either, and whoever holds it writes the round before it lets go;
 * - the sessions kept for the reads that follow their writes
 *   (sqlite_session_cache.c): the latest committed version or nothing, and
 *   the sessions written lately kept;
 * - its prepared statements, none of which builds a temporary b-tree on
 *   every run where a plainer form would do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/durable.h"
#include "store/backend.h"
#include "store/sqlite_db.h"

struct fixture {
	char dir[256];
	char url[300];
	struct sqlite_db *db; /* the backend under test */
	struct store *other;  /* the same file opened again: sees only commits */
	struct store_message taken;
};

static struct store_session make_session(const char *id, const char *phone, int version)
{
	struct store_session s = {.version = version, .created_at = 1000, .expires_at = 9000};
	snprintf(s.id, sizeof s.id, "%s", id);
	snprintf(s.phone, sizeof s.phone, "%s", phone);
	snprintf(s.region, sizeof s.region, "GB");
	snprintf(s.number_type, sizeof s.number_type, "mobile");
	snprintf(s.locale, sizeof s.locale, "en");
	snprintf(s.app, sizeof s.app, "default");
	return s;
}

static int setup(void **state)
{
	static int n;
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];
	struct store_options none = {0};
	snprintf(f->dir, sizeof f->dir, "%s/writer-%d-%d", IOTP_TEST_TMP, (int)getpid(), n++);
	snprintf(f->url, sizeof f->url, "sqlite:%s/iotp.db", f->dir);
	void *db = NULL;
	if (store_sqlite_ops.open(f->url, &none, &db, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	f->db = db;
	/* One session with one queued message, taken for a round. */
	struct store_session s = make_session("s1", "+447400123456", 1);
	struct store_write w = {.session = &s, .insert = 1, .now = 1000};
	if (store_sqlite_ops.session_write(db, &w, NULL) != 0)
		return -1;
	struct store_message m = {.state = STORE_MSG_QUEUED, .created_at = 1000,
				  .next_attempt_at = 1000};
	snprintf(m.id, sizeof m.id, "m1");
	snprintf(m.session_id, sizeof m.session_id, "s1");
	snprintf(m.to, sizeof m.to, "+447400123456");
	snprintf(m.channel, sizeof m.channel, "sms");
	s.version = 2;
	w = (struct store_write){.session = &s, .msg = &m, .now = 1000};
	if (store_sqlite_ops.session_write(db, &w, NULL) != 0)
		return -1;
	struct store_take take = {.id = "m1", .provider = "kannel"};
	if (store_sqlite_ops.outbox_take(db, NULL, 0, &take, 1, 1000, &f->taken) != 0 ||
	    take.rc != 0)
		return -1;
	if (store_open(f->url, NULL, &f->other, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];
	store_close(f->other);
	store_sqlite_ops.close(f->db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

struct recording {
	struct fixture *f;
	int rc;
	int owed;
};

/* A delivery thread going on at once: records m1 as sent. */
static void *record(void *arg)
{
	struct recording *r = arg;
	struct store_message m = r->f->taken;
	m.state = STORE_MSG_SENT;
	m.sent_at = 1001;
	snprintf(m.provider_ref, sizeof m.provider_ref, "kannel-ref-1");
	durable_defer(1);
	r->rc = store_sqlite_ops.outbox_finish(r->f->db, &m, 1);
	durable_defer(0);
	struct durable_owed owed;
	r->owed = durable_take(&owed);
	return NULL;
}

static struct store_message last;
static void keep(const struct store_message *m, void *arg)
{
	(void)arg;
	last = *m;
}

static int committed_state(struct fixture *f)
{
	memset(&last, 0, sizeof last);
	assert_int_equal(store_session_messages(f->other, "s1", keep, NULL), 0);
	return last.state;
}

/* Joins t, failing the test instead of hanging when it does not end within
 * 10 s (the thread would be waiting for the lock the test holds). */
static void join_within(pthread_t t)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	int rc = pthread_timedjoin_np(t, NULL, &until);
	if (rc == ETIMEDOUT)
		fail_msg("the recording thread waited for the writer's lock");
	assert_int_equal(rc, 0);
}

static void round_written_by_the_holder(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(committed_state(f), STORE_MSG_SENDING);
	sqlite_enter(f->db); /* a request's write under way */
	pthread_t t;
	struct recording r = {f, -1, -1};
	assert_int_equal(pthread_create(&t, NULL, record, &r), 0);
	join_within(t); /* returned while the lock is held */
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.owed, 0); /* nothing for the thread to wait for */
	assert_int_equal(committed_state(f), STORE_MSG_SENDING); /* not written yet */
	assert_int_equal(sqlite_leave(f->db, 0), 0); /* the holder writes it, and commits */
	assert_int_equal(committed_state(f), STORE_MSG_SENT);
	assert_string_equal(last.provider_ref, "kannel-ref-1");
	assert_int_equal(last.sent_at, 1001);
}

/* A call that enters after the hand-over sees the round before its own
 * write: a delivery report never finds the round missing. */
static void round_written_before_the_next_call(void **state)
{
	struct fixture *f = *state;
	sqlite_enter(f->db);
	pthread_t t;
	struct recording r = {f, -1, -1};
	assert_int_equal(pthread_create(&t, NULL, record, &r), 0);
	join_within(t);
	/* The holder lets go without writing (as a holder that left just before
	 * the hand-over would): the next call to enter writes the round. */
	pthread_mutex_unlock(&f->db->lock);
	/* Named by the provider's reference, which only the round wrote. */
	struct store_report rep = {.state = STORE_MSG_DELIVERED, .at = 1500};
	snprintf(rep.provider, sizeof rep.provider, "kannel");
	snprintf(rep.provider_ref, sizeof rep.provider_ref, "kannel-ref-1");
	struct store_reported out;
	assert_int_equal(store_sqlite_ops.message_report(f->db, &rep, &out), 0);
	assert_string_equal(out.id, "m1");
	assert_int_equal(committed_state(f), STORE_MSG_DELIVERED);
	assert_int_equal(last.sent_at, 1001);
}

static struct store_session session_numbered(int n, int version)
{
	char id[32], phone[20];
	snprintf(id, sizeof id, "cached-%d", n);
	snprintf(phone, sizeof phone, "+4474%08d", n);
	return make_session(id, phone, version);
}

static void write_session(struct sqlite_db *db, struct store_session *s, int insert)
{
	struct store_write w = {.session = s, .insert = insert, .now = 1000};
	assert_int_equal(store_sqlite_ops.session_write(db, &w, NULL), 0);
}

/* A session written over and over among many others is found as last
 * written, or not at all: never an older copy. */
static void cache_never_serves_an_older_version(void **state)
{
	struct fixture *f = *state;
	struct store_session x = session_numbered(0, 1), got;
	write_session(f->db, &x, 1);
	int others = 1;
	for (int round = 0; round < 60; round++) {
		x.version++;
		x.check_attempts = round;
		write_session(f->db, &x, 0);
		for (int k = 0; k < 100; k++) {
			struct store_session o = session_numbered(others++, 1);
			write_session(f->db, &o, 1);
		}
		if (sqlite_sessions_find(f->db, x.id, &got)) {
			assert_int_equal(got.version, x.version);
			assert_int_equal(got.check_attempts, round);
		}
	}
}

/* Of 3,000 sessions written one after another into a cache of 4,096, the
 * last 2,000 are still there (a check follows its send after thousands of
 * other writes). One slot per id kept about four in five of them. */
static void cache_keeps_the_sessions_written_lately(void **state)
{
	struct fixture *f = *state;
	for (int n = 1; n <= 3000; n++) {
		struct store_session s = session_numbered(n, 1);
		write_session(f->db, &s, 1);
	}
	int kept = 0;
	struct store_session got;
	for (int n = 1001; n <= 3000; n++) {
		char id[32];
		snprintf(id, sizeof id, "cached-%d", n);
		if (sqlite_sessions_find(f->db, id, &got)) {
			assert_string_equal(got.id, id);
			kept++;
		}
	}
	assert_true(kept >= 1900); /* 1,937 here; 1,580 with one slot per id */
}

/* Whether statement st's program opens a temporary b-tree (OpenEphemeral):
 * SQLite 3.40 builds one on every run for "x IN (a, b, c)" with x not a
 * column, for RETURNING, for some subqueries and sorts, and a delivery
 * report's UPDATE cost 20,000 instructions more for each of the first two
 * (bench/RESULTS.md). */
static int builds_temporary_btree(sqlite3 *conn, sqlite3_stmt *st)
{
	char sql[4096];
	snprintf(sql, sizeof sql, "EXPLAIN %s", sqlite3_sql(st));
	sqlite3_stmt *ex = NULL;
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &ex, NULL), SQLITE_OK);
	int found = 0;
	while (sqlite3_step(ex) == SQLITE_ROW)
		found |= !strcmp((const char *)sqlite3_column_text(ex, 1), "OpenEphemeral");
	sqlite3_finalize(ex);
	return found;
}

/* Only the recovery at start (the hand-overs a crash cut short, updated by
 * the index on the state they change, so in two passes) and the minute's
 * prune of fraud blocks (a batched DELETE ... IN (SELECT ... LIMIT n)) may;
 * none of what a request, a hand-over or a report runs. */
static void no_hot_statement_builds_a_temporary_btree(void **state)
{
	struct fixture *f = *state;
	static const enum sqlite_stmt allowed[] = {S_OUTBOX_RECOVER, S_OUTBOX_UNKNOWN, S_BLOCK_PRUNE};
	int offenders = 0;
	for (int i = 0; i < S_COUNT; i++) {
		if (!f->db->stmt[i] || !builds_temporary_btree(f->db->conn, f->db->stmt[i]))
			continue;
		int ok = 0;
		for (size_t a = 0; a < sizeof allowed / sizeof allowed[0]; a++)
			ok |= (int)allowed[a] == i;
		if (!ok) {
			fprintf(stderr, "statement %d builds a temporary b-tree on every run: %s\n", i,
				sqlite3_sql(f->db->stmt[i]));
			offenders++;
		}
	}
	/* A list of any length, given as a JSON array (the apps whose events are
	 * held back, in the events' poll), is rightly looked up as a table. */
	for (int i = 0; i < ACCOUNT_STMT_MAX; i++)
		if (f->db->acct[i] && !strstr(sqlite3_sql(f->db->acct[i]), "json_each(") &&
		    builds_temporary_btree(f->db->conn, f->db->acct[i])) {
			fprintf(stderr, "account statement %d builds a temporary b-tree on every run: %s\n",
				i, sqlite3_sql(f->db->acct[i]));
			offenders++;
		}
	assert_int_equal(offenders, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_written_by_the_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(round_written_before_the_next_call, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_never_serves_an_older_version, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_keeps_the_sessions_written_lately, setup, teardown),
		cmocka_unit_test_setup_teardown(no_hot_statement_builds_a_temporary_btree, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
