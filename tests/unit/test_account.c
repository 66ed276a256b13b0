/* Accounts with a driven clock: the PIN wait schedule and the hard limit,
 * lapse after pin_lapse, reminders, single-use sessions, change of number;
 * and the webhook signature against an independent HMAC-SHA256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/account.h"
#include "core/account_internal.h"
#include "core/code.h"
#include "core/session.h"
#include "base/seal.h"
#include "base/totp.h"
#include "events/events.h"
#include "tmp_store.h"

#define T0 ((int64_t)1800000000000)
#define S(x) ((int64_t)(x) * 1000)

struct fixture {
	struct config cfg;
	struct core core;
	struct tmp_store ts;
	struct store *st; /* ts.st */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];
	unsigned char secret[32];
	setenv("IOTP_PIN_WAITS", "0,0,30,60", 1);
	setenv("IOTP_PIN_MAX_ATTEMPTS", "6", 1);
	setenv("IOTP_PIN_LAPSE", "604800", 1);
	setenv("IOTP_PIN_REMINDER_HOURS", "12,24,72", 1);
	setenv("IOTP_TEST_NUMBERS", "+447700900001:111111,+447700900002:222222,+447700900003:333333", 1);
	randombytes_buf(secret, sizeof secret);
	if (config_load(&f->cfg, NULL, 1, err, sizeof err) < 0 ||
	    config_validate(&f->cfg, err, sizeof err) < 0 ||
	    tmp_store_open(&f->ts, "account") < 0 ||
	    core_init(&f->core, &f->cfg, f->st = f->ts.st, secret, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	core_deinit(&f->core);
	int rc = tmp_store_close(&f->ts);
	config_deinit(&f->cfg);
	free(f);
	return rc;
}

/* A verified session for a test number (fixed code) at time now. */
static char *verified(struct fixture *f, const char *phone, const char *code, int64_t now)
{
	static char id[STORE_ID_MAX];
	struct session_request r = {.phone = phone};
	struct store_session s;
	struct phone_number n;
	int64_t retry;
	assert_int_equal(session_create(&f->core, &r, NULL, now, &s, &n, NULL), 0);
	assert_int_equal(session_send_code(&f->core, s.id, "sms", NULL, NULL, now, &s, &retry, NULL), 0);
	assert_int_equal(session_check_code(&f->core, s.id, code, NULL, now, &s, NULL), 0);
	memcpy(id, s.id, sizeof id);
	return id;
}

static const struct account_device phone_a = {.name = "a"}, phone_b = {.name = "b"};

static void pin_waits_grow_and_the_limit_holds(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	const char *field;
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0),
					  &phone_a, "123456", NULL, T0, &r),
			 0);
	assert_int_equal(r.created, 1);
	assert_true(r.account.pin_hash[0] != '\0');
	assert_null(strstr(r.account.pin_hash, "123456"));
	(void)field;

	int64_t t = T0 + S(1);
	char sid[STORE_ID_MAX];
	strcpy(sid, verified(f, "+447700900001", "111111", t));
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, NULL, NULL, t, &r),
			 IOTP_E_PIN_REQUIRED);
	assert_int_equal(r.attempts_left, 6);
	assert_int_equal(r.reset_available_at, T0 + S(604800));
	/* 1st and 2nd wrong: no wait; 3rd: 30 s; 4th: 60 s; then 60 s again. */
	static const int64_t waits[] = {0, 0, 30, 60, 60};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, "000000", NULL, t, &r),
				 IOTP_E_INCORRECT_PIN);
		assert_int_equal(r.attempts_left, 5 - i);
		assert_int_equal(r.retry_after, waits[i]);
		if (waits[i]) {
			assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, "123456", NULL,
							  t + S(waits[i]) - 1, &r),
					 IOTP_E_PIN_WAIT);
			assert_int_equal(r.retry_after, 1);
		}
		t += S(waits[i]);
	}
	/* The 6th wrong PIN locks it; then even the right one is refused. */
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, "000000", NULL, t, &r),
			 IOTP_E_INCORRECT_PIN);
	assert_int_equal(r.attempts_left, 0);
	t += S(120);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, "123456", NULL, t, &r),
			 IOTP_E_PIN_LOCKED);
	/* A week after the account was last used, the PIN lapses: the code alone
	 * registers (the session was verified too long ago: use a fresh one). */
	int64_t lapse = T0 + S(604800);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", lapse - S(1)),
					  &phone_b, NULL, NULL, lapse - S(1), &r),
			 IOTP_E_PIN_LOCKED);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", lapse),
					  &phone_b, NULL, NULL, lapse, &r),
			 0);
	assert_int_equal(r.account.pin_hash[0], '\0');
	assert_int_equal(r.account.pin_failures, 0);
}

static void sessions_spend_once_and_age(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	char sid[STORE_ID_MAX];
	strcpy(sid, verified(f, "+447700900002", "222222", T0));
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_a, NULL, NULL, T0, &r), 0);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_a, NULL, NULL, T0, &r),
			 IOTP_E_SESSION_SPENT);
	/* verified_ttl (600 s) is the use window. */
	strcpy(sid, verified(f, "+447700900002", "222222", T0));
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, NULL, NULL, T0 + S(601), &r),
			 IOTP_E_SESSION_TOO_OLD);
	assert_int_equal(account_register(&f->core, "other", sid, &phone_b, NULL, NULL, T0, &r),
			 IOTP_E_SESSION_NOT_FOUND);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, sid, &phone_b, "12345", NULL, T0, &r),
			 IOTP_E_INVALID_FIELD);
}

/* For the facades: signing in spends a session without moving the device;
 * a PIN keeps guarding; a move needs only the new number's session. */
static void sign_in_keeps_the_device(void **state)
{
	struct fixture *f = *state;
	struct account_result r, s;
	assert_int_equal(account_sign_in(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0),
					 T0, &r),
			 0);
	assert_int_equal(r.created, 1);
	assert_string_equal(r.credential, ""); /* none is handed out */
	char sid[STORE_ID_MAX];
	strcpy(sid, verified(f, "+447700900001", "111111", T0 + S(5)));
	assert_int_equal(account_sign_in(&f->core, APP_DEFAULT, sid, T0 + S(5), &s), 0);
	assert_int_equal(s.created, 0);
	assert_string_equal(s.account.id, r.account.id);
	assert_string_equal(s.account.device_id, r.account.device_id);
	assert_int_equal(s.account.verified_at, T0 + S(5));
	assert_int_equal(account_sign_in(&f->core, APP_DEFAULT, sid, T0 + S(5), &s), IOTP_E_SESSION_SPENT);

	/* A native registration moves it to a real device and sets a PIN ... */
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0 + S(6)),
					  &phone_a, NULL, NULL, T0 + S(6), &s),
			 0);
	assert_string_equal(s.account.id, r.account.id);
	const char *field;
	assert_int_equal(account_set_pin(&f->core, r.account.id, "123456", NULL, T0 + S(7), &s, &field), 0);
	/* ... which a sign-in by code alone cannot pass. */
	assert_int_equal(account_sign_in(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0 + S(8)),
					 T0 + S(8), &s),
			 IOTP_E_PIN_REQUIRED);

	/* Moving needs only the new number's session; the same number is refused. */
	assert_int_equal(account_move_number(&f->core, r.account.id,
					     verified(f, "+447700900001", "111111", T0 + S(9)), T0 + S(9), &s),
			 IOTP_E_SAME_NUMBER);
	assert_int_equal(account_move_number(&f->core, r.account.id,
					     verified(f, "+447700900002", "222222", T0 + S(9)), T0 + S(9), &s),
			 0);
	assert_string_equal(s.account.phone, "+447700900002");
	assert_string_equal(s.account.id, r.account.id);
}

/* Issue 12, finding 1: moving onto a number whose account a PIN guards needs
 * that PIN (counted and waited on like a registration's); a facade's move,
 * which cannot carry a PIN, never takes a live account's number. */
static void change_of_number_needs_the_taken_numbers_pin(void **state)
{
	struct fixture *f = *state;
	struct account_result victim, thief, r;
	const char *field;
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0),
					  &phone_a, NULL, NULL, T0, &victim),
			 0);
	assert_int_equal(account_set_pin(&f->core, victim.account.id, "123456", NULL, T0, &r, &field), 0);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900002", "222222", T0),
					  &phone_b, NULL, NULL, T0, &thief),
			 0);
	int64_t t = T0 + S(1);
	char olds[STORE_ID_MAX], news[STORE_ID_MAX];
	strcpy(olds, verified(f, "+447700900002", "222222", t));
	strcpy(news, verified(f, "+447700900001", "111111", t));
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, NULL, NULL, t, &r),
			 IOTP_E_PIN_REQUIRED);
	assert_int_equal(r.attempts_left, 6);
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, "000000", NULL, t, &r),
			 IOTP_E_INCORRECT_PIN);
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, "000001", NULL, t, &r),
			 IOTP_E_INCORRECT_PIN);
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, "000002", NULL, t, &r),
			 IOTP_E_INCORRECT_PIN);
	assert_int_equal(r.retry_after, 30);
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, "123456", NULL, t, &r),
			 IOTP_E_PIN_WAIT);
	/* Registration counts the same guesses: they share one budget. */
	assert_int_equal(account_register(&f->core, APP_DEFAULT, news, &phone_b, "000003", NULL, t + S(30), &r),
			 IOTP_E_INCORRECT_PIN);
	assert_int_equal(r.attempts_left, 2);
	/* The victim's account is untouched and still on its number. */
	struct store_account a;
	assert_int_equal(store_account_by_phone(f->st, APP_DEFAULT, "+447700900001", &a), 0);
	assert_string_equal(a.id, victim.account.id);
	assert_int_equal(a.closed_at, 0);
	/* A facade's move never takes the number, PIN or not. */
	assert_int_equal(account_move_number(&f->core, thief.account.id, news, t + S(90), &r),
			 IOTP_E_NUMBER_TAKEN);
	/* With the PIN (after the wait) the move goes through and closes it. */
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, "123456", NULL, t + S(90), &r),
			 0);
	assert_string_equal(r.account.phone, "+447700900001");
	assert_int_equal(store_account_get(f->st, victim.account.id, &a), 0);
	assert_true(a.closed_at != 0);
	/* A lapsed PIN guards nothing: the code alone moves onto it. */
	struct account_result c3;
	int64_t t2 = t + S(100);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900003", "333333", t2),
					  &phone_a, "654321", NULL, t2, &c3),
			 0);
	int64_t late = t2 + S(604800);
	strcpy(olds, verified(f, "+447700900001", "111111", late));
	strcpy(news, verified(f, "+447700900003", "333333", late));
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, NULL, NULL, late, &r), 0);
}

static void reminders_move_out(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	const char *field = NULL;
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900003", "333333", T0),
					  &phone_a, NULL, NULL, T0, &r),
			 0);
	char id[STORE_ID_MAX];
	strcpy(id, r.account.id);
	assert_int_equal(account_pin_reminder_at(&f->core, &r.account), 0);
	assert_int_equal(account_set_pin(&f->core, id, "654321", "ana@example.com", T0, &r, &field), 0);
	assert_int_equal(account_pin_reminder_at(&f->core, &r.account), T0 + S(12 * 3600));
	assert_int_equal(account_check_pin(&f->core, id, "654321", T0 + S(100), &r), 0);
	assert_int_equal(account_pin_reminder_at(&f->core, &r.account), T0 + S(100) + S(24 * 3600));
	assert_int_equal(account_check_pin(&f->core, id, "654321", T0 + S(200), &r), 0);
	assert_int_equal(account_check_pin(&f->core, id, "654321", T0 + S(300), &r), 0);
	assert_int_equal(account_pin_reminder_at(&f->core, &r.account), T0 + S(300) + S(72 * 3600));
	/* A wrong answer starts the schedule over. */
	assert_int_equal(account_check_pin(&f->core, id, "000000", T0 + S(400), &r), IOTP_E_INCORRECT_PIN);
	assert_int_equal(account_pin_reminder_at(&f->core, &r.account), T0 + S(300) + S(12 * 3600));
	assert_int_equal(account_set_pin(&f->core, id, "65432a", NULL, T0, &r, &field), IOTP_E_INVALID_FIELD);
	assert_string_equal(field, "pin");
	assert_int_equal(account_set_pin(&f->core, id, "654321", "not-an-address", T0, &r, &field),
			 IOTP_E_INVALID_FIELD);
	assert_string_equal(field, "email");
}

/* The code an authenticator app shows for a base32 secret at step. */
static void app_code(const char *secret, int64_t step, char out[7])
{
	unsigned char key[64];
	size_t n = 0;
	uint32_t buf = 0;
	int bits = 0;
	for (const char *p = secret; *p; p++) {
		const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
		buf = (buf << 5) | (uint32_t)(strchr(abc, *p) - abc);
		bits += 5;
		if (bits >= 8) {
			key[n++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	assert_int_equal(n, TOTP_SECRET_BYTES);
	assert_int_equal(totp_hotp(key, n, (uint64_t)step, 6, out), 0);
}

static char totp_events[256];
static void list_totp_event(const struct store_event *e, void *arg)
{
	(void)arg;
	if (!strncmp(e->type, "account.totp", 12)) {
		strcat(totp_events, e->type);
		strcat(totp_events, ";");
	}
}

/* A wrong code: the right one with its first digit changed. */
static void wrong(const char *right, char out[7])
{
	memcpy(out, right, 7);
	out[0] = out[0] == '9' ? '0' : (char)(out[0] + 1);
}

/* An account with its authenticator on (confirmed at step(T0)); secret out. */
static void with_totp(struct fixture *f, const char *phone, const char *code, const char *pin,
		      struct account_result *r, char secret[TOTP_BASE32_MAX])
{
	struct account_totp_enrolment en;
	char c[7];
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, phone, code, T0),
					  &phone_a, pin, NULL, T0, r),
			 0);
	assert_int_equal(account_totp_enrol(&f->core, r->account.id, T0, &en, r), 0);
	memcpy(secret, en.secret, TOTP_BASE32_MAX);
	app_code(secret, totp_step(T0), c);
	assert_int_equal(account_totp_confirm(&f->core, r->account.id, c, T0, r), 0);
	assert_true(r->account.totp_enabled_at == T0);
}

static void totp_enrol_confirm_once_disable(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	struct account_totp_enrolment en;
	char c[7], bad[7];
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", T0),
					  &phone_a, NULL, NULL, T0, &r),
			 0);
	char aid[STORE_ID_MAX];
	strcpy(aid, r.account.id);
	assert_int_equal(account_totp_disable(&f->core, aid, "123456", T0, &r), IOTP_E_NO_TOTP);
	assert_int_equal(account_totp_enrol(&f->core, aid, T0, &en, &r), 0);
	assert_int_equal(strlen(en.secret), 32);
	assert_non_null(strstr(en.uri, "otpauth://totp/iotp%3A%2B44%2A%2A%2A%2A%2A%2A0001?secret="));
	assert_non_null(strstr(en.uri, "&issuer=iotp&algorithm=SHA1&digits=6&period=30"));
	/* Sealed at rest: the secret's bytes are not in the row. */
	assert_true(r.account.totp_sealed_len == TOTP_SECRET_BYTES + SEAL_OVERHEAD);
	assert_int_equal(r.account.totp_enabled_at, 0);

	int64_t s = totp_step(T0);
	app_code(en.secret, s, c);
	wrong(c, bad);
	assert_int_equal(account_totp_confirm(&f->core, aid, bad, T0, &r), IOTP_E_INCORRECT_TOTP);
	/* Two steps away is out of the window. */
	char far[7];
	app_code(en.secret, s + 2, far);
	assert_int_equal(account_totp_confirm(&f->core, aid, far, T0, &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(account_totp_confirm(&f->core, aid, c, T0, &r), 0);
	assert_true(r.account.totp_enabled_at == T0);
	assert_int_equal(r.account.totp_failures, 0);
	struct account_totp_enrolment kept = en;
	assert_int_equal(account_totp_enrol(&f->core, aid, T0, &en, &r), IOTP_E_TOTP_ENABLED);
	en = kept;
	/* The same code again, and the step before it: refused (used once), but
	 * not wrong guesses: whoever has them read the app, nothing was guessed. */
	char before[7];
	app_code(en.secret, s - 1, before);
	assert_int_equal(account_totp_disable(&f->core, aid, c, T0 + S(1), &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(account_totp_disable(&f->core, aid, before, T0 + S(1), &r),
			 IOTP_E_INCORRECT_TOTP);
	char next[7];
	app_code(en.secret, s + 1, next);
	assert_int_equal(r.account.totp_failures, 0);
	assert_int_equal(account_totp_disable(&f->core, aid, next, T0 + S(1), &r), 0);
	assert_int_equal(r.account.totp_sealed_len, 0);
	assert_int_equal(r.account.totp_enabled_at, 0);
	/* The app heard of both, in the writes that made them. */
	totp_events[0] = '\0';
	assert_int_equal(store_account_events(f->st, aid, list_totp_event, NULL), 0);
	assert_string_equal(totp_events, "account.totp_enabled;account.totp_disabled;");
}

static void wrong_totp_codes_wait_like_pins(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	char secret[TOTP_BASE32_MAX], c[7], bad[7];
	with_totp(f, "+447700900001", "111111", NULL, &r, secret);
	char aid[STORE_ID_MAX];
	strcpy(aid, r.account.id);
	int64_t t = T0 + S(30); /* the next step */
	app_code(secret, totp_step(t), c);
	wrong(c, bad);
	/* pin_waits 0,0,30,60: the third wrong code in a row starts a wait. */
	assert_int_equal(account_totp_disable(&f->core, aid, bad, t, &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(account_totp_disable(&f->core, aid, bad, t, &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(account_totp_disable(&f->core, aid, bad, t, &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(r.retry_after, 30);
	assert_int_equal(account_totp_disable(&f->core, aid, c, t + S(29), &r), IOTP_E_TOTP_WAIT);
	assert_int_equal(r.retry_after, 1);
	app_code(secret, totp_step(t + S(30)), c);
	assert_int_equal(account_totp_disable(&f->core, aid, c, t + S(30), &r), 0);
}

static void totp_stands_in_for_the_pin(void **state)
{
	struct fixture *f = *state;
	struct account_result r, victim, thief;
	char secret[TOTP_BASE32_MAX], c[7], bad[7];
	with_totp(f, "+447700900001", "111111", "123456", &victim, secret);
	int64_t t = T0 + S(60);
	const char *sid = verified(f, "+447700900001", "111111", t);
	char session[STORE_ID_MAX];
	strcpy(session, sid);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, session, &phone_b, NULL, NULL, t, &r),
			 IOTP_E_PIN_REQUIRED);
	assert_int_equal(r.totp, 1);
	app_code(secret, totp_step(t), c);
	wrong(c, bad);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, session, &phone_b, NULL, bad, t, &r),
			 IOTP_E_INCORRECT_TOTP);
	/* The code in the PIN's place moves the account to the new device. */
	assert_int_equal(account_register(&f->core, APP_DEFAULT, session, &phone_b, NULL, c, t, &r), 0);
	assert_int_equal(r.created, 0);
	assert_string_equal(r.account.device_name, "b");
	assert_true(r.account.totp_enabled_at != 0);

	/* An account guarded by its authenticator alone: a change of number onto
	 * it needs a code too, and a code is accepted. */
	char secret2[TOTP_BASE32_MAX];
	struct account_result other;
	with_totp(f, "+447700900002", "222222", NULL, &other, secret2);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900003", "333333", t),
					  &phone_b, NULL, NULL, t, &thief),
			 0);
	char olds[STORE_ID_MAX], news[STORE_ID_MAX];
	strcpy(olds, verified(f, "+447700900003", "333333", t));
	strcpy(news, verified(f, "+447700900002", "222222", t));
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, NULL, NULL, t, &r),
			 IOTP_E_PIN_REQUIRED);
	assert_int_equal(r.totp, 1);
	app_code(secret2, totp_step(t), c);
	assert_int_equal(account_change_number(&f->core, thief.account.id, olds, news, NULL, c, t, &r), 0);
	assert_string_equal(r.account.phone, "+447700900002");
}

/* Copies of one right code in parallel (a double tap, a client's retry): one
 * is accepted, the others lose the compare-and-swap, read the account again
 * and find the step spent. They are refused, but as no wrong guess: before,
 * each counted one, and the fourth copy answered "wait" (totp_wait), sooner
 * the slower the store (it showed on PostgreSQL). The race is played here
 * with stale reads, as the losers hold them. */
static void totp_one_code_in_parallel_counts_no_failure(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	char secret[TOTP_BASE32_MAX], c[7];
	with_totp(f, "+447700900001", "111111", NULL, &r, secret);
	int64_t t = T0 + S(30);
	app_code(secret, totp_step(t), c);
	struct store_account stale, a;
	assert_int_equal(store_account_get(f->st, r.account.id, &stale), 0);
	a = stale;
	assert_int_equal(account_totp_guess(&f->core, &a, c, t, &r), 0);
	for (int i = 0; i < 5; i++) {
		a = stale;
		assert_int_equal(account_totp_guess(&f->core, &a, c, t, &r), IOTP_E_INCORRECT_TOTP);
		assert_int_equal(r.retry_after, 0);
	}
	assert_int_equal(store_account_get(f->st, stale.id, &a), 0);
	assert_int_equal(a.totp_failures, 0);
	assert_int_equal(a.totp_retry_at, 0);
	assert_true(a.totp_last_step == totp_step(t));
	/* A wrong code that loses the race is still counted. */
	char bad[7];
	wrong(c, bad);
	struct store_account before = a;
	assert_int_equal(account_totp_guess(&f->core, &a, bad, t, &r), IOTP_E_INCORRECT_TOTP);
	a = before;
	assert_int_equal(account_totp_guess(&f->core, &a, bad, t, &r), IOTP_E_INCORRECT_TOTP);
	assert_int_equal(a.totp_failures, 2);
}

static void totp_lapses_with_the_pin(void **state)
{
	struct fixture *f = *state;
	struct account_result r;
	char secret[TOTP_BASE32_MAX];
	with_totp(f, "+447700900001", "111111", NULL, &r, secret);
	/* Unused for pin_lapse, the number may be someone else's: the code alone
	 * registers it, and the old authenticator is dropped with the account's
	 * guard. */
	int64_t lapse = T0 + S(604800);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", lapse - S(1)),
					  &phone_b, NULL, NULL, lapse - S(1), &r),
			 IOTP_E_PIN_REQUIRED);
	assert_int_equal(account_register(&f->core, APP_DEFAULT, verified(f, "+447700900001", "111111", lapse),
					  &phone_b, NULL, NULL, lapse, &r),
			 0);
	assert_int_equal(r.account.totp_sealed_len, 0);
	assert_int_equal(r.account.totp_enabled_at, 0);
}

static void webhook_signature_is_hmac_sha256(void **state)
{
	(void)state;
	char sig[WEBHOOK_SIGNATURE_MAX];
	const char *body = "{\"a\":1}";
	webhook_sign("whsec-unit-0123456789", 1700000000, body, strlen(body), sig);
	/* Python: hmac.new(secret, b'1700000000.{"a":1}', sha256).hexdigest() */
	assert_string_equal(sig, "t=1700000000,v1=d84a80e81c4598f77148d402afce995d57587e40825561201d21d0094e238d2c");
	webhook_sign("whsec-unit-0123456789", 1700000001, body, strlen(body), sig);
	assert_null(strstr(sig, "d84a80e81c4598f7"));
}

int main(void)
{
	if (sodium_init() < 0 || phone_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pin_waits_grow_and_the_limit_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(sessions_spend_once_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(reminders_move_out, setup, teardown),
		cmocka_unit_test_setup_teardown(change_of_number_needs_the_taken_numbers_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(sign_in_keeps_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(totp_enrol_confirm_once_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_totp_codes_wait_like_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(totp_stands_in_for_the_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(totp_lapses_with_the_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(totp_one_code_in_parallel_counts_no_failure, setup, teardown),
		cmocka_unit_test(webhook_signature_is_hmac_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
