/* forwarded: the client address behind a trusted reverse proxy. */
#ifndef IOTP_HTTP_FORWARDED_H
#define IOTP_HTTP_FORWARDED_H

#include <stddef.h>

/* 1 when ip is one of the comma-separated addresses in trusted, else 0. */
int forwarded_trusted(const char *trusted, const char *ip);

/* The client address a request from peer claims through X-Forwarded-For
 * (xff, may be NULL). Only a peer in trusted is believed; then the header is
 * read right to left, skipping trusted proxies, and the first other address is
 * the client. Writes the answer (peer itself when nothing better is known)
 * into out. Returns 1 when the header decided, else 0. */
int forwarded_client(const char *trusted, const char *peer, const char *xff, char *out,
		     size_t size);

#endif
