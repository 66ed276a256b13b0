/* Pruning the limits' tables of the SQLite store (store_buckets_prune,
 * store_decay_prune): a sweep over the keys in order, a bounded stretch per
 * call.
 *
 * A prune used to look for old rows across the whole table in one DELETE:
 * counters by a test on each key's prefix, which no index serves, so every
 * family's prune read every row (150 ms of the writer for a million counters,
 * eleven families a minute); buckets by an index on their age, which every
 * write-back of a bucket had to update. Here a call reads the next
 * SWEEP_KEYS keys of its prefix by the primary key, from where the last call
 * for that prefix stopped, and deletes the old ones among them: under 2 ms of
 * the writer per call on this project's machines, however large the table.
 * The caller calls again soon while STORE_PRUNE_MORE says keys are left
 * (policy.c: every 500 ms), so a sweep keeps up with thousands of new keys a
 * second.
 *
 * Rows the writer keeps in memory (sqlite_limits_cache.c) go along: changed
 * ones in the stretch that are old enough are written first, so the DELETE
 * counts and removes them, and forgotten after it. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/sqlite_db.h"

/* Keys one call looks at: ~1.6 ms of the writer for a million-row table. */
#define SWEEP_KEYS 4096

/* Where the sweep of one prefix stands: the last key it looked at. */
struct sqlite_sweep {
	struct sqlite_sweep *next;
	enum cache_kind kind;
	char *prefix;
	char *after; /* "" (or the prefix itself): from the start */
};

static const enum sqlite_stmt stmt_end[CACHE_KINDS] = {S_BUCKET_SWEEP_END, S_DECAY_SWEEP_END};
static const enum sqlite_stmt stmt_to[CACHE_KINDS] = {S_BUCKET_SWEEP_TO, S_DECAY_SWEEP_TO};
static const enum sqlite_stmt stmt_rest[CACHE_KINDS] = {S_BUCKET_SWEEP_REST, S_DECAY_SWEEP_REST};

static struct sqlite_sweep *sweep_of(struct sqlite_db *db, enum cache_kind kind, const char *prefix)
{
	for (struct sqlite_sweep *s = db->sweeps; s; s = s->next)
		if (s->kind == kind && !strcmp(s->prefix, prefix))
			return s;
	struct sqlite_sweep *s = xcalloc(1, sizeof *s);
	s->kind = kind;
	s->prefix = xstrdup(prefix);
	s->after = xstrdup(prefix);
	s->next = db->sweeps;
	db->sweeps = s;
	return s;
}

void sqlite_sweeps_free(struct sqlite_db *db)
{
	for (struct sqlite_sweep *s = db->sweeps, *next; s; s = next) {
		next = s->next;
		free(s->prefix);
		free(s->after);
		free(s);
	}
	db->sweeps = NULL;
}

/* The first string after every key that starts with prefix; for "" (or a
 * prefix with nothing past it), "\xff", past every key (keys are UTF-8, in
 * which no byte is 0xff; SQLite compares them bytewise). */
static char *past_prefix(const char *prefix)
{
	size_t size = strlen(prefix) + 2;
	char *p = xmalloc(size);
	strpast(p, size, prefix);
	if (!p[0])
		strfmt(p, size, "\xff");
	return p;
}

/* The last key of this call's stretch into *end (0), or 1 when fewer than
 * SWEEP_KEYS keys are left after sw->after, or -1. */
static int stretch_end(struct sqlite_db *db, struct sqlite_sweep *sw, const char *limit,
		       char **end)
{
	sqlite3_stmt *st = db->stmt[stmt_end[sw->kind]];
	sqlite3_bind_text(st, 1, sw->after, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, limit, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, SWEEP_KEYS - 1);
	int step = sqlite3_step(st);
	int rc = step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? 1 : sqlite_fail(db, "sweep");
	if (rc == 0)
		*end = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int sqlite_limits_sweep(struct sqlite_db *db, enum cache_kind kind, const char *prefix,
			int64_t before, size_t *n)
{
	*n = 0;
	char *limit = past_prefix(prefix), *end = NULL;
	int rc = -1;
	sqlite_enter(db);
	struct sqlite_sweep *sw = sweep_of(db, kind, prefix);
	if (sqlite_write_begin(db) < 0)
		goto out;
	int last = stretch_end(db, sw, limit, &end);
	const char *hi = last == 0 ? end : limit;
	if (last >= 0 && sqlite_cache_save_old(db, kind, sw->after, hi, last == 0, before) == 0) {
		enum sqlite_stmt id = last == 0 ? stmt_to[kind] : stmt_rest[kind];
		sqlite3_stmt *st = db->stmt[id];
		sqlite3_bind_text(st, 1, sw->after, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, before);
		if (sqlite_step_done(db, id) == SQLITE_DONE) {
			*n = (size_t)sqlite3_changes(db->conn);
			sqlite_cache_drop_old(db, kind, sw->after, hi, last == 0, before);
			rc = last == 0 ? STORE_PRUNE_MORE : 0;
		} else {
			sqlite_fail(db, "sweep");
		}
	}
	sqlite_write_end(db, rc >= 0);
	if (rc < 0) {
		/* The rows saved above were undone with the call: what the cache
		 * holds may no longer be in the table. */
		sqlite_cache_forget(db);
		*n = 0;
	} else {
		/* Next time on from here, or from the start. */
		free(sw->after);
		sw->after = xstrdup(last == 0 ? end : prefix);
	}
out:
	sqlite_leave(db, 0);
	free(limit);
	free(end);
	return rc;
}
