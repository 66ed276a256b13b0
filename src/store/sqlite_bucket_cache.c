/* The token buckets of the SQLite store, kept in memory by the writer.
 *
 * Every limited request reads and rewrites a bucket per scope (its number's,
 * its address's, its country's, the app's, everyone's), and the shared ones
 * are rewritten by every request: those reads and writes were an eighth of a
 * verified flow's CPU. On one node the writer's connection is the only one that
 * takes from them, so it keeps them here, under its lock: a take is a lookup,
 * and the rows are written back in a group's commit once a second (and when
 * the store closes), each once however often it was taken from. A crash loses
 * at most that last second of takes, which errs only on the client's side, as
 * a take that is not waited for already does (sqlite_limits.c).
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

#define SLOTS 4096
#define SAVE_EVERY_MS 1000

struct slot {
	char key[BUCKET_KEY_MAX];
	double tokens;
	int64_t at;
	int used;
	int dirty_at; /* position in dirty[] + 1; 0: the row holds this value */
};

struct undo {
	int slot;
	double tokens;
	int64_t at;
	int dirty; /* it had an unsaved change before */
};

struct bucket_cache {
	struct slot slot[SLOTS];
	int dirty[SLOTS]; /* slots with unsaved changes */
	int n_dirty;
	struct undo undo[STORE_BUCKETS_MAX];
	int n_undo;
	int64_t saved_at; /* ms */
	unsigned char seed[crypto_shorthash_KEYBYTES];
};

void sqlite_bucket_cache_open(struct sqlite_db *db)
{
	db->buckets = xcalloc(1, sizeof *db->buckets);
	randombytes_buf(db->buckets->seed, sizeof db->buckets->seed);
	db->buckets->saved_at = clock_now_ms();
}

void sqlite_bucket_cache_free(struct sqlite_db *db)
{
	free(db->buckets);
	db->buckets = NULL;
}

/* The slot key may live in, or -1 when it is too long to be kept. Keyed
 * with a random seed: keys hold numbers and addresses a client chooses, and
 * nobody should be able to pick ones that share a slot. */
static int slot_of(const struct bucket_cache *c, const char *key, size_t len)
{
	if (len >= BUCKET_KEY_MAX)
		return -1;
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)key, len, c->seed);
	return (int)(((unsigned)h[0] | (unsigned)h[1] << 8) % SLOTS);
}

static int read_row(struct sqlite_db *db, const char *key, double *tokens, int64_t *at)
{
	sqlite3_stmt *st = db->stmt[S_BUCKET_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	int found = step == SQLITE_ROW;
	if (found) {
		*tokens = sqlite3_column_double(st, 0);
		*at = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return sqlite_fail(db, "read bucket");
	return found;
}

static int write_row(struct sqlite_db *db, const char *key, double tokens, int64_t at)
{
	sqlite3_stmt *st = db->stmt[S_BUCKET_PUT];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, tokens);
	sqlite3_bind_int64(st, 3, at);
	return sqlite_step_done(db, S_BUCKET_PUT) == SQLITE_DONE ? 0 : sqlite_fail(db, "write bucket");
}

int sqlite_bucket_get(struct sqlite_db *db, const char *key, double *tokens, int64_t *at,
		      int *slot)
{
	struct bucket_cache *c = db->buckets;
	size_t len = strlen(key);
	int i = c ? slot_of(c, key, len) : -1;
	*slot = -1;
	if (i >= 0) {
		struct slot *s = &c->slot[i];
		if (s->used && memcmp(s->key, key, len + 1) == 0) {
			*tokens = s->tokens;
			*at = s->at;
			*slot = i;
			return 1;
		}
		if (s->dirty_at)
			i = -1; /* kept for another key until it is saved */
	}
	int found = read_row(db, key, tokens, at);
	if (found < 0 || i < 0)
		return found;
	struct slot *s = &c->slot[i];
	memcpy(s->key, key, len + 1);
	s->used = found;
	s->tokens = found ? *tokens : 0;
	s->at = found ? *at : 0;
	*slot = i;
	return found;
}

static void clean(struct bucket_cache *c, int slot)
{
	struct slot *s = &c->slot[slot];
	if (!s->dirty_at)
		return;
	int last = c->dirty[--c->n_dirty];
	c->dirty[s->dirty_at - 1] = last;
	c->slot[last].dirty_at = s->dirty_at;
	s->dirty_at = 0;
}

int sqlite_bucket_put(struct sqlite_db *db, int slot, const char *key, double tokens, int64_t at)
{
	struct bucket_cache *c = db->buckets;
	if (slot < 0)
		return write_row(db, key, tokens, at);
	struct slot *s = &c->slot[slot];
	if (c->n_undo < STORE_BUCKETS_MAX) {
		c->undo[c->n_undo++] = (struct undo){
			.slot = s->used ? slot : -1 - slot, .tokens = s->tokens, .at = s->at,
			.dirty = s->dirty_at != 0};
	} else {
		/* Past the undo log (never, with one take per bucket and call):
		 * the row, which the savepoint can undo, instead of the slot. */
		clean(c, slot);
		s->used = 0;
		return write_row(db, key, tokens, at);
	}
	s->used = 1;
	s->tokens = tokens;
	s->at = at;
	if (!s->dirty_at) {
		c->dirty[c->n_dirty++] = slot;
		s->dirty_at = c->n_dirty;
	}
	return 0;
}

void sqlite_bucket_call_end(struct sqlite_db *db, int kept)
{
	struct bucket_cache *c = db->buckets;
	if (!c)
		return;
	while (!kept && c->n_undo > 0) {
		struct undo *u = &c->undo[--c->n_undo];
		int slot = u->slot >= 0 ? u->slot : -1 - u->slot;
		struct slot *s = &c->slot[slot];
		s->used = u->slot >= 0;
		s->tokens = u->tokens;
		s->at = u->at;
		if (!u->dirty)
			clean(c, slot);
	}
	c->n_undo = 0;
}

int sqlite_bucket_save(struct sqlite_db *db, int force)
{
	struct bucket_cache *c = db->buckets;
	if (!c || c->n_dirty == 0)
		return 0;
	int64_t now = clock_now_ms();
	if (!force && now - c->saved_at < SAVE_EVERY_MS)
		return 0;
	for (int k = 0; k < c->n_dirty; k++) {
		struct slot *s = &c->slot[c->dirty[k]];
		if (write_row(db, s->key, s->tokens, s->at) < 0)
			return -1; /* the group fails; sqlite_bucket_forget follows */
	}
	while (c->n_dirty > 0)
		clean(c, c->dirty[c->n_dirty - 1]);
	c->saved_at = now;
	return 0;
}

int sqlite_bucket_unsaved(struct sqlite_db *db)
{
	return db->buckets && db->buckets->n_dirty > 0;
}

int sqlite_bucket_due(struct sqlite_db *db)
{
	return sqlite_bucket_unsaved(db) &&
	       clock_now_ms() - db->buckets->saved_at >= SAVE_EVERY_MS;
}

void sqlite_bucket_forget(struct sqlite_db *db)
{
	struct bucket_cache *c = db->buckets;
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		c->slot[i].used = c->slot[i].dirty_at = 0;
	c->n_dirty = c->n_undo = 0;
}
