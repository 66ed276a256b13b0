/* The PostgreSQL store's messages: the outbox every node's delivery worker
 * takes from, delivery reports (whichever node receives them), and what
 * support reads of them.
 *
 * A take is one "UPDATE ... WHERE state = queued RETURNING": of any number of
 * nodes racing for a message, exactly one gets it. The taker writes its name
 * and a lease; a node that dies holding messages loses them when the lease
 * ends: any node's next poll puts back those not yet being handed over, and
 * marks those caught mid-hand-over as submitted with an unknown outcome (never
 * sent twice), as store_outbox_recover does after a crash of one node. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/postgres_db.h"

#define MESSAGE_COLS                                                                           \
	"id, session_id, to_phone, channel, provider, state, attempts, created_at,"             \
	" next_attempt_at, sent_at, error, region, provider_ref, accepted_at, final_at"

/* store_message_rank in SQL, for the report's "never backwards" rule. */
#define RANK(x) "(CASE " x " WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 4 THEN 3 ELSE 4 END)"

/* Expired leases are looked for at most this often by one node's polls. */
#define SWEEP_MS 1000

const char *const pg_outbox_sql[P_COUNT] = {
	/* Written taken (state 1), it is being handed to its provider by this
	 * node, under a lease as a take gives. */
	[P_MESSAGE_INSERT] = "INSERT INTO messages (" MESSAGE_COLS ", body, handing, lease_until,"
			     " claimed_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
			     "$15,$16, CASE WHEN $6::int = 1 THEN $5::text ELSE '' END,"
			     " CASE WHEN $6::int = 1 THEN $17::bigint ELSE 0 END,"
			     " CASE WHEN $6::int = 1 THEN $18::text ELSE '' END)",
	/* A code still queued for a session that is over would only cost money. */
	[P_MESSAGES_DROP] = "UPDATE messages SET state = 3, final_at = $2, body = NULL, error = CASE"
			    " WHEN $3::int = 1 THEN 'the verification was canceled before this message"
			    " went out; it was not sent' ELSE 'the number was verified before this"
			    " message went out; it was not sent' END WHERE session_id = $1 AND state = 0",
	/* $2: this node (its own claims from before a restart), or '' for none. */
	[P_OUTBOX_EXPIRED] = "UPDATE messages SET state = 0, lease_until = 0, claimed_by = ''"
			     " WHERE state = 1 AND handing = ''"
			     " AND (lease_until <= $1 OR (claimed_by = $2 AND $2 <> ''))",
	[P_OUTBOX_EXPIRED_HANDING] =
		"UPDATE messages SET state = 2, sent_at = $1, body = NULL, handing = '',"
		" lease_until = 0, error = 'iotpd stopped while handing this message to ' ||"
		" provider || '; it was not sent again, so the person gets it at most once (ask for a"
		" new code if it never arrives)' WHERE state = 1 AND handing <> ''"
		" AND (lease_until <= $1 OR (claimed_by = $2 AND $2 <> '')) RETURNING id, provider",
	[P_OUTBOX_DUE] = "SELECT id, session_id, region, channel, created_at FROM messages"
			 " WHERE state = 0 AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
	/* The claim and the first hand-over in one statement: a crash after it
	 * counts the message as handed over (at most once). */
	[P_OUTBOX_TAKE] = "UPDATE messages SET state = 1, attempts = attempts + 1, handing = $2,"
			  " provider = CASE WHEN $2 <> '' THEN $2 ELSE provider END,"
			  " lease_until = $4, claimed_by = $5"
			  " WHERE id = $1 AND state = 0 AND next_attempt_at <= $3"
			  " RETURNING " MESSAGE_COLS ", body",
	/* A report that came in during the round (state no longer 1) wins. */
	[P_OUTBOX_FINISH] = "UPDATE messages SET provider=$2, handing='', lease_until=0,"
			    " claimed_by='', next_attempt_at=$4,"
			    " error = CASE WHEN state = 1 THEN $6 ELSE error END,"
			    " sent_at = CASE WHEN sent_at = 0 THEN $5 ELSE sent_at END,"
			    " provider_ref = CASE WHEN provider_ref = '' THEN $7 ELSE provider_ref END,"
			    " body = CASE WHEN $3::int >= 2 OR state <> 1 THEN NULL ELSE body END,"
			    " state = CASE WHEN state = 1 THEN $3::int ELSE state END"
			    " WHERE id=$1",
	[P_OUTBOX_HANDING] = "UPDATE messages SET handing = $2, provider = $2 WHERE id = $1 AND state = 1",
	[P_ATTEMPT_INSERT] = "INSERT INTO message_attempts (message_id, provider, outcome, started_at,"
			     " finished_at, error) VALUES ($1,$2,$3,$4,$5,$6)",
	[P_REPORT_BY_REF] = "SELECT id FROM messages WHERE provider = $1 AND provider_ref = $2 LIMIT 1",
	[P_REPORT] = "UPDATE messages SET state = $3::int,"
		     " error = CASE WHEN $4 <> '' THEN $4 ELSE error END,"
		     " accepted_at = CASE WHEN $3::int = 4 THEN $5 ELSE accepted_at END,"
		     " final_at = CASE WHEN $3::int IN (3, 5, 6) THEN $5 ELSE final_at END,"
		     " sent_at = CASE WHEN sent_at = 0 THEN $5 ELSE sent_at END,"
		     " provider_ref = CASE WHEN provider_ref = '' THEN $6 ELSE provider_ref END,"
		     " body = NULL"
		     " WHERE id = $1 AND provider = $2 AND " RANK("state") " < " RANK("$3::int")
		     " RETURNING region, created_at",
	[P_MESSAGE_EXISTS] = "SELECT 1 FROM messages WHERE id = $1 AND provider = $2",
	[P_SESSION_ATTEMPTS] = "SELECT a.message_id, a.provider, a.outcome, a.started_at,"
			       " a.finished_at, a.error FROM message_attempts a JOIN messages m"
			       " ON m.id = a.message_id WHERE m.session_id = $1 ORDER BY a.seq",
	[P_SESSION_MESSAGES] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = $1"
			       " ORDER BY created_at, seq",
	[P_DELIVERY_STATS] =
		"SELECT provider, region, count(*),"
		" count(*) FILTER (WHERE sent_at > 0), count(*) FILTER (WHERE state = 5),"
		" count(*) FILTER (WHERE state IN (3, 6)),"
		" coalesce(trunc(avg(CASE WHEN sent_at > 0 THEN sent_at - created_at END)), 0),"
		" coalesce(max(CASE WHEN sent_at > 0 THEN sent_at - created_at END), 0),"
		" coalesce(trunc(avg(CASE WHEN state = 5 THEN final_at - created_at END)), 0),"
		" coalesce(max(CASE WHEN state = 5 THEN final_at - created_at END), 0)"
		" FROM messages WHERE created_at >= $1 AND provider <> ''"
		" GROUP BY provider, region ORDER BY provider, region",
};

static void read_message(PGresult *r, int row, struct store_message *m)
{
	memset(m, 0, offsetof(struct store_message, body));
	m->body_len = 0;
	pg_text(m->id, sizeof m->id, r, row, 0);
	pg_text(m->session_id, sizeof m->session_id, r, row, 1);
	pg_text(m->to, sizeof m->to, r, row, 2);
	pg_text(m->channel, sizeof m->channel, r, row, 3);
	pg_text(m->provider, sizeof m->provider, r, row, 4);
	m->state = (int)pg_int(r, row, 5);
	m->attempts = (int)pg_int(r, row, 6);
	m->created_at = pg_int(r, row, 7);
	m->next_attempt_at = pg_int(r, row, 8);
	m->sent_at = pg_int(r, row, 9);
	pg_text(m->error, sizeof m->error, r, row, 10);
	pg_text(m->region, sizeof m->region, r, row, 11);
	pg_text(m->provider_ref, sizeof m->provider_ref, r, row, 12);
	m->accepted_at = pg_int(r, row, 13);
	m->final_at = pg_int(r, row, 14);
}

/* Runs a statement that returns nothing the caller needs: 0 or -1. */
static int run_done(struct pg_db *db, struct pg_conn *c, enum pg_stmt id, const struct pg_params *p)
{
	PGresult *r = pg_run(db, c, id, p, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

int pg_message_insert(struct pg_db *db, struct pg_conn *c, const struct store_message *m)
{
	struct pg_params p = {0};
	pg_p_text(&p, m->id);
	pg_p_text(&p, m->session_id);
	pg_p_text(&p, m->to);
	pg_p_text(&p, m->channel);
	pg_p_text(&p, m->provider);
	pg_p_int(&p, m->state);
	pg_p_int(&p, m->attempts);
	pg_p_int(&p, m->created_at);
	pg_p_int(&p, m->next_attempt_at);
	pg_p_int(&p, m->sent_at);
	pg_p_text(&p, m->error);
	pg_p_text(&p, m->region);
	pg_p_text(&p, m->provider_ref);
	pg_p_int(&p, m->accepted_at);
	pg_p_int(&p, m->final_at);
	pg_p_blob(&p, m->body, m->body_len);
	pg_p_int(&p, m->created_at + db->lease_ms);
	pg_p_text(&p, db->node);
	return run_done(db, c, P_MESSAGE_INSERT, &p);
}

int pg_drop_queued(struct pg_db *db, struct pg_conn *c, const struct store_session *s)
{
	struct pg_params p = {0};
	pg_p_text(&p, s->id);
	pg_p_int(&p, s->canceled_at ? s->canceled_at : s->verified_at);
	pg_p_int(&p, s->canceled_at != 0);
	return run_done(db, c, P_MESSAGES_DROP, &p);
}

static int insert_attempt(struct pg_db *db, struct pg_conn *c, const struct store_attempt *a)
{
	struct pg_params p = {0};
	pg_p_text(&p, a->message_id);
	pg_p_text(&p, a->provider);
	pg_p_int(&p, a->outcome);
	pg_p_int(&p, a->started_at);
	pg_p_int(&p, a->finished_at);
	pg_p_text(&p, a->error);
	return run_done(db, c, P_ATTEMPT_INSERT, &p);
}

/* Takes back, in one transaction, the claims whose lease ended by now and (with
 * node) those this node held before it restarted. */
static int take_back(struct pg_db *db, struct pg_conn *c, int64_t now, const char *node,
		     size_t *requeued, size_t *unknown)
{
	struct pg_params p = {0};
	pg_p_int(&p, now);
	pg_p_text(&p, node);
	*requeued = *unknown = 0;
	if (pg_cmd(db, c, "BEGIN") < 0)
		return -1;
	PGresult *r = pg_run(db, c, P_OUTBOX_EXPIRED, &p, NULL);
	int rc = r ? 0 : -1;
	if (r)
		*requeued = (size_t)pg_changed(r);
	PQclear(r);
	r = rc == 0 ? pg_run(db, c, P_OUTBOX_EXPIRED_HANDING, &p, NULL) : NULL;
	if (rc == 0 && !r)
		rc = -1;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		struct store_attempt a = {.outcome = STORE_ATTEMPT_UNKNOWN, .started_at = now,
					  .finished_at = now};
		pg_text(a.message_id, sizeof a.message_id, r, i, 0);
		pg_text(a.provider, sizeof a.provider, r, i, 1);
		strfmt(a.error, sizeof a.error,
		       "iotpd stopped during the hand-over; the message was not sent again");
		rc = insert_attempt(db, c, &a);
	}
	if (rc == 0)
		*unknown = (size_t)PQntuples(r);
	PQclear(r);
	if (rc < 0 || pg_cmd(db, c, "COMMIT") < 0) {
		pg_cmd(db, c, "ROLLBACK");
		*requeued = *unknown = 0;
		return -1;
	}
	if (*requeued || *unknown)
		log_warn("postgres: took back %zu message(s) whose node stopped holding them and "
			 "%zu caught mid-hand-over (not sent again)",
			 *requeued, *unknown);
	return 0;
}

int pg_outbox_due(void *state, int64_t now, struct store_due *out, size_t max, size_t *n)
{
	struct pg_db *db = state;
	*n = 0;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	if (now - db->swept_at >= SWEEP_MS || now < db->swept_at) {
		size_t requeued, unknown;
		db->swept_at = now; /* a race here costs one extra sweep, nothing more */
		take_back(db, c, now, "", &requeued, &unknown);
	}
	struct pg_params p = {0};
	pg_p_int(&p, now);
	pg_p_int(&p, (int64_t)max);
	PGresult *r = pg_run(db, c, P_OUTBOX_DUE, &p, NULL);
	pg_release(db, c);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < max; i++) {
		struct store_due *d = &out[(*n)++];
		pg_text(d->id, sizeof d->id, r, i, 0);
		pg_text(d->session_id, sizeof d->session_id, r, i, 1);
		pg_text(d->region, sizeof d->region, r, i, 2);
		pg_text(d->channel, sizeof d->channel, r, i, 3);
		d->created_at = pg_int(r, i, 4);
	}
	PQclear(r);
	return 0;
}

/* store_outbox_finish's rows, on c (inside the caller's transaction). */
static int finish_rows(struct pg_db *db, struct pg_conn *c, const struct store_message *m,
		       size_t n)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct pg_params p = {0};
		pg_p_text(&p, m[i].id);
		pg_p_text(&p, m[i].provider);
		pg_p_int(&p, m[i].state);
		pg_p_int(&p, m[i].next_attempt_at);
		pg_p_int(&p, m[i].sent_at);
		pg_p_text(&p, m[i].error);
		pg_p_text(&p, m[i].provider_ref);
		rc = run_done(db, c, P_OUTBOX_FINISH, &p);
		for (int k = 0; rc == 0 && k < m[i].n_tried && k < STORE_ATTEMPTS_MAX; k++)
			rc = insert_attempt(db, c, &m[i].tried[k]);
	}
	return rc;
}

struct take {
	const struct store_message *done;
	size_t n_done;
	struct store_take *want;
	size_t n;
	int64_t now;
	struct store_message *out;
};

/* The finished rounds, then the takes: 0 (committed) also when a take finds
 * nothing (its want[i].rc says), so the rounds and the other takes stay. */
static int take_in(struct pg_db *db, struct pg_conn *c, void *arg)
{
	struct take *t = arg;
	if (finish_rows(db, c, t->done, t->n_done) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		struct pg_params p = {0};
		pg_p_text(&p, t->want[i].id);
		pg_p_text(&p, t->want[i].provider);
		pg_p_int(&p, t->now);
		pg_p_int(&p, t->now + db->lease_ms);
		pg_p_text(&p, db->node);
		PGresult *r = pg_run(db, c, P_OUTBOX_TAKE, &p, NULL);
		if (!r)
			return -1;
		t->want[i].rc = PQntuples(r) == 1 ? 0 : STORE_CONFLICT;
		if (t->want[i].rc == 0) {
			read_message(r, 0, &t->out[i]);
			t->out[i].body_len = pg_blob(t->out[i].body, sizeof t->out[i].body, r, 0, 15);
		}
		PQclear(r);
	}
	return 0;
}

/* With finished rounds to record or several takes, one transaction; a lone
 * take is one UPDATE ... RETURNING, its own transaction. */
int pg_outbox_take(void *state, const struct store_message *done, size_t n_done,
		   struct store_take *want, size_t n, int64_t now, struct store_message *out)
{
	struct pg_db *db = state;
	struct take t = {done, n_done, want, n, now, out};
	int rc;
	for (size_t i = 0; i < n; i++)
		want[i].rc = STORE_CONFLICT;
	if (n_done || n > 1) {
		rc = pg_in_txn(db, take_in, &t);
	} else {
		struct pg_conn *c = pg_acquire(db);
		if (!c)
			return -1;
		rc = take_in(db, c, &t);
		pg_release(db, c);
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			want[i].rc = STORE_CONFLICT;
		return -1;
	}
	return 0;
}

static int finish_in(struct pg_db *db, struct pg_conn *c, void *arg)
{
	const struct take *t = arg;
	return finish_rows(db, c, t->done, t->n_done);
}

int pg_outbox_finish(void *state, const struct store_message *m, size_t n)
{
	struct take t = {.done = m, .n_done = n};
	return pg_in_txn(state, finish_in, &t);
}

int pg_outbox_handing(void *state, const char *id, const char *provider)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	struct pg_params p = {0};
	pg_p_text(&p, id);
	pg_p_text(&p, provider);
	int rc = run_done(db, c, P_OUTBOX_HANDING, &p);
	pg_release(db, c);
	return rc;
}

/* At start-up: this node's own claims (it is starting, so none is in hand)
 * and any node's whose lease ended. Other nodes' live claims are left alone. */
int pg_outbox_recover(void *state, int64_t now, size_t *requeued, size_t *unknown)
{
	struct pg_db *db = state;
	*requeued = *unknown = 0;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = take_back(db, c, now, db->node, requeued, unknown);
	pg_release(db, c);
	return rc;
}

int pg_message_report(void *state, const struct store_report *r, struct store_reported *out)
{
	struct pg_db *db = state;
	char id[STORE_ID_MAX];
	strfmt(id, sizeof id, "%s", r->id);
	if (out)
		memset(out, 0, sizeof *out);
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = 0;
	PGresult *res;
	if (!id[0]) {
		struct pg_params p = {0};
		pg_p_text(&p, r->provider);
		pg_p_text(&p, r->provider_ref);
		res = pg_run(db, c, P_REPORT_BY_REF, &p, NULL);
		if (!res)
			rc = -1;
		else if (PQntuples(res) == 0)
			rc = STORE_NOT_FOUND;
		else
			pg_text(id, sizeof id, res, 0, 0);
		PQclear(res);
	}
	if (rc == 0) {
		struct pg_params p = {0};
		pg_p_text(&p, id);
		pg_p_text(&p, r->provider);
		pg_p_int(&p, r->state);
		pg_p_text(&p, r->reason);
		pg_p_int(&p, r->at);
		pg_p_text(&p, r->provider_ref);
		res = pg_run(db, c, P_REPORT, &p, NULL);
		if (!res) {
			rc = -1;
		} else if (PQntuples(res) == 0) {
			struct pg_params q = {0};
			pg_p_text(&q, id);
			pg_p_text(&q, r->provider);
			PGresult *e = pg_run(db, c, P_MESSAGE_EXISTS, &q, NULL);
			rc = !e ? -1 : PQntuples(e) ? STORE_STALE : STORE_NOT_FOUND;
			PQclear(e);
		} else if (out) {
			pg_text(out->region, sizeof out->region, res, 0, 0);
			out->created_at = pg_int(res, 0, 1);
		}
		PQclear(res);
	}
	pg_release(db, c);
	if (out)
		strfmt(out->id, sizeof out->id, "%s", rc == 0 || rc == STORE_STALE ? id : "");
	return rc;
}

/* Runs a read with one text parameter on c and hands each row to each(). */
static int each_row_on(struct pg_db *db, struct pg_conn *c, enum pg_stmt id, const char *key,
		       void (*each)(PGresult *r, int row, void *ctx), void *ctx)
{
	struct pg_params p = {0};
	pg_p_text(&p, key);
	PGresult *r = pg_run(db, c, id, &p, NULL);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		each(r, i, ctx);
	PQclear(r);
	return 0;
}

static int each_row(struct pg_db *db, enum pg_stmt id, const char *key,
		    void (*each)(PGresult *r, int row, void *ctx), void *ctx)
{
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = each_row_on(db, c, id, key, each, ctx);
	pg_release(db, c);
	return rc;
}

struct attempts_ctx {
	void (*fn)(const struct store_attempt *a, void *arg);
	void *arg;
};

static void each_attempt(PGresult *r, int row, void *ctx)
{
	struct attempts_ctx *x = ctx;
	struct store_attempt a;
	memset(&a, 0, sizeof a);
	pg_text(a.message_id, sizeof a.message_id, r, row, 0);
	pg_text(a.provider, sizeof a.provider, r, row, 1);
	a.outcome = (int)pg_int(r, row, 2);
	a.started_at = pg_int(r, row, 3);
	a.finished_at = pg_int(r, row, 4);
	pg_text(a.error, sizeof a.error, r, row, 5);
	x->fn(&a, x->arg);
}

int pg_session_attempts(void *state, const char *session_id,
			void (*fn)(const struct store_attempt *a, void *arg), void *arg)
{
	struct attempts_ctx x = {fn, arg};
	return each_row(state, P_SESSION_ATTEMPTS, session_id, each_attempt, &x);
}

struct messages_ctx {
	void (*fn)(const struct store_message *m, void *arg);
	void *arg;
	struct store_message *m;
};

static void each_message(PGresult *r, int row, void *ctx)
{
	struct messages_ctx *x = ctx;
	read_message(r, row, x->m);
	x->fn(x->m, x->arg);
}

int pg_session_messages(void *state, const char *session_id,
			void (*fn)(const struct store_message *m, void *arg), void *arg)
{
	struct messages_ctx x = {fn, arg, xmalloc(sizeof *x.m)};
	int rc = each_row(state, P_SESSION_MESSAGES, session_id, each_message, &x);
	free(x.m);
	return rc;
}

/* Both reads in one snapshot (a repeatable-read transaction): a round that
 * finishes between them is seen whole or not at all. */
int pg_session_history(void *state, const char *session_id,
		       void (*msg_fn)(const struct store_message *m, void *arg),
		       void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	struct messages_ctx mx = {msg_fn, arg, xmalloc(sizeof *mx.m)};
	struct attempts_ctx ax = {attempt_fn, arg};
	int rc = pg_cmd(db, c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	if (rc == 0)
		rc = each_row_on(db, c, P_SESSION_MESSAGES, session_id, each_message, &mx);
	if (rc == 0)
		rc = each_row_on(db, c, P_SESSION_ATTEMPTS, session_id, each_attempt, &ax);
	if (pg_cmd(db, c, rc == 0 ? "COMMIT" : "ROLLBACK") < 0)
		rc = -1;
	pg_release(db, c);
	free(mx.m);
	return rc;
}

int pg_delivery_stats(void *state, int64_t since,
		      void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	struct pg_params p = {0};
	pg_p_int(&p, since);
	PGresult *r = pg_run(db, c, P_DELIVERY_STATS, &p, NULL);
	pg_release(db, c);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_delivery_stats d;
		memset(&d, 0, sizeof d);
		pg_text(d.provider, sizeof d.provider, r, i, 0);
		pg_text(d.region, sizeof d.region, r, i, 1);
		d.messages = pg_int(r, i, 2);
		d.submitted = pg_int(r, i, 3);
		d.delivered = pg_int(r, i, 4);
		d.failed = pg_int(r, i, 5);
		d.submit_ms_avg = pg_int(r, i, 6);
		d.submit_ms_max = pg_int(r, i, 7);
		d.deliver_ms_avg = pg_int(r, i, 8);
		d.deliver_ms_max = pg_int(r, i, 9);
		fn(&d, arg);
	}
	PQclear(r);
	return 0;
}
