/* An account's authenticator app (TOTP): enrolment, confirmation, removal, and
 * the guess that stands in for the PIN (core/account.c). */
#include <sodium.h>
#include <string.h>

#include "base/alloc.h"
#include "base/seal.h"
#include "core/account_internal.h"
#include "core/app.h"
#include "core/event.h"

/* The sealed secret is bound to the account and to its purpose, so another
 * column's value sealed to the same account (the recovery e-mail) does not
 * open as a secret. */
static void secret_ad(const struct store_account *a, char *ad, size_t size)
{
	strfmt(ad, size, "totp|%s", a->id);
}

static int open_secret(const struct core *c, const struct store_account *a,
                       unsigned char key[TOTP_SECRET_BYTES])
{
	char ad[STORE_ID_MAX + 8], plain[TOTP_SECRET_BYTES + 1];
	size_t len = 0;
	secret_ad(a, ad, sizeof ad);
	int rc = seal_open(c->keys.account, ad, a->totp_sealed, a->totp_sealed_len, plain,
	                   sizeof plain, &len);
	if (rc == 0 && len == TOTP_SECRET_BYTES)
		memcpy(key, plain, TOTP_SECRET_BYTES);
	sodium_memzero(plain, sizeof plain);
	return rc == 0 && len == TOTP_SECRET_BYTES ? 0 : -1;
}

/* The step code is good for: one within a step either side of now (clock
 * drift, a code typed as it changed) and after the last accepted step, so a
 * code is accepted once. 0 when none; then *spent says whether it is the
 * code of a step already accepted (a copy of a right code, not a guess). */
static int64_t matching_step(const unsigned char key[TOTP_SECRET_BYTES], int64_t last_step,
                             int64_t now, const char *code, int *spent)
{
	int64_t s = totp_step(now), found = 0;
	int used = 0;
	for (int64_t t = s - 1; t <= s + 1; t++) {
		/* All three compared, whatever matched: the time taken says nothing. */
		int match = totp_matches(key, TOTP_SECRET_BYTES, t, code);
		if (match && t > last_step && !found)
			found = t;
		else if (match && t <= last_step)
			used = 1;
	}
	*spent = !found && used;
	return found;
}

enum iotp_error account_totp_guess(struct core *c, struct store_account *a, const char *code,
                                   int64_t now, struct account_result *out)
{
	/* The step this request's right code was about to take when another
	 * request took it first (a double tap, a client's retry): 0 when none. */
	int64_t lost = 0;
	for (int tries = 0; tries < 16; tries++) {
		/* Read again after a lost race, the authenticator may be gone:
		 * turned off by the request that won. */
		if (!a->totp_sealed_len)
			return IOTP_E_NO_TOTP;
		if (lost && a->totp_last_step >= lost) {
			/* The same code won in another request: it is spent, so
			 * refused here, but it was no wrong guess. Counting it would
			 * let a few parallel copies of one right code lock the person
			 * out, sooner the slower the store answers. */
			out->retry_after = account_secs_until(a->totp_retry_at, now);
			return IOTP_E_INCORRECT_TOTP;
		}
		out->retry_after = account_secs_until(a->totp_retry_at, now);
		if (now < a->totp_retry_at)
			return IOTP_E_TOTP_WAIT;
		unsigned char key[TOTP_SECRET_BYTES];
		if (open_secret(c, a, key) < 0)
			return IOTP_E_INTERNAL;
		int spent;
		int64_t step = matching_step(key, a->totp_last_step, now, code, &spent);
		sodium_memzero(key, sizeof key);
		/* A copy of the right code that another request already used (a
		 * double tap, a retry that raced its first try): refused, as a code
		 * works once, but no wrong guess. Whoever has it needs no guessing. */
		if (spent)
			return IOTP_E_INCORRECT_TOTP;
		/* The outcome and the step are written with a compare-and-swap: of
		 * two requests with one code only one lands, and the other, read
		 * again, finds the step used. Every wrong code is counted. */
		struct store_account counted = *a;
		if (step) {
			counted.totp_last_step = step;
			counted.totp_failures = 0;
			counted.totp_retry_at = 0;
		} else {
			counted.totp_failures++;
			counted.totp_retry_at = now + account_wait_ms(c, counted.totp_failures);
		}
		counted.version++;
		struct store_account_write w = {.account = &counted};
		int rc = account_store_write(c, &w);
		if (rc == STORE_CONFLICT) {
			lost = step;
			if (store_account_get(c->store, a->id, a) != 0)
				return IOTP_E_INTERNAL;
			continue;
		}
		if (rc != 0)
			return IOTP_E_INTERNAL;
		*a = counted;
		out->retry_after = account_secs_until(a->totp_retry_at, now);
		return step ? IOTP_E_OK : IOTP_E_INCORRECT_TOTP;
	}
	return IOTP_E_INTERNAL;
}

/* "+447700900123" as "+44*******0123": enough for the person to tell their
 * numbers apart in the app, not the whole number on a screen or a QR code. */
void account_masked_number(const char *phone, char *out, size_t size)
{
	size_t n = strlen(phone), o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++)
		out[o++] = (i < 3 || i + 4 >= n) ? phone[i] : '*';
	out[o] = '\0';
}

/* Percent-encodes s (RFC 3986: all but unreserved characters) onto out. */
static void encode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out);
	for (; *s && o + 4 < size; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

struct enrol {
	struct account_totp_enrolment *out;
};

static enum iotp_error apply_enrol(struct core *c, struct store_account *a, int64_t now, void *arg,
                                   struct store_event *ev, int *n_ev)
{
	(void)now, (void)ev, (void)n_ev;
	struct account_totp_enrolment *out = ((struct enrol *)arg)->out;
	if (a->totp_enabled_at)
		return IOTP_E_TOTP_ENABLED;
	unsigned char key[TOTP_SECRET_BYTES];
	char ad[STORE_ID_MAX + 8];
	randombytes_buf(key, sizeof key);
	secret_ad(a, ad, sizeof ad);
	int rc = seal_close(c->keys.account, ad, key, sizeof key, a->totp_sealed,
	                    sizeof a->totp_sealed, &a->totp_sealed_len);
	if (rc == 0)
		rc = totp_base32(key, sizeof key, out->secret, sizeof out->secret);
	sodium_memzero(key, sizeof key);
	if (rc < 0)
		return IOTP_E_INTERNAL;
	a->totp_enabled_at = a->totp_last_step = 0;
	a->totp_failures = 0;
	a->totp_retry_at = 0;

	const struct app *app = apps_find(&c->apps, a->app);
	const char *issuer = app && app->msg.name ? app->msg.name : c->cfg->app_name;
	char masked[sizeof a->phone];
	account_masked_number(a->phone, masked, sizeof masked);
	/* Key URI Format (Google Authenticator's wiki): the label is
	 * "issuer:account", and the issuer parameter says it again. */
	strfmt(out->uri, sizeof out->uri, "otpauth://totp/");
	encode(issuer, out->uri, sizeof out->uri);
	encode(":", out->uri, sizeof out->uri);
	encode(masked, out->uri, sizeof out->uri);
	size_t o = strlen(out->uri);
	strfmt(out->uri + o, sizeof out->uri - o, "?secret=%s&issuer=", out->secret);
	encode(issuer, out->uri, sizeof out->uri);
	o = strlen(out->uri);
	strfmt(out->uri + o, sizeof out->uri - o, "&algorithm=SHA1&digits=%d&period=%d",
	       TOTP_DIGITS, TOTP_STEP_MS / 1000);
	return IOTP_E_OK;
}

enum iotp_error account_totp_enrol(struct core *c, const char *account_id, int64_t now,
                                   struct account_totp_enrolment *out, struct account_result *res)
{
	char id[STORE_ID_MAX]; /* account_id may point into *res */
	strfmt(id, sizeof id, "%s", account_id);
	memset(res, 0, sizeof *res);
	struct enrol e = {out};
	enum iotp_error rc = account_change_with(c, id, now, apply_enrol, &e, res);
	if (rc)
		sodium_memzero(out, sizeof *out);
	return rc;
}

struct toggle {
	int on;
	int64_t step; /* the step the code was accepted for */
};

static enum iotp_error apply_toggle(struct core *c, struct store_account *a, int64_t now, void *arg,
                                    struct store_event *ev, int *n_ev)
{
	(void)c;
	const struct toggle *t = arg;
	int on = t->on;
	/* Still the authenticator the code was checked against: a new enrolment
	 * meanwhile starts over at step 0, and an on/off meanwhile flips this. */
	if (a->totp_last_step != t->step || !a->totp_sealed_len || (a->totp_enabled_at != 0) == on)
		return IOTP_E_NO_TOTP;
	if (on) {
		a->totp_enabled_at = now;
	} else {
		a->totp_sealed_len = 0;
		a->totp_enabled_at = a->totp_last_step = 0;
		a->totp_failures = 0;
		a->totp_retry_at = 0;
	}
	if (event_make(&ev[(*n_ev)++], on ? "account.totp_enabled" : "account.totp_disabled",
	               a->app, a->id, now,
	               json_pack("{s:s, s:s}", "account_id", a->id, "phone", a->phone)) < 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

/* Confirm (on = 1) or disable (on = 0): a right code, then the change. The
 * change is a write of its own: the guess must be counted whatever follows. */
static enum iotp_error toggle(struct core *c, const char *account_id, const char *code, int on,
                              int64_t now, struct account_result *out)
{
	char id[STORE_ID_MAX]; /* account_id may point into *out */
	strfmt(id, sizeof id, "%s", account_id);
	memset(out, 0, sizeof *out);
	struct store_account a;
	int rc = store_account_get(c->store, id, &a);
	if (rc != 0 || a.closed_at)
		return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_INVALID_CREDENTIAL;
	out->account = a;
	if (!a.totp_sealed_len || (on && a.totp_enabled_at) || (!on && !a.totp_enabled_at))
		return on && a.totp_enabled_at ? IOTP_E_TOTP_ENABLED : IOTP_E_NO_TOTP;
	enum iotp_error e = account_totp_guess(c, &a, code, now, out);
	out->account = a;
	if (e)
		return e;
	struct toggle t = {on, a.totp_last_step};
	return account_change_with(c, id, now, apply_toggle, &t, out);
}

enum iotp_error account_totp_confirm(struct core *c, const char *account_id, const char *code,
                                     int64_t now, struct account_result *out)
{
	return toggle(c, account_id, code, 1, now, out);
}

enum iotp_error account_totp_disable(struct core *c, const char *account_id, const char *code,
                                     int64_t now, struct account_result *out)
{
	return toggle(c, account_id, code, 0, now, out);
}
