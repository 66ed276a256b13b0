/* The events worker: claims due events, delivers each, records the outcome;
 * retries with exponential backoff and jitter, for about a day. */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "events/events.h"

#define BATCH 16
#define POLL_MS 500
#define MAX_ATTEMPTS 20
#define BACKOFF_CAP_MS (2 * 3600 * 1000LL)

struct events {
	struct core *core;
	CURL *curl;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending;
	int stopping;
	struct store_event batch[BATCH];
};

/* 1 s, 2 s, 4 s ... capped at 2 h, each with half of it random. */
static int64_t backoff_ms(int attempts)
{
	int64_t base = 1000LL << (attempts < 14 ? attempts - 1 : 13);
	if (base > BACKOFF_CAP_MS)
		base = BACKOFF_CAP_MS;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2) + 1);
}

static void deliver(struct events *ev, struct store_event *e)
{
	const struct core *c = ev->core;
	int64_t now = clock_now_ms();
	int outcome;
	e->error[0] = '\0';
	if (!strncmp(e->type, "mail.", 5)) {
		outcome = mail_send(ev->curl, c, e, e->error, sizeof e->error);
	} else {
		const struct app *app = apps_find(&c->apps, e->app);
		char *body = webhook_body(e);
		if (!app || !app->webhook_url) {
			strfmt(e->error, sizeof e->error, "app %s has no webhook_url", e->app);
			outcome = 2;
		} else if (!body) {
			strfmt(e->error, sizeof e->error, "the event does not encode");
			outcome = 2;
		} else {
			outcome = webhook_post(ev->curl, app->webhook_url, app->webhook_secret, e->id, body,
					       c->cfg->webhook_timeout, now, e->error, sizeof e->error);
		}
		free(body);
	}
	if (outcome == 0) {
		e->state = STORE_EVENT_DELIVERED;
		e->delivered_at = now;
	} else if (outcome == 1 && e->attempts < MAX_ATTEMPTS) {
		e->state = STORE_EVENT_PENDING;
		e->next_attempt_at = now + backoff_ms(e->attempts);
		log_warn("event %s (%s): %s; retrying", e->id, e->type, e->error);
	} else {
		e->state = STORE_EVENT_FAILED;
		log_warn("event %s (%s): %s; giving up", e->id, e->type, e->error);
	}
}

static void *run(void *arg)
{
	struct events *ev = arg;
	pthread_mutex_lock(&ev->lock);
	while (!ev->stopping) {
		ev->pending = 0;
		pthread_mutex_unlock(&ev->lock);
		size_t n = 0;
		if (store_event_claim(ev->core->store, clock_now_ms(), ev->batch, BATCH, &n) == 0 && n) {
			for (size_t i = 0; i < n; i++)
				deliver(ev, &ev->batch[i]);
			store_event_finish(ev->core->store, ev->batch, n);
		}
		pthread_mutex_lock(&ev->lock);
		if (n == BATCH || ev->pending || ev->stopping)
			continue;
		struct timespec until;
		clock_deadline_in(POLL_MS, &until);
		pthread_cond_timedwait(&ev->wake, &ev->lock, &until);
	}
	pthread_mutex_unlock(&ev->lock);
	return NULL;
}

int events_start(struct core *c, struct events **out, char *err, size_t errlen)
{
	struct events *ev = xcalloc(1, sizeof *ev);
	ev->core = c;
	ev->curl = curl_easy_init();
	if (!ev->curl) {
		free(ev);
		strfmt(err, errlen, "libcurl failed to start");
		return -1;
	}
	pthread_mutex_init(&ev->lock, NULL);
	pthread_cond_init(&ev->wake, NULL);
	if (pthread_create(&ev->thread, NULL, run, ev) != 0) {
		curl_easy_cleanup(ev->curl);
		free(ev);
		strfmt(err, errlen, "cannot start the events thread");
		return -1;
	}
	*out = ev;
	return 0;
}

void events_notify(void *arg)
{
	struct events *ev = arg;
	pthread_mutex_lock(&ev->lock);
	ev->pending = 1;
	pthread_cond_signal(&ev->wake);
	pthread_mutex_unlock(&ev->lock);
}

void events_stop(struct events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stopping = 1;
	pthread_cond_signal(&ev->wake);
	pthread_mutex_unlock(&ev->lock);
	pthread_join(ev->thread, NULL);
	curl_easy_cleanup(ev->curl);
	pthread_mutex_destroy(&ev->lock);
	pthread_cond_destroy(&ev->wake);
	free(ev);
}
