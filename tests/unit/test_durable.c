/* base/durable.c: what a thread owes and who hears of its commit. The source
 * here is a plain recorder (the SQLite store is one through its commits; the
 * e2e suite runs that one): it holds watches until the test "commits". */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/durable.h"

struct recorder {
	uint64_t committed;
	int failed;
	struct durable_watch *watches;
};

static int rec_outcome(void *state, uint64_t group)
{
	struct recorder *r = state;
	if (r->committed < group)
		return 0;
	return r->failed ? -1 : 1;
}

static void rec_watch(void *state, struct durable_watch *w)
{
	struct recorder *r = state;
	if (r->committed >= w->group) {
		w->fn(w, !r->failed);
		return;
	}
	w->next = r->watches;
	r->watches = w;
}

/* Commits through group: fires the watches it covers. */
static void rec_commit(struct recorder *r, uint64_t group, int failed)
{
	r->committed = group;
	r->failed = failed;
	struct durable_watch **p = &r->watches;
	while (*p) {
		struct durable_watch *w = *p;
		if (w->group <= group) {
			*p = w->next;
			w->fn(w, !failed);
		} else {
			p = &w->next;
		}
	}
}

static const struct durable_source recorder_source = {.outcome = rec_outcome, .watch = rec_watch};

struct heard {
	struct durable_watch w;
	int calls, ok;
};

static void hear(struct durable_watch *w, int ok)
{
	struct heard *h = (struct heard *)((char *)w - offsetof(struct heard, w));
	h->calls++;
	h->ok = ok;
}

static void clear_owed(void)
{
	struct durable_owed o;
	while (durable_take(&o))
		;
}

static void nothing_owed_is_heard_at_once(void **state)
{
	(void)state;
	clear_owed();
	struct heard h = {.w.fn = hear};
	durable_after(&h.w);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.ok, 1);
	struct durable_owed o;
	assert_int_equal(durable_take(&o), 0);
}

static void an_owed_group_is_heard_when_it_commits(void **state)
{
	(void)state;
	clear_owed();
	struct recorder r = {.committed = 4};
	assert_int_equal(durable_owe(&recorder_source, &r, 7), 0);
	struct heard h = {.w.fn = hear};
	durable_after(&h.w);
	assert_int_equal(h.calls, 0);
	assert_int_equal(h.w.group, 7);
	/* What the thread owes stays owed: its answer still waits for it. */
	assert_int_equal(durable_owed_to(&r), 7);
	rec_commit(&r, 6, 0);
	assert_int_equal(h.calls, 0);
	rec_commit(&r, 7, 0);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.ok, 1);
	struct durable_owed o;
	assert_int_equal(durable_take(&o), 1);
	assert_ptr_equal(o.state, &r);
	assert_int_equal(o.group, 7);
	assert_int_equal(durable_take(&o), 0);
}

static void a_failed_commit_is_heard_as_such(void **state)
{
	(void)state;
	clear_owed();
	struct recorder r = {0};
	assert_int_equal(durable_owe(&recorder_source, &r, 2), 0);
	struct heard h = {.w.fn = hear};
	durable_after(&h.w);
	rec_commit(&r, 2, 1);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.ok, 0);
	clear_owed();
}

static void a_later_group_replaces_an_earlier_one(void **state)
{
	(void)state;
	clear_owed();
	struct recorder r = {0}, other = {0};
	assert_int_equal(durable_owe(&recorder_source, &r, 3), 0);
	assert_int_equal(durable_owe(&recorder_source, &r, 5), 0);
	assert_int_equal(durable_owe(&recorder_source, &r, 4), 0); /* groups commit in order */
	assert_int_equal(durable_owed_to(&r), 5);
	/* One source at a time: another store must wait for its own commit. */
	assert_int_equal(durable_owe(&recorder_source, &other, 9), -1);
	assert_int_equal(durable_owed_to(&other), 0);
	clear_owed();
}

static void *other_thread(void *arg)
{
	struct recorder *r = arg;
	return (void *)(uintptr_t)durable_owed_to(r);
}

static void what_one_thread_owes_is_its_own(void **state)
{
	(void)state;
	clear_owed();
	struct recorder r = {0};
	durable_defer(1);
	assert_int_equal(durable_deferring(), 1);
	assert_int_equal(durable_owe(&recorder_source, &r, 8), 0);
	pthread_t t;
	void *seen;
	assert_int_equal(pthread_create(&t, NULL, other_thread, &r), 0);
	assert_int_equal(pthread_join(t, &seen), 0);
	assert_int_equal((uintptr_t)seen, 0);
	assert_int_equal(durable_owed_to(&r), 8);
	durable_defer(0);
	assert_int_equal(durable_deferring(), 0);
	clear_owed();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nothing_owed_is_heard_at_once),
	    cmocka_unit_test(an_owed_group_is_heard_when_it_commits),
	    cmocka_unit_test(a_failed_commit_is_heard_as_such),
	    cmocka_unit_test(a_later_group_replaces_an_earlier_one),
	    cmocka_unit_test(what_one_thread_owes_is_its_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
