/* store_copy: moves an existing SQLite deployment to PostgreSQL (iotpctl copy).
 * It knows both backends' tables, which share their names and columns, so it
 * lives beside them rather than behind the store interface. */
#ifndef IOTP_STORE_COPY_H
#define IOTP_STORE_COPY_H

#include <stdint.h>

/* Copies every row of every table of the SQLite store from ("sqlite:PATH",
 * of this build's schema, opened read-only: stop iotpd first) into the
 * PostgreSQL store to (created and migrated if need be), in one transaction:
 * all of it or nothing. A target that already holds rows is refused with
 * STORE_CONFLICT (which tables, in err) unless replace is 1: then its tables
 * are emptied first. Calls report once per table copied with its row count.
 * Returns 0, STORE_CONFLICT, or -1 with why in err (passwords masked). */
int store_copy(const char *from, const char *to, int replace,
	       void (*report)(const char *table, int64_t rows, void *arg), void *arg, char *err,
	       size_t errlen);

#endif
