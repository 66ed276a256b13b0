/* fetch: a provider instance's HTTP client: a pool of libcurl easy handles,
 * each keeping its connection to the gateway alive between messages, so a
 * gateway is not paying a TCP handshake per code. Several delivery threads
 * may call fetch_do at once; each gets a handle of its own. A plain http://
 * GET with nothing but its URL (Kannel's sendsms) goes through fetch_plain.c
 * instead, a pool of keep-alive connections and two system calls a request. */
#ifndef IOTP_FETCH_H
#define IOTP_FETCH_H

#include <stddef.h>

#define FETCH_ANSWER_MAX 8192

struct fetch;

struct fetch_request {
	const char *method; /* "GET", "POST", "PUT" */
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *body;           /* may be NULL */
	size_t body_len;
	const char *userpwd; /* "user:password" for basic auth, or NULL */
};

struct fetch_answer {
	long status;                     /* HTTP status */
	char body[FETCH_ANSWER_MAX + 1]; /* NUL-terminated, cut at FETCH_ANSWER_MAX */
	size_t len;
};

/* Never returns NULL (handles are made on first use). */
struct fetch *fetch_new(long timeout_ms);
void fetch_free(struct fetch *f);

/* Sends the request and waits at most the timeout. Returns 0 with *ans
 * filled when an HTTP answer came (any status), or -1 with the transport
 * failure in words in err (refused, timed out, name not found). */
int fetch_do(struct fetch *f, const struct fetch_request *req, struct fetch_answer *ans, char *err,
             size_t errlen);

/* fetch_do for n GETs with nothing but their URLs, at once: over plain
 * http:// each goes on its own kept-alive connection and all are sent before
 * any answer is read, so the wait is the slowest answer's, not the sum (else
 * one after the other). rc[i] and the n err strings (err + i * errlen) as
 * fetch_do's. */
void fetch_get_batch(struct fetch *f, const char *const *urls, size_t n, struct fetch_answer *ans,
                     int *rc, char *err, size_t errlen);

/* libcurl's process-wide set-up (curl_global_init) is main's. */

#endif
