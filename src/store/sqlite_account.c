/* The SQLite store's accounts and events. Account operations are rare next to
 * session traffic, so they run on the writer's connection (reads too: they see
 * a group's writes before its commit, which keeps read-your-writes simple) and
 * join its group commit like every other write. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/backend.h"
#include "store/sqlite_db.h"

#define ACCOUNT_COLS                                                                            \
	"id, app, phone, created_at, verified_at, seen_at, version, device_id, device_name,"     \
	" push_token, device_key, device_at, pin_hash, pin_set_at, pin_failures, pin_retry_at,"  \
	" pin_checked_at, pin_streak, email_sealed, reset_key, reset_expires_at, reverify,"      \
	" reverify_reason, closed_at, totp_sealed, totp_enabled_at, totp_last_step,"            \
	" totp_failures, totp_retry_at"
#define EVENT_COLS                                                                              \
	"id, type, app, account_id, created_at, payload, state, attempts, next_attempt_at,"      \
	" delivered_at, error"

enum {
	A_INSERT,
	A_UPDATE,
	A_BY_ID,
	A_BY_PHONE,
	A_BY_DEVICE,
	A_BY_RESET,
	E_INSERT,
	E_DUE,
	E_MARK,
	E_FINISH,
	E_BY_ACCOUNT,
	A_COUNT
};

static const char *const sql[A_COUNT] = {
	[A_INSERT] = "INSERT INTO accounts (" ACCOUNT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
		     "?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29)",
	[A_UPDATE] = "UPDATE accounts SET app=?2, phone=?3, created_at=?4, verified_at=?5,"
		     " seen_at=?6, version=?7, device_id=?8, device_name=?9, push_token=?10,"
		     " device_key=?11, device_at=?12, pin_hash=?13, pin_set_at=?14,"
		     " pin_failures=?15, pin_retry_at=?16, pin_checked_at=?17, pin_streak=?18,"
		     " email_sealed=?19, reset_key=?20, reset_expires_at=?21, reverify=?22,"
		     " reverify_reason=?23, closed_at=?24, totp_sealed=?25, totp_enabled_at=?26,"
		     " totp_last_step=?27, totp_failures=?28, totp_retry_at=?29"
		     " WHERE id=?1 AND version=?7-1",
	[A_BY_ID] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1",
	[A_BY_PHONE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE app = ?1 AND phone = ?2"
		       " AND closed_at = 0",
	[A_BY_DEVICE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE device_key = ?1",
	[A_BY_RESET] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE reset_key = ?1",
	[E_INSERT] = "INSERT INTO events (" EVENT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
	/* ?3: skip e-mails; ?4: a JSON array of the apps whose webhooks to skip. */
	[E_DUE] = "SELECT " EVENT_COLS " FROM events WHERE state = 0 AND next_attempt_at <= ?1"
		  " AND CASE WHEN substr(type, 1, 5) = 'mail.' THEN ?3 = 0"
		  " ELSE app NOT IN (SELECT value FROM json_each(?4)) END"
		  " ORDER BY next_attempt_at, created_at LIMIT ?2",
	/* The lease, as a compare-and-swap on the event still being due. */
	[E_MARK] = "UPDATE events SET attempts = attempts + 1, next_attempt_at = ?2"
		   " WHERE id = ?1 AND state = 0 AND next_attempt_at <= ?3",
	[E_FINISH] = "UPDATE events SET state=?2, next_attempt_at=?3, delivered_at=?4, error=?5,"
		     " attempts=?6 WHERE id=?1",
	[E_BY_ACCOUNT] = "SELECT " EVENT_COLS " FROM events WHERE account_id = ?1"
			 " ORDER BY created_at, rowid",
};

int sqlite_account_prepare(struct sqlite_db *db, char *err, size_t errlen)
{
	for (int i = 0; i < A_COUNT; i++) {
		if (sqlite3_prepare_v3(db->conn, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->acct[i],
				       NULL) != SQLITE_OK) {
			strfmt(err, errlen, "cannot prepare an account statement: %s",
			       sqlite3_errmsg(db->conn));
			return -1;
		}
	}
	return 0;
}

void sqlite_account_finalize(struct sqlite_db *db)
{
	for (int i = 0; i < A_COUNT; i++) {
		sqlite3_finalize(db->acct[i]);
		db->acct[i] = NULL;
	}
}

static int step(struct sqlite_db *db, int id)
{
	int rc = sqlite3_step(db->acct[id]);
	sqlite3_reset(db->acct[id]);
	sqlite3_clear_bindings(db->acct[id]);
	return rc;
}

static void bind_blob_or_null(sqlite3_stmt *st, int col, const void *b, size_t n)
{
	if (n)
		sqlite3_bind_blob(st, col, b, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void bind_account(sqlite3_stmt *st, const struct store_account *a)
{
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, a->created_at);
	sqlite3_bind_int64(st, 5, a->verified_at);
	sqlite3_bind_int64(st, 6, a->seen_at);
	sqlite3_bind_int64(st, 7, a->version);
	sqlite3_bind_text(st, 8, a->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->device_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, a->push_token, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, a->device_key, STORE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, a->device_at);
	sqlite3_bind_text(st, 13, a->pin_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, a->pin_set_at);
	sqlite3_bind_int(st, 15, a->pin_failures);
	sqlite3_bind_int64(st, 16, a->pin_retry_at);
	sqlite3_bind_int64(st, 17, a->pin_checked_at);
	sqlite3_bind_int(st, 18, a->pin_streak);
	bind_blob_or_null(st, 19, a->email_sealed, a->email_sealed_len);
	bind_blob_or_null(st, 20, a->reset_key, a->has_reset ? STORE_KEY_LEN : 0);
	sqlite3_bind_int64(st, 21, a->reset_expires_at);
	sqlite3_bind_int(st, 22, a->reverify);
	sqlite3_bind_text(st, 23, a->reverify_reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 24, a->closed_at);
	bind_blob_or_null(st, 25, a->totp_sealed, a->totp_sealed_len);
	sqlite3_bind_int64(st, 26, a->totp_enabled_at);
	sqlite3_bind_int64(st, 27, a->totp_last_step);
	sqlite3_bind_int(st, 28, a->totp_failures);
	sqlite3_bind_int64(st, 29, a->totp_retry_at);
}

static void read_account(sqlite3_stmt *st, struct store_account *a)
{
	memset(a, 0, sizeof *a);
	sqlite_copy_text(a->id, sizeof a->id, st, 0);
	sqlite_copy_text(a->app, sizeof a->app, st, 1);
	sqlite_copy_text(a->phone, sizeof a->phone, st, 2);
	a->created_at = sqlite3_column_int64(st, 3);
	a->verified_at = sqlite3_column_int64(st, 4);
	a->seen_at = sqlite3_column_int64(st, 5);
	a->version = sqlite3_column_int64(st, 6);
	sqlite_copy_text(a->device_id, sizeof a->device_id, st, 7);
	sqlite_copy_text(a->device_name, sizeof a->device_name, st, 8);
	sqlite_copy_text(a->push_token, sizeof a->push_token, st, 9);
	sqlite_copy_blob(a->device_key, STORE_KEY_LEN, st, 10);
	a->device_at = sqlite3_column_int64(st, 11);
	sqlite_copy_text(a->pin_hash, sizeof a->pin_hash, st, 12);
	a->pin_set_at = sqlite3_column_int64(st, 13);
	a->pin_failures = sqlite3_column_int(st, 14);
	a->pin_retry_at = sqlite3_column_int64(st, 15);
	a->pin_checked_at = sqlite3_column_int64(st, 16);
	a->pin_streak = sqlite3_column_int(st, 17);
	a->email_sealed_len = sqlite_copy_blob(a->email_sealed, sizeof a->email_sealed, st, 18);
	a->has_reset = sqlite_copy_blob(a->reset_key, STORE_KEY_LEN, st, 19) == STORE_KEY_LEN;
	a->reset_expires_at = sqlite3_column_int64(st, 20);
	a->reverify = sqlite3_column_int(st, 21);
	sqlite_copy_text(a->reverify_reason, sizeof a->reverify_reason, st, 22);
	a->closed_at = sqlite3_column_int64(st, 23);
	a->totp_sealed_len = sqlite_copy_blob(a->totp_sealed, sizeof a->totp_sealed, st, 24);
	a->totp_enabled_at = sqlite3_column_int64(st, 25);
	a->totp_last_step = sqlite3_column_int64(st, 26);
	a->totp_failures = sqlite3_column_int(st, 27);
	a->totp_retry_at = sqlite3_column_int64(st, 28);
}

static void bind_event(sqlite3_stmt *st, const struct store_event *e)
{
	sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->account_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, e->created_at);
	sqlite3_bind_text(st, 6, e->payload, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, e->state);
	sqlite3_bind_int(st, 8, e->attempts);
	sqlite3_bind_int64(st, 9, e->next_attempt_at);
	sqlite3_bind_int64(st, 10, e->delivered_at);
	sqlite3_bind_text(st, 11, e->error, -1, SQLITE_STATIC);
}

static void read_event(sqlite3_stmt *st, struct store_event *e)
{
	memset(e, 0, sizeof *e);
	sqlite_copy_text(e->id, sizeof e->id, st, 0);
	sqlite_copy_text(e->type, sizeof e->type, st, 1);
	sqlite_copy_text(e->app, sizeof e->app, st, 2);
	sqlite_copy_text(e->account_id, sizeof e->account_id, st, 3);
	e->created_at = sqlite3_column_int64(st, 4);
	sqlite_copy_text(e->payload, sizeof e->payload, st, 5);
	e->state = sqlite3_column_int(st, 6);
	e->attempts = sqlite3_column_int(st, 7);
	e->next_attempt_at = sqlite3_column_int64(st, 8);
	e->delivered_at = sqlite3_column_int64(st, 9);
	sqlite_copy_text(e->error, sizeof e->error, st, 10);
}

int sqlite_event_insert(struct sqlite_db *db, const struct store_event *e)
{
	bind_event(db->acct[E_INSERT], e);
	return step(db, E_INSERT) == SQLITE_DONE ? 0 : sqlite_fail(db, "insert event");
}

/* Inserts or compare-and-swaps one account: 0, STORE_CONFLICT or -1. */
static int put_account(struct sqlite_db *db, const struct store_account *a, int insert)
{
	int id = insert ? A_INSERT : A_UPDATE;
	bind_account(db->acct[id], a);
	int rc = step(db, id);
	if (rc == SQLITE_CONSTRAINT)
		return STORE_CONFLICT; /* the number (or device key) is taken */
	if (rc != SQLITE_DONE)
		return sqlite_fail(db, insert ? "insert account" : "update account");
	return sqlite3_changes(db->conn) == 0 ? STORE_CONFLICT : 0;
}

int sqlite_account_write(void *state, const struct store_account_write *w)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = 0;
		for (int i = 0; i < w->n_spend && rc == 0; i++)
			rc = sqlite_session_cas(db, w->spend[i]);
		/* The closed account first: it frees the number the other one takes. */
		if (rc == 0 && w->closed)
			rc = put_account(db, w->closed, 0);
		if (rc == 0 && w->account)
			rc = put_account(db, w->account, w->insert);
		for (int i = 0; i < w->n_events && rc == 0; i++)
			rc = sqlite_event_insert(db, w->events[i]);
		group = sqlite_write_lost(db, rc, sqlite_write_end(db, rc == 0));
	}
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

/* Runs lookup statement id with key (text, or STORE_KEY_LEN bytes when blob)
 * and key2 (text, may be NULL). */
static int account_find(struct sqlite_db *db, int id, const void *key, int blob, const char *key2,
			struct store_account *out)
{
	sqlite3_stmt *st = db->acct[id];
	sqlite_enter(db);
	if (blob)
		sqlite3_bind_blob(st, 1, key, STORE_KEY_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (key2)
		sqlite3_bind_text(st, 2, key2, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_account(st, out);
	int result = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOT_FOUND : sqlite_fail(db, "find account");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite_leave(db, 0);
	return result;
}

int sqlite_account_get(void *state, const char *id, struct store_account *out)
{
	return account_find(state, A_BY_ID, id, 0, NULL, out);
}

int sqlite_account_by_phone(void *state, const char *app, const char *phone,
			    struct store_account *out)
{
	return account_find(state, A_BY_PHONE, app, 0, phone, out);
}

int sqlite_account_by_device(void *state, const unsigned char key[STORE_KEY_LEN],
			     struct store_account *out)
{
	return account_find(state, A_BY_DEVICE, key, 1, NULL, out);
}

int sqlite_account_by_reset(void *state, const unsigned char key[STORE_KEY_LEN],
			    struct store_account *out)
{
	return account_find(state, A_BY_RESET, key, 1, NULL, out);
}

int sqlite_event_claim(void *state, int64_t now, int64_t lease_until,
		   const struct store_event_skip *skip, struct store_event *out, size_t max,
		   size_t *n)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	*n = 0;
	char *apps = store_skip_apps_json(skip);
	if (!apps)
		return -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		sqlite3_stmt *st = db->acct[E_DUE];
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
		sqlite3_bind_int(st, 3, skip && skip->mail);
		sqlite3_bind_text(st, 4, apps, -1, SQLITE_STATIC);
		size_t found = 0;
		int r;
		while (found < max && (r = sqlite3_step(st)) == SQLITE_ROW)
			read_event(st, &out[found++]);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		rc = 0;
		/* Keeps only the events whose lease this claim took. */
		for (size_t i = 0; i < found && rc == 0; i++) {
			sqlite3_stmt *mark = db->acct[E_MARK];
			sqlite3_bind_text(mark, 1, out[i].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(mark, 2, lease_until);
			sqlite3_bind_int64(mark, 3, now);
			if (step(db, E_MARK) != SQLITE_DONE) {
				rc = sqlite_fail(db, "claim event");
			} else if (sqlite3_changes(db->conn) == 1) {
				out[i].attempts++;
				out[i].next_attempt_at = lease_until;
				if (*n != i)
					out[*n] = out[i];
				(*n)++;
			}
		}
		group = sqlite_write_end(db, rc == 0 && *n > 0);
	}
	int crc = sqlite_leave(db, group);
	free(apps);
	if (rc < 0)
		*n = 0;
	return rc < 0 ? rc : crc;
}

int sqlite_event_finish(void *state, const struct store_event *e, size_t n)
{
	struct sqlite_db *db = state;
	uint64_t group = 0;
	int rc = -1;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			sqlite3_stmt *st = db->acct[E_FINISH];
			sqlite3_bind_text(st, 1, e[i].id, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, e[i].state);
			sqlite3_bind_int64(st, 3, e[i].next_attempt_at);
			sqlite3_bind_int64(st, 4, e[i].delivered_at);
			sqlite3_bind_text(st, 5, e[i].error, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 6, e[i].attempts);
			if (step(db, E_FINISH) != SQLITE_DONE)
				rc = sqlite_fail(db, "finish event");
		}
		group = sqlite_write_end(db, rc == 0);
	}
	int crc = sqlite_leave(db, group);
	return rc < 0 ? rc : crc;
}

int sqlite_account_events(void *state, const char *account_id,
			     void (*fn)(const struct store_event *e, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	sqlite3_stmt *st = db->acct[E_BY_ACCOUNT];
	struct store_event e;
	int r, rc = 0;
	sqlite_enter(db);
	sqlite3_bind_text(st, 1, account_id, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		read_event(st, &e);
		fn(&e, arg);
	}
	if (r != SQLITE_DONE)
		rc = sqlite_fail(db, "account events");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite_leave(db, 0);
	return rc;
}
