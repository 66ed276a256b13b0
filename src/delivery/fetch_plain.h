/* fetch_plain: fetch's own HTTP/1.1 client for the one request shape that
 * dominates delivery, a plain-text GET with everything in the URL (Kannel's
 * sendsms). It keeps a pool of open keep-alive connections and does a request
 * in two system calls (a send, a receive) where libcurl needed a dozen and its
 * state machine: about a fifth of iotpd's CPU per code in front of Kannel
 * went to libcurl (bench/RESULTS.md, "Delivery"). Everything else (https,
 * bodies, headers, credentials, a proxy in the environment) stays libcurl's.
 * Internal to fetch.c. */
#ifndef IOTP_FETCH_PLAIN_H
#define IOTP_FETCH_PLAIN_H

#include "delivery/fetch.h"

struct fetch_plain;

/* 1 when url can go this way: "http://" and nothing libcurl alone handles
 * (no user:password@ in it). */
int fetch_plain_accepts(const char *url);
/* Never returns NULL. */
struct fetch_plain *fetch_plain_new(long timeout_ms);
/* Closes the pooled connections. NULL does nothing. */
void fetch_plain_free(struct fetch_plain *p);
/* fetch_do's contract for GET url (fetch_plain_accepts(url) must hold). */
int fetch_plain_get(struct fetch_plain *p, const char *url, struct fetch_answer *ans, char *err,
                    size_t errlen);
/* fetch_plain_get for n URLs at once, each on its own connection: all are
 * sent before any answer is read. rc[i] and the n err strings (err + i *
 * errlen) as fetch_plain_get's. */
void fetch_plain_get_batch(struct fetch_plain *p, const char *const *urls, size_t n,
                           struct fetch_answer *ans, int *rc, char *err, size_t errlen);
/* Reads one answer from fd (the fuzz harness's way in): 1 when the connection
 * can carry another request, 0 when it cannot, -1 on a failure or no answer
 * within timeout_ms. With 0 or 1, ans has a status of 200 to 999 (or 101) and
 * at most FETCH_ANSWER_MAX bytes of body, NUL-terminated. */
int fetch_plain_read(int fd, long timeout_ms, struct fetch_answer *ans);

#endif
