/* store_copy (store/copy.h): every table of a SQLite store into PostgreSQL.
 *
 * Generic over the tables: the SQLite file's own list of tables is copied, each
 * into the PostgreSQL table of the same name, column by column by name, so a
 * table a later migration adds to both backends is copied with no change here.
 * Rows go in their SQLite rowid order, so the PostgreSQL sequences that order
 * messages, events and hand-overs (seq) number them in the order they were
 * written; the sequences are then moved past the highest id copied. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/copy.h"
#include "store/store.h"

#define TABLES_MAX 64
#define COLUMNS_MAX 64

struct copy {
	sqlite3 *lite;
	PGconn *pg;
	char *err;
	size_t errlen;
	char to_shown[1024];
};

/* "name" quoted for either SQL dialect (names come from the file itself). */
static void quoted(char *out, size_t size, const char *name)
{
	size_t o = 0;
	if (size < 3)
		return;
	out[o++] = '"';
	for (const char *p = name; *p && o + 3 < size; p++) {
		if (*p == '"')
			out[o++] = '"';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int pg_fail(struct copy *c, PGresult *r, const char *what)
{
	strfmt(c->err, c->errlen, "%s on %s: %s", what, c->to_shown,
	       r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
	/* libpq's messages end in a newline. */
	size_t n = strlen(c->err);
	if (n && c->err[n - 1] == '\n')
		c->err[n - 1] = '\0';
	PQclear(r);
	return -1;
}

static int pg_do(struct copy *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail(c, r, what);
	PQclear(r);
	return 0;
}

/* 1 when the PostgreSQL table holds a row, 0 when not, -1 on failure. */
static int pg_has_rows(struct copy *c, const char *table)
{
	char q[160], sql[256];
	quoted(q, sizeof q, table);
	strfmt(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM %s)", q);
	PGresult *r = PQexec(c->pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(c, r, "reading the target");
	int has = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return has;
}

/* Copies one table; *rows set to the rows copied. */
static int copy_table(struct copy *c, const char *table, int64_t *rows)
{
	char q[160], sql[8192];
	*rows = 0;
	quoted(q, sizeof q, table);
	sqlite3_stmt *st = NULL;
	/* Rowid order where the table has one (WITHOUT ROWID ones go by key). */
	strfmt(sql, sizeof sql, "SELECT * FROM %s ORDER BY rowid", q);
	if (sqlite3_prepare_v2(c->lite, sql, -1, &st, NULL) != SQLITE_OK) {
		strfmt(sql, sizeof sql, "SELECT * FROM %s", q);
		if (sqlite3_prepare_v2(c->lite, sql, -1, &st, NULL) != SQLITE_OK) {
			strfmt(c->err, c->errlen, "reading table %s of the SQLite store: %s", table,
			       sqlite3_errmsg(c->lite));
			return -1;
		}
	}
	int ncol = sqlite3_column_count(st);
	if (ncol <= 0 || ncol > COLUMNS_MAX) {
		sqlite3_finalize(st);
		strfmt(c->err, c->errlen, "table %s of the SQLite store has %d columns", table, ncol);
		return -1;
	}
	size_t o = 0;
	strfmt(sql, sizeof sql, "INSERT INTO %s (", q);
	o = strlen(sql);
	for (int i = 0; i < ncol; i++) {
		char col[160];
		quoted(col, sizeof col, sqlite3_column_name(st, i));
		strfmt(sql + o, sizeof sql - o, "%s%s", i ? ", " : "", col);
		o = strlen(sql);
	}
	strfmt(sql + o, sizeof sql - o, ") VALUES (");
	o = strlen(sql);
	for (int i = 0; i < ncol; i++) {
		strfmt(sql + o, sizeof sql - o, "%s$%d", i ? ", " : "", i + 1);
		o = strlen(sql);
	}
	strfmt(sql + o, sizeof sql - o, ")");
	/* The parameters' types are the target columns' (no OIDs given). */
	PGresult *r = PQprepare(c->pg, "", sql, ncol, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		sqlite3_finalize(st);
		char what[200];
		strfmt(what, sizeof what, "preparing the copy of table %s", table);
		return pg_fail(c, r, what);
	}
	PQclear(r);

	const char *values[COLUMNS_MAX];
	int lengths[COLUMNS_MAX], formats[COLUMNS_MAX];
	char nums[COLUMNS_MAX][32];
	int step, rc = 0;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			formats[i] = 0;
			lengths[i] = 0;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				values[i] = NULL;
				break;
			case SQLITE_INTEGER:
				strfmt(nums[i], sizeof nums[i], "%lld",
				       (long long)sqlite3_column_int64(st, i));
				values[i] = nums[i];
				break;
			case SQLITE_FLOAT:
				strfmt(nums[i], sizeof nums[i], "%.17g", sqlite3_column_double(st, i));
				values[i] = nums[i];
				break;
			case SQLITE_BLOB:
				/* bytea in binary: the bytes as they are. */
				values[i] = sqlite3_column_blob(st, i);
				lengths[i] = sqlite3_column_bytes(st, i);
				formats[i] = 1;
				if (!values[i])
					values[i] = "";
				break;
			default:
				values[i] = (const char *)sqlite3_column_text(st, i);
				break;
			}
		}
		r = PQexecPrepared(c->pg, "", ncol, values, lengths, formats, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[200];
			strfmt(what, sizeof what, "copying row %lld of table %s",
			       (long long)*rows + 1, table);
			rc = pg_fail(c, r, what);
			break;
		}
		PQclear(r);
		(*rows)++;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		strfmt(c->err, c->errlen, "reading table %s of the SQLite store: %s", table,
		       sqlite3_errmsg(c->lite));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Every sequence of the target's tables past the highest value now in its
 * column, so rows written after the copy get new ids. */
static int move_sequences(struct copy *c)
{
	PGresult *r = PQexec(c->pg, "SELECT table_name, column_name FROM information_schema.columns"
				    " WHERE table_schema = current_schema()"
				    " AND column_default LIKE 'nextval(%'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(c, r, "listing the target's sequences");
	int rc = 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		char t[160], col[160], tl[200], sql[800];
		quoted(t, sizeof t, PQgetvalue(r, i, 0));
		quoted(col, sizeof col, PQgetvalue(r, i, 1));
		/* pg_get_serial_sequence takes the table as a (quoted) literal. */
		strfmt(tl, sizeof tl, "'%s'", t);
		strfmt(sql, sizeof sql,
		       "SELECT setval(pg_get_serial_sequence(%s, '%s'), COALESCE(max(%s), 0) + 1, false)"
		       " FROM %s",
		       tl, PQgetvalue(r, i, 1), col, t);
		rc = pg_do(c, sql, "moving a sequence past the copied rows");
	}
	PQclear(r);
	return rc;
}

int store_copy(const char *from, const char *to, int replace,
	       void (*report)(const char *table, int64_t rows, void *arg), void *arg, char *err,
	       size_t errlen)
{
	struct copy c = {.err = err, .errlen = errlen};
	char from_shown[1024];
	store_url_mask(to, c.to_shown, sizeof c.to_shown);
	store_url_mask(from, from_shown, sizeof from_shown);

	/* The source must be a SQLite store of this build's schema (its checks,
	 * read-only), the target a PostgreSQL one, created and migrated here. */
	struct store *st = NULL;
	struct store_options ro = {.existing_only = 1, .read_only = 1, .pool_size = 1};
	if (store_open(from, &ro, &st, err, errlen) < 0)
		return -1;
	int lite = !strcmp(store_backend_name(st), "sqlite");
	store_close(st);
	if (!lite) {
		strfmt(err, errlen, "%s is no SQLite store: copy moves a SQLite deployment", from_shown);
		return -1;
	}
	struct store_options rw = {.pool_size = 1};
	if (store_open(to, &rw, &st, err, errlen) < 0)
		return -1;
	int pg = !strcmp(store_backend_name(st), "postgres");
	store_close(st);
	if (!pg) {
		strfmt(err, errlen, "%s is no PostgreSQL store: copy --to takes a postgres:// URL",
		       c.to_shown);
		return -1;
	}

	if (sqlite3_open_v2(from + 7, &c.lite, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		strfmt(err, errlen, "cannot open %s: %s", from_shown, sqlite3_errmsg(c.lite));
		sqlite3_close(c.lite);
		return -1;
	}
	c.pg = PQconnectdb(to);
	int rc = PQstatus(c.pg) == CONNECTION_OK ? 0 : pg_fail(&c, NULL, "connecting");

	/* The tables, in one read transaction of the source: a consistent copy. */
	char *tables[TABLES_MAX];
	int n = 0;
	sqlite3_stmt *list = NULL;
	if (rc == 0 && (sqlite3_exec(c.lite, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
			sqlite3_prepare_v2(c.lite,
					   "SELECT name FROM sqlite_master WHERE type = 'table'"
					   " AND name NOT LIKE 'sqlite_%' ORDER BY name",
					   -1, &list, NULL) != SQLITE_OK)) {
		strfmt(err, errlen, "reading the tables of %s: %s", from_shown, sqlite3_errmsg(c.lite));
		rc = -1;
	}
	while (rc == 0 && sqlite3_step(list) == SQLITE_ROW && n < TABLES_MAX)
		tables[n++] = xstrdup((const char *)sqlite3_column_text(list, 0));
	sqlite3_finalize(list);

	if (rc == 0)
		rc = pg_do(&c, "BEGIN", "starting the copy");
	/* Which target tables already hold rows (a table missing there fails
	 * here, naming it). */
	char busy[512] = "";
	for (int i = 0; rc == 0 && i < n; i++) {
		int has = pg_has_rows(&c, tables[i]);
		if (has < 0)
			rc = -1;
		else if (has) {
			size_t o = strlen(busy);
			strfmt(busy + o, sizeof busy - o, "%s%s", o ? ", " : "", tables[i]);
		}
	}
	if (rc == 0 && busy[0] && !replace) {
		strfmt(err, errlen,
		       "%s already holds data (tables %s): nothing was copied. Copy into an "
		       "empty database, or add --replace to empty these tables first",
		       c.to_shown, busy);
		rc = STORE_CONFLICT;
	}
	if (rc == 0 && busy[0]) {
		char sql[2048] = "TRUNCATE";
		for (int i = 0; i < n; i++) {
			char q[160];
			size_t o = strlen(sql);
			quoted(q, sizeof q, tables[i]);
			strfmt(sql + o, sizeof sql - o, "%s %s", i ? "," : "", q);
		}
		rc = pg_do(&c, sql, "emptying the target's tables");
	}
	int64_t counts[TABLES_MAX] = {0};
	for (int i = 0; rc == 0 && i < n; i++)
		rc = copy_table(&c, tables[i], &counts[i]);
	if (rc == 0)
		rc = move_sequences(&c);
	if (rc == 0)
		rc = pg_do(&c, "COMMIT", "committing the copy");
	else if (c.pg && PQstatus(c.pg) == CONNECTION_OK)
		PQclear(PQexec(c.pg, "ROLLBACK"));
	for (int i = 0; rc == 0 && report && i < n; i++)
		report(tables[i], counts[i], arg);
	for (int i = 0; i < n; i++)
		free(tables[i]);
	sqlite3_exec(c.lite, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(c.lite);
	PQfinish(c.pg);
	return rc;
}
