/* The store conformance suite: every backend must pass it unchanged. It checks
 * the promises in store/store.h — atomic calls, compare-and-swap updates, the
 * outbox written with the session, recovery after a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/durable.h"
#include "core/retention.h"
#include "store/sqlite_db.h" /* sqlite_admin_sql: the dashboard's reads, to EXPLAIN */
#include "store/store.h"
#ifdef IOTP_HAVE_POSTGRES
#include "store/postgres_db.h" /* pg_admin_sql */
#endif

/* The backend under test: sqlite, or postgres when IOTP_TEST_BACKEND says so
 * (meson runs this file once for each; tests/unit/with_pg.sh gives the
 * postgres run a server in IOTP_TEST_PG, a libpq URI of a database this test
 * may create schemas in). Each test gets a store of its own: a directory, or
 * a schema of that database. */
static const char *backend = "sqlite";

struct fixture {
	char dir[256];
	char url[600];
	char schema[64];
	struct store *st;
};

/* What every open in this file passes: a node name, so a reopen is the same
 * node coming back (store_outbox_recover takes back its claims). */
static const struct store_options test_options = {.pool_size = 4, .node = "conformance"};

#ifdef IOTP_HAVE_POSTGRES
#include <libpq-fe.h>

/* Runs sql on the server under test; 0 or -1. */
static int pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("IOTP_TEST_PG"));
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PQclear(PQexec(c, "SET client_min_messages = warning"));
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
		PQclear(r);
	} else {
		fprintf(stderr, "cannot reach IOTP_TEST_PG: %s\n", PQerrorMessage(c));
	}
	PQfinish(c);
	return ok ? 0 : -1;
}
#endif

static int setup(void **state)
{
	static int n;
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];
	snprintf(f->dir, sizeof f->dir, "%s/store-%s-%d-%d", IOTP_TEST_TMP, backend, (int)getpid(), n);
	snprintf(f->url, sizeof f->url, "sqlite:%s/iotp.db", f->dir);
#ifdef IOTP_HAVE_POSTGRES
	if (!strcmp(backend, "postgres")) {
		const char *base = getenv("IOTP_TEST_PG");
		char sql[128];
		snprintf(f->schema, sizeof f->schema, "conformance_%d_%d", (int)getpid(), n);
		snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
		if (!base || pg_admin(sql) < 0) {
			fprintf(stderr, "IOTP_TEST_PG names no server (run through tests/unit/with_pg.sh)\n");
			free(f);
			return -1;
		}
		snprintf(f->url, sizeof f->url, "%s%soptions=-csearch_path%%3D%s", base,
			 strchr(base, '?') ? "&" : "?", f->schema);
	}
#endif
	n++;
	if (store_open(f->url, &test_options, &f->st, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[600];
	store_close(f->st);
#ifdef IOTP_HAVE_POSTGRES
	if (f->schema[0]) {
		snprintf(cmd, sizeof cmd, "DROP SCHEMA %s CASCADE", f->schema);
		if (pg_admin(cmd) < 0)
			return -1;
	}
#endif
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct store_session make_session(const char *id, const char *phone, int64_t created)
{
	struct store_session s;
	memset(&s, 0, sizeof s);
	snprintf(s.id, sizeof s.id, "%s", id);
	snprintf(s.phone, sizeof s.phone, "%s", phone);
	snprintf(s.region, sizeof s.region, "GB");
	snprintf(s.number_type, sizeof s.number_type, "mobile");
	s.created_at = created;
	s.expires_at = created + 1000;
	s.version = 1;
	return s;
}

static struct store_message make_message(const char *id, const char *session_id, int64_t due)
{
	struct store_message m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.session_id, sizeof m.session_id, "%s", session_id);
	snprintf(m.to, sizeof m.to, "+447400123456");
	snprintf(m.channel, sizeof m.channel, "sms");
	m.state = STORE_MSG_QUEUED;
	m.created_at = due;
	m.next_attempt_at = due;
	memcpy(m.body, "sealed-bytes", 12);
	m.body_len = 12;
	return m;
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000), got;
	memcpy(s.code_sealed, "\x01\x02\x00\x03", 4);
	s.code_sealed_len = 4;
	s.code_expires_at = 5000;
	s.sms_sent = 2;
	s.check_attempts = 3;
	s.test_number = 1;
	snprintf(s.locale, sizeof s.locale, "pt-BR");
	assert_int_equal(store_session_insert(f->st, &s), 0);
	assert_int_equal(store_session_get(f->st, "s1", &got), 0);
	assert_memory_equal(&got, &s, sizeof s);
	assert_int_equal(store_session_get(f->st, "nope", &got), STORE_NOT_FOUND);
	assert_int_not_equal(store_session_insert(f->st, &s), 0); /* ids are unique */
}

static void update_is_compare_and_swap(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000), got;
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_session a = s, b = s;
	a.check_attempts = 1;
	a.version = 2;
	b.check_attempts = 7;
	b.version = 2;
	assert_int_equal(store_session_update(f->st, &a, NULL, NULL), 0);
	struct store_session current;
	assert_int_equal(store_session_update(f->st, &b, NULL, &current), STORE_CONFLICT);
	/* The loser learns what stands now, to retry from there. */
	assert_int_equal(current.version, 2);
	assert_int_equal(current.check_attempts, 1);
	assert_int_equal(store_session_get(f->st, "s1", &got), 0);
	assert_int_equal(got.check_attempts, 1);
	assert_int_equal(got.version, 2);
}

/* Takes what is due at now as the delivery worker does: list it, then take
 * each message (no provider chosen). */
static int claim(struct store *st, int64_t now, struct store_message *out, size_t max, size_t *n)
{
	struct store_due due[8];
	size_t k = 0;
	*n = 0;
	if (store_outbox_due(st, now, due, max < 8 ? max : 8, &k) < 0)
		return -1;
	for (size_t i = 0; i < k; i++) {
		int rc = store_outbox_take(st, due[i].id, "", now, &out[*n]);
		if (rc == 0)
			(*n)++;
		else if (rc != STORE_CONFLICT)
			return -1;
	}
	return 0;
}

static void outbox_written_with_session(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), lost = make_message("m2", "s1", 1000);
	s.version = 2;
	s.sms_sent = 1;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	/* A losing writer's message must not appear: the transaction is whole or nothing. */
	struct store_session stale = s;
	stale.version = 2;
	assert_int_equal(store_session_update(f->st, &stale, &lost, NULL), STORE_CONFLICT);

	struct store_message out[4];
	size_t n = 0;
	assert_int_equal(claim(f->st, 999, out, 4, &n), 0);
	assert_int_equal(n, 0); /* not due yet */
	assert_int_equal(claim(f->st, 1000, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "m1");
	assert_int_equal(out[0].state, STORE_MSG_SENDING);
	assert_int_equal(out[0].attempts, 1);
	assert_int_equal(out[0].body_len, 12);
	assert_memory_equal(out[0].body, "sealed-bytes", 12);
	assert_int_equal(claim(f->st, 5000, out, 4, &n), 0);
	assert_int_equal(n, 0); /* claimed once */
}

/* The worker's take is a compare-and-swap: one winner, only when due, and the
 * first hand-over is recorded in the same write (a crash after it counts the
 * message as handed over, never sends it again). */
static void take_once_with_hand_over(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), out;
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	struct store_due due[2];
	size_t n = 0;
	assert_int_equal(store_outbox_due(f->st, 1000, due, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].id, "m1");
	assert_string_equal(due[0].session_id, "s1");
	assert_int_equal(due[0].created_at, 1000);
	assert_int_equal(store_outbox_due(f->st, 1000, due, 2, &n), 0);
	assert_int_equal(n, 1); /* listing changes nothing */
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel-a", 999, &out), STORE_CONFLICT);
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel-a", 1000, &out), 0);
	assert_string_equal(out.id, "m1");
	assert_int_equal(out.state, STORE_MSG_SENDING);
	assert_int_equal(out.attempts, 1);
	assert_string_equal(out.provider, "kannel-a");
	assert_memory_equal(out.body, "sealed-bytes", 12);
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel-b", 1000, &out), STORE_CONFLICT);
	assert_int_equal(store_outbox_take(f->st, "nope", "kannel-b", 1000, &out), STORE_CONFLICT);
	assert_int_equal(store_outbox_due(f->st, 5000, due, 2, &n), 0);
	assert_int_equal(n, 0);
	size_t requeued, unknown;
	assert_int_equal(store_outbox_recover(f->st, 2000, &requeued, &unknown), 0);
	assert_int_equal(requeued, 0);
	assert_int_equal(unknown, 1);
	assert_int_equal(store_outbox_due(f->st, 5000, due, 2, &n), 0);
	assert_int_equal(n, 0); /* not sent twice */
}

static void last_message(const struct store_message *m, void *arg)
{
	*(struct store_message *)arg = *m;
}

/* A session that is over (canceled, verified) sends nothing more: its messages
 * still queued fail, with the reason, and the worker finds none. */
static void over_session_drops_queued(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	struct store_session v = make_session("s2", "+447400123457", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	assert_int_equal(store_session_insert(f->st, &v), 0);
	struct store_message m = make_message("m1", "s1", 1000), m2 = make_message("m2", "s2", 1000);
	s.version = 2;
	v.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	assert_int_equal(store_session_update(f->st, &v, &m2, NULL), 0);
	s.version = 3;
	s.canceled_at = 1500;
	assert_int_equal(store_session_update(f->st, &s, NULL, NULL), 0);
	v.version = 3;
	v.verified_at = 1600;
	assert_int_equal(store_session_update(f->st, &v, NULL, NULL), 0);
	struct store_due due[2];
	size_t n = 9;
	assert_int_equal(store_outbox_due(f->st, 5000, due, 2, &n), 0);
	assert_int_equal(n, 0);
	struct store_message got;
	assert_int_equal(store_session_messages(f->st, "s1", last_message, &got), 0);
	assert_int_equal(got.state, STORE_MSG_FAILED);
	assert_int_equal(got.final_at, 1500);
	assert_non_null(strstr(got.error, "canceled"));
	assert_int_equal(store_session_messages(f->st, "s2", last_message, &got), 0);
	assert_int_equal(got.state, STORE_MSG_FAILED);
	assert_non_null(strstr(got.error, "verified"));
	struct store_message out;
	assert_int_equal(store_outbox_take(f->st, "m1", "", 5000, &out), STORE_CONFLICT);
}

static int timeline_count;
static int timeline_state;
static void count_message(const struct store_message *m, void *arg)
{
	(void)arg;
	timeline_count++;
	timeline_state = m->state;
	assert_int_equal(m->body_len, 0); /* the timeline never carries the text */
}

static void keep_messages(const struct store_message *m, void *arg)
{
	if (timeline_count < 3)
		((struct store_message *)arg)[timeline_count] = *m;
	timeline_count++;
}

static void finish_retry_and_timeline(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), out[2];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	size_t n;
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	out[0].state = STORE_MSG_QUEUED; /* transient failure: retry at 3000 */
	out[0].next_attempt_at = 3000;
	snprintf(out[0].error, sizeof out[0].error, "gateway timed out");
	assert_int_equal(store_outbox_finish(f->st, &out[0], 1), 0);
	assert_int_equal(claim(f->st, 2999, out, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(claim(f->st, 3000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].attempts, 2);
	assert_memory_equal(out[0].body, "sealed-bytes", 12); /* kept for the retry */
	out[0].state = STORE_MSG_SENT;
	out[0].sent_at = 3001;
	out[0].error[0] = '\0';
	snprintf(out[0].provider, sizeof out[0].provider, "log");
	assert_int_equal(store_outbox_finish(f->st, &out[0], 1), 0);
	timeline_count = 0;
	assert_int_equal(store_session_messages(f->st, "s1", count_message, NULL), 0);
	assert_int_equal(timeline_count, 1);
	assert_int_equal(timeline_state, STORE_MSG_SENT);
}

static void recover_after_crash(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), out[2];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	size_t n;
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	/* The process dies here: reopen the store as a new process would. */
	char err[256];
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 0);
	size_t unknown;
	assert_int_equal(store_outbox_recover(f->st, 1500, &n, &unknown), 0);
	assert_int_equal(n, 1);
	assert_int_equal(unknown, 0);
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "m1");
	struct store_session got;
	assert_int_equal(store_session_get(f->st, "s1", &got), 0);
	assert_int_equal(got.version, 2);
}

static int attempts_seen;
static int attempt_outcome;
static void count_attempt(const struct store_attempt *a, void *arg)
{
	(void)arg;
	attempts_seen++;
	attempt_outcome = a->outcome;
}

/* A delivery thread moving on records its last round in the take of the next
 * message (store_outbox_finish_take): the outcome is written whether the take
 * wins or finds the message gone, and the hand-overs with it. */
static void finish_rides_on_the_next_take(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m1 = make_message("m1", "s1", 1000), m2 = make_message("m2", "s1", 1001);
	struct store_message m3 = make_message("m3", "s1", 1002), out[3];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m1, NULL), 0);
	s.version = 3;
	assert_int_equal(store_session_update(f->st, &s, &m2, NULL), 0);
	s.version = 4;
	assert_int_equal(store_session_update(f->st, &s, &m3, NULL), 0);
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel", 1000, &out[0]), 0);
	out[0].state = STORE_MSG_SENT;
	out[0].sent_at = 1005;
	snprintf(out[0].provider_ref, sizeof out[0].provider_ref, "ref-1");
	out[0].n_tried = 1;
	memset(&out[0].tried[0], 0, sizeof out[0].tried[0]);
	snprintf(out[0].tried[0].message_id, sizeof out[0].tried[0].message_id, "m1");
	snprintf(out[0].tried[0].provider, sizeof out[0].tried[0].provider, "kannel");
	out[0].tried[0].outcome = STORE_ATTEMPT_SUBMITTED;
	assert_int_equal(store_outbox_finish_take(f->st, &out[0], 1, "m2", "kannel", 1010, &out[1]), 0);
	assert_string_equal(out[1].id, "m2");
	assert_int_equal(out[1].state, STORE_MSG_SENDING);
	/* m2's round failed for good; m3 is taken by someone else first. */
	out[1].state = STORE_MSG_FAILED;
	snprintf(out[1].error, sizeof out[1].error, "refused");
	assert_int_equal(store_outbox_take(f->st, "m3", "kannel", 1020, &out[2]), 0);
	struct store_message lost;
	assert_int_equal(store_outbox_finish_take(f->st, &out[1], 1, "m3", "kannel", 1020, &lost),
			 STORE_CONFLICT);
	struct store_message got[3];
	timeline_count = 0;
	assert_int_equal(store_session_messages(f->st, "s1", keep_messages, got), 0);
	assert_int_equal(timeline_count, 3);
	assert_int_equal(got[0].state, STORE_MSG_SENT);
	assert_int_equal(got[0].sent_at, 1005);
	assert_string_equal(got[0].provider_ref, "ref-1");
	assert_int_equal(got[1].state, STORE_MSG_FAILED);
	assert_string_equal(got[1].error, "refused");
	assert_int_equal(got[2].state, STORE_MSG_SENDING);
	attempts_seen = 0;
	assert_int_equal(store_session_attempts(f->st, "s1", count_attempt, NULL), 0);
	assert_int_equal(attempts_seen, 1);
	/* Nothing is left due, and a restart finds only m3 mid-hand-over. */
	struct store_due due[4];
	size_t n = 9, requeued, unknown;
	assert_int_equal(store_outbox_due(f->st, 5000, due, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_recover(f->st, 6000, &requeued, &unknown), 0);
	assert_int_equal(requeued, 0);
	assert_int_equal(unknown, 1);
}

/* A delivery round takes several messages in one write
 * (store_outbox_take_batch), with the last round's outcomes: each message is
 * taken or not on its own (one already taken, one not yet due), the others
 * are taken all the same, and the outcomes are recorded. */
static void take_batch_one_write(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m[5];
	const char *ids[5] = {"m1", "m2", "m3", "m4", "m5"};
	for (int i = 0; i < 5; i++) {
		m[i] = make_message(ids[i], "s1", i == 3 ? 9000 : 1000 + i);
		s.version = 2 + i;
		assert_int_equal(store_session_update(f->st, &s, &m[i], NULL), 0);
	}
	struct store_message done, out[4];
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel", 1010, &done), 0);
	assert_int_equal(store_outbox_take(f->st, "m3", "kannel", 1010, &out[0]), 0);
	done.state = STORE_MSG_SENT;
	done.sent_at = 1015;
	snprintf(done.provider_ref, sizeof done.provider_ref, "ref-1");
	done.n_tried = 0;
	/* m3 is taken already, m4 is not due until 9000. */
	struct store_take want[4] = {
	    {"m2", "kannel", 7}, {"m3", "kannel", 7}, {"m4", "kannel", 7}, {"m5", "", 7}};
	assert_int_equal(store_outbox_take_batch(f->st, &done, 1, want, 4, 1020, out), 0);
	assert_int_equal(want[0].rc, 0);
	assert_int_equal(want[1].rc, STORE_CONFLICT);
	assert_int_equal(want[2].rc, STORE_CONFLICT);
	assert_int_equal(want[3].rc, 0);
	assert_string_equal(out[0].id, "m2");
	assert_int_equal(out[0].state, STORE_MSG_SENDING);
	assert_int_equal(out[0].attempts, 1);
	assert_int_equal(out[0].body_len, 12);
	assert_memory_equal(out[0].body, "sealed-bytes", 12);
	assert_string_equal(out[3].id, "m5");
	assert_int_equal(out[3].attempts, 1);
	struct store_message got[3];
	timeline_count = 0;
	assert_int_equal(store_session_messages(f->st, "s1", keep_messages, got), 0);
	assert_int_equal(timeline_count, 5);
	assert_int_equal(got[0].state, STORE_MSG_SENT);
	assert_string_equal(got[0].provider_ref, "ref-1");
	assert_int_equal(got[1].state, STORE_MSG_SENDING);
	assert_string_equal(got[1].provider, "kannel");
	/* Only m4 is left to take, once due; a batch that takes nothing and
	 * records nothing is no failure. */
	struct store_due due[4];
	size_t n = 9;
	assert_int_equal(store_outbox_due(f->st, 9000, due, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].id, "m4");
	struct store_take again[2] = {{"m2", "kannel", 7}, {"m5", "kannel", 7}};
	assert_int_equal(store_outbox_take_batch(f->st, NULL, 0, again, 2, 9000, out), 0);
	assert_int_equal(again[0].rc, STORE_CONFLICT);
	assert_int_equal(again[1].rc, STORE_CONFLICT);
	/* A restart finds m2 and m3 mid-hand-over (not sent again) and m5, taken
	 * with no provider to hand it to, queued again. */
	size_t requeued, unknown;
	assert_int_equal(store_outbox_recover(f->st, 9500, &requeued, &unknown), 0);
	assert_int_equal(requeued, 1);
	assert_int_equal(unknown, 2);
}

/* Session s1, with m and then m2 queued by two updates of it. */
static void queue_two(struct store *st, const struct store_message *m,
		      const struct store_message *m2)
{
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(st, &s), 0);
	s.version = 2;
	assert_int_equal(store_session_update(st, &s, m, NULL), 0);
	s.version = 3;
	assert_int_equal(store_session_update(st, &s, m2, NULL), 0);
}

/* A crash during a hand-over: the message is not handed over again. */
static void recover_mid_hand_over(void **state)
{
	struct fixture *f = *state;
	struct store_message m = make_message("m1", "s1", 1000), m2 = make_message("m2", "s1", 1000);
	struct store_message out[2];
	queue_two(f->st, &m, &m2);
	size_t n, unknown;
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_handing(f->st, "m1", "kannel-a"), 0);
	/* Dies: m1 was being handed over, m2 not yet. */
	assert_int_equal(store_outbox_recover(f->st, 2000, &n, &unknown), 0);
	assert_int_equal(n, 1);
	assert_int_equal(unknown, 1);
	assert_int_equal(claim(f->st, 5000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "m2");
	attempts_seen = 0;
	assert_int_equal(store_session_attempts(f->st, "s1", count_attempt, NULL), 0);
	assert_int_equal(attempts_seen, 1);
	assert_int_equal(attempt_outcome, STORE_ATTEMPT_UNKNOWN);
	/* The same, with the messages, as of one moment (a timeline). */
	attempts_seen = 0;
	timeline_count = 0;
	assert_int_equal(store_session_history(f->st, "s1", count_message, count_attempt, NULL), 0);
	assert_int_equal(timeline_count, 2);
	assert_int_equal(attempts_seen, 1);
	/* Its report still counts. */
	struct store_report r = {.id = "m1", .provider = "kannel-a", .state = STORE_MSG_DELIVERED,
				 .at = 2100};
	struct store_reported id;
	assert_int_equal(store_message_report(f->st, &r, &id), 0);
	assert_string_equal(id.id, "m1");
	assert_int_equal(id.created_at, 1000); /* for the request -> delivered time */
}

static void report_state(const struct store_message *m, void *arg)
{
	if (!strcmp(m->id, "m1"))
		*(struct store_message *)arg = *m;
}

/* A message written taken (the worker claimed it as it was queued): no take
 * finds it, its round is recorded as a taken one's, and a crash before that
 * counts it as handed over, never to be sent again. */
static struct store_message make_taken(const char *id, const char *session_id, int64_t at)
{
	struct store_message m = make_message(id, session_id, at);
	m.state = STORE_MSG_SENDING;
	m.attempts = 1;
	snprintf(m.provider, sizeof m.provider, "kannel-a");
	return m;
}

static void message_written_taken(void **state)
{
	struct fixture *f = *state;
	struct store_message m = make_taken("m1", "s1", 1000), m2 = make_taken("m2", "s1", 1000);
	struct store_message out[2];
	queue_two(f->st, &m, &m2);
	size_t n, unknown;
	assert_int_equal(claim(f->st, 5000, out, 2, &n), 0);
	assert_int_equal(n, 0); /* taken already */
	/* m1's round, as the worker records it. */
	m.state = STORE_MSG_SENT;
	m.sent_at = 1010;
	snprintf(m.provider_ref, sizeof m.provider_ref, "ref-1");
	m.n_tried = 1;
	m.tried[0] = (struct store_attempt){.message_id = "m1", .provider = "kannel-a",
					    .outcome = STORE_ATTEMPT_SUBMITTED, .started_at = 1001,
					    .finished_at = 1010};
	assert_int_equal(store_outbox_finish(f->st, &m, 1), 0);
	/* Dies while m2 is handed over. */
	assert_int_equal(store_outbox_recover(f->st, 2000, &n, &unknown), 0);
	assert_int_equal(n, 0);
	assert_int_equal(unknown, 1);
	assert_int_equal(claim(f->st, 9000, out, 2, &n), 0);
	assert_int_equal(n, 0); /* m2 is not handed over again */
	struct store_message got = {0};
	assert_int_equal(store_session_messages(f->st, "s1", report_state, &got), 0);
	assert_string_equal(got.id, "m1");
	assert_int_equal(got.state, STORE_MSG_SENT);
	assert_string_equal(got.provider_ref, "ref-1");
	assert_int_equal(got.attempts, 1);
	attempts_seen = 0;
	assert_int_equal(store_session_attempts(f->st, "s1", count_attempt, NULL), 0);
	assert_int_equal(attempts_seen, 2); /* m1 submitted, m2 unknown */
	/* m1's report finds it by the provider's reference. */
	struct store_report r = {.provider = "kannel-a", .provider_ref = "ref-1",
				 .state = STORE_MSG_DELIVERED, .at = 2100};
	struct store_reported id;
	assert_int_equal(store_message_report(f->st, &r, &id), 0);
	assert_string_equal(id.id, "m1");
}

/* Reports move a message forward only: duplicates and late ones change nothing. */
static void reports_never_go_backwards(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), out[1], got;
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	size_t n;
	assert_int_equal(claim(f->st, 1000, out, 1, &n), 0);
	assert_int_equal(store_outbox_handing(f->st, "m1", "k"), 0);
	struct store_reported id;
	/* A report before the worker recorded the hand-over: it wins over finish. */
	struct store_report r = {.id = "m1", .provider = "k", .state = STORE_MSG_DELIVERED, .at = 1010};
	assert_int_equal(store_message_report(f->st, &r, &id), 0);
	out[0].state = STORE_MSG_SENT;
	out[0].sent_at = 1020;
	snprintf(out[0].provider, sizeof out[0].provider, "k");
	snprintf(out[0].provider_ref, sizeof out[0].provider_ref, "REF-1");
	out[0].n_tried = 1;
	out[0].tried[0] = (struct store_attempt){.message_id = "m1", .provider = "k",
						 .outcome = STORE_ATTEMPT_SUBMITTED, .started_at = 1001,
						 .finished_at = 1005};
	assert_int_equal(store_outbox_finish(f->st, out, 1), 0);
	assert_int_equal(store_session_messages(f->st, "s1", report_state, &got), 0);
	assert_int_equal(got.state, STORE_MSG_DELIVERED);
	assert_int_equal(got.final_at, 1010);
	assert_string_equal(got.provider_ref, "REF-1");
	/* Late "accepted", duplicate "delivered", "failed" after delivered: stale. */
	r.state = STORE_MSG_ACCEPTED;
	assert_int_equal(store_message_report(f->st, &r, &id), STORE_STALE);
	r.state = STORE_MSG_DELIVERED;
	assert_int_equal(store_message_report(f->st, &r, &id), STORE_STALE);
	r.state = STORE_MSG_FAILED;
	assert_int_equal(store_message_report(f->st, &r, &id), STORE_STALE);
	assert_int_equal(store_session_messages(f->st, "s1", report_state, &got), 0);
	assert_int_equal(got.state, STORE_MSG_DELIVERED);
	/* By the provider's reference; another provider cannot touch it. */
	struct store_report byref = {.provider = "k", .provider_ref = "REF-1",
				     .state = STORE_MSG_EXPIRED, .at = 1};
	assert_int_equal(store_message_report(f->st, &byref, &id), STORE_STALE);
	assert_string_equal(id.id, "m1");
	struct store_report other = {.id = "m1", .provider = "evil", .state = STORE_MSG_FAILED};
	assert_int_equal(store_message_report(f->st, &other, &id), STORE_NOT_FOUND);
	struct store_report none = {.id = "zz", .provider = "k", .state = STORE_MSG_FAILED};
	assert_int_equal(store_message_report(f->st, &none, &id), STORE_NOT_FOUND);
}

static void rank_orders_states(void **state)
{
	(void)state;
	assert_true(store_message_rank(STORE_MSG_QUEUED) < store_message_rank(STORE_MSG_SENDING));
	assert_true(store_message_rank(STORE_MSG_SENDING) < store_message_rank(STORE_MSG_SENT));
	assert_true(store_message_rank(STORE_MSG_SENT) < store_message_rank(STORE_MSG_ACCEPTED));
	assert_true(store_message_rank(STORE_MSG_ACCEPTED) < store_message_rank(STORE_MSG_DELIVERED));
	assert_int_equal(store_message_rank(STORE_MSG_DELIVERED), store_message_rank(STORE_MSG_FAILED));
	assert_int_equal(store_message_rank(STORE_MSG_EXPIRED), store_message_rank(STORE_MSG_FAILED));
	assert_int_equal(store_message_rank(99), -1);
	assert_string_equal(store_message_state_name(STORE_MSG_SENT), "submitted");
	assert_string_equal(store_message_state_name(STORE_MSG_EXPIRED), "expired");
}

struct race {
	struct store *st;
	int rounds;
};

static void *increment(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < r->rounds; i++) {
		struct store_session s;
		if (store_session_get(r->st, "race", &s) != 0)
			return (void *)1;
		for (;;) {
			struct store_session next = s;
			next.check_attempts++;
			next.version++;
			int rc = store_session_update(r->st, &next, NULL, &s);
			if (rc == 0)
				break;
			if (rc != STORE_CONFLICT)
				return (void *)1;
		}
	}
	return NULL;
}

static void concurrent_updates_lose_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("race", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	pthread_t t[4];
	struct race r = {f->st, 200};
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, increment, &r);
	for (int i = 0; i < 4; i++) {
		void *res;
		pthread_join(t[i], &res);
		assert_null(res);
	}
	assert_int_equal(store_session_get(f->st, "race", &s), 0);
	assert_int_equal(s.check_attempts, 800);
	assert_int_equal(s.version, 801);
}

static char seen[4][STORE_ID_MAX];
static int n_seen;
static void collect(const struct store_session *s, void *arg)
{
	(void)arg;
	snprintf(seen[n_seen++], STORE_ID_MAX, "%s", s->id);
}

static void sessions_of_a_number(void **state)
{
	struct fixture *f = *state;
	struct store_session a = make_session("a", "+447400123456", 1000);
	struct store_session b = make_session("b", "+447400123456", 2000);
	struct store_session c = make_session("c", "+447400999999", 3000);
	assert_int_equal(store_session_insert(f->st, &a), 0);
	assert_int_equal(store_session_insert(f->st, &b), 0);
	assert_int_equal(store_session_insert(f->st, &c), 0);
	n_seen = 0;
	assert_int_equal(store_number_sessions(f->st, "+447400123456", 10, collect, NULL), 0);
	assert_int_equal(n_seen, 2);
	assert_string_equal(seen[0], "b"); /* newest first */
	assert_string_equal(seen[1], "a");
	struct store_stats st;
	assert_int_equal(store_get_stats(f->st, &st), 0);
	assert_int_equal(st.sessions, 3);
}

static struct store_record make_record(const char *key, const char *value, int64_t version,
				       int64_t expires_at)
{
	struct store_record r;
	memset(&r, 0, sizeof r);
	snprintf(r.kind, sizeof r.kind, "test");
	snprintf(r.key, sizeof r.key, "%s", key);
	snprintf(r.value, sizeof r.value, "%s", value);
	r.version = version;
	r.expires_at = expires_at;
	return r;
}

static void records_are_compare_and_swap(void **state)
{
	struct fixture *f = *state;
	struct store_record r = make_record("k", "{\"a\":1}", 1, 0), got;
	assert_int_equal(store_record_get(f->st, "test", "k", 1000, &got), STORE_NOT_FOUND);
	assert_int_equal(store_record_put(f->st, &r, 1000), 0);
	/* Version 1 again: the record exists, so this create loses. */
	r = make_record("k", "{\"a\":2}", 1, 0);
	assert_int_equal(store_record_put(f->st, &r, 1000), STORE_CONFLICT);
	assert_int_equal(store_record_get(f->st, "test", "k", 1000, &got), 0);
	assert_string_equal(got.value, "{\"a\":1}");
	assert_int_equal(got.version, 1);
	/* The next version wins once; a second writer from the same read loses. */
	r = make_record("k", "{\"a\":3}", 2, 0);
	assert_int_equal(store_record_put(f->st, &r, 1000), 0);
	r = make_record("k", "{\"a\":4}", 2, 0);
	assert_int_equal(store_record_put(f->st, &r, 1000), STORE_CONFLICT);
	assert_int_equal(store_record_get(f->st, "test", "k", 1000, &got), 0);
	assert_string_equal(got.value, "{\"a\":3}");
	/* Kinds are separate name spaces. */
	assert_int_equal(store_record_get(f->st, "other", "k", 1000, &got), STORE_NOT_FOUND);
}

static void expired_records_read_as_absent(void **state)
{
	struct fixture *f = *state;
	struct store_record r = make_record("e", "{}", 1, 5000), got;
	assert_int_equal(store_record_put(f->st, &r, 1000), 0);
	assert_int_equal(store_record_get(f->st, "test", "e", 4999, &got), 0);
	assert_int_equal(got.expires_at, 5000);
	assert_int_equal(store_record_get(f->st, "test", "e", 5000, &got), STORE_NOT_FOUND);
	/* An update of an expired record loses; a new create takes its place. */
	r = make_record("e", "{\"b\":1}", 2, 9000);
	assert_int_equal(store_record_put(f->st, &r, 6000), STORE_CONFLICT);
	r = make_record("e", "{\"b\":2}", 1, 9000);
	assert_int_equal(store_record_put(f->st, &r, 6000), 0);
	assert_int_equal(store_record_get(f->st, "test", "e", 6000, &got), 0);
	assert_string_equal(got.value, "{\"b\":2}");
}

struct listing {
	char keys[8][STORE_RECORD_KEY_MAX];
	int n;
};

static void list_one(const struct store_record *r, void *arg)
{
	struct listing *l = arg;
	assert_string_equal(r->kind, "test");
	if (l->n < 8)
		snprintf(l->keys[l->n++], sizeof l->keys[0], "%s", r->key);
}

static void records_list_in_key_order(void **state)
{
	struct fixture *f = *state;
	const char *keys[] = {"c", "a", "d", "b"};
	for (int i = 0; i < 4; i++) {
		struct store_record r = make_record(keys[i], "{}", 1, i == 2 ? 2000 : 0);
		assert_int_equal(store_record_put(f->st, &r, 1000), 0);
	}
	struct store_record other = make_record("a0", "{}", 1, 0);
	snprintf(other.kind, sizeof other.kind, "other");
	assert_int_equal(store_record_put(f->st, &other, 1000), 0);
	struct listing l = {0};
	assert_int_equal(store_record_list(f->st, "test", "", 10, 1500, list_one, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.keys[0], "a");
	assert_string_equal(l.keys[3], "d");
	/* Pages: after the last key seen, at most limit; "d" has expired by 2000. */
	memset(&l, 0, sizeof l);
	assert_int_equal(store_record_list(f->st, "test", "", 2, 2000, list_one, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(store_record_list(f->st, "test", l.keys[1], 2, 2000, list_one, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.keys[2], "c");
}

static void unknown_backend_is_named(void **state)
{
	(void)state;
	char err[256];
	struct store *st = NULL;
	assert_int_equal(store_open("mongodb://u:hunter2@db/x", NULL, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "mongodb"));
	assert_non_null(strstr(err, "sqlite:DIR/FILE"));
	assert_null(strstr(err, "hunter2"));
}

/* A store's password never reaches a log line or --dump-config. */
static void url_password_is_masked(void **state)
{
	(void)state;
	char out[256];
	static const char *const cases[][2] = {
		{"postgres://iotp:s3cret@db.example:5432/iotp?sslmode=require",
		 "postgres://iotp:********@db.example:5432/iotp?sslmode=require"},
		{"postgresql://iotp@db/iotp", "postgresql://iotp@db/iotp"},
		{"postgresql://db/iotp?user=iotp&password=s3cret&sslmode=require",
		 "postgresql://db/iotp?user=iotp&password=********&sslmode=require"},
		{"host=db user=iotp password=s3cret dbname=iotp",
		 "host=db user=iotp password=******** dbname=iotp"},
		{"host=db password='s3 c\\'ret' dbname=iotp", "host=db password=******** dbname=iotp"},
		{"postgres://a:b:c@d@h/x", "postgres://a:********@h/x"},
		{"sqlite:/var/lib/iotp/iotp.db", "sqlite:/var/lib/iotp/iotp.db"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(store_url_mask(cases[i][0], out, sizeof out), cases[i][1]);
}


/* Token buckets: start full, refuse all-or-none, refill with time, peek and
 * refund, and hold under parallel takes. */
static void buckets_take_refill_peek_refund(void **state)
{
	struct fixture *f = *state;
	size_t refused;
	int64_t wait;
	/* 2 tokens, one back per second. */
	struct store_bucket b[2] = {{"a", 2, 0.001, 1}, {"b", 10, 0.001, 1}};
	assert_int_equal(store_buckets_take(f->st, b, 2, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, b, 2, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, b, 2, 1000, &refused, &wait), STORE_LIMITED);
	assert_int_equal(refused, 0);
	assert_true(wait >= 999 && wait <= 1001);
	/* Nothing was taken from "b" by the refused call: 8 are left. */
	struct store_bucket only_b = {"b", 10, 0.001, 8};
	assert_int_equal(store_buckets_take(f->st, &only_b, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &only_b, 1, 1000, &refused, &wait), STORE_LIMITED);
	/* A second later "a" holds one again. */
	assert_int_equal(store_buckets_take(f->st, b, 1, 2000, &refused, &wait), 0);
	/* A peek needs one token and takes none. */
	struct store_bucket peek = {"a", 2, 0.001, 0};
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 2000, &refused, &wait), STORE_LIMITED);
	struct store_bucket refund = {"a", 2, 0.001, -1};
	assert_int_equal(store_buckets_take(f->st, &refund, 1, 2000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 2000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 2000, &refused, &wait), 0);
	/* A refund never overfills: full is 2. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_buckets_take(f->st, &refund, 1, 2000, &refused, &wait), 0);
	struct store_bucket three = {"a", 2, 0.001, 3};
	assert_int_equal(store_buckets_take(f->st, &three, 1, 2000, &refused, &wait), STORE_LIMITED);
	/* Buckets untouched since before a time are forgotten by a prune (the
	 * caller passes now minus its longest period: they are full by then). */
	size_t n;
	assert_int_equal(store_buckets_prune(f->st, 1500, &n), 0);
	assert_int_equal(n, 1); /* "b", last taken at 1000 */
	assert_int_equal(store_buckets_prune(f->st, 1000000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_buckets_take(f->st, b, 2, 1000000, &refused, &wait), 0);
}

struct taker {
	struct store *st;
	int taken;
};

static void *take_many(void *arg)
{
	struct taker *t = arg;
	struct store_bucket b = {"shared", 100, 0, 1};
	size_t refused;
	int64_t wait;
	for (int i = 0; i < 100; i++)
		if (store_buckets_take(t->st, &b, 1, 5000, &refused, &wait) == 0)
			t->taken++;
	return NULL;
}

static void buckets_hold_under_parallel_takes(void **state)
{
	struct fixture *f = *state;
	pthread_t th[8];
	struct taker t[8];
	for (int i = 0; i < 8; i++) {
		t[i] = (struct taker){f->st, 0};
		pthread_create(&th[i], NULL, take_many, &t[i]);
	}
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += t[i].taken;
	}
	assert_int_equal(total, 100); /* 800 tries, 100 tokens, never refilled */
}

/* What was taken and counted is still there after the store is closed and
 * opened again (the SQLite store keeps these rows in memory and writes them
 * back). */
static void limits_kept_across_reopen(void **state)
{
	struct fixture *f = *state;
	struct store_bucket b = {"kept", 2, 0, 1};
	struct store_decay d = {"counted", {1000, 1000}, {1, 0}, {{0, 0}, {0, 0}}, 0, 0};
	size_t refused;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	char err[256];
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	assert_int_equal(store_buckets_take(f->st, &b, 1, 2000, &refused, &wait), STORE_LIMITED);
	d.add[0] = 0; /* a read */
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	assert_true(d.out[0][0] > 1.99 && d.out[0][0] < 2.01);
}

/* A peek (cost 0) grants or refuses as the tokens left say, and writes
 * nothing: on SQLite a bucket only ever peeked has no row. */
static void peeks_write_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_bucket peek = {"peeked", 2, 0, 0}, take = {"peeked", 2, 0, 1};
	struct store_bucket never = {"only-peeked", 2, 0, 0};
	size_t refused;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &never, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &take, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &take, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 1000, &refused, &wait), STORE_LIMITED);
	char err[256];
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	assert_int_equal(store_buckets_take(f->st, &peek, 1, 2000, &refused, &wait), STORE_LIMITED);
	assert_int_equal(store_buckets_take(f->st, &never, 1, 2000, &refused, &wait), 0);
	if (strcmp(backend, "sqlite"))
		return;
	store_close(f->st);
	f->st = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(f->url + 7, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(key) FROM buckets", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "peeked");
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
}

/* More rows than the SQLite store keeps in memory, each changed once: every
 * one is there after a reopen (kept rows, rows that went to the table
 * directly, and the queue of changes compacted on the way). */
static void many_limits_kept_across_reopen(void **state)
{
	struct fixture *f = *state;
	enum { KEYS = 20000, PER_CALL = 16 };
	static char keys[KEYS][16];
	struct store_bucket b[PER_CALL];
	size_t refused;
	int64_t wait;
	for (int i = 0; i < KEYS; i += PER_CALL) {
		for (int k = 0; k < PER_CALL; k++) {
			snprintf(keys[i + k], sizeof keys[0], "k%d", i + k);
			b[k] = (struct store_bucket){keys[i + k], 1, 0, 1};
		}
		assert_int_equal(store_buckets_take(f->st, b, PER_CALL, 1000, &refused, &wait), 0);
		/* and one refused call, undone whole, after each */
		assert_int_equal(store_buckets_take(f->st, b, PER_CALL, 1000, &refused, &wait),
				 STORE_LIMITED);
	}
	char err[256];
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	for (int i = 0; i < KEYS; i++) {
		struct store_bucket one = {keys[i], 1, 0, 1};
		assert_int_equal(store_buckets_take(f->st, &one, 1, 2000, &refused, &wait), STORE_LIMITED);
	}
}

/* A running node writes what it keeps in memory back by itself: the table
 * shows a take within a few seconds, without another write or a close. */
static void limits_written_back_while_running(void **state)
{
	struct fixture *f = *state;
	struct store_bucket b = {"seen", 1, 0, 1};
	size_t refused;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), 0);
	if (strcmp(backend, "sqlite")) {
		/* PostgreSQL keeps nothing in memory: another node sees it at once. */
		struct store *other;
		char err[256];
		assert_int_equal(store_open(f->url, &test_options, &other, err, sizeof err), 0);
		assert_int_equal(store_buckets_take(other, &b, 1, 1000, &refused, &wait), STORE_LIMITED);
		store_close(other);
		return;
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->url + 7, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	double tokens = -1;
	for (int tries = 0; tries < 200 && tokens != 0; tries++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT tokens FROM buckets WHERE key = 'seen'", -1,
						    &st, NULL),
				 SQLITE_OK);
		if (sqlite3_step(st) == SQLITE_ROW)
			tokens = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
		if (tokens != 0)
			usleep(50 * 1000);
	}
	sqlite3_close(db);
	assert_true(tokens == 0);
}

/* Another process (iotpctl) changing the buckets is seen at once: a bucket it
 * prunes is full again for the running node, whatever that node held. */
static void buckets_follow_another_process(void **state)
{
	struct fixture *f = *state;
	struct store_bucket b = {"shared", 1, 0, 1};
	size_t refused, n;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), 0);
	char err[256];
	store_close(f->st); /* written back */
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), STORE_LIMITED);
	struct store *other;
	struct store_options o = test_options;
	o.existing_only = 1;
	assert_int_equal(store_open(f->url, &o, &other, err, sizeof err), 0);
	assert_int_equal(store_buckets_prune(other, 5000, &n), 0);
	assert_int_equal(n, 1);
	store_close(other);
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b, 1, 1000, &refused, &wait), STORE_LIMITED);
}

/* A session change with its limits (store_session_write): one bucket short
 * and nothing at all is written, neither the session nor its message nor
 * the other buckets nor the counters; a lost compare-and-swap takes no token
 * either. */
static void session_write_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000), got;
	struct store_bucket b[2] = {{"wide", 10, 0, 1}, {"narrow", 1, 0, 1}};
	struct store_decay d = {"sent", {1000, 1000}, {1, 0}, {{0, 0}, {0, 0}}, 0, 0};
	struct store_write w = {.session = &s, .insert = 1, .buckets = b, .n_buckets = 2,
				.counters = &d, .n_counters = 1, .now = 1000};
	assert_int_equal(store_session_write(f->st, &w, NULL), 0);
	assert_true(d.out[0][0] > 0.99 && d.out[0][0] < 1.01);

	/* "narrow" is empty now: the update is refused whole. */
	struct store_session next = s;
	struct store_message m = make_message("m1", "s1", 1000);
	next.version++;
	next.sms_sent = 1;
	w = (struct store_write){.session = &next, .msg = &m, .buckets = b, .n_buckets = 2,
				 .counters = &d, .n_counters = 1, .now = 1000};
	assert_int_equal(store_session_write(f->st, &w, &got), STORE_LIMITED);
	assert_int_equal(w.refused, 1);
	assert_true(w.retry_after_ms > 1000000); /* it never refills */
	assert_int_equal(store_session_get(f->st, "s1", &got), 0);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.sms_sent, 0);
	struct store_due due[2];
	size_t n = 9;
	assert_int_equal(store_outbox_due(f->st, 1000, due, 2, &n), 0);
	assert_int_equal(n, 0);
	/* "wide" lost nothing to the refusal (9 left), and the counter added nothing. */
	struct store_bucket nine = {"wide", 10, 0, 9};
	size_t refused;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &nine, 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	assert_true(d.out[0][0] > 1.99 && d.out[0][0] < 2.01);

	/* A stale version: STORE_CONFLICT, *current filled, and no token taken. */
	struct store_bucket plenty = {"plenty", 1, 0, 1};
	struct store_session stale = s; /* version 1, as read before someone wrote */
	next = s;
	next.version++;
	assert_int_equal(store_session_update(f->st, &next, NULL, NULL), 0);
	stale.version++;
	w = (struct store_write){.session = &stale, .buckets = &plenty, .n_buckets = 1, .now = 1000};
	assert_int_equal(store_session_write(f->st, &w, &got), STORE_CONFLICT);
	assert_int_equal(got.version, 2);
	got.version++; /* the retry, from the session as it stands */
	w = (struct store_write){.session = &got, .buckets = &plenty, .n_buckets = 1, .now = 1000};
	assert_int_equal(store_session_write(f->st, &w, NULL), 0); /* the bucket's one token */
}

/* The adjust hook sees the counters just added and shapes the new session. */
static void raise_owed(void *arg, struct store_session *s, const struct store_decay *c, size_t n)
{
	(void)arg;
	if (n && c[0].out[0][0] > 2.5)
		s->pow_difficulty = 20;
}

static void session_write_adjusts_from_counters(void **state)
{
	struct fixture *f = *state;
	char id[16];
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "s%d", i);
		struct store_session s = make_session(id, "+447400123456", 1000), got;
		struct store_decay d = {"ipsessions", {1e9, 1e9}, {1, 0}, {{0, 0}, {0, 0}}, 0, 0};
		struct store_write w = {.session = &s, .insert = 1, .counters = &d, .n_counters = 1,
					.adjust = raise_owed, .now = 1000};
		assert_int_equal(store_session_write(f->st, &w, NULL), 0);
		assert_int_equal(store_session_get(f->st, id, &got), 0);
		assert_int_equal(got.pow_difficulty, i < 2 ? 0 : 20); /* the third session on */
		assert_int_equal(s.pow_difficulty, got.pow_difficulty);
	}
}

struct writer {
	struct store *st;
	int id;
	int written;
};

/* Each thread creates sessions that take from one shared bucket. */
static void *write_many(void *arg)
{
	struct writer *t = arg;
	struct store_bucket b = {"shared", 50, 0, 1};
	for (int i = 0; i < 50; i++) {
		struct store_session s;
		char id[32];
		snprintf(id, sizeof id, "t%d-%d", t->id, i);
		s = make_session(id, "+447400123456", 1000);
		struct store_write w = {.session = &s, .insert = 1, .buckets = &b, .n_buckets = 1,
					.now = 1000};
		if (store_session_write(t->st, &w, NULL) == 0)
			t->written++;
	}
	return NULL;
}

static void session_write_holds_under_parallel_writes(void **state)
{
	struct fixture *f = *state;
	pthread_t th[8];
	struct writer t[8];
	for (int i = 0; i < 8; i++) {
		t[i] = (struct writer){f->st, i, 0};
		pthread_create(&th[i], NULL, write_many, &t[i]);
	}
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += t[i].written;
	}
	assert_int_equal(total, 50); /* 400 tries, 50 tokens, never refilled */
	int count = 0;
	char id[32];
	struct store_session got;
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 50; j++) {
			snprintf(id, sizeof id, "t%d-%d", i, j);
			if (store_session_get(f->st, id, &got) == 0)
				count++;
		}
	assert_int_equal(count, 50); /* exactly the sessions that got a token exist */
}

/* Rounds recorded without waiting for their commit (a delivery thread going
 * on at once: durable_defer), by several threads while others write sessions:
 * every outcome is visible once the threads are done, and survives a reopen. */
struct recorder {
	struct store *st;
	struct store_message *m;
	int n;
	int failed;
};

static void *record_unwaited(void *arg)
{
	struct recorder *r = arg;
	durable_defer(1);
	for (int i = 0; i < r->n; i++) {
		r->m[i].state = STORE_MSG_SENT;
		r->m[i].sent_at = 2000 + i;
		snprintf(r->m[i].provider_ref, sizeof r->m[i].provider_ref, "ref-%s", r->m[i].id);
		if (store_outbox_finish(r->st, &r->m[i], 1) != 0)
			r->failed++;
	}
	durable_defer(0);
	struct durable_owed owed;
	durable_take(&owed); /* what a store may say it owes is committed by now, see below */
	return NULL;
}

static int sent_with_ref;
static void count_sent(const struct store_message *m, void *arg)
{
	(void)arg;
	char want[80];
	snprintf(want, sizeof want, "ref-%s", m->id);
	if (m->state == STORE_MSG_SENT && !strcmp(m->provider_ref, want))
		sent_with_ref++;
}

static void unwaited_rounds_lose_nothing(void **state)
{
	struct fixture *f = *state;
	enum { THREADS = 4, EACH = 24 };
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	for (int i = 0; i < THREADS * EACH; i++) {
		char id[16];
		snprintf(id, sizeof id, "m%d", i);
		struct store_message m = make_message(id, "s1", 1000);
		s.version++;
		assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	}
	static struct store_message taken[THREADS * EACH];
	size_t n = 0, got;
	while (n < THREADS * EACH) {
		assert_int_equal(claim(f->st, 1000, &taken[n], 8, &got), 0);
		assert_true(got > 0);
		n += got;
	}
	pthread_t rec[THREADS], wr[THREADS];
	struct recorder r[THREADS];
	struct writer w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct recorder){f->st, &taken[i * EACH], EACH, 0};
		w[i] = (struct writer){f->st, i, 0};
		pthread_create(&wr[i], NULL, write_many, &w[i]);
		pthread_create(&rec[i], NULL, record_unwaited, &r[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(rec[i], NULL);
		pthread_join(wr[i], NULL);
		assert_int_equal(r[i].failed, 0);
	}
	/* Every writing call has left the store: each round is committed, so
	 * another opening of the store (which sees only commits) finds it. */
	char err[256];
	struct store *other;
	assert_int_equal(store_open(f->url, &test_options, &other, err, sizeof err), 0);
	sent_with_ref = 0;
	assert_int_equal(store_session_messages(other, "s1", count_sent, NULL), 0);
	store_close(other);
	assert_int_equal(sent_with_ref, THREADS * EACH);
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	sent_with_ref = 0;
	assert_int_equal(store_session_messages(f->st, "s1", count_sent, NULL), 0);
	assert_int_equal(sent_with_ref, THREADS * EACH);
}

static void decay_halves_per_half_life(void **state)
{
	struct fixture *f = *state;
	struct store_decay d = {"k", {1000, 4000}, {8, 4}, {{0, 0}, {0, 0}}, 0, 0};
	assert_int_equal(store_decay_add(f->st, &d, 1, 0), 0);
	assert_true(d.out[0][0] == 8 && d.out[0][1] == 4 && d.out[1][0] == 8);
	d.add[0] = 1;
	d.add[1] = 0;
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	assert_true(d.out[0][0] > 4.99 && d.out[0][0] < 5.01); /* 8 halved, plus 1 */
	assert_true(d.out[0][1] > 1.99 && d.out[0][1] < 2.01);
	assert_true(d.out[1][0] > 7.72 && d.out[1][0] < 7.74); /* 8 * 2^-1/4, plus 1 */
	assert_int_equal(store_decay_reset(f->st, "k"), 0);
	d.add[0] = 0;
	assert_int_equal(store_decay_add(f->st, &d, 1, 1000), 0);
	assert_true(d.out[0][0] == 0 && d.out[0][1] == 0 && d.out[1][0] == 0);
}

/* A gated counter counts first sightings only: distinct numbers per site. */
static void decay_gated_counts_distinct(void **state)
{
	struct fixture *f = *state;
	const char *numbers[] = {"+1", "+2", "+1", "+3", "+2", "+1"};
	double distinct = 0;
	for (int i = 0; i < 6; i++) {
		char pair[32];
		snprintf(pair, sizeof pair, "sn|site|%s", numbers[i]);
		/* The gated one first in the array: order in the call does not matter. */
		struct store_decay d[2] = {
			{.key = "dn|site", .half_life_ms = {1e12, 1e12}, .add = {1, 0}, .first_of = 2},
			{.key = pair, .half_life_ms = {1e12, 1e12}, .add = {1, 0}},
		};
		assert_int_equal(store_decay_add(f->st, d, 2, 1000 + i), 0);
		distinct = d[0].out[0][0];
	}
	assert_true(distinct > 2.99 && distinct < 3.01);
	/* A gate that is itself gated is refused. */
	struct store_decay bad[2] = {{.key = "a", .half_life_ms = {1, 1}, .first_of = 2},
				     {.key = "b", .half_life_ms = {1, 1}, .first_of = 1}};
	assert_int_equal(store_decay_add(f->st, bad, 2, 2000), -1);
}

/* A counter gated on another's verified history counts what lands in keys
 * nobody verified in (sessions in number blocks without history), and its
 * first verification there; a counter with nothing to add is only read and
 * writes no row (its age for pruning stays that of its last addition). */
static void decay_gated_on_verified_and_reads_write_nothing(void **state)
{
	struct fixture *f = *state;
	/* Block A has a verified history; block B has none. */
	struct store_decay v = {.key = "p5|A", .half_life_ms = {1000, 1e12}, .add = {0, 1}};
	assert_int_equal(store_decay_add(f->st, &v, 1, 1000), 0);
	const char *blocks[] = {"p5|A", "p5|B", "p5|A", "p5|B"};
	double novel = 0;
	for (int i = 0; i < 4; i++) {
		struct store_decay d[2] = {
			{.key = "nv|cc|NG", .half_life_ms = {1e12, 1e12}, .add = {1, 0}, .first_of = 2,
			 .gate_verified = 1},
			{.key = blocks[i], .half_life_ms = {1000, 1e12}}, /* read only */
		};
		assert_int_equal(store_decay_add(f->st, d, 2, 2000 + i), 0);
		assert_true(i % 2 ? d[1].out[1][1] == 0 : d[1].out[1][1] > 0.99);
		novel = d[0].out[0][0];
	}
	assert_true(novel > 1.99 && novel < 2.01); /* the two in B */
	/* B's first verification is counted as one that opened a block; its
	 * second is not: B has a history then. */
	for (int i = 0; i < 2; i++) {
		struct store_decay d[2] = {
			{.key = "nv|cc|NG", .half_life_ms = {1e12, 1e12}, .add = {0, 1}, .first_of = 2,
			 .gate_verified = 1},
			{.key = "p5|B", .half_life_ms = {1000, 1e12}, .add = {0, 1}},
		};
		assert_int_equal(store_decay_add(f->st, d, 2, 3000 + i), 0);
		assert_true(d[0].out[1][1] > 0.99 && d[0].out[1][1] < 1.01);
	}
	/* Reading wrote nothing: no row for a key never added to ... */
	size_t n = 99;
	struct store_decay r = {.key = "ro|never", .half_life_ms = {1000, 1000}};
	assert_int_equal(store_decay_add(f->st, &r, 1, 5000), 0);
	assert_true(r.out[0][0] == 0 && r.out[1][1] == 0);
	assert_int_equal(store_decay_prune(f->st, "ro|", 10000, &n), 0);
	assert_int_equal(n, 0);
	/* ... and a read leaves a row's age as it was, its value decayed. */
	struct store_decay w = {.key = "ro|old", .half_life_ms = {1000, 1000}, .add = {4, 0}};
	assert_int_equal(store_decay_add(f->st, &w, 1, 1000), 0);
	w.add[0] = 0;
	assert_int_equal(store_decay_add(f->st, &w, 1, 3000), 0);
	assert_true(w.out[0][0] > 0.99 && w.out[0][0] < 1.01); /* 4, halved twice */
	assert_int_equal(store_decay_prune(f->st, "ro|", 2000, &n), 0);
	assert_int_equal(n, 1);
}

static void count_block(const struct store_block *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
}

static void count_event(const struct store_fraud_event *e, void *arg)
{
	char *types = arg;
	strcat(types, e->type);
	strcat(types, ";");
}

static void blocks_escalate_once_and_lift_with_events(void **state)
{
	struct fixture *f = *state;
	struct store_block b = {.key = "p3|+447400987", .state = STORE_BLOCK_THROTTLED, .since = 10};
	/* The event words are the caller's: the store writes what it is given. */
	assert_int_equal(store_block_set(f->st, &b, "t.slowed"), 0);
	assert_int_equal(store_block_set(f->st, &b, "t.slowed"), STORE_CONFLICT); /* already so */
	b.state = STORE_BLOCK_BLOCKED;
	assert_int_equal(store_block_set(f->st, &b, "t.stopped"), 0);
	b.state = STORE_BLOCK_THROTTLED;
	assert_int_equal(store_block_set(f->st, &b, "t.slowed"), STORE_CONFLICT); /* never weakened */
	int n = 0;
	assert_int_equal(store_blocks_list(f->st, count_block, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_block_lift(f->st, "p3|+447400987", "test", 20, "t.lifted"), 0);
	assert_int_equal(store_block_lift(f->st, "p3|+447400987", "test", 20, "t.lifted"), STORE_NOT_FOUND);
	n = 0;
	assert_int_equal(store_blocks_list(f->st, count_block, &n), 0);
	assert_int_equal(n, 0);
	char types[256] = "";
	assert_int_equal(store_fraud_events(f->st, 0, 10, count_event, types), 0);
	assert_string_equal(types, "t.slowed;t.stopped;t.lifted;");
}

static void keep_block(const struct store_block *b, void *arg)
{
	*(struct store_block *)arg = *b;
}

static void blocks_run_out_and_keep_their_strikes(void **state)
{
	struct fixture *f = *state;
	struct store_block b = {.key = "p3|+234803123", .state = STORE_BLOCK_BLOCKED, .since = 1000,
				.until = 5000, .strikes = 1};
	assert_int_equal(store_block_set(f->st, &b, "t.stopped"), 0);
	b.since = 4999;
	assert_int_equal(store_block_set(f->st, &b, "t.stopped"), STORE_CONFLICT); /* still in force */
	b.since = 5000;
	b.until = 13000;
	b.strikes = 2;
	assert_int_equal(store_block_set(f->st, &b, "t.stopped"), 0); /* ran out: a new one may start */
	struct store_block got = {0};
	assert_int_equal(store_blocks_list(f->st, keep_block, &got), 0);
	assert_string_equal(got.key, "p3|+234803123");
	assert_int_equal(got.until, 13000);
	assert_int_equal(got.strikes, 2);
}

/* Idle counters and measures that ran out long ago are forgotten, only
 * those: a counter of another family, a recent one, a measure still
 * remembered and one an operator must lift all stay. */
static void measures_and_idle_counters_are_pruned(void **state)
{
	struct fixture *f = *state;
	const char *keys[] = {"ipsessions|10.0.0.1", "ipsessions|10.0.0.2", "ipsessions|10.0.0.3",
			      "pr|site|10.0.0", "ipsessionsX"};
	int64_t at[] = {1000, 2000, 9000, 1000, 1000};
	for (int i = 0; i < 5; i++) {
		struct store_decay d = {.key = keys[i], .half_life_ms = {1000, 1000}, .add = {1, 0}};
		assert_int_equal(store_decay_add(f->st, &d, 1, at[i]), 0);
	}
	size_t n = 99;
	assert_int_equal(store_decay_prune(f->st, "ipsessions|", 5000, &n), 0);
	assert_int_equal(n, 2); /* not the recent one, not pr|, not ipsessionsX */
	assert_int_equal(store_decay_prune(f->st, "ipsessions|", 5000, &n), 0);
	assert_int_equal(n, 0);
	for (int i = 0; i < 5; i++) {
		struct store_decay d = {.key = keys[i], .half_life_ms = {1e12, 1e12}};
		assert_int_equal(store_decay_add(f->st, &d, 1, 9000), 0);
		/* Forgotten ones read as zero; the others kept their count. */
		assert_true(i < 2 ? d.out[0][0] == 0 : d.out[0][0] > 0.99);
	}

	struct store_block old = {.key = "p3|+234803100", .state = STORE_BLOCK_BLOCKED,
				  .since = 100, .until = 1000, .strikes = 3};
	struct store_block recent = {.key = "p3|+234803200", .state = STORE_BLOCK_BLOCKED,
				     .since = 100, .until = 8000, .strikes = 1};
	struct store_block manual = {.key = "p3|+234803300", .state = STORE_BLOCK_BLOCKED,
				     .since = 100, .until = 0, .strikes = 1};
	assert_int_equal(store_block_set(f->st, &old, "t.stopped"), 0);
	assert_int_equal(store_block_set(f->st, &recent, "t.stopped"), 0);
	assert_int_equal(store_block_set(f->st, &manual, "t.stopped"), 0);
	assert_int_equal(store_blocks_prune(f->st, 5000, &n), 0);
	assert_int_equal(n, 1);
	int count = 0;
	assert_int_equal(store_blocks_list(f->st, count_block, &count), 0);
	assert_int_equal(count, 2);
	char types[256] = "";
	assert_int_equal(store_fraud_events(f->st, 0, 10, count_event, types), 0);
	assert_string_equal(types, "t.stopped;t.stopped;t.stopped;"); /* the log keeps its history */
}

/* A prune of a large table is bounded: it stops after a stretch of keys
 * (SQLite) or STORE_PRUNE_MAX rows forgotten (PostgreSQL) and says
 * STORE_PRUNE_MORE; called again it goes on, and the sweep ends with every
 * old row forgotten, every recent one kept, another family untouched, and
 * the old rows the writer had not written back yet forgotten too. */
#define SWEPT (2 * STORE_PRUNE_MAX + STORE_PRUNE_MAX / 2)
static void large_prunes_go_in_bounded_steps(void **state)
{
	struct fixture *f = *state;
	static char keys[2 * SWEPT][40];
	struct store_decay d[50];
	struct store_bucket b[STORE_BUCKETS_MAX];
	size_t refused, n, forgotten = 0;
	int64_t wait;
	/* Counters "sw|00000".."sw|24999": the even ones last added at 1000,
	 * the odd ones at 9000; the same under "sx|", all at 1000. */
	for (int fam = 0; fam < 2; fam++)
		for (int i = 0; i < SWEPT; i += 50) {
			for (int k = 0; k < 50; k++) {
				char *key = keys[fam * SWEPT + i + k];
				snprintf(key, 40, "%s|%05d", fam ? "sx" : "sw", i + k);
				d[k] = (struct store_decay){.key = key, .half_life_ms = {1e12, 1e12},
							    .add = {1, 0}};
			}
			/* Odd and even apart: one call has one time. */
			for (int odd = 0; odd < 2; odd++) {
				struct store_decay part[25];
				for (int k = 0; k < 25; k++)
					part[k] = d[2 * k + odd];
				int64_t at = fam == 0 && odd ? 9000 : 1000;
				assert_int_equal(store_decay_add(f->st, part, 25, at), 0);
			}
		}
	/* All of them in the tables (the store writes back what it kept as it
	 * closes); then 100 more old ones only in the writer's memory. */
	char err[256];
	store_close(f->st);
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	static char kept[100][16];
	for (int k = 0; k < 100; k++) {
		snprintf(kept[k], sizeof kept[k], "sw|k%03d", k);
		struct store_decay one = {.key = kept[k], .half_life_ms = {1e12, 1e12}, .add = {1, 0}};
		assert_int_equal(store_decay_add(f->st, &one, 1, 1000), 0);
	}
	int rc, calls = 0;
	do {
		rc = store_decay_prune(f->st, "sw|", 5000, &n);
		assert_true(rc == 0 || rc == STORE_PRUNE_MORE);
		assert_true(n <= STORE_PRUNE_MAX);
		if (calls == 0) /* 12,600 old among 25,100 */
			assert_int_equal(rc, STORE_PRUNE_MORE);
		forgotten += n;
		calls++;
	} while (rc == STORE_PRUNE_MORE && calls < 10);
	assert_int_equal(rc, 0);
	assert_int_equal(forgotten, SWEPT / 2 + 100);
	for (int k = 0; k < 100; k += 9) {
		struct store_decay r = {.key = kept[k], .half_life_ms = {1e12, 1e12}};
		assert_int_equal(store_decay_add(f->st, &r, 1, 9000), 0);
		assert_true(r.out[0][0] == 0);
	}
	/* Forgotten ones read as zero, the others kept their count, and "sx|"
	 * (as old, another prefix) is whole. */
	for (int i = 0; i < 2 * SWEPT; i += 997) {
		struct store_decay r = {.key = keys[i], .half_life_ms = {1e12, 1e12}};
		assert_int_equal(store_decay_add(f->st, &r, 1, 9000), 0);
		int gone = i < SWEPT && i % 2 == 0;
		assert_true(gone ? r.out[0][0] == 0 : r.out[0][0] > 0.99);
	}
	/* A new sweep starts over and finds nothing more to forget. */
	for (calls = 0, forgotten = 0; calls < 10; calls++) {
		rc = store_decay_prune(f->st, "sw|", 5000, &n);
		forgotten += n;
		if (rc == 0)
			break;
	}
	assert_int_equal(forgotten, 0);

	/* Buckets the same: 25,000 buckets emptied at 1000 (never refilled),
	 * every third one taken again at 9000. */
	for (int i = 0; i < SWEPT; i += STORE_BUCKETS_MAX) {
		size_t m = 0;
		for (; m < STORE_BUCKETS_MAX && i + (int)m < SWEPT; m++)
			b[m] = (struct store_bucket){.key = keys[i + m], .capacity = 1,
						     .refill_per_ms = 0, .cost = 1};
		assert_int_equal(store_buckets_take(f->st, b, m, 1000, &refused, &wait), 0);
	}
	for (int i = 0; i < SWEPT; i += 3) {
		struct store_bucket refund = {keys[i], 1, 0, -1};
		assert_int_equal(store_buckets_take(f->st, &refund, 1, 9000, &refused, &wait), 0);
	}
	forgotten = 0;
	for (calls = 0; calls < 10; calls++) {
		rc = store_buckets_prune(f->st, 5000, &n);
		assert_true(rc == 0 || rc == STORE_PRUNE_MORE);
		forgotten += n;
		if (rc == 0)
			break;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(forgotten, SWEPT - (SWEPT + 2) / 3); /* all but i % 3 == 0 */
	/* Forgotten: full again (never refilled, one token); the others hold
	 * the token given back at 9000, and one take empties them again. */
	for (int i = 0; i < SWEPT; i += 499) {
		struct store_bucket t = {keys[i], 1, 0, 1};
		assert_int_equal(store_buckets_take(f->st, &t, 1, 9500, &refused, &wait), 0);
		assert_int_equal(store_buckets_take(f->st, &t, 1, 9500, &refused, &wait), STORE_LIMITED);
	}
}


static struct store_account make_account(const char *id, const char *app, const char *phone,
					 unsigned char key_byte)
{
	struct store_account a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "%s", id);
	snprintf(a.app, sizeof a.app, "%s", app);
	snprintf(a.phone, sizeof a.phone, "%s", phone);
	snprintf(a.device_id, sizeof a.device_id, "d-%s", id);
	memset(a.device_key, key_byte, STORE_KEY_LEN);
	a.created_at = a.verified_at = 1000;
	a.version = 1;
	return a;
}

static struct store_event make_event(const char *id, const char *type, const char *app,
				     const char *account, int64_t at)
{
	struct store_event e;
	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.type, sizeof e.type, "%s", type);
	snprintf(e.app, sizeof e.app, "%s", app);
	snprintf(e.account_id, sizeof e.account_id, "%s", account);
	snprintf(e.payload, sizeof e.payload, "{\"n\":\"%s\"}", id);
	e.created_at = e.next_attempt_at = at;
	return e;
}

static char event_ids[256];
static void list_event(const struct store_event *e, void *arg)
{
	(void)arg;
	strcat(event_ids, e->id);
	strcat(event_ids, e->state == STORE_EVENT_DELIVERED ? "+;" : ";");
}

/* Accounts: every lookup, one live account per number and app, one per
 * device key, and a write whose compare-and-swap fails writes nothing. */
static void accounts_lookups_and_uniqueness(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000), got_s;
	s.verified_at = 1100;
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_account a = make_account("a1", "app", "+447400123456", 1), got;
	memset(a.reset_key, 9, STORE_KEY_LEN);
	a.has_reset = 1;
	memcpy(a.email_sealed, "sealed", 6);
	a.email_sealed_len = 6;
	struct store_session spent = s;
	spent.spent_at = 1200;
	spent.version = 2;
	struct store_event e1 = make_event("e1", "account.registered", "app", "a1", 1200);
	struct store_account_write w = {.spend = {&spent}, .n_spend = 1, .account = &a, .insert = 1,
					.events = {&e1}, .n_events = 1};
	assert_int_equal(store_account_write(f->st, &w), 0);
	assert_int_equal(store_session_get(f->st, "s1", &got_s), 0);
	assert_int_equal(got_s.spent_at, 1200);
	/* The session is spent once: the same write again loses its compare-and-swap. */
	assert_int_equal(store_account_write(f->st, &w), STORE_CONFLICT);

	assert_int_equal(store_account_get(f->st, "a1", &got), 0);
	assert_memory_equal(&got, &a, sizeof a);
	assert_int_equal(store_account_by_phone(f->st, "app", "+447400123456", &got), 0);
	assert_string_equal(got.id, "a1");
	assert_int_equal(store_account_by_phone(f->st, "other", "+447400123456", &got),
			 STORE_NOT_FOUND);
	assert_int_equal(store_account_by_device(f->st, a.device_key, &got), 0);
	assert_string_equal(got.id, "a1");
	assert_int_equal(store_account_by_reset(f->st, a.reset_key, &got), 0);
	unsigned char none[STORE_KEY_LEN] = {7};
	assert_int_equal(store_account_by_device(f->st, none, &got), STORE_NOT_FOUND);
	assert_int_equal(store_account_by_reset(f->st, none, &got), STORE_NOT_FOUND);
	assert_int_equal(store_account_get(f->st, "nope", &got), STORE_NOT_FOUND);

	/* A second live account on the number, or on the device key: refused, and
	 * nothing of the write stays (its event neither). */
	struct store_account b = make_account("a2", "app", "+447400123456", 2);
	struct store_event e2 = make_event("e2", "account.registered", "app", "a2", 1300);
	struct store_account_write w2 = {.account = &b, .insert = 1, .events = {&e2}, .n_events = 1};
	assert_int_equal(store_account_write(f->st, &w2), STORE_CONFLICT);
	struct store_account c = make_account("a3", "app", "+447400999999", 1);
	struct store_account_write w3 = {.account = &c, .insert = 1};
	assert_int_equal(store_account_write(f->st, &w3), STORE_CONFLICT);
	/* Another app may have its own account on the number. */
	struct store_account d = make_account("a4", "other", "+447400123456", 4);
	struct store_account_write w4 = {.account = &d, .insert = 1};
	assert_int_equal(store_account_write(f->st, &w4), 0);

	/* Closing a1 frees the number for a2, in one write. */
	struct store_account closed = a;
	closed.closed_at = 1400;
	closed.version = 2;
	w2.closed = &closed;
	assert_int_equal(store_account_write(f->st, &w2), 0);
	assert_int_equal(store_account_by_phone(f->st, "app", "+447400123456", &got), 0);
	assert_string_equal(got.id, "a2");
	assert_int_equal(store_account_get(f->st, "a1", &got), 0);
	assert_int_equal(got.closed_at, 1400);
	/* A stale version of an account is refused. */
	struct store_account stale = a;
	stale.version = 2;
	struct store_account_write w5 = {.account = &stale};
	assert_int_equal(store_account_write(f->st, &w5), STORE_CONFLICT);

	event_ids[0] = '\0';
	assert_int_equal(store_account_events(f->st, "a1", list_event, NULL), 0);
	assert_string_equal(event_ids, "e1;");
	event_ids[0] = '\0';
	assert_int_equal(store_account_events(f->st, "a2", list_event, NULL), 0);
	assert_string_equal(event_ids, "e2;");
}

/* The authenticator's state rides on the account row: every field read back
 * as written, and a second write from the same version (two requests
 * spending one code) is refused, so a step is remembered once. */
static void account_totp_round_trips_with_cas(void **state)
{
	struct fixture *f = *state;
	struct store_account a = make_account("t1", "app", "+447400123499", 7), got;
	struct store_account_write w = {.account = &a, .insert = 1};
	assert_int_equal(store_account_write(f->st, &w), 0);
	assert_int_equal(store_account_get(f->st, "t1", &got), 0);
	assert_int_equal(got.totp_sealed_len, 0);
	assert_int_equal(got.totp_enabled_at, 0);

	struct store_account on = a;
	memset(on.totp_sealed, 0xab, 60);
	on.totp_sealed_len = 60;
	on.totp_enabled_at = 5000;
	on.totp_last_step = 60000123;
	on.totp_failures = 3;
	on.totp_retry_at = 6000;
	on.version = 2;
	struct store_account_write w2 = {.account = &on};
	assert_int_equal(store_account_write(f->st, &w2), 0);
	assert_int_equal(store_account_get(f->st, "t1", &got), 0);
	assert_int_equal(got.totp_sealed_len, 60);
	assert_memory_equal(got.totp_sealed, on.totp_sealed, 60);
	assert_int_equal(got.totp_enabled_at, 5000);
	assert_int_equal(got.totp_last_step, 60000123);
	assert_int_equal(got.totp_failures, 3);
	assert_int_equal(got.totp_retry_at, 6000);

	struct store_account again = on;
	again.totp_last_step = 60000124;
	assert_int_equal(store_account_write(f->st, &w2), STORE_CONFLICT);
	struct store_account_write w3 = {.account = &again};
	assert_int_equal(store_account_write(f->st, &w3), STORE_CONFLICT);
	assert_int_equal(store_account_get(f->st, "t1", &got), 0);
	assert_int_equal(got.totp_last_step, 60000123);

	/* Turned off: the secret is gone, not an empty value. */
	struct store_account off = on;
	off.totp_sealed_len = 0;
	off.totp_enabled_at = off.totp_last_step = off.totp_retry_at = 0;
	off.totp_failures = 0;
	off.version = 3;
	struct store_account_write w4 = {.account = &off};
	assert_int_equal(store_account_write(f->st, &w4), 0);
	assert_int_equal(store_account_get(f->st, "t1", &got), 0);
	assert_int_equal(got.totp_sealed_len, 0);
	assert_int_equal(got.totp_enabled_at, 0);
}

static struct store_passkey make_passkey(const char *id, const char *account, int cred)
{
	struct store_passkey p;
	memset(&p, 0, sizeof p);
	snprintf(p.id, sizeof p.id, "%s", id);
	snprintf(p.account_id, sizeof p.account_id, "%s", account);
	snprintf(p.app, sizeof p.app, "app");
	memset(p.cred_id, cred, 40);
	p.cred_id_len = 40;
	memset(p.public_key, 0xa5, 77);
	p.public_key_len = 77;
	p.alg = -7;
	memset(p.aaguid, 0x11, 16);
	snprintf(p.attestation, sizeof p.attestation, "none");
	snprintf(p.name, sizeof p.name, "Ana's laptop");
	p.sign_count = 3;
	p.backup_eligible = 1;
	p.created_at = 1000 + cred;
	p.version = 1;
	return p;
}

static void count_passkey(const struct store_passkey *p, void *arg)
{
	int *n = arg;
	assert_string_equal(p->attestation, "none");
	(*n)++;
}

/* Passkeys: unique credential ids per app, a per-account limit, updates
 * with compare-and-swap, deletes of one or all. */
static void passkeys_round_trip_unique_and_cas(void **state)
{
	struct fixture *f = *state;
	struct store_passkey p = make_passkey("pk1", "acc1", 1), got;
	assert_int_equal(store_passkey_insert(f->st, &p, 3), 0);
	assert_int_equal(store_passkey_get(f->st, "app", p.cred_id, 40, &got), 0);
	assert_string_equal(got.id, "pk1");
	assert_string_equal(got.account_id, "acc1");
	assert_int_equal(got.cred_id_len, 40);
	assert_int_equal(got.public_key_len, 77);
	assert_memory_equal(got.public_key, p.public_key, 77);
	assert_memory_equal(got.aaguid, p.aaguid, 16);
	assert_int_equal(got.alg, -7);
	assert_int_equal(got.sign_count, 3);
	assert_int_equal(got.backup_eligible, 1);
	assert_int_equal(got.backup_state, 0);
	assert_int_equal(got.version, 1);
	assert_string_equal(got.name, "Ana's laptop");
	/* Another app's id space, and a shorter id, are not this one. */
	assert_int_equal(store_passkey_get(f->st, "other", p.cred_id, 40, &got), STORE_NOT_FOUND);
	assert_int_equal(store_passkey_get(f->st, "app", p.cred_id, 39, &got), STORE_NOT_FOUND);
	/* The same credential id again, even for another account. */
	struct store_passkey dup = make_passkey("pk2", "acc2", 1);
	assert_int_equal(store_passkey_insert(f->st, &dup, 3), STORE_CONFLICT);
	snprintf(dup.app, sizeof dup.app, "other");
	assert_int_equal(store_passkey_insert(f->st, &dup, 3), 0);

	/* A use: compare-and-swap on the version. */
	struct store_passkey used = p;
	used.sign_count = 9;
	used.backup_state = 1;
	used.last_used_at = 5000;
	used.version = 2;
	assert_int_equal(store_passkey_update(f->st, &used), 0);
	assert_int_equal(store_passkey_update(f->st, &used), STORE_CONFLICT);
	assert_int_equal(store_passkey_get(f->st, "app", p.cred_id, 40, &got), 0);
	assert_int_equal(got.sign_count, 9);
	assert_int_equal(got.backup_state, 1);
	assert_int_equal(got.last_used_at, 5000);
	assert_int_equal(got.version, 2);

	/* The limit per account. */
	struct store_passkey b = make_passkey("pk3", "acc1", 3), c = make_passkey("pk4", "acc1", 4);
	assert_int_equal(store_passkey_insert(f->st, &b, 2), 0);
	assert_int_equal(store_passkey_insert(f->st, &c, 2), STORE_LIMITED);
	int n = 0;
	assert_int_equal(store_passkey_list(f->st, "acc1", count_passkey, &n), 0);
	assert_int_equal(n, 2);

	/* Deleting: only the account's own, then all. */
	assert_int_equal(store_passkey_delete(f->st, "acc2", "pk1"), STORE_NOT_FOUND);
	assert_int_equal(store_passkey_delete(f->st, "acc1", "pk1"), 0);
	assert_int_equal(store_passkey_delete(f->st, "acc1", "pk1"), STORE_NOT_FOUND);
	assert_int_equal(store_passkey_update(f->st, &(struct store_passkey){.id = "pk1", .version = 3}),
			 STORE_CONFLICT);
	assert_int_equal(store_passkey_delete(f->st, "acc1", NULL), 0);
	n = 0;
	assert_int_equal(store_passkey_list(f->st, "acc1", count_passkey, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_passkey_delete(f->st, "acc1", NULL), 0);
}

struct passkey_racer {
	struct store *st;
	int i, rc;
};

static void *insert_passkey(void *arg)
{
	struct passkey_racer *r = arg;
	char id[16];
	snprintf(id, sizeof id, "race%d", r->i);
	struct store_passkey p = make_passkey(id, "racer", 10 + r->i);
	r->rc = store_passkey_insert(r->st, &p, 3);
	return NULL;
}

/* Eight parallel registrations for one account with room for three. */
static void passkey_limit_holds_in_parallel(void **state)
{
	struct fixture *f = *state;
	struct store_account a = make_account("racer", "app", "+447400123498", 7);
	struct store_account_write w = {.account = &a, .insert = 1};
	assert_int_equal(store_account_write(f->st, &w), 0);
	pthread_t t[8];
	struct passkey_racer r[8];
	for (int i = 0; i < 8; i++) {
		r[i] = (struct passkey_racer){f->st, i, -9};
		pthread_create(&t[i], NULL, insert_passkey, &r[i]);
	}
	int ok = 0, limited = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].rc == 0;
		limited += r[i].rc == STORE_LIMITED;
	}
	assert_int_equal(ok, 3);
	assert_int_equal(limited, 5);
}

/* Events: a claim leases each due event to one claimer, skips the
 * destinations named, and the event comes back when its lease ends. */
static void events_claimed_once_with_lease(void **state)
{
	struct fixture *f = *state;
	struct store_account a = make_account("a1", "app", "+447400123456", 1);
	struct store_event e1 = make_event("e1", "account.registered", "app", "a1", 1000);
	struct store_event e2 = make_event("e2", "mail.pin_reset", "app", "a1", 1001);
	struct store_event e3 = make_event("e3", "account.device_replaced", "busy", "a1", 1002);
	struct store_account_write w = {.account = &a, .insert = 1, .events = {&e1, &e2, &e3},
					.n_events = 3};
	assert_int_equal(store_account_write(f->st, &w), 0);

	struct store_event out[4];
	size_t n;
	const struct store_event_skip skip = {.apps = {"busy"}, .n_apps = 1, .mail = 1};
	assert_int_equal(store_event_claim(f->st, 999, 5000, NULL, out, 4, &n), 0);
	assert_int_equal(n, 0); /* nothing due yet */
	assert_int_equal(store_event_claim(f->st, 2000, 5000, &skip, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "e1");
	assert_int_equal(out[0].attempts, 1);
	assert_int_equal(out[0].next_attempt_at, 5000);
	assert_string_equal(out[0].payload, "{\"n\":\"e1\"}");
	/* Leased: no other claim gets it; the others, no longer skipped, in order. */
	assert_int_equal(store_event_claim(f->st, 2000, 6000, NULL, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].id, "e2");
	assert_string_equal(out[1].id, "e3");
	/* e2 delivered; e3 put back untried (its attempt given back). */
	out[0].state = STORE_EVENT_DELIVERED;
	out[0].delivered_at = 2100;
	out[1].state = STORE_EVENT_PENDING;
	out[1].attempts = 0;
	out[1].next_attempt_at = 2200;
	assert_int_equal(store_event_finish(f->st, out, 2), 0);
	/* The claimer of e1 died: e1 comes back at the end of its lease. */
	assert_int_equal(store_event_claim(f->st, 4999, 9000, NULL, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "e3");
	assert_int_equal(out[0].attempts, 1);
	assert_int_equal(store_event_claim(f->st, 5000, 9000, NULL, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "e1");
	assert_int_equal(out[0].attempts, 2);
	event_ids[0] = '\0';
	assert_int_equal(store_account_events(f->st, "a1", list_event, NULL), 0);
	assert_string_equal(event_ids, "e1;e2+;e3;");
}

/* Parallel claimers (threads here, nodes in production) split the due
 * events: each goes to exactly one. */
struct claimer {
	struct store *st;
	int got;
};

static void *claim_events(void *arg)
{
	struct claimer *c = arg;
	struct store_event out[4];
	size_t n;
	for (int i = 0; i < 40; i++) {
		if (store_event_claim(c->st, 10000, 99999, NULL, out, 4, &n) < 0)
			return NULL;
		c->got += (int)n;
	}
	return NULL;
}

static void events_each_claimed_once_in_parallel(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 30; i++) {
		char id[16];
		snprintf(id, sizeof id, "a%d", i);
		struct store_account a = make_account(id, "app", "+447400000000", (unsigned char)i);
		snprintf(a.phone, sizeof a.phone, "+4474000000%02d", i);
		struct store_event e = make_event(id, "account.registered", "app", id, 1000 + i);
		struct store_account_write w = {.account = &a, .insert = 1, .events = {&e},
						.n_events = 1};
		assert_int_equal(store_account_write(f->st, &w), 0);
	}
	pthread_t t[4];
	struct claimer c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct claimer){f->st, 0};
		pthread_create(&t[i], NULL, claim_events, &c[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += c[i].got;
	}
	assert_int_equal(total, 30);
}

static struct store_delivery_stats seen_stats;
static int n_stats;
static void take_stats(const struct store_delivery_stats *d, void *arg)
{
	(void)arg;
	seen_stats = *d;
	n_stats++;
}


/* Delivery figures, the store's counts and the hand-overs of a session, after
 * a message is sent and delivered (found by the provider's reference) and
 * another fails. */
static void delivery_stats_and_counts(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m1 = make_message("m1", "s1", 1000), m2 = make_message("m2", "s1", 1000);
	snprintf(m1.region, sizeof m1.region, "GB");
	snprintf(m2.region, sizeof m2.region, "GB");
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m1, NULL), 0);
	s.version = 3;
	assert_int_equal(store_session_update(f->st, &s, &m2, NULL), 0);
	struct store_message out[2];
	assert_int_equal(store_outbox_take(f->st, "m1", "kannel", 1000, &out[0]), 0);
	assert_int_equal(store_outbox_take(f->st, "m2", "kannel", 1000, &out[1]), 0);
	out[0].state = STORE_MSG_SENT;
	out[0].sent_at = 1100;
	snprintf(out[0].provider_ref, sizeof out[0].provider_ref, "ref-1");
	out[0].n_tried = 1;
	out[0].tried[0] = (struct store_attempt){.outcome = STORE_ATTEMPT_SUBMITTED,
						 .started_at = 1000, .finished_at = 1100};
	snprintf(out[0].tried[0].message_id, sizeof out[0].tried[0].message_id, "m1");
	snprintf(out[0].tried[0].provider, sizeof out[0].tried[0].provider, "kannel");
	out[1].state = STORE_MSG_FAILED;
	snprintf(out[1].error, sizeof out[1].error, "refused");
	assert_int_equal(store_outbox_finish(f->st, out, 2), 0);
	struct store_report r = {.provider = "kannel", .provider_ref = "ref-1",
				 .state = STORE_MSG_DELIVERED, .at = 1500};
	struct store_reported rep;
	assert_int_equal(store_message_report(f->st, &r, &rep), 0);
	assert_string_equal(rep.id, "m1");
	assert_string_equal(rep.region, "GB");
	assert_int_equal(rep.created_at, 1000);
	snprintf(r.provider_ref, sizeof r.provider_ref, "ref-unknown");
	assert_int_equal(store_message_report(f->st, &r, &rep), STORE_NOT_FOUND);

	n_stats = 0;
	assert_int_equal(store_delivery_stats(f->st, 0, take_stats, NULL), 0);
	assert_int_equal(n_stats, 1);
	assert_string_equal(seen_stats.provider, "kannel");
	assert_string_equal(seen_stats.region, "GB");
	assert_int_equal(seen_stats.messages, 2);
	assert_int_equal(seen_stats.submitted, 1);
	assert_int_equal(seen_stats.delivered, 1);
	assert_int_equal(seen_stats.failed, 1);
	assert_int_equal(seen_stats.submit_ms_avg, 100);
	assert_int_equal(seen_stats.deliver_ms_max, 500);
	n_stats = 0;
	assert_int_equal(store_delivery_stats(f->st, 1001, take_stats, NULL), 0);
	assert_int_equal(n_stats, 0);

	struct store_stats st;
	assert_int_equal(store_get_stats(f->st, &st), 0);
	assert_int_equal(st.sessions, 1);
	assert_int_equal(st.messages_sent, 1);
	assert_int_equal(st.messages_failed, 1);
	assert_int_equal(st.messages_queued, 0);
	attempts_seen = 0;
	assert_int_equal(store_session_attempts(f->st, "s1", count_attempt, NULL), 0);
	assert_int_equal(attempts_seen, 1);
	assert_int_equal(attempt_outcome, STORE_ATTEMPT_SUBMITTED);
}

static int n_fraud;
static void count_fraud(const struct store_fraud_event *e, void *arg)
{
	*(int64_t *)arg = e->id;
	n_fraud++;
}

/* Old buckets are forgotten in batches, a counter reset reads as new, and the
 * fraud log pages by id. */
static void prune_reset_and_paging(void **state)
{
	struct fixture *f = *state;
	struct store_bucket b[2] = {{.key = "old", .capacity = 2, .refill_per_ms = 0, .cost = 1},
				    {.key = "new", .capacity = 2, .refill_per_ms = 0, .cost = 1}};
	size_t refused, n;
	int64_t wait;
	assert_int_equal(store_buckets_take(f->st, &b[0], 1, 100, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b[1], 1, 900, &refused, &wait), 0);
	assert_int_equal(store_buckets_prune(f->st, 500, &n), 0);
	assert_int_equal(n, 1);
	/* Forgotten: full again (two takes), while "new" has one token left. */
	assert_int_equal(store_buckets_take(f->st, &b[0], 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b[0], 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b[1], 1, 1000, &refused, &wait), 0);
	assert_int_equal(store_buckets_take(f->st, &b[1], 1, 1000, &refused, &wait), STORE_LIMITED);

	struct store_decay d = {.key = "k", .half_life_ms = {1000, 2000}, .add = {3, 1}};
	assert_int_equal(store_decay_add(f->st, &d, 1, 0), 0);
	assert_int_equal(store_decay_reset(f->st, "k"), 0);
	assert_int_equal(store_decay_add(f->st, &d, 1, 0), 0);
	assert_true(d.out[0][0] == 3 && d.out[1][1] == 1);

	for (int i = 0; i < 5; i++) {
		char key[40];
		snprintf(key, sizeof key, "p3|+44740098%d", i);
		struct store_block blk = {.state = STORE_BLOCK_BLOCKED, .since = i};
		snprintf(blk.key, sizeof blk.key, "%s", key);
		assert_int_equal(store_block_set(f->st, &blk, "t.blocked"), 0);
	}
	int64_t last = 0;
	n_fraud = 0;
	assert_int_equal(store_fraud_events(f->st, 0, 3, count_fraud, &last), 0);
	assert_int_equal(n_fraud, 3);
	n_fraud = 0;
	assert_int_equal(store_fraud_events(f->st, last, 10, count_fraud, &last), 0);
	assert_int_equal(n_fraud, 2);
}

/* The dashboard's reads (store_activity, store_sessions_recent). */
#define MIN 60000LL
#define T0 (1000 * MIN) /* a minute boundary */

/* A session of region created at created that sent one SMS through provider
 * (state as given), verified at verified (0: never). */
static void add_sent(struct store *st, const char *id, const char *phone, const char *region,
                int64_t created, const char *provider, int state, int64_t verified)
{
	struct store_session s;
	memset(&s, 0, sizeof s);
	snprintf(s.id, sizeof s.id, "%s", id);
	snprintf(s.phone, sizeof s.phone, "%s", phone);
	snprintf(s.region, sizeof s.region, "%s", region);
	snprintf(s.number_type, sizeof s.number_type, "mobile");
	snprintf(s.app, sizeof s.app, "default");
	s.created_at = created;
	s.expires_at = created + 30 * MIN;
	s.version = 1;
	assert_int_equal(store_session_insert(st, &s), 0);
	if (!provider)
		return;
	struct store_message m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "m-%s", id);
	snprintf(m.session_id, sizeof m.session_id, "%s", id);
	snprintf(m.to, sizeof m.to, "%s", phone);
	snprintf(m.region, sizeof m.region, "%s", region);
	snprintf(m.channel, sizeof m.channel, "sms");
	snprintf(m.provider, sizeof m.provider, "%s", provider);
	m.state = state;
	m.created_at = created + 1000;
	m.next_attempt_at = m.created_at;
	s.sms_sent = 1;
	s.version = 2;
	assert_int_equal(store_session_update(st, &s, &m, NULL), 0);
	if (verified) {
		s.verified_at = verified;
		s.version = 3;
		assert_int_equal(store_session_update(st, &s, NULL, NULL), 0);
	}
}

struct seen {
	int64_t minute_sent[4], minute_verified[4];
	int64_t country[3][2];  /* GB, FR, other */
	int64_t provider[2][2]; /* kannel, http */
	int64_t delivered, failed, queued, other;
};

static void collect_activity(const struct store_activity *a, void *arg)
{
	struct seen *s = arg;
	switch (a->kind) {
	case STORE_ACT_MINUTE: {
		int64_t i = (a->at - T0) / MIN;
		assert_true(i >= 0 && i < 4);
		assert_int_equal(a->at, T0 + i * MIN); /* at the step's start */
		s->minute_sent[i] += a->n[0];
		s->minute_verified[i] += a->n[1];
		break;
	}
	case STORE_ACT_COUNTRY: {
		int k = !strcmp(a->key, "GB") ? 0 : !strcmp(a->key, "FR") ? 1 : 2;
		s->country[k][0] += a->n[0];
		s->country[k][1] += a->n[1];
		break;
	}
	case STORE_ACT_PROVIDER: {
		int k = !strcmp(a->key, "kannel") ? 0 : 1;
		assert_true(!strcmp(a->key, "kannel") || !strcmp(a->key, "http"));
		s->provider[k][0] += a->n[0];
		s->provider[k][1] += a->n[1];
		break;
	}
	case STORE_ACT_STATUS:
		if (!strcmp(a->key, "delivered"))
			s->delivered += a->n[0];
		else if (!strcmp(a->key, "failed"))
			s->failed += a->n[0];
		else if (!strcmp(a->key, "queued"))
			s->queued += a->n[0];
		else
			s->other += a->n[0];
		break;
	default:
		fail_msg("unknown kind %d", a->kind);
	}
}

static void activity_counts_by_step_country_provider_status(void **state)
{
	struct fixture *f = *state;
	/* Before the range: counted nowhere. */
	add_sent(f->st, "old", "+447400000001", "GB", T0 - 10 * MIN, "kannel", STORE_MSG_DELIVERED,
	    T0 - 9 * MIN);
	add_sent(f->st, "a", "+447400000002", "GB", T0 + 5000, "kannel", STORE_MSG_DELIVERED,
	    T0 + MIN + 5000);
	add_sent(f->st, "b", "+447400000003", "GB", T0 + MIN + 1, "http", STORE_MSG_FAILED, 0);
	add_sent(f->st, "c", "+33612345678", "FR", T0 + 2 * MIN, "kannel", STORE_MSG_DELIVERED,
	    T0 + 3 * MIN + 1);
	/* A session that never sent a code counts for no country. */
	add_sent(f->st, "d", "+33612345679", "FR", T0 + 2 * MIN, NULL, 0, 0);
	struct seen s;
	memset(&s, 0, sizeof s);
	assert_int_equal(store_activity(f->st, T0, MIN, collect_activity, &s), 0);
	assert_int_equal(s.minute_sent[0], 1);
	assert_int_equal(s.minute_sent[1], 1);
	assert_int_equal(s.minute_sent[2], 1);
	assert_int_equal(s.minute_verified[1], 1);
	assert_int_equal(s.minute_verified[3], 1);
	assert_int_equal(s.country[0][0], 2);
	assert_int_equal(s.country[0][1], 1);
	assert_int_equal(s.country[1][0], 1);
	assert_int_equal(s.country[1][1], 1);
	assert_int_equal(s.country[2][0], 0);
	assert_int_equal(s.provider[0][0], 2);
	assert_int_equal(s.provider[0][1], 2);
	assert_int_equal(s.provider[1][0], 1);
	assert_int_equal(s.provider[1][1], 0);
	assert_int_equal(s.delivered, 2);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.queued + s.other, 0);
	/* A step of zero is refused, not divided by. */
	assert_int_equal(store_activity(f->st, T0, 0, collect_activity, &s), -1);
}

struct recent {
	int n;
	char ids[8][48];
	int any_code;
};

static void collect_recent(const struct store_session *s, void *arg)
{
	struct recent *r = arg;
	snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", s->id);
	if (s->code_sealed_len)
		r->any_code = 1;
}

static void recent_sessions_newest_first_within_limit(void **state)
{
	struct fixture *f = *state;
	add_sent(f->st, "old", "+447400000001", "GB", T0 - MIN, NULL, 0, 0);
	add_sent(f->st, "a", "+447400000002", "GB", T0 + 1, NULL, 0, 0);
	add_sent(f->st, "b", "+447400000003", "GB", T0 + 2, "kannel", STORE_MSG_QUEUED, T0 + 3);
	add_sent(f->st, "c", "+447400000004", "GB", T0 + 3, NULL, 0, 0);
	struct recent r = {0};
	assert_int_equal(store_sessions_recent(f->st, T0, 2, collect_recent, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ids[0], "c");
	assert_string_equal(r.ids[1], "b");
	memset(&r, 0, sizeof r);
	assert_int_equal(store_sessions_recent(f->st, T0, 10, collect_recent, &r), 0);
	assert_int_equal(r.n, 3);
	assert_false(r.any_code);
}

/* A number's notes: newest first, only that number's, from since, at most limit. */
struct notes {
	size_t n;
	struct store_note v[8];
};

static void collect_note(const struct store_note *n, void *arg)
{
	struct notes *r = arg;
	if (r->n < 8)
		r->v[r->n++] = *n;
}

static void notes_newest_first_bounded(void **state)
{
	struct fixture *f = *state;
	const char *kinds[] = {"check.wrong", "check.right", "refused.rate_limit", "refused.geo",
			       "check.refused"};
	for (int i = 0; i < 5; i++) {
		struct store_note n = {.at = T0 + i * MIN};
		snprintf(n.phone, sizeof n.phone, "+447400000001");
		snprintf(n.kind, sizeof n.kind, "%s", kinds[i]);
		snprintf(n.session_id, sizeof n.session_id, i < 3 ? "s1" : "");
		snprintf(n.detail, sizeof n.detail, "detail %d", i);
		assert_int_equal(store_note_add(f->st, &n), 0);
	}
	struct store_note other = {.at = T0 + 9 * MIN, .phone = "+447400000002", .kind = "check.right"};
	assert_int_equal(store_note_add(f->st, &other), 0);
	struct notes r = {0};
	assert_int_equal(store_notes_of(f->st, "+447400000001", 0, 3, collect_note, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].kind, "check.refused");
	assert_int_equal(r.v[0].at, T0 + 4 * MIN);
	assert_string_equal(r.v[0].session_id, "");
	assert_string_equal(r.v[2].kind, "refused.rate_limit");
	assert_string_equal(r.v[2].session_id, "s1");
	assert_string_equal(r.v[2].detail, "detail 2");
	memset(&r, 0, sizeof r);
	assert_int_equal(store_notes_of(f->st, "+447400000001", T0 + 3 * MIN, 10, collect_note, &r), 0);
	assert_int_equal(r.n, 2);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_notes_of(f->st, "+447400009999", 0, 10, collect_note, &r), 0);
	assert_int_equal(r.n, 0);
}

/* A right check is kept as its session's verified_at, not as a note, and read
 * back among the notes all the same; one noted by an older iotpd is not
 * read twice, and a session not verified adds nothing. */
static void right_checks_read_from_sessions(void **state)
{
	struct fixture *f = *state;
	const char *phone = "+447400000003";
	struct store_session now_made = make_session("verified-now", phone, T0);
	now_made.verified_at = T0 + 5 * MIN;
	struct store_session before = make_session("verified-before", phone, T0 + MIN);
	before.verified_at = T0 + 3 * MIN;
	struct store_session open = make_session("still-open", phone, T0 + 2 * MIN);
	assert_int_equal(store_session_insert(f->st, &now_made), 0);
	assert_int_equal(store_session_insert(f->st, &before), 0);
	assert_int_equal(store_session_insert(f->st, &open), 0);
	struct store_note wrong = {.at = T0 + 4 * MIN, .kind = "check.wrong",
				   .session_id = "verified-now", .detail = "incorrect_code"};
	struct store_note noted = {.at = T0 + 3 * MIN, .kind = "check.right",
				   .session_id = "verified-before"};
	snprintf(wrong.phone, sizeof wrong.phone, "%s", phone);
	snprintf(noted.phone, sizeof noted.phone, "%s", phone);
	assert_int_equal(store_note_add(f->st, &wrong), 0);
	assert_int_equal(store_note_add(f->st, &noted), 0);
	struct notes r = {0};
	assert_int_equal(store_notes_of(f->st, phone, 0, 10, collect_note, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].kind, "check.right");
	assert_string_equal(r.v[0].session_id, "verified-now");
	assert_int_equal(r.v[0].at, T0 + 5 * MIN);
	assert_string_equal(r.v[0].phone, phone);
	assert_string_equal(r.v[0].detail, "");
	assert_string_equal(r.v[1].kind, "check.wrong");
	assert_string_equal(r.v[2].kind, "check.right");
	assert_string_equal(r.v[2].session_id, "verified-before");
	/* since and limit hold for them too */
	memset(&r, 0, sizeof r);
	assert_int_equal(store_notes_of(f->st, phone, T0 + 4 * MIN, 10, collect_note, &r), 0);
	assert_int_equal(r.n, 2);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_notes_of(f->st, phone, 0, 1, collect_note, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].session_id, "verified-now");
}

/* The dashboard's reads (activity, recent sessions, a number's notes) use an
 * index, never a scan of a whole table, however many rows there are: SQLite's
 * query plan, and PostgreSQL's with sequential scans priced out (on a table
 * this small the planner would rightly prefer one). */
static void dashboard_reads_use_indexes(void **state)
{
	struct fixture *f = *state;
	if (!strcmp(backend, "sqlite")) {
		char path[300];
		snprintf(path, sizeof path, "%s/iotp.db", f->dir);
		sqlite3 *db;
		assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		size_t i = 0;
		for (const char *sql; (sql = sqlite_admin_sql(i)); i++) {
			char explain[1200];
			snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
			sqlite3_stmt *st;
			assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
			int searched = 0;
			while (sqlite3_step(st) == SQLITE_ROW) {
				const char *d = (const char *)sqlite3_column_text(st, 3);
				if (!strncmp(d, "SCAN ", 5)) {
					fprintf(stderr, "a whole-table scan (%s) in: %s\n", d, sql);
					fail();
				}
				searched |= !strncmp(d, "SEARCH ", 7);
			}
			assert_true(searched);
			sqlite3_finalize(st);
		}
		assert_true(i >= 7); /* five activity queries, recent sessions, notes */
		sqlite3_close(db);
		return;
	}
#ifdef IOTP_HAVE_POSTGRES
	PGconn *c = PQconnectdb(f->url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQclear(PQexec(c, "SET enable_seqscan = off"));
	size_t i = 0;
	for (const char *sql; (sql = pg_admin_sql(i)); i++) {
		char explain[1200];
		snprintf(explain, sizeof explain, "EXPLAIN %s", sql);
		const char *params[3] = {"0", "60000", "10"};
		PGresult *r = PQexecParams(c, explain, strstr(sql, "$3") ? 3 : 2, NULL, params, NULL,
					   NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		for (int row = 0; row < PQntuples(r); row++) {
			const char *line = PQgetvalue(r, row, 0);
			if (strstr(line, "Seq Scan")) {
				fprintf(stderr, "a whole-table scan (%s) in: %s\n", line, sql);
				fail();
			}
		}
		PQclear(r);
	}
	assert_true(i >= 7);
	PQfinish(c);
#endif
}

#ifdef IOTP_HAVE_POSTGRES
/* Shared stores only: a node starting up takes back its own claims but not a
 * live sibling's; a sibling that stays silent past its lease loses them. */
static void another_nodes_claims_after_its_lease(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), out[2];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	size_t n, unknown;
	assert_int_equal(claim(f->st, 1000, out, 2, &n), 0);
	assert_int_equal(n, 1);
	struct store *other;
	char err[256];
	struct store_options o = test_options;
	o.node = "sibling";
	o.lease_ms = 30000;
	assert_int_equal(store_open(f->url, &o, &other, err, sizeof err), 0);
	assert_int_equal(store_outbox_recover(other, 2000, &n, &unknown), 0);
	assert_int_equal(n + unknown, 0); /* the first node is alive: left alone */
	assert_int_equal(claim(other, 29000, out, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(claim(other, 31000, out, 2, &n), 0); /* the lease ended */
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "m1");
	assert_int_equal(out[0].attempts, 2);
	store_close(other);
}

/* Shared stores only: a message written taken is under the writer's lease,
 * as a take's: a sibling leaves it alone until the lease ends, and then
 * counts it as handed over (the writer may have sent it), never sending it
 * again. */
static void written_taken_after_its_lease(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_taken("m1", "s1", 1000), out[2];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	struct store *other;
	char err[256];
	struct store_options o = test_options;
	o.node = "sibling";
	o.lease_ms = 30000;
	assert_int_equal(store_open(f->url, &o, &other, err, sizeof err), 0);
	size_t n, unknown;
	assert_int_equal(store_outbox_recover(other, 2000, &n, &unknown), 0);
	assert_int_equal(n + unknown, 0);
	struct store_message got = {0};
	assert_int_equal(claim(other, 29000, out, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_session_messages(other, "s1", report_state, &got), 0);
	assert_int_equal(got.state, STORE_MSG_SENDING);
	assert_int_equal(claim(other, 31001, out, 2, &n), 0); /* the lease ended */
	assert_int_equal(n, 0);
	assert_int_equal(store_session_messages(other, "s1", report_state, &got), 0);
	assert_int_equal(got.state, STORE_MSG_SENT);
	assert_non_null(strstr(got.error, "not sent again"));
	store_close(other);
}
#endif

/* Old rows go in batches: finished messages with their hand-overs, sessions,
 * delivered events, notes, fraud events and expired records; a message still
 * queued, a new session, a pending event, a live record and new notes and
 * fraud events stay. */
static void cleanup_takes_old_rows_in_batches(void **state)
{
	struct fixture *f = *state;
	char id[16], mid[16];
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "old%d", i);
		snprintf(mid, sizeof mid, "m%d", i);
		struct store_session s = make_session(id, "+447400123456", 1000 + i);
		assert_int_equal(store_session_insert(f->st, &s), 0);
		struct store_message m = make_message(mid, id, 1000 + i);
		s.version = 2;
		assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	}
	struct store_message out[4];
	size_t n;
	assert_int_equal(claim(f->st, 2000, out, 3, &n), 0);
	assert_int_equal(n, 3);
	/* Two sent (each with a hand-over), one back in the queue for later. */
	for (int i = 0; i < 3; i++) {
		out[i].state = i < 2 ? STORE_MSG_SENT : STORE_MSG_QUEUED;
		out[i].next_attempt_at = 90000;
		out[i].n_tried = 1;
		memcpy(out[i].tried[0].message_id, out[i].id, sizeof out[i].id);
		snprintf(out[i].tried[0].provider, sizeof out[i].tried[0].provider, "log");
	}
	assert_int_equal(store_outbox_finish(f->st, out, 3), 0);
	struct store_session young = make_session("young", "+447400123456", 60000);
	assert_int_equal(store_session_insert(f->st, &young), 0);
	struct store_event done = make_event("e1", "t", "default", "a1", 1000);
	struct store_event pending = make_event("e2", "t", "default", "a1", 1000);
	pending.next_attempt_at = 99999;
	struct store_account_write w = {.events = {&done, &pending}, .n_events = 2};
	struct store_session carrier = make_session("carrier", "+447400123457", 60000);
	assert_int_equal(store_session_insert(f->st, &carrier), 0);
	carrier.version = 2;
	w.spend[0] = &carrier;
	w.n_spend = 1;
	assert_int_equal(store_account_write(f->st, &w), 0);
	struct store_event got[2];
	assert_int_equal(store_event_claim(f->st, 2000, 3000, NULL, got, 2, &n), 0);
	assert_int_equal(n, 1);
	got[0].state = STORE_EVENT_DELIVERED;
	assert_int_equal(store_event_finish(f->st, got, 1), 0);
	struct store_record gone = {.kind = "t", .key = "gone", .value = "{}", .version = 1,
				    .expires_at = 40000};
	struct store_record live = {.kind = "t", .key = "live", .value = "{}", .version = 1};
	assert_int_equal(store_record_put(f->st, &gone, 2000), 0);
	assert_int_equal(store_record_put(f->st, &live, 2000), 0);
	struct store_note old_note = {.phone = "+447400123456", .at = 1000, .kind = "check.wrong"};
	struct store_note new_note = {.phone = "+447400123456", .at = 60000, .kind = "check.right"};
	assert_int_equal(store_note_add(f->st, &old_note), 0);
	assert_int_equal(store_note_add(f->st, &new_note), 0);
	/* Three old fraud events (a measure set and lifted, another set) and a new one. */
	struct store_block blk = {.key = "p3|+4474001", .state = STORE_BLOCK_BLOCKED, .since = 1000};
	assert_int_equal(store_block_set(f->st, &blk, "t.blocked"), 0);
	assert_int_equal(store_block_lift(f->st, blk.key, "test", 1001, "t.lifted"), 0);
	blk.since = 1002;
	assert_int_equal(store_block_set(f->st, &blk, "t.blocked"), 0);
	blk.since = 60000;
	snprintf(blk.key, sizeof blk.key, "p3|+4474002");
	assert_int_equal(store_block_set(f->st, &blk, "t.blocked"), 0);

	struct store_cleanup c;
	assert_int_equal(store_cleanup(f->st, 50000, 50000, 2, &c), 0);
	assert_int_equal(c.sessions, 2);
	assert_int_equal(c.messages, 2);
	assert_int_equal(c.attempts, 2);
	assert_int_equal(c.events, 1);
	assert_int_equal(c.records, 1);
	assert_int_equal(c.notes, 1);
	assert_int_equal(c.fraud_events, 2);
	assert_int_equal(store_cleanup(f->st, 50000, 50000, 2, &c), 0);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.messages, 0); /* m2 is still queued */
	assert_int_equal(c.events + c.records + c.attempts, 0);
	assert_int_equal(c.fraud_events, 1);
	assert_int_equal(store_cleanup(f->st, 50000, 50000, 2, &c), 0);
	assert_int_equal(c.sessions + c.messages + c.events + c.records + c.attempts + c.notes +
			 c.fraud_events, 0);
	int64_t last = 0;
	n_fraud = 0;
	assert_int_equal(store_fraud_events(f->st, 0, 10, count_fraud, &last), 0);
	assert_int_equal(n_fraud, 1); /* the new one */
	struct store_session left;
	assert_int_equal(store_session_get(f->st, "young", &left), 0);
	assert_int_equal(store_session_get(f->st, "old0", &left), STORE_NOT_FOUND);
	struct store_record r;
	assert_int_equal(store_record_get(f->st, "t", "live", 50000, &r), 0);
	assert_int_equal(claim(f->st, 90000, out, 3, &n), 0);
	assert_int_equal(n, 1); /* the queued one is still there to send */
	event_ids[0] = '\0';
	assert_int_equal(store_account_events(f->st, "a1", list_event, NULL), 0);
	assert_string_equal(event_ids, "e2;");
}

/* One holder at a time; it renews its own; another gets it once it ended. */
static void leases_have_one_holder(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-a", 1000, 5000), 0);
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-b", 2000, 6000), STORE_CONFLICT);
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-a", 3000, 7000), 0);
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-b", 6999, 9000), STORE_CONFLICT);
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-b", 7000, 9000), 0);
	assert_int_equal(store_lease_take(f->st, "cleanup", "node-a", 8000, 9000), STORE_CONFLICT);
	assert_int_equal(store_lease_take(f->st, "other", "node-a", 8000, 9000), 0);
	/* A name with quotes stays one holder's. */
	assert_int_equal(store_lease_take(f->st, "q", "a\"b", 8000, 9000), 0);
	assert_int_equal(store_lease_take(f->st, "q", "a\"c", 8000, 9000), STORE_CONFLICT);
}

/* The sweep: the lease's holder removes old rows; another node, meanwhile,
 * nothing; batches repeat while they come back full. */
static void retention_sweeps_under_the_lease(void **state)
{
	struct fixture *f = *state;
	const int64_t day = 24LL * 3600 * 1000, now = 400 * day;
	char id[24];
	for (int i = 0; i < RETENTION_BATCH + 20; i++) {
		snprintf(id, sizeof id, "s%d", i);
		struct store_session s = make_session(id, "+447400123456", 100 * day + i);
		assert_int_equal(store_session_insert(f->st, &s), 0);
	}
	struct store_session young = make_session("young", "+447400123456", now - day);
	assert_int_equal(store_session_insert(f->st, &young), 0);
	struct store_block blk = {.key = "p3|+4474001", .state = STORE_BLOCK_BLOCKED, .since = 100 * day};
	assert_int_equal(store_block_set(f->st, &blk, "t.blocked"), 0);
	struct store_cleanup n = {0};
	assert_int_equal(retention_sweep(f->st, "node-a", 90, now, &n), 0);
	assert_int_equal(n.sessions, RETENTION_BATCH + 20);
	assert_int_equal(n.fraud_events, 1);
	assert_int_equal(retention_sweep(f->st, "node-b", 90, now + 1000, &n), 1);
	assert_int_equal(n.sessions, RETENTION_BATCH + 20);
	/* 0 days: sessions are kept whatever their age. */
	assert_int_equal(retention_sweep(f->st, "node-a", 0, now + 400 * day, &n), 0);
	struct store_session got;
	assert_int_equal(store_session_get(f->st, "young", &got), 0);
}

/* Buckets written before keys named their subject first keep what they hold
 * across the upgrade: the migration moves each key's rule to its end. */
static void old_bucket_keys_move_subject_first(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	f->st = NULL;
	const char *rows = "('create|number|+447700900001', 0, 1000),"
			   " ('check_failed|number|default|+447700900001', 0, 1000),"
			   " ('spend|86400000|GB', 0, 1000)";
	char sql[600];
#ifdef IOTP_HAVE_POSTGRES
	if (f->schema[0]) {
		/* Back to before migration 8, the one that moves the keys. */
		snprintf(sql, sizeof sql,
			 "UPDATE %s.iotp_schema SET version = 7;"
			 " INSERT INTO %s.buckets (key, tokens, at) VALUES %s",
			 f->schema, f->schema, rows);
		assert_int_equal(pg_admin(sql), 0);
	} else
#endif
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(f->url + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_true(sqlite3_column_int(st, 0) >= 14);
		sqlite3_finalize(st);
		/* Back to before migration 14, the one that moves the keys. */
		snprintf(sql, sizeof sql,
			 "PRAGMA user_version = 13; INSERT INTO buckets (key, tokens, at) VALUES %s", rows);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	char err[256];
	assert_int_equal(store_open(f->url, &test_options, &f->st, err, sizeof err), 0);
	size_t refused;
	int64_t wait;
	/* Empty under their new keys (never refilled: 0 per ms)... */
	const char *moved[] = {"+447700900001|create|number",
			       "default|+447700900001|check_failed|number", "GB|spend|86400000"};
	for (size_t i = 0; i < 3; i++) {
		struct store_bucket b = {moved[i], 5, 0, 1};
		assert_int_equal(store_buckets_take(f->st, &b, 1, 2000, &refused, &wait), STORE_LIMITED);
	}
	/* ...and nothing left under the old ones: a bucket there is new, full. */
	struct store_bucket old = {"create|number|+447700900001", 5, 0, 1};
	assert_int_equal(store_buckets_take(f->st, &old, 1, 2000, &refused, &wait), 0);
}

/* A store migrated by a newer iotpd is refused at open, saying so, rather
 * than read with statements that do not know its columns. */
static void newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	f->st = NULL;
#ifdef IOTP_HAVE_POSTGRES
	if (f->schema[0]) {
		char sql[200];
		snprintf(sql, sizeof sql, "UPDATE %s.iotp_schema SET version = version + 1", f->schema);
		assert_int_equal(pg_admin(sql), 0);
	} else
#endif
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->url + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	char err[512] = "";
	struct store *st = NULL;
	assert_int_equal(store_open(f->url, &test_options, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "by a newer iotpd (schema "));
}

#ifdef IOTP_HAVE_POSTGRES
struct deadlocked {
	struct store *st;
	int rc;
};

static void *write_a_then_b(void *arg)
{
	struct deadlocked *d = arg;
	struct store_session s = make_session("dl", "+447400123456", 1000);
	struct store_bucket b[2] = {{"dl|a", 10, 0.000001, 1}, {"dl|b", 10, 0.000001, 1}};
	struct store_write w = {.session = &s, .insert = 1, .buckets = b, .n_buckets = 2, .now = 1000};
	d->rc = store_session_write(d->st, &w, NULL);
	return NULL;
}

/* Another transaction locks bucket b, the write takes a and waits for b, then
 * the other asks for a: a deadlock, which the server breaks by failing the
 * write's transaction (it waited first). The write is tried again and lands:
 * before, only a failure of the session's own statement was retried, and the
 * request got 500. */
static void deadlock_victim_is_retried(void **state)
{
	struct fixture *f = *state;
	struct store_bucket b[2] = {{"dl|a", 10, 0.000001, 1}, {"dl|b", 10, 0.000001, 1}};
	size_t refused;
	int64_t retry;
	assert_int_equal(store_buckets_take(f->st, b, 2, 1000, &refused, &retry), 0);
	PGconn *x = PQconnectdb(f->url);
	assert_int_equal(PQstatus(x), CONNECTION_OK);
	/* Whichever backend's deadlock_timeout runs out first finds the deadlock
	 * and fails its own transaction; on a loaded machine x's check could come
	 * first, and the write would never see the failure this test is about. */
	PGresult *r = PQexec(x, "SET deadlock_timeout = '30s'");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexec(x, "BEGIN; UPDATE buckets SET at = at WHERE key = 'dl|b'");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	struct deadlocked d = {f->st, -9};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_a_then_b, &d), 0);
	/* Until the write waits for b (holding a). */
	for (;;) {
		r = PQexec(x, "SELECT count(*) FROM pg_locks WHERE NOT granted");
		int waiting = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) > 0;
		PQclear(r);
		if (waiting)
			break;
		usleep(10000);
	}
	/* Now a for x: one of the two must go. */
	r = PQexec(x, "UPDATE buckets SET at = at WHERE key = 'dl|a'");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQclear(PQexec(x, "COMMIT"));
	PQfinish(x);
	pthread_join(t, NULL);
	assert_int_equal(d.rc, 0);
	struct store_session got;
	assert_int_equal(store_session_get(f->st, "dl", &got), 0);
	/* Taken twice each (once here, once by the write), not three times. */
	struct store_bucket eight[2] = {{"dl|a", 10, 0.000001, 8}, {"dl|b", 10, 0.000001, 8}};
	assert_int_equal(store_buckets_take(f->st, eight, 2, 1000, &refused, &retry), 0);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(update_is_compare_and_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(outbox_written_with_session, setup, teardown),
		cmocka_unit_test_setup_teardown(take_once_with_hand_over, setup, teardown),
		cmocka_unit_test_setup_teardown(over_session_drops_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(finish_retry_and_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(finish_rides_on_the_next_take, setup, teardown),
		cmocka_unit_test_setup_teardown(unwaited_rounds_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(take_batch_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(recover_after_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(recover_mid_hand_over, setup, teardown),
		cmocka_unit_test_setup_teardown(message_written_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(reports_never_go_backwards, setup, teardown),
		cmocka_unit_test(rank_orders_states),
		cmocka_unit_test_setup_teardown(concurrent_updates_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(sessions_of_a_number, setup, teardown),
		cmocka_unit_test_setup_teardown(buckets_take_refill_peek_refund, setup, teardown),
		cmocka_unit_test_setup_teardown(buckets_hold_under_parallel_takes, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_kept_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(many_limits_kept_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(peeks_write_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(old_bucket_keys_move_subject_first, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_written_back_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(buckets_follow_another_process, setup, teardown),
		cmocka_unit_test_setup_teardown(decay_halves_per_half_life, setup, teardown),
		cmocka_unit_test_setup_teardown(decay_gated_counts_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(decay_gated_on_verified_and_reads_write_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(session_write_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(session_write_adjusts_from_counters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(session_write_holds_under_parallel_writes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocks_escalate_once_and_lift_with_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocks_run_out_and_keep_their_strikes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(measures_and_idle_counters_are_pruned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(large_prunes_go_in_bounded_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(records_are_compare_and_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_records_read_as_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(records_list_in_key_order, setup, teardown),
		cmocka_unit_test_setup_teardown(accounts_lookups_and_uniqueness, setup, teardown),
		cmocka_unit_test_setup_teardown(account_totp_round_trips_with_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(passkeys_round_trip_unique_and_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(passkey_limit_holds_in_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(events_claimed_once_with_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(events_each_claimed_once_in_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(delivery_stats_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_reset_and_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(activity_counts_by_step_country_provider_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(recent_sessions_newest_first_within_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cleanup_takes_old_rows_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(leases_have_one_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_sweeps_under_the_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(notes_newest_first_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(right_checks_read_from_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(dashboard_reads_use_indexes, setup, teardown),
		cmocka_unit_test(unknown_backend_is_named),
		cmocka_unit_test(url_password_is_masked),
	};
	if (getenv("IOTP_TEST_BACKEND"))
		backend = getenv("IOTP_TEST_BACKEND");
	size_t n_tests = sizeof tests / sizeof tests[0];
#ifdef IOTP_HAVE_POSTGRES
	/* What only a store shared by several nodes promises. */
	const struct CMUnitTest shared[] = {
		cmocka_unit_test_setup_teardown(another_nodes_claims_after_its_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(written_taken_after_its_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(deadlock_victim_is_retried, setup, teardown),
	};
	if (!strcmp(backend, "postgres")) {
		int rc = _cmocka_run_group_tests("store (postgres, shared)", shared,
						 sizeof shared / sizeof shared[0], NULL, NULL);
		if (rc)
			return rc;
	}
#endif
	char name[64];
	snprintf(name, sizeof name, "store (%s)", backend);
	return _cmocka_run_group_tests(name, tests, n_tests, NULL, NULL);
}
