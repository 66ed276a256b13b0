/* json_write: a jansson value written as compact JSON, byte for byte what
 * json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) writes, at a fraction of its
 * cost. jansson formats a pointer into a loop-check key (snprintf) and hashes
 * it for every object and array, and decodes every string code point by code
 * point: for a 150-byte error body that was 14,000 instructions, a sixth of a
 * refused request's (bench/RESULTS.md). Every answer iotpd sends is written
 * here first. */
#ifndef IOTP_JSON_WRITE_H
#define IOTP_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>

/* Writes j into buf (size bytes) and returns the length of the whole text, as
 * snprintf does: when it is size or more, buf holds only its start (NUL-
 * terminated when size > 0). Returns 0 when it cannot write j and json_dumps
 * must (nesting deeper than JSON_WRITE_DEPTH; a string that is not UTF-8,
 * which json_dumps refuses too). */
size_t json_write_compact(const json_t *j, char *buf, size_t size);

#define JSON_WRITE_DEPTH 256

/* j's compact text in buf when it fits there (the usual case, no
 * allocation), else from json_dumps on the heap: the caller frees what is
 * not buf. *len is its length. NULL when j cannot be written at all. */
char *json_write_text(const json_t *j, char *buf, size_t size, size_t *len);

/* The writer's state; only json_write.c touches it. */
struct json_write_out {
	char *buf;
	size_t size;
	size_t len; /* of the whole text so far, written or not */
	int grows;  /* buf is the heap's: grow it rather than cut the text */
};

/* An object written field by field, without a jansson tree: for answers
 * sent on nearly every request (a session), where building and freeing the
 * tree cost more than writing it. Byte for byte what json_write_compact
 * writes for the object built with the same keys and values in the same
 * order. Keys are the caller's own text; strings must be UTF-8 (a string
 * that is not fails the whole object, as json_dumps would). */
struct json_obj {
	struct json_write_out out;
	size_t fields;
	int bad;
};

void json_obj_begin(struct json_obj *w);
/* v NULL writes null. */
void json_obj_string(struct json_obj *w, const char *key, const char *v);
void json_obj_int(struct json_obj *w, const char *key, long long v);
void json_obj_bool(struct json_obj *w, const char *key, int v);
void json_obj_null(struct json_obj *w, const char *key);
/* json: a value already written as compact JSON. */
void json_obj_raw(struct json_obj *w, const char *key, const char *json);
/* The object's text, NUL-terminated, on the heap (the caller frees it), and
 * its length; NULL (nothing to free) when a string was not UTF-8 or memory
 * ran out. */
char *json_obj_end(struct json_obj *w, size_t *len);

#endif
