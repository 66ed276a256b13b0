#include "delivery/worker.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"

#define BATCH 32
#define POLL_MS 1000
#define MAX_ATTEMPTS 8
#define BACKOFF_CAP_MS (5 * 60 * 1000)
#define VOICE_SSML_SEPARATOR '\x1e' /* the outbox body is "script\x1eSSML" */

struct worker {
	struct core *core;
	struct delivery *d;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending; /* notifications since the last drain */
	int stopping;
	struct store_message batch[BATCH];
};

/* Exponential backoff with full jitter: 1 s, 2 s, 4 s ... capped at 5 min. */
static int64_t backoff_ms(int attempts)
{
	int64_t base = 1000LL << (attempts < 16 ? attempts - 1 : 15);
	if (base > BACKOFF_CAP_MS)
		base = BACKOFF_CAP_MS;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2) + 1);
}

static struct store_attempt *record(struct store_message *m, const char *provider, int outcome,
				    int64_t started, const char *error)
{
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
 * are out, the one due back first goes as a probe. Returns how many to try. */
static size_t order(struct delivery_provider **plan, size_t n, struct store_message *m,
		    int64_t now, struct delivery_provider **out)
{
	size_t k = 0;
	struct delivery_provider *soonest = NULL;
	for (size_t i = 0; i < n; i++) {
		if (breaker_allow(&plan[i]->breaker, now)) {
			out[k++] = plan[i];
			continue;
		}
		char why[160];
		strfmt(why, sizeof why,
		       "out of rotation after %d failures in a row; tried again from %lld s on",
		       plan[i]->breaker.failures,
		       (long long)((breaker_reopens_at(&plan[i]->breaker) - now + 999) / 1000));
		record(m, plan[i]->name, STORE_ATTEMPT_SKIPPED, now, why);
		if (!soonest ||
		    breaker_reopens_at(&plan[i]->breaker) < breaker_reopens_at(&soonest->breaker))
			soonest = plan[i];
	}
	if (!k && soonest)
		out[k++] = soonest;
	return k;
}

static void deliver(struct worker *w, struct store_message *m)
{
	struct core *c = w->core;
	char text[STORE_TEXT_MAX], ref[PROVIDER_REF_MAX], error[256] = "";
	int64_t now = clock_now_ms();
	struct delivery_provider *plan[DELIVERY_ROUTE_MAX], *try[DELIVERY_ROUTE_MAX];
	m->error[0] = '\0';
	m->provider_ref[0] = '\0';
	m->n_tried = 0;
	if (seal_open(c->keys.message, m->id, m->body, m->body_len, text, sizeof text, NULL) < 0) {
		strfmt(m->error, sizeof m->error,
		       "the message does not open with this server's secret (was the secret changed?)");
		m->state = STORE_MSG_FAILED;
		return;
	}
	char *ssml = strchr(text, VOICE_SSML_SEPARATOR);
	if (ssml)
		*ssml++ = '\0';
	size_t n = delivery_plan(w->d, m->region, m->channel, plan, DELIVERY_ROUTE_MAX);
	n = order(plan, n, m, now, try);
	int transient = 0, sent = 0;
	if (!n)
		strfmt(error, sizeof error,
		       "no route sends %s to %s: add the channel to [route default] or [route %s]",
		       m->channel, m->region[0] ? m->region : "this country",
		       m->region[0] ? m->region : "XX");
	struct provider_message pm = {.id = m->id, .to = m->to, .region = m->region,
				      .channel = m->channel, .text = text,
				      .ssml = ssml && *ssml ? ssml : NULL,
				      .from = delivery_sender(w->d, m->region, m->channel)};
	for (size_t i = 0; i < n && !sent; i++) {
		struct delivery_provider *p = try[i];
		int64_t started = clock_now_ms();
		if (store_outbox_handing(c->store, m->id, p->name) < 0) {
			strfmt(error, sizeof error, "could not record the hand-over; will retry");
			transient = 1;
			break;
		}
		pm.now = started;
		error[0] = '\0';
		int outcome = p->ops->send(p->state, &pm, ref, sizeof ref, error, sizeof error);
		strfmt(m->provider, sizeof m->provider, "%s", p->name);
		if (outcome == PROVIDER_SENT) {
			breaker_success(&p->breaker);
			record(m, p->name, STORE_ATTEMPT_SUBMITTED, started, "");
			strfmt(m->provider_ref, sizeof m->provider_ref, "%s", ref);
			sent = 1;
			break;
		}
		transient |= outcome == PROVIDER_RETRY;
		record(m, p->name, outcome == PROVIDER_RETRY ? STORE_ATTEMPT_FAILED : STORE_ATTEMPT_REFUSED,
		       started, error);
		if (breaker_failure(&p->breaker, clock_now_ms()))
			log_warn("provider %s: %d failures in a row; out of rotation for %lld ms (last: %s)",
				 p->name, p->breaker.failures, (long long)p->breaker.open_ms, error);
		log_info("message %s: provider %s did not take it (%s)%s", m->id, p->name, error,
			 i + 1 < n ? "; trying the next" : "");
	}
	seal_wipe(text, sizeof text);
	now = clock_now_ms();
	if (sent) {
		m->state = STORE_MSG_SENT;
		m->sent_at = now;
	} else if (transient && m->attempts < MAX_ATTEMPTS) {
		m->state = STORE_MSG_QUEUED;
		m->next_attempt_at = now + backoff_ms(m->attempts);
		strfmt(m->error, sizeof m->error, "%s", error);
		log_warn("message %s to session %s: round %d failed (%s); retrying", m->id,
			 m->session_id, m->attempts, error);
	} else {
		m->state = STORE_MSG_FAILED;
		strfmt(m->error, sizeof m->error, "%s", error);
		log_warn("message %s to session %s failed for good: %s", m->id, m->session_id, error);
	}
}

/* Sends everything due; returns how many messages it handled. */
static size_t drain(struct worker *w)
{
	size_t n = 0, total = 0;
	do {
		if (store_outbox_claim(w->core->store, clock_now_ms(), w->batch, BATCH, &n) < 0)
			return total;
		for (size_t i = 0; i < n; i++)
			deliver(w, &w->batch[i]);
		/* One commit for the batch: each hand-over was announced to the store
		 * before it happened, so a crash before this line loses no fact that
		 * matters — the restart treats those messages as handed over. */
		if (n && store_outbox_finish(w->core->store, w->batch, n) < 0)
			log_error("outbox: could not record the outcome of %zu message(s); after a "
				  "restart they count as handed over with an unknown outcome",
				  n);
		total += n;
	} while (n == BATCH);
	return total;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		w->pending = 0;
		pthread_mutex_unlock(&w->lock);
		if (w->core->cfg->delivery)
			drain(w);
		pthread_mutex_lock(&w->lock);
		if (w->pending || w->stopping)
			continue;
		struct timespec until;
		clock_deadline_in(POLL_MS, &until);
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int worker_start(struct core *core, struct delivery *d, struct worker **out, char *err,
		 size_t errlen)
{
	size_t requeued = 0, unknown = 0;
	if (store_outbox_recover(core->store, clock_now_ms(), &requeued, &unknown) < 0) {
		strfmt(err, errlen, "cannot recover the outbox");
		return -1;
	}
	if (requeued)
		log_info("outbox: %zu message(s) were claimed but not yet handed over when the last "
			 "process stopped; sending them now",
			 requeued);
	if (unknown)
		log_warn("outbox: %zu message(s) were being handed to a provider when the last process "
			 "stopped; not sending them again (at most once), their delivery reports still "
			 "count",
			 unknown);
	struct worker *w = xcalloc(1, sizeof *w);
	w->core = core;
	w->d = d;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		strfmt(err, errlen, "cannot start the delivery thread");
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void worker_notify(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->lock);
	w->pending = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}
