/* The SQLite store's messages: the outbox the delivery worker takes from
 * (store_outbox_*), delivery reports (store_message_report), and what support
 * reads of them (the timeline, hand-overs, delivery stats). A message is
 * written with its session change in sqlite.c (insert_message). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/durable.h"
#include "store/sqlite_db.h"

static void read_message(sqlite3_stmt *st, struct store_message *m)
{
	memset(m, 0, offsetof(struct store_message, body));
	m->body_len = 0;
	sqlite_copy_text(m->id, sizeof m->id, st, 0);
	sqlite_copy_text(m->session_id, sizeof m->session_id, st, 1);
	sqlite_copy_text(m->to, sizeof m->to, st, 2);
	sqlite_copy_text(m->channel, sizeof m->channel, st, 3);
	sqlite_copy_text(m->provider, sizeof m->provider, st, 4);
	m->state = sqlite3_column_int(st, 5);
	m->attempts = sqlite3_column_int(st, 6);
	m->created_at = sqlite3_column_int64(st, 7);
	m->next_attempt_at = sqlite3_column_int64(st, 8);
	m->sent_at = sqlite3_column_int64(st, 9);
	sqlite_copy_text(m->error, sizeof m->error, st, 10);
	sqlite_copy_text(m->region, sizeof m->region, st, 11);
	sqlite_copy_text(m->provider_ref, sizeof m->provider_ref, st, 12);
	m->accepted_at = sqlite3_column_int64(st, 13);
	m->final_at = sqlite3_column_int64(st, 14);
	m->n_tried = 0;
}

int sqlite_insert_message(struct sqlite_db *db, const struct store_message *m)
{
	sqlite3_stmt *st = db->stmt[S_MESSAGE_INSERT];
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->provider, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, m->state);
	sqlite3_bind_int(st, 7, m->attempts);
	sqlite3_bind_int64(st, 8, m->created_at);
	sqlite3_bind_int64(st, 9, m->next_attempt_at);
	sqlite3_bind_int64(st, 10, m->sent_at);
	sqlite3_bind_text(st, 11, m->error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, m->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, m->provider_ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, m->accepted_at);
	sqlite3_bind_int64(st, 15, m->final_at);
	sqlite3_bind_blob(st, 16, m->body, (int)m->body_len, SQLITE_STATIC);
	return sqlite_step_done(db, S_MESSAGE_INSERT) == SQLITE_DONE ? 0 : sqlite_fail(db, "insert message");
}

/* Fails the session's messages still in the outbox, once it is canceled or
 * verified. */
int sqlite_drop_queued(struct sqlite_db *db, const struct store_session *s)
{
	sqlite3_stmt *st = db->stmt[S_MESSAGES_DROP];
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->canceled_at ? s->canceled_at : s->verified_at);
	sqlite3_bind_int(st, 3, s->canceled_at != 0);
	return sqlite_step_done(db, S_MESSAGES_DROP) == SQLITE_DONE ? 0 : sqlite_fail(db, "drop queued messages");
}

/* Read on the writer's connection: rare (the worker's poll), and it must see
 * what the open group has queued. */
int sqlite_outbox_due(void *state, int64_t now, struct store_due *out, size_t max, size_t *n)
{
	struct sqlite_db *db = state;
	*n = 0;
	sqlite_enter(db);
	sqlite3_stmt *st = db->stmt[S_OUTBOX_DUE];
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	int step = SQLITE_DONE;
	while (*n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_due *d = &out[(*n)++];
		sqlite_copy_text(d->id, sizeof d->id, st, 0);
		sqlite_copy_text(d->session_id, sizeof d->session_id, st, 1);
		sqlite_copy_text(d->region, sizeof d->region, st, 2);
		sqlite_copy_text(d->channel, sizeof d->channel, st, 3);
		d->created_at = sqlite3_column_int64(st, 4);
	}
	int rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 : sqlite_fail(db, "read outbox");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite_leave(db, 0);
	if (rc < 0)
		*n = 0;
	return rc;
}

static int insert_attempt(struct sqlite_db *db, const struct store_attempt *a)
{
	sqlite3_stmt *st = db->stmt[S_ATTEMPT_INSERT];
	sqlite3_bind_text(st, 1, a->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->provider, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, a->outcome);
	sqlite3_bind_int64(st, 4, a->started_at);
	sqlite3_bind_int64(st, 5, a->finished_at);
	sqlite3_bind_text(st, 6, a->error, -1, SQLITE_STATIC);
	return sqlite_step_done(db, S_ATTEMPT_INSERT) == SQLITE_DONE ? 0 : sqlite_fail(db, "record attempt");
}

/* Whether message id went to provider: a report that changed nothing is
 * stale (the message is past its state) or names no message of ours. */
static int message_exists(struct sqlite_db *db, const char *id, const char *provider)
{
	sqlite3_stmt *st = db->stmt[S_MESSAGE_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW &&
		    !strcmp((const char *)sqlite3_column_text(st, 4), provider);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int sqlite_outbox_finish_rows(struct sqlite_db *db, const struct store_message *m, size_t n)
{
	sqlite3_stmt *st = db->stmt[S_OUTBOX_FINISH];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_text(st, 1, m[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, m[i].provider, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, m[i].state);
		sqlite3_bind_int64(st, 4, m[i].next_attempt_at);
		sqlite3_bind_int64(st, 5, m[i].sent_at);
		sqlite3_bind_text(st, 6, m[i].error, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, m[i].provider_ref, -1, SQLITE_STATIC);
		if (sqlite_step_done(db, S_OUTBOX_FINISH) != SQLITE_DONE)
			rc = sqlite_fail(db, "finish message");
		for (int k = 0; rc == 0 && k < m[i].n_tried && k < STORE_ATTEMPTS_MAX; k++)
			rc = insert_attempt(db, &m[i].tried[k]);
	}
	return rc;
}

/* A thread that does not wait for the commit (base/durable.h) does not
 * queue for the lock either: the round is handed to the holder (or written
 * here when nobody holds it). See sqlite_handed.c. */
int sqlite_outbox_finish(void *state, const struct store_message *m, size_t n)
{
	struct sqlite_db *db = state;
	if (durable_deferring()) {
		sqlite_handed_push(db, m, n);
		if (pthread_mutex_trylock(&db->lock) == 0)
			sqlite_leave(db, 0); /* which writes it */
		return 0;
	}
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_outbox_finish_rows(db, m, n);
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc < 0 ? rc : crc;
}

/* Takes id for a round inside the caller's savepoint: 0 with *out filled,
 * STORE_CONFLICT when it is not queued and due, negative on a failure. */
static int take_one(struct sqlite_db *db, const char *id, const char *provider, int64_t now,
		    struct store_message *out)
{
	/* UPDATE, then SELECT: cheaper than RETURNING, which goes through a
	 * temporary table. */
	sqlite3_stmt *st = db->stmt[S_OUTBOX_TAKE];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, provider, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite_step_done(db, S_OUTBOX_TAKE) != SQLITE_DONE)
		return sqlite_fail(db, "take message");
	if (sqlite3_changes(db->conn) == 0)
		return STORE_CONFLICT;
	st = db->stmt[S_MESSAGE_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : sqlite_fail(db, "read taken message");
	if (rc == 0) {
		read_message(st, out);
		out->body_len = sqlite_copy_blob(out->body, sizeof out->body, st, 15);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* The finished rounds first, then the takes, in one savepoint: a take that
 * finds its message gone (STORE_CONFLICT) changed nothing, so the savepoint
 * is kept for the outcomes and the other takes. */
int sqlite_outbox_take(void *state, const struct store_message *done, size_t n_done,
		       struct store_take *want, size_t n, int64_t now, struct store_message *out)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	size_t taken = 0;
	for (size_t i = 0; i < n; i++)
		want[i].rc = STORE_CONFLICT;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_outbox_finish_rows(db, done, n_done);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			int one = take_one(db, want[i].id, want[i].provider, now, &out[i]);
			if (one < 0)
				rc = one;
			else
				want[i].rc = one;
			taken += one == 0;
		}
		group = sqlite_write_end(db, rc == 0 && (taken || n_done));
	}
	int crc = sqlite_leave(db, group);
	if (rc < 0 || crc < 0)
		for (size_t i = 0; i < n; i++)
			want[i].rc = STORE_CONFLICT;
	return rc < 0 ? rc : crc;
}

int sqlite_outbox_handing(void *state, const char *id, const char *provider)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		sqlite3_bind_text(db->stmt[S_OUTBOX_HANDING], 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(db->stmt[S_OUTBOX_HANDING], 2, provider, -1, SQLITE_STATIC);
		rc = sqlite_step_done(db, S_OUTBOX_HANDING) == SQLITE_DONE ? 0 : sqlite_fail(db, "hand over message");
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc < 0 ? rc : crc;
}

int sqlite_outbox_recover(void *state, int64_t now, size_t *requeued, size_t *unknown)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	*requeued = *unknown = 0;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_step_done(db, S_OUTBOX_RECOVER) == SQLITE_DONE ? 0 : sqlite_fail(db, "recover outbox");
		*requeued = rc == 0 ? (size_t)sqlite3_changes(db->conn) : 0;
		/* Gather first: the attempt inserts reuse the connection. */
		struct store_attempt *found = NULL;
		size_t n = 0;
		sqlite3_stmt *st = db->stmt[S_OUTBOX_UNKNOWN];
		sqlite3_bind_int64(st, 1, now);
		int step;
		while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
			found = xrealloc(found, (n + 1) * sizeof *found);
			struct store_attempt *a = &found[n++];
			memset(a, 0, sizeof *a);
			sqlite_copy_text(a->message_id, sizeof a->message_id, st, 0);
			sqlite_copy_text(a->provider, sizeof a->provider, st, 1);
			a->outcome = STORE_ATTEMPT_UNKNOWN;
			a->started_at = a->finished_at = now;
			strfmt(a->error, sizeof a->error,
			       "iotpd stopped during the hand-over; the message was not sent again");
		}
		if (rc == 0 && step != SQLITE_DONE)
			rc = sqlite_fail(db, "recover hand-overs");
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = insert_attempt(db, &found[i]);
		*unknown = rc == 0 ? n : 0;
		free(found);
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc < 0 ? rc : crc;
}

int sqlite_message_report(void *state, const struct store_report *r,
			     struct store_reported *out)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	char id[STORE_ID_MAX];
	strfmt(id, sizeof id, "%s", r->id);
	sqlite_enter(db);
	if (sqlite_write_begin(db) < 0)
		goto out;
	rc = 0;
	if (!id[0]) {
		sqlite3_stmt *st = db->stmt[S_REPORT_BY_REF];
		sqlite3_bind_text(st, 1, r->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->provider_ref, -1, SQLITE_STATIC);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			sqlite_copy_text(id, sizeof id, st, 0);
		else if (step == SQLITE_DONE)
			rc = STORE_NOT_FOUND;
		else
			rc = sqlite_fail(db, "find reported message");
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (rc == 0) {
		sqlite3_stmt *st = db->stmt[S_REPORT];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->provider, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->state);
		sqlite3_bind_text(st, 4, r->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, r->at);
		sqlite3_bind_text(st, 6, r->provider_ref, -1, SQLITE_STATIC);
		if (sqlite_step_done(db, S_REPORT) != SQLITE_DONE)
			rc = sqlite_fail(db, "apply report");
		else if (sqlite3_changes(db->conn) == 0)
			rc = message_exists(db, id, r->provider) ? STORE_STALE : STORE_NOT_FOUND;
	}
	if (out)
		memset(out, 0, sizeof *out);
	if (rc == 0 && out) {
		sqlite3_stmt *st = db->stmt[S_REPORTED];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			sqlite_copy_text(out->region, sizeof out->region, st, 0);
			out->created_at = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	/* A stale report's UPDATE changed nothing: its savepoint is released, not
	 * rolled back (ROLLBACK TO frees the statement journal, and glibc gave
	 * that memory back with madvise on every stale report: 2 % of iotpd's
	 * CPU in bench/delivery.mjs, where the "delivered" report often passes
	 * the "accepted" one). It waits for the group like any write, as the state
	 * that made it stale may still be in the open group. */
	group = sqlite_write_end(db, rc == 0 || rc == STORE_STALE);
out:;
	int crc = sqlite_leave(db, group);
	if (out)
		strfmt(out->id, sizeof out->id, "%s", rc == 0 || rc == STORE_STALE ? id : "");
	return rc != 0 ? rc : crc;
}

/* The reads of a session's messages and hand-overs, with db entered. */
static int attempts_entered(struct sqlite_db *db, const char *session_id,
			    void (*fn)(const struct store_attempt *a, void *arg), void *arg)
{
	struct store_attempt a;
	sqlite3_stmt *st = db->stmt[S_SESSION_ATTEMPTS];
	sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		sqlite_copy_text(a.message_id, sizeof a.message_id, st, 0);
		sqlite_copy_text(a.provider, sizeof a.provider, st, 1);
		a.outcome = sqlite3_column_int(st, 2);
		a.started_at = sqlite3_column_int64(st, 3);
		a.finished_at = sqlite3_column_int64(st, 4);
		sqlite_copy_text(a.error, sizeof a.error, st, 5);
		fn(&a, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read attempts");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int sqlite_session_attempts(void *state, const char *session_id,
			    void (*fn)(const struct store_attempt *a, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite_enter(db);
	int rc = attempts_entered(db, session_id, fn, arg);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_delivery_stats(void *state, int64_t since,
			     void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	static const char sql[] =
		"SELECT provider, region, count(*),"
		" sum(sent_at > 0), sum(state = 5), sum(state IN (3, 6)),"
		" coalesce(avg(CASE WHEN sent_at > 0 THEN sent_at - created_at END), 0),"
		" coalesce(max(CASE WHEN sent_at > 0 THEN sent_at - created_at END), 0),"
		" coalesce(avg(CASE WHEN state = 5 THEN final_at - created_at END), 0),"
		" coalesce(max(CASE WHEN state = 5 THEN final_at - created_at END), 0)"
		" FROM messages WHERE created_at >= ?1 AND provider <> ''"
		" GROUP BY provider, region ORDER BY provider, region";
	sqlite3_stmt *st;
	sqlite_enter(db);
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK) {
		int rc = sqlite_fail(db, "prepare delivery stats");
		sqlite_leave(db, 0);
		return rc;
	}
	sqlite3_bind_int64(st, 1, since);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_delivery_stats d;
		memset(&d, 0, sizeof d);
		sqlite_copy_text(d.provider, sizeof d.provider, st, 0);
		sqlite_copy_text(d.region, sizeof d.region, st, 1);
		d.messages = sqlite3_column_int64(st, 2);
		d.submitted = sqlite3_column_int64(st, 3);
		d.delivered = sqlite3_column_int64(st, 4);
		d.failed = sqlite3_column_int64(st, 5);
		d.submit_ms_avg = sqlite3_column_int64(st, 6);
		d.submit_ms_max = sqlite3_column_int64(st, 7);
		d.deliver_ms_avg = sqlite3_column_int64(st, 8);
		d.deliver_ms_max = sqlite3_column_int64(st, 9);
		fn(&d, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read delivery stats");
	sqlite3_finalize(st);
	sqlite_leave(db, 0);
	return rc;
}

static int messages_entered(struct sqlite_db *db, const char *session_id,
			    void (*fn)(const struct store_message *m, void *arg), void *arg)
{
	struct store_message *m = xmalloc(sizeof *m);
	sqlite3_stmt *st = db->stmt[S_SESSION_MESSAGES];
	sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		read_message(st, m);
		fn(m, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read messages");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(m);
	return rc;
}

int sqlite_session_messages(void *state, const char *session_id,
			    void (*fn)(const struct store_message *m, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite_enter(db);
	int rc = messages_entered(db, session_id, fn, arg);
	sqlite_leave(db, 0);
	return rc;
}

/* Both reads under one entry of db: no write comes between them. */
int sqlite_session_history(void *state, const char *session_id,
			   void (*msg_fn)(const struct store_message *m, void *arg),
			   void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite_enter(db);
	int rc = messages_entered(db, session_id, msg_fn, arg);
	if (rc == 0)
		rc = attempts_entered(db, session_id, attempt_fn, arg);
	sqlite_leave(db, 0);
	return rc;
}
