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

struct worker {
	struct core *core;
	const struct provider_ops *ops;
	void *state;
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

static void deliver(struct worker *w, struct store_message *m)
{
	struct core *c = w->core;
	char text[STORE_TEXT_MAX];
	int64_t now = clock_now_ms();
	int outcome;
	m->error[0] = '\0';
	if (seal_open(c->keys.message, m->id, m->body, m->body_len, text, sizeof text, NULL) < 0) {
		strfmt(m->error, sizeof m->error,
		       "the message does not open with this server's secret (was the secret changed?)");
		outcome = PROVIDER_REFUSED;
	} else {
		struct provider_message pm = {
			.id = m->id, .to = m->to, .channel = m->channel, .text = text, .now = now};
		outcome = w->ops->send(w->state, &pm, m->error, sizeof m->error);
		seal_wipe(text, sizeof text);
	}
	strfmt(m->provider, sizeof m->provider, "%s", w->ops->name);
	if (outcome == PROVIDER_SENT) {
		m->state = STORE_MSG_SENT;
		m->sent_at = now;
	} else if (outcome == PROVIDER_RETRY && m->attempts < MAX_ATTEMPTS) {
		m->state = STORE_MSG_QUEUED;
		m->next_attempt_at = now + backoff_ms(m->attempts);
		log_warn("message %s to session %s: attempt %d failed (%s); retrying", m->id,
			 m->session_id, m->attempts, m->error);
	} else {
		m->state = STORE_MSG_FAILED;
		log_warn("message %s to session %s failed for good: %s", m->id, m->session_id,
			 m->error);
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
		if (n && store_outbox_finish(w->core->store, w->batch, n) < 0)
			log_error("outbox: could not record the outcome of %zu message(s); they will be "
				  "sent again after a restart (providers drop duplicates)",
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

int worker_start(struct core *core, const struct provider_env *env, struct worker **out,
		 char *err, size_t errlen)
{
	const char *known;
	const struct provider_ops *ops = provider_find(core->cfg->provider, &known);
	if (!ops) {
		strfmt(err, errlen, "option provider (IOTP_PROVIDER): unknown provider '%s' (known: %s)",
		       core->cfg->provider, known);
		return -1;
	}
	struct worker *w = xcalloc(1, sizeof *w);
	w->core = core;
	w->ops = ops;
	if (ops->open(env, &w->state, err, errlen) < 0) {
		free(w);
		return -1;
	}
	size_t recovered = 0;
	if (store_outbox_recover(core->store, &recovered) < 0) {
		strfmt(err, errlen, "cannot recover the outbox");
		ops->close(w->state);
		free(w);
		return -1;
	}
	if (recovered)
		log_info("outbox: %zu message(s) were being sent when the last process stopped; "
			 "sending them again (the provider drops duplicates)",
			 recovered);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		strfmt(err, errlen, "cannot start the delivery thread");
		ops->close(w->state);
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
	w->ops->close(w->state);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}
