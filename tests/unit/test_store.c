/* The store conformance suite: every backend must pass it unchanged. It checks
 * the promises in store/store.h — atomic calls, compare-and-swap updates, the
 * outbox written with the session, recovery after a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static const char *const backends[] = {"sqlite"};

struct fixture {
	const char *backend;
	char dir[256];
	char url[400];
	struct store *st;
};

static int setup(void **state, const char *backend)
{
	static int n;
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];
	f->backend = backend;
	snprintf(f->dir, sizeof f->dir, "%s/store-%s-%d-%d", IOTP_TEST_TMP, backend, (int)getpid(), n++);
	snprintf(f->url, sizeof f->url, "sqlite:%s/iotp.db", f->dir);
	if (store_open(f->url, NULL, &f->st, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_sqlite(void **state)
{
	return setup(state, backends[0]);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];
	store_close(f->st);
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
	assert_int_equal(store_open(f->url, NULL, &f->st, err, sizeof err), 0);
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

/* A crash during a hand-over: the message is not handed over again. */
static void recover_mid_hand_over(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000);
	assert_int_equal(store_session_insert(f->st, &s), 0);
	struct store_message m = make_message("m1", "s1", 1000), m2 = make_message("m2", "s1", 1000);
	struct store_message out[2];
	s.version = 2;
	assert_int_equal(store_session_update(f->st, &s, &m, NULL), 0);
	s.version = 3;
	assert_int_equal(store_session_update(f->st, &s, &m2, NULL), 0);
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

/* A session change with its limits (store_session_write): one bucket short
 * and nothing at all is written, neither the session nor its message nor
 * the other buckets nor the counters; a lost compare-and-swap takes no token
 * either. */
static void session_write_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_session s = make_session("s1", "+447400123456", 1000), got;
	struct store_bucket b[2] = {{"wide", 10, 0, 1}, {"narrow", 1, 0, 1}};
	struct store_decay d = {"sent", {1000, 1000}, {1, 0}, {{0, 0}, {0, 0}}};
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
		struct store_decay d = {"ipsessions", {1e9, 1e9}, {1, 0}, {{0, 0}, {0, 0}}};
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

static void decay_halves_per_half_life(void **state)
{
	struct fixture *f = *state;
	struct store_decay d = {"k", {1000, 4000}, {8, 4}, {{0, 0}, {0, 0}}};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(update_is_compare_and_swap, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(outbox_written_with_session, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(take_once_with_hand_over, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(over_session_drops_queued, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(finish_retry_and_timeline, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(recover_after_crash, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(recover_mid_hand_over, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(reports_never_go_backwards, setup_sqlite, teardown),
		cmocka_unit_test(rank_orders_states),
		cmocka_unit_test_setup_teardown(concurrent_updates_lose_nothing, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(sessions_of_a_number, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(buckets_take_refill_peek_refund, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(buckets_hold_under_parallel_takes, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(decay_halves_per_half_life, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(session_write_all_or_nothing, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(session_write_adjusts_from_counters, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(session_write_holds_under_parallel_writes, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(blocks_escalate_once_and_lift_with_events, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(records_are_compare_and_swap, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(expired_records_read_as_absent, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(records_list_in_key_order, setup_sqlite, teardown),
		cmocka_unit_test(unknown_backend_is_named),
		cmocka_unit_test(url_password_is_masked),
	};
	return cmocka_run_group_tests_name("store (sqlite)", tests, NULL, NULL);
}
