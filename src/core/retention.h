/* retention: removes what iotp no longer needs to keep — old sessions, their
 * finished messages and hand-overs, delivered webhooks, expired records
 * (store_cleanup) — a bounded number of short batches a minute, on whichever
 * process sharing the store holds the "cleanup" lease, so several nodes never
 * sweep at once and a node that dies hands the duty on when its lease ends. */
#ifndef IOTP_RETENTION_H
#define IOTP_RETENTION_H

#include <stdint.h>

#include "store/store.h"

#define RETENTION_EVERY_MS 60000  /* a sweep a minute */
#define RETENTION_BATCH 500       /* rows of each kind per transaction */
#define RETENTION_BATCHES_MAX 20  /* per sweep: the rest waits for the next */

/* One sweep at now by node: takes (or renews) the lease, then removes rows
 * older than days (0: only expired records) in batches while a batch comes
 * back full. Adds what it removed to *total. Returns 0, 1 when another node
 * holds the lease (nothing done), or -1. */
int retention_sweep(struct store *st, const char *node, int days, int64_t now,
		    struct store_cleanup *total);

struct retention;
/* Starts the thread that sweeps every RETENTION_EVERY_MS (the first soon
 * after start). node and st must outlive it. Sets *out only on success. */
int retention_start(struct store *st, const char *node, int days, struct retention **out,
		    char *err, size_t errlen);
/* Stops it (waiting for a sweep in progress); NULL does nothing. */
void retention_stop(struct retention *r);

#endif
