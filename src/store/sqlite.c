/* The SQLite store: one file (<dir>/iotp.db) in WAL mode, the embedded default.
 *
 * One connection serves every thread behind one mutex: SQLite runs one writer at a
 * time anyway, and a single connection avoids SQLITE_BUSY waits and keeps every
 * prepared statement hot.
 *
 * Group commit: each store call runs inside a savepoint of a shared transaction.
 * When other calls are queued for the lock, the transaction stays open for them,
 * and the last call of the group commits; a writing call returns only after the
 * commit that holds its change, so every promise of store.h still holds, while
 * one commit (and its WAL write) serves many requests under load.
 *
 * Checkpoints (copying the WAL back into the database, with an fsync) run on a
 * thread of their own with a second connection, so no request waits for them. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/backend.h"
#include "store/sqlite_db.h"

/* Schema migrations, applied in order at open; PRAGMA user_version records how
 * many have run. Append only: a released migration never changes. */
static const char *const migrations[] = {
	"CREATE TABLE sessions ("
	" id TEXT PRIMARY KEY, phone TEXT NOT NULL, region TEXT NOT NULL,"
	" number_type TEXT NOT NULL, locale TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, version INTEGER NOT NULL,"
	" code_sealed BLOB, code_expires_at INTEGER NOT NULL,"
	" sms_sent INTEGER NOT NULL, voice_sent INTEGER NOT NULL,"
	" first_sms_at INTEGER NOT NULL, last_sms_at INTEGER NOT NULL, last_voice_at INTEGER NOT NULL,"
	" check_attempts INTEGER NOT NULL, verified_at INTEGER NOT NULL, test_number INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX sessions_by_phone ON sessions(phone, created_at);"
	"CREATE TABLE messages ("
	" id TEXT PRIMARY KEY, session_id TEXT NOT NULL, to_phone TEXT NOT NULL,"
	" channel TEXT NOT NULL, provider TEXT NOT NULL, state INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
	" sent_at INTEGER NOT NULL, error TEXT NOT NULL, body BLOB"
	");"
	"CREATE INDEX messages_by_session ON messages(session_id, created_at);"
	"CREATE INDEX messages_due ON messages(next_attempt_at) WHERE state = 0;"
	"CREATE INDEX messages_sending ON messages(state) WHERE state = 1;",
	/* 2: sessions belong to an app (its key, name and templates). */
	"ALTER TABLE sessions ADD COLUMN app TEXT NOT NULL DEFAULT 'default';",
	/* 3: accounts on verified numbers, the sessions they spent, and the events
	 * the app hears about (written with what caused them; see sqlite_account.c). */
	"ALTER TABLE sessions ADD COLUMN spent_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE accounts ("
	" id TEXT PRIMARY KEY, app TEXT NOT NULL, phone TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, verified_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,"
	" version INTEGER NOT NULL, device_id TEXT NOT NULL, device_name TEXT NOT NULL,"
	" push_token TEXT NOT NULL, device_key BLOB NOT NULL, device_at INTEGER NOT NULL,"
	" pin_hash TEXT NOT NULL, pin_set_at INTEGER NOT NULL, pin_failures INTEGER NOT NULL,"
	" pin_retry_at INTEGER NOT NULL, pin_checked_at INTEGER NOT NULL, pin_streak INTEGER NOT NULL,"
	" email_sealed BLOB, reset_key BLOB, reset_expires_at INTEGER NOT NULL,"
	" reverify INTEGER NOT NULL, reverify_reason TEXT NOT NULL, closed_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE UNIQUE INDEX accounts_live_phone ON accounts(app, phone) WHERE closed_at = 0;"
	"CREATE UNIQUE INDEX accounts_by_device ON accounts(device_key);"
	"CREATE INDEX accounts_by_reset ON accounts(reset_key) WHERE reset_key IS NOT NULL;"
	"CREATE TABLE events ("
	" id TEXT PRIMARY KEY, type TEXT NOT NULL, app TEXT NOT NULL, account_id TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, payload TEXT NOT NULL, state INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, delivered_at INTEGER NOT NULL,"
	" error TEXT NOT NULL"
	");"
	"CREATE INDEX events_due ON events(next_attempt_at) WHERE state = 0;",
	/* 4: fraud and abuse defence (policy/): token buckets, decaying counters,
	 * the measures in force and their event log. */
	"ALTER TABLE sessions ADD COLUMN pow_difficulty INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE buckets ("
	" key TEXT PRIMARY KEY, tokens REAL NOT NULL, at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX buckets_by_age ON buckets(at);"
	"CREATE TABLE decay ("
	" key TEXT PRIMARY KEY, a REAL NOT NULL, b REAL NOT NULL, la REAL NOT NULL, lb REAL NOT NULL,"
	" at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE fraud_blocks ("
	" key TEXT PRIMARY KEY, state INTEGER NOT NULL, since INTEGER NOT NULL, sent REAL NOT NULL,"
	" verified REAL NOT NULL, baseline REAL NOT NULL, reason TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE fraud_events ("
	" id INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL,"
	" detail TEXT NOT NULL"
	");",
	/* 5: what the compatibility facades keep (compat/; see store_record). */
	"CREATE TABLE records ("
	" kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	" version INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, key)"
	") WITHOUT ROWID;"
	"CREATE INDEX records_expiry ON records(kind, expires_at) WHERE expires_at > 0;",
	/* 6: real delivery — the number's region, the provider's reference, the
	 * hand-over in progress, carrier times, and every hand-over. */
	"ALTER TABLE messages ADD COLUMN region TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE messages ADD COLUMN accepted_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN final_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN handing TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX messages_by_ref ON messages(provider, provider_ref) WHERE provider_ref <> '';"
	"CREATE INDEX messages_by_time ON messages(created_at);"
	"CREATE TABLE message_attempts ("
	" message_id TEXT NOT NULL, provider TEXT NOT NULL, outcome INTEGER NOT NULL,"
	" started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, error TEXT NOT NULL"
	");"
	"CREATE INDEX attempts_by_message ON message_attempts(message_id);",
	/* 7: a session's own code length (Twilio's per-service CodeLength; 0 in
	 * older rows: the server's code_length), and its cancel by the app. */
	("ALTER TABLE sessions ADD COLUMN code_length INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE sessions ADD COLUMN canceled_at INTEGER NOT NULL DEFAULT 0;"),
	/* 8: fraud measures lift themselves (until; 0 in older rows: until an
	 * operator lifts it), longer for repeat offenders (strikes). */
	("ALTER TABLE fraud_blocks ADD COLUMN until INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE fraud_blocks ADD COLUMN strikes INTEGER NOT NULL DEFAULT 1;"),
	/* 9: an authenticator app (TOTP) on an account: the sealed secret, and the
	 * last accepted step and wrong codes, kept with the account's version. */
	("ALTER TABLE accounts ADD COLUMN totp_sealed BLOB;"
	 "ALTER TABLE accounts ADD COLUMN totp_enabled_at INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE accounts ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE accounts ADD COLUMN totp_retry_at INTEGER NOT NULL DEFAULT 0;"),
	/* 10: a number's notes (checks and refusals, for its timeline), and the
	 * indexes the dashboard's reads and an account's events need: without
	 * them each scanned every session (EXPLAIN QUERY PLAN in test_store.c). */
	("CREATE TABLE notes ("
	 " phone TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	 " session_id TEXT NOT NULL, detail TEXT NOT NULL"
	 ");"
	 "CREATE INDEX notes_by_phone ON notes(phone, at);"
	 "CREATE INDEX sessions_by_time ON sessions(created_at);"
	 "CREATE INDEX sessions_by_verified ON sessions(verified_at) WHERE verified_at > 0;"
	 "CREATE INDEX events_by_account ON events(account_id, created_at);"),
	/* 11: the cleanup (store_cleanup) takes old events and notes oldest first, a batch
	 * at a time: by this (and sessions_by_time), not by scanning the tables. */
	("CREATE INDEX events_by_time ON events(created_at);"
	 "CREATE INDEX notes_by_time ON notes(at);"),
	/* 12: passkeys (WebAuthn credentials) of accounts, unique per app. */
	("CREATE TABLE passkeys ("
	 " id TEXT PRIMARY KEY, account_id TEXT NOT NULL, app TEXT NOT NULL, cred_id BLOB NOT NULL,"
	 " public_key BLOB NOT NULL, alg INTEGER NOT NULL, aaguid BLOB NOT NULL,"
	 " attestation TEXT NOT NULL, name TEXT NOT NULL, sign_count INTEGER NOT NULL,"
	 " backup_eligible INTEGER NOT NULL, backup_state INTEGER NOT NULL,"
	 " created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, version INTEGER NOT NULL"
	 ");"
	 "CREATE UNIQUE INDEX passkeys_by_cred ON passkeys(app, cred_id);"
	 "CREATE INDEX passkeys_by_account ON passkeys(account_id, created_at);"),
	/* 13: the cleanup takes old fraud events oldest first too (see 11). */
	"CREATE INDEX fraud_events_by_time ON fraud_events(at);",
	/* 14: a bucket's key names its subject first ("+447700900123|create|number",
	 * was "create|number|+447700900123"), so that a number's buckets share a
	 * page (policy.c's plan_add): the rule's two parts move to the end. */
	"UPDATE buckets SET key ="
	" substr(key, instr(key, '|') + instr(substr(key, instr(key, '|') + 1), '|') + 1) || '|' ||"
	" substr(key, 1, instr(key, '|') + instr(substr(key, instr(key, '|') + 1), '|') - 1)"
	" WHERE key LIKE '%|%|%';",
	/* 15: buckets are pruned by a sweep in key order (sqlite_limits_sweep.c),
	 * not by age: the index by age cost every write-back of a bucket an
	 * index update, 4 % of a verified flow's instructions. */
	"DROP INDEX IF EXISTS buckets_by_age;",
};

/* store_message_rank in SQL, for the report's "never backwards" rule. */
#define RANK(x) "(CASE " x " WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 4 THEN 3 ELSE 4 END)"

#define SESSION_COLS                                                                           \
	"id, phone, region, number_type, locale, created_at, expires_at, version, code_sealed,"  \
	" code_expires_at, sms_sent, voice_sent, first_sms_at, last_sms_at, last_voice_at,"      \
	" check_attempts, verified_at, test_number, app, spent_at, pow_difficulty, code_length,"  \
	" canceled_at"
#define MESSAGE_COLS                                                                           \
	"id, session_id, to_phone, channel, provider, state, attempts, created_at,"             \
	" next_attempt_at, sent_at, error, region, provider_ref, accepted_at, final_at"


static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
	[S_SESSION_INSERT] = "INSERT INTO sessions (" SESSION_COLS ") VALUES "
			     "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
			     "?22,?23)",
	[S_SESSION_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1",
	/* A session's number and creation time never change, and leaving them
	 * out of SET spares every update rewriting sessions_by_phone and
	 * sessions_by_time (SQLite rewrites an index whose column is set, to the
	 * same value or not): two index pages fewer to dirty and log a write.
	 * The WHERE holds them to what the row says, so an update that tried to
	 * change them would fail as a conflict rather than pass unseen. */
	[S_SESSION_UPDATE] = "UPDATE sessions SET region=?3, number_type=?4, locale=?5,"
			     " expires_at=?7, version=?8, code_sealed=?9,"
			     " code_expires_at=?10, sms_sent=?11, voice_sent=?12, first_sms_at=?13,"
			     " last_sms_at=?14, last_voice_at=?15, check_attempts=?16,"
			     " verified_at=?17, test_number=?18, app=?19, spent_at=?20,"
			     " pow_difficulty=?21, code_length=?22, canceled_at=?23"
			     " WHERE id=?1 AND version=?8-1 AND phone=?2 AND created_at=?6",
	/* Written taken (state 1), it is being handed to its provider. */
	[S_MESSAGE_INSERT] = "INSERT INTO messages (" MESSAGE_COLS ", body, handing) VALUES "
			     "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
			     " CASE WHEN ?6 = 1 THEN ?5 ELSE '' END)",
	[S_OUTBOX_DUE] = "SELECT id, session_id, region, channel, created_at FROM messages"
			 " WHERE state = 0 AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?2",
	/* The claim and the first hand-over in one write: a crash after it counts
	 * the message as handed over (at most once). */
	[S_OUTBOX_TAKE] = "UPDATE messages SET state = 1, attempts = attempts + 1, handing = ?2,"
			  " provider = CASE WHEN ?2 <> '' THEN ?2 ELSE provider END"
			  " WHERE id = ?1 AND state = 0 AND next_attempt_at <= ?3",
	[S_MESSAGE_GET] = "SELECT " MESSAGE_COLS ", body FROM messages WHERE id = ?1",
	[S_REPORTED] = "SELECT region, created_at FROM messages WHERE id = ?1",
	/* A code still queued for a session that is over would only cost money. */
	[S_MESSAGES_DROP] = "UPDATE messages SET state = 3, final_at = ?2, body = NULL, error = CASE"
			    " WHEN ?3 THEN 'the verification was canceled before this message went"
			    " out; it was not sent' ELSE 'the number was verified before this message"
			    " went out; it was not sent' END WHERE session_id = ?1 AND state = 0",
	/* A report that came in during the round (state no longer 1) wins. */
	[S_OUTBOX_FINISH] = "UPDATE messages SET provider=?2, handing='', next_attempt_at=?4,"
			    " error = CASE WHEN state = 1 THEN ?6 ELSE error END,"
			    " sent_at = CASE WHEN sent_at = 0 THEN ?5 ELSE sent_at END,"
			    " provider_ref = CASE WHEN provider_ref = '' THEN ?7 ELSE provider_ref END,"
			    " body = CASE WHEN ?3 >= 2 OR state <> 1 THEN NULL ELSE body END,"
			    " state = CASE WHEN state = 1 THEN ?3 ELSE state END"
			    " WHERE id=?1",
	[S_OUTBOX_RECOVER] = "UPDATE messages SET state = 0 WHERE state = 1 AND handing = ''",
	[S_OUTBOX_HANDING] = "UPDATE messages SET handing = ?2, provider = ?2 WHERE id = ?1 AND state = 1",
	[S_OUTBOX_UNKNOWN] = "UPDATE messages SET state = 2, sent_at = ?1, body = NULL, handing = '',"
			     " error = 'iotpd stopped while handing this message to ' || provider ||"
			     " '; it was not sent again, so the person gets it at most once (ask for a"
			     " new code if it never arrives)' WHERE state = 1 AND handing <> ''"
			     " RETURNING id, provider",
	[S_ATTEMPT_INSERT] = "INSERT INTO message_attempts (message_id, provider, outcome, started_at,"
			     " finished_at, error) VALUES (?1,?2,?3,?4,?5,?6)",
	[S_REPORT_BY_REF] = "SELECT id FROM messages WHERE provider = ?1 AND provider_ref = ?2",
	/* No RETURNING and no IN (a, b, c): SQLite 3.40 builds a temporary
	 * b-tree for either on every run, ~20,000 instructions each a report
	 * (bench/instructions.sh codes). */
	[S_REPORT] = "UPDATE messages SET state = ?3,"
		     " error = CASE WHEN ?4 <> '' THEN ?4 ELSE error END,"
		     " accepted_at = CASE WHEN ?3 = 4 THEN ?5 ELSE accepted_at END,"
		     " final_at = CASE WHEN ?3 = 3 OR ?3 = 5 OR ?3 = 6 THEN ?5 ELSE final_at END,"
		     " sent_at = CASE WHEN sent_at = 0 THEN ?5 ELSE sent_at END,"
		     " provider_ref = CASE WHEN provider_ref = '' THEN ?6 ELSE provider_ref END,"
		     " body = NULL"
		     " WHERE id = ?1 AND provider = ?2 AND " RANK("state") " < " RANK("?3"),
	[S_SESSION_ATTEMPTS] = "SELECT a.message_id, a.provider, a.outcome, a.started_at,"
			       " a.finished_at, a.error FROM message_attempts a JOIN messages m"
			       " ON m.id = a.message_id WHERE m.session_id = ?1 ORDER BY a.rowid",
	[S_SESSION_MESSAGES] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1"
			       " ORDER BY created_at, rowid",
	[S_NUMBER_SESSIONS] = "SELECT " SESSION_COLS " FROM sessions WHERE phone = ?1"
			      " ORDER BY created_at DESC LIMIT ?2",
	/* A bucket is read, refilled and taken from in C (sqlite_limits.c), then
	 * written back: cheaper than one upsert with RETURNING, whose result
	 * table costs more than the read. */
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_BUCKET_GET] = "SELECT tokens, at FROM buckets WHERE key = ?1",
	[S_BUCKET_PUT] = "INSERT INTO buckets (key, tokens, at) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
	/* A prune sweeps the keys in order, a stretch at a time
	 * (sqlite_limits_sweep.c): the key that ends this call's stretch (?3:
	 * its length - 1), then the stretch up to it, or to the end. */
	[S_BUCKET_SWEEP_END] = "SELECT key FROM buckets WHERE key > ?1 AND key < ?2"
			       " ORDER BY key LIMIT 1 OFFSET ?3",
	[S_BUCKET_SWEEP_TO] = "DELETE FROM buckets WHERE key > ?1 AND key <= ?2 AND at < ?3",
	[S_BUCKET_SWEEP_REST] = "DELETE FROM buckets WHERE key > ?1 AND key < ?2 AND at < ?3",
	[S_DECAY_GET] = "SELECT a, b, la, lb, at FROM decay WHERE key = ?1",
	[S_DECAY_PUT] = "INSERT INTO decay (key, a, b, la, lb, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			" ON CONFLICT (key) DO UPDATE SET a = excluded.a, b = excluded.b,"
			" la = excluded.la, lb = excluded.lb, at = excluded.at",
	[S_DECAY_RESET] = "DELETE FROM decay WHERE key = ?1",
	[S_BLOCK_GET] = "SELECT state FROM fraud_blocks WHERE key = ?1 AND (until = 0 OR until > ?2)",
	[S_BLOCK_PUT] = "INSERT OR REPLACE INTO fraud_blocks (key, state, since, sent, verified,"
			" baseline, reason, until, strikes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_BLOCK_DELETE] = "DELETE FROM fraud_blocks WHERE key = ?1",
	[S_BLOCK_LIST] = "SELECT key, state, since, sent, verified, baseline, reason, until, strikes"
			 " FROM fraud_blocks ORDER BY since DESC",
	[S_FRAUD_EVENT_INSERT] = "INSERT INTO fraud_events (at, type, subject, detail)"
				 " VALUES (?1, ?2, ?3, ?4)",
	[S_DECAY_SWEEP_END] = "SELECT key FROM decay WHERE key > ?1 AND key < ?2"
			      " ORDER BY key LIMIT 1 OFFSET ?3",
	[S_DECAY_SWEEP_TO] = "DELETE FROM decay WHERE key > ?1 AND key <= ?2 AND at < ?3",
	[S_DECAY_SWEEP_REST] = "DELETE FROM decay WHERE key > ?1 AND key < ?2 AND at < ?3",
	[S_BLOCK_PRUNE] = "DELETE FROM fraud_blocks WHERE key IN (SELECT key FROM fraud_blocks"
			  " WHERE until <> 0 AND until < ?1 LIMIT 10000)",
	[S_FRAUD_EVENT_LIST] = "SELECT id, at, type, subject, detail FROM fraud_events WHERE id > ?1"
			 " ORDER BY id LIMIT ?2",
	[S_NOTE_INSERT] = "INSERT INTO notes (phone, at, kind, session_id, detail)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)",
};

int sqlite_fail(struct sqlite_db *db, const char *what)
{
	log_error("sqlite: %s: %s", what, sqlite3_errmsg(db->conn));
	return -1;
}

int sqlite_prepare(struct sqlite_db *db, const char *sql, sqlite3_stmt **st, const char *what)
{
	if (sqlite3_prepare_v2(db->conn, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	log_error("sqlite: prepare %s: %s", what, sqlite3_errmsg(db->conn));
	*st = NULL;
	return -1;
}

void sqlite_copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t ? strlen((const char *)t) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

size_t sqlite_copy_blob(unsigned char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	if (!b || n > size)
		return 0;
	memcpy(dst, b, n);
	return n;
}

static void bind_session(sqlite3_stmt *st, const struct store_session *s)
{
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->number_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->locale, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, s->created_at);
	sqlite3_bind_int64(st, 7, s->expires_at);
	sqlite3_bind_int64(st, 8, s->version);
	if (s->code_sealed_len)
		sqlite3_bind_blob(st, 9, s->code_sealed, (int)s->code_sealed_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int64(st, 10, s->code_expires_at);
	sqlite3_bind_int(st, 11, s->sms_sent);
	sqlite3_bind_int(st, 12, s->voice_sent);
	sqlite3_bind_int64(st, 13, s->first_sms_at);
	sqlite3_bind_int64(st, 14, s->last_sms_at);
	sqlite3_bind_int64(st, 15, s->last_voice_at);
	sqlite3_bind_int(st, 16, s->check_attempts);
	sqlite3_bind_int64(st, 17, s->verified_at);
	sqlite3_bind_int(st, 18, s->test_number);
	sqlite3_bind_text(st, 19, s->app, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 20, s->spent_at);
	sqlite3_bind_int(st, 21, s->pow_difficulty);
	sqlite3_bind_int(st, 22, s->code_length);
	sqlite3_bind_int64(st, 23, s->canceled_at);
}

static void read_session(sqlite3_stmt *st, struct store_session *s)
{
	memset(s, 0, sizeof *s);
	sqlite_copy_text(s->id, sizeof s->id, st, 0);
	sqlite_copy_text(s->phone, sizeof s->phone, st, 1);
	sqlite_copy_text(s->region, sizeof s->region, st, 2);
	sqlite_copy_text(s->number_type, sizeof s->number_type, st, 3);
	sqlite_copy_text(s->locale, sizeof s->locale, st, 4);
	s->created_at = sqlite3_column_int64(st, 5);
	s->expires_at = sqlite3_column_int64(st, 6);
	s->version = sqlite3_column_int64(st, 7);
	s->code_sealed_len = sqlite_copy_blob(s->code_sealed, sizeof s->code_sealed, st, 8);
	s->code_expires_at = sqlite3_column_int64(st, 9);
	s->sms_sent = sqlite3_column_int(st, 10);
	s->voice_sent = sqlite3_column_int(st, 11);
	s->first_sms_at = sqlite3_column_int64(st, 12);
	s->last_sms_at = sqlite3_column_int64(st, 13);
	s->last_voice_at = sqlite3_column_int64(st, 14);
	s->check_attempts = sqlite3_column_int(st, 15);
	s->verified_at = sqlite3_column_int64(st, 16);
	s->test_number = sqlite3_column_int(st, 17);
	sqlite_copy_text(s->app, sizeof s->app, st, 18);
	s->spent_at = sqlite3_column_int64(st, 19);
	s->pow_difficulty = sqlite3_column_int(st, 20);
	s->code_length = sqlite3_column_int(st, 21);
	s->canceled_at = sqlite3_column_int64(st, 22);
}

/* Runs a prepared statement that returns no rows; returns SQLite's result. */
int sqlite_step_done(struct sqlite_db *db, enum sqlite_stmt id)
{
	sqlite3_stmt *st = db->stmt[id];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Takes the connection. Threads queued here tell the holder to keep a group
 * transaction open for them. */
void sqlite_enter(struct sqlite_db *db)
{
	atomic_fetch_add(&db->queued, 1);
	pthread_mutex_lock(&db->lock);
	atomic_fetch_sub(&db->queued, 1);
	sqlite_handed_write(db);
}

static void commit_group(struct sqlite_db *db)
{
	int rc = sqlite_cache_save(db, 0);
	if (rc == 0)
		rc = sqlite_step_done(db, S_COMMIT) == SQLITE_DONE ? 0 : sqlite_fail(db, "commit");
	if (rc < 0) {
		sqlite_step_done(db, S_ROLLBACK);
		sqlite_cache_forget(db);
	}
	/* Published before the group counts as committed: whoever waits for it
	 * reads its sessions next. */
	sqlite_sessions_committed(db, rc == 0);
	sqlite_handed_committed(db, rc == 0);
	db->in_txn = 0;
	if (rc < 0)
		db->failed[db->group % 256] = db->group;
	atomic_store(&db->committed, db->group);
	pthread_mutex_lock(&db->wait_lock);
	int waiting = atomic_load(&db->waiting);
	/* Every watch is for this group or an earlier one: a group only opens
	 * under lock, which the committer holds. */
	if (db->watches) {
		struct durable_watch *last = db->watches;
		while (last->next)
			last = last->next;
		last->next = db->ready;
		db->ready = db->watches;
		db->watches = NULL;
	}
	pthread_mutex_unlock(&db->wait_lock);
	/* After the unlock, so the woken do not wake only to wait for it. */
	if (waiting)
		pthread_cond_broadcast(&db->done);
}

static int group_outcome(struct sqlite_db *db, uint64_t group)
{
	if (atomic_load(&db->committed) < group)
		return 0;
	return db->failed[group % 256] == group ? -1 : 1;
}

static void wait_for(struct sqlite_db *db, uint64_t group)
{
	if (atomic_load(&db->committed) >= group)
		return;
	pthread_mutex_lock(&db->wait_lock);
	atomic_fetch_add(&db->waiting, 1);
	while (atomic_load(&db->committed) < group)
		pthread_cond_wait(&db->done, &db->wait_lock);
	atomic_fetch_sub(&db->waiting, 1);
	pthread_mutex_unlock(&db->wait_lock);
}

static void fire(struct sqlite_db *db, struct durable_watch *w)
{
	while (w) {
		struct durable_watch *next = w->next; /* w may be gone after its call */
		w->fn(w, group_outcome(db, w->group) > 0);
		w = next;
	}
}

static int durable_outcome(void *state, uint64_t group)
{
	return group_outcome(state, group);
}

static void durable_watch(void *state, struct durable_watch *w)
{
	struct sqlite_db *db = state;
	pthread_mutex_lock(&db->wait_lock);
	if (atomic_load(&db->committed) < w->group) {
		w->next = db->watches;
		db->watches = w;
		w = NULL;
	}
	pthread_mutex_unlock(&db->wait_lock);
	if (w) {
		w->next = NULL;
		fire(db, w);
	}
}

static const struct durable_source durable_sqlite = {
	.outcome = durable_outcome,
	.watch = durable_watch,
};

/* Gives the connection back. Commits the open group when nobody else is queued
 * to join it (or it is full). A writing call (group != 0) then waits until its
 * group is committed and returns the commit's outcome; on a thread that defers
 * its answers it only marks the group as owed and returns 0. Whoever is
 * queued leaves through here too, so an open group always has someone to
 * commit it. (A failed group's mark is only overwritten by a failure 256
 * groups later.) */
int sqlite_leave(struct sqlite_db *db, uint64_t group)
{
	sqlite_handed_write(db);
	if (db->in_txn && (atomic_load(&db->queued) == 0 || db->group_ops >= GROUP_MAX))
		commit_group(db);
	struct durable_watch *ready = db->ready;
	db->ready = NULL;
	pthread_mutex_unlock(&db->lock);
	fire(db, ready);
	/* A round handed over after the write above found the lock taken: it
	 * waits for the next holder, or for us when there is none. */
	if (atomic_load(&db->handed) && pthread_mutex_trylock(&db->lock) == 0)
		sqlite_leave(db, 0);
	if (!group)
		return 0;
	if (atomic_load(&db->committed) < group && durable_deferring() &&
	    durable_owe(&durable_sqlite, db, group) == 0)
		return 0;
	wait_for(db, group);
	return db->failed[group % 256] == group ? -1 : 0;
}

/* Starts a writing call: joins (or opens) the group transaction, so the call
 * can be undone alone: a call that joins sets a savepoint; the call that
 * opens the group needs none (undoing it is rolling the transaction back),
 * which spares the usual lone call of a group two statements. Returns 0 or
 * -1. */
int sqlite_write_begin(struct sqlite_db *db)
{
	if (!db->in_txn) {
		if (sqlite_step_done(db, S_BEGIN) != SQLITE_DONE)
			return sqlite_fail(db, "begin");
		/* Another process wrote to the file (iotpctl, a restore): the
		 * limits kept in memory may no longer be what the tables hold. */
		sqlite3_stmt *st = db->stmt[S_DATA_VERSION];
		int64_t version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_reset(st);
		if (version != db->data_version) {
			sqlite_cache_forget(db);
			sqlite_sessions_forget(db);
		}
		db->data_version = version;
		db->in_txn = 1;
		db->group++;
		db->group_ops = 0;
		db->call_savepoint = 0;
	} else {
		if (sqlite_step_done(db, S_SAVEPOINT) != SQLITE_DONE)
			return sqlite_fail(db, "savepoint");
		db->call_savepoint = 1;
	}
	sqlite_sessions_call_begin(db);
	return 0;
}

/* Ends a writing call: keeps (ok) or undoes its changes. Returns the group
 * to wait for, or 0 when nothing was written. */
uint64_t sqlite_write_end(struct sqlite_db *db, int ok)
{
	sqlite_cache_call_end(db, ok);
	sqlite_sessions_call_end(db, ok);
	if (!ok && !db->call_savepoint) {
		/* The group held this call alone: nothing is left to commit.
		 * (After SQLITE_FULL or an I/O error SQLite may have rolled the
		 * transaction back already; this ROLLBACK then fails, harmlessly.) */
		sqlite_step_done(db, S_ROLLBACK);
		sqlite_sessions_committed(db, 0);
		db->in_txn = 0;
		return 0;
	}
	if (!ok)
		sqlite_step_done(db, S_ROLLBACK_TO);
	if (db->call_savepoint)
		sqlite_step_done(db, S_RELEASE);
	if (!ok)
		return 0;
	db->group_ops++;
	return db->group;
}

uint64_t sqlite_write_lost(struct sqlite_db *db, int rc, uint64_t group)
{
	if (rc == STORE_CONFLICT && db->in_txn && db->group_ops > 0)
		return db->group;
	return group;
}

static void *checkpointer(void *arg)
{
	struct sqlite_db *db = arg;
	pthread_mutex_lock(&db->ckpt_lock);
	while (!db->ckpt_stop) {
		struct timespec until;
		clock_deadline_in(CHECKPOINT_MS, &until);
		pthread_cond_timedwait(&db->ckpt_wake, &db->ckpt_lock, &until);
		/* Limits changed in memory reach their tables within a second
		 * even when no request commits. */
		sqlite_enter(db);
		if (sqlite_cache_due(db) && sqlite_write_begin(db) == 0)
			sqlite_write_end(db, 1);
		sqlite_leave(db, 0);
		/* PASSIVE never blocks the writer; what it cannot copy now waits for
		 * the next round. */
		int frames = 0, copied = 0;
		int rc = sqlite3_wal_checkpoint_v2(db->ckpt_conn, NULL, SQLITE_CHECKPOINT_PASSIVE,
						   &frames, &copied);
		if (rc == SQLITE_OK && frames > WAL_RESTART_FRAMES) {
			/* Catch up with the writer held off for a moment: commit the open
			 * group, copy the few frames written since the pass above, and the
			 * next transaction starts the WAL from its beginning again. */
			int64_t t0 = clock_now_ms();
			sqlite_enter(db);
			if (db->in_txn)
				commit_group(db);
			rc = sqlite3_wal_checkpoint_v2(db->ckpt_conn, NULL, SQLITE_CHECKPOINT_PASSIVE,
						       &frames, &copied);
			sqlite_leave(db, 0);
			log_debug("sqlite: WAL caught up (%d of %d frames copied) in %lld ms", copied,
				  frames, (long long)(clock_now_ms() - t0));
		}
	}
	pthread_mutex_unlock(&db->ckpt_lock);
	return NULL;
}

/* Brings the schema to this build's version; with check_only, only checks
 * that it is there (a store that must exist is never changed). */
static int migrate(struct sqlite_db *db, int check_only, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int have = 0;
	if (sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto bad;
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	int want = (int)(sizeof migrations / sizeof migrations[0]);
	if (have > want) {
		strfmt(err, errlen,
		       "the database was written by a newer iotpd (schema %d, this one knows %d)", have,
		       want);
		return -1;
	}
	if (check_only && have != want) {
		strfmt(err, errlen,
		       "%s %s (schema %d, this build reads %d)%s", db->path,
		       have ? "was written by an older iotpd" : "is no iotp database", have, want,
		       have ? ": start this version's iotpd on it once first" : "");
		return -1;
	}
	for (int v = have; v < want; v++) {
		char sql[64];
		strfmt(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->conn, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			strfmt(err, errlen, "schema migration %d failed: %s", v + 1,
			       sqlite3_errmsg(db->conn));
			sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("sqlite: schema migrated to version %d", v + 1);
	}
	return 0;
bad:
	strfmt(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db->conn));
	return -1;
}

static void sqlite_close(void *state)
{
	struct sqlite_db *db = state;
	if (!db)
		return;
	if (db->ckpt_conn) {
		pthread_mutex_lock(&db->ckpt_lock);
		db->ckpt_stop = 1;
		pthread_cond_signal(&db->ckpt_wake);
		pthread_mutex_unlock(&db->ckpt_lock);
		pthread_join(db->ckpt_thread, NULL);
		sqlite3_close(db->ckpt_conn);
	}
	if (db->cache) {
		sqlite_enter(db);
		if (sqlite_cache_unsaved(db) && sqlite_write_begin(db) == 0)
			sqlite_write_end(db, sqlite_cache_save(db, 1) == 0);
		sqlite_leave(db, 0);
		sqlite_cache_free(db);
	}
	sqlite_sweeps_free(db);
	sqlite_sessions_free(db);
	for (struct reader *r = db->readers, *next; r; r = next) {
		next = r->next;
		sqlite3_finalize(r->get);
		sqlite3_close(r->conn);
		free(r);
	}
	pthread_key_delete(db->reader_key);
	pthread_mutex_destroy(&db->readers_lock);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite_account_finalize(db);
	sqlite3_close(db->conn);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->done);
	pthread_mutex_destroy(&db->wait_lock);
	pthread_mutex_destroy(&db->ckpt_lock);
	pthread_cond_destroy(&db->ckpt_wake);
	free(db);
}

static int sqlite_session_get(void *state, const char *id, struct store_session *out);

/* The open file can still be read after it was deleted, so a read alone
 * would call ready a server whose every write is lost at restart. */
static int sqlite_ready(void *state, char *why, size_t len)
{
	struct sqlite_db *db = state;
	struct stat sb;
	if (stat(db->path, &sb) < 0) {
		strfmt(why, len, "the database file %s is gone (deleted or unmounted?)", db->path);
		return -1;
	}
	if (sb.st_dev != db->file_dev || sb.st_ino != db->file_ino) {
		strfmt(why, len, "the database file %s was replaced under iotpd: restart it", db->path);
		return -1;
	}
	struct store_session s;
	if (sqlite_session_get(db, "readyz-probe", &s) < 0) {
		strfmt(why, len, "the database %s does not answer a read", db->path);
		return -1;
	}
	return 0;
}

static int sqlite_accepts(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0;
}

/* Before SQLite starts (its first open or VFS): no memory statistics. SQLite
 * keeps them under one process-wide mutex that every allocation and free of
 * every connection takes, and iotp reads none of them. (Once SQLite has
 * started, in a process that opened a database before, this changes
 * nothing.) */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* url is "sqlite:PATH"; the directory PATH is in is created (0700) if need be. */
static int sqlite_open(const char *url, const struct store_options *opt, void **state, char *err,
		       size_t errlen)
{
	const char *path = url + 7;
	int synchronous_full = opt->synchronous_full;
	char dir[4096];
	if (!*path || strfmt(dir, sizeof dir, "%s", path) < 0) {
		strfmt(err, errlen, "store '%s': give the database file as sqlite:DIR/FILE", url);
		return -1;
	}
	char *slash = strrchr(dir, '/');
	struct stat sb;
	if (opt->existing_only) {
		/* Only an existing database: a wrong path must fail, not create one. */
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			strfmt(err, errlen,
			       "no iotp database at %s: check --data/--store (or the configuration's "
			       "data_dir/store), or start iotpd there once to create it",
			       path);
			return -1;
		}
	} else if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0) {
			if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
				strfmt(err, errlen, "cannot create the directory %s of store %s", dir,
				       url);
				return -1;
			}
		}
	}
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, configure_sqlite);
	struct sqlite_db *db = xcalloc(1, sizeof *db);
	strfmt(db->path, sizeof db->path, "%s", path);
	pthread_key_create(&db->reader_key, NULL);
	pthread_mutex_init(&db->readers_lock, NULL);
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->done, NULL);
	pthread_mutex_init(&db->wait_lock, NULL);
	pthread_mutex_init(&db->ckpt_lock, NULL);
	pthread_cond_init(&db->ckpt_wake, NULL);
	int flags = opt->existing_only ? (opt->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE)
				       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->conn, flags | SQLITE_OPEN_NOMUTEX, sqlite_walbuf_vfs()) !=
	    SQLITE_OK) {
		strfmt(err, errlen, "cannot open %s: %s", path,
		       db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		goto err;
	}
	sqlite3_busy_timeout(db->conn, 5000);
	if (stat(path, &sb) == 0) {
		db->file_dev = sb.st_dev;
		db->file_ino = sb.st_ino;
	}
	char pragmas[256];
	/* A read-only connection leaves the journal mode to the writer (iotpd).
	 * 1 KiB pages for a new file: a commit writes each page it touched whole
	 * to the WAL (and a checkpoint once more), and a verification's rows are
	 * small and scattered over a dozen tables and indexes, so 4 KiB pages
	 * wrote ~200 KB per verified flow where 1 KiB pages write ~55 KB
	 * (bench/RESULTS.md). An existing file keeps the size it was made with. */
	strfmt(pragmas, sizeof pragmas,
	       "PRAGMA page_size=1024; %s PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
	       " PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=134217728;",
	       opt->read_only ? "" : "PRAGMA journal_mode=WAL;", synchronous_full ? "FULL" : "NORMAL");
	if (sqlite3_exec(db->conn, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		strfmt(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(db->conn));
		goto err;
	}
	if (migrate(db, opt->existing_only, err, errlen) < 0)
		goto err;
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(db->conn, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &db->stmt[i], NULL) != SQLITE_OK) {
			strfmt(err, errlen, "cannot prepare a statement: %s", sqlite3_errmsg(db->conn));
			goto err;
		}
	}
	if (sqlite_account_prepare(db, err, errlen) < 0)
		goto err;
	/* iotpctl (existing_only) leaves checkpoints to the iotpd that owns the file. */
	if (opt->existing_only) {
		*state = db;
		return 0;
	}
	if (sqlite3_open_v2(path, &db->ckpt_conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		strfmt(err, errlen, "cannot open %s for checkpoints", path);
		sqlite3_close(db->ckpt_conn);
		db->ckpt_conn = NULL;
		goto err;
	}
	sqlite3_busy_timeout(db->ckpt_conn, 1000);
	/* A connection checkpoints nothing (and says -1 frames) until it has read
	 * the database once and seen that it is in WAL mode. */
	if (sqlite3_exec(db->ckpt_conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
		strfmt(err, errlen, "cannot set up %s for checkpoints: %s", path,
		       sqlite3_errmsg(db->ckpt_conn));
		sqlite3_close(db->ckpt_conn);
		db->ckpt_conn = NULL;
		goto err;
	}
	sqlite_cache_open(db);
	sqlite_sessions_open(db);
	if (pthread_create(&db->ckpt_thread, NULL, checkpointer, db) != 0) {
		strfmt(err, errlen, "cannot start the checkpoint thread");
		sqlite3_close(db->ckpt_conn);
		db->ckpt_conn = NULL;
		goto err;
	}
	*state = db;
	return 0;
err:
	sqlite_close(db);
	return -1;
}

/* Reads one session on st (the caller serialises use of st). */
static int get_session(sqlite3 *conn, sqlite3_stmt *st, const char *id, struct store_session *out)
{
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_session(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	} else {
		log_error("sqlite: get session: %s", sqlite3_errmsg(conn));
		rc = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static struct reader *this_reader(struct sqlite_db *db)
{
	struct reader *r = pthread_getspecific(db->reader_key);
	if (r)
		return r;
	r = xcalloc(1, sizeof *r);
	if (sqlite3_open_v2(db->path, &r->conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v3(r->conn, stmt_sql[S_SESSION_GET], -1, SQLITE_PREPARE_PERSISTENT,
			       &r->get, NULL) != SQLITE_OK) {
		log_error("sqlite: cannot open a reader: %s",
			  r->conn ? sqlite3_errmsg(r->conn) : "out of memory");
		sqlite3_close(r->conn);
		free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->conn, 5000);
	pthread_mutex_lock(&db->readers_lock);
	r->next = db->readers;
	db->readers = r;
	pthread_mutex_unlock(&db->readers_lock);
	pthread_setspecific(db->reader_key, r);
	return r;
}

static int sqlite_session_get(void *state, const char *id, struct store_session *out)
{
	struct sqlite_db *db = state;
	/* A reader sees only what is committed: this thread's own writes whose
	 * answer it holds back must be, or it would read around them. */
	wait_for(db, durable_owed_to(db));
	if (sqlite_sessions_find(db, id, out))
		return 0;
	struct reader *r = this_reader(db);
	if (r)
		return get_session(r->conn, r->get, id, out);
	sqlite_enter(db);
	int rc = get_session(db->conn, db->stmt[S_SESSION_GET], id, out);
	sqlite_leave(db, 0);
	return rc;
}

int sqlite_session_cas(struct sqlite_db *db, const struct store_session *s)
{
	bind_session(db->stmt[S_SESSION_UPDATE], s);
	if (sqlite_step_done(db, S_SESSION_UPDATE) != SQLITE_DONE)
		return sqlite_fail(db, "update session");
	if (sqlite3_changes(db->conn) == 0)
		return STORE_CONFLICT;
	sqlite_sessions_written(db, s);
	return 0;
}

/* store_session_write: every piece in one savepoint of the group, so that
 * any refusal or failure undoes the others. The buckets go first: a request
 * the limits refuse writes nothing, and its counters count only what was
 * granted. */
static int sqlite_session_write(void *state, struct store_write *w, struct store_session *current)
{
	struct sqlite_db *db = state;
	struct store_session *s = w->session;
	uint64_t group = 0;
	int rc = -1;
	w->refused = 0;
	w->retry_after_ms = 0;
	sqlite_enter(db);
	if (sqlite_write_begin(db) == 0) {
		rc = sqlite_buckets_apply(db, w->buckets, w->n_buckets, w->now, &w->refused,
				   &w->retry_after_ms);
		if (rc == 0 && w->n_counters)
			rc = sqlite_decay_apply(db, w->counters, w->n_counters, w->now);
		if (rc == 0 && w->adjust)
			w->adjust(w->adjust_arg, s, w->counters, w->n_counters);
		if (rc == 0 && w->insert) {
			bind_session(db->stmt[S_SESSION_INSERT], s);
			if (sqlite_step_done(db, S_SESSION_INSERT) != SQLITE_DONE)
				rc = sqlite_fail(db, "insert session");
			else
				sqlite_sessions_written(db, s);
		} else if (rc == 0) {
			rc = sqlite_session_cas(db, s);
		}
		if (rc == 0 && (s->canceled_at || s->verified_at) && sqlite_drop_queued(db, s) < 0)
			rc = -1;
		if (rc == 0 && w->msg && sqlite_insert_message(db, w->msg) < 0)
			rc = -1;
		if (rc == 0 && w->event && sqlite_event_insert(db, w->event) < 0)
			rc = -1;
		if (rc == 0 && w->note && sqlite_note_insert(db, w->note) < 0)
			rc = -1;
		group = sqlite_write_end(db, rc == 0);
	}
	/* What the winner wrote may still be in the open group, invisible to the
	 * readers: read it here, on the writer's connection. */
	if (rc == STORE_CONFLICT && current &&
	    get_session(db->conn, db->stmt[S_SESSION_GET], s->id, current) == STORE_NOT_FOUND)
		rc = STORE_NOT_FOUND;
	int crc = sqlite_leave(db, group);
	return rc != 0 ? rc : crc;
}

static int sqlite_number_sessions(void *state, const char *phone, size_t limit,
			      void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	struct sqlite_db *db = state;
	struct store_session s;
	sqlite_enter(db);
	sqlite3_stmt *st = db->stmt[S_NUMBER_SESSIONS];
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		read_session(st, &s);
		fn(&s, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : sqlite_fail(db, "read sessions");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite_leave(db, 0);
	return rc;
}

static int64_t count(struct sqlite_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int sqlite_stats(void *state, struct store_stats *out)
{
	struct sqlite_db *db = state;
	sqlite_enter(db);
	out->sessions = count(db, "SELECT count(*) FROM sessions");
	out->verified = count(db, "SELECT count(*) FROM sessions WHERE verified_at > 0");
	out->messages_queued = count(db, "SELECT count(*) FROM messages WHERE state IN (0, 1)");
	out->messages_sent = count(db, "SELECT count(*) FROM messages WHERE state IN (2, 4, 5)");
	out->messages_failed = count(db, "SELECT count(*) FROM messages WHERE state IN (3, 6)");
	sqlite_leave(db, 0);
	return out->sessions < 0 ? -1 : 0;
}

const struct store_ops store_sqlite_ops = {
	.version = STORE_OPS_VERSION,
	.name = "sqlite",
	.locations = "sqlite:DIR/FILE",
	.accepts = sqlite_accepts,
	.open = sqlite_open,
	.close = sqlite_close,
	.session_get = sqlite_session_get,
	.session_write = sqlite_session_write,
	.outbox_due = sqlite_outbox_due,
	.outbox_take = sqlite_outbox_take,
	.outbox_handing = sqlite_outbox_handing,
	.outbox_finish = sqlite_outbox_finish,
	.outbox_recover = sqlite_outbox_recover,
	.message_report = sqlite_message_report,
	.session_attempts = sqlite_session_attempts,
	.delivery_stats = sqlite_delivery_stats,
	.session_messages = sqlite_session_messages,
	.session_history = sqlite_session_history,
	.number_sessions = sqlite_number_sessions,
	.stats = sqlite_stats,
	.account_write = sqlite_account_write,
	.account_get = sqlite_account_get,
	.account_by_phone = sqlite_account_by_phone,
	.account_by_device = sqlite_account_by_device,
	.account_by_reset = sqlite_account_by_reset,
	.event_claim = sqlite_event_claim,
	.event_finish = sqlite_event_finish,
	.account_events = sqlite_account_events,
	.buckets_take = sqlite_buckets_take,
	.buckets_prune = sqlite_buckets_prune,
	.cleanup = sqlite_cleanup,
	.decay_add = sqlite_decay_add,
	.decay_reset = sqlite_decay_reset,
	.decay_prune = sqlite_decay_prune,
	.blocks_prune = sqlite_blocks_prune,
	.block_set = sqlite_block_set,
	.block_lift = sqlite_block_lift,
	.blocks_list = sqlite_blocks_list,
	.fraud_events = sqlite_fraud_events,
	.record_get = sqlite_record_get,
	.record_put = sqlite_record_put,
	.record_list = sqlite_record_list,
	.activity = sqlite_activity,
	.sessions_recent = sqlite_sessions_recent,
	.note_add = sqlite_note_add,
	.notes_of = sqlite_notes_of,
	.passkey_insert = sqlite_passkey_insert,
	.passkey_get = sqlite_passkey_get,
	.passkey_list = sqlite_passkey_list,
	.passkey_update = sqlite_passkey_update,
	.passkey_delete = sqlite_passkey_delete,
	.ready = sqlite_ready,
};
