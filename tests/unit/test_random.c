/* base/random.c: once installed, libsodium's draws come from it, differ
 * between threads and between a parent and its forked child, and look like
 * uniform bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/random.h"

static void test_installed(void **state)
{
	(void)state;
	assert_string_equal(randombytes_implementation_name(), RANDOM_NAME);
}

/* A million bytes drawn in pieces of every size up to 3 blocks: no 16-byte
 * piece repeats, and the byte counts pass a chi-square test far wider than
 * chance could fail (255 degrees of freedom: mean 255, sd 22.6; 450 is over 8
 * sd), while a generator that repeated a block or a stuck byte fails it. */
static void test_uniform(void **state)
{
	(void)state;
	enum { TOTAL = 1 << 20 };
	unsigned char *all = malloc(TOTAL);
	assert_non_null(all);
	size_t at = 0, piece = 1;
	while (at < TOTAL) {
		size_t n = piece < TOTAL - at ? piece : TOTAL - at;
		randombytes_buf(all + at, n);
		at += n;
		piece = piece % 3100 + 7;
	}
	double count[256] = {0};
	for (size_t i = 0; i < TOTAL; i++)
		count[all[i]]++;
	double expect = TOTAL / 256.0, chi = 0;
	for (int b = 0; b < 256; b++)
		chi += (count[b] - expect) * (count[b] - expect) / expect;
	assert_true(chi < 450);
	/* Pieces 16 bytes apart never match: a refill that replayed a block
	 * would. */
	for (size_t i = 0; i + 16 <= 65536; i += 16)
		for (size_t j = i + 16; j + 16 <= 65536; j += 4096 + 16)
			assert_memory_not_equal(all + i, all + j, 16);
	free(all);
}

static void *draw_in_thread(void *out)
{
	randombytes_buf(out, 32);
	return NULL;
}

static void test_threads_differ(void **state)
{
	(void)state;
	unsigned char a[32], b[32], mine[32];
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, draw_in_thread, a), 0);
	assert_int_equal(pthread_create(&tb, NULL, draw_in_thread, b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	randombytes_buf(mine, sizeof mine);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, mine, 32);
	assert_memory_not_equal(b, mine, 32);
}

/* The forked child's first draw must not be what the parent draws next: both
 * start from the same buffer in memory. */
static void test_fork_child_differs(void **state)
{
	(void)state;
	unsigned char warm[8], parent[32], child[32];
	randombytes_buf(warm, sizeof warm); /* this thread's buffer is full now */
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char mine[32];
		randombytes_buf(mine, sizeof mine);
		_exit(write(fd[1], mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 1);
	}
	randombytes_buf(parent, sizeof parent);
	close(fd[1]);
	assert_int_equal(read(fd[0], child, sizeof child), (ssize_t)sizeof child);
	close(fd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_memory_not_equal(parent, child, sizeof parent);
}

/* randombytes_uniform, as codes are drawn, stays below its bound and reaches
 * every value. */
static void test_uniform_below(void **state)
{
	(void)state;
	int seen[10] = {0};
	for (int i = 0; i < 10000; i++) {
		uint32_t v = randombytes_uniform(10);
		assert_true(v < 10);
		seen[v]++;
	}
	for (int d = 0; d < 10; d++)
		assert_true(seen[d] > 800 && seen[d] < 1200);
}

int main(void)
{
	if (random_install() < 0 || sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_threads_differ),
		cmocka_unit_test(test_fork_child_differs),
		cmocka_unit_test(test_uniform_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
