/* random: where libsodium's random bytes come from (randombytes_buf and the
 * rest): per-thread ChaCha20 buffers seeded by the kernel, instead of one
 * system call per draw. See random.c for the construction. */
#ifndef IOTP_RANDOM_H
#define IOTP_RANDOM_H

/* randombytes_implementation_name() once installed. */
#define RANDOM_NAME "iotp-chacha20-fke"

/* Makes every later libsodium draw in this process use it. Call before
 * sodium_init(), as libsodium asks. Returns 0 or -1. */
int random_install(void);

#endif
