#include "delivery/inbox.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* Reloading reads at most this much of the file's end: enough for the whole
 * ring, and start-up stays quick however long the file has grown. */
#define LOAD_TAIL_BYTES (8 * 1024 * 1024)

/* Messages to one number are chained, newest first, through a hash of the
 * number, so a lookup touches only that number's messages (and its few bucket
 * neighbours) instead of the whole ring. A link names a slot and the sequence
 * number the message had there; once the ring overwrites the slot the numbers
 * differ and the chain ends. */
#define BUCKETS (INBOX_CAPACITY * 2)
/* A re-send after a crash is one of the number's last few messages. */
#define DUPLICATE_LOOKBACK 16

struct link {
	uint32_t slot;
	uint64_t seq; /* 0: no message */
};

struct slot {
	struct inbox_entry e;
	uint64_t seq;
	struct link prev; /* the previous message in the same bucket */
};

struct inbox {
	pthread_mutex_t lock;
	uint64_t next_seq;
	struct link buckets[BUCKETS];
	struct slot ring[INBOX_CAPACITY];
};

static uint32_t bucket_of(const char *to)
{
	uint32_t h = 2166136261u;
	for (; *to; to++)
		h = (h ^ (unsigned char)*to) * 16777619u;
	return h % BUCKETS;
}

/* The slot a link points to, or NULL when that message is gone. */
static const struct slot *follow(const struct inbox *ib, struct link l)
{
	if (!l.seq || ib->ring[l.slot].seq != l.seq)
		return NULL;
	return &ib->ring[l.slot];
}

struct inbox *inbox_new(void)
{
	struct inbox *ib = xcalloc(1, sizeof *ib);
	pthread_mutex_init(&ib->lock, NULL);
	return ib;
}

void inbox_free(struct inbox *ib)
{
	if (!ib)
		return;
	pthread_mutex_destroy(&ib->lock);
	free(ib);
}

int inbox_add(struct inbox *ib, const struct inbox_entry *e)
{
	uint32_t b = bucket_of(e->to);
	pthread_mutex_lock(&ib->lock);
	int looked = 0;
	for (const struct slot *sl = follow(ib, ib->buckets[b]); sl && looked < DUPLICATE_LOOKBACK;
	     sl = follow(ib, sl->prev)) {
		if (strcmp(sl->e.to, e->to) != 0)
			continue;
		looked++;
		if (strcmp(sl->e.id, e->id) == 0) {
			pthread_mutex_unlock(&ib->lock);
			return 1;
		}
	}
	uint64_t seq = ++ib->next_seq;
	uint32_t at = (uint32_t)(seq % INBOX_CAPACITY);
	struct slot *sl = &ib->ring[at];
	sl->e = *e;
	sl->seq = seq;
	sl->prev = ib->buckets[b];
	ib->buckets[b] = (struct link){at, seq};
	pthread_mutex_unlock(&ib->lock);
	return 0;
}

void inbox_query(struct inbox *ib, const char *to, size_t limit,
		 void (*fn)(const struct inbox_entry *e, void *arg), void *arg)
{
	size_t found = 0;
	pthread_mutex_lock(&ib->lock);
	for (const struct slot *sl = follow(ib, ib->buckets[bucket_of(to)]); sl && found < limit;
	     sl = follow(ib, sl->prev)) {
		if (strcmp(sl->e.to, to) == 0) {
			fn(&sl->e, arg);
			found++;
		}
	}
	pthread_mutex_unlock(&ib->lock);
}

static void copy_field(char *dst, size_t size, json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	snprintf(dst, size, "%s", v ? v : "");
}

int inbox_load(struct inbox *ib, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	int skip_first = 0;
	if (size > LOAD_TAIL_BYTES) {
		fseek(f, size - LOAD_TAIL_BYTES, SEEK_SET);
		skip_first = 1; /* we landed inside a line */
	} else {
		fseek(f, 0, SEEK_SET);
	}
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		if (skip_first) {
			skip_first = 0;
			continue;
		}
		json_t *j = json_loads(line, 0, NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			continue; /* a line cut short by a crash */
		}
		struct inbox_entry e;
		copy_field(e.id, sizeof e.id, j, "id");
		copy_field(e.to, sizeof e.to, j, "to");
		copy_field(e.channel, sizeof e.channel, j, "channel");
		copy_field(e.text, sizeof e.text, j, "text");
		e.sent_at = json_integer_value(json_object_get(j, "sent_at_ms"));
		json_decref(j);
		inbox_add(ib, &e);
	}
	fclose(f);
	return 0;
}
