/* The WAL-gathering VFS (store/sqlite_walbuf.c): what a commit wrote is in the
 * file when COMMIT returns — seen at once by another connection, kept by a
 * process killed with SIGKILL right after, whatever the commit's size (the
 * unix VFS writes at most 128 KiB a call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite_db.h"

static void path_for(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/walbuf-%ld-%s.db", IOTP_TEST_TMP, (long)getpid(), name);
	char side[600];
	unlink(out);
	snprintf(side, sizeof side, "%s-wal", out);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", out);
	unlink(side);
}

static sqlite3 *open_writer(const char *path)
{
	const char *vfs = sqlite_walbuf_vfs();
	assert_non_null(vfs);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				      " PRAGMA wal_autocheckpoint=0;"
				      " CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

static int64_t count_rows(const char *path, int64_t *bytes)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), total(length(v)) FROM t", -1, &st,
					    NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		if (bytes)
			*bytes = (int64_t)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Commits of one row, then one of 300 rows of 4 KiB (1.2 MB, so the gathered
 * frames go out in several writes), then SIGKILL: every row is there. */
static void survives_sigkill(void **state)
{
	(void)state;
	char path[512];
	path_for(path, sizeof path, "kill");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = open_writer(path);
		static unsigned char blob[4096];
		memset(blob, 0x5a, sizeof blob);
		sqlite3_stmt *st;
		sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?1)", -1, &st, NULL);
		for (int i = 0; i < 20; i++) { /* small commits */
			sqlite3_bind_blob(st, 1, blob, 100, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				_exit(3);
			sqlite3_reset(st);
		}
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int i = 0; i < 300; i++) {
			sqlite3_bind_blob(st, 1, blob, sizeof blob, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				_exit(4);
			sqlite3_reset(st);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(5);
		raise(SIGKILL); /* no close, no checkpoint: only what is in the file */
		_exit(6);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	int64_t bytes = 0;
	assert_int_equal(count_rows(path, &bytes), 320);
	assert_int_equal(bytes, 20 * 100 + 300 * 4096);
}

/* Another connection (the default VFS, as the store's readers use) sees each
 * commit as soon as it returns. */
static void readers_see_each_commit(void **state)
{
	(void)state;
	char path[512];
	path_for(path, sizeof path, "read");
	sqlite3 *db = open_writer(path);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (zeroblob(?1))", -1, &st,
					    NULL),
			 SQLITE_OK);
	for (int i = 1; i <= 50; i++) {
		sqlite3_bind_int(st, 1, i * 997); /* from part of a page to many */
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
		assert_int_equal(count_rows(path, NULL), i);
	}
	sqlite3_finalize(st);
	/* A checkpoint and a restarted log go through it as well. */
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t (v) VALUES (x'01')", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(count_rows(path, NULL), 51);
	sqlite3_close(db);
	assert_int_equal(count_rows(path, NULL), 51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(survives_sigkill),
	    cmocka_unit_test(readers_see_each_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
