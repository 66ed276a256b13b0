/* provider: how a message leaves iotp. One interface, one file per provider
 * (log now; kannel, http and smpp follow). A provider knows nothing of sessions:
 * it gets a recipient, a channel and the exact text, and says what happened.
 *
 * Every provider guarantees:
 * - send() is called by one delivery thread at a time per provider state;
 * - sending the same message id twice delivers it at most once where the
 *   gateway allows (the id is iotp's idempotency key);
 * - the text is never logged. */
#ifndef IOTP_PROVIDER_H
#define IOTP_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "delivery/inbox.h"

#define PROVIDER_OPS_VERSION 1
#define PROVIDER_CHANNEL_SMS 1u
#define PROVIDER_CHANNEL_VOICE 2u

/* Outcomes of send(). */
#define PROVIDER_SENT 0
#define PROVIDER_RETRY 1   /* transient: try again later */
#define PROVIDER_REFUSED 2 /* permanent: this message will never go */

struct provider_message {
	const char *id;
	const char *to;      /* E.164 */
	const char *channel; /* "sms" | "voice" */
	const char *text;
	int64_t now;         /* ms since the epoch */
};

/* What providers may use at open. */
struct provider_env {
	const struct config *cfg;
	struct inbox *inbox; /* the dev inbox; NULL outside dev mode */
};

struct provider_ops {
	int version;
	const char *name;
	unsigned channels; /* PROVIDER_CHANNEL_* it serves */
	int (*open)(const struct provider_env *env, void **state, char *err, size_t errlen);
	void (*close)(void *state);
	/* Returns PROVIDER_SENT, _RETRY or _REFUSED, with a reason in error for the
	 * last two (words a support person understands). */
	int (*send)(void *state, const struct provider_message *m, char *error, size_t errlen);
};

extern const struct provider_ops provider_log_ops;

/* The provider named name, or NULL; known lists the names for an error. */
const struct provider_ops *provider_find(const char *name, const char **known);

#endif
