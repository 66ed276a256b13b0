/* waits: what this node knows of a refused bucket — "no token before T".
 *
 * A bucket refills only with time (a right code takes nothing back from
 * check_failed, and no request gives tokens back), so once the store says a
 * bucket lacks a token until T, every take on it before T is refused, on this
 * node and on every other. Remembering T lets a flood of refused requests be
 * answered without asking the store: a refusal costs a hash lookup instead of
 * a round on the writer. Other nodes' takes only lower a bucket, so T is never
 * too late; a limit loosened by a restart starts with an empty table.
 *
 * Fixed size and keyed: the slot of a key is its SipHash under a random key
 * made at start, so nobody can choose a number or an address whose slot evicts
 * or impersonates another's; a slot taken by another key only costs the next
 * request a trip to the store. */
#ifndef IOTP_WAITS_H
#define IOTP_WAITS_H

#include <stdint.h>

struct waits;

/* NULL when out of memory. */
struct waits *waits_new(void);
void waits_free(struct waits *w);

/* Bucket key cannot grant a token before until (ms). */
void waits_note(struct waits *w, const char *key, int64_t until);
/* The time before which key cannot grant, when it is known and after now;
 * else 0. */
int64_t waits_until(struct waits *w, const char *key, int64_t now);

#endif
