/* The dev inbox: newest first per number, duplicates dropped, bounded, and
 * reloaded from the log provider's file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "delivery/inbox.h"

static struct inbox_entry entry(const char *id, const char *to, const char *text)
{
	struct inbox_entry e;
	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.to, sizeof e.to, "%s", to);
	snprintf(e.channel, sizeof e.channel, "sms");
	snprintf(e.text, sizeof e.text, "%s", text);
	e.sent_at = 1;
	return e;
}

static char got[64][INBOX_TEXT_MAX];
static int n_got;
static void collect(const struct inbox_entry *e, void *arg)
{
	(void)arg;
	snprintf(got[n_got++], INBOX_TEXT_MAX, "%s", e->text);
}

static int query(struct inbox *ib, const char *to, size_t limit)
{
	n_got = 0;
	inbox_query(ib, to, limit, collect, NULL);
	return n_got;
}

static void newest_first_per_number(void **state)
{
	(void)state;
	struct inbox *ib = inbox_new();
	struct inbox_entry a = entry("1", "+447400000001", "first");
	struct inbox_entry b = entry("2", "+447400000002", "other");
	struct inbox_entry c = entry("3", "+447400000001", "second");
	assert_int_equal(inbox_add(ib, &a), 0);
	assert_int_equal(inbox_add(ib, &b), 0);
	assert_int_equal(inbox_add(ib, &c), 0);
	assert_int_equal(query(ib, "+447400000001", 50), 2);
	assert_string_equal(got[0], "second");
	assert_string_equal(got[1], "first");
	assert_int_equal(query(ib, "+447400000001", 1), 1);
	assert_int_equal(query(ib, "+447400000003", 50), 0);
	assert_int_equal(inbox_add(ib, &a), 1); /* the same message again: dropped */
	assert_int_equal(query(ib, "+447400000001", 50), 2);
	inbox_free(ib);
}

static void bounded_ring_forgets_oldest(void **state)
{
	(void)state;
	struct inbox *ib = inbox_new();
	char id[32], to[20], text[32];
	for (int i = 0; i < INBOX_CAPACITY + 100; i++) {
		snprintf(id, sizeof id, "m%d", i);
		snprintf(to, sizeof to, "+4474%08d", i % 1000);
		snprintf(text, sizeof text, "text %d", i);
		struct inbox_entry e = entry(id, to, text);
		assert_int_equal(inbox_add(ib, &e), 0);
	}
	/* Number 5 got messages 5, 1005, ..., 8005; the ring keeps the last 8192
	 * (100 .. 8291), so 1005 .. 8005 remain: 8 of them. */
	assert_int_equal(query(ib, "+447400000005", 50), 8);
	assert_string_equal(got[0], "text 8005");
	assert_string_equal(got[7], "text 1005");
	inbox_free(ib);
}

static void reloads_from_file(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/inbox-%d.jsonl", IOTP_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"id\":\"a\",\"to\":\"+447400000001\",\"channel\":\"sms\",\"text\":\"Your code: 1\","
	      "\"sent_at\":\"x\",\"sent_at_ms\":5}\n"
	      "not json, a line cut by a crash\n"
	      "{\"id\":\"b\",\"to\":\"+447400000001\",\"channel\":\"voice\",\"text\":\"Your code: 2\","
	      "\"sent_at\":\"x\",\"sent_at_ms\":6}\n",
	      f);
	fclose(f);
	struct inbox *ib = inbox_new();
	assert_int_equal(inbox_load(ib, path), 0);
	assert_int_equal(query(ib, "+447400000001", 50), 2);
	assert_string_equal(got[0], "Your code: 2");
	assert_int_equal(inbox_load(ib, "/nonexistent/file"), 0);
	inbox_free(ib);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newest_first_per_number),
		cmocka_unit_test(bounded_ring_forgets_oldest),
		cmocka_unit_test(reloads_from_file),
	};
	return cmocka_run_group_tests_name("inbox", tests, NULL, NULL);
}
