/* The dashboard's reads of the store (store_activity, store_sessions_recent),
 * for every backend: what they count, in which step, and what they leave out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static const char *const backends[] = {"sqlite"};

struct fixture {
	char dir[256];
	struct store *st;
};

static int setup(void **state)
{
	static int n;
	struct fixture *f = calloc(1, sizeof *f);
	char err[256], url[400];
	snprintf(f->dir, sizeof f->dir, "%s/store-admin-%d-%d", IOTP_TEST_TMP, (int)getpid(), n++);
	snprintf(url, sizeof url, "%s:%s/iotp.db", backends[0], f->dir);
	if (store_open(url, NULL, &f->st, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];
	store_close(f->st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

#define MIN 60000LL
#define T0 (1000 * MIN) /* a minute boundary */

/* A session of region created at created that sent one SMS through provider
 * (state as given), verified at verified (0: never). */
static void add(struct store *st, const char *id, const char *phone, const char *region,
                int64_t created, const char *provider, int state, int64_t verified)
{
	struct store_session s;
	memset(&s, 0, sizeof s);
	snprintf(s.id, sizeof s.id, "%s", id);
	snprintf(s.phone, sizeof s.phone, "%s", phone);
	snprintf(s.region, sizeof s.region, "%s", region);
	snprintf(s.number_type, sizeof s.number_type, "mobile");
	snprintf(s.app, sizeof s.app, "default");
	s.created_at = created;
	s.expires_at = created + 30 * MIN;
	s.version = 1;
	assert_int_equal(store_session_insert(st, &s), 0);
	if (!provider)
		return;
	struct store_message m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "m-%s", id);
	snprintf(m.session_id, sizeof m.session_id, "%s", id);
	snprintf(m.to, sizeof m.to, "%s", phone);
	snprintf(m.region, sizeof m.region, "%s", region);
	snprintf(m.channel, sizeof m.channel, "sms");
	snprintf(m.provider, sizeof m.provider, "%s", provider);
	m.state = state;
	m.created_at = created + 1000;
	m.next_attempt_at = m.created_at;
	s.sms_sent = 1;
	s.version = 2;
	assert_int_equal(store_session_update(st, &s, &m, NULL), 0);
	if (verified) {
		s.verified_at = verified;
		s.version = 3;
		assert_int_equal(store_session_update(st, &s, NULL, NULL), 0);
	}
}

struct seen {
	int64_t minute_sent[4], minute_verified[4];
	int64_t country[3][2];  /* GB, FR, other */
	int64_t provider[2][2]; /* kannel, http */
	int64_t delivered, failed, queued, other;
};

static void collect(const struct store_activity *a, void *arg)
{
	struct seen *s = arg;
	switch (a->kind) {
	case STORE_ACT_MINUTE: {
		int64_t i = (a->at - T0) / MIN;
		assert_true(i >= 0 && i < 4);
		assert_int_equal(a->at, T0 + i * MIN); /* at the step's start */
		s->minute_sent[i] += a->n[0];
		s->minute_verified[i] += a->n[1];
		break;
	}
	case STORE_ACT_COUNTRY: {
		int k = !strcmp(a->key, "GB") ? 0 : !strcmp(a->key, "FR") ? 1 : 2;
		s->country[k][0] += a->n[0];
		s->country[k][1] += a->n[1];
		break;
	}
	case STORE_ACT_PROVIDER: {
		int k = !strcmp(a->key, "kannel") ? 0 : 1;
		assert_true(!strcmp(a->key, "kannel") || !strcmp(a->key, "http"));
		s->provider[k][0] += a->n[0];
		s->provider[k][1] += a->n[1];
		break;
	}
	case STORE_ACT_STATUS:
		if (!strcmp(a->key, "delivered"))
			s->delivered += a->n[0];
		else if (!strcmp(a->key, "failed"))
			s->failed += a->n[0];
		else if (!strcmp(a->key, "queued"))
			s->queued += a->n[0];
		else
			s->other += a->n[0];
		break;
	default:
		fail_msg("unknown kind %d", a->kind);
	}
}

static void activity_counts_by_step_country_provider_status(void **state)
{
	struct fixture *f = *state;
	/* Before the range: counted nowhere. */
	add(f->st, "old", "+447400000001", "GB", T0 - 10 * MIN, "kannel", STORE_MSG_DELIVERED,
	    T0 - 9 * MIN);
	add(f->st, "a", "+447400000002", "GB", T0 + 5000, "kannel", STORE_MSG_DELIVERED,
	    T0 + MIN + 5000);
	add(f->st, "b", "+447400000003", "GB", T0 + MIN + 1, "http", STORE_MSG_FAILED, 0);
	add(f->st, "c", "+33612345678", "FR", T0 + 2 * MIN, "kannel", STORE_MSG_DELIVERED,
	    T0 + 3 * MIN + 1);
	/* A session that never sent a code counts for no country. */
	add(f->st, "d", "+33612345679", "FR", T0 + 2 * MIN, NULL, 0, 0);
	struct seen s;
	memset(&s, 0, sizeof s);
	assert_int_equal(store_activity(f->st, T0, MIN, collect, &s), 0);
	assert_int_equal(s.minute_sent[0], 1);
	assert_int_equal(s.minute_sent[1], 1);
	assert_int_equal(s.minute_sent[2], 1);
	assert_int_equal(s.minute_verified[1], 1);
	assert_int_equal(s.minute_verified[3], 1);
	assert_int_equal(s.country[0][0], 2);
	assert_int_equal(s.country[0][1], 1);
	assert_int_equal(s.country[1][0], 1);
	assert_int_equal(s.country[1][1], 1);
	assert_int_equal(s.country[2][0], 0);
	assert_int_equal(s.provider[0][0], 2);
	assert_int_equal(s.provider[0][1], 2);
	assert_int_equal(s.provider[1][0], 1);
	assert_int_equal(s.provider[1][1], 0);
	assert_int_equal(s.delivered, 2);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.queued + s.other, 0);
	/* A step of zero is refused, not divided by. */
	assert_int_equal(store_activity(f->st, T0, 0, collect, &s), -1);
}

struct recent {
	int n;
	char ids[8][48];
	int any_code;
};

static void collect_recent(const struct store_session *s, void *arg)
{
	struct recent *r = arg;
	snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", s->id);
	if (s->code_sealed_len)
		r->any_code = 1;
}

static void recent_sessions_newest_first_within_limit(void **state)
{
	struct fixture *f = *state;
	add(f->st, "old", "+447400000001", "GB", T0 - MIN, NULL, 0, 0);
	add(f->st, "a", "+447400000002", "GB", T0 + 1, NULL, 0, 0);
	add(f->st, "b", "+447400000003", "GB", T0 + 2, "kannel", STORE_MSG_QUEUED, T0 + 3);
	add(f->st, "c", "+447400000004", "GB", T0 + 3, NULL, 0, 0);
	struct recent r = {0};
	assert_int_equal(store_sessions_recent(f->st, T0, 2, collect_recent, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ids[0], "c");
	assert_string_equal(r.ids[1], "b");
	memset(&r, 0, sizeof r);
	assert_int_equal(store_sessions_recent(f->st, T0, 10, collect_recent, &r), 0);
	assert_int_equal(r.n, 3);
	assert_false(r.any_code);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(activity_counts_by_step_country_provider_status, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(recent_sessions_newest_first_within_limit, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
