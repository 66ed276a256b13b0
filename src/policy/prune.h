/* prune: when policy prunes the limits' tables (idle counters, full buckets,
 * measures long run out): every family once a minute, and a family whose last
 * prune stopped at its bound (STORE_PRUNE_MORE: a large table, swept a
 * stretch at a time) twice a second until its sweep ends, so that a sweep
 * keeps up with thousands of new keys a second. */
#pragma once

#include <stdint.h>

#define PRUNE_EVERY_MS 60000
#define PRUNE_MORE_MS 500
/* The counter families and the buckets, each with its own sweep. */
#define PRUNE_FAMILIES 12

struct prune_clock {
	int64_t all_at;  /* when every family was pruned last */
	int64_t more_at; /* when those that left more were, last */
	unsigned char more[PRUNE_FAMILIES]; /* its last prune left more */
};

enum prune_round {
	PRUNE_NONE,
	PRUNE_LEFT, /* only the families whose last prune left more */
	PRUNE_ALL,
};

/* The round due at now, marked as started (a clock that went back counts as
 * due). The caller then prunes and sets more[] from what each prune said. */
enum prune_round prune_round_start(struct prune_clock *c, int64_t now);
