/* compat_upgrade: Twilio services written by the first release (keyed by
 * their bare sid) move under their app's key at start-up, so the app that
 * made them still finds them and its service count includes them; a second
 * start, or a second node, moves nothing twice. On the real SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "compat/compat.h"
#include "core/core.h"
#include "core/record.h"
#include "tmp_store.h"

#define SID_A1 "VA00000000000000000000000000000a01"
#define SID_A2 "VA00000000000000000000000000000a02"
#define SID_B1 "VA00000000000000000000000000000b01"

struct fixture {
	struct core core; /* only its store: core.store is ts.st */
	struct tmp_store ts;
};

static void put_old(struct store *st, const char *sid, const char *app, const char *name)
{
	struct store_record rec = {0};
	json_t *j = json_pack("{s:s, s:s, s:I, s:I}", "app", app, "friendly_name", name, "created",
			      (json_int_t)1, "updated", (json_int_t)1);
	assert_int_equal(record_put(st, &rec, "tw_service", sid, j, 0, clock_now_ms()), 0);
	json_decref(j);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (tmp_store_open(&f->ts, "upgrade") < 0)
		return -1;
	f->core.store = f->ts.st;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = tmp_store_close(&f->ts);
	free(f);
	return rc;
}

static int64_t count_of(struct store *st, const char *app)
{
	struct store_record rec;
	int rc;
	json_t *j = record_get(st, "tw_svc_count", app, clock_now_ms(), &rec, &rc);
	int64_t n = record_int(j, "n");
	json_decref(j);
	return n;
}

static void assert_moved(struct store *st, const char *app, const char *sid, const char *name)
{
	char key[STORE_RECORD_KEY_MAX];
	struct store_record rec;
	int rc;
	snprintf(key, sizeof key, "%s|%s", app, sid);
	json_t *j = record_get(st, "tw_service", key, clock_now_ms(), &rec, &rc);
	assert_non_null(j);
	assert_string_equal(record_str(j, "friendly_name"), name);
	json_decref(j);
	assert_null(record_get(st, "tw_service", sid, clock_now_ms(), &rec, &rc));
	assert_int_equal(rc, STORE_NOT_FOUND);
}

static void old_services_move_under_their_app(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->core.store;
	put_old(st, SID_A1, "a", "first");
	put_old(st, SID_A2, "a", "second");
	put_old(st, SID_B1, "b", "other app");
	char err[256];
	assert_int_equal(compat_upgrade(&f->core, err, sizeof err), 0);
	assert_moved(st, "a", SID_A1, "first");
	assert_moved(st, "a", SID_A2, "second");
	assert_moved(st, "b", SID_B1, "other app");
	assert_int_equal(count_of(st, "a"), 2);
	assert_int_equal(count_of(st, "b"), 1);
	/* A second start finds nothing left to move, and counts nothing twice. */
	assert_int_equal(compat_upgrade(&f->core, err, sizeof err), 0);
	assert_int_equal(count_of(st, "a"), 2);
	assert_int_equal(count_of(st, "b"), 1);
}

static void a_move_another_node_made_is_not_counted_again(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->core.store;
	/* Another node wrote the new record (and counted it), then stopped
	 * before the old one was gone. */
	put_old(st, SID_A1, "a", "first");
	struct store_record rec = {0};
	json_t *j = json_pack("{s:s, s:s}", "app", "a", "friendly_name", "first");
	assert_int_equal(record_put(st, &rec, "tw_service", "a|" SID_A1, j, 0, clock_now_ms()), 0);
	json_decref(j);
	memset(&rec, 0, sizeof rec);
	j = json_pack("{s:I}", "n", (json_int_t)1);
	assert_int_equal(record_put(st, &rec, "tw_svc_count", "a", j, 0, clock_now_ms()), 0);
	json_decref(j);
	char err[256];
	assert_int_equal(compat_upgrade(&f->core, err, sizeof err), 0);
	assert_moved(st, "a", SID_A1, "first");
	assert_int_equal(count_of(st, "a"), 1);
}

static void todays_services_are_left_alone(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->core.store;
	struct store_record rec = {0};
	json_t *j = json_pack("{s:s, s:s}", "app", "a", "friendly_name", "new");
	assert_int_equal(record_put(st, &rec, "tw_service", "a|" SID_A2, j, 0, clock_now_ms()), 0);
	json_decref(j);
	char err[256];
	assert_int_equal(compat_upgrade(&f->core, err, sizeof err), 0);
	j = record_get(st, "tw_service", "a|" SID_A2, clock_now_ms(), &rec, &(int){0});
	assert_non_null(j);
	assert_int_equal(rec.version, 1); /* not rewritten */
	json_decref(j);
	assert_int_equal(count_of(st, "a"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(old_services_move_under_their_app, setup, teardown),
		cmocka_unit_test_setup_teardown(a_move_another_node_made_is_not_counted_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(todays_services_are_left_alone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
