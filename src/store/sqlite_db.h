/* The SQLite backend's insides, shared by its files (sqlite.c: sessions and
 * the outbox; sqlite_account.c: accounts and events; sqlite_limits.c: token
 * buckets and decaying counters). Nothing outside
 * src/store/sqlite*.c includes this. */
#ifndef IOTP_SQLITE_DB_H
#define IOTP_SQLITE_DB_H

#include <pthread.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/durable.h"
#include "store/store.h"

enum sqlite_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_SESSION_INSERT,
	S_SESSION_GET,
	S_SESSION_UPDATE,
	S_MESSAGE_INSERT,
	S_OUTBOX_DUE,
	S_OUTBOX_TAKE,
	S_MESSAGE_GET,
	S_REPORTED,
	S_MESSAGES_DROP,
	S_OUTBOX_FINISH,
	S_OUTBOX_RECOVER,
	S_OUTBOX_HANDING,
	S_OUTBOX_UNKNOWN,
	S_ATTEMPT_INSERT,
	S_REPORT_BY_REF,
	S_REPORT,
	S_SESSION_ATTEMPTS,
	S_SESSION_MESSAGES,
	S_NUMBER_SESSIONS,
	S_BUCKET_GET,
	S_BUCKET_PUT,
	S_BUCKET_SWEEP_END,
	S_BUCKET_SWEEP_TO,
	S_BUCKET_SWEEP_REST,
	S_DECAY_GET,
	S_DECAY_PUT,
	S_DECAY_RESET,
	S_BLOCK_GET,
	S_BLOCK_PUT,
	S_BLOCK_DELETE,
	S_BLOCK_LIST,
	S_FRAUD_EVENT_INSERT,
	S_FRAUD_EVENT_LIST,
	S_DECAY_SWEEP_END,
	S_DECAY_SWEEP_TO,
	S_DECAY_SWEEP_REST,
	S_BLOCK_PRUNE,
	S_NOTE_INSERT,
	S_DATA_VERSION,
	S_COUNT
};

#define ACCOUNT_STMT_MAX 16

/* A read-only connection per thread for session reads, so the hot read of
 * every request does not queue behind the writer's lock (WAL lets readers and
 * the writer work at once). */
struct reader {
	struct reader *next;
	sqlite3 *conn;
	sqlite3_stmt *get;
};

/* Most calls one commit may carry: bounds how long the first of them waits. */
#define GROUP_MAX 64
#define CHECKPOINT_MS 200
/* Past this many WAL frames (1 KiB each in a new file: 128 MiB) the
 * checkpointer makes the log start over: under steady writes a passive
 * checkpoint never catches the last frame, and the WAL (and its index, mapped
 * into memory) would grow without end. Starting over holds every write for
 * one last copy and its fsync (15-25 ms here): at 32,768 frames that came
 * every 0.7 s under load and was the whole of every call's p99. */
#define WAL_RESTART_FRAMES 131072

struct sqlite_db {
	sqlite3 *conn;
	dev_t file_dev; /* the database file as opened: a file removed or replaced */
	ino_t file_ino; /* under a running iotpd is found by sqlite_ready */
	sqlite3_stmt *stmt[S_COUNT];
	pthread_mutex_t lock;
	atomic_int queued;        /* threads waiting for lock */
	int in_txn;               /* a group transaction is open */
	int group_ops;            /* writing calls in it */
	int call_savepoint;       /* the call under way set a savepoint (it joined a group) */
	uint64_t group;           /* number of the open (or last) group */
	/* Waiting for a commit happens outside lock, so that waking the waiters
	 * of a commit never makes them queue for the writer again. */
	_Atomic uint64_t committed; /* number of the last group committed or failed */
	uint64_t failed[256];     /* a group whose commit failed, at g % 256 */
	pthread_mutex_t wait_lock;
	pthread_cond_t done;      /* signalled at every commit that has waiters */
	atomic_int waiting;       /* threads waiting on done */
	/* Answers held back until their group commits (base/durable.h): the
	 * watched, under wait_lock; those whose group a commit just ended, under
	 * lock, called once lock is given back. */
	struct durable_watch *watches;
	struct durable_watch *ready;
	/* Delivery rounds handed over without the lock (sqlite_handed.c): still
	 * to write, and written into the open group (under lock). */
	_Atomic(struct sqlite_handed *) handed;
	struct sqlite_handed *handed_open;

	char path[4096];
	pthread_key_t reader_key; /* this thread's struct reader */
	pthread_mutex_t readers_lock;
	struct reader *readers;   /* every reader, closed with the store */

	sqlite3 *ckpt_conn;       /* the checkpointer's own connection */
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	int ckpt_stop;

	sqlite3_stmt *acct[ACCOUNT_STMT_MAX]; /* sqlite_account.c's statements */
	struct limits_cache *cache;   /* under lock; NULL but in iotpd */
	struct sqlite_sweep *sweeps;  /* under lock: where each prune stopped */
	struct session_cache *sessions; /* NULL but in iotpd */
	int64_t data_version;         /* what PRAGMA data_version read last */
};

/* The name of a VFS that writes each commit to the WAL in one system call
 * (sqlite_walbuf.c), registered on first use; NULL (the default VFS) if it
 * could not be. */
const char *sqlite_walbuf_vfs(void);

/* The limits' rows kept in memory by the writer (sqlite_limits_cache.c);
 * every call but open and free runs between sqlite_enter and sqlite_leave. */
#define CACHE_KEY_MAX 96
#define CACHE_VALUES 4
enum cache_kind { CACHE_BUCKET, CACHE_DECAY, CACHE_KINDS };
void sqlite_cache_open(struct sqlite_db *db);
void sqlite_cache_free(struct sqlite_db *db);
/* Reads key's row of kind (a bucket: tokens; a counter: a, b, la, lb): 1 with
 * v[] and *at, 0 when there is none, or -1. *slot is what sqlite_cache_put
 * takes back. */
int sqlite_cache_get(struct sqlite_db *db, enum cache_kind kind, const char *key,
		     double v[CACHE_VALUES], int64_t *at, int *slot);
/* Sets key's row, read by sqlite_cache_get into slot: 0 or -1. */
int sqlite_cache_put(struct sqlite_db *db, enum cache_kind kind, int slot, const char *key,
		     const double v[CACHE_VALUES], int64_t at);
/* Forgets key's row, changed or not (its row is being deleted). */
void sqlite_cache_drop(struct sqlite_db *db, enum cache_kind kind, const char *key);
/* A writing call ends: its changes are kept, or undone with its savepoint. */
void sqlite_cache_call_end(struct sqlite_db *db, int kept);
/* Writes into the open group the changed rows that came due, a bounded
 * few (or, with force, every changed row): 0 or -1 (the group must not commit). */
int sqlite_cache_save(struct sqlite_db *db, int force);
/* 1 when some change is not written yet; sqlite_cache_due: and is due. */
int sqlite_cache_unsaved(struct sqlite_db *db);
int sqlite_cache_due(struct sqlite_db *db);
/* Empties the cache: the tables no longer hold what it says. */
void sqlite_cache_forget(struct sqlite_db *db);
/* For a prune of the rows of kind with keys after lo, up to hi (included
 * when hi_incl), last changed before before: writes back the changed ones
 * among them, so that the prune's DELETE sees them (0 or -1)... */
int sqlite_cache_save_old(struct sqlite_db *db, enum cache_kind kind, const char *lo,
			  const char *hi, int hi_incl, int64_t before);
/* ... and, once it has deleted them, forgets them: they read as never seen. */
void sqlite_cache_drop_old(struct sqlite_db *db, enum cache_kind kind, const char *lo,
			   const char *hi, int hi_incl, int64_t before);

/* Prunes (sqlite_limits_sweep.c): the next few thousand keys of kind's
 * table that start with prefix, from where the last call for that prefix
 * stopped, forgetting those last changed before before. Sets *n; returns 0
 * when the sweep came to the prefix's last key (the next call starts over),
 * STORE_PRUNE_MORE when keys are left, or -1. */
int sqlite_limits_sweep(struct sqlite_db *db, enum cache_kind kind, const char *prefix,
			int64_t before, size_t *n);
void sqlite_sweeps_free(struct sqlite_db *db);

/* Sessions committed lately, kept for the reads that follow their writes
 * (sqlite_session_cache.c). find is safe from any thread; the others run
 * under lock. */
void sqlite_sessions_open(struct sqlite_db *db);
void sqlite_sessions_free(struct sqlite_db *db);
/* 1 with *out when id's session as last committed is kept, else 0. */
int sqlite_sessions_find(struct sqlite_db *db, const char *id, struct store_session *out);
/* s was written in the open group (kept once the group commits). */
void sqlite_sessions_written(struct sqlite_db *db, const struct store_session *s);
void sqlite_sessions_call_begin(struct sqlite_db *db);
void sqlite_sessions_call_end(struct sqlite_db *db, int kept);
/* The open group is over: committed (ok) or rolled back. */
void sqlite_sessions_committed(struct sqlite_db *db, int ok);
/* Empties it: sessions were deleted, or the file changed under us. */
void sqlite_sessions_forget(struct sqlite_db *db);

/* Logs what failed with SQLite's message; returns -1. */
int sqlite_fail(struct sqlite_db *db, const char *what);
/* Prepares sql on the writer's connection (between sqlite_enter and
 * sqlite_leave) for statements not kept prepared: the caller finalizes *st.
 * 0, or -1 after logging "prepare <what>" (*st NULL). */
int sqlite_prepare(struct sqlite_db *db, const char *sql, sqlite3_stmt **st, const char *what);
/* Steps statement id once on the writer's connection and resets it; returns
 * sqlite3_step's code. */
int sqlite_step_done(struct sqlite_db *db, enum sqlite_stmt id);
void sqlite_copy_text(char *dst, size_t size, sqlite3_stmt *st, int col);
size_t sqlite_copy_blob(unsigned char *dst, size_t size, sqlite3_stmt *st, int col);

/* The writer's protocol (group commit): enter, write_begin, the writes,
 * write_end (keep or undo them), leave (which waits for the commit, or on a
 * thread that defers, marks the group as owed: base/durable.h). */
void sqlite_enter(struct sqlite_db *db);
int sqlite_leave(struct sqlite_db *db, uint64_t group);
int sqlite_write_begin(struct sqlite_db *db);
uint64_t sqlite_write_end(struct sqlite_db *db, int ok);
/* The group a call whose compare-and-swap lost (rc STORE_CONFLICT) waits
 * for: the winner's write may still sit in the open group, invisible to the
 * readers, and a caller that re-read before its commit would see the old row
 * and lose again, up to its bound of retries. Else group, unchanged. */
uint64_t sqlite_write_lost(struct sqlite_db *db, int rc, uint64_t group);

/* The compare-and-swap write of a session (see store_session_update), inside
 * an open write: 0, STORE_CONFLICT or -1. */
int sqlite_session_cas(struct sqlite_db *db, const struct store_session *s);

/* Inserts an event inside an open write: 0 or -1. */
int sqlite_event_insert(struct sqlite_db *db, const struct store_event *e);
/* Inserts a number's note inside an open write: 0 or -1. */
int sqlite_note_insert(struct sqlite_db *db, const struct store_note *n);

/* Takes from n buckets inside an open write (see store_buckets_take): 0,
 * STORE_LIMITED with *refused and *retry_after_ms set (what it took is still
 * in the savepoint: the caller undoes the write), or -1. */
int sqlite_buckets_apply(struct sqlite_db *db, const struct store_bucket *b, size_t n, int64_t now,
		  size_t *refused, int64_t *retry_after_ms);
/* Decays and adds n counter pairs inside an open write and fills their out[].
 * Returns 0 or -1. */
int sqlite_decay_apply(struct sqlite_db *db, struct store_decay *d, size_t n, int64_t now);

/* Inside an open write (sqlite_outbox.c): queues a message; fails the
 * session's messages still queued once it is canceled or verified. 0 or -1. */
int sqlite_insert_message(struct sqlite_db *db, const struct store_message *m);
int sqlite_drop_queued(struct sqlite_db *db, const struct store_session *s);

/* store_outbox_finish's rows, inside the caller's write (sqlite_outbox.c). */
int sqlite_outbox_finish_rows(struct sqlite_db *db, const struct store_message *m, size_t n);

/* Delivery rounds recorded without waiting for the lock (sqlite_handed.c).
 * push is safe from any thread and copies m; the holder of lock writes what
 * was pushed as a call of the open group (write), and hears how the group
 * ended (committed). */
struct sqlite_handed;
void sqlite_handed_push(struct sqlite_db *db, const struct store_message *m, size_t n);
void sqlite_handed_write(struct sqlite_db *db);
void sqlite_handed_committed(struct sqlite_db *db, int ok);

/* The store_ops entries sqlite_outbox.c implements. */
int sqlite_outbox_due(void *state, int64_t now, struct store_due *out, size_t max, size_t *n);
int sqlite_outbox_take(void *state, const struct store_message *done, size_t n_done,
		       struct store_take *want, size_t n, int64_t now, struct store_message *out);
int sqlite_outbox_finish(void *state, const struct store_message *m, size_t n);
int sqlite_outbox_handing(void *state, const char *id, const char *provider);
int sqlite_outbox_recover(void *state, int64_t now, size_t *requeued, size_t *unknown);
int sqlite_message_report(void *state, const struct store_report *r, struct store_reported *out);
int sqlite_session_attempts(void *state, const char *session_id,
			void (*fn)(const struct store_attempt *a, void *arg), void *arg);
int sqlite_delivery_stats(void *state, int64_t since,
		      void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg);
int sqlite_session_messages(void *state, const char *session_id,
			void (*fn)(const struct store_message *m, void *arg), void *arg);
int sqlite_session_history(void *state, const char *session_id,
			   void (*msg_fn)(const struct store_message *m, void *arg),
			   void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg);

/* The store_ops entries sqlite_fraud.c implements. */
int sqlite_block_set(void *state, const struct store_block *b, const char *event_type);
int sqlite_block_lift(void *state, const char *key, const char *who, int64_t now,
		      const char *event_type);
int sqlite_blocks_list(void *state, void (*fn)(const struct store_block *b, void *arg), void *arg);
int sqlite_fraud_events(void *state, int64_t after_id, size_t limit,
		    void (*fn)(const struct store_fraud_event *e, void *arg), void *arg);

/* The store_ops entries sqlite_admin.c implements. */
int sqlite_activity(void *state, int64_t since, int64_t step_ms,
		void (*fn)(const struct store_activity *a, void *arg), void *arg);
/* The dashboard's reads, one by one from 0 (NULL past the last), for the
 * conformance test that EXPLAINs them: each must use an index, never scan a
 * whole table. */
const char *sqlite_admin_sql(size_t i);
/* A right check is its session's verified_at, not a note (core/session.c);
 * it is read as the note it once was, unless one was written then. */
#define SQLITE_NOTES_OF_SQL                                                                        \
	"SELECT phone, at, kind, session_id, detail FROM notes WHERE phone = ?1 AND at >= ?2"      \
	" UNION ALL SELECT phone, verified_at, 'check.right', id, '' FROM sessions s"              \
	" WHERE phone = ?1 AND verified_at >= ?2 AND verified_at > 0 AND NOT EXISTS"               \
	" (SELECT 1 FROM notes n WHERE n.phone = ?1 AND n.session_id = s.id"                       \
	" AND n.kind = 'check.right') ORDER BY 2 DESC LIMIT ?3"
int sqlite_note_add(void *state, const struct store_note *n);
int sqlite_notes_of(void *state, const char *phone, int64_t since, size_t limit,
		    void (*fn)(const struct store_note *n, void *arg), void *arg);
int sqlite_sessions_recent(void *state, int64_t since, size_t limit,
		       void (*fn)(const struct store_session *s, void *arg), void *arg);

/* The store_ops entries sqlite_records.c implements. */
int sqlite_record_get(void *state, const char *kind, const char *key, int64_t now,
		  struct store_record *out);
int sqlite_record_list(void *state, const char *kind, const char *after, size_t limit, int64_t now,
		   void (*fn)(const struct store_record *r, void *arg), void *arg);
int sqlite_record_put(void *state, const struct store_record *r, int64_t now);

/* The store_ops entries sqlite_passkey.c implements. */
int sqlite_passkey_insert(void *state, const struct store_passkey *p, int max);
int sqlite_passkey_get(void *state, const char *app, const unsigned char *cred_id,
		       size_t cred_id_len, struct store_passkey *out);
int sqlite_passkey_list(void *state, const char *account_id,
			void (*fn)(const struct store_passkey *p, void *arg), void *arg);
int sqlite_passkey_update(void *state, const struct store_passkey *p);
int sqlite_passkey_delete(void *state, const char *account_id, const char *id);

/* The store_ops entries sqlite_limits.c implements. */
int sqlite_buckets_take(void *state, const struct store_bucket *b, size_t n, struct store_decay *d,
		    size_t nd, int64_t now, size_t *refused, int64_t *retry_after_ms);
int sqlite_cleanup(void *state, int64_t before, int64_t now, size_t batch,
		   struct store_cleanup *n);
int sqlite_buckets_prune(void *state, int64_t before, size_t *n);
int sqlite_decay_add(void *state, struct store_decay *d, size_t n, int64_t now);
int sqlite_decay_reset(void *state, const char *key);
int sqlite_decay_prune(void *state, const char *prefix, int64_t before, size_t *n);
int sqlite_blocks_prune(void *state, int64_t before, size_t *n);

/* The store_ops entries sqlite_account.c implements. */
int sqlite_account_write(void *state, const struct store_account_write *w);
int sqlite_account_get(void *state, const char *id, struct store_account *out);
int sqlite_account_by_phone(void *state, const char *app, const char *phone,
			    struct store_account *out);
int sqlite_account_by_device(void *state, const unsigned char key[STORE_KEY_LEN],
			     struct store_account *out);
int sqlite_account_by_reset(void *state, const unsigned char key[STORE_KEY_LEN],
			    struct store_account *out);
int sqlite_event_claim(void *state, int64_t now, int64_t lease_until,
		   const struct store_event_skip *skip, struct store_event *out, size_t max,
		   size_t *n);
int sqlite_event_finish(void *state, const struct store_event *e, size_t n);
int sqlite_account_events(void *state, const char *account_id,
		      void (*fn)(const struct store_event *e, void *arg), void *arg);

/* Prepares and finalizes sqlite_account.c's statements on the writer's
 * connection. */
int sqlite_account_prepare(struct sqlite_db *db, char *err, size_t errlen);
void sqlite_account_finalize(struct sqlite_db *db);

#endif
