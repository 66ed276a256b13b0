/* The sessions the SQLite store committed lately, kept in memory for the
 * reads that follow them: a verification reads its session at every step,
 * moments after writing it, and a reader connection (whose pages every commit
 * makes stale) spent ~7 % of a verified flow's CPU finding it again.
 *
 * Only the writer fills it, and only with what a commit made durable: a
 * session written in a group waits in a list until the group commits, and is
 * published before the group counts as committed (sqlite_leave's waiters and
 * held answers look at that count), so whoever may read a session after its
 * write finds the write. A call undone drops what it listed, a failed commit
 * drops the list; a cleanup that deletes sessions, or another process's write
 * to the file, empties the cache. A session not in it is read from the file,
 * as before; such a read never fills the cache (the file could be a commit
 * behind a session published meanwhile). */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/sqlite_db.h"

#define SLOTS 4096
/* Each id has a set of WAYS slots and takes the one written longest ago:
 * a check comes tens of seconds after its send, and with one slot per id half
 * the sessions of a few thousand in between were pushed out by a stranger
 * hashed to the same slot; four ways keep a third more of them. */
#define WAYS 4
#define SETS (SLOTS / WAYS)
#define STRIPES 64
/* Sessions one group may list; past it, the group empties the cache instead. */
#define PENDING_MAX 256

struct entry {
	int used;
	uint64_t written; /* when, on the cache's clock */
	struct store_session s;
};

struct session_cache {
	pthread_mutex_t stripe[STRIPES];
	struct entry slot[SLOTS];
	/* the open group's writes, in order; under the writer's lock */
	struct store_session pending[PENDING_MAX];
	int n_pending;
	int overflowed;
	int call_mark; /* n_pending when the current call began */
	uint64_t clock; /* sessions published so far; under the writer's lock */
	unsigned char seed[crypto_shorthash_KEYBYTES];
};

void sqlite_sessions_open(struct sqlite_db *db)
{
	struct session_cache *c = xcalloc(1, sizeof *c);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->stripe[i], NULL);
	randombytes_buf(c->seed, sizeof c->seed);
	db->sessions = c;
}

void sqlite_sessions_free(struct sqlite_db *db)
{
	struct session_cache *c = db->sessions;
	if (!c)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->stripe[i]);
	free(c);
	db->sessions = NULL;
}

/* The first slot of id's set. Keyed with a random seed: ids are random
 * already, but cheap to be sure. */
static int set_of(const struct session_cache *c, const char *id)
{
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)id, strlen(id), c->seed);
	return (int)(((unsigned)h[0] | (unsigned)h[1] << 8) % SETS) * WAYS;
}

static pthread_mutex_t *stripe_of(struct session_cache *c, int set)
{
	return &c->stripe[(set / WAYS) % STRIPES];
}

/* id's slot in the set starting at set, or -1 (under its stripe). */
static int find_in(const struct session_cache *c, int set, const char *id)
{
	for (int i = set; i < set + WAYS; i++)
		if (c->slot[i].used && strcmp(c->slot[i].s.id, id) == 0)
			return i;
	return -1;
}

int sqlite_sessions_find(struct sqlite_db *db, const char *id, struct store_session *out)
{
	struct session_cache *c = db->sessions;
	if (!c)
		return 0;
	int set = set_of(c, id);
	pthread_mutex_t *m = stripe_of(c, set);
	pthread_mutex_lock(m);
	int i = find_in(c, set, id);
	if (i >= 0)
		*out = c->slot[i].s;
	pthread_mutex_unlock(m);
	return i >= 0;
}

/* The set's free slot, else the one written longest ago. */
static int victim(const struct session_cache *c, int set)
{
	int v = set;
	for (int i = set; i < set + WAYS; i++) {
		if (!c->slot[i].used)
			return i;
		if (c->slot[i].written < c->slot[v].written)
			v = i;
	}
	return v;
}

void sqlite_sessions_written(struct sqlite_db *db, const struct store_session *s)
{
	struct session_cache *c = db->sessions;
	if (!c)
		return;
	if (c->n_pending == PENDING_MAX)
		c->overflowed = 1;
	else
		c->pending[c->n_pending++] = *s;
}

void sqlite_sessions_call_begin(struct sqlite_db *db)
{
	if (db->sessions)
		db->sessions->call_mark = db->sessions->n_pending;
}

void sqlite_sessions_call_end(struct sqlite_db *db, int kept)
{
	struct session_cache *c = db->sessions;
	if (c && !kept)
		c->n_pending = c->call_mark;
}

void sqlite_sessions_forget(struct sqlite_db *db)
{
	struct session_cache *c = db->sessions;
	if (!c)
		return;
	for (int k = 0; k < STRIPES; k++) {
		pthread_mutex_lock(&c->stripe[k]);
		for (int set = k * WAYS; set < SLOTS; set += STRIPES * WAYS)
			for (int i = set; i < set + WAYS; i++)
				c->slot[i].used = 0;
		pthread_mutex_unlock(&c->stripe[k]);
	}
}

void sqlite_sessions_committed(struct sqlite_db *db, int ok)
{
	struct session_cache *c = db->sessions;
	if (!c)
		return;
	if (ok && c->overflowed) {
		sqlite_sessions_forget(db); /* what did not fit would be missing */
	} else if (ok) {
		for (int k = 0; k < c->n_pending; k++) {
			const struct store_session *s = &c->pending[k];
			int set = set_of(c, s->id);
			pthread_mutex_t *m = stripe_of(c, set);
			pthread_mutex_lock(m);
			/* Its own slot when it has one: never two copies. */
			int i = find_in(c, set, s->id);
			if (i < 0)
				i = victim(c, set);
			c->slot[i].s = *s;
			c->slot[i].used = 1;
			c->slot[i].written = ++c->clock;
			pthread_mutex_unlock(m);
		}
	}
	c->n_pending = c->call_mark = 0;
	c->overflowed = 0;
}
