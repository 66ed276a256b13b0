/* The limits' rows of the SQLite store (token buckets and decaying
 * counters), kept in memory by the writer.
 *
 * Every limited request reads and rewrites a bucket per scope (its number's,
 * its address's, its country's, the app's, everyone's) and adds to the
 * pumping detector's counters, and the shared rows are rewritten by every
 * request: those reads and writes were a sixth of a verified flow's CPU. On
 * one node the writer's connection is the only one that changes them, so it
 * keeps them here, under its lock: a take is a lookup, and a changed row is
 * written back a second after its first change, in whichever group commits
 * then (and when the store closes), once however often it changed meanwhile.
 * Each commit writes the few rows that came due, in the order they changed: all
 * of them at once (thousands a second under load) held the writer for 10-14 ms
 * and showed in every call's p99. A crash loses at most that last second of
 * takes and counts, which errs only on the client's side, as a take that is
 * not waited for already does (sqlite_limits.c).
 *
 * A call undone (ROLLBACK TO its savepoint) has its changes here undone too;
 * a failed commit, or a change to the file by another process (PRAGMA
 * data_version), empties the cache, and the rows are read again. A key whose
 * slot holds another key's unsaved change, or too long for a slot, goes to the
 * table directly, as every key did before. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "store/sqlite_db.h"

#define SLOTS 8192
#define SAVE_AFTER_MS 1000
/* Rows one commit writes at most, past those a backlog adds. */
#define SAVE_BATCH 64
/* The queue of changed slots; a slot cleaned before its turn leaves a hole. */
#define QUEUE (2 * SLOTS)
/* Changes one call may make to kept rows before the rest go to the table. */
#define UNDO_MAX 64

struct slot {
	char key[CACHE_KEY_MAX];
	double v[CACHE_VALUES];
	int64_t at;
	unsigned char kind; /* enum cache_kind */
	unsigned char used;
	uint64_t queued;     /* its place in the queue + 1; 0: the row holds this value */
	int64_t dirty_since; /* ms, when its row stopped holding its value */
};

struct undo {
	int slot; /* -1 - slot: the slot held nothing for this key before */
	double v[CACHE_VALUES];
	int64_t at;
	int dirty; /* it had an unsaved change before */
};

struct limits_cache {
	struct slot slot[SLOTS];
	int queue[QUEUE]; /* changed slots, oldest change first; -1: a hole */
	uint64_t head, tail;
	int n_dirty;
	struct undo undo[UNDO_MAX];
	int n_undo;
	unsigned char seed[crypto_shorthash_KEYBYTES];
};

static const struct {
	enum sqlite_stmt get, put;
	int values;
	const char *what;
} table[CACHE_KINDS] = {
	[CACHE_BUCKET] = {S_BUCKET_GET, S_BUCKET_PUT, 1, "bucket"},
	[CACHE_DECAY] = {S_DECAY_GET, S_DECAY_PUT, 4, "counter"},
};

void sqlite_cache_open(struct sqlite_db *db)
{
	db->cache = xcalloc(1, sizeof *db->cache);
	randombytes_buf(db->cache->seed, sizeof db->cache->seed);
}

void sqlite_cache_free(struct sqlite_db *db)
{
	free(db->cache);
	db->cache = NULL;
}

/* The slot key may live in, or -1 when it is too long to be kept. Keyed
 * with a random seed: keys hold numbers and addresses a client chooses, and
 * nobody should be able to pick ones that share a slot. */
static int slot_of(const struct limits_cache *c, enum cache_kind kind, const char *key, size_t len)
{
	if (len >= CACHE_KEY_MAX)
		return -1;
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)key, len, c->seed);
	return (int)(((unsigned)h[0] | (unsigned)h[1] << 8) ^ (unsigned)kind) % SLOTS;
}

static int read_row(struct sqlite_db *db, enum cache_kind kind, const char *key,
		    double v[CACHE_VALUES], int64_t *at)
{
	sqlite3_stmt *st = db->stmt[table[kind].get];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	int found = step == SQLITE_ROW;
	if (found) {
		int n = table[kind].values;
		for (int i = 0; i < n; i++)
			v[i] = sqlite3_column_double(st, i);
		*at = sqlite3_column_int64(st, n);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return sqlite_fail(db, table[kind].what);
	return found;
}

static int write_row(struct sqlite_db *db, enum cache_kind kind, const char *key,
		     const double v[CACHE_VALUES], int64_t at)
{
	enum sqlite_stmt id = table[kind].put;
	sqlite3_stmt *st = db->stmt[id];
	int n = table[kind].values;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	for (int i = 0; i < n; i++)
		sqlite3_bind_double(st, 2 + i, v[i]);
	sqlite3_bind_int64(st, 2 + n, at);
	return sqlite_step_done(db, id) == SQLITE_DONE ? 0 : sqlite_fail(db, table[kind].what);
}

int sqlite_cache_get(struct sqlite_db *db, enum cache_kind kind, const char *key,
		     double v[CACHE_VALUES], int64_t *at, int *slot)
{
	struct limits_cache *c = db->cache;
	size_t len = strlen(key);
	int i = c ? slot_of(c, kind, key, len) : -1;
	*slot = -1;
	if (i >= 0) {
		struct slot *s = &c->slot[i];
		if (s->used && s->kind == kind && memcmp(s->key, key, len + 1) == 0) {
			memcpy(v, s->v, sizeof s->v);
			*at = s->at;
			*slot = i;
			return 1;
		}
		if (s->queued)
			i = -1; /* kept for another key until it is saved */
	}
	int found = read_row(db, kind, key, v, at);
	if (found < 0 || i < 0)
		return found;
	struct slot *s = &c->slot[i];
	memcpy(s->key, key, len + 1);
	s->kind = (unsigned char)kind;
	s->used = (unsigned char)found;
	if (found) {
		memcpy(s->v, v, sizeof s->v);
		s->at = *at;
	}
	*slot = i;
	return found;
}

static void clean(struct limits_cache *c, int slot)
{
	struct slot *s = &c->slot[slot];
	if (!s->queued)
		return;
	c->queue[(s->queued - 1) % QUEUE] = -1;
	s->queued = 0;
	c->n_dirty--;
}

/* Closes the holes (at most QUEUE - n_dirty of them), keeping the order. */
static void compact(struct limits_cache *c)
{
	uint64_t to = c->head;
	for (uint64_t from = c->head; from < c->tail; from++) {
		int i = c->queue[from % QUEUE];
		if (i < 0)
			continue;
		c->queue[to % QUEUE] = i;
		c->slot[i].queued = ++to;
	}
	c->tail = to;
}

static void mark_dirty(struct limits_cache *c, int slot)
{
	struct slot *s = &c->slot[slot];
	if (s->queued)
		return;
	if (c->tail - c->head == QUEUE)
		compact(c);
	c->queue[c->tail % QUEUE] = slot;
	s->queued = ++c->tail;
	s->dirty_since = clock_now_ms();
	c->n_dirty++;
}

int sqlite_cache_put(struct sqlite_db *db, enum cache_kind kind, int slot, const char *key,
		     const double v[CACHE_VALUES], int64_t at)
{
	struct limits_cache *c = db->cache;
	if (slot < 0)
		return write_row(db, kind, key, v, at);
	struct slot *s = &c->slot[slot];
	if (c->n_undo == UNDO_MAX) {
		/* The row, which the savepoint can undo, instead of the slot. */
		clean(c, slot);
		s->used = 0;
		return write_row(db, kind, key, v, at);
	}
	struct undo *u = &c->undo[c->n_undo++];
	u->slot = s->used ? slot : -1 - slot;
	memcpy(u->v, s->v, sizeof s->v);
	u->at = s->at;
	u->dirty = s->queued != 0;
	s->used = 1;
	memcpy(s->v, v, sizeof s->v);
	s->at = at;
	mark_dirty(c, slot);
	return 0;
}

void sqlite_cache_drop(struct sqlite_db *db, enum cache_kind kind, const char *key)
{
	struct limits_cache *c = db->cache;
	size_t len = strlen(key);
	int i = c ? slot_of(c, kind, key, len) : -1;
	if (i < 0)
		return;
	struct slot *s = &c->slot[i];
	if (s->kind == kind && memcmp(s->key, key, len + 1) == 0) {
		clean(c, i);
		s->used = 0;
	}
}

void sqlite_cache_call_end(struct sqlite_db *db, int kept)
{
	struct limits_cache *c = db->cache;
	if (!c)
		return;
	while (!kept && c->n_undo > 0) {
		struct undo *u = &c->undo[--c->n_undo];
		int slot = u->slot >= 0 ? u->slot : -1 - u->slot;
		struct slot *s = &c->slot[slot];
		s->used = u->slot >= 0;
		memcpy(s->v, u->v, sizeof s->v);
		s->at = u->at;
		if (!u->dirty)
			clean(c, slot);
	}
	c->n_undo = 0;
}

/* The oldest change's slot, past the holes; -1 when none is left. */
static int oldest(struct limits_cache *c)
{
	while (c->head < c->tail && c->queue[c->head % QUEUE] < 0)
		c->head++;
	return c->head < c->tail ? c->queue[c->head % QUEUE] : -1;
}

int sqlite_cache_save(struct sqlite_db *db, int force)
{
	struct limits_cache *c = db->cache;
	if (!c || c->n_dirty == 0)
		return 0;
	int64_t now = clock_now_ms();
	int budget = force ? QUEUE : SAVE_BATCH + c->n_dirty / 64;
	for (int i; budget > 0 && (i = oldest(c)) >= 0; budget--) {
		struct slot *s = &c->slot[i];
		if (!force && now - s->dirty_since < SAVE_AFTER_MS)
			break;
		if (write_row(db, s->kind, s->key, s->v, s->at) < 0)
			return -1; /* the group fails; sqlite_cache_forget follows */
		clean(c, i);
	}
	return 0;
}

int sqlite_cache_unsaved(struct sqlite_db *db)
{
	return db->cache && db->cache->n_dirty > 0;
}

int sqlite_cache_due(struct sqlite_db *db)
{
	struct limits_cache *c = db->cache;
	int i = c && c->n_dirty ? oldest(c) : -1;
	return i >= 0 && clock_now_ms() - c->slot[i].dirty_since >= SAVE_AFTER_MS;
}

void sqlite_cache_forget(struct sqlite_db *db)
{
	struct limits_cache *c = db->cache;
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		c->slot[i].used = 0, c->slot[i].queued = 0;
	c->n_dirty = c->n_undo = 0;
	c->head = c->tail = 0;
}

/* 1 when slot s holds a row of kind in (lo, hi] (hi_incl) or (lo, hi),
 * last changed before before. */
static int old_in(const struct slot *s, enum cache_kind kind, const char *lo, const char *hi,
		  int hi_incl, int64_t before)
{
	if (s->kind != kind || (!s->used && !s->queued) || s->at >= before)
		return 0;
	int c = strcmp(s->key, hi);
	return strcmp(s->key, lo) > 0 && (hi_incl ? c <= 0 : c < 0);
}

int sqlite_cache_save_old(struct sqlite_db *db, enum cache_kind kind, const char *lo,
			  const char *hi, int hi_incl, int64_t before)
{
	struct limits_cache *c = db->cache;
	for (int i = 0; c && i < SLOTS; i++) {
		struct slot *s = &c->slot[i];
		if (!s->queued || !old_in(s, kind, lo, hi, hi_incl, before))
			continue;
		if (write_row(db, s->kind, s->key, s->v, s->at) < 0)
			return -1;
		clean(c, i);
	}
	return 0;
}

void sqlite_cache_drop_old(struct sqlite_db *db, enum cache_kind kind, const char *lo,
			   const char *hi, int hi_incl, int64_t before)
{
	struct limits_cache *c = db->cache;
	for (int i = 0; c && i < SLOTS; i++) {
		struct slot *s = &c->slot[i];
		if (old_in(s, kind, lo, hi, hi_incl, before)) {
			clean(c, i);
			s->used = 0; /* the row is gone: read as never seen */
		}
	}
}
