/* The events workers: events_threads threads, each claiming one due event at
 * a time, delivering it and recording the outcome; retries with exponential
 * backoff and jitter (base/backoff.h), for half a day.
 *
 * A claim leases the event (store_event_claim), so two threads — or two
 * processes on one store — never deliver it at once, and a crash gives it
 * back when the lease ends. A destination (an app's webhook, the SMTP server)
 * takes one delivery at a time: claims pass over the busy ones, so an app
 * whose webhook hangs holds one thread, never all of them. Each destination
 * has a breaker (base/breaker.h): while it rests, its events are put back untried. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/backoff.h"
#include "base/breaker.h"
#include "base/clock.h"
#include "base/log.h"
#include "events/events.h"

#define POLL_MS 500
#define MAX_ATTEMPTS 20
/* Retries wait backoff_ms (base/backoff.h): between half and all of 1 s, 2 s,
 * 4 s ..., 2 h from round 14 on; the 19 retries of MAX_ATTEMPTS rounds span
 * 7 to 14 hours before an event fails. */
#define BACKOFF_CAP_MS (2 * 3600 * 1000LL)
/* Five in a row open a destination's breaker: the backoff retries one event
 * after 1 s, 2 s, 4 s..., so five straight failures (usually of different
 * events) say the destination is down, not that one event is unlucky; fewer
 * would let a short blip of a busy receiver hold every event. */
#define BREAKER_FAILURES 5
/* The longest rest: a destination down for hours costs a probe each 10 min.
 * The first rest is events_breaker_open; each failed probe doubles it. */
#define BREAKER_REST_MAX_MS (600 * 1000LL)
/* The lease outlives the longest delivery (libcurl's whole-transfer timeout,
 * webhook_timeout) by this much, so it never ends while a delivery is alive. */
#define LEASE_MARGIN_MS (30 * 1000LL)

/* Where events go: an app's webhook, or (mail) the SMTP server. */
struct dest {
	char app[STORE_APP_MAX];
	int mail;
	int busy; /* a delivery (or the probe) is in hand: claims pass it over */
	struct breaker breaker;
	char last_error[128]; /* of the last transient failure, for held events */
};

struct worker {
	struct events *ev;
	CURL *curl;
	pthread_t thread;
	struct store_event event;
};

struct events {
	struct events_context ctx;
	/* Guards claims and the destinations, so that a destination is marked
	 * busy in the same step as the claim of its event. */
	pthread_mutex_t claim_lock;
	struct dest **dests;
	size_t n_dests;
	/* Guards the wake-ups; request threads take it in events_notify. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending;
	int stopping;
	int polling; /* an idle thread waits with a timeout, for retries */
	int n_workers;
	struct worker *workers;
	/* Apps already told to have no webhook_url (under lock): said once per
	 * app, not once per event (dev mode's default app has none). */
	char no_webhook[16][STORE_APP_MAX];
	int n_no_webhook;
};

/* 1 the first time app is found without a webhook_url (then at most 16
 * apps are remembered; later ones are told every time). */
static int first_without_webhook(struct events *ev, const char *app)
{
	int first = 1;
	pthread_mutex_lock(&ev->lock);
	for (int i = 0; i < ev->n_no_webhook && first; i++)
		first = strcmp(ev->no_webhook[i], app) != 0;
	if (first && ev->n_no_webhook < 16)
		strfmt(ev->no_webhook[ev->n_no_webhook++], STORE_APP_MAX, "%s", app);
	pthread_mutex_unlock(&ev->lock);
	return first;
}

static int is_mail(const struct store_event *e)
{
	return !strncmp(e->type, "mail.", 5);
}

/* The destination of e, created on first sight. Under claim_lock. */
static struct dest *dest_of(struct events *ev, const struct store_event *e)
{
	int mail = is_mail(e);
	for (size_t i = 0; i < ev->n_dests; i++) {
		struct dest *d = ev->dests[i];
		if (d->mail == mail && (mail || !strcmp(d->app, e->app)))
			return d;
	}
	ev->dests = xrealloc(ev->dests, (ev->n_dests + 1) * sizeof *ev->dests);
	struct dest *d = xcalloc(1, sizeof *d);
	d->mail = mail;
	breaker_init(&d->breaker, BREAKER_FAILURES, ev->ctx.cfg->events_breaker_open * 1000LL,
		     BREAKER_REST_MAX_MS);
	if (!mail)
		strfmt(d->app, sizeof d->app, "%s", e->app);
	ev->dests[ev->n_dests++] = d;
	return d;
}

/* Puts an event of a resting destination back untried: the attempt the claim
 * counted is given back, and the error says why it waits, for operators.
 * Under claim_lock: it reads the breaker. */
static void hold(struct store_event *e, const struct dest *d, int64_t until)
{
	char when[32];
	clock_format_ms(until, when, sizeof when);
	e->attempts--;
	e->state = STORE_EVENT_PENDING;
	e->next_attempt_at = until;
	if (d->mail)
		strfmt(e->error, sizeof e->error,
		       "the SMTP server failed %d times in a row (last: %s); e-mails wait until %s",
		       d->breaker.failures, d->last_error, when);
	else
		strfmt(e->error, sizeof e->error,
		       "the app's webhook failed %d times in a row (last: %s); its events wait until %s",
		       d->breaker.failures, d->last_error, when);
}

/* Claims one due event whose destination is free into w->event, and admits
 * it through the destination's breaker. Returns NULL when nothing is due; else
 * the destination, with *open set when it rests (w->event is then ready to be
 * put back as it is). */
static struct dest *claim(struct worker *w, int *open)
{
	struct events *ev = w->ev;
	const struct events_context *c = &ev->ctx;
	struct store_event_skip skip = {.n_apps = 0};
	struct dest *d = NULL;
	size_t n = 0;
	pthread_mutex_lock(&ev->claim_lock);
	for (size_t i = 0; i < ev->n_dests; i++) {
		const struct dest *busy = ev->dests[i];
		if (!busy->busy)
			continue;
		if (busy->mail)
			skip.mail = 1;
		else if (skip.n_apps < STORE_EVENT_SKIP_MAX)
			skip.apps[skip.n_apps++] = busy->app;
	}
	int64_t now = clock_now_ms();
	int64_t lease = now + c->cfg->webhook_timeout * 1000LL + LEASE_MARGIN_MS;
	if (store_event_claim(c->store, now, lease, &skip, &w->event, 1, &n) == 0 && n == 1) {
		d = dest_of(ev, &w->event);
		*open = !breaker_allow(&d->breaker, now);
		int64_t until = breaker_reopens_at(&d->breaker);
		if (*open && until <= now) /* held behind the probe in hand: look again soon */
			until = now + POLL_MS;
		if (*open)
			hold(&w->event, d, until);
		else
			d->busy = 1;
	}
	pthread_mutex_unlock(&ev->claim_lock);
	return d;
}

/* Delivers e and sets its outcome; returns 0, 1 (retry) or 2 (never). */
static int deliver(struct worker *w, struct store_event *e)
{
	const struct events_context *c = &w->ev->ctx;
	int64_t now = clock_now_ms();
	int outcome;
	e->error[0] = '\0';
	if (is_mail(e)) {
		outcome = mail_send(w->curl, c, e, e->error, sizeof e->error);
	} else {
		const char *url = NULL, *secret = NULL;
		c->webhook_of(c->arg, e->app, &url, &secret);
		char *body = webhook_body(e);
		if (!url) {
			strfmt(e->error, sizeof e->error, "app %s has no webhook_url", e->app);
			outcome = 3;
		} else if (!body) {
			strfmt(e->error, sizeof e->error, "the event does not encode");
			outcome = 2;
		} else {
			outcome = webhook_post(w->curl, url, secret, e->id, body,
					       c->cfg->webhook_timeout, now, e->error, sizeof e->error);
		}
		free(body);
	}
	now = clock_now_ms();
	if (outcome == 0) {
		e->state = STORE_EVENT_DELIVERED;
		e->delivered_at = now;
	} else if (outcome == 1 && e->attempts < MAX_ATTEMPTS) {
		e->state = STORE_EVENT_PENDING;
		e->next_attempt_at = now + backoff_ms(e->attempts, BACKOFF_CAP_MS);
		log_warn("event %s (%s): %s; retrying", e->id, e->type, e->error);
	} else if (outcome == 3) {
		e->state = STORE_EVENT_FAILED;
		outcome = 2;
		if (first_without_webhook(w->ev, e->app))
			log_warn("app %s has no webhook_url: its events (%s, ...) are not sent; set "
				 "webhook_url in its [app] section to receive them (said once per app)",
				 e->app, e->type);
		else
			log_debug("event %s (%s): %s; dropped", e->id, e->type, e->error);
	} else {
		e->state = STORE_EVENT_FAILED;
		log_warn("event %s (%s): %s; giving up", e->id, e->type, e->error);
	}
	return outcome;
}

/* Records the delivery's outcome on its destination's breaker. */
static void settle(struct events *ev, struct dest *d, int outcome, const char *error)
{
	pthread_mutex_lock(&ev->claim_lock);
	d->busy = 0;
	int was_open = breaker_reopens_at(&d->breaker) != 0, opened = 0;
	if (outcome == 0) {
		breaker_success(&d->breaker);
	} else if (outcome == 1) {
		strfmt(d->last_error, sizeof d->last_error, "%s", error ? error : "");
		opened = breaker_failure(&d->breaker, clock_now_ms());
	} else {
		/* The event can never go: that says nothing about the destination. */
		breaker_release(&d->breaker);
	}
	int64_t rest = d->breaker.rest_ms;
	pthread_mutex_unlock(&ev->claim_lock);
	char what[STORE_APP_MAX + 24];
	if (d->mail)
		strfmt(what, sizeof what, "the SMTP server");
	else
		strfmt(what, sizeof what, "the webhook of app %s", d->app);
	/* Each failed probe too: the operator sees the rest grow. */
	if (opened)
		log_warn("%s failed %d times in a row; its events wait %lld s", what,
			 BREAKER_FAILURES, (long long)(rest / 1000));
	else if (was_open && outcome == 0)
		log_info("%s answers again; its events go out", what);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct events *ev = w->ev;
	pthread_mutex_lock(&ev->lock);
	while (!ev->stopping) {
		ev->pending = 0;
		pthread_mutex_unlock(&ev->lock);
		int open = 0;
		struct dest *d = claim(w, &open);
		if (d) {
			/* There may be more: another thread looks while this one delivers. */
			pthread_mutex_lock(&ev->lock);
			ev->pending = 1;
			pthread_cond_signal(&ev->wake);
			pthread_mutex_unlock(&ev->lock);
			if (!open)
				settle(ev, d, deliver(w, &w->event), w->event.error);
			store_event_finish(ev->ctx.store, &w->event, 1);
		}
		pthread_mutex_lock(&ev->lock);
		if (d || ev->pending || ev->stopping)
			continue;
		/* One idle thread looks for retries come due; the others sleep until
		 * woken, so an idle server claims twice a second, not twice per thread.
		 * A thread that finds work wakes another, which polls in its turn. */
		if (ev->polling) {
			pthread_cond_wait(&ev->wake, &ev->lock);
			continue;
		}
		ev->polling = 1;
		struct timespec until_ts;
		clock_deadline_in(POLL_MS, &until_ts);
		pthread_cond_timedwait(&ev->wake, &ev->lock, &until_ts);
		ev->polling = 0;
	}
	pthread_mutex_unlock(&ev->lock);
	return NULL;
}

int events_start(const struct events_context *ctx, struct events **out, char *err,
		 size_t errlen)
{
	struct events *ev = xcalloc(1, sizeof *ev);
	ev->ctx = *ctx;
	pthread_mutex_init(&ev->claim_lock, NULL);
	pthread_mutex_init(&ev->lock, NULL);
	pthread_cond_init(&ev->wake, NULL);
	int n = ctx->cfg->events_threads > 0 ? ctx->cfg->events_threads : 1;
	ev->workers = xcalloc((size_t)n, sizeof *ev->workers);
	for (int i = 0; i < n; i++) {
		struct worker *w = &ev->workers[i];
		w->ev = ev;
		w->curl = curl_easy_init();
		if (!w->curl || pthread_create(&w->thread, NULL, run, w) != 0) {
			curl_easy_cleanup(w->curl);
			w->curl = NULL;
			events_stop(ev);
			strfmt(err, errlen, "cannot start events thread %d of %d", i + 1, n);
			return -1;
		}
		ev->n_workers++;
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
	pthread_cond_broadcast(&ev->wake);
	pthread_mutex_unlock(&ev->lock);
	for (int i = 0; i < ev->n_workers; i++) {
		pthread_join(ev->workers[i].thread, NULL);
		curl_easy_cleanup(ev->workers[i].curl);
	}
	for (size_t i = 0; i < ev->n_dests; i++)
		free(ev->dests[i]);
	free(ev->dests);
	free(ev->workers);
	pthread_mutex_destroy(&ev->claim_lock);
	pthread_mutex_destroy(&ev->lock);
	pthread_cond_destroy(&ev->wake);
	free(ev);
}
