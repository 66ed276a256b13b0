/* durable: answering a request once its writes are durable, without a thread
 * sleeping until they are.
 *
 * A store that commits writes in groups (the SQLite store) makes a writing
 * call wait until the group holding its change is committed. A thread that
 * serves HTTP requests may instead let its writes return at once (durable_defer)
 * and owe its answer: the store marks the group the thread waits for
 * (durable_owe), and the HTTP server holds the answer back and sends it when
 * the store reports that group committed (durable_take, then the source's
 * watch). Meanwhile the thread serves other connections. A read the thread
 * makes after such a write still sees it: the store settles what is owed
 * before reading from anywhere the write is not yet visible. */
#ifndef IOTP_DURABLE_H
#define IOTP_DURABLE_H

#include <stdint.h>

/* A watcher, embedded in whatever waits (the server's request): fn runs once,
 * on whichever thread committed the group, with ok 0 when the group's commit
 * failed (none of its writes were kept). The source owns it until then. */
struct durable_watch {
	struct durable_watch *next; /* the source's */
	uint64_t group;
	void (*fn)(struct durable_watch *w, int ok);
};

/* Where an owed group is committed. */
struct durable_source {
	/* 1 when group is committed, -1 when its commit failed, 0 while it is not
	 * committed yet. */
	int (*outcome)(void *state, uint64_t group);
	/* Calls w->fn once group w->group is committed or failed (at once, on this
	 * thread, if it already is). */
	void (*watch)(void *state, struct durable_watch *w);
};

/* What a thread owes: group of source's state, or nothing (source NULL). */
struct durable_owed {
	const struct durable_source *source;
	void *state;
	uint64_t group;
};

/* This thread's writes return before their commit (on), or wait for it (off,
 * every thread's default). */
void durable_defer(int on);
int durable_deferring(void);
/* Called by a store: this thread's writes so far are in group of state (a
 * later group replaces an earlier one of the same source: groups commit in
 * order). 0, or -1 when the thread already owes another source, and the
 * store must wait for its commit itself. */
int durable_owe(const struct durable_source *source, void *state, uint64_t group);
/* The group this thread owes to state, or 0. */
uint64_t durable_owed_to(const void *state);
/* 1 and what this thread owes (cleared), or 0 when it owes nothing. */
int durable_take(struct durable_owed *out);
/* Calls w->fn once this thread's writes so far are durable: later, on the
 * thread that commits them, when it owes a group; at once (ok 1) when it owes
 * nothing (its writes waited for their commit). What it owes stays owed. */
void durable_after(struct durable_watch *w);

#endif
