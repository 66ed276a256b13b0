#include "http/deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/error.h"

#define TICK_MS 100

struct deadline {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	int timeout_ms;
	struct deadline_entry head; /* sentinel of a list in arrival (= due) order */
	char answer[512];
	size_t answer_len;
};

static void expire(struct deadline *d, struct deadline_entry *e)
{
	ssize_t n = send(e->fd, d->answer, d->answer_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n; /* best effort: the connection is closed either way */
	shutdown(e->fd, SHUT_RDWR);
	e->state = 2;
	log_info("http: a client did not finish its request in time; answered 408 and closed");
}

static void *run(void *arg)
{
	struct deadline *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		int64_t now = clock_now_ms();
		for (struct deadline_entry *e = d->head.next; e != &d->head && e->due_ms <= now; e = e->next)
			if (e->state == 0)
				expire(d, e);
		struct timespec until;
		clock_deadline_in(TICK_MS, &until);
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct deadline *deadline_start(int timeout_ms)
{
	struct deadline *d = xcalloc(1, sizeof *d);
	char body[256];
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->timeout_ms = timeout_ms;
	d->head.next = d->head.prev = &d->head;
	strfmt(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
	       iotp_error_code(IOTP_E_REQUEST_TIMEOUT), iotp_error_message(IOTP_E_REQUEST_TIMEOUT));
	strfmt(d->answer, sizeof d->answer,
	       "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
	       "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
	       strlen(body), body);
	d->answer_len = strlen(d->answer);
	if (pthread_create(&d->thread, NULL, run, d) != 0) {
		log_error("http: cannot start the request deadline thread");
		abort();
	}
	return d;
}

void deadline_stop(struct deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	free(d);
}

void deadline_add(struct deadline *d, struct deadline_entry *e, int fd, int64_t now)
{
	e->fd = fd;
	e->due_ms = now + d->timeout_ms;
	e->state = 0;
	pthread_mutex_lock(&d->lock);
	e->prev = d->head.prev;
	e->next = &d->head;
	d->head.prev->next = e;
	d->head.prev = e;
	pthread_mutex_unlock(&d->lock);
}

int deadline_settle(struct deadline *d, struct deadline_entry *e)
{
	pthread_mutex_lock(&d->lock);
	int expired = e->state == 2;
	if (!expired)
		e->state = 1;
	pthread_mutex_unlock(&d->lock);
	return expired;
}

int deadline_expired(struct deadline *d, struct deadline_entry *e)
{
	pthread_mutex_lock(&d->lock);
	int expired = e->state == 2;
	pthread_mutex_unlock(&d->lock);
	return expired;
}

void deadline_remove(struct deadline *d, struct deadline_entry *e)
{
	pthread_mutex_lock(&d->lock);
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e->prev = e;
	pthread_mutex_unlock(&d->lock);
}
