#include "delivery/inbox.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* Reloading reads at most this much of the file's end: enough for the whole
 * ring, and start-up stays quick however long the file has grown. */
#define LOAD_TAIL_BYTES (8 * 1024 * 1024)

struct inbox {
	pthread_mutex_t lock;
	size_t head; /* next slot to write */
	size_t count;
	struct inbox_entry ring[INBOX_CAPACITY];
};

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

static const struct inbox_entry *nth_newest(const struct inbox *ib, size_t i)
{
	return &ib->ring[(ib->head + INBOX_CAPACITY - 1 - i) % INBOX_CAPACITY];
}

int inbox_add(struct inbox *ib, const struct inbox_entry *e)
{
	pthread_mutex_lock(&ib->lock);
	/* A duplicate is a re-send of a recent message; looking back a little is enough. */
	for (size_t i = 0; i < ib->count && i < 256; i++) {
		if (strcmp(nth_newest(ib, i)->id, e->id) == 0) {
			pthread_mutex_unlock(&ib->lock);
			return 1;
		}
	}
	ib->ring[ib->head] = *e;
	ib->head = (ib->head + 1) % INBOX_CAPACITY;
	if (ib->count < INBOX_CAPACITY)
		ib->count++;
	pthread_mutex_unlock(&ib->lock);
	return 0;
}

void inbox_query(struct inbox *ib, const char *to, size_t limit,
		 void (*fn)(const struct inbox_entry *e, void *arg), void *arg)
{
	pthread_mutex_lock(&ib->lock);
	for (size_t i = 0, found = 0; i < ib->count && found < limit; i++) {
		const struct inbox_entry *e = nth_newest(ib, i);
		if (strcmp(e->to, to) == 0) {
			fn(e, arg);
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
