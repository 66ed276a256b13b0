/* store: where iotp keeps its state. One interface, several backends.
 *
 * A backend is a struct store_ops (store/backend.h) exported by one file; callers
 * use only the functions below, which carry the contract every backend honours:
 *
 * - Each call is atomic: it happens entirely or not at all, and a crash between
 *   two calls leaves the state of the last completed call.
 * - session_update is a compare-and-swap on the session's version: it writes
 *   only when the stored version equals the one the caller read, so concurrent
 *   writers (threads or nodes) never lose each other's changes. Limits in core/
 *   are built on that guarantee.
 * - A message passed to session_update is stored in the same transaction as the
 *   session (the outbox): a session change and the message it causes are never
 *   seen one without the other.
 * - Every function may be called from any thread at any time.
 *
 * Return values: 0 on success, a positive STORE_* outcome the caller handles, or
 * -1 on a failure (logged by the backend) that the caller reports as internal. */
#ifndef IOTP_STORE_H
#define IOTP_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NOT_FOUND 1
#define STORE_CONFLICT 2
#define STORE_LIMITED 3 /* a bucket lacks tokens */

#define STORE_ID_MAX 48
#define STORE_SEALED_MAX 96 /* nonce + sealed code + tag */
#define STORE_TEXT_MAX 2048

/* A verification session as stored. Times are ms since the epoch; 0 = never. */
struct store_session {
	char id[STORE_ID_MAX];
	char phone[17];   /* E.164 */
	char region[3];
	char number_type[24];
	char locale[16];
	int64_t created_at;
	int64_t expires_at;
	int64_t version;  /* bumped by every successful session_update */

	unsigned char code_sealed[STORE_SEALED_MAX]; /* the code, encrypted; see core/code.h */
	size_t code_sealed_len;                      /* 0: no code */
	int64_t code_expires_at;
	int sms_sent;
	int voice_sent;
	int64_t first_sms_at;
	int64_t last_sms_at;
	int64_t last_voice_at;
	int check_attempts;
	int64_t verified_at;
	int test_number;  /* 1: fixed code, nothing is sent */
	int pow_difficulty; /* >0: a proof-of-work of this many bits is owed before a send */
};

enum store_message_state {
	STORE_MSG_QUEUED = 0, /* in the outbox, waiting for the worker */
	STORE_MSG_SENDING,    /* claimed by a worker; back to queued if it dies */
	STORE_MSG_SENT,       /* the provider accepted it */
	STORE_MSG_FAILED,     /* the provider refused it for good */
};

/* An outbound message: an outbox row, and later an entry of the session's timeline. */
struct store_message {
	char id[STORE_ID_MAX];
	char session_id[STORE_ID_MAX];
	char to[17];
	char channel[8];  /* "sms" | "voice" */
	char provider[32];
	int state;        /* enum store_message_state */
	int attempts;
	int64_t created_at;
	int64_t next_attempt_at;
	int64_t sent_at;
	char error[256];
	/* The text, sealed with the server secret (delivery/ unseals it). Only filled
	 * by store_outbox_claim; the timeline never carries it. */
	unsigned char body[STORE_TEXT_MAX + 64];
	size_t body_len;
};

struct store;

/* Opens (and creates, and migrates) the store named by backend ("sqlite") at
 * location (a directory). synchronous_full asks for an fsync per commit.
 * Sets *out only on success. On failure returns -1 and says why in err. */
int store_open(const char *backend, const char *location, int synchronous_full,
	       struct store **out, char *err, size_t errlen);
void store_close(struct store *st);
/* Names of the compiled-in backends, comma-separated. */
const char *store_backends(void);

/* Inserts a new session (its version is taken as given, normally 1). */
int store_session_insert(struct store *st, const struct store_session *s);
/* Reads a session by id; STORE_NOT_FOUND when there is none. Sees every call
 * that has returned; may not see one still in progress. */
int store_session_get(struct store *st, const char *id, struct store_session *out);
/* Writes *s when the stored version is s->version - 1 (the caller bumps
 * s->version before the call); else returns STORE_CONFLICT, changes nothing,
 * and fills *current (when not NULL) with the session as it now stands, so the
 * caller can retry from there (STORE_NOT_FOUND if it is gone). When msg is not
 * NULL it is queued in the same transaction. */
int store_session_update(struct store *st, const struct store_session *s,
			 const struct store_message *msg, struct store_session *current);

/* Claims up to max queued messages due at now (next_attempt_at <= now), oldest
 * first, marking them SENDING; fills out[] and sets *n. */
int store_outbox_claim(struct store *st, int64_t now, struct store_message *out, size_t max,
		       size_t *n);
/* Records what happened to n claimed messages, in one transaction: each SENT,
 * FAILED, or QUEUED again with a later next_attempt_at (a retry). */
int store_outbox_finish(struct store *st, const struct store_message *m, size_t n);
/* Puts back every SENDING message (after a crash the worker that claimed it is
 * gone). Called once at start-up, before the worker runs. Sets *n. */
int store_outbox_recover(struct store *st, size_t *n);

/* Calls fn for each message of a session, oldest first (body not filled).
 * Callbacks must not call back into the store. */
int store_session_messages(struct store *st, const char *session_id,
			   void (*fn)(const struct store_message *m, void *arg), void *arg);
/* Calls fn for each session of a number, newest first, at most limit. */
int store_number_sessions(struct store *st, const char *phone, size_t limit,
			  void (*fn)(const struct store_session *s, void *arg), void *arg);

struct store_stats {
	int64_t sessions;
	int64_t verified;
	int64_t messages_queued;
	int64_t messages_sent;
	int64_t messages_failed;
};
int store_get_stats(struct store *st, struct store_stats *out);

/* A token bucket, kept in the store so that every thread and every node
 * sharing the store draws from the same one. A bucket never seen is full. */
struct store_bucket {
	const char *key;      /* names the bucket: "send|ip|192.0.2.1" */
	double capacity;      /* tokens when full (the burst) */
	double refill_per_ms; /* tokens added back per ms, up to capacity */
	double cost;          /* tokens to take; 0: only require one to be there
			       * (a peek); negative: give tokens back (a refund) */
};

/* Takes from n buckets at now, all or none, in one atomic step: when one of
 * them holds fewer than its cost (or, for a peek, fewer than one token) nothing
 * is taken from any, and the call returns STORE_LIMITED with *refused set to
 * its index and *retry_after_ms to the wait until it would have enough. Parallel
 * calls (threads or nodes) never take more than a bucket holds. */
int store_buckets_take(struct store *st, const struct store_bucket *b, size_t n, int64_t now,
		       size_t *refused, int64_t *retry_after_ms);
/* Forgets buckets last touched before before. A bucket "N per period" is full
 * again one period after its last take, so callers pass now minus their
 * longest period: what is forgotten reads as full anyway. Sets *n. */
int store_buckets_prune(struct store *st, int64_t before, size_t *n);

/* A pair of exponentially decaying counters (a rolling window without
 * buckets), kept in two windows at once: in window w each value halves every
 * half_life_ms[w]. */
struct store_decay {
	const char *key;
	double half_life_ms[2];
	double add[2];    /* added to both windows at now, after decaying what was there */
	double out[2][2]; /* [window][value] at now, after the addition */
};
/* Updates n counter pairs atomically and fills their out[]. */
int store_decay_add(struct store *st, struct store_decay *d, size_t n, int64_t now);
/* store_buckets_take, and when every bucket granted, store_decay_add of d in
 * the same transaction (d is untouched when a bucket refused): one round on
 * the writer for a request's limits and its counts. */
int store_buckets_take_count(struct store *st, const struct store_bucket *b, size_t n,
			     struct store_decay *d, size_t nd, int64_t now, size_t *refused,
			     int64_t *retry_after_ms);
/* Forgets one key's counters (they read as zero again). */
int store_decay_reset(struct store *st, const char *key);

/* A fraud measure on a key (a number prefix or a country). */
#define STORE_BLOCK_THROTTLED 1 /* new sessions there must prove work first */
#define STORE_BLOCK_BLOCKED 2   /* no code is sent there */

struct store_block {
	char key[40];     /* "p3|+4479111234" */
	int state;        /* STORE_BLOCK_* */
	int64_t since;    /* ms */
	double sent;      /* the window's counts when it was decided */
	double verified;
	double baseline;  /* the conversion it was compared with, 0..1 */
	char reason[160];
};

/* Records a measure and its event ("fraud.prefix_blocked" or
 * "fraud.prefix_throttled") in one transaction, unless the key already holds
 * this state or a stronger one: then nothing changes and STORE_CONFLICT. */
int store_block_set(struct store *st, const struct store_block *b);
/* Lifts the measure on key and records "fraud.prefix_unblocked" by who;
 * STORE_NOT_FOUND when there is none. */
int store_block_lift(struct store *st, const char *key, const char *who, int64_t now);
/* Calls fn for every measure in force (callbacks must not call the store). */
int store_blocks_list(struct store *st, void (*fn)(const struct store_block *b, void *arg),
		      void *arg);
/* The event log (fraud.* for now), oldest first, from id after_id on. */
struct store_event {
	int64_t id;
	int64_t at;
	char type[40];
	char subject[40];
	char detail[256];
};
int store_events_list(struct store *st, int64_t after_id, size_t limit,
		      void (*fn)(const struct store_event *e, void *arg), void *arg);

#endif
