#include "http/conntrack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "policy/keys.h"

#define BUCKETS 4096
#define TICK_MS 100
/* A summary of what the deadlines and shedding closed goes to the log at most
 * this often: under attack, a line per connection would be thousands a second. */
#define REPORT_MS 10000

/* What a count is kept under: the address, its network or its site. */
enum level { LEVEL_IP, LEVEL_NETWORK, LEVEL_SITE, LEVELS };

struct counter {
	struct counter *next;
	char key[72]; /* "i|192.0.2.7", "n|192.0.2.0/24", "s|2001:db8:1::/48" */
	int open;
};

enum state {
	WAITING_FIRST, /* opened, first request's headers not complete: 408 when late */
	WAITING_NEXT,  /* kept alive after a response: closed silently when late */
	BUSY,          /* a request in progress: never shed, no deadline here */
	LEAVING,       /* its last answer is queued and it closes after: takes no place */
	CLOSED,        /* conntrack shut the socket; libmicrohttpd has yet to report it */
};

struct conntrack_slot {
	struct conntrack_slot *prev, *next; /* in its waiting list while WAITING_* */
	struct counter *counter[LEVELS];    /* NULL: no such level (IPv4 has no site) */
	int fd;
	enum state state;
	int64_t since_ms; /* entered its waiting list */
	int64_t due_ms;
	enum level over; /* which limit it was beyond, when refused */
	int refused;
	char peer[64]; /* the address as conntrack_open was given it */
};

struct conntrack {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	struct conntrack_limits lim;
	/* Two waiting lists, each in order of since_ms and so of due_ms (one
	 * timeout per list): the sentinels' next is the oldest. */
	struct conntrack_slot first, next;
	struct counter *buckets[BUCKETS];
	struct conntrack_stats stats;
	struct conntrack_stats reported;
	/* Shut by us, or answered for the last time, and not yet reported closed:
	 * they no longer take a place. */
	int64_t closing;
	int64_t reported_at;
	char answer[512]; /* the 408 a late first request gets */
	size_t answer_len;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static void list_init(struct conntrack_slot *head)
{
	head->next = head->prev = head;
}

static int list_empty(const struct conntrack_slot *head)
{
	return head->next == head;
}

static void list_append(struct conntrack_slot *head, struct conntrack_slot *s)
{
	s->prev = head->prev;
	s->next = head;
	head->prev->next = s;
	head->prev = s;
}

static void list_unlink(struct conntrack_slot *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->next = s->prev = s;
}

static struct counter *counter_get(struct conntrack *ct, const char *key)
{
	unsigned h = hash(key);
	struct counter *c = ct->buckets[h];
	while (c && strcmp(c->key, key) != 0)
		c = c->next;
	if (!c) {
		c = xcalloc(1, sizeof *c);
		strfmt(c->key, sizeof c->key, "%s", key);
		c->next = ct->buckets[h];
		ct->buckets[h] = c;
	}
	return c;
}

static void counter_put(struct conntrack *ct, struct counter *c)
{
	if (--c->open > 0)
		return;
	struct counter **pp = &ct->buckets[hash(c->key)];
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	free(c);
}

/* Closes a waiting connection (lock held): the 408 for a late first request,
 * nothing otherwise; the shutdown makes libmicrohttpd close it. */
static void cut(struct conntrack *ct, struct conntrack_slot *s, int answer)
{
	if (answer && s->fd >= 0) {
		ssize_t n = send(s->fd, ct->answer, ct->answer_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n; /* best effort: the connection is closed either way */
	}
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	list_unlink(s);
	s->state = CLOSED;
	ct->stats.waiting--;
	ct->closing++;
}

/* The connection that has waited longest for a request, or NULL. */
static struct conntrack_slot *oldest_waiting(struct conntrack *ct)
{
	struct conntrack_slot *a = list_empty(&ct->first) ? NULL : ct->first.next;
	struct conntrack_slot *b = list_empty(&ct->next) ? NULL : ct->next.next;
	if (!a || !b)
		return a ? a : b;
	return a->since_ms <= b->since_ms ? a : b;
}

static void report(struct conntrack *ct, int64_t now)
{
	struct conntrack_stats *s = &ct->stats, *r = &ct->reported;
	if (now - ct->reported_at < REPORT_MS)
		return;
	ct->reported_at = now;
	int64_t expired = s->expired - r->expired, shed = s->shed - r->shed,
	        refused = s->refused - r->refused;
	if (expired || shed || refused)
		log_info("http: in the last %d s, %lld connection(s) did not send their request "
		         "headers within %d ms (answered 408, closed), %lld were closed to let new "
		         "ones in (max_connections %d reached), %lld were beyond a per-address or "
		         "per-network limit; %lld open now",
		         REPORT_MS / 1000, (long long)expired, ct->lim.header_timeout_ms,
		         (long long)shed, ct->lim.max, (long long)refused, (long long)s->open);
	*r = *s;
}

static void *run(void *arg)
{
	struct conntrack *ct = arg;
	pthread_mutex_lock(&ct->lock);
	while (!ct->stopping) {
		int64_t now = clock_now_ms();
		while (!list_empty(&ct->first) && ct->first.next->due_ms <= now) {
			cut(ct, ct->first.next, 1);
			ct->stats.expired++;
		}
		while (!list_empty(&ct->next) && ct->next.next->due_ms <= now) {
			cut(ct, ct->next.next, 0);
			ct->stats.idled++;
		}
		report(ct, now);
		struct timespec until;
		clock_deadline_in(TICK_MS, &until);
		pthread_cond_timedwait(&ct->wake, &ct->lock, &until);
	}
	pthread_mutex_unlock(&ct->lock);
	return NULL;
}

struct conntrack *conntrack_start(const struct conntrack_limits *limits)
{
	struct conntrack *ct = xcalloc(1, sizeof *ct);
	char body[256];
	pthread_mutex_init(&ct->lock, NULL);
	pthread_cond_init(&ct->wake, NULL);
	ct->lim = *limits;
	list_init(&ct->first);
	list_init(&ct->next);
	ct->reported_at = clock_now_ms();
	strfmt(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
	       iotp_error_code(IOTP_E_REQUEST_TIMEOUT), iotp_error_message(IOTP_E_REQUEST_TIMEOUT));
	strfmt(ct->answer, sizeof ct->answer,
	       "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
	       "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
	       strlen(body), body);
	ct->answer_len = strlen(ct->answer);
	if (pthread_create(&ct->thread, NULL, run, ct) != 0) {
		log_error("http: cannot start the connection deadline thread");
		abort();
	}
	return ct;
}

void conntrack_stop(struct conntrack *ct)
{
	if (!ct)
		return;
	pthread_mutex_lock(&ct->lock);
	ct->stopping = 1;
	pthread_cond_signal(&ct->wake);
	pthread_mutex_unlock(&ct->lock);
	pthread_join(ct->thread, NULL);
	for (int i = 0; i < BUCKETS; i++) {
		for (struct counter *c = ct->buckets[i], *next; c; c = next) {
			next = c->next;
			free(c);
		}
	}
	pthread_mutex_destroy(&ct->lock);
	pthread_cond_destroy(&ct->wake);
	free(ct);
}

struct conntrack_slot *conntrack_open(struct conntrack *ct, const char *ip, int fd, int64_t now)
{
	struct conntrack_slot *s = xcalloc(1, sizeof *s);
	char keys[LEVELS][72], net[64];
	int have[LEVELS] = {1, 0, 0};
	strfmt(keys[LEVEL_IP], sizeof keys[0], "i|%s", ip);
	if (keys_network(ip, net, sizeof net) == 0) {
		strfmt(keys[LEVEL_NETWORK], sizeof keys[0], "n|%s", net);
		have[LEVEL_NETWORK] = 1;
	}
	if (keys_site(ip, net, sizeof net) == 0 && net[0]) {
		strfmt(keys[LEVEL_SITE], sizeof keys[0], "s|%s", net);
		have[LEVEL_SITE] = 1;
	}
	const int limit[LEVELS] = {ct->lim.per_ip, ct->lim.per_network, ct->lim.per_site};
	strfmt(s->peer, sizeof s->peer, "%s", ip);
	s->fd = fd;
	s->state = WAITING_FIRST;
	s->since_ms = now;
	s->due_ms = now + ct->lim.header_timeout_ms;
	list_init(s);

	pthread_mutex_lock(&ct->lock);
	for (int l = 0; l < LEVELS; l++) {
		if (!have[l])
			continue;
		s->counter[l] = counter_get(ct, keys[l]);
		if (++s->counter[l]->open > limit[l] && !s->refused) {
			s->refused = 1;
			s->over = (enum level)l;
		}
	}
	ct->stats.refused += s->refused;
	ct->stats.open++;
	ct->stats.waiting++;
	list_append(&ct->first, s);
	/* Full: the one that has waited longest goes, so that whoever sends a
	 * request at once always gets in. It is this one only when every other
	 * connection has a request in progress. */
	if (ct->stats.open - ct->closing > ct->lim.max) {
		struct conntrack_slot *victim = oldest_waiting(ct);
		if (victim) {
			cut(ct, victim, 0);
			ct->stats.shed++;
		}
	}
	pthread_mutex_unlock(&ct->lock);
	return s;
}

const char *conntrack_peer(const struct conntrack_slot *slot)
{
	return slot->peer;
}

enum iotp_error conntrack_refusal(const struct conntrack_slot *slot, char *msg, size_t size)
{
	if (!slot->refused)
		return IOTP_E_OK;
	static const char *const what[LEVELS] = {"address", "network", "network"};
	const char *key = slot->counter[slot->over] ? slot->counter[slot->over]->key + 2 : "";
	strfmt(msg, size, "Too many open connections from your %s (%s). Close some and retry.",
	       what[slot->over], key);
	return IOTP_E_TOO_MANY_CONNECTIONS;
}

int conntrack_busy(struct conntrack *ct, struct conntrack_slot *slot)
{
	pthread_mutex_lock(&ct->lock);
	int closed = slot->state == CLOSED;
	if (slot->state == WAITING_FIRST || slot->state == WAITING_NEXT) {
		list_unlink(slot);
		ct->stats.waiting--;
		slot->state = BUSY;
	}
	pthread_mutex_unlock(&ct->lock);
	return closed;
}

void conntrack_leaving(struct conntrack *ct, struct conntrack_slot *slot)
{
	pthread_mutex_lock(&ct->lock);
	if (slot->state == BUSY) {
		slot->state = LEAVING;
		ct->closing++;
	}
	pthread_mutex_unlock(&ct->lock);
}

void conntrack_idle(struct conntrack *ct, struct conntrack_slot *slot, int64_t now)
{
	pthread_mutex_lock(&ct->lock);
	if (slot->state == LEAVING) { /* libmicrohttpd kept it after all */
		slot->state = BUSY;
		ct->closing--;
	}
	if (slot->state == BUSY) {
		slot->state = WAITING_NEXT;
		slot->since_ms = now;
		slot->due_ms = now + ct->lim.idle_timeout_ms;
		list_append(&ct->next, slot);
		ct->stats.waiting++;
	}
	pthread_mutex_unlock(&ct->lock);
}

void conntrack_close(struct conntrack *ct, struct conntrack_slot *slot)
{
	pthread_mutex_lock(&ct->lock);
	if (slot->state == WAITING_FIRST || slot->state == WAITING_NEXT) {
		list_unlink(slot);
		ct->stats.waiting--;
	}
	if (slot->state == CLOSED || slot->state == LEAVING)
		ct->closing--;
	for (int l = 0; l < LEVELS; l++)
		if (slot->counter[l])
			counter_put(ct, slot->counter[l]);
	ct->stats.open--;
	pthread_mutex_unlock(&ct->lock);
	free(slot);
}

void conntrack_stats(struct conntrack *ct, struct conntrack_stats *out)
{
	pthread_mutex_lock(&ct->lock);
	*out = ct->stats;
	pthread_mutex_unlock(&ct->lock);
}
