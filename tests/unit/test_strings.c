/* base/alloc.h's string builders: strjoin, used for every request's bucket
 * and counter keys, must never overrun and must say when it cut; strpast
 * ends a range of keys by prefix. And
 * base/seal.h's ids by time: they must sort as their times do (that is what
 * keeps a group commit's pages few) and stay unguessable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/seal.h"

#define STR_ID 64

static void joins_up_to_three_parts(void **state)
{
	(void)state;
	char out[32];
	assert_int_equal(strjoin(out, sizeof out, "create|number", "|", "+447400123456"), 0);
	assert_string_equal(out, "create|number|+447400123456");
	assert_int_equal(strjoin(out, sizeof out, "p5|", "44740", NULL), 0);
	assert_string_equal(out, "p5|44740");
	assert_int_equal(strjoin(out, sizeof out, "only", NULL, NULL), 0);
	assert_string_equal(out, "only");
	assert_int_equal(strjoin(out, sizeof out, "", "", ""), 0);
	assert_string_equal(out, "");
}

static void cuts_to_fit_and_says_so(void **state)
{
	(void)state;
	char out[8];
	memset(out, 'x', sizeof out);
	assert_int_equal(strjoin(out, sizeof out, "abc", "|", "defgh"), -1);
	assert_string_equal(out, "abc|def"); /* 7 bytes and the NUL */
	assert_int_equal(strjoin(out, sizeof out, "abcdefg", NULL, NULL), 0); /* exactly fits */
	assert_string_equal(out, "abcdefg");
	assert_int_equal(strjoin(out, sizeof out, "abcdefgh", NULL, NULL), -1);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(strjoin(out, sizeof out, "abcdefg", "h", NULL), -1);
	assert_string_equal(out, "abcdefg");
	char one[1] = {'x'};
	assert_int_equal(strjoin(one, sizeof one, "a", NULL, NULL), -1);
	assert_int_equal(one[0], '\0');
	assert_int_equal(strjoin(one, 0, "a", NULL, NULL), -1);
}

/* strpast ends a range of keys by prefix: every key that starts with the
 * prefix sorts before it, and the first key that does not, not. */
static void past_every_key_of_a_prefix(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(strpast(out, sizeof out, "sn|"), 0);
	assert_string_equal(out, "sn}");
	const char *in[] = {"sn|", "sn|~~~~", "sn|\xf4\x8f\xbf\xbf"};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		assert_true(strcmp(in[i], out) < 0);
	assert_true(strcmp("sn}", out) >= 0 && strcmp("so", out) > 0);
	assert_int_equal(strpast(out, sizeof out, "a\xff\xff"), 0);
	assert_string_equal(out, "b");
	assert_int_equal(strpast(out, sizeof out, ""), 0);
	assert_string_equal(out, ""); /* nothing is past every string */
	assert_int_equal(strpast(out, sizeof out, "\xff"), 0);
	assert_string_equal(out, "");
	assert_int_equal(strpast(out, 4, "abcd"), -1);
	assert_string_equal(out, "");
}

static void time_ids_sort_as_their_times(void **state)
{
	(void)state;
	/* Every boundary of a character of the time, and the same ms twice. */
	const int64_t t0 = 1800000000000LL;
	const int64_t step[] = {0, 1, 62, 63, 64, 65, 4095, 4096, 262143, 262144, 1LL << 24,
				1LL << 30, 1LL << 36, 1LL << 42};
	char prev[STR_ID], id[STR_ID], same[STR_ID];
	prev[0] = '\0';
	for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
		for (int64_t d = -1; d <= 1; d++) {
			seal_time_id(18, t0 + step[i] + d + (int64_t)i * 3, id, sizeof id);
			assert_int_equal(strlen(id), SEAL_TIME_CHARS + 24);
			assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						    "0123456789-_"),
					 strlen(id));
			if (prev[0])
				assert_true(strcmp(prev, id) < 0);
			memcpy(prev, id, sizeof id);
		}
	}
	/* Made in one millisecond: the same time, never the same id. */
	seal_time_id(12, t0, id, sizeof id);
	seal_time_id(12, t0, same, sizeof same);
	assert_int_equal(strlen(id), SEAL_TIME_CHARS + 16);
	assert_memory_equal(id, same, SEAL_TIME_CHARS);
	assert_string_not_equal(id, same);
	/* Too small a buffer gets an empty string, never an overrun. */
	char tiny[SEAL_TIME_CHARS];
	memset(tiny, 'x', sizeof tiny);
	seal_time_id(12, t0, tiny, sizeof tiny);
	assert_string_equal(tiny, "");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(joins_up_to_three_parts),
		cmocka_unit_test(cuts_to_fit_and_says_so),
		cmocka_unit_test(past_every_key_of_a_prefix),
		cmocka_unit_test(time_ids_sort_as_their_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
