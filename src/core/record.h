/* record: the facades' own documents (Twilio services and verifications,
 * GoTrue users and logins) as JSON objects in the store's records, so that
 * compat/ keeps what its APIs name and iotp does not without reaching the
 * store itself. Each record has a version: a write names the version it read
 * (compare-and-swap), so parallel requests never both win. */
#ifndef IOTP_RECORD_H
#define IOTP_RECORD_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Reads a record's JSON object; NULL when absent or expired by now
 * (*rc = STORE_NOT_FOUND) or on a failure (*rc = -1). The caller owns the
 * object; rec (never NULL) gets the record, for a later record_put. */
json_t *record_get(struct store *st, const char *kind, const char *key, int64_t now,
		   struct store_record *rec, int *rc);

/* Writes value as rec's next version (rec->version 0: a new record, which
 * must not exist yet) with expires_at (ms; 0: never). Returns 0,
 * STORE_CONFLICT (someone wrote first; rec is unchanged) or -1. */
int record_put(struct store *st, struct store_record *rec, const char *kind, const char *key,
	       json_t *value, int64_t expires_at, int64_t now);

/* What record_update's change does with the record as it now stands. */
enum record_change {
	RECORD_WRITE, /* write *j (changed in place, or replaced) with *expires_at */
	RECORD_STOP,  /* write nothing; record_update returns RECORD_STOPPED */
};
#define RECORD_STOPPED 1
/* Called with the record's object (*j NULL when there is none: return
 * RECORD_WRITE with a new *j to create it) and its expiry; may be called
 * again after a lost compare-and-swap, each time with the record as it then
 * stands, so it must decide from *j alone. */
typedef enum record_change (*record_change_fn)(json_t **j, int64_t *expires_at, void *arg);

/* The one read-change-write loop of the facades: reads kind/key, lets change
 * decide, writes with compare-and-swap, and starts again from the winner's
 * record when a parallel write came first. Returns 0 (written; *out, when
 * not NULL, gets the object as written, owned by the caller),
 * RECORD_STOPPED (change said so; *out gets the object as read, or NULL),
 * or -1 (store failure, or too many lost races in a row). */
int record_update(struct store *st, const char *kind, const char *key, int64_t now,
		  record_change_fn change, void *arg, json_t **out);

/* Calls fn for the live records of kind whose key sorts after after ("": from
 * the first), in key order, at most limit of them (store_record_list). A
 * caller pages through by passing the last key it saw. Returns 0 or -1. */
int record_list(struct store *st, const char *kind, const char *after, size_t limit,
		int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg);

/* A string member of o, or "" when o is NULL or has none. */
const char *record_str(const json_t *o, const char *k);
/* An integer member of o, or 0. */
int64_t record_int(const json_t *o, const char *k);

#endif
