/* The ops table a store backend exports (one symbol per backend file). Read
 * store.h for the guarantees each function must give; store.c wraps these. */
#ifndef IOTP_STORE_BACKEND_H
#define IOTP_STORE_BACKEND_H

#include "store/store.h"

/* Bumped by every change to struct store_ops: store_open refuses a backend
 * written for another version rather than call it through the wrong table. */
#define STORE_OPS_VERSION 11 /* 6: the dashboard's reads (activity, sessions_recent); 7: TOTP on accounts;
			     * 8: session_history (a timeline in one snapshot); 9: a number's notes;
			     * 10: cleanup; 11: passkeys */

struct store_ops {
	int version; /* STORE_OPS_VERSION the backend was written for */
	const char *name;
	const char *locations; /* what url looks like, for messages: "sqlite:PATH" */
	/* 1 when url names a store of this backend (store_open asks each in turn). */
	int (*accepts)(const char *url);
	int (*open)(const char *url, const struct store_options *opt, void **state, char *err,
		    size_t errlen);
	void (*close)(void *state);
	int (*session_get)(void *state, const char *id, struct store_session *out);
	/* store_session_insert and _update are this too, without buckets. */
	int (*session_write)(void *state, struct store_write *w, struct store_session *current);
	int (*outbox_due)(void *state, int64_t now, struct store_due *out, size_t max, size_t *n);
	/* store_outbox_take_batch (store_outbox_take and _finish_take are the case
	 * n = 1): done may be NULL (n_done 0). */
	int (*outbox_take)(void *state, const struct store_message *done, size_t n_done,
			   struct store_take *want, size_t n, int64_t now,
			   struct store_message *out);
	int (*outbox_handing)(void *state, const char *id, const char *provider);
	int (*outbox_finish)(void *state, const struct store_message *m, size_t n);
	int (*outbox_recover)(void *state, int64_t now, size_t *requeued, size_t *unknown);
	int (*message_report)(void *state, const struct store_report *r,
			      struct store_reported *out);
	int (*session_attempts)(void *state, const char *session_id,
				void (*fn)(const struct store_attempt *a, void *arg), void *arg);
	int (*delivery_stats)(void *state, int64_t since,
			      void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg);
	int (*session_messages)(void *state, const char *session_id,
				void (*fn)(const struct store_message *m, void *arg), void *arg);
	int (*number_sessions)(void *state, const char *phone, size_t limit,
			       void (*fn)(const struct store_session *s, void *arg), void *arg);
	int (*stats)(void *state, struct store_stats *out);
	int (*account_write)(void *state, const struct store_account_write *w);
	int (*account_get)(void *state, const char *id, struct store_account *out);
	int (*account_by_phone)(void *state, const char *app, const char *phone,
				struct store_account *out);
	int (*account_by_device)(void *state, const unsigned char key[STORE_KEY_LEN],
				 struct store_account *out);
	int (*account_by_reset)(void *state, const unsigned char key[STORE_KEY_LEN],
				struct store_account *out);
	int (*event_claim)(void *state, int64_t now, int64_t lease_until,
			   const struct store_event_skip *skip, struct store_event *out, size_t max,
			   size_t *n);
	int (*event_finish)(void *state, const struct store_event *e, size_t n);
	int (*account_events)(void *state, const char *account_id,
			      void (*fn)(const struct store_event *e, void *arg), void *arg);
	int (*buckets_take)(void *state, const struct store_bucket *b, size_t n, struct store_decay *d,
			    size_t nd, int64_t now, size_t *refused, int64_t *retry_after_ms);
	int (*buckets_prune)(void *state, int64_t before, size_t *n);
	int (*cleanup)(void *state, int64_t before, int64_t now, size_t batch,
		       struct store_cleanup *n);
	int (*decay_add)(void *state, struct store_decay *d, size_t n, int64_t now);
	int (*decay_reset)(void *state, const char *key);
	int (*block_set)(void *state, const struct store_block *b, const char *event_type);
	int (*block_lift)(void *state, const char *key, const char *who, int64_t now,
			  const char *event_type);
	int (*blocks_list)(void *state, void (*fn)(const struct store_block *b, void *arg), void *arg);
	int (*fraud_events)(void *state, int64_t after_id, size_t limit,
			    void (*fn)(const struct store_fraud_event *e, void *arg), void *arg);
	int (*record_get)(void *state, const char *kind, const char *key, int64_t now,
			  struct store_record *out);
	int (*record_put)(void *state, const struct store_record *r, int64_t now);
	int (*record_list)(void *state, const char *kind, const char *after, size_t limit,
			   int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg);
	/* The dashboard's reads (store_activity, store_sessions_recent). */
	int (*activity)(void *state, int64_t since, int64_t step_ms,
			void (*fn)(const struct store_activity *a, void *arg), void *arg);
	int (*sessions_recent)(void *state, int64_t since, size_t limit,
			       void (*fn)(const struct store_session *s, void *arg), void *arg);
	/* Passkeys (store_passkey_*). */
	int (*passkey_insert)(void *state, const struct store_passkey *p, int max);
	int (*passkey_get)(void *state, const char *app, const unsigned char *cred_id,
			   size_t cred_id_len, struct store_passkey *out);
	int (*passkey_list)(void *state, const char *account_id,
			    void (*fn)(const struct store_passkey *p, void *arg), void *arg);
	int (*passkey_update)(void *state, const struct store_passkey *p);
	int (*passkey_delete)(void *state, const char *account_id, const char *id);
	/* Optional (NULL: session_messages then session_attempts, which a
	 * backend may only leave out when no write can come between them). */
	int (*session_history)(void *state, const char *session_id,
			       void (*msg_fn)(const struct store_message *m, void *arg),
			       void (*attempt_fn)(const struct store_attempt *a, void *arg),
			       void *arg);
	/* A number's notes (store_note_add, store_notes_of). */
	int (*note_add)(void *state, const struct store_note *n);
	int (*notes_of)(void *state, const char *phone, int64_t since, size_t limit,
			void (*fn)(const struct store_note *n, void *arg), void *arg);
	/* Optional (NULL: store_ready probes with a read): 0 when the store can
	 * serve, else -1 with why a person would want to know. */
	int (*ready)(void *state, char *why, size_t len);
	/* store_decay_prune and store_blocks_prune; NULL: nothing is pruned. */
	int (*decay_prune)(void *state, const char *prefix, int64_t before, size_t *n);
	int (*blocks_prune)(void *state, int64_t before, size_t *n);
};

/* Helpers every backend shares (store.c). */

/* The apps a claim passes over (skip may be NULL) as a JSON array of strings,
 * for the backends' queries to unnest (SQLite's json_each, PostgreSQL's
 * json_array_elements_text). Heap: free it; NULL when out of memory. */
char *store_skip_apps_json(const struct store_event_skip *skip);

extern const struct store_ops store_sqlite_ops;
#ifdef IOTP_HAVE_POSTGRES
extern const struct store_ops store_postgres_ops;
#endif

#endif
