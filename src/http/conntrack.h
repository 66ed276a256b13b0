/* conntrack: every open connection of one listener, so that no client, and
 * no crowd of slow clients, can take the connections the server has.
 *
 * - Limits per client address, per network (/24 for IPv4, /64 for IPv6) and
 *   per IPv6 site (/48): a connection beyond one of them is answered 429
 *   too_many_connections when its request arrives, and closed.
 * - A header deadline: from the moment a connection opens, its first
 *   request's headers must be complete within header_timeout, however they
 *   trickle in (each byte resets libmicrohttpd's idle timeout, so that alone
 *   lets one line every few seconds hold a connection for ever); late, the
 *   client is answered 408 and the connection closed. After a response, a
 *   kept-alive connection has idle_timeout for the next request's headers
 *   (it is closed silently then: a client that sent nothing is owed nothing).
 * - Shedding: at max connections, a new connection closes the one that has
 *   waited longest for a request — idle between requests or still sending
 *   headers — so an honest client that sends its request at once is always
 *   let in. A connection with a request in progress is never shed.
 *
 * One thread of its own enforces the deadlines (every 100 ms). Thread safe.
 * Closing means shutdown(2) of the socket, which makes libmicrohttpd close
 * the connection and report it (conntrack_close) on its own thread. */
#ifndef IOTP_CONNTRACK_H
#define IOTP_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct conntrack_limits {
	int max;               /* open connections at once; more shed the oldest waiting one */
	int per_ip;            /* open connections per client address */
	int per_network;       /* ... per /24 (IPv4) or /64 (IPv6) */
	int per_site;          /* ... per /48 (IPv6 only) */
	int header_timeout_ms; /* connection open -> first request's headers complete */
	int idle_timeout_ms;   /* response sent -> next request's headers complete */
};

/* What conntrack did and does, for logs and tests. */
struct conntrack_stats {
	int64_t open;    /* connections open now */
	int64_t waiting; /* ... of which waiting for a request's headers */
	int64_t expired; /* closed since start because headers were late (first request) */
	int64_t idled;   /* closed since start idle, or late, after a response */
	int64_t shed;    /* closed since start to let a new connection in */
	int64_t refused; /* opened since start beyond a per-address or per-network limit */
};

struct conntrack;
struct conntrack_slot;

/* Starts the deadline thread; aborts when it cannot (nothing can be served). */
struct conntrack *conntrack_start(const struct conntrack_limits *limits);
/* Stops the thread and frees everything; every slot must be closed first. */
void conntrack_stop(struct conntrack *ct);

/* Counts a new connection from ip on socket fd at now (ms), under its
 * header deadline; may shed the longest-waiting connection (this one, when
 * it is the only one waiting). Returns the handle for the calls below. */
struct conntrack_slot *conntrack_open(struct conntrack *ct, const char *ip, int fd, int64_t now);
/* The connection's address, as conntrack_open was given it: read once per
 * connection rather than formatted again for every request. */
const char *conntrack_peer(const struct conntrack_slot *slot);
/* IOTP_E_OK, or IOTP_E_TOO_MANY_CONNECTIONS when the connection was beyond a
 * limit when it opened; then what (a sentence naming the address or
 * network) goes into msg. */
enum iotp_error conntrack_refusal(const struct conntrack_slot *slot, char *msg, size_t size);
/* A request's headers are complete: the connection leaves the deadline and
 * can no longer be shed. Returns 0, or 1 when conntrack has already closed it
 * (the caller drops the request). */
int conntrack_busy(struct conntrack *ct, struct conntrack_slot *slot);
/* The request's answer is queued and the connection closes once it is
 * written: it no longer takes a place from a new connection (the client may
 * already hold the answer and be connecting again), and is never shed, so
 * its answer is never cut short. */
void conntrack_leaving(struct conntrack *ct, struct conntrack_slot *slot);
/* The response is sent and the connection kept: it waits for the next
 * request, under idle_timeout from now. */
void conntrack_idle(struct conntrack *ct, struct conntrack_slot *slot, int64_t now);
/* libmicrohttpd closed the connection: forgets it and frees slot. */
void conntrack_close(struct conntrack *ct, struct conntrack_slot *slot);

void conntrack_stats(struct conntrack *ct, struct conntrack_stats *out);

#endif
