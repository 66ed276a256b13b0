/* provider: how a message leaves iotp. One interface, one file per provider
 * type (log, kannel, http); each "[provider NAME]" section of the configuration
 * opens one instance of a type. A provider knows nothing of sessions or routes:
 * it gets a recipient, a channel, a sender and the exact text, and says what
 * happened; later it reads the delivery reports its gateway sends back.
 *
 * Every provider guarantees:
 * - send() may be called from several delivery threads at once (a gateway
 *   that answers slowly must not hold the others up), and report() from any
 *   HTTP thread at any time: per-call state (connections) comes from a pool,
 *   the rest is what open() set up and never changes;
 * - the message id is iotp's idempotency key: a provider that can tell its
 *   gateway passes it on (Kannel's dlr-url, the http provider's {message_id});
 * - texts and credentials are never logged. */
#ifndef IOTP_PROVIDER_H
#define IOTP_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "delivery/inbox.h"

#define PROVIDER_OPS_VERSION 3
#define PROVIDER_CHANNEL_SMS 1u
#define PROVIDER_CHANNEL_VOICE 2u
#define PROVIDER_CHANNEL_WHATSAPP 4u

/* Outcomes of send(). */
#define PROVIDER_SENT 0
#define PROVIDER_RETRY 1   /* transient (unreachable, timeout, 5xx): may work later */
#define PROVIDER_REFUSED 2 /* this provider will not take this message */

/* Outcomes of report() besides 0 (an authentic report, parsed). */
#define PROVIDER_REPORT_FORGED 1    /* token or signature wrong or missing */
#define PROVIDER_REPORT_INVALID 2   /* authentic, but no message or no known status */
#define PROVIDER_REPORT_IGNORED 3   /* authentic, but says nothing about a state */
#define PROVIDER_REPORT_CHALLENGE 4 /* a webhook subscription check: answer out->ref */

#define PROVIDER_REF_MAX 64

struct provider_message {
	const char *id;      /* iotp's message id */
	const char *to;      /* E.164 */
	const char *region;  /* ISO 3166 of the number, or "" */
	const char *channel; /* "sms" | "voice" | "whatsapp" */
	const char *text;    /* SMS text, spoken script, or (whatsapp) the bare code */
	const char *ssml;    /* voice: SSML of the script, or NULL */
	const char *from;    /* sender id or number for this country; "" for none */
	int64_t now;         /* ms since the epoch */
};

/* What providers may use at open. */
struct provider_env {
	const struct config *cfg;
	const struct config_section *section; /* "[provider NAME]" */
	const char *name;
	struct inbox *inbox; /* the dev inbox; NULL outside dev mode */
	/* How gateways reach iotpd ("http://host:port"), for callback URLs. Points
	 * at storage that is filled before the first send. */
	const char *public_url;
};

/* A delivery report as the HTTP layer received it. */
struct provider_report_in {
	const char *(*query)(void *arg, const char *key); /* a query argument, or NULL */
	const char *(*header)(void *arg, const char *name);
	void *arg;
	const char *content_type; /* or NULL */
	const char *body;         /* raw, NUL-terminated; "" when none */
	size_t body_len;
	/* The request target as the gateway sent it, path and raw query string
	 * ("/v1/dlr/NAME?m=…"), for signatures over the URL; NULL when unknown. */
	const char *target;
};

struct provider_report {
	char id[48];                /* iotp's message id, or "" when only ref is known */
	char ref[PROVIDER_REF_MAX]; /* the provider's id for it, or "" */
	int state;                  /* enum store_message_state */
	char reason[256];           /* words a support person understands, UTF-8; "" for none */
};

/* What send() said of one message of a send_batch(). */
struct provider_sent {
	int outcome; /* PROVIDER_SENT, _RETRY or _REFUSED */
	char ref[PROVIDER_REF_MAX];
	char error[256];
};

struct provider_ops {
	int version;
	const char *type;
	unsigned channels; /* PROVIDER_CHANNEL_* it can serve; a section narrows them */
	int (*open)(const struct provider_env *env, void **state, char *err, size_t errlen);
	void (*close)(void *state);
	/* Returns PROVIDER_SENT (with the provider's id for the message in ref, or
	 * ""), _RETRY or _REFUSED with a reason in error. */
	int (*send)(void *state, const struct provider_message *m, char *ref, size_t reflen,
	            char *error, size_t errlen);
	/* Optional (NULL: send() one message at a time): hands m[0..n) over at
	 * once, each on its own connection, and waits for the gateway's answers
	 * together, so one thread keeps n hand-overs in flight; out[i] is what
	 * send() would have said of m[i]. */
	void (*send_batch)(void *state, const struct provider_message *m, size_t n,
	                   struct provider_sent *out);
	/* Authenticates and reads a delivery report; NULL when the type gets none.
	 * Returns 0 with *out filled, or PROVIDER_REPORT_* with why in error. */
	int (*report)(void *state, const struct provider_report_in *in, struct provider_report *out,
	              char *error, size_t errlen);
};

extern const struct provider_ops provider_log_ops;
extern const struct provider_ops provider_kannel_ops;
extern const struct provider_ops provider_http_ops;

/* Settings every [provider NAME] section may have, whatever its type (read by
 * delivery/routes.c); each type lists them first among its keys. */
#define PROVIDER_COMMON_KEYS "type", "channels", "breaker_failures", "breaker_open_ms"

/* Reads a whole-number setting of a section within min..max into *out (left
 * alone when the setting is absent). Returns 0, or -1 with FILE:LINE in err. */
int provider_section_long(const struct config *cfg, const struct config_section *s, const char *key,
                          long min, long max, long *out, char *err, size_t errlen);

/* The provider type named type, or NULL; known lists the names for an error. */
const struct provider_ops *provider_find(const char *type, const char **known);

/* PROVIDER_CHANNEL_* for "sms", "voice", "whatsapp"; 0 for anything else. */
unsigned provider_channel_bit(const char *channel);
/* Parses "sms, voice" into bits; returns 0 or -1 on an unknown name. */
int provider_channels_parse(const char *list, unsigned *out);

#endif
