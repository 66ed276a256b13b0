/* limits: the rate-limit table — for each action (session creation, code
 * send, code check, wrong code, number lookup) and each scope (number, prefixes, client
 * address and network, country, app, everything) a token bucket "N per
 * period". Read from the [limits] section; documented in docs/fraud.md. */
#ifndef IOTP_POLICY_LIMITS_H
#define IOTP_POLICY_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum limits_action {
	LIMITS_CREATE,
	LIMITS_SEND,
	LIMITS_CHECK,
	LIMITS_CHECK_FAILED, /* wrong codes */
	LIMITS_LOOKUP,       /* GET /v1/lookup: free for iotp, so generous */
	LIMITS_ACTIONS
};

enum limits_scope {
	LIMITS_NUMBER,
	LIMITS_PREFIX3, /* the number without its last 3 digits */
	LIMITS_PREFIX5, /* ... without its last 5 */
	LIMITS_IP,
	LIMITS_NETWORK, /* the client's /24 (IPv4) or /64 (IPv6) */
	LIMITS_SITE,    /* the client's /48 (IPv6 only: IPv4 clients have none) */
	LIMITS_COUNTRY,
	LIMITS_APP,
	LIMITS_GLOBAL,
	LIMITS_SCOPES
};

/* "count per period": a bucket of count tokens that refills count tokens per
 * period. count 0: no limit. */
struct limits_rate {
	double count;
	int64_t period_ms;
};

struct limits {
	struct limits_rate r[LIMITS_ACTIONS][LIMITS_SCOPES];
};

const char *limits_action_name(enum limits_action a);
const char *limits_scope_name(enum limits_scope s);

/* Parses "10/1h" (also "10/h", "5/30s", "100/1d", "0" for none). Units: s, m,
 * h, d. Returns 0 or -1. */
int limits_rate_parse(const char *text, struct limits_rate *out);
/* Writes a rate as "10/1h" (or "0"). */
void limits_rate_format(const struct limits_rate *r, char *buf, size_t size);

/* Fills the defaults, then the [limits] section's "action.scope = N/period"
 * lines. Returns 0, or -1 with err naming file:line. */
int limits_load(struct limits *l, const struct config *cfg, char *err, size_t errlen);

/* The default of one limit, as text (for the docs and --print-example-config). */
const char *limits_default(enum limits_action a, enum limits_scope s);

#endif
