#include "policy/waits.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WAITS_SLOTS 8192 /* a power of two */
#define WAITS_STRIPES 64

struct slot {
	uint64_t hash; /* 0: empty */
	int64_t until;
};

struct waits {
	unsigned char key[crypto_shorthash_KEYBYTES];
	pthread_mutex_t stripe[WAITS_STRIPES];
	struct slot slots[WAITS_SLOTS];
};

struct waits *waits_new(void)
{
	struct waits *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	crypto_shorthash_keygen(w->key);
	for (int i = 0; i < WAITS_STRIPES; i++)
		pthread_mutex_init(&w->stripe[i], NULL);
	return w;
}

void waits_free(struct waits *w)
{
	if (!w)
		return;
	for (int i = 0; i < WAITS_STRIPES; i++)
		pthread_mutex_destroy(&w->stripe[i]);
	sodium_memzero(w->key, sizeof w->key);
	free(w);
}

static uint64_t hash_of(const struct waits *w, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;
	crypto_shorthash(out, (const unsigned char *)key, strlen(key), w->key);
	memcpy(&h, out, sizeof h);
	return h ? h : 1;
}

void waits_note(struct waits *w, const char *key, int64_t until)
{
	uint64_t h = hash_of(w, key);
	size_t i = h & (WAITS_SLOTS - 1);
	pthread_mutex_t *m = &w->stripe[i % WAITS_STRIPES];
	pthread_mutex_lock(m);
	w->slots[i] = (struct slot){h, until};
	pthread_mutex_unlock(m);
}

int64_t waits_until(struct waits *w, const char *key, int64_t now)
{
	uint64_t h = hash_of(w, key);
	size_t i = h & (WAITS_SLOTS - 1);
	pthread_mutex_t *m = &w->stripe[i % WAITS_STRIPES];
	pthread_mutex_lock(m);
	struct slot s = w->slots[i];
	pthread_mutex_unlock(m);
	return s.hash == h && s.until > now ? s.until : 0;
}
