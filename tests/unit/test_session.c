/* The verification session with an injected clock: the send schedule, code
 * reuse and expiry, attempt limits (also under parallel guesses), channels,
 * test numbers. Runs on the real SQLite store in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/code.h"
#include "core/session.h"

#define T0 1800000000000LL /* ms; any fixed instant */
#define S(x) ((int64_t)(x) * 1000)

/* A fresh SQLite store in dir. */
static int open_store(const char *dir, struct store **st, char *err, size_t errlen)
{
	char url[300];
	snprintf(url, sizeof url, "sqlite:%s/iotp.db", dir);
	return store_open(url, NULL, st, err, errlen);
}

struct fixture {
	struct config cfg;
	struct core core;
	struct store *st;
	char dir[256];
};

static int setup_with(void **state, const char *test_numbers)
{
	static int n;
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];
	unsigned char secret[32];
	if (test_numbers)
		setenv("IOTP_TEST_NUMBERS", test_numbers, 1);
	else
		unsetenv("IOTP_TEST_NUMBERS");
	snprintf(f->dir, sizeof f->dir, "%s/session-%d-%d", IOTP_TEST_TMP, (int)getpid(), n++);
	randombytes_buf(secret, sizeof secret);
	if (config_load(&f->cfg, NULL, 1, err, sizeof err) < 0 ||
	    config_validate(&f->cfg, err, sizeof err) < 0 ||
	    open_store(f->dir, &f->st, err, sizeof err) < 0 ||
	    core_init(&f->core, &f->cfg, f->st, secret, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

/* session_create as a client of the default app calls it. */
static enum iotp_error new_session(struct core *c, const char *phone, const char *region, int64_t now,
			      struct store_session *s, struct phone_number *n)
{
	struct session_request r = {.phone = phone, .region = region};
	return session_create(c, &r, NULL, now, s, n, NULL);
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

static int setup_test_numbers(void **state)
{
	return setup_with(state, "+447700900123:424242");
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];
	core_deinit(&f->core);
	store_close(f->st);
	config_deinit(&f->cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Takes the next queued message off the outbox as the delivery worker would,
 * opens its text, and returns the code in it ("" when nothing was queued). */
static int sent_code(struct fixture *f, char *code, char *channel)
{
	struct store_message m[1];
	struct store_due due;
	size_t n = 0;
	char text[STORE_TEXT_MAX];
	code[0] = '\0';
	assert_int_equal(store_outbox_due(f->st, INT64_MAX, &due, 1, &n), 0);
	if (n == 0)
		return 0;
	assert_int_equal(store_outbox_take(f->st, due.id, "", INT64_MAX, m), 0);
	assert_int_equal(seal_open(f->core.keys.message, m[0].id, m[0].body, m[0].body_len, text,
				   sizeof text, NULL),
			 0);
	if (channel)
		strcpy(channel, m[0].channel);
	/* SMS: "Your iotp code: 123-456. ..."; voice: "Your iotp code is: 1, 2, ..." */
	size_t o = 0;
	const char *p = strstr(text, "code");
	const char *end = strstr(text, ". ");
	for (; p && *p && p < end && o < CODE_MAX_LENGTH; p++)
		if (*p >= '0' && *p <= '9')
			code[o++] = *p;
	code[o] = '\0';
	m[0].state = STORE_MSG_SENT;
	store_outbox_finish(f->st, &m[0], 1);
	return 1;
}

static struct store_session create(struct fixture *f, const char *phone, int64_t now)
{
	struct store_session s;
	struct phone_number n;
	assert_int_equal(new_session(&f->core, phone, NULL, now, &s, &n), 0);
	return s;
}

static void create_normalises_and_times(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	struct phone_number n;
	assert_int_equal(new_session(&f->core, "07400 123456", "gb", T0, &s, &n), 0);
	assert_string_equal(s.phone, "+447400123456");
	assert_string_equal(s.region, "GB");
	assert_string_equal(s.number_type, "mobile");
	assert_true(strlen(s.id) >= 32); /* 192 random bits in base64url */
	struct session_timers t;
	session_timers(&f->core, &s, T0, &t);
	assert_true(t.allowed_to_request_code);
	assert_int_equal(t.next_sms, 0);
	assert_int_equal(t.next_call, -1); /* a call waits for a first SMS */
	assert_int_equal(t.next_verification_attempt, -1);
	assert_int_equal(s.expires_at, T0 + S(1800));
	struct store_session again;
	assert_int_equal(session_get(&f->core, NULL, s.id, &again), 0);
	assert_string_equal(again.phone, "+447400123456");
	assert_int_equal(session_get(&f->core, NULL, "no-such-session", &again), IOTP_E_SESSION_NOT_FOUND);
}

static void refusals(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	struct phone_number n;
	assert_int_equal(new_session(&f->core, "07400 123456", NULL, T0, &s, &n),
			 IOTP_E_MISSING_COUNTRY_CODE);
	assert_int_equal(new_session(&f->core, "+44 74", NULL, T0, &s, &n), IOTP_E_TOO_SHORT);
	assert_string_equal(n.region, "GB");
	assert_int_equal(n.calling_code, 44);
	assert_int_equal(new_session(&f->core, "+44 901 234 5678", NULL, T0, &s, &n),
			 IOTP_E_UNSUPPORTED_NUMBER_TYPE);
	assert_int_equal(n.type, PHONE_TYPE_PREMIUM_RATE);
	assert_int_equal(new_session(&f->core, "+1 800 234 5678", NULL, T0, &s, &n),
			 IOTP_E_UNSUPPORTED_NUMBER_TYPE);
	assert_int_equal(new_session(&f->core, "12345", "ZZ", T0, &s, &n), IOTP_E_INVALID_REGION);
	assert_int_equal(new_session(&f->core, "12345", "GBR", T0, &s, &n), IOTP_E_INVALID_REGION);
	assert_int_equal(new_session(&f->core, "hello", NULL, T0, &s, &n), IOTP_E_INVALID_NUMBER);
}

static void schedule_grows_and_ends(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry = 0;
	char first[11], code[11];
	/* default sms_delays: 0, 60, 120, 300, 600 */
	assert_int_equal(session_send_code(&f->core, s.id, "sms", "en", NULL, T0, &s, &retry, NULL), 0);
	assert_int_equal(sent_code(f, first, NULL), 1);
	assert_int_equal(strlen(first), 6);
	struct session_timers t;
	session_timers(&f->core, &s, T0, &t);
	assert_int_equal(t.next_sms, 60);
	assert_int_equal(t.next_call, 60);
	assert_int_equal(t.next_verification_attempt, 0);

	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(59), &s, &retry, NULL),
			 IOTP_E_SEND_TOO_SOON);
	assert_int_equal(retry, 1);
	assert_int_equal(sent_code(f, code, NULL), 0); /* nothing queued */

	int64_t at = T0;
	const int delays[] = {60, 120, 300, 600};
	for (int i = 0; i < 4; i++) {
		at += S(delays[i]) / (i < 2 ? 1 : 2); /* the last two come early: still waiting */
		if (i >= 2) {
			assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, at, &s, &retry, NULL),
					 IOTP_E_SEND_TOO_SOON);
			assert_int_equal(retry, delays[i] / 2);
			at += S(delays[i]) / 2;
		}
		assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, at, &s, &retry, NULL), 0);
		assert_int_equal(sent_code(f, code, NULL), 1);
	}
	assert_int_equal(s.sms_sent, 5);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, at + S(599), &s, &retry, NULL),
			 IOTP_E_SENDS_EXHAUSTED);
	session_timers(&f->core, &s, at, &t);
	assert_int_equal(t.next_sms, -1);
}

static void resend_reuses_live_code_then_renews(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	char a[11], b[11], c[11];
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	sent_code(f, a, NULL);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(60), &s, &retry, NULL), 0);
	sent_code(f, b, NULL);
	assert_string_equal(a, b); /* a late first SMS still works */
	assert_int_equal(s.code_expires_at, T0 + S(60) + S(600));

	/* After the code expired: checks say so, and the next send makes a new code. */
	int64_t later = T0 + S(60) + S(600);
	assert_int_equal(session_check_code(&f->core, s.id, a, NULL, later, &s, NULL), IOTP_E_CODE_EXPIRED);
	assert_int_equal(s.check_attempts, 0); /* an expired code costs no attempt */
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, later, &s, &retry, NULL), 0);
	sent_code(f, c, NULL);
	assert_string_not_equal(a, c); /* 1 in a million to collide */
	assert_int_equal(session_check_code(&f->core, s.id, c, NULL, later + S(1), &s, NULL), 0);
}

static void check_right_and_wrong(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	char code[11], wrong[11], dashed[16];
	assert_int_equal(session_check_code(&f->core, s.id, "123456", NULL, T0, &s, NULL), IOTP_E_NO_CODE_SENT);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	sent_code(f, code, NULL);
	snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
	assert_int_equal(session_check_code(&f->core, s.id, wrong, NULL, T0 + S(5), &s, NULL),
			 IOTP_E_INCORRECT_CODE);
	struct session_timers t;
	session_timers(&f->core, &s, T0 + S(5), &t);
	assert_int_equal(t.attempts_left, 4);
	assert_int_equal(session_check_code(&f->core, s.id, "12a456", NULL, T0 + S(6), &s, NULL),
			 IOTP_E_INVALID_FIELD);
	assert_int_equal(s.check_attempts, 1); /* not a code: not a guess */
	code_format(code, dashed, sizeof dashed);
	assert_int_equal(session_check_code(&f->core, s.id, dashed, NULL, T0 + S(7), &s, NULL), 0);
	assert_true(s.verified_at == T0 + S(7));
	assert_int_equal(s.expires_at, T0 + S(7) + S(600));
	assert_int_equal(s.code_sealed_len, 0);
	assert_int_equal(session_check_code(&f->core, s.id, code, NULL, T0 + S(8), &s, NULL),
			 IOTP_E_ALREADY_VERIFIED);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(3000), &s, &retry, NULL),
			 IOTP_E_ALREADY_VERIFIED);
	session_timers(&f->core, &s, T0 + S(8), &t);
	assert_false(t.allowed_to_request_code);
}

static void attempts_run_out(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	char code[11], wrong[11];
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	sent_code(f, code, NULL);
	snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 7) % 1000000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(session_check_code(&f->core, s.id, wrong, NULL, T0 + S(1), &s, NULL),
				 IOTP_E_INCORRECT_CODE);
	assert_int_equal(session_check_code(&f->core, s.id, code, NULL, T0 + S(2), &s, NULL),
			 IOTP_E_ATTEMPTS_EXHAUSTED);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(600), &s, &retry, NULL),
			 IOTP_E_ATTEMPTS_EXHAUSTED);
	struct session_timers t;
	session_timers(&f->core, &s, T0 + S(3), &t);
	assert_int_equal(t.next_verification_attempt, -1);
	assert_int_equal(t.attempts_left, 0);
	assert_false(t.allowed_to_request_code);
}

static void channels_by_number_type(void **state)
{
	struct fixture *f = *state;
	int64_t retry;
	char code[11], channel[8];
	/* A mobile gets a call only after a first SMS, voice_delays[0] = 60 s later. */
	struct store_session m = create(f, "+447400123456", T0);
	assert_int_equal(session_send_code(&f->core, m.id, "voice", NULL, NULL, T0, &m, &retry, NULL),
			 IOTP_E_CHANNEL_NOT_AVAILABLE);
	assert_int_equal(session_send_code(&f->core, m.id, "sms", NULL, NULL, T0, &m, &retry, NULL), 0);
	sent_code(f, code, NULL);
	assert_int_equal(session_send_code(&f->core, m.id, "voice", NULL, NULL, T0 + S(30), &m, &retry, NULL),
			 IOTP_E_SEND_TOO_SOON);
	assert_int_equal(retry, 30);
	assert_int_equal(session_send_code(&f->core, m.id, "voice", NULL, NULL, T0 + S(60), &m, &retry, NULL), 0);
	char spoken[11];
	sent_code(f, spoken, channel);
	assert_string_equal(channel, "voice");
	assert_string_equal(spoken, code); /* same live code, read digit by digit */

	/* A fixed line cannot get an SMS and is called at once. */
	struct store_session l = create(f, "+44 20 7183 8750", T0);
	assert_string_equal(l.number_type, "fixed_line");
	struct session_timers t;
	session_timers(&f->core, &l, T0, &t);
	assert_int_equal(t.next_sms, -1);
	assert_int_equal(t.next_call, 0);
	assert_int_equal(session_send_code(&f->core, l.id, "sms", NULL, NULL, T0, &l, &retry, NULL),
			 IOTP_E_CHANNEL_NOT_AVAILABLE);
	assert_int_equal(session_send_code(&f->core, l.id, "voice", NULL, NULL, T0, &l, &retry, NULL), 0);
	assert_int_equal(session_send_code(&f->core, l.id, "fax", NULL, NULL, T0, &l, &retry, NULL),
			 IOTP_E_INVALID_FIELD);
}

static void session_expires(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(1800), &s, &retry, NULL),
			 IOTP_E_SESSION_EXPIRED);
	struct session_timers t;
	session_timers(&f->core, &s, T0 + S(1800), &t);
	assert_false(t.allowed_to_request_code);
	assert_int_equal(t.next_sms, -1);
}

static void test_number_fixed_code_nothing_sent(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+44 7700 900123", T0);
	int64_t retry;
	char code[11];
	assert_true(s.test_number);
	for (int i = 0; i < 8; i++) /* no waits between sends */
		assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + i, &s, &retry, NULL), 0);
	assert_int_equal(sent_code(f, code, NULL), 0); /* the outbox stays empty */
	assert_int_equal(session_check_code(&f->core, s.id, "111111", NULL, T0 + 10, &s, NULL),
			 IOTP_E_INCORRECT_CODE); /* attempts still count */
	assert_int_equal(session_check_code(&f->core, s.id, "424-242", NULL, T0 + 11, &s, NULL), 0);
}

struct guesser {
	struct fixture *f;
	const char *id;
	const char *guess;
	int n;
	int incorrect, exhausted, verified, other;
};

static void *guess(void *arg)
{
	struct guesser *g = arg;
	for (int i = 0; i < g->n; i++) {
		struct store_session s;
		enum iotp_error e = session_check_code(&g->f->core, g->id, g->guess, NULL, T0 + S(1), &s, NULL);
		if (e == IOTP_E_INCORRECT_CODE)
			g->incorrect++;
		else if (e == IOTP_E_ATTEMPTS_EXHAUSTED)
			g->exhausted++;
		else if (e == IOTP_E_OK)
			g->verified++;
		else
			g->other++;
	}
	return NULL;
}

static void parallel_guesses_counted_exactly(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	char code[11], wrong[11];
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	sent_code(f, code, NULL);
	snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
	enum { THREADS = 4, EACH = 25 };
	pthread_t t[THREADS];
	struct guesser g[THREADS];
	for (int i = 0; i < THREADS; i++) {
		g[i] = (struct guesser){.f = f, .id = s.id, .guess = wrong, .n = EACH};
		pthread_create(&t[i], NULL, guess, &g[i]);
	}
	int incorrect = 0, exhausted = 0, other = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		incorrect += g[i].incorrect;
		exhausted += g[i].exhausted;
		other += g[i].other;
	}
	assert_int_equal(incorrect, 5);
	assert_int_equal(exhausted, 95);
	assert_int_equal(other, 0);
	assert_int_equal(session_get(&f->core, NULL, s.id, &s), 0);
	assert_int_equal(s.check_attempts, 5);
}

static void cancel_ends_session(void **state)
{
	struct fixture *f = *state;
	struct store_session s = create(f, "+447400123456", T0);
	int64_t retry;
	char code[11];
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	sent_code(f, code, NULL);
	assert_int_equal(session_cancel(&f->core, NULL, s.id, T0 + S(5), &s), 0);
	assert_true(s.canceled_at == T0 + S(5));
	assert_true(s.expires_at == T0 + S(5));
	assert_int_equal(s.code_sealed_len, 0);
	/* The right code, a resend, a second cancel: all refused, and said why. */
	assert_int_equal(session_check_code(&f->core, s.id, code, NULL, T0 + S(6), &s, NULL),
			 IOTP_E_SESSION_CANCELED);
	assert_int_equal(s.check_attempts, 0);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0 + S(600), &s, &retry, NULL),
			 IOTP_E_SESSION_CANCELED);
	assert_int_equal(sent_code(f, code, NULL), 0);
	assert_int_equal(session_cancel(&f->core, NULL, s.id, T0 + S(7), &s), IOTP_E_SESSION_CANCELED);
	assert_true(s.canceled_at == T0 + S(5));
	struct session_timers t;
	session_timers(&f->core, &s, T0 + S(7), &t);
	assert_false(t.allowed_to_request_code);
	assert_int_equal(t.next_sms, -1);
	assert_int_equal(t.next_verification_attempt, -1);
	struct store_session again;
	assert_int_equal(session_get(&f->core, NULL, s.id, &again), 0); /* as stored */
	assert_true(again.canceled_at == T0 + S(5));

	/* A verified session is proof given: not canceled. An ended one: expired. */
	struct store_session v = create(f, "+447400123457", T0);
	assert_int_equal(session_send_code(&f->core, v.id, "sms", NULL, NULL, T0, &v, &retry, NULL), 0);
	sent_code(f, code, NULL);
	assert_int_equal(session_check_code(&f->core, v.id, code, NULL, T0 + S(1), &v, NULL), 0);
	assert_int_equal(session_cancel(&f->core, NULL, v.id, T0 + S(2), &v), IOTP_E_ALREADY_VERIFIED);
	assert_true(v.verified_at && !v.canceled_at);
	struct store_session old = create(f, "+447400123458", T0);
	assert_int_equal(session_cancel(&f->core, NULL, old.id, T0 + S(1800), &old), IOTP_E_SESSION_EXPIRED);
	assert_int_equal(session_cancel(&f->core, NULL, "no-such-session", T0, &old),
			 IOTP_E_SESSION_NOT_FOUND);
}

struct racer {
	struct fixture *f;
	const char *id;
	const char *code; /* NULL: cancel */
	enum iotp_error e;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct store_session s;
	r->e = r->code ? session_check_code(&r->f->core, r->id, r->code, NULL, T0 + S(1), &s, NULL)
		       : session_cancel(&r->f->core, NULL, r->id, T0 + S(1), &s);
	return NULL;
}

/* A cancel and a check with the right code at once: exactly one wins, and the
 * session ends up as the winner left it (never verified and canceled). */
static void cancel_races_check(void **state)
{
	struct fixture *f = *state;
	int checks_won = 0, cancels_won = 0;
	for (int i = 0; i < 100; i++) {
		char phone[20], code[11];
		int64_t retry;
		snprintf(phone, sizeof phone, "+4474001%05d", i);
		struct store_session s = create(f, phone, T0);
		assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
		sent_code(f, code, NULL);
		struct racer check = {f, s.id, code, 0}, cancel = {f, s.id, NULL, 0};
		pthread_t a, b;
		pthread_create(&a, NULL, race, &check);
		pthread_create(&b, NULL, race, &cancel);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		assert_int_equal(session_get(&f->core, NULL, s.id, &s), 0);
		assert_true(!s.verified_at != !s.canceled_at);
		if (check.e == IOTP_E_OK) {
			assert_int_equal(cancel.e, IOTP_E_ALREADY_VERIFIED);
			assert_true(s.verified_at);
			checks_won++;
		} else {
			assert_int_equal(check.e, IOTP_E_SESSION_CANCELED);
			assert_int_equal(cancel.e, IOTP_E_OK);
			assert_true(s.canceled_at);
			cancels_won++;
		}
	}
	assert_int_equal(checks_won + cancels_won, 100);
}

static void code_length_per_session(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	struct phone_number n;
	int64_t retry;
	char code[11];
	/* The lengths below min_code_length are this deployment's choice to
	 * allow: here every length Twilio knows. */
	f->core.apps.v[0].min_code_length = CODE_MIN_LENGTH;
	for (int len = CODE_MIN_LENGTH; len <= CODE_MAX_LENGTH; len++) {
		char phone[20];
		snprintf(phone, sizeof phone, "+4474002000%02d", len);
		struct session_request r = {.phone = phone, .code_length = len};
		assert_int_equal(session_create(&f->core, &r, NULL, T0, &s, &n, NULL), 0);
		assert_int_equal(s.code_length, len);
		assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
		assert_int_equal(sent_code(f, code, NULL), 1);
		assert_int_equal((int)strlen(code), len);
		/* The same digits with one more or one less are another code. */
		char longer[12], shorter[11];
		snprintf(longer, sizeof longer, "%s0", code);
		snprintf(shorter, sizeof shorter, "%.*s", len - 1, code);
		if (len < CODE_MAX_LENGTH)
			assert_int_equal(session_check_code(&f->core, s.id, longer, NULL, T0 + 1, &s, NULL),
					 IOTP_E_INCORRECT_CODE);
		assert_int_equal(session_check_code(&f->core, s.id, shorter, NULL, T0 + 2, &s, NULL),
				 IOTP_E_INCORRECT_CODE);
		assert_int_equal(session_check_code(&f->core, s.id, code, NULL, T0 + 3, &s, NULL), 0);
	}
	struct session_request bad = {.phone = "+447400200099", .code_length = CODE_MAX_LENGTH + 1};
	assert_int_equal(session_create(&f->core, &bad, NULL, T0, &s, &n, NULL), IOTP_E_INVALID_FIELD);
	bad.code_length = CODE_MIN_LENGTH - 1;
	assert_int_equal(session_create(&f->core, &bad, NULL, T0, &s, &n, NULL), IOTP_E_INVALID_FIELD);
	/* Without one: the server's code_length, fixed at creation. */
	s = create(f, "+447400200098", T0);
	assert_int_equal(s.code_length, f->cfg.code_length);
}

/* min_code_length (6 unless configured): a client may not ask for codes a
 * brute force finds sooner. */
static void code_length_below_app_minimum_refused(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	struct phone_number n;
	assert_int_equal(f->cfg.min_code_length, 6);
	assert_int_equal(session_min_code_length(&f->core, NULL), 6);
	assert_int_equal(session_min_code_length(&f->core, APP_DEFAULT), 6);
	for (int len = CODE_MIN_LENGTH; len < 6; len++) {
		struct session_request r = {.phone = "+447400200097", .code_length = len};
		assert_int_equal(session_create(&f->core, &r, NULL, T0, &s, &n, NULL),
				 IOTP_E_INVALID_FIELD);
	}
	struct session_request ok = {.phone = "+447400200097", .code_length = 6};
	assert_int_equal(session_create(&f->core, &ok, NULL, T0, &s, &n, NULL), 0);
	assert_int_equal(s.code_length, 6);
	/* An app's own floor applies to its sessions. */
	f->core.apps.v[0].min_code_length = 8;
	ok.code_length = 7;
	assert_int_equal(session_create(&f->core, &ok, NULL, T0, &s, &n, NULL), IOTP_E_INVALID_FIELD);
	ok.code_length = 8;
	assert_int_equal(session_create(&f->core, &ok, NULL, T0, &s, &n, NULL), 0);
}

/* A session belongs to its app: another app's calls find nothing there, on
 * every action, and change nothing. */
static void other_app_finds_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_session s, got;
	int64_t retry;
	char code[11];
	struct policy_client mine = {.ip = "192.0.2.1", .app = APP_DEFAULT};
	struct policy_client other = {.ip = "192.0.2.1", .app = "other"};
	s = create(f, "+447400200096", T0);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, &mine, T0, &got, &retry, NULL), 0);
	assert_int_equal(sent_code(f, code, NULL), 1);
	assert_int_equal(session_get(&f->core, "other", s.id, &got), IOTP_E_SESSION_NOT_FOUND);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, &other, T0 + S(600), &got,
					   &retry, NULL),
			 IOTP_E_SESSION_NOT_FOUND);
	assert_int_equal(sent_code(f, code + 0, NULL), 0); /* nothing sent */
	assert_int_equal(session_check_code(&f->core, s.id, code, &other, T0 + S(1), &got, NULL),
			 IOTP_E_SESSION_NOT_FOUND);
	assert_int_equal(session_solve_challenge(&f->core, "other", s.id, "proof_of_work", "1",
						 T0 + S(1), &got),
			 IOTP_E_SESSION_NOT_FOUND);
	assert_int_equal(session_cancel(&f->core, "other", s.id, T0 + S(1), &got),
			 IOTP_E_SESSION_NOT_FOUND);
	/* Untouched: no attempt counted, not canceled; its own app still can. */
	assert_int_equal(session_get(&f->core, APP_DEFAULT, s.id, &got), 0);
	assert_int_equal(got.check_attempts, 0);
	assert_int_equal(got.canceled_at, 0);
	assert_int_equal(got.version, s.version + 1);
}

/* One definition of where a session stands, for every API. */
static void status_of_a_session(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	int64_t retry;
	char code[11];
	s = create(f, "+447400200095", T0);
	assert_int_equal(session_status(&f->core, &s, T0), SESSION_PENDING);
	assert_string_equal(session_status_name(SESSION_PENDING), "pending");
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, T0, &s, &retry, NULL), 0);
	assert_int_equal(sent_code(f, code, NULL), 1);
	/* The code expired but the session lives: expired to a reader, yet live
	 * for a resend. */
	int64_t late = s.code_expires_at;
	assert_true(late < s.expires_at || s.expires_at == late);
	assert_int_equal(session_status(&f->core, &s, late), SESSION_EXPIRED);
	assert_int_equal(session_live(&f->core, &s, s.expires_at - 1), 1);
	assert_int_equal(session_live(&f->core, &s, s.expires_at), 0);
	struct store_session gone = s;
	assert_int_equal(session_cancel(&f->core, NULL, gone.id, T0 + S(1), &gone), 0);
	assert_int_equal(session_status(&f->core, &gone, T0 + S(1)), SESSION_CANCELED);
	assert_int_equal(session_live(&f->core, &gone, T0 + S(1)), 0);
	struct store_session tired = s;
	tired.check_attempts = f->cfg.max_check_attempts;
	assert_int_equal(session_status(&f->core, &tired, T0 + S(1)), SESSION_MAX_ATTEMPTS);
	assert_string_equal(session_status_name(SESSION_MAX_ATTEMPTS), "max_attempts");
	struct store_session ok = s;
	ok.verified_at = T0 + S(2);
	assert_int_equal(session_status(&f->core, &ok, T0 + S(3)), SESSION_APPROVED);
	assert_int_equal(session_live(&f->core, &ok, T0 + S(3)), 0);
}

int main(void)
{
	if (sodium_init() < 0 || phone_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_normalises_and_times, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(schedule_grows_and_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(resend_reuses_live_code_then_renews, setup, teardown),
		cmocka_unit_test_setup_teardown(check_right_and_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(attempts_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(channels_by_number_type, setup, teardown),
		cmocka_unit_test_setup_teardown(session_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_number_fixed_code_nothing_sent, setup_test_numbers,
						teardown),
		cmocka_unit_test_setup_teardown(parallel_guesses_counted_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_ends_session, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_races_check, setup, teardown),
		cmocka_unit_test_setup_teardown(code_length_per_session, setup, teardown),
		cmocka_unit_test_setup_teardown(code_length_below_app_minimum_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(other_app_finds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(status_of_a_session, setup, teardown),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
