/* core: what every core function needs — configuration, store, keys — owned by
 * main and shared read-only by all threads. */
#ifndef IOTP_CORE_H
#define IOTP_CORE_H

#include "base/seal.h"
#include "config.h"
#include "store/store.h"

struct policy;

struct core {
	const struct config *cfg;
	struct store *store;
	struct seal_keys keys;
	unsigned allowed_types; /* bit (1 << enum phone_type) per allowed type */
	struct policy *policy;  /* fraud and abuse defence; NULL: none (unit tests) */
	/* Called after a message was queued, so the delivery worker wakes at once
	 * instead of at its next poll. May be NULL. */
	void (*outbox_notify)(void *arg);
	void *notify_arg;
};

/* Fills what core derives from the configuration (allowed number types).
 * Returns 0, or -1 with a sentence naming the option in err. */
int core_init(struct core *c, const struct config *cfg, struct store *st,
	      const unsigned char secret[32], char *err, size_t errlen);

#endif
