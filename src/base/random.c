/* random: libsodium's random bytes from a per-thread buffer, without a system
 * call for each draw.
 *
 * libsodium's default asks the kernel (getrandom) for every draw; a verified
 * flow draws five times (two ids, two nonces, the code) and on this project's
 * virtual machines a system call costs more than what the draw needs. Here each
 * thread keeps a ChaCha20 key seeded from the kernel and expands it a block at
 * a time, with "fast key erasure" (Bernstein, 2017; as OpenBSD's arc4random and
 * Linux's own generator do): the first 32 bytes of each block replace the key,
 * the rest are handed out and wiped as they go. Someone who later reads the
 * process's memory learns neither the bytes already drawn nor the keys that
 * made them. The key is reseeded from the kernel every RESEED_BYTES, and after
 * a fork (a child must not draw what its parent draws next). */
#include "base/random.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define KEY_BYTES crypto_stream_chacha20_KEYBYTES
/* One refill: the next key, then bytes to hand out. */
#define BLOCK 1024
#define RESEED_BYTES (1024 * 1024)

struct state {
	unsigned char key[KEY_BYTES];
	unsigned char block[BLOCK];
	size_t next;        /* first byte of block not handed out yet; BLOCK: none left */
	size_t since_seed;  /* bytes handed out since the kernel's seed */
	unsigned fork_seen; /* forks when seeded; differs from forks in a child */
	int seeded;
};

static _Thread_local struct state st;
static unsigned forks;
static pthread_key_t wipe_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void wipe(void *p)
{
	sodium_memzero(p, sizeof(struct state));
}

/* In a fork's child, which has only the forking thread: its state came from
 * the parent, who will go on drawing the same bytes. */
static void after_fork_child(void)
{
	forks++;
}

static void setup(void)
{
	pthread_key_create(&wipe_key, wipe);
	pthread_atfork(NULL, NULL, after_fork_child);
}

static void seed(void)
{
	randombytes_sysrandom_implementation.buf(st.key, sizeof st.key);
	sodium_memzero(st.block, sizeof st.block); /* the old key's, never handed out */
	st.next = BLOCK;
	st.since_seed = 0;
	st.fork_seen = forks;
	if (!st.seeded)
		pthread_setspecific(wipe_key, &st); /* wiped when the thread ends */
	st.seeded = 1;
}

/* The next block from the key; the key is replaced by the block's first
 * bytes, which are never handed out. A key makes one block, so the nonce can
 * stay zero. */
static void refill(void)
{
	static const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
	unsigned char out[KEY_BYTES + BLOCK];
	crypto_stream_chacha20(out, sizeof out, nonce, st.key);
	memcpy(st.key, out, KEY_BYTES);
	memcpy(st.block, out + KEY_BYTES, BLOCK);
	sodium_memzero(out, sizeof out);
	st.next = 0;
}

static void draw(void *buf, size_t size)
{
	unsigned char *p = buf;
	if (!st.seeded || st.fork_seen != forks || st.since_seed >= RESEED_BYTES)
		seed();
	st.since_seed += size;
	while (size > 0) {
		if (st.next == BLOCK)
			refill();
		size_t n = BLOCK - st.next < size ? BLOCK - st.next : size;
		memcpy(p, st.block + st.next, n);
		sodium_memzero(st.block + st.next, n);
		st.next += n;
		p += n;
		size -= n;
	}
}

static uint32_t draw32(void)
{
	uint32_t v;
	draw(&v, sizeof v);
	return v;
}

static const char *name(void)
{
	return RANDOM_NAME;
}

static struct randombytes_implementation impl = {
	.implementation_name = name,
	.random = draw32,
	.stir = NULL,
	.uniform = NULL, /* libsodium's rejection sampling over draw32 */
	.buf = draw,
	.close = NULL,
};

int random_install(void)
{
	pthread_once(&once, setup);
	return randombytes_set_implementation(&impl) == 0 ? 0 : -1;
}
