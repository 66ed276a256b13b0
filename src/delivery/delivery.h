/* delivery: the configured providers ("[provider NAME]" sections), the routes
 * that pick them per country and channel ("[route XX]", "[route default]"),
 * the senders, and the door for delivery reports. Built at start-up from the
 * configuration (SIGHUP re-reads the routes); read by the delivery thread (sends) and the HTTP threads
 * (reports). docs/delivery.md describes the settings. */
#ifndef IOTP_DELIVERY_H
#define IOTP_DELIVERY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/breaker.h"
#include "delivery/inbox.h"
#include "delivery/provider.h"
#include "store/store.h"

#define DELIVERY_ROUTE_MAX STORE_ATTEMPTS_MAX /* providers one route lists per channel */

/* Outcomes of delivery_report besides 0 (the message moved on). */
#define DELIVERY_REPORT_STALE 1   /* duplicate or late: nothing changed */
#define DELIVERY_REPORT_IGNORED 2 /* authentic, about no state */
#define DELIVERY_REPORT_FORGED 3
#define DELIVERY_REPORT_INVALID 4
#define DELIVERY_REPORT_UNKNOWN 5   /* no such provider, or it was given no such message */
#define DELIVERY_REPORT_CHALLENGE 6 /* a webhook subscription check: answer with id's text */

struct delivery_provider {
	char name[32];
	const struct provider_ops *ops;
	void *state;
	unsigned channels;    /* PROVIDER_CHANNEL_* it serves here */
	pthread_mutex_t lock; /* guards breaker: the delivery threads share it */
	struct breaker breaker;
};

struct delivery;

/* Opens every provider and reads routes and senders. Sets *out only on
 * success; else returns -1 with the reason (FILE:LINE for sections) in err. */
int delivery_new(const struct config *cfg, struct inbox *inbox, struct delivery **out, char *err,
                 size_t errlen);
/* Replaces the routes ([route] sections) with cfg's, for SIGHUP: requests and
 * sends in flight finish on the routes they started with. The providers stay
 * those opened at start-up; a [provider] section that is new refuses the
 * reload. Returns 0, or -1 with err (the routes in force unchanged). */
int delivery_reload_routes(struct delivery *d, const struct config *cfg, char *err, size_t errlen);
/* Closes the providers and frees. NULL does nothing. */
void delivery_free(struct delivery *d);

/* Where gateways reach iotpd for reports: the option public_url, or else the
 * address the API is bound to. Call before the delivery thread starts. */
void delivery_set_public_url(struct delivery *d, const char *url);

/* The channels some route serves (PROVIDER_CHANNEL_* bits). */
unsigned delivery_channels(const struct delivery *d);

/* The providers for a message to region over channel, in the order to try:
 * the region's route, else the default's. Returns how many (0: none). */
size_t delivery_plan(struct delivery *d, const char *region, const char *channel,
                     struct delivery_provider **out, size_t max);

/* The sender for a message to region over channel ("" for none). */
const char *delivery_sender(const struct delivery *d, const char *region, const char *channel);

/* Authenticates a report for provider and applies it to the store. Returns 0
 * or a DELIVERY_REPORT_* outcome with why in error, or -1 (store failure).
 * Sets id to the message's id when known (for DELIVERY_REPORT_CHALLENGE: to
 * the text to answer with). Safe from any thread. */
int delivery_report(struct delivery *d, struct store *st, const char *provider,
                    const struct provider_report_in *in, int64_t now, char id[STORE_ID_MAX],
                    char *error, size_t errlen);

#endif
