/* inbox: the dev inbox — the most recent messages the log provider "sent", by
 * recipient, so a developer (or a test) reads what a phone would show. Bounded:
 * it keeps the last INBOX_CAPACITY messages. Thread safe. */
#ifndef IOTP_INBOX_H
#define IOTP_INBOX_H

#include <stddef.h>
#include <stdint.h>

#define INBOX_CAPACITY 8192
#define INBOX_TEXT_MAX 640

struct inbox_entry {
	char id[48];
	char to[17];
	char channel[12];
	char text[INBOX_TEXT_MAX];
	int64_t sent_at; /* ms */
};

struct inbox;

struct inbox *inbox_new(void);
void inbox_free(struct inbox *ib);

/* Adds a message. Returns 0, or 1 when a message with this id is already there
 * (a re-send after a crash), in which case nothing changes. */
int inbox_add(struct inbox *ib, const struct inbox_entry *e);

/* Calls fn for up to limit messages to "to", newest first. */
void inbox_query(struct inbox *ib, const char *to, size_t limit,
		 void (*fn)(const struct inbox_entry *e, void *arg), void *arg);

/* Reloads the inbox from the tail of a JSON-lines file the log provider wrote
 * (so the inbox survives a restart). A missing file is not an error. */
int inbox_load(struct inbox *ib, const char *path);

#endif
