/* outage: the shared store every request needs cannot be reached right now.
 *
 * The store backend says so when a connection fails and when one works again;
 * the HTTP server turns what requests then answer as internal errors into 503
 * store_unavailable with Retry-After, so clients and load balancers wait and
 * retry instead of taking the failure for a bug. A process-wide state: one
 * process has one store. Safe from any thread. */
#ifndef IOTP_OUTAGE_H
#define IOTP_OUTAGE_H

#include <stdint.h>

/* The store cannot be reached; the next try is in retry_ms (monotonic). */
void outage_report(int64_t retry_ms);
/* The store answered again. */
void outage_clear(void);
/* Seconds a client should wait (at least 1) while an outage is reported and
 * not cleared; 0 when there is none. */
int64_t outage_retry_after(void);

#endif
