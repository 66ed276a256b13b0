#include "delivery/worker.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/backoff.h"
#include "base/clock.h"
#include "base/durable.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/seal.h"
#include "msg/voice.h"

/* A message sent while a thread of the pool is idle is claimed for it
 * (worker_claim): written already taken, its first hand-over announced, and
 * handed to the thread from memory once that write is durable, so it costs
 * no take and no wait for one. Other new messages reach the threads through
 * a queue in memory (worker_notify); the store stays the truth. A thread
 * takes a message with one compare-and-swap write that also records its
 * first hand-over and the outcome of its last one, and a poll of the store
 * finds what the queue never held: retries that came due, messages a crash
 * left, more than the queue could hold. With delivery_batch > 1, drivers take from the queue instead:
 * up to delivery_batch messages in one such write, handed over together by
 * providers that can (Kannel over plain HTTP: each on its own kept-alive
 * connection), so a round costs one durable write and one wake-up, not one
 * per message; the messages of other providers (libcurl: https, bodies) go on
 * to the threads, one message each, as a slow gateway must not hold the
 * others up. */
#define QUEUE_MAX 4096
#define POLL_BATCH 64
#define THREADS_MAX 256
/* A driver hands over up to delivery_batch messages a round, and there is
 * one driver per delivery_batch of delivery_threads, so no more than
 * delivery_threads messages are in drivers' hands at once (a gateway sees no
 * more connections than that: Kannel's smsbox, whose listen backlog is 10,
 * slowed to half when drivers held twice as many). With rounds of several,
 * only one driver is woken while another takes: messages that come while it
 * waits for its take's commit go to the next driver, all in one write.
 * Rounds of one (the default) need no drivers: the threads take one each.
 * Measured in bench/delivery.mjs (bench/RESULTS.md): rounds of 4 cost a
 * fifth less CPU per code in bursts, but with 32 clients each waiting for
 * its SMS half the codes/s went through: several sendsms at once make
 * Kannel's smsbox hold more of its writes to bearerbox ~40 ms (Nagle's
 * algorithm against delayed ACKs); with delayed ACKs off both are even. */
#define POLL_MS 1000
#define MAX_ATTEMPTS 8
/* Retries wait backoff_ms (base/backoff.h): between half and all of 1 s, 2 s,
 * 4 s ... after rounds 1, 2, 3 ... With MAX_ATTEMPTS = 8 the last wait's
 * ceiling is 64 s, so a message is given up one to two minutes after its
 * first round (its code goes stale in minutes anyway); the 5-minute cap only
 * bites should MAX_ATTEMPTS grow. */
#define BACKOFF_CAP_MS (5 * 60 * 1000)
/* Stopping, how long the threads wait for claims whose write is not yet
 * durable: the API has stopped by then, so its last group is committing. */
#define CLAIM_WAIT_MS 2000

/* A ring of due messages; guarded by the worker's lock. */
struct queue {
	struct store_due *e; /* QUEUE_MAX */
	size_t head, count;
	pthread_cond_t wake; /* signalled on each push */
};

struct worker {
	struct worker_context ctx;
	struct delivery *d;
	int n_threads, n_drivers;
	size_t batch_max; /* messages a driver hands over at once */
	size_t budget;    /* messages in drivers' hands at once: delivery_threads */
	size_t in_flight; /* messages in drivers' hands now */
	/* A driver is taking (between its pop and its take's commit): messages
	 * that come meanwhile wait for the next driver, which takes them all in
	 * one write, instead of each waking a driver of its own. */
	int taking;
	pthread_t threads[THREADS_MAX];
	pthread_t drivers[THREADS_MAX];
	pthread_mutex_t lock;
	struct queue due;    /* new and polled messages, for the drivers */
	struct queue single; /* those a thread of the pool hands over alone */
	int overflow;        /* the store may hold due messages the queues do not */
	int64_t polled_at;
	int stopping;
	int64_t stop_by; /* when stopping: how long the threads wait for claims */
	/* Threads of the pool waiting for work, and claims made on them that no
	 * thread has picked up yet: a claim is only made while idle > claimed,
	 * so a claimed message never waits for a thread to come free. */
	int idle, claimed;
	struct worker_claim *ready, **ready_end; /* claims durable, to send */
};

/* A message taken as it was written (worker_claim): its providers, chosen
 * then, and the message itself, sealed text and all, for the thread to send
 * without reading it back. */
struct worker_claim {
	struct durable_watch durable; /* the write that took it */
	struct worker *w;
	struct store_message m; /* its tried[]: the providers order() passed over */
	struct delivery_provider *try[DELIVERY_ROUTE_MAX];
	int probe[DELIVERY_ROUTE_MAX];
	size_t n;
	struct worker_claim *next; /* in w->ready */
};

static struct store_attempt *record(struct store_message *m, const char *provider, int outcome,
                                    int64_t started, const char *error)
{
	static const char *const names[] = {[STORE_ATTEMPT_SUBMITTED] = "submitted",
	                                    [STORE_ATTEMPT_REFUSED] = "refused",
	                                    [STORE_ATTEMPT_FAILED] = "failed",
	                                    [STORE_ATTEMPT_UNKNOWN] = "unknown",
	                                    [STORE_ATTEMPT_SKIPPED] = "skipped"};
	const char *labels[] = {provider, names[outcome]};
	metrics_add(METRIC_HANDOVERS, labels, 1);
	if (m->n_tried >= STORE_ATTEMPTS_MAX)
		return NULL;
	struct store_attempt *a = &m->tried[m->n_tried++];
	memset(a, 0, sizeof *a);
	strfmt(a->message_id, sizeof a->message_id, "%s", m->id);
	strfmt(a->provider, sizeof a->provider, "%s", provider);
	a->outcome = outcome;
	a->started_at = started;
	a->finished_at = clock_now_ms();
	strfmt(a->error, sizeof a->error, "%s", error);
	return a;
}

/* The providers to try, in route order, those out of rotation last; when all
 * are out, the one due back first goes as a probe. Returns how many to try;
 * probe[i] says whether out[i]'s breaker gave this message its probe. */
static size_t order(struct delivery_provider **plan, size_t n, struct store_message *m, int64_t now,
                    struct delivery_provider **out, int *probe)
{
	size_t k = 0;
	struct delivery_provider *soonest = NULL;
	int64_t soonest_at = 0;
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&plan[i]->lock);
		int half = breaker_state(&plan[i]->breaker, now) == BREAKER_HALF_OPEN;
		int allow = breaker_allow(&plan[i]->breaker, now);
		int failures = plan[i]->breaker.failures;
		int64_t back = breaker_reopens_at(&plan[i]->breaker);
		pthread_mutex_unlock(&plan[i]->lock);
		if (allow) {
			probe[k] = half;
			out[k++] = plan[i];
			continue;
		}
		char why[160];
		if (back > now)
			strfmt(why, sizeof why,
			       "out of rotation after %d failures in a row; tried again from %lld s on",
			       failures, (long long)((back - now + 999) / 1000));
		else
			strfmt(why, sizeof why,
			       "out of rotation after %d failures in a row; another message is probing it",
			       failures);
		record(m, plan[i]->name, STORE_ATTEMPT_SKIPPED, now, why);
		if (!soonest || back < soonest_at) {
			soonest = plan[i];
			soonest_at = back;
		}
	}
	if (!k && soonest) {
		probe[k] = 0; /* it reports through breaker_failure or _success all the same */
		out[k++] = soonest;
	}
	return k;
}

/* Gives back the probes that order() granted to try[from..n) but that were
 * never used (an earlier provider took the message, or another thread took
 * it first); else such a provider would stay held back for as long as the
 * providers before it work. */
static void release_probes(struct delivery_provider **try, const int *probe, size_t from,
                           size_t n)
{
	for (size_t i = from; i < n; i++) {
		if (!probe[i])
			continue;
		pthread_mutex_lock(&try[i]->lock);
		breaker_release(&try[i]->breaker);
		pthread_mutex_unlock(&try[i]->lock);
	}
}

/* The session's latest other message on the same channel, if the carrier
 * never confirmed it within dlr_timeout: its provider is to be avoided. */
struct silent {
	const struct store_due *m;
	int64_t now, limit;
	char provider[32];
};

static void find_silent(const struct store_message *o, void *arg)
{
	struct silent *s = arg;
	if (!strcmp(o->id, s->m->id) || strcmp(o->channel, s->m->channel) ||
	    o->created_at > s->m->created_at)
		return;
	int unconfirmed = (o->state == STORE_MSG_SENT || o->state == STORE_MSG_ACCEPTED) &&
	                  o->sent_at && s->now - o->sent_at >= s->limit;
	strfmt(s->provider, sizeof s->provider, "%s", unconfirmed ? o->provider : "");
}

/* Optional (dlr_timeout): when the session's previous message went to a
 * provider and no delivery report came in time, that provider goes last for
 * this one — the person asked again because nothing arrived. */
static void prefer_others(struct worker *w, const struct store_due *m,
                          struct delivery_provider **plan, size_t n, int64_t now)
{
	struct silent s = {.m = m, .now = now, .limit = (int64_t)w->ctx.dlr_timeout * 1000};
	if (!s.limit || n < 2 ||
	    store_session_messages(w->ctx.store, m->session_id, find_silent, &s) < 0 ||
	    !s.provider[0])
		return;
	for (size_t i = 0; i + 1 < n; i++) {
		if (strcmp(plan[i]->name, s.provider))
			continue;
		struct delivery_provider *p = plan[i];
		memmove(&plan[i], &plan[i + 1], (n - i - 1) * sizeof *plan);
		plan[n - 1] = p;
		log_info(
		    "message %s: the session's last message via %s got no delivery report in %d s; "
		    "trying the others first",
		    m->id, p->name, w->ctx.dlr_timeout);
		return;
	}
}

/* Opens m's sealed text into text (STORE_TEXT_MAX bytes) and fills *pm for
 * its hand-overs. Returns 0, or -1 with m failed for good (the text does not
 * open with this server's secret). */
static int open_message(struct worker *w, struct store_message *m, char *text,
                        struct provider_message *pm)
{
	m->error[0] = '\0';
	m->provider_ref[0] = '\0';
	if (seal_open(w->ctx.message_key, m->id, m->body, m->body_len, text, STORE_TEXT_MAX, NULL) <
	    0) {
		strfmt(m->error, sizeof m->error,
		       "the message does not open with this server's secret (was the secret "
		       "changed?)");
		m->state = STORE_MSG_FAILED;
		return -1;
	}
	*pm = (struct provider_message){.id = m->id,
	                                .to = m->to,
	                                .region = m->region,
	                                .channel = m->channel,
	                                .text = text,
	                                .ssml = msg_voice_unpack(text),
	                                .from = delivery_sender(w->d, m->region, m->channel)};
	return 0;
}

/* Hands m (its text opened in pm) to the providers in try[] until one takes
 * it; the hand-over to try[0] was recorded when m was taken, and when first
 * is not NULL it was made already (send_batch, started at pm->now) and first
 * is what it said. Sets m's state for the round and wipes the text. */
static void deliver(struct worker *w, struct store_message *m, struct provider_message *pm,
                    char *text, struct delivery_provider **try, const int *probe, size_t n,
                    const struct provider_sent *first)
{
	struct store *st = w->ctx.store;
	char ref[PROVIDER_REF_MAX], error[256] = "";
	int transient = 0, sent = 0;
	size_t tried = 0;
	if (!n)
		strfmt(error, sizeof error,
		       "no route sends %s to %s: add the channel to [route default] or [route %s]",
		       m->channel, m->region[0] ? m->region : "this country",
		       m->region[0] ? m->region : "XX");
	for (size_t i = 0; i < n && !sent; i++) {
		struct delivery_provider *p = try[i];
		int made = i == 0 && first;
		int64_t started = made ? pm->now : clock_now_ms();
		if (i > 0 && store_outbox_handing(st, m->id, p->name) < 0) {
			strfmt(error, sizeof error, "could not record the hand-over; will retry");
			transient = 1;
			break;
		}
		pm->now = started;
		error[0] = '\0';
		tried++;
		int outcome;
		if (made) {
			outcome = first->outcome;
			strfmt(ref, sizeof ref, "%s", first->ref);
			strfmt(error, sizeof error, "%s", first->error);
		} else {
			outcome = p->ops->send(p->state, pm, ref, sizeof ref, error, sizeof error);
		}
		strfmt(m->provider, sizeof m->provider, "%s", p->name);
		if (outcome == PROVIDER_SENT) {
			pthread_mutex_lock(&p->lock);
			breaker_success(&p->breaker);
			pthread_mutex_unlock(&p->lock);
			record(m, p->name, STORE_ATTEMPT_SUBMITTED, started, "");
			strfmt(m->provider_ref, sizeof m->provider_ref, "%s", ref);
			sent = 1;
			break;
		}
		transient |= outcome == PROVIDER_RETRY;
		record(m, p->name,
		       outcome == PROVIDER_RETRY ? STORE_ATTEMPT_FAILED : STORE_ATTEMPT_REFUSED,
		       started, error);
		pthread_mutex_lock(&p->lock);
		int opened = breaker_failure(&p->breaker, clock_now_ms());
		int failures = p->breaker.failures;
		int64_t rest = p->breaker.rest_ms;
		pthread_mutex_unlock(&p->lock);
		/* Once per outage: a failed probe reopens it without a new warning. */
		if (opened == BREAKER_OPENED)
			log_warn("provider %s: %d failures in a row; out of rotation for %lld ms "
			         "(last: %s)",
			         p->name, failures, (long long)rest, error);
		log_info("message %s: provider %s did not take it (%s)%s", m->id, p->name, error,
		         i + 1 < n ? "; trying the next" : "");
	}
	release_probes(try, probe, tried, n);
	seal_wipe(text, STORE_TEXT_MAX);
	int64_t now = clock_now_ms();
	const char *labels[] = {m->provider, m->region, m->channel,
	                        sent                                          ? "submitted"
	                        : transient && m->attempts < MAX_ATTEMPTS ? "retry"
	                                                                  : "failed"};
	metrics_add(METRIC_MESSAGES, labels, 1);
	if (sent) {
		m->state = STORE_MSG_SENT;
		m->sent_at = now;
		metrics_observe(METRIC_SUBMIT_SECONDS, labels, (double)(now - m->created_at) / 1000);
	} else if (transient && m->attempts < MAX_ATTEMPTS) {
		m->state = STORE_MSG_QUEUED;
		m->next_attempt_at = now + backoff_ms(m->attempts, BACKOFF_CAP_MS);
		strfmt(m->error, sizeof m->error, "%s", error);
		log_warn("message %s to session %s: round %d failed (%s); retrying", m->id,
		         m->session_id, m->attempts, error);
	} else {
		m->state = STORE_MSG_FAILED;
		strfmt(m->error, sizeof m->error, "%s", error);
		log_warn("message %s to session %s failed for good: %s", m->id, m->session_id,
		         error);
	}
}

/* Records the round of a message taken and handed over, when no take comes
 * to carry it (store_outbox_finish_take). */
/* The hand-over was announced to the store before it happened, so a lost
 * record of its round loses no fact that matters: the restart treats the
 * message as handed over. */
static void unrecorded(const char *id)
{
	log_error("outbox: could not record the outcome of message %s; after a restart it "
	          "counts as handed over with an unknown outcome",
	          id);
}

static void finish(struct worker *w, const struct store_message *m)
{
	if (store_outbox_finish(w->ctx.store, m, 1) < 0)
		unrecorded(m->id);
}

/* A round recorded on the way to idle, until its commit says how it went. */
struct recorded {
	struct durable_watch durable;
	char id[STORE_ID_MAX];
};

static void on_recorded(struct durable_watch *d, int ok)
{
	struct recorded *r = (struct recorded *)((char *)d - offsetof(struct recorded, durable));
	if (!ok)
		unrecorded(r->id);
	free(r);
}

/* finish() without waiting: the round goes into the open group (or is handed
 * to the store's writer, which puts it there before any later write), which
 * commits as it would have, but the thread goes on at once instead of
 * sleeping until then (one wake-up fewer per message). A report about the
 * message is written after the round, whichever thread writes it. */
static void finish_unwaited(struct worker *w, const struct store_message *m)
{
	durable_defer(1);
	int rc = store_outbox_finish(w->ctx.store, m, 1);
	durable_defer(0);
	struct durable_owed owed;
	if (rc < 0)
		unrecorded(m->id);
	if (rc < 0 || !durable_take(&owed))
		return; /* nothing owed: the write committed as it left the store */
	struct recorded *r = xmalloc(sizeof *r);
	strfmt(r->id, sizeof r->id, "%s", m->id);
	r->durable.fn = on_recorded;
	r->durable.group = owed.group;
	owed.source->watch(owed.state, &r->durable);
}

/* One message, start to end: choose its providers, take it from the store
 * (the first hand-over recorded in the same write, and the round of the
 * thread's last message, done, when not NULL), hand it over. skips is scratch
 * for the providers passed over. Returns 1 when m's round is over and still
 * to be recorded (the caller passes it as done to the next take, or to
 * finish()); done is recorded either way. */
static int handle(struct worker *w, const struct store_due *e, const struct store_message *done,
                  struct store_message *m, struct store_message *skips)
{
	struct store *st = w->ctx.store;
	int64_t now = clock_now_ms();
	struct delivery_provider *plan[DELIVERY_ROUTE_MAX], *try[DELIVERY_ROUTE_MAX];
	int probe[DELIVERY_ROUTE_MAX];
	size_t n = delivery_plan(w->d, e->region, e->channel, plan, DELIVERY_ROUTE_MAX);
	prefer_others(w, e, plan, n, now);
	strfmt(skips->id, sizeof skips->id, "%s", e->id);
	skips->n_tried = 0;
	n = order(plan, n, skips, now, try, probe);
	int rc = store_outbox_finish_take(st, done, done ? 1 : 0, e->id, n ? try[0]->name : "",
	                                  now, m);
	if (rc != 0)
		release_probes(try, probe, 0, n);
	if (rc < 0 && done)
		finish(w, done); /* nothing of that write happened: the round alone */
	if (rc == STORE_CONFLICT)
		return 0; /* another thread took it, or it is not due yet */
	if (rc < 0) {
		log_error("outbox: could not take message %s; the next poll tries again", e->id);
		return 0;
	}
	m->n_tried = skips->n_tried;
	memcpy(m->tried, skips->tried, (size_t)skips->n_tried * sizeof *m->tried);
	char text[STORE_TEXT_MAX];
	struct provider_message pm;
	if (open_message(w, m, text, &pm) < 0)
		release_probes(try, probe, 0, n);
	else
		deliver(w, m, &pm, text, try, probe, n, NULL);
	return 1;
}

/* Called with the lock held. Returns the condition to signal once the lock
 * is let go (a thread woken while it is held wakes only to sleep on it), or
 * NULL when no thread needs waking. */
static pthread_cond_t *push(struct worker *w, struct queue *q, const struct store_due *e)
{
	if (q->count == QUEUE_MAX) {
		w->overflow = 1;
		return NULL;
	}
	q->e[(q->head + q->count++) % QUEUE_MAX] = *e;
	if (q != &w->due || !w->taking || w->batch_max == 1)
		return &q->wake;
	return NULL;
}

/* Called with the lock held; q not empty. */
static struct store_due pop(struct queue *q)
{
	struct store_due e = q->e[q->head];
	q->head = (q->head + 1) % QUEUE_MAX;
	q->count--;
	return e;
}

static void poll_store(struct worker *w, struct store_due *buf)
{
	size_t n = 0;
	if (store_outbox_due(w->ctx.store, clock_now_ms(), buf, POLL_BATCH, &n) < 0)
		return;
	pthread_cond_t *wake = NULL;
	size_t wakes = 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < n; i++)
		if ((wake = push(w, &w->due, &buf[i])) != NULL)
			wakes++;
	if (n == POLL_BATCH)
		w->overflow = 1; /* more may be due: look again once these are taken */
	pthread_mutex_unlock(&w->lock);
	while (wakes--)
		pthread_cond_signal(wake);
}

/* Polls the store when its time has come, or at once when the last poll found
 * more due than it took; called and returns with w->lock held. 1 if it polled. */
static int poll_when_due(struct worker *w, struct store_due *buf, int64_t now)
{
	if (!w->overflow && now - w->polled_at < POLL_MS)
		return 0;
	w->overflow = 0;
	w->polled_at = now;
	pthread_mutex_unlock(&w->lock);
	poll_store(w, buf);
	pthread_mutex_lock(&w->lock);
	return 1;
}

/* Sends claim c (its text opened in m), as handle() sends a message it took. */
static void send_claim(struct worker *w, struct worker_claim *c, struct store_message *m)
{
	*m = c->m;
	char text[STORE_TEXT_MAX];
	struct provider_message pm;
	if (open_message(w, m, text, &pm) < 0)
		release_probes(c->try, c->probe, 0, c->n);
	else
		deliver(w, m, &pm, text, c->try, c->probe, c->n, NULL);
	free(c);
}

/* Called with the lock held; w->ready not empty. */
static struct worker_claim *pop_claim(struct worker *w)
{
	struct worker_claim *c = w->ready;
	w->ready = c->next;
	if (!w->ready)
		w->ready_end = &w->ready;
	w->claimed--;
	return c;
}

/* A thread of the pool: one message at a time. Without drivers
 * (delivery_batch = 1) the threads send the claims, take every message from
 * the queue and poll the store; with drivers, only what the drivers pass on.
 * Stopping, they wait a little for claims whose write is not durable yet. */
static void *run(void *arg)
{
	struct worker *w = arg;
	/* Two slots, m[cur] for the message in hand and m[cur ^ 1] for the last
	 * one while its round is pending (still to record); m[2] for the skips. */
	struct store_message *m = xcalloc(3, sizeof *m);
	struct store_due *buf = xcalloc(POLL_BATCH, sizeof *buf);
	int polls = w->batch_max == 1, on = !polls || w->ctx.deliver, pending = 0, cur = 0;
	struct queue *q = polls ? &w->due : &w->single;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping || (w->claimed && clock_now_ms() < w->stop_by)) {
		if (w->ready) {
			struct worker_claim *c = pop_claim(w);
			pthread_mutex_unlock(&w->lock);
			if (pending)
				finish_unwaited(w, &m[cur ^ 1]);
			send_claim(w, c, &m[cur]);
			pending = 1;
			cur ^= 1;
			pthread_mutex_lock(&w->lock);
			continue;
		}
		if (on && q->count && !w->stopping) {
			struct store_due e = pop(q);
			pthread_mutex_unlock(&w->lock);
			/* The round just over goes into this take's write: one write per
			 * message instead of two while messages keep coming. */
			pending = handle(w, &e, pending ? &m[cur ^ 1] : NULL, &m[cur], &m[2]);
			if (pending)
				cur ^= 1;
			pthread_mutex_lock(&w->lock);
			continue;
		}
		if (pending) {
			/* Nothing more in the queue: record the round now. */
			pthread_mutex_unlock(&w->lock);
			finish_unwaited(w, &m[cur ^ 1]);
			pending = 0;
			pthread_mutex_lock(&w->lock);
			continue;
		}
		struct timespec until;
		if (w->stopping) {
			clock_deadline_in(10, &until);
			pthread_cond_timedwait(&q->wake, &w->lock, &until);
			continue;
		}
		if (!polls) {
			pthread_cond_wait(&q->wake, &w->lock);
			continue;
		}
		int64_t now = clock_now_ms();
		if (on && poll_when_due(w, buf, now))
			continue;
		clock_deadline_in(on ? (int)(POLL_MS - (now - w->polled_at)) : POLL_MS, &until);
		w->idle++;
		pthread_cond_timedwait(&q->wake, &w->lock, &until);
		w->idle--;
	}
	pthread_mutex_unlock(&w->lock);
	if (pending)
		finish(w, &m[cur ^ 1]);
	free(buf);
	free(m);
	return NULL;
}

/* A driver's round, allocated once for batch_max messages. */
struct round {
	size_t max;
	struct store_due *due;
	struct store_take *want;
	struct store_message *m;     /* the messages taken */
	struct store_message *skips; /* the providers order() passed over, per message */
	struct store_message *done;  /* the last round's, still to record */
	size_t n_done;
	struct delivery_provider *(*try)[DELIVERY_ROUTE_MAX];
	int (*probe)[DELIVERY_ROUTE_MAX];
	size_t *n_try;
	char (*text)[STORE_TEXT_MAX];
	struct provider_message *pm;
	int *opened;
	struct provider_message *go; /* one provider's share of the round */
	size_t *go_at;
	struct provider_sent *sent;
	struct provider_sent *first; /* per message: send_batch's answer */
	int *made;
};

static struct round *round_new(size_t max)
{
	struct round *r = xcalloc(1, sizeof *r);
	r->max = max;
	r->due = xcalloc(max, sizeof *r->due);
	r->want = xcalloc(max, sizeof *r->want);
	r->m = xcalloc(max, sizeof *r->m);
	r->skips = xcalloc(max, sizeof *r->skips);
	r->done = xcalloc(max, sizeof *r->done);
	r->try = xcalloc(max, sizeof *r->try);
	r->probe = xcalloc(max, sizeof *r->probe);
	r->n_try = xcalloc(max, sizeof *r->n_try);
	r->text = xcalloc(max, sizeof *r->text);
	r->pm = xcalloc(max, sizeof *r->pm);
	r->opened = xcalloc(max, sizeof *r->opened);
	r->go = xcalloc(max, sizeof *r->go);
	r->go_at = xcalloc(max, sizeof *r->go_at);
	r->sent = xcalloc(max, sizeof *r->sent);
	r->first = xcalloc(max, sizeof *r->first);
	r->made = xcalloc(max, sizeof *r->made);
	return r;
}

static void round_free(struct round *r)
{
	free(r->due);
	free(r->want);
	free(r->m);
	free(r->skips);
	free(r->done);
	free(r->try);
	free(r->probe);
	free(r->n_try);
	free(r->text);
	free(r->pm);
	free(r->opened);
	free(r->go);
	free(r->go_at);
	free(r->sent);
	free(r->first);
	free(r->made);
	free(r);
}

/* Whether a round for a message routed plan[0..n) would start with a
 * provider that hands over in batches: the first whose breaker is not open
 * (order() picks it), else the first. A guess, never a promise: a wrong one
 * only costs speed (the driver hands such a message over alone). */
static int batchable(struct delivery_provider **plan, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&plan[i]->lock);
		int open = breaker_state(&plan[i]->breaker, now) == BREAKER_OPEN;
		pthread_mutex_unlock(&plan[i]->lock);
		if (!open)
			return plan[i]->ops->send_batch != NULL;
	}
	return n && plan[0]->ops->send_batch != NULL;
}

/* Records the last round alone, when no take comes to carry it. */
static void finish_round(struct worker *w, struct round *r)
{
	if (r->n_done && store_outbox_finish(w->ctx.store, r->done, r->n_done) < 0)
		log_error("outbox: could not record the outcome of %zu message(s) (the first %s); "
		          "after a restart they count as handed over with an unknown outcome",
		          r->n_done, r->done[0].id);
	r->n_done = 0;
}

/* The first half of a round over r->due[0..k): passes on to the pool what a
 * batch cannot carry and takes the rest with the last round's outcomes in
 * one write. Returns how many messages it asked for (r->want[i].rc says
 * which it got); 0 when none, or when the write failed. */
static size_t take_round(struct worker *w, struct round *r, size_t k)
{
	struct store *st = w->ctx.store;
	int64_t now = clock_now_ms();
	size_t n = 0;
	for (size_t i = 0; i < k; i++) {
		const struct store_due *e = &r->due[i];
		struct delivery_provider *plan[DELIVERY_ROUTE_MAX];
		size_t np = delivery_plan(w->d, e->region, e->channel, plan, DELIVERY_ROUTE_MAX);
		if (!batchable(plan, np, now)) {
			pthread_mutex_lock(&w->lock);
			pthread_cond_t *wake = push(w, &w->single, e);
			pthread_mutex_unlock(&w->lock);
			if (wake)
				pthread_cond_signal(wake);
			continue;
		}
		prefer_others(w, e, plan, np, now);
		if (n != i)
			r->due[n] = *e;
		strfmt(r->skips[n].id, sizeof r->skips[n].id, "%s", r->due[n].id);
		r->skips[n].n_tried = 0;
		r->n_try[n] = order(plan, np, &r->skips[n], now, r->try[n], r->probe[n]);
		r->want[n].id = r->due[n].id;
		r->want[n].provider = r->n_try[n] ? r->try[n][0]->name : "";
		n++;
	}
	if (!n)
		return 0;
	int rc = store_outbox_take_batch(st, r->done, r->n_done, r->want, n, now, r->m);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			release_probes(r->try[i], r->probe[i], 0, r->n_try[i]);
		finish_round(w, r); /* nothing of that write happened: the outcomes alone */
		log_error("outbox: could not take %zu message(s) (the first %s); the next poll "
		          "tries again",
		          n, r->due[0].id);
		return 0;
	}
	r->n_done = 0;
	return n;
}

/* The second half: hands the messages taken over (each provider's share in
 * one send_batch) and keeps their outcomes in r->done for the next take. */
static void hand_over_round(struct worker *w, struct round *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct store_message *m = &r->m[i];
		r->opened[i] = r->made[i] = 0;
		if (r->want[i].rc != 0) {
			release_probes(r->try[i], r->probe[i], 0, r->n_try[i]);
			continue; /* another taker had it, or it is not due yet */
		}
		m->n_tried = r->skips[i].n_tried;
		memcpy(m->tried, r->skips[i].tried, (size_t)m->n_tried * sizeof *m->tried);
		if (open_message(w, m, r->text[i], &r->pm[i]) < 0)
			release_probes(r->try[i], r->probe[i], 0, r->n_try[i]);
		else
			r->opened[i] = 1;
	}
	/* Each provider's share goes out in one send_batch. */
	for (size_t i = 0; i < n; i++) {
		if (!r->opened[i] || r->made[i] || !r->n_try[i] || !r->try[i][0]->ops->send_batch)
			continue;
		struct delivery_provider *p = r->try[i][0];
		int64_t started = clock_now_ms();
		size_t g = 0;
		for (size_t j = i; j < n; j++) {
			if (!r->opened[j] || r->made[j] || !r->n_try[j] || r->try[j][0] != p)
				continue;
			r->pm[j].now = started;
			r->go[g] = r->pm[j];
			r->go_at[g++] = j;
			r->made[j] = 1;
		}
		p->ops->send_batch(p->state, r->go, g, r->sent);
		for (size_t x = 0; x < g; x++)
			r->first[r->go_at[x]] = r->sent[x];
	}
	for (size_t i = 0; i < n; i++) {
		if (r->want[i].rc != 0)
			continue;
		if (r->opened[i])
			deliver(w, &r->m[i], &r->pm[i], r->text[i], r->try[i], r->probe[i],
			        r->n_try[i], r->made[i] ? &r->first[i] : NULL);
		r->done[r->n_done++] = r->m[i];
	}
}

/* A driver: every message queued at once, up to batch_max and the room left
 * in delivery_threads, per round. */
static void *drive(void *arg)
{
	struct worker *w = arg;
	struct round *r = round_new(w->batch_max);
	struct store_due *buf = xcalloc(POLL_BATCH, sizeof *buf);
	int on = w->ctx.deliver;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		size_t room = w->budget - w->in_flight;
		if (on && w->due.count && room) {
			size_t k = 0;
			while (k < r->max && k < room && w->due.count)
				r->due[k++] = pop(&w->due);
			w->in_flight += k;
			w->taking++;
			pthread_mutex_unlock(&w->lock);
			size_t n = take_round(w, r, k);
			pthread_mutex_lock(&w->lock);
			/* What came in during the take goes to the next driver in one. */
			w->taking--;
			int more = w->due.count > 0;
			pthread_mutex_unlock(&w->lock);
			if (more)
				pthread_cond_signal(&w->due.wake);
			hand_over_round(w, r, n);
			pthread_mutex_lock(&w->lock);
			w->in_flight -= k;
			continue;
		}
		if (r->n_done) {
			/* Nothing more queued: record the round now. */
			pthread_mutex_unlock(&w->lock);
			finish_round(w, r);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		int64_t now = clock_now_ms();
		/* Not while messages wait for room: the poll would queue them twice. */
		if (on && !w->due.count && poll_when_due(w, buf, now))
			continue;
		/* Messages waiting for room wait for a round to end (its driver takes
		 * them), not for the poll. */
		int ms = on && !w->due.count ? (int)(POLL_MS - (now - w->polled_at)) : POLL_MS;
		struct timespec until;
		clock_deadline_in(ms > 0 ? ms : 1, &until);
		pthread_cond_timedwait(&w->due.wake, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	finish_round(w, r);
	free(buf);
	round_free(r);
	return NULL;
}

int worker_start(const struct worker_context *ctx, struct delivery *d, struct worker **out,
                 char *err, size_t errlen)
{
	size_t requeued = 0, unknown = 0;
	if (store_outbox_recover(ctx->store, clock_now_ms(), &requeued, &unknown) < 0) {
		strfmt(err, errlen, "cannot recover the outbox");
		return -1;
	}
	if (requeued)
		log_info(
		    "outbox: %zu message(s) were claimed but not yet handed over when the last "
		    "process stopped; sending them now",
		    requeued);
	if (unknown)
		log_warn(
		    "outbox: %zu message(s) were being handed to a provider when the last process "
		    "stopped; not sending them again (at most once), their delivery reports still "
		    "count",
		    unknown);
	struct worker *w = xcalloc(1, sizeof *w);
	w->due.e = xcalloc(QUEUE_MAX, sizeof *w->due.e);
	w->single.e = xcalloc(QUEUE_MAX, sizeof *w->single.e);
	w->ctx = *ctx;
	w->d = d;
	w->ready_end = &w->ready;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->due.wake, NULL);
	pthread_cond_init(&w->single.wake, NULL);
	int want = ctx->threads;
	if (want < 1)
		want = 1;
	if (want > THREADS_MAX)
		want = THREADS_MAX;
	/* delivery_threads hand-overs at once, shared among the drivers. */
	int batch = ctx->batch < 1 ? 1 : ctx->batch > want ? want : ctx->batch;
	/* Rounds of one are the threads' own way, without drivers. */
	int drivers = batch == 1 ? 0 : (want + batch - 1) / batch;
	w->budget = (size_t)want;
	w->batch_max = (size_t)batch;
	for (; w->n_threads < want; w->n_threads++) {
		if (pthread_create(&w->threads[w->n_threads], NULL, run, w) != 0) {
			strfmt(err, errlen, "cannot start delivery thread %d", w->n_threads + 1);
			worker_stop(w);
			return -1;
		}
	}
	for (; w->n_drivers < drivers; w->n_drivers++) {
		if (pthread_create(&w->drivers[w->n_drivers], NULL, drive, w) != 0) {
			strfmt(err, errlen, "cannot start delivery driver %d", w->n_drivers + 1);
			worker_stop(w);
			return -1;
		}
	}
	*out = w;
	return 0;
}

static struct store_due due_of(const struct store_message *m)
{
	struct store_due e;
	strfmt(e.id, sizeof e.id, "%s", m->id);
	strfmt(e.session_id, sizeof e.session_id, "%s", m->session_id);
	strfmt(e.region, sizeof e.region, "%s", m->region);
	strfmt(e.channel, sizeof e.channel, "%s", m->channel);
	e.created_at = m->created_at;
	return e;
}

void worker_notify(struct worker *w, const struct store_message *m)
{
	struct store_due e = due_of(m);
	pthread_mutex_lock(&w->lock);
	pthread_cond_t *wake = push(w, &w->due, &e);
	pthread_mutex_unlock(&w->lock);
	if (wake)
		pthread_cond_signal(wake);
}

/* A claim that will not be sent: its probes back, its place free. */
static void let_go(struct worker_claim *c)
{
	struct worker *w = c->w;
	release_probes(c->try, c->probe, 0, c->n);
	pthread_mutex_lock(&w->lock);
	w->claimed--;
	pthread_mutex_unlock(&w->lock);
	free(c);
}

struct worker_claim *worker_claim(struct worker *w, struct store_message *m)
{
	/* Only a message the outbox would take: not one written failed (a send
	 * the policy pretends, or withholds). */
	if (!w->ctx.deliver || w->batch_max != 1 || m->state != STORE_MSG_QUEUED)
		return NULL;
	pthread_mutex_lock(&w->lock);
	int room = !w->stopping && w->idle > w->claimed;
	w->claimed += room;
	pthread_mutex_unlock(&w->lock);
	if (!room)
		return NULL;
	struct worker_claim *c = xcalloc(1, sizeof *c);
	c->w = w;
	int64_t now = clock_now_ms();
	struct store_due e = due_of(m);
	struct delivery_provider *plan[DELIVERY_ROUTE_MAX];
	size_t n = delivery_plan(w->d, m->region, m->channel, plan, DELIVERY_ROUTE_MAX);
	prefer_others(w, &e, plan, n, now);
	strfmt(c->m.id, sizeof c->m.id, "%s", m->id);
	c->n = order(plan, n, &c->m, now, c->try, c->probe);
	if (!c->n) {
		let_go(c); /* no route: a take records why, as for any message */
		return NULL;
	}
	m->state = STORE_MSG_SENDING;
	m->attempts = 1;
	strfmt(m->provider, sizeof m->provider, "%s", c->try[0]->name);
	return c;
}

/* On the thread that committed the claim's write (or at once): the claim
 * goes to a thread, or, when the commit failed and nothing was kept, away. */
static void claim_durable(struct durable_watch *d, int ok)
{
	struct worker_claim *c =
	    (struct worker_claim *)((char *)d - offsetof(struct worker_claim, durable));
	struct worker *w = c->w;
	if (!ok) {
		let_go(c);
		return;
	}
	pthread_mutex_lock(&w->lock);
	c->next = NULL;
	*w->ready_end = c;
	w->ready_end = &c->next;
	pthread_mutex_unlock(&w->lock);
	/* After the unlock: a thread woken while the lock is still held wakes
	 * only to sleep on the lock, two system calls and a switch more. */
	pthread_cond_signal(&w->due.wake);
}

void worker_claimed(struct worker_claim *c, const struct store_message *m, int written)
{
	if (!written) {
		let_go(c);
		return;
	}
	/* The message as written, with the providers order() passed over. */
	int n_tried = c->m.n_tried;
	struct store_attempt tried[STORE_ATTEMPTS_MAX];
	memcpy(tried, c->m.tried, sizeof tried);
	c->m = *m;
	c->m.n_tried = n_tried;
	memcpy(c->m.tried, tried, sizeof tried);
	c->durable.fn = claim_durable;
	durable_after(&c->durable);
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	w->stop_by = clock_now_ms() + CLAIM_WAIT_MS;
	pthread_cond_broadcast(&w->due.wake);
	pthread_cond_broadcast(&w->single.wake);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n_drivers; i++)
		pthread_join(w->drivers[i], NULL);
	for (int i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->due.wake);
	pthread_cond_destroy(&w->single.wake);
	free(w->due.e);
	free(w->single.e);
	free(w);
}
