/* Delivery rounds handed to whoever holds the writer.
 *
 * A delivery thread that records a round's outcome without waiting for its
 * commit (store_outbox_finish on a thread that defers, base/durable.h) does
 * not queue for the writer's lock: it leaves a copy here and goes back to its
 * queue. Every holder writes what it finds here right after it takes the
 * lock and again before it decides whether to commit, as a writing call of
 * its own in the open group; whoever lets the lock go looks once more and,
 * when the lock is free, takes it to write what came in meanwhile. So a round
 * is written before any later call touches the store (a delivery report, a
 * poll of the outbox) and commits with the group it joins, as it would have
 * had its thread queued; the thread only no longer sleeps on the lock, nor
 * keeps others off it (on two cores a delivery thread queued for the writer
 * behind the HTTP threads once cost half a context switch per message).
 *
 * A round the holder fails to write, or whose group fails to commit, is
 * logged by message id: after a restart it counts as handed over with an
 * unknown outcome, as when iotpd stops between the hand-over and its record. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/sqlite_db.h"

/* One message's round, allocated only up to its body: a record never
 * writes the text. */
struct sqlite_handed {
	struct sqlite_handed *next;
	struct store_message m;
};

void sqlite_handed_push(struct sqlite_db *db, const struct store_message *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sqlite_handed *h =
			xmalloc(offsetof(struct sqlite_handed, m) + offsetof(struct store_message, body));
		memcpy(&h->m, &m[i], offsetof(struct store_message, body));
		h->next = atomic_load(&db->handed);
		while (!atomic_compare_exchange_weak(&db->handed, &h->next, h))
			;
	}
}

static void lost(struct sqlite_handed *h)
{
	log_error("sqlite: could not record the outcome of message %s; after a restart it "
		  "counts as handed over with an unknown outcome",
		  h->m.id);
}

void sqlite_handed_write(struct sqlite_db *db)
{
	if (!atomic_load(&db->handed))
		return;
	struct sqlite_handed *h = atomic_exchange(&db->handed, NULL), *fifo = NULL;
	while (h) { /* pushed last first: write them in the order they came */
		struct sqlite_handed *next = h->next;
		h->next = fifo;
		fifo = h;
		h = next;
	}
	int rc = sqlite_write_begin(db);
	if (rc == 0) {
		for (h = fifo; rc == 0 && h; h = h->next)
			rc = sqlite_outbox_finish_rows(db, &h->m, 1);
		sqlite_write_end(db, rc == 0);
	}
	if (rc == 0) {
		/* kept until the group's commit says how it went */
		struct sqlite_handed *last = fifo;
		while (last->next)
			last = last->next;
		last->next = db->handed_open;
		db->handed_open = fifo;
		return;
	}
	for (h = fifo; h; h = fifo) {
		fifo = h->next;
		lost(h);
		free(h);
	}
}

void sqlite_handed_committed(struct sqlite_db *db, int ok)
{
	for (struct sqlite_handed *h = db->handed_open, *next; h; h = next) {
		next = h->next;
		if (!ok)
			lost(h);
		free(h);
	}
	db->handed_open = NULL;
}
