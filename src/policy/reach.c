#include "policy/reach.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"

static const struct reach_ops *const backends[] = {&reach_http_ops};

/* A direct-mapped cache: a number's answer lives in the slot its hash names,
 * and a newer number there replaces it. Bounded memory; a miss only costs a
 * lookup. */
#define CACHE_SLOTS 4096

struct slot {
	char number[17];
	int status;
	int64_t until; /* ms */
};

struct reach {
	const struct reach_ops *ops;
	void *state;
	int64_t cache_ms;
	int64_t warned_at; /* ms: provider failures are logged at most once a minute */
	pthread_mutex_t lock;
	struct slot *cache;
};

int reach_new(const struct config *cfg, struct reach **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->reach_provider || !*cfg->reach_provider)
		return 0;
	const struct reach_ops *ops = NULL;
	char known[128] = "";
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		if (!strcmp(backends[i]->name, cfg->reach_provider))
			ops = backends[i];
		strfmt(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
		       backends[i]->name);
	}
	if (!ops) {
		strfmt(err, errlen,
		       "option reach_provider (IOTP_REACH_PROVIDER): unknown provider '%s'; known: %s "
		       "(or empty for none)",
		       cfg->reach_provider, known);
		return -1;
	}
	struct reach *r = xcalloc(1, sizeof *r);
	r->ops = ops;
	r->cache_ms = (int64_t)cfg->reach_cache_s * 1000;
	r->warned_at = INT64_MIN / 2;
	if (ops->open(cfg, &r->state, err, errlen) < 0) {
		free(r);
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->cache = xcalloc(CACHE_SLOTS, sizeof *r->cache);
	log_info("reach: numbers are looked up with the '%s' provider before a code is sent "
		 "(failures send anyway)",
		 ops->name);
	*out = r;
	return 0;
}

void reach_free(struct reach *r)
{
	if (!r)
		return;
	r->ops->close(r->state);
	pthread_mutex_destroy(&r->lock);
	free(r->cache);
	free(r);
}

static size_t slot_of(const char *e164)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *c = e164; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return h % CACHE_SLOTS;
}

enum reach_status reach_lookup(struct reach *r, const char *e164, int64_t now)
{
	if (!r || !e164 || strlen(e164) >= sizeof r->cache[0].number)
		return REACH_UNKNOWN;
	size_t i = slot_of(e164);
	pthread_mutex_lock(&r->lock);
	struct slot s = r->cache[i];
	pthread_mutex_unlock(&r->lock);
	if (!strcmp(s.number, e164) && s.until > now)
		return s.status;
	char err[160] = "";
	enum reach_status st = r->ops->lookup(r->state, e164, err, sizeof err);
	pthread_mutex_lock(&r->lock);
	if (st == REACH_UNKNOWN) {
		/* Not cached: the next send asks again. Logged without the number. */
		if (now - r->warned_at >= 60000) {
			r->warned_at = now;
			pthread_mutex_unlock(&r->lock);
			log_warn("reach: lookup failed, sending anyway (fail open): %s", err);
			return st;
		}
	} else if (r->cache_ms > 0) {
		strfmt(r->cache[i].number, sizeof r->cache[i].number, "%s", e164);
		r->cache[i].status = st;
		r->cache[i].until = now + r->cache_ms;
	}
	pthread_mutex_unlock(&r->lock);
	return st;
}
