/* deadline: answers 408 request_timeout to a request that is not complete
 * within its time — a client that sends half a request and stops, or trickles
 * it. libmicrohttpd can neither queue a response while a body is still arriving
 * nor say why when it drops an idle connection, so a thread of ours watches the
 * open requests, writes the 408 to the socket itself and shuts it, which makes
 * libmicrohttpd close the connection. */
#ifndef IOTP_DEADLINE_H
#define IOTP_DEADLINE_H

#include <stdint.h>

/* Lives inside the request's context; owned by the caller. */
struct deadline_entry {
	struct deadline_entry *prev, *next;
	int fd;
	int64_t due_ms;
	int state; /* 0 open, 1 settled (complete), 2 timed out (408 sent) */
};

struct deadline;

struct deadline *deadline_start(int timeout_ms);
void deadline_stop(struct deadline *d);

/* Starts watching a request that arrived on fd at now. */
void deadline_add(struct deadline *d, struct deadline_entry *e, int fd, int64_t now);
/* The request is complete and will be answered normally. Returns 0, or 1 when
 * it was already answered with a 408 (the caller must then drop it). */
int deadline_settle(struct deadline *d, struct deadline_entry *e);
/* 1 when the request was answered with a 408. */
int deadline_expired(struct deadline *d, struct deadline_entry *e);
/* Stops watching (the connection is finished with the request). */
void deadline_remove(struct deadline *d, struct deadline_entry *e);

#endif
