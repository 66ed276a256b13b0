/* core/record.h: the facades' JSON records and their one read-change-write
 * loop, on the real SQLite store. Parallel writers never lose an update, and
 * a bound decided inside the change holds however many race. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/record.h"
#include "tmp_store.h"

#define T0 1800000000000LL

static void get_put_roundtrip(void **state)
{
	struct tmp_store *f = *state;
	struct store_record rec = {0};
	int rc;
	assert_null(record_get(f->st, "k", "a|1", T0, &rec, &rc));
	assert_int_equal(rc, STORE_NOT_FOUND);
	json_t *j = json_pack("{s:s, s:I}", "name", "x", "n", (json_int_t)7);
	assert_int_equal(record_put(f->st, &rec, "k", "a|1", j, T0 + 1000, T0), 0);
	/* A second "new" write of the same key loses. */
	struct store_record fresh = {0};
	assert_int_equal(record_put(f->st, &fresh, "k", "a|1", j, 0, T0), STORE_CONFLICT);
	json_decref(j);
	j = record_get(f->st, "k", "a|1", T0, &rec, &rc);
	assert_non_null(j);
	assert_string_equal(record_str(j, "name"), "x");
	assert_int_equal(record_int(j, "n"), 7);
	assert_string_equal(record_str(j, "missing"), "");
	assert_string_equal(record_str(NULL, "name"), "");
	json_decref(j);
	/* Expired: absent. */
	assert_null(record_get(f->st, "k", "a|1", T0 + 1000, &rec, &rc));
	assert_int_equal(rc, STORE_NOT_FOUND);
}

struct bounded {
	int max;
};

/* Adds one to "n" unless it reached max. */
static enum record_change add_one(json_t **j, int64_t *expires_at, void *arg)
{
	const struct bounded *b = arg;
	(void)expires_at;
	int64_t n = record_int(*j, "n");
	if (n >= b->max)
		return RECORD_STOP;
	if (!*j)
		*j = json_object();
	json_object_set_new(*j, "n", json_integer(n + 1));
	return RECORD_WRITE;
}

struct racer {
	struct store *st;
	struct bounded *b;
	int won;
	int stopped;
	int failed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 25; i++) {
		int rc = record_update(r->st, "count", "app", T0, add_one, r->b, NULL);
		if (rc == 0)
			r->won++;
		else if (rc == RECORD_STOPPED)
			r->stopped++;
		else
			r->failed++;
	}
	return NULL;
}

/* 8 threads x 25 tries at a bound of 60: exactly 60 win, the rest are told
 * no, and the stored count is 60. */
static void update_holds_a_bound_under_parallel_writers(void **state)
{
	struct tmp_store *f = *state;
	struct bounded b = {60};
	struct racer r[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		r[i] = (struct racer){.st = f->st, .b = &b};
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	int won = 0, stopped = 0, failed = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		won += r[i].won;
		stopped += r[i].stopped;
		failed += r[i].failed;
	}
	/* A writer that lost 16 races in a row gives up (-1): never a lost or
	 * a double count. */
	assert_int_equal(won, 60);
	assert_int_equal(won + stopped + failed, 200);
	struct store_record rec;
	int rc;
	json_t *j = record_get(f->st, "count", "app", T0, &rec, &rc);
	assert_non_null(j);
	assert_int_equal(record_int(j, "n"), 60);
	json_decref(j);
	/* STOPPED hands back the record as read. */
	json_t *seen = NULL;
	assert_int_equal(record_update(f->st, "count", "app", T0, add_one, &b, &seen), RECORD_STOPPED);
	assert_int_equal(record_int(seen, "n"), 60);
	json_decref(seen);
}

/* Keys "<app>|<id>" keep one app's records together: a listing from
 * "<app>|" reads that app's first. */
struct seen {
	char keys[8][STORE_RECORD_KEY_MAX];
	int n;
};

static void collect(const struct store_record *r, void *arg)
{
	struct seen *s = arg;
	if (s->n < 8)
		snprintf(s->keys[s->n++], STORE_RECORD_KEY_MAX, "%s", r->key);
}

static void list_reads_in_key_order_after_a_prefix(void **state)
{
	struct tmp_store *f = *state;
	const char *keys[] = {"b|2", "a|1", "ab|1", "a|2", "b|1"};
	json_t *j = json_object();
	for (size_t i = 0; i < 5; i++) {
		struct store_record rec = {0};
		assert_int_equal(record_put(f->st, &rec, "svc", keys[i], j, 0, T0), 0);
	}
	json_decref(j);
	struct seen s = {0};
	assert_int_equal(record_list(f->st, "svc", "a|", 3, T0, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.keys[0], "a|1");
	assert_string_equal(s.keys[1], "a|2");
	/* Past the prefix ("ab|1" sorts before "a|": 'b' < '|'): a reader of
	 * app a's records stops here. */
	assert_string_equal(s.keys[2], "b|1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(get_put_roundtrip, tmp_store_setup,
						tmp_store_teardown),
		cmocka_unit_test_setup_teardown(update_holds_a_bound_under_parallel_writers, tmp_store_setup,
						tmp_store_teardown),
		cmocka_unit_test_setup_teardown(list_reads_in_key_order_after_a_prefix, tmp_store_setup,
						tmp_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
