/* The PostgreSQL store's shared counters: token buckets, decaying counters,
 * fraud measures and their log, and the facades' records.
 *
 * A bucket or counter is one upsert that reads, refills (or decays) and
 * writes the row in one statement, holding its row lock to the end of the
 * transaction: parallel requests on every node queue on the row, and none
 * takes what another took. The rows of one call are locked in key order, so
 * two calls never wait for each other in a circle. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/postgres_db.h"

/* A value decayed over more than 60 half-lives is 0 (and tiny values are
 * flushed to 0): PostgreSQL refuses a float that underflows. */
#define DECAY_AT(col, hl, now)                                                                \
	"CASE WHEN " now " <= d.at THEN d." col " WHEN d." col " < 1e-200 OR (" now               \
	" - d.at)::float8 / " hl " > 60 THEN 0 ELSE d." col " * power(2::float8, -((" now           \
	" - d.at)::float8 / " hl ")) END"
#define DECAY(col, hl) DECAY_AT(col, hl, "$6")

const char *const pg_limits_sql[P_COUNT] = {
	/* $1 key, $2 capacity, $3 refill per ms, $4 cost, $5 now: the tokens left. */
	[P_BUCKET_TAKE] = "INSERT INTO buckets AS b (key, tokens, at) VALUES"
			  " ($1, LEAST($2::float8, $2::float8 - $4::float8), $5)"
			  " ON CONFLICT (key) DO UPDATE SET tokens = LEAST($2::float8,"
			  " LEAST($2::float8, b.tokens + CASE WHEN $5 > b.at"
			  " THEN ($5 - b.at)::float8 * $3::float8 ELSE 0 END) - $4::float8),"
			  " at = GREATEST(b.at, $5) RETURNING tokens",
	/* Bounded: a large backlog goes in several calls, no long lock. */
	[P_BUCKET_PRUNE] = "DELETE FROM buckets WHERE key IN"
			   " (SELECT key FROM buckets WHERE at < $1 LIMIT 10000 FOR UPDATE SKIP LOCKED)",
	/* $1 key, $2 $3 added, $4 $5 half-lives (ms), $6 now. */
	[P_DECAY_ADD] = "INSERT INTO decay AS d (key, a, b, la, lb, at) VALUES"
			" ($1, $2, $3, $2, $3, GREATEST($6::bigint, 0))"
			" ON CONFLICT (key) DO UPDATE SET"
			" a = " DECAY("a", "$4::float8") " + $2::float8,"
			" b = " DECAY("b", "$4::float8") " + $3::float8,"
			" la = " DECAY("la", "$5::float8") " + $2::float8,"
			" lb = " DECAY("lb", "$5::float8") " + $3::float8,"
			" at = GREATEST($6::bigint, 0) RETURNING a, b, la, lb",
	/* $1 key, $2 $3 half-lives (ms), $4 now: the counts decayed to now. */
	[P_DECAY_GET] = "SELECT " DECAY_AT("a", "$2::float8", "$4") ", " DECAY_AT("b", "$2::float8", "$4")
			", " DECAY_AT("la", "$3::float8", "$4") ", " DECAY_AT("lb", "$3::float8", "$4")
			" FROM decay d WHERE key = $1",
	[P_DECAY_RESET] = "DELETE FROM decay WHERE key = $1",
	/* Bounded like P_BUCKET_PRUNE (STORE_PRUNE_MAX); $1 the family's prefix,
	 * $3 past its keys (strpast): a range of the primary key, bytewise. */
	[P_DECAY_PRUNE] = "DELETE FROM decay WHERE key IN (SELECT key FROM decay"
			  " WHERE key >= $1::text AND key < $3::text AND at < $2::bigint LIMIT 10000"
			  " FOR UPDATE SKIP LOCKED)",
	[P_BLOCK_PRUNE] = "DELETE FROM fraud_blocks WHERE key IN (SELECT key FROM fraud_blocks"
			  " WHERE until <> 0 AND until < $1::bigint LIMIT 10000 FOR UPDATE SKIP LOCKED)",
	/* Only ever stronger while in force: an equal or weaker measure changes
	 * nothing, unless the one there has run out. */
	[P_BLOCK_SET] = "INSERT INTO fraud_blocks AS f (key, state, since, sent, verified, baseline,"
			" reason, until, strikes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
			" ON CONFLICT (key) DO UPDATE SET"
			" state = excluded.state, since = excluded.since, sent = excluded.sent,"
			" verified = excluded.verified, baseline = excluded.baseline,"
			" reason = excluded.reason, until = excluded.until, strikes = excluded.strikes"
			" WHERE f.state < excluded.state OR (f.until <> 0 AND f.until <= excluded.since)"
			" RETURNING key",
	[P_BLOCK_DELETE] = "DELETE FROM fraud_blocks WHERE key = $1 RETURNING key",
	[P_BLOCK_LIST] = "SELECT key, state, since, sent, verified, baseline, reason, until, strikes"
			 " FROM fraud_blocks ORDER BY since DESC",
	[P_FRAUD_EVENT_INSERT] = "INSERT INTO fraud_events (at, type, subject, detail)"
				 " VALUES ($1, $2, $3, $4)",
	[P_FRAUD_EVENT_LIST] = "SELECT id, at, type, subject, detail FROM fraud_events WHERE id > $1"
			       " ORDER BY id LIMIT $2",
	[P_RECORD_GET] = "SELECT value, version, expires_at FROM records WHERE kind = $1 AND key = $2"
			 " AND (expires_at = 0 OR expires_at > $3)",
	[P_RECORD_LIST] = "SELECT key, value, version, expires_at FROM records WHERE kind = $1"
			  " AND key > $2 AND (expires_at = 0 OR expires_at > $3) ORDER BY key LIMIT $4",
	[P_RECORD_PURGE] = "DELETE FROM records WHERE kind = $1 AND key IN (SELECT key FROM records"
			   " WHERE kind = $1 AND expires_at > 0 AND expires_at <= $2 LIMIT 8"
			   " FOR UPDATE SKIP LOCKED)",
	[P_RECORD_INSERT] = "INSERT INTO records AS r (kind, key, value, version, expires_at)"
			    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, key) DO UPDATE SET"
			    " value = $3, version = $4, expires_at = $5"
			    " WHERE r.expires_at > 0 AND r.expires_at <= $6::bigint",
	[P_RECORD_UPDATE] = "UPDATE records SET value = $3, version = $4, expires_at = $5"
			    " WHERE kind = $1 AND key = $2 AND version = $4::bigint - 1"
			    " AND (expires_at = 0 OR expires_at > $6::bigint)",
};

/* Indexes of n keys in key order (the lock order). */
static void key_order(const char *const *keys, size_t n, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[order[j - 1]], keys[order[j]]) > 0; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

int pg_buckets_apply(struct pg_db *db, struct pg_conn *c, const struct store_bucket *b, size_t n,
		     int64_t now, size_t *refused, int64_t *retry_after_ms)
{
	*refused = 0;
	*retry_after_ms = 0;
	if (n > STORE_BUCKETS_MAX)
		return -1;
	const char *keys[STORE_BUCKETS_MAX] = {0};
	size_t order[STORE_BUCKETS_MAX];
	for (size_t i = 0; i < n; i++)
		keys[i] = b[i].key;
	key_order(keys, n, order);
	/* Every bucket is taken (in lock order); the first refusal in the caller's
	 * order is the answer, as if they had been taken in that order: the
	 * buckets are independent, and a refusal undoes them all. */
	size_t first = SIZE_MAX;
	int64_t wait = 0;
	for (size_t k = 0; k < n; k++) {
		const struct store_bucket *x = &b[order[k]];
		struct pg_params p = {0};
		pg_p_text(&p, x->key);
		pg_p_double(&p, x->capacity);
		pg_p_double(&p, x->refill_per_ms);
		pg_p_double(&p, x->cost);
		pg_p_int(&p, now);
		char sqlstate[6];
		PGresult *r = pg_run(db, c, P_BUCKET_TAKE, &p, sqlstate);
		if (!r)
			return -1;
		double left = pg_double(r, 0, 0);
		PQclear(r);
		double need = x->cost == 0 ? 1 : 0; /* a peek needs one token left */
		if (left + 1e-9 < need && order[k] < first) {
			first = order[k];
			wait = x->refill_per_ms > 0 ? (int64_t)((need - left) / x->refill_per_ms) + 1
						    : INT64_MAX / 2;
		}
	}
	if (first == SIZE_MAX)
		return 0;
	*refused = first;
	*retry_after_ms = wait;
	return STORE_LIMITED;
}

int pg_decay_apply(struct pg_db *db, struct pg_conn *c, struct store_decay *d, size_t n,
		   int64_t now)
{
	const char *keys[64] = {0};
	size_t order[64];
	if (n > 64)
		return -1;
	for (size_t i = 0; i < n; i++)
		keys[i] = d[i].key;
	key_order(keys, n, order);
	/* The ungated first (each pass in key order, so calls never wait for
	 * each other in a circle), so a gated one sees its gate's first sighting. */
	for (size_t pass = 0; pass < 2 * n; pass++) {
		size_t k = pass % n;
		struct store_decay *x = &d[order[k]];
		if (!x->first_of != (pass < n))
			continue;
		double take = 1;
		if (x->first_of) {
			if (x->first_of > n || d[x->first_of - 1].first_of)
				return -1;
			const struct store_decay *g = &d[x->first_of - 1];
			double was = x->gate_verified ? g->out[1][1] - g->add[1]
						      : g->out[0][0] - g->add[0];
			take = was < 0.5 ? 1 : 0;
		}
		/* Nothing to add: only a read, which writes no row. */
		int read = take * x->add[0] == 0 && take * x->add[1] == 0;
		struct pg_params p = {0};
		pg_p_text(&p, x->key);
		if (!read) {
			pg_p_double(&p, take * x->add[0]);
			pg_p_double(&p, take * x->add[1]);
		}
		pg_p_double(&p, x->half_life_ms[0]);
		pg_p_double(&p, x->half_life_ms[1]);
		pg_p_int(&p, now);
		PGresult *r = pg_run(db, c, read ? P_DECAY_GET : P_DECAY_ADD, &p, NULL);
		if (!r)
			return -1;
		int rows = PQntuples(r);
		for (int k = 0; k < 4; k++)
			x->out[k / 2][k % 2] = rows ? pg_double(r, 0, k) : 0;
		PQclear(r);
	}
	return 0;
}

/* Runs fn(db, c, arg) in one transaction. Returns what fn returned (a failed
 * COMMIT: -1); anything but 0 is rolled back. */
struct take_args {
	const struct store_bucket *b;
	size_t n;
	struct store_decay *d;
	size_t nd;
	int64_t now;
	size_t *refused;
	int64_t *retry_after_ms;
};

static int take(struct pg_db *db, struct pg_conn *c, void *arg)
{
	struct take_args *a = arg;
	int rc = pg_buckets_apply(db, c, a->b, a->n, a->now, a->refused, a->retry_after_ms);
	if (rc == 0 && a->nd)
		rc = pg_decay_apply(db, c, a->d, a->nd, a->now);
	return rc;
}

int pg_buckets_take(void *state, const struct store_bucket *b, size_t n, struct store_decay *d,
		    size_t nd, int64_t now, size_t *refused, int64_t *retry_after_ms)
{
	*refused = 0;
	*retry_after_ms = 0;
	struct take_args a = {b, n, d, nd, now, refused, retry_after_ms};
	return pg_in_txn(state, take, &a);
}

/* Runs a bounded pruning DELETE; prefix NULL for one that takes only a time. */
static int prune(struct pg_db *db, enum pg_stmt id, const char *prefix, int64_t before, size_t *n)
{
	*n = 0;
	struct pg_params p = {0};
	char past[256];
	if (prefix)
		pg_p_text(&p, prefix);
	pg_p_int(&p, before);
	if (prefix) {
		/* A prefix with nothing past it ("" or 0xff bytes) is no family. */
		if (strpast(past, sizeof past, prefix) < 0 || !past[0])
			return -1;
		pg_p_text(&p, past);
	}
	PGresult *r = pg_run_alone(db, id, &p);
	if (!r)
		return -1;
	*n = (size_t)pg_changed(r);
	PQclear(r);
	return 0;
}

/* A prune that forgot all it may (STORE_PRUNE_MAX) leaves more behind. */
static int prune_bounded(struct pg_db *db, enum pg_stmt id, const char *prefix, int64_t before,
			 size_t *n)
{
	int rc = prune(db, id, prefix, before, n);
	return rc == 0 && *n >= STORE_PRUNE_MAX ? STORE_PRUNE_MORE : rc;
}

int pg_decay_prune(void *state, const char *prefix, int64_t before, size_t *n)
{
	return prune_bounded(state, P_DECAY_PRUNE, prefix, before, n);
}

int pg_blocks_prune(void *state, int64_t before, size_t *n)
{
	return prune(state, P_BLOCK_PRUNE, NULL, before, n);
}

int pg_buckets_prune(void *state, int64_t before, size_t *n)
{
	return prune_bounded(state, P_BUCKET_PRUNE, NULL, before, n);
}

struct decay_args {
	struct store_decay *d;
	size_t n;
	int64_t now;
};

static int decay(struct pg_db *db, struct pg_conn *c, void *arg)
{
	struct decay_args *a = arg;
	return pg_decay_apply(db, c, a->d, a->n, a->now);
}

int pg_decay_add(void *state, struct store_decay *d, size_t n, int64_t now)
{
	struct decay_args a = {d, n, now};
	return pg_in_txn(state, decay, &a);
}

/* Runs a statement with one text parameter; 0 or -1. */
static int run_key(struct pg_db *db, enum pg_stmt id, const char *key)
{
	struct pg_params p = {0};
	pg_p_text(&p, key);
	PGresult *r = pg_run_alone(db, id, &p);
	PQclear(r);
	return r ? 0 : -1;
}

int pg_decay_reset(void *state, const char *key)
{
	return run_key(state, P_DECAY_RESET, key);
}

static int fraud_event_add(struct pg_db *db, struct pg_conn *c, int64_t at, const char *type,
			   const char *subject, const char *detail)
{
	struct pg_params p = {0};
	pg_p_int(&p, at);
	pg_p_text(&p, type);
	pg_p_text(&p, subject);
	pg_p_text(&p, detail);
	PGresult *r = pg_run(db, c, P_FRAUD_EVENT_INSERT, &p, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

struct block_args {
	const struct store_block *b;
	const char *key, *who, *event_type;
	int64_t now;
};

static int block_set(struct pg_db *db, struct pg_conn *c, void *arg)
{
	struct block_args *a = arg;
	const struct store_block *b = a->b;
	struct pg_params p = {0};
	pg_p_text(&p, b->key);
	pg_p_int(&p, b->state);
	pg_p_int(&p, b->since);
	pg_p_double(&p, b->sent);
	pg_p_double(&p, b->verified);
	pg_p_double(&p, b->baseline);
	pg_p_text(&p, b->reason);
	pg_p_int(&p, b->until);
	pg_p_int(&p, b->strikes);
	PGresult *r = pg_run(db, c, P_BLOCK_SET, &p, NULL);
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : STORE_CONFLICT;
	PQclear(r);
	if (rc == 0)
		rc = fraud_event_add(db, c, b->since, a->event_type, b->key, b->reason);
	return rc;
}

int pg_block_set(void *state, const struct store_block *b, const char *event_type)
{
	struct block_args a = {.b = b, .event_type = event_type};
	return pg_in_txn(state, block_set, &a);
}

static int block_lift(struct pg_db *db, struct pg_conn *c, void *arg)
{
	struct block_args *a = arg;
	struct pg_params p = {0};
	pg_p_text(&p, a->key);
	PGresult *r = pg_run(db, c, P_BLOCK_DELETE, &p, NULL);
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : STORE_NOT_FOUND;
	PQclear(r);
	if (rc == 0) {
		char detail[128];
		strfmt(detail, sizeof detail, "lifted by %s", a->who);
		rc = fraud_event_add(db, c, a->now, a->event_type, a->key, detail);
	}
	return rc;
}

int pg_block_lift(void *state, const char *key, const char *who, int64_t now,
		  const char *event_type)
{
	struct block_args a = {.key = key, .who = who, .now = now, .event_type = event_type};
	return pg_in_txn(state, block_lift, &a);
}

int pg_blocks_list(void *state, void (*fn)(const struct store_block *b, void *arg), void *arg)
{
	PGresult *r = pg_run_alone(state, P_BLOCK_LIST, NULL);
	if (!r)
		return -1;
	struct store_block b;
	for (int i = 0; i < PQntuples(r); i++) {
		memset(&b, 0, sizeof b);
		pg_text(b.key, sizeof b.key, r, i, 0);
		b.state = (int)pg_int(r, i, 1);
		b.since = pg_int(r, i, 2);
		b.sent = pg_double(r, i, 3);
		b.verified = pg_double(r, i, 4);
		b.baseline = pg_double(r, i, 5);
		pg_text(b.reason, sizeof b.reason, r, i, 6);
		b.until = pg_int(r, i, 7);
		b.strikes = (int)pg_int(r, i, 8);
		fn(&b, arg);
	}
	PQclear(r);
	return 0;
}

int pg_fraud_events(void *state, int64_t after_id, size_t limit,
		    void (*fn)(const struct store_fraud_event *e, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_int(&p, after_id);
	pg_p_int(&p, (int64_t)limit);
	PGresult *r = pg_run_alone(state, P_FRAUD_EVENT_LIST, &p);
	if (!r)
		return -1;
	struct store_fraud_event e;
	for (int i = 0; i < PQntuples(r); i++) {
		memset(&e, 0, sizeof e);
		e.id = pg_int(r, i, 0);
		e.at = pg_int(r, i, 1);
		pg_text(e.type, sizeof e.type, r, i, 2);
		pg_text(e.subject, sizeof e.subject, r, i, 3);
		pg_text(e.detail, sizeof e.detail, r, i, 4);
		fn(&e, arg);
	}
	PQclear(r);
	return 0;
}

int pg_record_get(void *state, const char *kind, const char *key, int64_t now,
		  struct store_record *out)
{
	struct pg_params p = {0};
	pg_p_text(&p, kind);
	pg_p_text(&p, key);
	pg_p_int(&p, now);
	PGresult *r = pg_run_alone(state, P_RECORD_GET, &p);
	if (!r)
		return -1;
	int rc = PQntuples(r) ? 0 : STORE_NOT_FOUND;
	if (rc == 0) {
		strfmt(out->kind, sizeof out->kind, "%s", kind);
		strfmt(out->key, sizeof out->key, "%s", key);
		pg_text(out->value, sizeof out->value, r, 0, 0);
		out->version = pg_int(r, 0, 1);
		out->expires_at = pg_int(r, 0, 2);
	}
	PQclear(r);
	return rc;
}

int pg_record_list(void *state, const char *kind, const char *after, size_t limit, int64_t now,
		   void (*fn)(const struct store_record *r, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_text(&p, kind);
	pg_p_text(&p, after);
	pg_p_int(&p, now);
	pg_p_int(&p, (int64_t)limit);
	PGresult *res = pg_run_alone(state, P_RECORD_LIST, &p);
	if (!res)
		return -1;
	struct store_record *r = xmalloc(sizeof *r);
	for (int i = 0; i < PQntuples(res); i++) {
		memset(r, 0, sizeof *r);
		strfmt(r->kind, sizeof r->kind, "%s", kind);
		pg_text(r->key, sizeof r->key, res, i, 0);
		pg_text(r->value, sizeof r->value, res, i, 1);
		r->version = pg_int(res, i, 2);
		r->expires_at = pg_int(res, i, 3);
		fn(r, arg);
	}
	free(r);
	PQclear(res);
	return 0;
}

int pg_record_put(void *state, const struct store_record *r, int64_t now)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	/* A few expired records of the kind go with each write: bounded work,
	 * skipping rows another node is purging. */
	struct pg_params p = {0};
	pg_p_text(&p, r->kind);
	pg_p_int(&p, now);
	PGresult *res = pg_run(db, c, P_RECORD_PURGE, &p, NULL);
	PQclear(res);
	int rc = -1;
	if (res) {
		p.n = 0;
		pg_p_text(&p, r->kind);
		pg_p_text(&p, r->key);
		pg_p_text(&p, r->value);
		pg_p_int(&p, r->version);
		pg_p_int(&p, r->expires_at);
		pg_p_int(&p, now);
		res = pg_run(db, c, r->version == 1 ? P_RECORD_INSERT : P_RECORD_UPDATE, &p, NULL);
		if (res)
			rc = pg_changed(res) == 1 ? 0 : STORE_CONFLICT;
		PQclear(res);
	}
	pg_release(db, c);
	return rc;
}
