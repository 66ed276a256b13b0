/* worker: the delivery thread that drains the outbox through the provider.
 * It wakes when told a message was queued, and polls besides, so messages left
 * by a crash or a paused delivery go out on their own. */
#ifndef IOTP_WORKER_H
#define IOTP_WORKER_H

#include "core/core.h"
#include "delivery/provider.h"

struct worker;

/* Opens the provider and starts the thread. First puts back messages a previous
 * process claimed but never finished. Sets *out only on success; on failure
 * returns -1 with a reason in err. */
int worker_start(struct core *core, const struct provider_env *env, struct worker **out,
		 char *err, size_t errlen);
/* Wakes the thread (safe from any thread; arg is the worker). */
void worker_notify(void *arg);
/* Finishes the batch in hand, stops the thread, closes the provider, frees. */
void worker_stop(struct worker *w);

#endif
