/* The SQLite store's token buckets and decaying counters (store_buckets_*,
 * store_decay_*), and the pieces of them that ride inside another write
 * (store_session_write in sqlite.c).
 *
 * They run on the writer's connection inside the group transaction, so they
 * see every change of the group before its commit: that is what makes a take
 * atomic across threads. The rows themselves are kept in memory by the writer
 * and written back once a second (sqlite_limits_cache.c). A take alone does not wait for the commit that holds
 * it: a token taken and lost in a crash only errs on the client's side, and
 * not waiting keeps the limits off the request's path. (A take that rides with
 * a session change waits for that change's commit, as the change must.) */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store/sqlite_db.h"

int sqlite_buckets_apply(struct sqlite_db *db, const struct store_bucket *b, size_t n, int64_t now,
		  size_t *refused, int64_t *retry_after_ms)
{
	*refused = 0;
	*retry_after_ms = 0;
	if (n > STORE_BUCKETS_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* A bucket never seen is full. */
		double row[CACHE_VALUES] = {b[i].capacity};
		int64_t at = now;
		int slot;
		if (sqlite_cache_get(db, CACHE_BUCKET, b[i].key, row, &at, &slot) < 0)
			return -1;
		double tokens = row[0];
		/* Refill for the time passed (none when the clock reads earlier than
		 * the last take), never past capacity; then take the cost. */
		if (now > at)
			tokens += (double)(now - at) * b[i].refill_per_ms;
		if (tokens > b[i].capacity)
			tokens = b[i].capacity;
		double left = tokens - b[i].cost;
		if (left > b[i].capacity)
			left = b[i].capacity; /* a refund never overfills */
		/* A peek (cost 0) needs one token left; a take, none short. */
		double need = b[i].cost == 0 ? 1 : 0;
		if (left + 1e-9 < need) {
			*refused = i;
			double missing = need - left;
			*retry_after_ms = b[i].refill_per_ms > 0
						  ? (int64_t)(missing / b[i].refill_per_ms) + 1
						  : INT64_MAX / 2;
			return STORE_LIMITED; /* the caller undoes what the others took */
		}
		/* A peek changes nothing: refilled later, the row as it is comes
		 * to what it would say if rewritten now (a bucket never seen stays
		 * unwritten, full). Checks peek their number's failures bucket, so
		 * this is one row fewer per number verified. */
		if (b[i].cost == 0)
			continue;
		row[0] = left;
		if (sqlite_cache_put(db, CACHE_BUCKET, slot, b[i].key, row, now > at ? now : at) < 0)
			return -1;
	}
	return 0;
}

/* Decays and adds one counter pair, scaled by take (0 or 1), filling out[]. */
static int decay_one(struct sqlite_db *db, struct store_decay *d, double take, int64_t now)
{
	double row[CACHE_VALUES] = {0, 0, 0, 0};
	int64_t at = now;
	int slot;
	int found = sqlite_cache_get(db, CACHE_DECAY, d->key, row, &at, &slot);
	if (found < 0)
		return -1;
	for (int w = 0; w < 2; w++) {
		double f = found && now > at ? exp2(-(double)(now - at) / d->half_life_ms[w]) : 1.0;
		for (int k = 0; k < 2; k++)
			d->out[w][k] = row[2 * w + k] * f + take * d->add[k];
	}
	/* Nothing added: a read, and decay is the same whenever it is applied. */
	if (take * d->add[0] == 0 && take * d->add[1] == 0)
		return 0;
	double out[CACHE_VALUES] = {d->out[0][0], d->out[0][1], d->out[1][0], d->out[1][1]};
	return sqlite_cache_put(db, CACHE_DECAY, slot, d->key, out, now > 0 ? now : 0);
}

int sqlite_decay_apply(struct sqlite_db *db, struct store_decay *d, size_t n, int64_t now)
{
	/* The ungated first, so a gated one sees its gate's first sighting. */
	for (int gated = 0; gated < 2; gated++)
		for (size_t i = 0; i < n; i++) {
			if (!d[i].first_of != !gated)
				continue;
			double take = 1;
			if (gated) {
				if (d[i].first_of > n || d[d[i].first_of - 1].first_of)
					return -1;
				const struct store_decay *g = &d[d[i].first_of - 1];
				double was = d[i].gate_verified ? g->out[1][1] - g->add[1]
								: g->out[0][0] - g->add[0];
				take = was < 0.5 ? 1 : 0;
			}
			if (decay_one(db, &d[i], take, now) < 0)
				return -1;
		}
	return 0;
}

int sqlite_buckets_take(void *state, const struct store_bucket *b, size_t n, struct store_decay *d,
		    size_t nd, int64_t now, size_t *refused, int64_t *retry_after_ms)
{
	struct sqlite_db *db = state;
	*refused = 0;
	*retry_after_ms = 0;
	if (n > STORE_BUCKETS_MAX)
		return -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) < 0) {
		sqlite_leave(db, 0);
		return -1;
	}
	int rc = sqlite_buckets_apply(db, b, n, now, refused, retry_after_ms);
	if (rc == 0 && nd)
		rc = sqlite_decay_apply(db, d, nd, now);
	sqlite_write_end(db, rc == 0);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_buckets_prune(void *state, int64_t before, size_t *n)
{
	return sqlite_limits_sweep(state, CACHE_BUCKET, "", before, n);
}

int sqlite_decay_add(void *state, struct store_decay *d, size_t n, int64_t now)
{
	struct sqlite_db *db = state;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_decay_apply(db, d, n, now);
		sqlite_write_end(db, rc == 0);
	}
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_decay_reset(void *state, const char *key)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		sqlite_cache_drop(db, CACHE_DECAY, key);
		sqlite3_bind_text(db->stmt[S_DECAY_RESET], 1, key, -1, SQLITE_STATIC);
		rc = sqlite_step_done(db, S_DECAY_RESET) == SQLITE_DONE ? 0 : sqlite_fail(db, "reset counter");
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc < 0 ? rc : crc;
}

int sqlite_decay_prune(void *state, const char *prefix, int64_t before, size_t *n)
{
	return sqlite_limits_sweep(state, CACHE_DECAY, prefix, before, n);
}

/* Measures are few (one per range or country blocked), so one DELETE reads
 * them all. */
int sqlite_blocks_prune(void *state, int64_t before, size_t *n)
{
	struct sqlite_db *db = state;
	int rc = -1;
	*n = 0;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		sqlite3_bind_int64(db->stmt[S_BLOCK_PRUNE], 1, before);
		rc = sqlite_step_done(db, S_BLOCK_PRUNE) == SQLITE_DONE ? 0 : sqlite_fail(db, "prune");
		*n = rc == 0 ? (size_t)sqlite3_changes(db->conn) : 0;
		sqlite_write_end(db, rc == 0);
	}
	sqlite_leave(db, 0);
	return rc;
}
