/* The PostgreSQL backend's insides, shared by its files (postgres.c: the pool,
 * the schema, sessions; postgres_outbox.c: messages and reports;
 * postgres_account.c: accounts and events; postgres_limits.c: buckets,
 * counters, fraud measures and records). Nothing outside src/store/postgres*.c
 * includes this.
 *
 * Every guarantee of store.h is the database's: a call is one transaction (or
 * one statement), compare-and-swap is "UPDATE ... WHERE version = v - 1",
 * claims are "UPDATE ... RETURNING" on rows picked with FOR UPDATE SKIP
 * LOCKED, and uniqueness is a constraint. Nothing is held in iotpd's memory
 * that another node would need to see. */
#ifndef IOTP_POSTGRES_DB_H
#define IOTP_POSTGRES_DB_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Every statement the backend runs, prepared once per connection (on first
 * use) and named by its index. */
enum pg_stmt {
	P_SESSION_INSERT,
	P_SESSION_GET,
	P_SESSION_UPDATE,
	P_MESSAGE_INSERT,
	P_MESSAGES_DROP,
	P_NUMBER_SESSIONS,
	P_OUTBOX_EXPIRED,
	P_OUTBOX_EXPIRED_HANDING,
	P_OUTBOX_DUE,
	P_OUTBOX_TAKE,
	P_OUTBOX_FINISH,
	P_OUTBOX_HANDING,
	P_ATTEMPT_INSERT,
	P_REPORT_BY_REF,
	P_REPORT,
	P_MESSAGE_EXISTS,
	P_SESSION_ATTEMPTS,
	P_SESSION_MESSAGES,
	P_DELIVERY_STATS,
	P_ACCOUNT_INSERT,
	P_ACCOUNT_UPDATE,
	P_ACCOUNT_BY_ID,
	P_ACCOUNT_BY_PHONE,
	P_ACCOUNT_BY_DEVICE,
	P_ACCOUNT_BY_RESET,
	P_EVENT_INSERT,
	P_EVENT_CLAIM,
	P_EVENT_FINISH,
	P_ACCOUNT_EVENTS,
	P_BUCKET_TAKE,
	P_BUCKET_PRUNE,
	P_DECAY_ADD,
	P_DECAY_GET,
	P_DECAY_RESET,
	P_BLOCK_SET,
	P_BLOCK_DELETE,
	P_BLOCK_LIST,
	P_FRAUD_EVENT_INSERT,
	P_FRAUD_EVENT_LIST,
	P_RECORD_GET,
	P_RECORD_LIST,
	P_RECORD_PURGE,
	P_RECORD_INSERT,
	P_RECORD_UPDATE,
	P_PASSKEY_LOCK,
	P_PASSKEY_COUNT,
	P_PASSKEY_INSERT,
	P_PASSKEY_GET,
	P_PASSKEY_LIST,
	P_PASSKEY_UPDATE,
	P_PASSKEY_DELETE,
	P_PASSKEY_DELETE_ALL,
	P_DECAY_PRUNE,
	P_BLOCK_PRUNE,
	P_CLEANUP,
	P_NOTE_INSERT,
	P_COUNT
};

/* One connection of the pool. */
struct pg_conn {
	PGconn *conn;
	int busy;
	unsigned char prepared[P_COUNT]; /* 1: prepared on this connection */
	char failed[6];  /* SQLSTATE of the last pg_run that failed on it; "" after a success */
};

#define PG_POOL_MAX 256

struct pg_db {
	char *conninfo;       /* as configured (holds the password: never logged) */
	char shown[512];      /* the same, password masked, for messages */
	int timeout_ms;       /* statement timeout, and connect timeout (rounded up to s) */
	int64_t lease_ms;     /* a claimed message is another node's after this */
	char node[128];       /* this node's name (store_options.node) */
	int read_only;        /* store_options.read_only: every connection is read-only */
	_Atomic int64_t swept_at; /* ms: when outbox_due last took back expired leases */
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;             /* connections the pool may hold */
	struct pg_conn conns[PG_POOL_MAX];
	/* While the server is unreachable, callers fail fast instead of each
	 * waiting for a connect timeout; one try per backoff period. */
	int64_t down_until;   /* ms (monotonic): no new connection is tried before */
	int64_t backoff_ms;   /* doubled by each failed try, up to 5 s */
};

/* Parameters of one statement, in text form (bytea in binary form). */
#define PG_PARAMS_MAX 32
struct pg_params {
	int n;
	const char *v[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX];
	int fmt[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][32];
};

void pg_p_text(struct pg_params *p, const char *s);
void pg_p_int(struct pg_params *p, int64_t v);
void pg_p_double(struct pg_params *p, double v);
/* NULL when len is 0. */
void pg_p_blob(struct pg_params *p, const void *b, size_t len);

/* Takes a connection from the pool (connecting one if need be); NULL when
 * the server cannot be reached now (logged, with the password masked). */
struct pg_conn *pg_acquire(struct pg_db *db);
/* Gives it back; a connection that broke is closed and reconnected later. */
void pg_release(struct pg_db *db, struct pg_conn *c);

/* Runs statement id with p. Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; the caller PQclear()s it), or NULL after logging why;
 * *sqlstate (may be NULL) then holds the error's SQLSTATE ("" for none). */
PGresult *pg_run(struct pg_db *db, struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
		 char sqlstate[6]);
/* pg_run on a connection of the pool, outside any transaction: one statement
 * that is its own transaction. NULL also when no connection can be had. */
PGresult *pg_run_alone(struct pg_db *db, enum pg_stmt id, const struct pg_params *p);
/* The same for sql not prepared (statements run too rarely to keep prepared
 * on every connection: notes, the dashboard's); NULL after logging why,
 * naming what ("notes"). */
PGresult *pg_run_sql(struct pg_db *db, const char *sql, const struct pg_params *p,
		     const char *what);
/* Runs fn in one transaction on a connection of the pool: COMMIT when it
 * returns 0, else ROLLBACK; returns what fn returned (-1 when BEGIN, COMMIT
 * or the connection failed). */
int pg_in_txn(struct pg_db *db, int (*fn)(struct pg_db *db, struct pg_conn *c, void *arg),
	      void *arg);
/* Runs a statement without parameters (BEGIN, COMMIT, ROLLBACK): 0 or -1. */
int pg_cmd(struct pg_db *db, struct pg_conn *c, const char *sql);
/* Rows a command changed (PQcmdTuples). */
int64_t pg_changed(PGresult *r);

/* Typed reads of one field of a text-format result. */
int64_t pg_int(PGresult *r, int row, int col);
double pg_double(PGresult *r, int row, int col);
void pg_text(char *dst, size_t size, PGresult *r, int row, int col);
/* bytea into dst; returns its length, 0 when NULL or larger than size. */
size_t pg_blob(unsigned char *dst, size_t size, PGresult *r, int row, int col);

/* Sessions and messages inside an open transaction (postgres.c, _outbox.c). */
int pg_session_cas(struct pg_db *db, struct pg_conn *c, const struct store_session *s);
int pg_message_insert(struct pg_db *db, struct pg_conn *c, const struct store_message *m);
int pg_drop_queued(struct pg_db *db, struct pg_conn *c, const struct store_session *s);
int pg_event_insert(struct pg_db *db, struct pg_conn *c, const struct store_event *e);
/* Inserts a number's note on c (inside the caller's transaction, if any): 0 or -1. */
int pg_note_insert(struct pg_db *db, struct pg_conn *c, const struct store_note *n);
/* The limits inside an open transaction (postgres_limits.c): as
 * store_buckets_take and store_decay_add; STORE_LIMITED leaves what was taken
 * for the caller's ROLLBACK. */
int pg_buckets_apply(struct pg_db *db, struct pg_conn *c, const struct store_bucket *b, size_t n,
		     int64_t now, size_t *refused, int64_t *retry_after_ms);
int pg_decay_apply(struct pg_db *db, struct pg_conn *c, struct store_decay *d, size_t n,
		   int64_t now);

/* The SQL of each statement, by file. */
extern const char *const pg_outbox_sql[P_COUNT];
extern const char *const pg_account_sql[P_COUNT];
extern const char *const pg_limits_sql[P_COUNT];
extern const char *const pg_cleanup_sql[P_COUNT];
extern const char *const pg_passkey_sql[P_COUNT];

/* The store_ops entries of postgres_outbox.c. */
int pg_outbox_due(void *state, int64_t now, struct store_due *out, size_t max, size_t *n);
int pg_outbox_take(void *state, const struct store_message *done, size_t n_done,
		   struct store_take *want, size_t n, int64_t now, struct store_message *out);
int pg_outbox_finish(void *state, const struct store_message *m, size_t n);
int pg_outbox_handing(void *state, const char *id, const char *provider);
int pg_outbox_recover(void *state, int64_t now, size_t *requeued, size_t *unknown);
int pg_message_report(void *state, const struct store_report *r, struct store_reported *out);
int pg_session_attempts(void *state, const char *session_id,
			void (*fn)(const struct store_attempt *a, void *arg), void *arg);
int pg_delivery_stats(void *state, int64_t since,
		      void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg);
int pg_session_messages(void *state, const char *session_id,
			void (*fn)(const struct store_message *m, void *arg), void *arg);
int pg_session_history(void *state, const char *session_id,
		       void (*msg_fn)(const struct store_message *m, void *arg),
		       void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg);

/* The store_ops entries of postgres_account.c. */
int pg_account_write(void *state, const struct store_account_write *w);
int pg_account_get(void *state, const char *id, struct store_account *out);
int pg_account_by_phone(void *state, const char *app, const char *phone,
			struct store_account *out);
int pg_account_by_device(void *state, const unsigned char key[STORE_KEY_LEN],
			 struct store_account *out);
int pg_account_by_reset(void *state, const unsigned char key[STORE_KEY_LEN],
			struct store_account *out);
int pg_event_claim(void *state, int64_t now, int64_t lease_until,
		   const struct store_event_skip *skip, struct store_event *out, size_t max,
		   size_t *n);
int pg_event_finish(void *state, const struct store_event *e, size_t n);
int pg_account_events(void *state, const char *account_id,
		      void (*fn)(const struct store_event *e, void *arg), void *arg);

/* The store_ops entries of postgres_admin.c (the dashboard's reads). */
int pg_activity(void *state, int64_t since, int64_t step_ms,
		void (*fn)(const struct store_activity *a, void *arg), void *arg);
/* The dashboard's reads, one by one from 0 (NULL past the last), for the
 * conformance test that EXPLAINs them (see sqlite_admin_sql). */
const char *pg_admin_sql(size_t i);
/* A right check is its session's verified_at (see sqlite_db.h). */
#define PG_NOTES_OF_SQL                                                                            \
	"SELECT phone, at, kind, session_id, detail FROM notes WHERE phone = $1 AND at >= $2::bigint" \
	" UNION ALL SELECT phone, verified_at, 'check.right', id, '' FROM sessions s"              \
	" WHERE phone = $1 AND verified_at >= $2::bigint AND verified_at > 0 AND NOT EXISTS"       \
	" (SELECT 1 FROM notes n WHERE n.phone = $1 AND n.session_id = s.id"                       \
	" AND n.kind = 'check.right') ORDER BY 2 DESC LIMIT $3::bigint"
int pg_note_add(void *state, const struct store_note *n);
int pg_notes_of(void *state, const char *phone, int64_t since, size_t limit,
		void (*fn)(const struct store_note *n, void *arg), void *arg);
int pg_sessions_recent(void *state, int64_t since, size_t limit,
		       void (*fn)(const struct store_session *s, void *arg), void *arg);

/* The store_ops entries of postgres_passkey.c. */
int pg_passkey_insert(void *state, const struct store_passkey *p, int max);
int pg_passkey_get(void *state, const char *app, const unsigned char *cred_id,
		   size_t cred_id_len, struct store_passkey *out);
int pg_passkey_list(void *state, const char *account_id,
		    void (*fn)(const struct store_passkey *p, void *arg), void *arg);
int pg_passkey_update(void *state, const struct store_passkey *p);
int pg_passkey_delete(void *state, const char *account_id, const char *id);

/* The store_ops entries of postgres_limits.c. */
int pg_buckets_take(void *state, const struct store_bucket *b, size_t n, struct store_decay *d,
		    size_t nd, int64_t now, size_t *refused, int64_t *retry_after_ms);
int pg_cleanup(void *state, int64_t before, int64_t now, size_t batch, struct store_cleanup *n);
int pg_buckets_prune(void *state, int64_t before, size_t *n);
int pg_decay_add(void *state, struct store_decay *d, size_t n, int64_t now);
int pg_decay_reset(void *state, const char *key);
int pg_decay_prune(void *state, const char *prefix, int64_t before, size_t *n);
int pg_blocks_prune(void *state, int64_t before, size_t *n);
int pg_block_set(void *state, const struct store_block *b, const char *event_type);
int pg_block_lift(void *state, const char *key, const char *who, int64_t now,
		  const char *event_type);
int pg_blocks_list(void *state, void (*fn)(const struct store_block *b, void *arg), void *arg);
int pg_fraud_events(void *state, int64_t after_id, size_t limit,
		    void (*fn)(const struct store_fraud_event *e, void *arg), void *arg);
int pg_record_get(void *state, const char *kind, const char *key, int64_t now,
		  struct store_record *out);
int pg_record_put(void *state, const struct store_record *r, int64_t now);
int pg_record_list(void *state, const char *kind, const char *after, size_t limit, int64_t now,
		   void (*fn)(const struct store_record *r, void *arg), void *arg);

#endif
