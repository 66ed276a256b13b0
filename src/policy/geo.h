/* geo: which countries may get codes, for all apps ([geo]) and per app
 * ([geo APP]), and the spend caps per country and overall ([spend]).
 *
 * A country is refused unless an allow list names it (or says "*"), and
 * always refused when a deny list names it. An app's own allow list replaces
 * the global one; deny lists add up. Outside dev mode nothing is allowed until
 * the operator says so; dev mode allows every country. */
#ifndef IOTP_POLICY_GEO_H
#define IOTP_POLICY_GEO_H

#include <stddef.h>

#include "config.h"
#include "policy/limits.h"

#define GEO_APPS_MAX 64
#define GEO_CAPS_MAX 256
#define GEO_REGIONS (26 * 26)

struct geo_rule {
	char app[32];                           /* "" for [geo] */
	int has_allow;                          /* the section sets allow */
	unsigned char allow[GEO_REGIONS / 8 + 1];
	unsigned char deny[GEO_REGIONS / 8 + 1];
};

/* One spend cap: at most rate messages to region ("" for every country). */
struct geo_cap {
	char region[3];
	struct limits_rate rate;
};

struct geo {
	struct geo_rule global;
	int n_apps;
	struct geo_rule apps[GEO_APPS_MAX];
	int n_caps;
	struct geo_cap caps[GEO_CAPS_MAX];
};

/* Reads [geo], [geo APP] and [spend]. dev allows every country by default.
 * Returns 0, or -1 with err naming file:line. */
int geo_load(struct geo *g, const struct config *cfg, char *err, size_t errlen);

/* 1 when app may send to region (two upper-case letters), else 0. */
int geo_allowed(const struct geo *g, const char *app, const char *region);

/* How many countries the global rule allows (for the start-up log). */
int geo_count_allowed(const struct geo *g);

#endif
