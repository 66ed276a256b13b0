/* worker: the delivery threads (option delivery_threads) that drain the
 * outbox through the providers, one message per thread at a time.
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

#include "core/core.h"
#include "delivery/delivery.h"

struct worker;

/* Starts the threads over d's providers (d stays the caller's and must outlive
 * the worker). First settles messages a previous process left mid-send. Sets
 * *out only on success; on failure returns -1 with a reason in err. */
int worker_start(struct core *core, struct delivery *d, struct worker **out, char *err,
                 size_t errlen);
/* Hands message m (just queued and committed) to a thread; safe from any
 * thread. When the threads are far behind, the store's poll finds it instead. */
void worker_notify(struct worker *w, const struct store_message *m);
/* Lets each thread finish the message in hand, stops them, frees. NULL does nothing. */
void worker_stop(struct worker *w);

#endif
