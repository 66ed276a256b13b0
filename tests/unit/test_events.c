/* The events store's lease (a claim is a compare-and-swap that holds under
 * parallel claims; a lease that ends gives the event back), the skip of busy
 * destinations (the breaker per destination is base/'s: test_breaker.c). */
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

#include "store/store.h"
#include "tmp_store.h"

#define T0 ((int64_t)1800000000000)
#define S(x) ((int64_t)(x) * 1000)

/* Writes a pending event due at `due`. */
static void add_event(struct tmp_store *f, const char *id, const char *type, const char *app,
		      int64_t due)
{
	static struct store_event e;
	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.type, sizeof e.type, "%s", type);
	snprintf(e.app, sizeof e.app, "%s", app);
	snprintf(e.account_id, sizeof e.account_id, "acct-%s", id);
	snprintf(e.payload, sizeof e.payload, "{}");
	e.created_at = due;
	e.next_attempt_at = due;
	struct store_account_write w = {.events = {&e}, .n_events = 1};
	assert_int_equal(store_account_write(f->st, &w), 0);
}

static void lease_hides_the_event_until_it_ends(void **state)
{
	struct tmp_store *f = *state;
	struct store_event got[4];
	size_t n;
	add_event(f, "ev1", "account.registered", "a", T0);
	assert_int_equal(store_event_claim(f->st, T0, T0 + S(90), NULL, got, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].id, "ev1");
	assert_int_equal(got[0].attempts, 1);
	assert_true(got[0].next_attempt_at == T0 + S(90));
	/* Leased: no other claim gets it, however often it asks. */
	assert_int_equal(store_event_claim(f->st, T0 + S(1), T0 + S(91), NULL, got, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_event_claim(f->st, T0 + S(89), T0 + S(179), NULL, got, 4, &n), 0);
	assert_int_equal(n, 0);
	/* The claimer died: the event comes back when the lease ends. */
	assert_int_equal(store_event_claim(f->st, T0 + S(90), T0 + S(180), NULL, got, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].attempts, 2);
	/* Put back untried: the attempt is given back, and it waits as told. */
	got[0].attempts--;
	got[0].next_attempt_at = T0 + S(300);
	snprintf(got[0].error, sizeof got[0].error, "resting");
	assert_int_equal(store_event_finish(f->st, got, 1), 0);
	assert_int_equal(store_event_claim(f->st, T0 + S(299), T0 + S(400), NULL, got, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_event_claim(f->st, T0 + S(300), T0 + S(400), NULL, got, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].attempts, 2);
	assert_string_equal(got[0].error, "resting");
	got[0].state = STORE_EVENT_DELIVERED;
	got[0].delivered_at = T0 + S(301);
	assert_int_equal(store_event_finish(f->st, got, 1), 0);
	assert_int_equal(store_event_claim(f->st, T0 + S(10000), T0 + S(10090), NULL, got, 4, &n), 0);
	assert_int_equal(n, 0);
}

static void claims_pass_over_busy_destinations(void **state)
{
	struct tmp_store *f = *state;
	struct store_event got[8];
	size_t n;
	add_event(f, "a1", "account.registered", "a", T0);
	add_event(f, "m1", "mail.pin_reset", "a", T0 + 1);
	add_event(f, "b1", "account.registered", "b", T0 + 2);
	add_event(f, "a2", "account.closed", "a", T0 + 3);
	struct store_event_skip skip = {.apps = {"a"}, .n_apps = 1, .mail = 1};
	assert_int_equal(store_event_claim(f->st, T0 + S(1), T0 + S(90), &skip, got, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].id, "b1");
	/* An e-mail of app a goes to the SMTP server, not to a's webhook. */
	skip = (struct store_event_skip){.apps = {"a", "b"}, .n_apps = 2};
	assert_int_equal(store_event_claim(f->st, T0 + S(1), T0 + S(90), &skip, got, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].id, "m1");
	assert_int_equal(store_event_claim(f->st, T0 + S(1), T0 + S(90), NULL, got, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].id, "a1");
	assert_string_equal(got[1].id, "a2");
}

#define EVENTS 300
#define CLAIMERS 8

struct claimer {
	struct store *st;
	int claimed[EVENTS];
	int n;
	int failed;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct store_event got[3];
	for (;;) {
		size_t n = 0;
		if (store_event_claim(c->st, T0 + S(1), T0 + S(90), NULL, got, 3, &n) != 0) {
			c->failed++;
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			c->claimed[c->n++] = atoi(got[i].id + 2);
	}
	return NULL;
}

static void parallel_claims_take_each_event_once(void **state)
{
	struct tmp_store *f = *state;
	for (int i = 0; i < EVENTS; i++) {
		char id[16];
		snprintf(id, sizeof id, "ev%d", i);
		add_event(f, id, i % 5 ? "account.registered" : "mail.pin_reset", i % 2 ? "a" : "b", T0 + i);
	}
	static struct claimer c[CLAIMERS];
	pthread_t th[CLAIMERS];
	for (int i = 0; i < CLAIMERS; i++) {
		memset(&c[i], 0, sizeof c[i]);
		c[i].st = f->st;
		assert_int_equal(pthread_create(&th[i], NULL, claim_all, &c[i]), 0);
	}
	for (int i = 0; i < CLAIMERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	int seen[EVENTS] = {0}, total = 0;
	for (int i = 0; i < CLAIMERS; i++) {
		assert_int_equal(c[i].failed, 0);
		total += c[i].n;
		for (int k = 0; k < c[i].n; k++)
			seen[c[i].claimed[k]]++;
	}
	assert_int_equal(total, EVENTS);
	for (int i = 0; i < EVENTS; i++)
		assert_int_equal(seen[i], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lease_hides_the_event_until_it_ends, tmp_store_setup,
						tmp_store_teardown),
		cmocka_unit_test_setup_teardown(claims_pass_over_busy_destinations, tmp_store_setup,
						tmp_store_teardown),
		cmocka_unit_test_setup_teardown(parallel_claims_take_each_event_once, tmp_store_setup,
						tmp_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
