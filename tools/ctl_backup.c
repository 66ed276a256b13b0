/* iotpctl backup FILE and iotpctl restore FILE: a consistent copy of a SQLite
 * store taken while iotpd runs (SQLite's online backup API reads one snapshot,
 * and in WAL mode the server keeps writing meanwhile), and putting such a
 * copy back while iotpd is stopped. PostgreSQL has its own tools (pg_dump). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "ctl.h"

static int postgres_advice(const char *what)
{
	fprintf(stderr,
		"iotpctl: the store is PostgreSQL: %s with PostgreSQL's own tools, e.g.\n"
		"  pg_dump --format=custom --file=iotp.dump \"$URL\"          (online, consistent)\n"
		"  pg_restore --clean --if-exists --dbname=\"$URL\" iotp.dump  (with every iotpd stopped)\n"
		"or continuous archiving (docs/deploy.md). Keep every node's secret with the dump.\n",
		what);
	return 2;
}

/* The database file of a sqlite:PATH store, or NULL (message printed). */
static const char *sqlite_path(const char *store_url, const char *what, int *rc)
{
	if (!strncmp(store_url, "sqlite:", 7) && store_url[7])
		return store_url + 7;
	if (strncmp(store_url, "sqlite:", 7) != 0)
		*rc = postgres_advice(what);
	else
		*rc = 2, fprintf(stderr, "iotpctl: give the store as sqlite:DIR/FILE\n");
	return NULL;
}

/* Counts rows of a table, for the summary line; -1 if it cannot. */
static long long count(sqlite3 *db, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	long long n = -1;
	strfmt(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* "ok" from PRAGMA quick_check, else the first problem, in why. */
static int checked(sqlite3 *db, char *why, size_t len)
{
	sqlite3_stmt *st;
	int ok = 0;
	strfmt(why, len, "%s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		ok = r && !strcmp(r, "ok");
		strfmt(why, len, "%s", r ? r : "no answer");
	}
	sqlite3_finalize(st);
	return ok;
}

/* Copies all of src's main database into dst's in one step: one read
 * transaction on src, so the copy is one consistent snapshot even while
 * iotpd writes (WAL readers never wait for the writer, nor it for them). */
static int copy(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return sqlite3_errcode(dst);
	int rc;
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(50);
	int fin = sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? fin : rc;
}

static void sync_dir(const char *file)
{
	char dir[4096];
	strfmt(dir, sizeof dir, "%s", file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strfmt(dir, sizeof dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int ctl_backup(const char *store_url, int argc, char **argv)
{
	int rc = 1;
	if (argc != 1) {
		fprintf(stderr, "iotpctl: backup needs one argument, the file to write\n");
		return 2;
	}
	const char *path = sqlite_path(store_url, "back it up", &rc), *out = argv[0];
	if (!path)
		return rc;
	struct stat sb;
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr,
			"iotpctl: no iotp database at %s: check --data/--store (or the "
			"configuration's data_dir/store)\n",
			path);
		return 1;
	}
	if (stat(out, &sb) == 0) {
		fprintf(stderr, "iotpctl: %s exists; a backup never overwrites: remove it or name "
				"another file\n", out);
		return 1;
	}
	char tmp[4200];
	strfmt(tmp, sizeof tmp, "%s.partial-%ld", out, (long)getpid());
	sqlite3 *src = NULL, *dst = NULL;
	char why[512];
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "iotpctl: cannot open %s: %s\n", path, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "iotpctl: cannot create %s: %s\n", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	int e = copy(dst, src);
	if (e != SQLITE_OK) {
		fprintf(stderr, "iotpctl: backup of %s failed: %s\n", path, sqlite3_errstr(e));
		goto out;
	}
	/* One self-contained file: no -wal beside it to forget when copying. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    !checked(dst, why, sizeof why)) {
		fprintf(stderr, "iotpctl: the copy does not check out (%s); nothing written\n", why);
		goto out;
	}
	long long sessions = count(dst, "sessions"), accounts = count(dst, "accounts");
	sqlite3_close(dst);
	dst = NULL;
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0 || rename(tmp, out) < 0) {
		fprintf(stderr, "iotpctl: cannot write %s: %s\n", out, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	sync_dir(out);
	printf("backed up %s to %s: %lld sessions, %lld accounts\n"
	       "keep the server secret with it (<data_dir>/secret, or the option secret): "
	       "without it the codes and queued messages in the copy cannot be opened\n",
	       path, out, sessions, accounts);
	rc = 0;
out:
	sqlite3_close(src);
	if (dst)
		sqlite3_close(dst);
	unlink(tmp);
	return rc;
}

int ctl_restore(const char *store_url, int argc, char **argv)
{
	int rc = 1;
	if (argc != 1) {
		fprintf(stderr, "iotpctl: restore needs one argument, the backup file\n");
		return 2;
	}
	const char *path = sqlite_path(store_url, "restore it", &rc), *in = argv[0];
	if (!path)
		return rc;
	sqlite3 *src = NULL, *dst = NULL;
	char why[512], dir[4096];
	struct stat sb;
	if (stat(in, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sqlite3_open_v2(in, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    !checked(src, why, sizeof why) || count(src, "sessions") < 0) {
		fprintf(stderr, "iotpctl: %s is not an iotp backup that checks out (%s)\n", in,
			src ? sqlite3_errmsg(src) : strerror(errno));
		goto out;
	}
	/* The data directory of a new machine may not exist yet. */
	strfmt(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "iotpctl: cannot open %s: %s\n", path, sqlite3_errmsg(dst));
		goto out;
	}
	/* Exclusive for the whole restore: fails at once while iotpd (or any
	 * other program) has the database open, instead of pulling the data
	 * from under a running server. */
	if (sqlite3_exec(dst, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", NULL, NULL,
			 NULL) != SQLITE_OK) {
		fprintf(stderr,
			"iotpctl: %s is in use (%s): stop iotpd first (systemctl stop iotp), "
			"then restore\n",
			path, sqlite3_errmsg(dst));
		goto out;
	}
	int e = copy(dst, src);
	if (e != SQLITE_OK) {
		fprintf(stderr, "iotpctl: restore into %s failed: %s; it may be incomplete, "
				"restore again\n", path, sqlite3_errstr(e));
		goto out;
	}
	if (!checked(dst, why, sizeof why)) {
		fprintf(stderr, "iotpctl: %s does not check out after the restore (%s)\n", path, why);
		goto out;
	}
	printf("restored %s into %s: %lld sessions, %lld accounts\n"
	       "start iotpd with the secret of the server the backup came from\n",
	       in, path, count(dst, "sessions"), count(dst, "accounts"));
	rc = 0;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}
