/* retention (core/retention.h): the cleanup lease and its sweeps. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/retention.h"

#define DAY_MS (24LL * 3600 * 1000)

int retention_sweep(struct store *st, const char *node, int days, int64_t now,
		    struct store_cleanup *total)
{
	/* Three sweeps long: a live holder renews it each sweep; a dead one's
	 * duty passes on within three minutes. */
	int rc = store_lease_take(st, "cleanup", node, now, now + 3 * RETENTION_EVERY_MS);
	if (rc == STORE_CONFLICT)
		return 1;
	if (rc != 0)
		return -1;
	/* 0 days: nothing is created before the epoch, so only records go. */
	int64_t before = days > 0 ? now - days * DAY_MS : 0;
	for (int i = 0; i < RETENTION_BATCHES_MAX; i++) {
		struct store_cleanup n;
		if (store_cleanup(st, before, now, RETENTION_BATCH, &n) < 0)
			return -1;
		total->sessions += n.sessions;
		total->messages += n.messages;
		total->attempts += n.attempts;
		total->events += n.events;
		total->records += n.records;
		total->notes += n.notes;
		total->fraud_events += n.fraud_events;
		if (n.sessions < RETENTION_BATCH && n.messages < RETENTION_BATCH &&
		    n.attempts < RETENTION_BATCH && n.events < RETENTION_BATCH &&
		    n.records < RETENTION_BATCH && n.notes < RETENTION_BATCH &&
		    n.fraud_events < RETENTION_BATCH)
			break;
	}
	return 0;
}

struct retention {
	struct store *st;
	const char *node;
	int days;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
};

static void *run(void *arg)
{
	struct retention *r = arg;
	/* The first sweep a few seconds in, when start-up's work is done. */
	int64_t wait_ms = 5000;
	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->lock, &ts) != ETIMEDOUT)
			;
		if (r->stopping)
			break;
		pthread_mutex_unlock(&r->lock);
		struct store_cleanup n = {0};
		int rc = retention_sweep(r->st, r->node, r->days, clock_now_ms(), &n);
		if (rc < 0)
			log_warn("cleanup: the store failed a sweep; trying again in a minute");
		else if (n.sessions || n.messages || n.attempts || n.events || n.records || n.notes ||
			 n.fraud_events)
			log_info("cleanup: removed %zu sessions, %zu messages (%zu hand-overs), %zu "
				 "webhooks, %zu notes and %zu fraud events older than %d days, and "
				 "%zu expired records",
				 n.sessions, n.messages, n.attempts, n.events, n.notes,
				 n.fraud_events, r->days, n.records);
		pthread_mutex_lock(&r->lock);
		wait_ms = RETENTION_EVERY_MS;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int retention_start(struct store *st, const char *node, int days, struct retention **out,
		    char *err, size_t errlen)
{
	struct retention *r = xcalloc(1, sizeof *r);
	r->st = st;
	r->node = node;
	r->days = days;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	int e = pthread_create(&r->thread, NULL, run, r);
	if (e) {
		strfmt(err, errlen, "cannot start the cleanup thread: %s", strerror(e));
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
