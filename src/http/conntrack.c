#include "http/conntrack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define BUCKETS 1024

struct addr {
	struct addr *next;
	char ip[64];
	int open;
};

/* One per connection: which address it counts against, and whether it was one
 * too many when it opened. */
struct conntrack_slot {
	struct addr *addr;
	int over;
};

struct conntrack {
	pthread_mutex_t lock;
	int limit;
	struct addr *buckets[BUCKETS];
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

struct conntrack *conntrack_new(int per_ip_limit)
{
	struct conntrack *ct = xcalloc(1, sizeof *ct);
	pthread_mutex_init(&ct->lock, NULL);
	ct->limit = per_ip_limit;
	return ct;
}

void conntrack_free(struct conntrack *ct)
{
	if (!ct)
		return;
	for (int i = 0; i < BUCKETS; i++) {
		for (struct addr *a = ct->buckets[i], *next; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	pthread_mutex_destroy(&ct->lock);
	free(ct);
}

struct conntrack_slot *conntrack_open(struct conntrack *ct, const char *ip)
{
	struct conntrack_slot *slot = xmalloc(sizeof *slot);
	unsigned h = hash(ip);
	pthread_mutex_lock(&ct->lock);
	struct addr *a = ct->buckets[h];
	while (a && strcmp(a->ip, ip) != 0)
		a = a->next;
	if (!a) {
		a = xcalloc(1, sizeof *a);
		strfmt(a->ip, sizeof a->ip, "%s", ip);
		a->next = ct->buckets[h];
		ct->buckets[h] = a;
	}
	a->open++;
	slot->addr = a;
	slot->over = a->open > ct->limit;
	pthread_mutex_unlock(&ct->lock);
	return slot;
}

void conntrack_close(struct conntrack *ct, struct conntrack_slot *slot)
{
	pthread_mutex_lock(&ct->lock);
	struct addr *a = slot->addr;
	if (--a->open == 0) {
		struct addr **pp = &ct->buckets[hash(a->ip)];
		while (*pp != a)
			pp = &(*pp)->next;
		*pp = a->next;
		free(a);
	}
	pthread_mutex_unlock(&ct->lock);
	free(slot);
}

int conntrack_over_limit(const struct conntrack_slot *slot)
{
	return slot->over;
}
