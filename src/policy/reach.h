/* reach: whether a number can receive a message now, asked of a lookup
 * provider (an HLR lookup) before a code is sent, where one is configured.
 * Pumping often aims at numbers that are not in service: the fraudulent
 * carrier routes the range and takes the message whoever holds the number;
 * a lookup that says "not in service" refuses that send, which then costs
 * nothing.
 *
 * A lookup never stands in an honest person's way because of the provider:
 * a timeout (reach_timeout_ms), a transport failure, an HTTP error or an
 * answer it cannot read all answer REACH_UNKNOWN, and the code is sent (fail
 * open). Answers are cached per number for reach_cache_s, in memory, so a
 * resend asks nothing. Backends: one file each, exporting its ops table. */
#ifndef IOTP_POLICY_REACH_H
#define IOTP_POLICY_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum reach_status {
	REACH_UNKNOWN = 0,     /* no usable answer: send (fail open) */
	REACH_REACHABLE = 1,   /* in service (a phone switched off is in service) */
	REACH_UNREACHABLE = 2, /* not in service: sending would reach nobody */
};

/* A lookup provider. lookup blocks at most the timeout given at open. */
struct reach_ops {
	const char *name;
	int (*open)(const struct config *cfg, void **state, char *err, size_t errlen);
	void (*close)(void *state);
	/* REACH_*; with REACH_UNKNOWN, err says why in words. Thread-safe. */
	enum reach_status (*lookup)(void *state, const char *e164, char *err, size_t errlen);
};

extern const struct reach_ops reach_http_ops;

struct reach;

/* From cfg's reach_provider ("" for none: *out = NULL, return 0). An unknown
 * name fails listing the known ones. */
int reach_new(const struct config *cfg, struct reach **out, char *err, size_t errlen);
void reach_free(struct reach *r);

/* Whether e164 is in service at now (ms), from the cache or the provider.
 * NULL r: REACH_UNKNOWN. Thread-safe. */
enum reach_status reach_lookup(struct reach *r, const char *e164, int64_t now);

#endif
