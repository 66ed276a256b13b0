/* core: what every core function needs — configuration, store, keys — owned by
 * main and shared read-only by all threads. */
#ifndef IOTP_CORE_H
#define IOTP_CORE_H

#include "base/seal.h"
#include "config.h"
#include "core/app.h"
#include "store/store.h"

/* Channels a code can go by; main sets those the delivery routes serve. */
#define CORE_CHANNEL_SMS 1u
#define CORE_CHANNEL_VOICE 2u
#define CORE_CHANNEL_WHATSAPP 4u
struct policy;

struct core {
	const struct config *cfg;
	struct store *store;
	struct seal_keys keys;
	unsigned allowed_types; /* bit (1 << enum phone_type) per allowed type */
	unsigned channels;      /* CORE_CHANNEL_*; core_init sets sms and voice */
	struct policy *policy;  /* fraud and abuse defence; NULL: none (unit tests) */
	struct apps apps;       /* the apps served, their languages and templates */
	/* Called before message m is written: the delivery worker may take it
	 * for its first round in that very write (m made STORE_MSG_SENDING, to
	 * m->provider), and returns what it needs to send it then; NULL leaves m
	 * queued. May be NULL. */
	void *(*outbox_claim)(void *arg, struct store_message *m);
	/* Called after the write of m, with claim as outbox_claim gave it and
	 * written 1 when the write went through (the claim is sent once it is
	 * durable, a queued m taken at once instead of at the next poll) or 0 when
	 * it did not (the claim is let go). May be NULL. */
	void (*outbox_notify)(void *arg, const struct store_message *m, void *claim, int written);
	void *notify_arg;
	/* Called after events were written, so events/ delivers them at once. */
	void (*events_notify)(void *arg);
	void *events_arg;
};

/* Fills what core derives from the configuration (allowed number types, apps,
 * templates). Returns 0, or -1 with a sentence naming the option in err (and
 * nothing to free). */
int core_init(struct core *c, const struct config *cfg, struct store *st,
	      const unsigned char secret[32], char *err, size_t errlen);
void core_deinit(struct core *c);

/* 0 when this node can serve verifications now, with the store's backend name
 * in *backend; else -1 with why not in why (for /readyz: a load balancer sends
 * no one to a node whose database file is gone or whose server does not answer). */
int core_ready(struct core *c, const char **backend, char *why, size_t len);

#endif
