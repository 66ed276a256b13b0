/* The PostgreSQL store: one database shared by any number of iotpd nodes.
 *
 * A pool of connections (store_pool_size) serves the threads; each call takes
 * one, runs one statement or one transaction on it, and gives it back. While
 * the server cannot be reached, calls fail at once (the API answers 503
 * store_unavailable with Retry-After) rather than each waiting for a connect
 * timeout: a new connection is tried at most once per backoff period (100 ms,
 * doubling to 5 s), so the pool comes back by itself when the server does —
 * after a restart or a failover — without restarting iotpd.
 *
 * Schema migrations run under an advisory lock, so nodes starting together
 * migrate once; a node refuses a schema newer than it knows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/outage.h"
#include "store/backend.h"
#include "store/postgres_db.h"

/* Schema migrations, applied in order; iotp_schema.version says how many have
 * run. Append only: a released migration never changes. Keys that are listed
 * in order are COLLATE "C", so their order is bytewise as store.h promises. */
static const char *const migrations[] = {
	"CREATE TABLE sessions ("
	" id text PRIMARY KEY, phone text NOT NULL, region text NOT NULL,"
	" number_type text NOT NULL, locale text NOT NULL,"
	" created_at bigint NOT NULL, expires_at bigint NOT NULL, version bigint NOT NULL,"
	" code_sealed bytea, code_expires_at bigint NOT NULL,"
	" sms_sent int NOT NULL, voice_sent int NOT NULL,"
	" first_sms_at bigint NOT NULL, last_sms_at bigint NOT NULL, last_voice_at bigint NOT NULL,"
	" check_attempts int NOT NULL, verified_at bigint NOT NULL, test_number int NOT NULL,"
	" app text NOT NULL, spent_at bigint NOT NULL, pow_difficulty int NOT NULL,"
	" code_length int NOT NULL, canceled_at bigint NOT NULL);"
	"CREATE INDEX sessions_by_phone ON sessions(phone, created_at);"
	"CREATE TABLE messages ("
	" seq bigserial NOT NULL, id text PRIMARY KEY, session_id text NOT NULL,"
	" to_phone text NOT NULL, channel text NOT NULL, provider text NOT NULL,"
	" state int NOT NULL, attempts int NOT NULL, created_at bigint NOT NULL,"
	" next_attempt_at bigint NOT NULL, sent_at bigint NOT NULL, error text NOT NULL,"
	" body bytea, region text NOT NULL, provider_ref text NOT NULL,"
	" accepted_at bigint NOT NULL, final_at bigint NOT NULL,"
	" handing text NOT NULL DEFAULT '', lease_until bigint NOT NULL DEFAULT 0,"
	" claimed_by text NOT NULL DEFAULT '');"
	"CREATE INDEX messages_by_session ON messages(session_id, created_at, seq);"
	"CREATE INDEX messages_due ON messages(next_attempt_at) WHERE state = 0;"
	"CREATE INDEX messages_sending ON messages(lease_until) WHERE state = 1;"
	"CREATE INDEX messages_by_ref ON messages(provider, provider_ref) WHERE provider_ref <> '';"
	"CREATE INDEX messages_by_time ON messages(created_at);"
	"CREATE TABLE message_attempts ("
	" seq bigserial PRIMARY KEY, message_id text NOT NULL, provider text NOT NULL,"
	" outcome int NOT NULL, started_at bigint NOT NULL, finished_at bigint NOT NULL,"
	" error text NOT NULL);"
	"CREATE INDEX attempts_by_message ON message_attempts(message_id);"
	"CREATE TABLE accounts ("
	" id text PRIMARY KEY, app text NOT NULL, phone text NOT NULL,"
	" created_at bigint NOT NULL, verified_at bigint NOT NULL, seen_at bigint NOT NULL,"
	" version bigint NOT NULL, device_id text NOT NULL, device_name text NOT NULL,"
	" push_token text NOT NULL, device_key bytea NOT NULL, device_at bigint NOT NULL,"
	" pin_hash text NOT NULL, pin_set_at bigint NOT NULL, pin_failures int NOT NULL,"
	" pin_retry_at bigint NOT NULL, pin_checked_at bigint NOT NULL, pin_streak int NOT NULL,"
	" email_sealed bytea, reset_key bytea, reset_expires_at bigint NOT NULL,"
	" reverify int NOT NULL, reverify_reason text NOT NULL, closed_at bigint NOT NULL);"
	"CREATE UNIQUE INDEX accounts_live_phone ON accounts(app, phone) WHERE closed_at = 0;"
	"CREATE UNIQUE INDEX accounts_by_device ON accounts(device_key);"
	"CREATE INDEX accounts_by_reset ON accounts(reset_key) WHERE reset_key IS NOT NULL;"
	"CREATE TABLE events ("
	" seq bigserial NOT NULL, id text PRIMARY KEY, type text NOT NULL, app text NOT NULL,"
	" account_id text NOT NULL, created_at bigint NOT NULL, payload text NOT NULL,"
	" state int NOT NULL, attempts int NOT NULL, next_attempt_at bigint NOT NULL,"
	" delivered_at bigint NOT NULL, error text NOT NULL);"
	"CREATE INDEX events_due ON events(next_attempt_at) WHERE state = 0;"
	"CREATE INDEX events_by_account ON events(account_id, created_at, seq);"
	"CREATE TABLE buckets ("
	" key text PRIMARY KEY, tokens double precision NOT NULL, at bigint NOT NULL);"
	"CREATE INDEX buckets_by_age ON buckets(at);"
	"CREATE TABLE decay ("
	" key text PRIMARY KEY, a double precision NOT NULL, b double precision NOT NULL,"
	" la double precision NOT NULL, lb double precision NOT NULL, at bigint NOT NULL);"
	"CREATE TABLE fraud_blocks ("
	" key text PRIMARY KEY, state int NOT NULL, since bigint NOT NULL,"
	" sent double precision NOT NULL, verified double precision NOT NULL,"
	" baseline double precision NOT NULL, reason text NOT NULL);"
	"CREATE TABLE fraud_events ("
	" id bigserial PRIMARY KEY, at bigint NOT NULL, type text NOT NULL,"
	" subject text NOT NULL, detail text NOT NULL);"
	"CREATE TABLE records ("
	" kind text COLLATE \"C\" NOT NULL, key text COLLATE \"C\" NOT NULL, value text NOT NULL,"
	" version bigint NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (kind, key));"
	"CREATE INDEX records_expiry ON records(kind, expires_at) WHERE expires_at > 0;",
	/* 2: fraud measures lift themselves (until; 0: until an operator lifts
	 * it), longer for repeat offenders (strikes). */
	"ALTER TABLE fraud_blocks ADD COLUMN until bigint NOT NULL DEFAULT 0,"
	" ADD COLUMN strikes int NOT NULL DEFAULT 1;",
	/* 3: an authenticator app (TOTP) on an account (see sqlite.c's 9). */
	"ALTER TABLE accounts ADD COLUMN totp_sealed bytea,"
	" ADD COLUMN totp_enabled_at bigint NOT NULL DEFAULT 0,"
	" ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0,"
	" ADD COLUMN totp_failures int NOT NULL DEFAULT 0,"
	" ADD COLUMN totp_retry_at bigint NOT NULL DEFAULT 0;",
	/* 4: a number's notes, and the dashboard's time indexes (see sqlite.c's 10). */
	"CREATE TABLE notes ("
	" phone text NOT NULL, at bigint NOT NULL, kind text NOT NULL,"
	" session_id text NOT NULL, detail text NOT NULL"
	");"
	"CREATE INDEX notes_by_phone ON notes(phone, at);"
	"CREATE INDEX sessions_by_time ON sessions(created_at);"
	"CREATE INDEX sessions_by_verified ON sessions(verified_at) WHERE verified_at > 0;",
	/* 5: the cleanup's batches of events go oldest first (see sqlite.c's 11). */
	"CREATE INDEX events_by_time ON events(created_at);"
	"CREATE INDEX notes_by_time ON notes(at);",
	/* 6: passkeys (WebAuthn credentials) of accounts (see sqlite.c's 12). */
	"CREATE TABLE passkeys ("
	" id text PRIMARY KEY, account_id text NOT NULL, app text NOT NULL, cred_id bytea NOT NULL,"
	" public_key bytea NOT NULL, alg int NOT NULL, aaguid bytea NOT NULL,"
	" attestation text NOT NULL, name text NOT NULL, sign_count bigint NOT NULL,"
	" backup_eligible int NOT NULL, backup_state int NOT NULL,"
	" created_at bigint NOT NULL, last_used_at bigint NOT NULL, version bigint NOT NULL);"
	"CREATE UNIQUE INDEX passkeys_by_cred ON passkeys(app, cred_id);"
	"CREATE INDEX passkeys_by_account ON passkeys(account_id, created_at);",
	/* 7: the cleanup's batches of fraud events go oldest first (see sqlite.c's 13). */
	"CREATE INDEX fraud_events_by_time ON fraud_events(at);",
	/* 8: a bucket's key names its subject first (see sqlite.c's 14). */
	"UPDATE buckets SET key = substr(key, length(split_part(key, '|', 1))"
	" + length(split_part(key, '|', 2)) + 3) || '|' || split_part(key, '|', 1) || '|' ||"
	" split_part(key, '|', 2) WHERE key LIKE '%|%|%';",
	/* 9: a family of counters is pruned as a range of keys (see sqlite.c's
	 * 15), which the primary key serves only in bytewise order: a test on
	 * each key's prefix read the whole table for every family. */
	"ALTER TABLE decay ALTER COLUMN key TYPE text COLLATE \"C\";",
};

/* Any bigint: the lock migrations take, the same in every node. */
#define MIGRATION_LOCK "7308332020342104403"

#define SESSION_COLS                                                                           \
	"id, phone, region, number_type, locale, created_at, expires_at, version, code_sealed,"  \
	" code_expires_at, sms_sent, voice_sent, first_sms_at, last_sms_at, last_voice_at,"      \
	" check_attempts, verified_at, test_number, app, spent_at, pow_difficulty, code_length,"  \
	" canceled_at"

static const char *const session_sql[P_COUNT] = {
	[P_SESSION_INSERT] = "INSERT INTO sessions (" SESSION_COLS ") VALUES ($1,$2,$3,$4,$5,$6,"
			     "$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)",
	[P_SESSION_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE id = $1",
	[P_SESSION_UPDATE] = "UPDATE sessions SET phone=$2, region=$3, number_type=$4, locale=$5,"
			     " created_at=$6, expires_at=$7, version=$8, code_sealed=$9,"
			     " code_expires_at=$10, sms_sent=$11, voice_sent=$12, first_sms_at=$13,"
			     " last_sms_at=$14, last_voice_at=$15, check_attempts=$16,"
			     " verified_at=$17, test_number=$18, app=$19, spent_at=$20,"
			     " pow_difficulty=$21, code_length=$22, canceled_at=$23"
			     " WHERE id=$1 AND version=$8::bigint-1",
	[P_NUMBER_SESSIONS] = "SELECT " SESSION_COLS " FROM sessions WHERE phone = $1"
			      " ORDER BY created_at DESC LIMIT $2",
	/* A code check's note rides in its session write. */
	[P_NOTE_INSERT] = "INSERT INTO notes (phone, at, kind, session_id, detail)"
			  " VALUES ($1, $2::bigint, $3, $4, $5)",
};

static const char *stmt_sql(enum pg_stmt id)
{
	if (session_sql[id])
		return session_sql[id];
	if (pg_outbox_sql[id])
		return pg_outbox_sql[id];
	if (pg_account_sql[id])
		return pg_account_sql[id];
	if (pg_cleanup_sql[id])
		return pg_cleanup_sql[id];
	if (pg_passkey_sql[id])
		return pg_passkey_sql[id];
	return pg_limits_sql[id];
}

/* ---- parameters and results ---- */

void pg_p_text(struct pg_params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void pg_p_int(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)v);
	pg_p_text(p, p->num[p->n]);
}

void pg_p_double(struct pg_params *p, double v)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%.17g", v);
	pg_p_text(p, p->num[p->n]);
}

void pg_p_blob(struct pg_params *p, const void *b, size_t len)
{
	p->v[p->n] = len ? b : NULL;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

int64_t pg_int(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_double(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

void pg_text(char *dst, size_t size, PGresult *r, int row, int col)
{
	strfmt(dst, size, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

size_t pg_blob(unsigned char *dst, size_t size, PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	size_t n = 0;
	unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	if (!b)
		return 0;
	if (n > size)
		n = 0;
	else
		memcpy(dst, b, n);
	PQfreemem(b);
	return n;
}

int64_t pg_changed(PGresult *r)
{
	return strtoll(PQcmdTuples(r), NULL, 10);
}

/* ---- the pool ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The server's notices ("relation already exists, skipping") are not errors. */
static void notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgres: %.*s", (int)strcspn(message, "\n"), message);
}

/* Opens one connection with the statement timeout set; NULL with err filled. */
static PGconn *connect_one(struct pg_db *db, char *err, size_t errlen)
{
	char secs[16], timeout[64];
	strfmt(secs, sizeof secs, "%d", (db->timeout_ms + 999) / 1000);
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {db->conninfo, secs, "iotpd", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		strfmt(err, errlen, "cannot connect to PostgreSQL at %s: %s", db->shown,
		       c ? PQerrorMessage(c) : "out of memory");
		/* libpq's messages end with a newline. */
		size_t l = strlen(err);
		while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
			err[--l] = '\0';
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	strfmt(timeout, sizeof timeout, "SET statement_timeout = %d", db->timeout_ms);
	PGresult *r = PQexec(c, timeout);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok && db->read_only) {
		r = PQexec(c, "SET default_transaction_read_only = on");
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		strfmt(err, errlen, "cannot set statement_timeout on %s: %s", db->shown,
		       PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

struct pg_conn *pg_acquire(struct pg_db *db)
{
	pthread_mutex_lock(&db->lock);
	for (;;) {
		struct pg_conn *idle = NULL, *empty = NULL;
		for (int i = 0; i < db->size && !idle; i++) {
			struct pg_conn *c = &db->conns[i];
			if (c->busy)
				continue;
			if (c->conn)
				idle = c;
			else if (!empty)
				empty = c;
		}
		if (idle) {
			idle->busy = 1;
			pthread_mutex_unlock(&db->lock);
			return idle;
		}
		if (empty) {
			int64_t now = mono_ms();
			if (now < db->down_until) {
				outage_report(db->down_until - now);
				pthread_mutex_unlock(&db->lock);
				return NULL; /* unreachable a moment ago: fail fast */
			}
			empty->busy = 1;
			pthread_mutex_unlock(&db->lock);
			char err[600];
			PGconn *c = connect_one(db, err, sizeof err);
			pthread_mutex_lock(&db->lock);
			if (c) {
				if (db->backoff_ms > 100)
					log_info("postgres: connected to %s again", db->shown);
				db->backoff_ms = 100;
				db->down_until = 0;
				outage_clear();
				empty->conn = c;
				memset(empty->prepared, 0, sizeof empty->prepared);
				pthread_mutex_unlock(&db->lock);
				return empty;
			}
			empty->busy = 0;
			if (db->backoff_ms <= 100 || db->backoff_ms >= 5000)
				log_warn("postgres: %s; retrying every %lld ms at most", err,
					 (long long)db->backoff_ms);
			db->down_until = mono_ms() + db->backoff_ms;
			outage_report(db->backoff_ms);
			db->backoff_ms = db->backoff_ms * 2 > 5000 ? 5000 : db->backoff_ms * 2;
			pthread_cond_broadcast(&db->freed);
			pthread_mutex_unlock(&db->lock);
			return NULL;
		}
		/* Every connection is in use: wait for one, as long as a statement may
		 * take at most. */
		struct timespec until;
		clock_deadline_in(db->timeout_ms, &until);
		if (pthread_cond_timedwait(&db->freed, &db->lock, &until) != 0) {
			pthread_mutex_unlock(&db->lock);
			log_warn("postgres: no free connection in %d ms (store_pool_size = %d)",
				 db->timeout_ms, db->size);
			return NULL;
		}
	}
}

void pg_release(struct pg_db *db, struct pg_conn *c)
{
	if (!c)
		return;
	PGconn *broken = NULL;
	if (c->conn && (PQstatus(c->conn) != CONNECTION_OK ||
			PQtransactionStatus(c->conn) != PQTRANS_IDLE))
		broken = c->conn;
	pthread_mutex_lock(&db->lock);
	if (broken) {
		c->conn = NULL;
		/* The server went away under us: the next connection waits a backoff. */
		if (PQstatus(broken) != CONNECTION_OK) {
			if (!db->down_until)
				db->down_until = mono_ms() + db->backoff_ms;
			outage_report(db->backoff_ms);
		}
	}
	c->busy = 0;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
	PQfinish(broken);
}

PGresult *pg_run(struct pg_db *db, struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
		 char sqlstate[6])
{
	char name[16];
	if (sqlstate)
		sqlstate[0] = '\0';
	c->failed[0] = '\0';
	strfmt(name, sizeof name, "s%d", (int)id);
	if (!c->prepared[id]) {
		PGresult *r = PQprepare(c->conn, name, stmt_sql(id), 0, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			log_error("postgres: cannot prepare statement %d on %s: %s", (int)id, db->shown,
				  PQerrorMessage(c->conn));
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		c->prepared[id] = 1;
	}
	PGresult *r = PQexecPrepared(c->conn, name, p ? p->n : 0, p ? p->v : NULL,
				     p ? p->len : NULL, p ? p->fmt : NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		if (outage_retry_after())
			outage_clear(); /* it answers again */
		return r;
	}
	const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	/* A statement that ran past statement_timeout: the server is overloaded
	 * or stuck; the request is answered 503 rather than 500. */
	if (code && !strcmp(code, "57014"))
		outage_report(1000);
	if (sqlstate && code)
		strfmt(sqlstate, 6, "%s", code);
	if (code)
		strfmt(c->failed, sizeof c->failed, "%s", code);
	/* A unique violation is an outcome the caller turns into STORE_CONFLICT. */
	if (!code || strcmp(code, "23505") != 0)
		log_error("postgres: statement %d: %s", (int)id, PQerrorMessage(c->conn));
	PQclear(r);
	return NULL;
}

PGresult *pg_run_alone(struct pg_db *db, enum pg_stmt id, const struct pg_params *p)
{
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return NULL;
	PGresult *r = pg_run(db, c, id, p, NULL);
	pg_release(db, c);
	return r;
}

PGresult *pg_run_sql(struct pg_db *db, const char *sql, const struct pg_params *p,
		     const char *what)
{
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return NULL;
	PGresult *r = PQexecParams(c->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL,
				   p ? p->len : NULL, p ? p->fmt : NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		log_error("postgres: %s on %s: %s", what, db->shown, PQerrorMessage(c->conn));
		PQclear(r);
		r = NULL;
	}
	pg_release(db, c);
	return r;
}

int pg_in_txn(struct pg_db *db, int (*fn)(struct pg_db *db, struct pg_conn *c, void *arg),
	      void *arg)
{
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = pg_cmd(db, c, "BEGIN");
	if (rc == 0)
		rc = fn(db, c, arg);
	if (rc == 0)
		rc = pg_cmd(db, c, "COMMIT");
	else
		pg_cmd(db, c, "ROLLBACK");
	pg_release(db, c);
	return rc;
}

int pg_cmd(struct pg_db *db, struct pg_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("postgres: %s on %s: %s", sql, db->shown, PQerrorMessage(c->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

/* ---- schema ---- */

static int exec_simple(PGconn *c, const char *sql, char *err, size_t errlen, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	PQclear(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	strfmt(err, errlen, "%s: %s", what, PQerrorMessage(c));
	return -1;
}

static int migrate(struct pg_db *db, PGconn *c, char *err, size_t errlen)
{
	int want = (int)(sizeof migrations / sizeof migrations[0]);
	if (exec_simple(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", err, errlen,
			"cannot take the migration lock") < 0)
		return -1;
	int rc = -1, have = 0;
	if (exec_simple(c,
			"CREATE TABLE IF NOT EXISTS iotp_schema (version int NOT NULL);"
			"INSERT INTO iotp_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM iotp_schema)",
			err, errlen, "cannot create the schema version table") < 0)
		goto out;
	PGresult *r = PQexec(c, "SELECT version FROM iotp_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		strfmt(err, errlen, "cannot read the schema version: %s", PQerrorMessage(c));
		PQclear(r);
		goto out;
	}
	have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > want) {
		strfmt(err, errlen,
		       "the database at %s was migrated by a newer iotpd (schema %d, this one knows "
		       "%d): run the newer iotpd, or restore a backup",
		       db->shown, have, want);
		goto out;
	}
	for (int v = have; v < want; v++) {
		char sql[64];
		strfmt(sql, sizeof sql, "UPDATE iotp_schema SET version = %d", v + 1);
		if (exec_simple(c, "BEGIN", err, errlen, "begin") < 0)
			goto out;
		if (exec_simple(c, migrations[v], err, errlen, "schema migration failed") < 0 ||
		    exec_simple(c, sql, err, errlen, "schema migration failed") < 0 ||
		    exec_simple(c, "COMMIT", err, errlen, "schema migration failed") < 0) {
			char ignore[8];
			exec_simple(c, "ROLLBACK", ignore, sizeof ignore, "");
			goto out;
		}
		log_info("postgres: schema migrated to version %d", v + 1);
	}
	rc = 0;
out:;
	char ignore[8];
	exec_simple(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", ignore, sizeof ignore, "");
	return rc;
}

static int pg_accepts(const char *url)
{
	if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
		return 1;
	/* libpq's key=value form: "host=db dbname=iotp ...". */
	return strchr(url, '=') != NULL && strstr(url, "://") == NULL && strncmp(url, "sqlite:", 7);
}

/* For a store that must already exist (store_options.existing_only): the
 * schema is there, at the version this build writes, and nothing is created. */
static int check_schema(struct pg_db *db, PGconn *c, char *err, size_t errlen)
{
	int want = (int)(sizeof migrations / sizeof migrations[0]);
	PGresult *r = PQexec(c, "SELECT version FROM iotp_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		strfmt(err, errlen,
		       "no iotp database at %s (it has no iotp_schema table): check the store URL, "
		       "or start iotpd on it once to create it",
		       db->shown);
		return -1;
	}
	int have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have != want) {
		strfmt(err, errlen,
		       "the database at %s has schema %d, this build reads %d: run the iotpd of the "
		       "same version on it first",
		       db->shown, have, want);
		return -1;
	}
	return 0;
}

static void pg_close(void *state)
{
	struct pg_db *db = state;
	if (!db)
		return;
	for (int i = 0; i < db->size; i++)
		PQfinish(db->conns[i].conn);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->freed);
	free(db->conninfo);
	free(db);
}

static int pg_open(const char *url, const struct store_options *opt, void **state, char *err,
		   size_t errlen)
{
	struct pg_db *db = xcalloc(1, sizeof *db);
	db->conninfo = xstrdup(url);
	store_url_mask(url, db->shown, sizeof db->shown);
	db->timeout_ms = opt->statement_timeout_ms > 0 ? opt->statement_timeout_ms : 5000;
	db->lease_ms = opt->lease_ms > 0 ? opt->lease_ms : 30000;
	strfmt(db->node, sizeof db->node, "%s", opt->node ? opt->node : "");
	db->read_only = opt->read_only;
	db->size = opt->pool_size > 0 ? (opt->pool_size < PG_POOL_MAX ? opt->pool_size : PG_POOL_MAX)
				      : 8;
	db->backoff_ms = 100;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	/* The first connection migrates the schema and stays in the pool: a
	 * server unreachable at start-up is a mistake to report, not to wait out. */
	PGconn *c = connect_one(db, err, errlen);
	if (!c)
		goto err;
	if ((opt->existing_only ? check_schema(db, c, err, errlen) : migrate(db, c, err, errlen)) <
	    0) {
		PQfinish(c);
		goto err;
	}
	db->conns[0].conn = c;
	*state = db;
	return 0;
err:
	pg_close(db);
	return -1;
}

/* ---- sessions ---- */

static void params_session(struct pg_params *p, const struct store_session *s)
{
	p->n = 0;
	pg_p_text(p, s->id);
	pg_p_text(p, s->phone);
	pg_p_text(p, s->region);
	pg_p_text(p, s->number_type);
	pg_p_text(p, s->locale);
	pg_p_int(p, s->created_at);
	pg_p_int(p, s->expires_at);
	pg_p_int(p, s->version);
	pg_p_blob(p, s->code_sealed, s->code_sealed_len);
	pg_p_int(p, s->code_expires_at);
	pg_p_int(p, s->sms_sent);
	pg_p_int(p, s->voice_sent);
	pg_p_int(p, s->first_sms_at);
	pg_p_int(p, s->last_sms_at);
	pg_p_int(p, s->last_voice_at);
	pg_p_int(p, s->check_attempts);
	pg_p_int(p, s->verified_at);
	pg_p_int(p, s->test_number);
	pg_p_text(p, s->app);
	pg_p_int(p, s->spent_at);
	pg_p_int(p, s->pow_difficulty);
	pg_p_int(p, s->code_length);
	pg_p_int(p, s->canceled_at);
}

static void read_session(PGresult *r, int row, struct store_session *s)
{
	memset(s, 0, sizeof *s);
	pg_text(s->id, sizeof s->id, r, row, 0);
	pg_text(s->phone, sizeof s->phone, r, row, 1);
	pg_text(s->region, sizeof s->region, r, row, 2);
	pg_text(s->number_type, sizeof s->number_type, r, row, 3);
	pg_text(s->locale, sizeof s->locale, r, row, 4);
	s->created_at = pg_int(r, row, 5);
	s->expires_at = pg_int(r, row, 6);
	s->version = pg_int(r, row, 7);
	s->code_sealed_len = pg_blob(s->code_sealed, sizeof s->code_sealed, r, row, 8);
	s->code_expires_at = pg_int(r, row, 9);
	s->sms_sent = (int)pg_int(r, row, 10);
	s->voice_sent = (int)pg_int(r, row, 11);
	s->first_sms_at = pg_int(r, row, 12);
	s->last_sms_at = pg_int(r, row, 13);
	s->last_voice_at = pg_int(r, row, 14);
	s->check_attempts = (int)pg_int(r, row, 15);
	s->verified_at = pg_int(r, row, 16);
	s->test_number = (int)pg_int(r, row, 17);
	pg_text(s->app, sizeof s->app, r, row, 18);
	s->spent_at = pg_int(r, row, 19);
	s->pow_difficulty = (int)pg_int(r, row, 20);
	s->code_length = (int)pg_int(r, row, 21);
	s->canceled_at = pg_int(r, row, 22);
}

static int get_session(struct pg_db *db, struct pg_conn *c, const char *id,
		       struct store_session *out)
{
	struct pg_params p = {0};
	pg_p_text(&p, id);
	PGresult *r = pg_run(db, c, P_SESSION_GET, &p, NULL);
	if (!r)
		return -1;
	int rc = PQntuples(r) ? 0 : STORE_NOT_FOUND;
	if (rc == 0)
		read_session(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_session_get(void *state, const char *id, struct store_session *out)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	int rc = get_session(db, c, id, out);
	pg_release(db, c);
	return rc;
}

int pg_session_cas(struct pg_db *db, struct pg_conn *c, const struct store_session *s)
{
	struct pg_params p;
	params_session(&p, s);
	PGresult *r = pg_run(db, c, P_SESSION_UPDATE, &p, NULL);
	if (!r)
		return -1;
	int rc = pg_changed(r) == 1 ? 0 : STORE_CONFLICT;
	PQclear(r);
	return rc;
}

/* A transaction the server gave up to break a deadlock or a serialization
 * conflict is tried again from the start: it wrote nothing. Whichever of its
 * statements was chosen (a bucket's, the session's), c->failed names why. */
static int retryable(const char *sqlstate)
{
	return !strcmp(sqlstate, "40P01") || !strcmp(sqlstate, "40001");
}

/* One try of store_session_write in one transaction; *sqlstate says why a
 * statement failed. */
static int session_write_once(struct pg_db *db, struct pg_conn *c, struct store_write *w,
			      struct store_session *current, char sqlstate[6])
{
	struct store_session *s = w->session;
	struct pg_params p;
	if (pg_cmd(db, c, "BEGIN") < 0)
		return -1;
	int rc = pg_buckets_apply(db, c, w->buckets, w->n_buckets, w->now, &w->refused,
				  &w->retry_after_ms);
	if (rc == 0 && w->n_counters)
		rc = pg_decay_apply(db, c, w->counters, w->n_counters, w->now);
	if (rc == 0 && w->adjust)
		w->adjust(w->adjust_arg, s, w->counters, w->n_counters);
	if (rc == 0 && w->insert) {
		params_session(&p, s);
		PGresult *r = pg_run(db, c, P_SESSION_INSERT, &p, sqlstate);
		rc = r ? 0 : !strcmp(sqlstate, "23505") ? STORE_CONFLICT : -1;
		PQclear(r);
	} else if (rc == 0) {
		rc = pg_session_cas(db, c, s);
	}
	if (rc == 0 && (s->canceled_at || s->verified_at))
		rc = pg_drop_queued(db, c, s);
	if (rc == 0 && w->msg)
		rc = pg_message_insert(db, c, w->msg);
	if (rc == 0 && w->event)
		rc = pg_event_insert(db, c, w->event);
	if (rc == 0 && w->note)
		rc = pg_note_insert(db, c, w->note);
	if (rc != 0) {
		pg_cmd(db, c, "ROLLBACK");
		if (rc == STORE_CONFLICT && current && !w->insert &&
		    get_session(db, c, s->id, current) == STORE_NOT_FOUND)
			rc = STORE_NOT_FOUND;
		return rc;
	}
	return pg_cmd(db, c, "COMMIT");
}

static int pg_session_write(void *state, struct store_write *w, struct store_session *current)
{
	struct pg_db *db = state;
	w->refused = 0;
	w->retry_after_ms = 0;
	if (w->n_buckets > STORE_BUCKETS_MAX)
		return -1;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	/* adjust may change the session: each try starts from the caller's. */
	struct store_session orig = *w->session;
	int rc = -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		char sqlstate[6] = "";
		*w->session = orig;
		rc = session_write_once(db, c, w, current, sqlstate);
		if (rc != -1 || !(retryable(sqlstate) || retryable(c->failed)) ||
		    PQstatus(c->conn) != CONNECTION_OK)
			break;
		log_info("postgres: a session write was chosen to break a %s; trying it again",
			 !strcmp(c->failed, "40P01") ? "deadlock" : "serialization conflict");
	}
	pg_release(db, c);
	return rc;
}

static int pg_number_sessions(void *state, const char *phone, size_t limit,
			      void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	struct pg_params p = {0};
	pg_p_text(&p, phone);
	pg_p_int(&p, (int64_t)limit);
	PGresult *r = pg_run(db, c, P_NUMBER_SESSIONS, &p, NULL);
	pg_release(db, c);
	if (!r)
		return -1;
	struct store_session s;
	for (int i = 0; i < PQntuples(r); i++) {
		read_session(r, i, &s);
		fn(&s, arg);
	}
	PQclear(r);
	return 0;
}

static int pg_stats(void *state, struct store_stats *out)
{
	struct pg_db *db = state;
	struct pg_conn *c = pg_acquire(db);
	if (!c)
		return -1;
	PGresult *r = PQexec(c->conn,
			     "SELECT (SELECT count(*) FROM sessions),"
			     " (SELECT count(*) FROM sessions WHERE verified_at > 0),"
			     " count(*) FILTER (WHERE state IN (0, 1)),"
			     " count(*) FILTER (WHERE state IN (2, 4, 5)),"
			     " count(*) FILTER (WHERE state IN (3, 6)) FROM messages");
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		out->sessions = pg_int(r, 0, 0);
		out->verified = pg_int(r, 0, 1);
		out->messages_queued = pg_int(r, 0, 2);
		out->messages_sent = pg_int(r, 0, 3);
		out->messages_failed = pg_int(r, 0, 4);
		rc = 0;
	} else {
		log_error("postgres: stats: %s", PQerrorMessage(c->conn));
	}
	PQclear(r);
	pg_release(db, c);
	return rc;
}

const struct store_ops store_postgres_ops = {
	.version = STORE_OPS_VERSION,
	.name = "postgres",
	.locations = "postgres://USER:PASSWORD@HOST:PORT/DB (or libpq key=value words)",
	.accepts = pg_accepts,
	.open = pg_open,
	.close = pg_close,
	.session_get = pg_session_get,
	.session_write = pg_session_write,
	.outbox_due = pg_outbox_due,
	.outbox_take = pg_outbox_take,
	.outbox_handing = pg_outbox_handing,
	.outbox_finish = pg_outbox_finish,
	.outbox_recover = pg_outbox_recover,
	.message_report = pg_message_report,
	.session_attempts = pg_session_attempts,
	.delivery_stats = pg_delivery_stats,
	.session_messages = pg_session_messages,
	.session_history = pg_session_history,
	.number_sessions = pg_number_sessions,
	.stats = pg_stats,
	.account_write = pg_account_write,
	.account_get = pg_account_get,
	.account_by_phone = pg_account_by_phone,
	.account_by_device = pg_account_by_device,
	.account_by_reset = pg_account_by_reset,
	.event_claim = pg_event_claim,
	.event_finish = pg_event_finish,
	.account_events = pg_account_events,
	.buckets_take = pg_buckets_take,
	.buckets_prune = pg_buckets_prune,
	.cleanup = pg_cleanup,
	.decay_add = pg_decay_add,
	.decay_reset = pg_decay_reset,
	.decay_prune = pg_decay_prune,
	.blocks_prune = pg_blocks_prune,
	.block_set = pg_block_set,
	.block_lift = pg_block_lift,
	.blocks_list = pg_blocks_list,
	.fraud_events = pg_fraud_events,
	.record_get = pg_record_get,
	.record_put = pg_record_put,
	.record_list = pg_record_list,
	.passkey_insert = pg_passkey_insert,
	.passkey_get = pg_passkey_get,
	.passkey_list = pg_passkey_list,
	.passkey_update = pg_passkey_update,
	.passkey_delete = pg_passkey_delete,
	.activity = pg_activity,
	.sessions_recent = pg_sessions_recent,
	.note_add = pg_note_add,
	.notes_of = pg_notes_of,
};
