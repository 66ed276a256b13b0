/* phone_parse with a cache in front of the library: a bounded table of the
 * last inputs seen, direct-mapped by a hash of (input, region), each slot
 * holding what the library answered. The library's answer depends on nothing
 * but its arguments and the numbering plans loaded once at start-up, so a hit
 * is exactly what a call would have returned. Inputs longer than a slot's key
 * go to the library every time. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "phone/phone.h"

#define SLOTS 4096 /* ~0.5 MB at most, touched only as used */
#define STRIPES 64
#define KEY_MAX 48 /* what people type: "+44 (0) 7911 123-456" fits */

struct slot {
	char key[KEY_MAX];   /* input, '\0', region; all zero when empty */
	enum phone_status status;
	struct phone_number number;
};

static struct slot slots[SLOTS];
static pthread_mutex_t stripes[STRIPES] = {
#define M PTHREAD_MUTEX_INITIALIZER
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
#undef M
};

/* Builds the slot key; returns its length with both '\0's, or 0 if too long. */
static size_t make_key(const char *input, const char *region, char key[KEY_MAX])
{
	size_t a = strlen(input), b = region ? strlen(region) : 0;
	if (a + b + 2 > KEY_MAX)
		return 0;
	memset(key, 0, KEY_MAX);
	memcpy(key, input, a);
	if (b)
		memcpy(key + a + 1, region, b);
	return a + b + 2;
}

static uint32_t hash(const char *key, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

enum phone_status phone_parse(const char *input, const char *region, struct phone_number *out)
{
	char key[KEY_MAX];
	size_t n = input ? make_key(input, region, key) : 0;
	if (!n || !key[0])
		return phone_parse_uncached(input, region, out);
	uint32_t h = hash(key, n);
	struct slot *s = &slots[h % SLOTS];
	pthread_mutex_t *m = &stripes[h % STRIPES];
	pthread_mutex_lock(m);
	if (memcmp(s->key, key, KEY_MAX) == 0) {
		enum phone_status st = s->status;
		if (out)
			*out = s->number;
		pthread_mutex_unlock(m);
		return st;
	}
	pthread_mutex_unlock(m);
	struct phone_number got;
	enum phone_status st = phone_parse_uncached(input, region, &got);
	pthread_mutex_lock(m);
	memcpy(s->key, key, KEY_MAX);
	s->status = st;
	s->number = got;
	pthread_mutex_unlock(m);
	if (out)
		*out = got;
	return st;
}
