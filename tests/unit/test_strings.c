/* base/alloc.h's string builders: strjoin, used for every request's bucket
 * and counter keys, must never overrun and must say when it cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/alloc.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(joins_up_to_three_parts),
		cmocka_unit_test(cuts_to_fit_and_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
