#include "core/record.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"

/* Each lost compare-and-swap means another request wrote: a small bound. */
#define RECORD_TRIES 16

json_t *record_get(struct store *st, const char *kind, const char *key, int64_t now,
		   struct store_record *rec, int *rc)
{
	*rc = store_record_get(st, kind, key, now, rec);
	if (*rc != 0)
		return NULL;
	json_t *j = json_loads(rec->value, 0, NULL);
	if (!j || !json_is_object(j)) {
		log_error("record %s %s: not a JSON object", kind, key);
		json_decref(j);
		*rc = -1;
		return NULL;
	}
	return j;
}

int record_put(struct store *st, struct store_record *rec, const char *kind, const char *key,
	       json_t *value, int64_t expires_at, int64_t now)
{
	char *text = json_dumps(value, JSON_COMPACT);
	if (!text || strlen(text) >= sizeof rec->value || strlen(key) >= sizeof rec->key ||
	    strlen(kind) >= sizeof rec->kind) {
		free(text);
		return -1;
	}
	strfmt(rec->kind, sizeof rec->kind, "%s", kind);
	strfmt(rec->key, sizeof rec->key, "%s", key);
	memcpy(rec->value, text, strlen(text) + 1);
	free(text);
	rec->version++;
	int64_t old_expiry = rec->expires_at;
	rec->expires_at = expires_at;
	int rc = store_record_put(st, rec, now);
	if (rc != 0) {
		rec->version--;
		rec->expires_at = old_expiry;
	}
	return rc;
}

int record_update(struct store *st, const char *kind, const char *key, int64_t now,
		  record_change_fn change, void *arg, json_t **out)
{
	if (out)
		*out = NULL;
	for (int tries = 0; tries < RECORD_TRIES; tries++) {
		struct store_record rec;
		int rc;
		json_t *j = record_get(st, kind, key, now, &rec, &rc);
		if (rc == STORE_NOT_FOUND) {
			memset(&rec, 0, sizeof rec);
		} else if (rc != 0) {
			return -1;
		}
		int64_t expires_at = j ? rec.expires_at : 0;
		if (change(&j, &expires_at, arg) == RECORD_STOP) {
			if (out)
				*out = j;
			else
				json_decref(j);
			return RECORD_STOPPED;
		}
		rc = j ? record_put(st, &rec, kind, key, j, expires_at, now) : -1;
		if (rc == 0) {
			if (out)
				*out = j;
			else
				json_decref(j);
			return 0;
		}
		json_decref(j);
		if (rc != STORE_CONFLICT)
			return -1;
	}
	log_error("record %s %s: gave up after %d conflicting writes", kind, key, RECORD_TRIES);
	return -1;
}

int record_list(struct store *st, const char *kind, const char *after, size_t limit,
		int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg)
{
	return store_record_list(st, kind, after, limit, now, fn, arg) < 0 ? -1 : 0;
}

const char *record_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

int64_t record_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}
