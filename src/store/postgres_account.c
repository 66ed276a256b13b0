/* The PostgreSQL store's accounts and events. An account write is one
 * transaction of compare-and-swaps; the unique indexes (one live account per
 * number and app, one account per device key) turn a lost race into
 * STORE_CONFLICT. Events are claimed with FOR UPDATE SKIP LOCKED, so nodes
 * polling at once split the due events between them instead of queueing on
 * the same rows. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/backend.h"
#include "store/postgres_db.h"

#define ACCOUNT_COLS                                                                            \
	"id, app, phone, created_at, verified_at, seen_at, version, device_id, device_name,"     \
	" push_token, device_key, device_at, pin_hash, pin_set_at, pin_failures, pin_retry_at,"  \
	" pin_checked_at, pin_streak, email_sealed, reset_key, reset_expires_at, reverify,"      \
	" reverify_reason, closed_at, totp_sealed, totp_enabled_at, totp_last_step,"            \
	" totp_failures, totp_retry_at"
#define EVENT_COLS                                                                              \
	"id, type, app, account_id, created_at, payload, state, attempts, next_attempt_at,"      \
	" delivered_at, error"

const char *const pg_account_sql[P_COUNT] = {
	[P_ACCOUNT_INSERT] = "INSERT INTO accounts (" ACCOUNT_COLS ") VALUES ($1,$2,$3,$4,$5,$6,$7,"
			     "$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29)",
	[P_ACCOUNT_UPDATE] = "UPDATE accounts SET app=$2, phone=$3, created_at=$4, verified_at=$5,"
			     " seen_at=$6, version=$7, device_id=$8, device_name=$9, push_token=$10,"
			     " device_key=$11, device_at=$12, pin_hash=$13, pin_set_at=$14,"
			     " pin_failures=$15, pin_retry_at=$16, pin_checked_at=$17, pin_streak=$18,"
			     " email_sealed=$19, reset_key=$20, reset_expires_at=$21, reverify=$22,"
			     " reverify_reason=$23, closed_at=$24, totp_sealed=$25, totp_enabled_at=$26,"
			     " totp_last_step=$27, totp_failures=$28, totp_retry_at=$29"
			     " WHERE id=$1 AND version=$7::bigint-1",
	[P_ACCOUNT_BY_ID] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = $1",
	[P_ACCOUNT_BY_PHONE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE app = $1 AND phone = $2"
			       " AND closed_at = 0",
	[P_ACCOUNT_BY_DEVICE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE device_key = $1",
	[P_ACCOUNT_BY_RESET] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE reset_key = $1",
	[P_EVENT_INSERT] = "INSERT INTO events (" EVENT_COLS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,"
			   "$10,$11)",
	/* $3: skip e-mails; $4: a JSON array of the apps whose webhooks to skip.
	 * The lease is the new next_attempt_at, taken on rows no other claim holds. */
	[P_EVENT_CLAIM] = "WITH due AS (SELECT id, next_attempt_at AS was FROM events"
			  " WHERE state = 0 AND next_attempt_at <= $1"
			  " AND CASE WHEN left(type, 5) = 'mail.' THEN $3::int = 0"
			  " ELSE app NOT IN (SELECT json_array_elements_text($4::json)) END"
			  " ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
			  " taken AS (UPDATE events e SET attempts = e.attempts + 1,"
			  " next_attempt_at = $5 FROM due WHERE e.id = due.id"
			  " RETURNING e.id, e.type, e.app, e.account_id, e.created_at, e.payload,"
			  " e.state, e.attempts, e.next_attempt_at, e.delivered_at, e.error, due.was)"
			  " SELECT * FROM taken ORDER BY was, created_at",
	[P_EVENT_FINISH] = "UPDATE events SET state=$2, next_attempt_at=$3, delivered_at=$4, error=$5,"
			   " attempts=$6 WHERE id=$1",
	[P_ACCOUNT_EVENTS] = "SELECT " EVENT_COLS " FROM events WHERE account_id = $1"
			     " ORDER BY created_at, seq",
};

static void params_account(struct pg_params *p, const struct store_account *a)
{
	p->n = 0;
	pg_p_text(p, a->id);
	pg_p_text(p, a->app);
	pg_p_text(p, a->phone);
	pg_p_int(p, a->created_at);
	pg_p_int(p, a->verified_at);
	pg_p_int(p, a->seen_at);
	pg_p_int(p, a->version);
	pg_p_text(p, a->device_id);
	pg_p_text(p, a->device_name);
	pg_p_text(p, a->push_token);
	pg_p_blob(p, a->device_key, STORE_KEY_LEN);
	pg_p_int(p, a->device_at);
	pg_p_text(p, a->pin_hash);
	pg_p_int(p, a->pin_set_at);
	pg_p_int(p, a->pin_failures);
	pg_p_int(p, a->pin_retry_at);
	pg_p_int(p, a->pin_checked_at);
	pg_p_int(p, a->pin_streak);
	pg_p_blob(p, a->email_sealed, a->email_sealed_len);
	pg_p_blob(p, a->reset_key, a->has_reset ? STORE_KEY_LEN : 0);
	pg_p_int(p, a->reset_expires_at);
	pg_p_int(p, a->reverify);
	pg_p_text(p, a->reverify_reason);
	pg_p_int(p, a->closed_at);
	pg_p_blob(p, a->totp_sealed, a->totp_sealed_len);
	pg_p_int(p, a->totp_enabled_at);
	pg_p_int(p, a->totp_last_step);
	pg_p_int(p, a->totp_failures);
	pg_p_int(p, a->totp_retry_at);
}

static void read_account(PGresult *r, int row, struct store_account *a)
{
	memset(a, 0, sizeof *a);
	pg_text(a->id, sizeof a->id, r, row, 0);
	pg_text(a->app, sizeof a->app, r, row, 1);
	pg_text(a->phone, sizeof a->phone, r, row, 2);
	a->created_at = pg_int(r, row, 3);
	a->verified_at = pg_int(r, row, 4);
	a->seen_at = pg_int(r, row, 5);
	a->version = pg_int(r, row, 6);
	pg_text(a->device_id, sizeof a->device_id, r, row, 7);
	pg_text(a->device_name, sizeof a->device_name, r, row, 8);
	pg_text(a->push_token, sizeof a->push_token, r, row, 9);
	pg_blob(a->device_key, STORE_KEY_LEN, r, row, 10);
	a->device_at = pg_int(r, row, 11);
	pg_text(a->pin_hash, sizeof a->pin_hash, r, row, 12);
	a->pin_set_at = pg_int(r, row, 13);
	a->pin_failures = (int)pg_int(r, row, 14);
	a->pin_retry_at = pg_int(r, row, 15);
	a->pin_checked_at = pg_int(r, row, 16);
	a->pin_streak = (int)pg_int(r, row, 17);
	a->email_sealed_len = pg_blob(a->email_sealed, sizeof a->email_sealed, r, row, 18);
	a->has_reset = pg_blob(a->reset_key, STORE_KEY_LEN, r, row, 19) == STORE_KEY_LEN;
	a->reset_expires_at = pg_int(r, row, 20);
	a->reverify = (int)pg_int(r, row, 21);
	pg_text(a->reverify_reason, sizeof a->reverify_reason, r, row, 22);
	a->closed_at = pg_int(r, row, 23);
	a->totp_sealed_len = pg_blob(a->totp_sealed, sizeof a->totp_sealed, r, row, 24);
	a->totp_enabled_at = pg_int(r, row, 25);
	a->totp_last_step = pg_int(r, row, 26);
	a->totp_failures = (int)pg_int(r, row, 27);
	a->totp_retry_at = pg_int(r, row, 28);
}

static void read_event(PGresult *r, int row, struct store_event *e)
{
	memset(e, 0, sizeof *e);
	pg_text(e->id, sizeof e->id, r, row, 0);
	pg_text(e->type, sizeof e->type, r, row, 1);
	pg_text(e->app, sizeof e->app, r, row, 2);
	pg_text(e->account_id, sizeof e->account_id, r, row, 3);
	e->created_at = pg_int(r, row, 4);
	pg_text(e->payload, sizeof e->payload, r, row, 5);
	e->state = (int)pg_int(r, row, 6);
	e->attempts = (int)pg_int(r, row, 7);
	e->next_attempt_at = pg_int(r, row, 8);
	e->delivered_at = pg_int(r, row, 9);
	pg_text(e->error, sizeof e->error, r, row, 10);
}

int pg_event_insert(struct pg_db *db, struct pg_conn *c, const struct store_event *e)
{
	struct pg_params p = {0};
	pg_p_text(&p, e->id);
	pg_p_text(&p, e->type);
	pg_p_text(&p, e->app);
	pg_p_text(&p, e->account_id);
	pg_p_int(&p, e->created_at);
	pg_p_text(&p, e->payload);
	pg_p_int(&p, e->state);
	pg_p_int(&p, e->attempts);
	pg_p_int(&p, e->next_attempt_at);
	pg_p_int(&p, e->delivered_at);
	pg_p_text(&p, e->error);
	PGresult *r = pg_run(db, c, P_EVENT_INSERT, &p, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

/* Inserts or compare-and-swaps one account: 0, STORE_CONFLICT or -1. */
static int put_account(struct pg_db *db, struct pg_conn *c, const struct store_account *a,
		       int insert)
{
	struct pg_params p;
	char sqlstate[6];
	params_account(&p, a);
	PGresult *r = pg_run(db, c, insert ? P_ACCOUNT_INSERT : P_ACCOUNT_UPDATE, &p, sqlstate);
	if (!r)
		return !strcmp(sqlstate, "23505") ? STORE_CONFLICT : -1; /* number or key taken */
	int rc = pg_changed(r) == 1 ? 0 : STORE_CONFLICT;
	PQclear(r);
	return rc;
}

static int account_write(struct pg_db *db, struct pg_conn *c, void *arg)
{
	const struct store_account_write *w = arg;
	int rc = 0;
	for (int i = 0; i < w->n_spend && rc == 0; i++)
		rc = pg_session_cas(db, c, w->spend[i]);
	/* The closed account first: it frees the number the other one takes. */
	if (rc == 0 && w->closed)
		rc = put_account(db, c, w->closed, 0);
	if (rc == 0 && w->account)
		rc = put_account(db, c, w->account, w->insert);
	for (int i = 0; i < w->n_events && rc == 0; i++)
		rc = pg_event_insert(db, c, w->events[i]);
	return rc;
}

int pg_account_write(void *state, const struct store_account_write *w)
{
	return pg_in_txn(state, account_write, (void *)w);
}

static int account_find(struct pg_db *db, enum pg_stmt id, const void *key, int blob,
			const char *key2, struct store_account *out)
{
	struct pg_params p = {0};
	if (blob)
		pg_p_blob(&p, key, STORE_KEY_LEN);
	else
		pg_p_text(&p, key);
	if (key2)
		pg_p_text(&p, key2);
	PGresult *r = pg_run_alone(db, id, &p);
	if (!r)
		return -1;
	int rc = PQntuples(r) ? 0 : STORE_NOT_FOUND;
	if (rc == 0)
		read_account(r, 0, out);
	PQclear(r);
	return rc;
}

int pg_account_get(void *state, const char *id, struct store_account *out)
{
	return account_find(state, P_ACCOUNT_BY_ID, id, 0, NULL, out);
}

int pg_account_by_phone(void *state, const char *app, const char *phone,
			struct store_account *out)
{
	return account_find(state, P_ACCOUNT_BY_PHONE, app, 0, phone, out);
}

int pg_account_by_device(void *state, const unsigned char key[STORE_KEY_LEN],
			 struct store_account *out)
{
	return account_find(state, P_ACCOUNT_BY_DEVICE, key, 1, NULL, out);
}

int pg_account_by_reset(void *state, const unsigned char key[STORE_KEY_LEN],
			struct store_account *out)
{
	return account_find(state, P_ACCOUNT_BY_RESET, key, 1, NULL, out);
}

int pg_event_claim(void *state, int64_t now, int64_t lease_until,
		   const struct store_event_skip *skip, struct store_event *out, size_t max,
		   size_t *n)
{
	struct pg_db *db = state;
	*n = 0;
	char *apps = store_skip_apps_json(skip);
	if (!apps)
		return -1;
	struct pg_params p = {0};
	pg_p_int(&p, now);
	pg_p_int(&p, (int64_t)max);
	pg_p_int(&p, skip && skip->mail);
	pg_p_text(&p, apps);
	pg_p_int(&p, lease_until);
	PGresult *r = pg_run_alone(db, P_EVENT_CLAIM, &p);
	free(apps);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < max; i++)
		read_event(r, i, &out[(*n)++]);
	PQclear(r);
	return 0;
}

struct finish_args {
	const struct store_event *e;
	size_t n;
};

static int event_finish(struct pg_db *db, struct pg_conn *c, void *arg)
{
	const struct store_event *e = ((struct finish_args *)arg)->e;
	size_t n = ((struct finish_args *)arg)->n;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct pg_params p = {0};
		pg_p_text(&p, e[i].id);
		pg_p_int(&p, e[i].state);
		pg_p_int(&p, e[i].next_attempt_at);
		pg_p_int(&p, e[i].delivered_at);
		pg_p_text(&p, e[i].error);
		pg_p_int(&p, e[i].attempts);
		PGresult *r = pg_run(db, c, P_EVENT_FINISH, &p, NULL);
		rc = r ? 0 : -1;
		PQclear(r);
	}
	return rc;
}

int pg_event_finish(void *state, const struct store_event *e, size_t n)
{
	struct finish_args a = {e, n};
	return pg_in_txn(state, event_finish, &a);
}

int pg_account_events(void *state, const char *account_id,
		      void (*fn)(const struct store_event *e, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_text(&p, account_id);
	PGresult *r = pg_run_alone(state, P_ACCOUNT_EVENTS, &p);
	if (!r)
		return -1;
	struct store_event e;
	for (int i = 0; i < PQntuples(r); i++) {
		read_event(r, i, &e);
		fn(&e, arg);
	}
	PQclear(r);
	return 0;
}
