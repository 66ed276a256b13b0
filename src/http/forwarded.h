/* forwarded: the client address behind a trusted reverse proxy. */
#ifndef IOTP_HTTP_FORWARDED_H
#define IOTP_HTTP_FORWARDED_H

#include <stddef.h>

/* 1 when ip is one of the comma-separated addresses in trusted, else 0. */
int forwarded_trusted(const char *trusted, const char *ip);

/* The most X-Forwarded-For lines of one request that are read; with more,
 * the leftmost (oldest) ones are ignored. */
#define FORWARDED_LINES_MAX 16

/* The client address a request from peer claims through X-Forwarded-For:
 * lines are the header's n lines in the order they arrived (n may be 0). A
 * request may carry several lines — a proxy may add its own line instead of
 * appending to the client's — and they mean one list, the lines joined by
 * commas (RFC 9110, 5.3), so the proxy's line, which comes last, is read
 * first. Only a peer in trusted is believed; then the list is read right to
 * left, skipping trusted proxies, and the first other address is the client;
 * anything that is not an address stops the walk. Writes the answer (peer
 * itself when nothing better is known) into out. Returns 1 when the header
 * decided, else 0. */
int forwarded_client(const char *trusted, const char *peer, const char *const *lines, size_t n,
		     char *out, size_t size);

#endif
