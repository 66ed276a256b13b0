/* worker: the delivery drivers and threads (options delivery_threads,
 * delivery_batch) that drain the outbox through the providers: a driver
 * hands a round of up to delivery_batch messages over at once to providers
 * that can (send_batch: Kannel over plain HTTP), a thread one message at a
 * time to the others.
 * For each message it follows the route's providers in order: a provider that
 * fails or refuses passes the message to the next at once; when none took it
 * and some failure was transient, the message is retried later (exponential
 * backoff with jitter). Every hand-over is recorded, and announced to the
 * store before it happens, so a restart never hands a message over twice.
 * A thread wakes when told a message was queued, and the store is polled
 * besides, so retries, messages left by a crash or a paused delivery go out
 * on their own. */
#ifndef IOTP_WORKER_H
#define IOTP_WORKER_H

#include "delivery/delivery.h"
#include "store/store.h"

/* What the threads need from the rest of the server, and nothing more; main.c
 * fills it (the worker keeps a copy; what it points to must outlive the worker). */
struct worker_context {
	struct store *store;              /* the outbox */
	const unsigned char *message_key; /* SEAL_KEY_BYTES: opens the sealed texts */
	int threads;                      /* delivery_threads */
	int batch;                        /* delivery_batch */
	int deliver;                      /* delivery: 0 leaves the messages in the outbox */
	int dlr_timeout;                  /* s; 0: off (see prefer_others in worker.c) */
};

struct worker;

/* Starts the drivers and ctx->threads threads over d's providers (d stays
 * the caller's and must outlive the worker). First settles messages a
 * previous process left mid-send. Sets *out only on success; on failure
 * returns -1 with a reason in err. */
int worker_start(const struct worker_context *ctx, struct delivery *d, struct worker **out,
                 char *err, size_t errlen);
/* Hands message m (just queued and committed) to a thread; safe from any
 * thread. When the threads are far behind, the store's poll finds it instead. */
void worker_notify(struct worker *w, const struct store_message *m);

/* A message taken for its first round in the write that queues it. */
struct worker_claim;
/* Called before m is written: when m is queued and a thread is idle, chooses m's providers,
 * makes m STORE_MSG_SENDING (attempts 1, provider the first to try) and
 * returns the claim, which the thread sends once the write is durable: no
 * take of its own, and no wait for one. NULL leaves m as it was (queued),
 * for worker_notify. Safe from any thread. */
struct worker_claim *worker_claim(struct worker *w, struct store_message *m);
/* The write of claimed m is over: written, the claim goes to the thread when
 * the thread calling this owes nothing more to the store (base/durable.h);
 * not written, it is let go. Takes c. */
void worker_claimed(struct worker_claim *c, const struct store_message *m, int written);
/* Lets each thread finish the message in hand, stops them, frees. NULL does nothing. */
void worker_stop(struct worker *w);

#endif
