/* events: delivers what core/ wrote to the events table — webhooks to the
 * app (signed, retried with backoff, at least once) and iotp's own e-mails
 * (mail.* events, by SMTP). events_threads worker threads, a lease on each
 * claimed event and a breaker per destination (worker.c); libcurl for both. */
#ifndef IOTP_EVENTS_H
#define IOTP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store/store.h"

#define WEBHOOK_SIGNATURE_MAX 96

/* What the events threads need from the rest of the server, and nothing more;
 * main.c fills it (events_start keeps a copy; what it points to must outlive
 * the threads). */
struct events_context {
	const struct config *cfg;         /* events_*, webhook_timeout, smtp_*, pin_reset_ttl */
	struct store *store;              /* the events table */
	const unsigned char *message_key; /* SEAL_KEY_BYTES: opens an e-mail's sealed fields */
	/* Where app's events go: sets *url (NULL: it has no webhook, or no app has
	 * that id any more) and *secret. Called from the events threads at once:
	 * it only reads what stays fixed while the server runs. */
	void (*webhook_of)(void *arg, const char *app, const char **url, const char **secret);
	void *arg;
};

/* The Iotp-Signature header of a delivery: "t=<unix seconds>,v1=<hex of
 * HMAC-SHA256(secret, "<t>.<body>")>". The app recomputes it over the raw
 * body and refuses a mismatch or an old t (replays). */
void webhook_sign(const char *secret, int64_t unix_seconds, const char *body, size_t len,
		  char out[WEBHOOK_SIGNATURE_MAX]);

/* The JSON body an event is delivered as (heap; free it). */
char *webhook_body(const struct store_event *e);

/* Posts body to url with its signature. Returns 0 when the app answered 2xx,
 * 1 for a failure worth retrying, with a reason in error. */
int webhook_post(void *curl, const char *url, const char *secret, const char *event_id,
		 const char *body, int timeout_s, int64_t now, char *error, size_t errlen);

/* Sends a mail.* event's e-mail by SMTP (cfg smtp_*). Returns 0, 1 (retry) or
 * 2 (can never be sent), with a reason in error. */
int mail_send(void *curl, const struct events_context *ctx, const struct store_event *e,
	      char *error, size_t errlen);

struct events;

/* Starts the workers; returns 0 or -1 with err. */
int events_start(const struct events_context *ctx, struct events **out, char *err,
		 size_t errlen);
/* Wakes a worker at once (an event was written). */
void events_notify(void *events);
/* Finishes the deliveries in hand (each within webhook_timeout) and stops.
 * NULL is fine. */
void events_stop(struct events *ev);

#endif
