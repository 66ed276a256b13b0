#include "core/account.h"
#include "core/account_internal.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/seal.h"
#include "core/event.h"
#include "core/session.h"

#define CAS_TRIES 16
#define SEEN_EVERY_MS (3600 * 1000LL)
/* argon2id over a keyed digest of the PIN: a stolen database alone does not
 * let anyone test PINs (the key comes from the server secret), and with the
 * key too every guess still costs 16 MiB and three passes. */
#define PIN_OPSLIMIT 3
#define PIN_MEMLIMIT (16u * 1024 * 1024)

/* Writes w and, when it carried events, wakes their delivery. */
int account_store_write(struct core *c, const struct store_account_write *w)
{
	int rc = store_account_write(c->store, w);
	if (rc == 0 && w->n_events && c->events_notify)
		c->events_notify(c->events_arg);
	return rc;
}

static void device_key(const struct core *c, const char *credential,
		       unsigned char key[STORE_KEY_LEN])
{
	crypto_generichash(key, STORE_KEY_LEN, (const unsigned char *)credential, strlen(credential),
			   c->keys.account, sizeof c->keys.account);
}

/* The PIN as argon2id sees it: hex of a keyed hash bound to the account. */
static void pin_input(const struct core *c, const char *account_id, const char *pin, char *hex)
{
	unsigned char mac[32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, c->keys.account, sizeof c->keys.account, sizeof mac);
	crypto_generichash_update(&st, (const unsigned char *)account_id, strlen(account_id) + 1);
	crypto_generichash_update(&st, (const unsigned char *)pin, strlen(pin));
	crypto_generichash_final(&st, mac, sizeof mac);
	sodium_bin2hex(hex, 65, mac, sizeof mac);
	sodium_memzero(mac, sizeof mac);
}

static int pin_well_formed(const char *pin)
{
	if (!pin || strlen(pin) != ACCOUNT_PIN_LENGTH)
		return 0;
	for (const char *p = pin; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

static int pin_hash(const struct core *c, const char *account_id, const char *pin,
		    char out[STORE_PIN_HASH_MAX])
{
	char hex[65];
	pin_input(c, account_id, pin, hex);
	int rc = crypto_pwhash_str(out, hex, 64, PIN_OPSLIMIT, PIN_MEMLIMIT);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

static int pin_matches(const struct core *c, const struct store_account *a, const char *pin)
{
	char hex[65];
	pin_input(c, a->id, pin, hex);
	int ok = crypto_pwhash_str_verify(a->pin_hash, hex, 64) == 0;
	sodium_memzero(hex, sizeof hex);
	return ok;
}

/* Whether a two-step factor is on: a PIN, or a confirmed authenticator app. */
static int has_factor(const struct store_account *a)
{
	return a->pin_hash[0] || a->totp_enabled_at;
}

int64_t account_pin_lapses_at(const struct core *c, const struct store_account *a)
{
	if (!has_factor(a))
		return 0;
	return a->seen_at + (int64_t)c->cfg->pin_lapse * 1000;
}

int64_t account_pin_reminder_at(const struct core *c, const struct store_account *a)
{
	if (!a->pin_hash[0])
		return 0;
	const struct config_int_list *h = &c->cfg->pin_reminder_hours;
	int i = a->pin_streak < h->n ? a->pin_streak : h->n - 1;
	int64_t from = a->pin_checked_at ? a->pin_checked_at : a->pin_set_at;
	return from + (int64_t)h->v[i] * 3600 * 1000;
}

int64_t account_wait_ms(const struct core *c, int failures)
{
	const struct config_int_list *w = &c->cfg->pin_waits;
	if (failures <= 0 || w->n == 0)
		return 0;
	int i = failures - 1 < w->n ? failures - 1 : w->n - 1;
	return (int64_t)w->v[i] * 1000;
}

int64_t account_secs_until(int64_t at, int64_t now)
{
	return at > now ? (at - now + 999) / 1000 : 0;
}

static void fill_pin_state(const struct core *c, const struct store_account *a, int64_t now,
			   struct account_result *out)
{
	out->attempts_left = c->cfg->pin_max_attempts - a->pin_failures;
	if (out->attempts_left < 0)
		out->attempts_left = 0;
	out->retry_after = account_secs_until(a->pin_retry_at, now);
	out->reset_available_at = account_pin_lapses_at(c, a);
}

/* A session an account operation may spend: the app's, verified, unspent, and
 * verified within verified_ttl. */
static enum iotp_error spendable(const struct core *c, const char *app, const char *id,
				 int64_t now, struct store_session *s)
{
	enum iotp_error e = session_get((struct core *)c, app, id, s);
	if (e)
		return e;
	if (s->spent_at)
		return IOTP_E_SESSION_SPENT;
	if (!s->verified_at)
		return IOTP_E_SESSION_NOT_VERIFIED;
	if (now > s->verified_at + (int64_t)c->cfg->verified_ttl * 1000)
		return IOTP_E_SESSION_TOO_OLD;
	return IOTP_E_OK;
}

enum iotp_error account_spendable(struct core *c, const char *app, const char *id, int64_t now,
				  struct store_session *s)
{
	return spendable(c, app, id, now, s);
}

static void spend(struct store_session *s, int64_t now)
{
	s->spent_at = now;
	s->version++;
}

static json_t *device_json(const struct store_account *a)
{
	return json_pack("{s:s, s:s}", "id", a->device_id, "name", a->device_name);
}

static void new_device(const struct core *c, struct store_account *a,
		       const struct account_device *d, int64_t now, char *credential)
{
	seal_random_id(32, credential, ACCOUNT_CREDENTIAL_MAX);
	device_key(c, credential, a->device_key);
	seal_random_id(12, a->device_id, sizeof a->device_id);
	strfmt(a->device_name, sizeof a->device_name, "%s", d->name ? d->name : "");
	strfmt(a->push_token, sizeof a->push_token, "%s", d->push_token ? d->push_token : "");
	a->device_at = now;
	a->seen_at = now;
	a->verified_at = now;
}

/* Counts one PIN guess for account *a (re-read on conflict), then compares.
 * Returns OK with *a as stored after the count (the caller's own write resets
 * the failures), or IOTP_E_INCORRECT_PIN, _PIN_WAIT, _PIN_LOCKED,
 * _PIN_REQUIRED (pin NULL), with out's PIN fields filled. */
static enum iotp_error guess_pin(struct core *c, struct store_account *a, const char *pin,
				 int64_t now, struct account_result *out)
{
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		fill_pin_state(c, a, now, out);
		if (a->pin_failures >= c->cfg->pin_max_attempts)
			return IOTP_E_PIN_LOCKED;
		if (now < a->pin_retry_at)
			return IOTP_E_PIN_WAIT;
		if (!pin)
			return IOTP_E_PIN_REQUIRED;
		struct store_account counted = *a;
		counted.pin_failures++;
		counted.pin_retry_at = now + account_wait_ms(c, counted.pin_failures);
		counted.version++;
		struct store_account_write w = {.account = &counted};
		int rc = account_store_write(c, &w);
		if (rc == STORE_CONFLICT) {
			if (store_account_get(c->store, a->id, a) != 0)
				return IOTP_E_INTERNAL;
			continue;
		}
		if (rc != 0)
			return IOTP_E_INTERNAL;
		*a = counted;
		if (pin_well_formed(pin) && pin_matches(c, a, pin))
			return IOTP_E_OK;
		fill_pin_state(c, a, now, out);
		if (a->pin_failures >= c->cfg->pin_max_attempts) {
			/* This guess locked it: tell the app, in a write of its own (the
			 * count above had to commit before the comparison). */
			struct store_event ev;
			struct store_account locked = *a;
			locked.version++;
			if (event_make(&ev, "account.pin_locked", a->app, a->id, now,
				       json_pack("{s:s, s:s, s:i}", "account_id", a->id, "phone",
						 a->phone, "failures", a->pin_failures)) == 0) {
				struct store_account_write lw = {.account = &locked, .events = {&ev},
								 .n_events = 1};
				if (account_store_write(c, &lw) == 0)
					*a = locked;
			}
		}
		return IOTP_E_INCORRECT_PIN;
	}
	return IOTP_E_INTERNAL;
}

/* The two-step check wherever the PIN is asked: a passkey answering a
 * challenge issued for session_id, or a current code of the account's
 * authenticator app, when it has one on and one is given, stands in for the
 * PIN (the person's choice); else the PIN, counted as ever. An account
 * guarded by an authenticator alone answers IOTP_E_PIN_REQUIRED until a
 * code is given. out->totp and out->passkey say what would be accepted. */
static enum iotp_error guess_factor(struct core *c, struct store_account *a,
				    const struct account_factors *f, const char *session_id,
				    int64_t now, struct account_result *out)
{
	out->totp = a->totp_enabled_at != 0;
	out->passkey = account_passkey_count(c, a) > 0;
	if (f->passkey)
		return account_passkey_guess(c, a, f->passkey, session_id, now, out);
	if (f->totp && a->totp_enabled_at)
		return account_totp_guess(c, a, f->totp, now, out);
	if (a->pin_hash[0])
		return guess_pin(c, a, f->pin, now, out);
	fill_pin_state(c, a, now, out);
	return IOTP_E_PIN_REQUIRED;
}

static enum iotp_error create_account(struct core *c, struct store_session *s,
				      const struct account_device *d, const char *pin, int64_t now,
				      struct account_result *out)
{
	struct store_account *a = &out->account;
	memset(a, 0, sizeof *a);
	seal_random_id(16, a->id, sizeof a->id);
	memcpy(a->app, s->app, sizeof a->app);
	memcpy(a->phone, s->phone, sizeof a->phone);
	a->created_at = now;
	a->version = 1;
	new_device(c, a, d, now, out->credential);
	if (pin) {
		if (pin_hash(c, a->id, pin, a->pin_hash) < 0)
			return IOTP_E_INTERNAL;
		a->pin_set_at = now;
	}
	struct store_event ev;
	if (event_make(&ev, "account.registered", a->app, a->id, now,
		       json_pack("{s:s, s:s, s:o}", "account_id", a->id, "phone", a->phone, "device",
				 device_json(a))) < 0)
		return IOTP_E_INTERNAL;
	spend(s, now);
	struct store_account_write w = {.spend = {s}, .n_spend = 1, .account = a, .insert = 1,
					.events = {&ev}, .n_events = 1};
	int rc = account_store_write(c, &w);
	if (rc == STORE_CONFLICT)
		return IOTP_E_UNAVAILABLE; /* the caller re-reads and retries */
	if (rc != 0)
		return IOTP_E_INTERNAL;
	out->created = 1;
	return IOTP_E_OK;
}

static enum iotp_error move_account(struct core *c, struct store_session *s,
				    struct store_account *a, const struct account_device *d,
				    const struct account_factors *f, int64_t now,
				    struct account_result *out)
{
	const char *pin = f->pin;
	int lapsed = has_factor(a) && now >= account_pin_lapses_at(c, a);
	if (has_factor(a) && !lapsed) {
		enum iotp_error e = guess_factor(c, a, f, s->id, now, out);
		if (e)
			return e;
	}
	struct store_account moved = *a;
	struct store_event ev;
	char credential[ACCOUNT_CREDENTIAL_MAX];
	json_t *old_device = device_json(a);
	new_device(c, &moved, d, now, credential);
	moved.pin_failures = 0;
	moved.pin_retry_at = 0;
	moved.reverify = 0;
	moved.reverify_reason[0] = '\0';
	if (lapsed) {
		/* A PIN nobody used for pin_lapse seconds no longer guards the number: the
		 * person registers with the code alone and may choose a new PIN. */
		moved.pin_hash[0] = '\0';
		moved.pin_set_at = 0;
		moved.has_reset = 0;
		/* So does an authenticator: the number may be someone else's now. */
		moved.totp_sealed_len = 0;
		moved.totp_enabled_at = moved.totp_last_step = 0;
		moved.totp_failures = 0;
		moved.totp_retry_at = 0;
		if (pin && pin_hash(c, moved.id, pin, moved.pin_hash) == 0)
			moved.pin_set_at = now;
	}
	moved.version++;
	if (event_make(&ev, "account.device_replaced", a->app, a->id, now,
		       json_pack("{s:s, s:s, s:o, s:o, s:b}", "account_id", a->id, "phone", a->phone,
				 "old_device", old_device, "new_device", device_json(&moved),
				 "pin_lapsed", lapsed)) < 0)
		return IOTP_E_INTERNAL;
	spend(s, now);
	struct store_account_write w = {.spend = {s}, .n_spend = 1, .account = &moved,
					.events = {&ev}, .n_events = 1};
	int rc = account_store_write(c, &w);
	if (rc == STORE_CONFLICT)
		return IOTP_E_UNAVAILABLE;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	out->account = moved;
	memcpy(out->credential, credential, sizeof credential);
	if (lapsed)
		/* The passkeys go with the lapsed PIN: the number, and so the
		 * account, may be someone else's now. */
		account_passkeys_drop(c, moved.id);
	return IOTP_E_OK;
}

/* Spends a session on its number's account, whatever runs in parallel:
 * decide() gets the session and the live account of its number (NULL: none)
 * and answers IOTP_E_UNAVAILABLE when its write lost a race, after which
 * both are read again and decided afresh. */
typedef enum iotp_error (*number_decision)(struct core *c, struct store_session *s,
					   struct store_account *a, int64_t now, void *arg,
					   struct account_result *out);

static enum iotp_error on_number(struct core *c, const char *app, const char *session_id,
				 int64_t now, number_decision decide, void *arg,
				 struct account_result *out)
{
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		struct store_session s;
		struct store_account a;
		enum iotp_error e = spendable(c, app, session_id, now, &s);
		if (e)
			return e;
		int rc = store_account_by_phone(c->store, app, s.phone, &a);
		if (rc < 0)
			return IOTP_E_INTERNAL;
		e = decide(c, &s, rc == STORE_NOT_FOUND ? NULL : &a, now, arg, out);
		if (e != IOTP_E_UNAVAILABLE)
			return e;
	}
	return IOTP_E_INTERNAL;
}

struct registration {
	const struct account_device *device;
	const struct account_factors *f;
};

static enum iotp_error decide_register(struct core *c, struct store_session *s,
				       struct store_account *a, int64_t now, void *arg,
				       struct account_result *out)
{
	struct registration *r = arg;
	return a ? move_account(c, s, a, r->device, r->f, now, out)
		 : create_account(c, s, r->device, r->f->pin, now, out);
}

enum iotp_error account_register_with(struct core *c, const char *app, const char *session_id,
				      const struct account_device *device,
				      const struct account_factors *f, int64_t now,
				      struct account_result *out)
{
	memset(out, 0, sizeof *out);
	if (f->pin && !pin_well_formed(f->pin))
		return IOTP_E_INVALID_FIELD;
	struct registration r = {device, f};
	return on_number(c, app, session_id, now, decide_register, &r, out);
}

enum iotp_error account_register(struct core *c, const char *app, const char *session_id,
				 const struct account_device *device, const char *pin,
				 const char *totp, int64_t now, struct account_result *out)
{
	const struct account_factors f = {pin, totp, NULL};
	return account_register_with(c, app, session_id, device, &f, now, out);
}

int account_reverify_due(const struct core *c, const struct store_account *a, int64_t now)
{
	return a->reverify ||
	       (c->cfg->reverify_after && now >= a->verified_at + (int64_t)c->cfg->reverify_after * 1000);
}

enum iotp_error account_authenticate(struct core *c, const char *credential, int64_t now,
				     struct store_account *out, int *reverify)
{
	unsigned char key[STORE_KEY_LEN];
	if (!credential || !*credential || strlen(credential) >= ACCOUNT_CREDENTIAL_MAX)
		return IOTP_E_INVALID_CREDENTIAL;
	device_key(c, credential, key);
	int rc = store_account_by_device(c->store, key, out);
	if (rc == STORE_NOT_FOUND || (rc == 0 && out->closed_at))
		return IOTP_E_INVALID_CREDENTIAL;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	if (now - out->seen_at >= SEEN_EVERY_MS) {
		/* Use keeps the PIN from lapsing; an hour's precision is plenty, and
		 * spares a write per request. A lost race just means someone else wrote. */
		struct store_account seen = *out;
		seen.seen_at = now;
		seen.version++;
		struct store_account_write w = {.account = &seen};
		if (account_store_write(c, &w) == 0)
			*out = seen;
	}
	*reverify = account_reverify_due(c, out, now);
	return IOTP_E_OK;
}

enum iotp_error account_change_with(struct core *c, const char *id, int64_t now,
				      account_change change, void *arg, struct account_result *out)
{
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		struct store_account a;
		int rc = store_account_get(c->store, id, &a);
		if (rc == STORE_NOT_FOUND || (rc == 0 && a.closed_at))
			return IOTP_E_INVALID_CREDENTIAL;
		if (rc != 0)
			return IOTP_E_INTERNAL;
		struct store_event ev[2];
		int n_ev = 0;
		enum iotp_error e = change(c, &a, now, arg, ev, &n_ev);
		out->account = a;
		if (e)
			return e;
		a.version++;
		struct store_account_write w = {.account = &a, .n_events = n_ev};
		for (int i = 0; i < n_ev; i++)
			w.events[i] = &ev[i];
		rc = account_store_write(c, &w);
		if (rc == STORE_CONFLICT)
			continue;
		if (rc != 0)
			return IOTP_E_INTERNAL;
		out->account = a;
		return IOTP_E_OK;
	}
	return IOTP_E_INTERNAL;
}

static int email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || !at[1] || strchr(at + 1, '@') || strlen(e) > 254)
		return 0;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == '\\')
			return 0;
	return strchr(at, '.') != NULL;
}

struct set_pin {
	const char *pin;
	const char *email;
};

static enum iotp_error apply_set_pin(struct core *c, struct store_account *a, int64_t now,
				     void *arg, struct store_event *ev, int *n_ev)
{
	(void)ev;
	(void)n_ev;
	struct set_pin *p = arg;
	if (pin_hash(c, a->id, p->pin, a->pin_hash) < 0)
		return IOTP_E_INTERNAL;
	a->pin_set_at = now;
	a->pin_checked_at = now;
	a->pin_streak = 0;
	a->pin_failures = 0;
	a->pin_retry_at = 0;
	a->has_reset = 0;
	if (p->email && !*p->email) {
		a->email_sealed_len = 0;
	} else if (p->email &&
		   seal_close(c->keys.account, a->id, p->email, strlen(p->email), a->email_sealed,
			      sizeof a->email_sealed, &a->email_sealed_len) < 0) {
		return IOTP_E_INTERNAL;
	}
	return IOTP_E_OK;
}

enum iotp_error account_set_pin(struct core *c, const char *account_id, const char *pin,
				const char *email, int64_t now, struct account_result *out,
				const char **field)
{
	memset(out, 0, sizeof *out);
	if (!pin_well_formed(pin)) {
		*field = "pin";
		return IOTP_E_INVALID_FIELD;
	}
	if (email && *email && !email_ok(email)) {
		*field = "email";
		return IOTP_E_INVALID_FIELD;
	}
	struct set_pin p = {pin, email};
	return account_change_with(c, account_id, now, apply_set_pin, &p, out);
}

/* The PIN-checking operations: guess, then (when right) apply. */
static enum iotp_error with_pin(struct core *c, const char *account_id, const char *pin,
				int64_t now, struct account_result *out, account_change apply)
{
	memset(out, 0, sizeof *out);
	struct store_account a;
	int rc = store_account_get(c->store, account_id, &a);
	if (rc != 0)
		return rc == STORE_NOT_FOUND ? IOTP_E_INVALID_CREDENTIAL : IOTP_E_INTERNAL;
	if (!a.pin_hash[0])
		return IOTP_E_NO_PIN;
	enum iotp_error e = guess_pin(c, &a, pin, now, out);
	if (e) {
		out->account = a;
		return e;
	}
	return account_change_with(c, account_id, now, apply, NULL, out);
}

static enum iotp_error apply_remove_pin(struct core *c, struct store_account *a, int64_t now,
					void *arg, struct store_event *ev, int *n_ev)
{
	(void)c, (void)now, (void)arg, (void)ev, (void)n_ev;
	a->pin_hash[0] = '\0';
	a->pin_set_at = a->pin_checked_at = 0;
	a->pin_streak = a->pin_failures = 0;
	a->pin_retry_at = 0;
	a->has_reset = 0;
	return IOTP_E_OK;
}

static enum iotp_error apply_pin_checked(struct core *c, struct store_account *a, int64_t now,
					 void *arg, struct store_event *ev, int *n_ev)
{
	(void)c, (void)arg, (void)ev, (void)n_ev;
	a->pin_failures = 0;
	a->pin_retry_at = 0;
	a->pin_checked_at = now;
	a->pin_streak++;
	return IOTP_E_OK;
}

enum iotp_error account_remove_pin(struct core *c, const char *account_id, const char *pin,
				   int64_t now, struct account_result *out)
{
	if (!pin_well_formed(pin))
		return IOTP_E_INVALID_FIELD;
	return with_pin(c, account_id, pin, now, out, apply_remove_pin);
}

static enum iotp_error apply_streak_reset(struct core *c, struct store_account *a, int64_t now,
					  void *arg, struct store_event *ev, int *n_ev)
{
	(void)c, (void)now, (void)arg, (void)ev, (void)n_ev;
	a->pin_streak = 0; /* a forgotten PIN is reminded sooner */
	return IOTP_E_OK;
}

enum iotp_error account_check_pin(struct core *c, const char *account_id, const char *pin,
				  int64_t now, struct account_result *out)
{
	if (!pin_well_formed(pin))
		return IOTP_E_INVALID_FIELD;
	enum iotp_error e = with_pin(c, account_id, pin, now, out, apply_pin_checked);
	if (e == IOTP_E_INCORRECT_PIN) {
		struct account_result tmp = *out;
		if (account_change_with(c, account_id, now, apply_streak_reset, NULL, &tmp) == 0)
			out->account = tmp.account;
	}
	return e;
}

/* Whether a PIN still guards account a's number (set, and not lapsed). */
static int pin_guards(const struct core *c, const struct store_account *a, int64_t now)
{
	return has_factor(a) && now < account_pin_lapses_at(c, a);
}

/* account_change_number, and account_move_number when old_session_id is NULL
 * (the caller proved the account some other way). A live account on the new
 * number is closed only when this move may take the number from it: never
 * when refuse_taken (IOTP_E_NUMBER_TAKEN), and while a PIN guards it only
 * with that PIN, guessed like a registration's. The decision is made against
 * the accounts as the write finds them: the write is a compare-and-swap on
 * both, and the store refuses a second live account on one number, so a
 * registration or PIN change that lands meanwhile sends us round again. */
static enum iotp_error change_number(struct core *c, const char *account_id,
				     const char *old_session_id, const char *new_session_id,
				     const struct account_factors *f, int refuse_taken, int64_t now,
				     struct account_result *out)
{
	memset(out, 0, sizeof *out);
	if (f->pin && !pin_well_formed(f->pin))
		return IOTP_E_INVALID_FIELD;
	/* The account whose PIN this request proved, so a lost race does not
	 * count a second guess for one PIN. */
	char proved[sizeof out->account.id] = "";
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		struct store_account a, other;
		int rc = store_account_get(c->store, account_id, &a);
		if (rc != 0 || a.closed_at)
			return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_INVALID_CREDENTIAL;
		out->account = a;
		struct store_session olds, news;
		enum iotp_error e =
			old_session_id ? spendable(c, a.app, old_session_id, now, &olds) : IOTP_E_OK;
		if (!e)
			e = spendable(c, a.app, new_session_id, now, &news);
		if (e)
			return e;
		if (old_session_id && strcmp(olds.phone, a.phone) != 0)
			return IOTP_E_SESSION_WRONG_NUMBER;
		if (strcmp(news.phone, a.phone) == 0)
			return IOTP_E_SAME_NUMBER;
		if (old_session_id && !strcmp(olds.id, news.id))
			return IOTP_E_SESSION_WRONG_NUMBER;
		rc = store_account_by_phone(c->store, a.app, news.phone, &other);
		if (rc < 0)
			return IOTP_E_INTERNAL;
		int displaces = rc == 0;
		if (displaces && refuse_taken)
			return IOTP_E_NUMBER_TAKEN;
		if (displaces && pin_guards(c, &other, now) && strcmp(proved, other.id) != 0) {
			/* The new number's code alone is what a SIM swap or an SS7
			 * interception yields: the PIN is what stops it, here as at
			 * registration on a new device. */
			struct account_result pr = {0};
			e = guess_factor(c, &other, f, news.id, now, &pr);
			out->totp = pr.totp;
			out->passkey = pr.passkey;
			out->why = pr.why;
			out->attempts_left = pr.attempts_left;
			out->retry_after = pr.retry_after;
			out->reset_available_at = pr.reset_available_at;
			if (e)
				return e;
			strfmt(proved, sizeof proved, "%s", other.id);
		}

		struct store_event ev[2];
		int n_ev = 0;
		struct store_account moved = a;
		strfmt(moved.phone, sizeof moved.phone, "%s", news.phone);
		moved.verified_at = now;
		moved.seen_at = now;
		moved.version++;
		if (displaces) {
			other.closed_at = now;
			other.version++;
			if (event_make(&ev[n_ev++], "account.closed", a.app, other.id, now,
				       json_pack("{s:s, s:s, s:s, s:s}", "account_id", other.id, "phone",
						 other.phone, "reason", "number_taken", "by_account_id",
						 a.id)) < 0)
				return IOTP_E_INTERNAL;
		}
		if (event_make(&ev[n_ev++], "account.number_changed", a.app, a.id, now,
			       json_pack("{s:s, s:s, s:s, s:o}", "account_id", a.id, "old_phone", a.phone,
					 "new_phone", news.phone, "closed_account_id",
					 displaces ? json_string(other.id) : json_null())) < 0)
			return IOTP_E_INTERNAL;
		if (old_session_id)
			spend(&olds, now);
		spend(&news, now);
		struct store_account_write w = {.spend = {old_session_id ? &olds : &news, &news},
						.n_spend = old_session_id ? 2 : 1,
						.account = &moved, .closed = displaces ? &other : NULL,
						.events = {&ev[0], &ev[1]}, .n_events = n_ev};
		rc = account_store_write(c, &w);
		if (rc == STORE_CONFLICT)
			continue;
		if (rc != 0)
			return IOTP_E_INTERNAL;
		out->account = moved;
		return IOTP_E_OK;
	}
	return IOTP_E_INTERNAL;
}

enum iotp_error account_change_number(struct core *c, const char *account_id,
				      const char *old_session_id, const char *new_session_id,
				      const char *pin, const char *totp, int64_t now,
				      struct account_result *out)
{
	const struct account_factors f = {pin, totp, NULL};
	return change_number(c, account_id, old_session_id, new_session_id, &f, 0, now, out);
}

enum iotp_error account_change_number_with(struct core *c, const char *account_id,
					   const char *old_session_id, const char *new_session_id,
					   const struct account_factors *f, int64_t now,
					   struct account_result *out)
{
	return change_number(c, account_id, old_session_id, new_session_id, f, 0, now, out);
}

enum iotp_error account_move_number(struct core *c, const char *account_id,
				    const char *new_session_id, int64_t now,
				    struct account_result *out)
{
	const struct account_factors none = {NULL, NULL, NULL};
	return change_number(c, account_id, NULL, new_session_id, &none, 1, now, out);
}

/* A sign-in on an existing account: the session proves the number again. */
static enum iotp_error sign_in_existing(struct core *c, struct store_session *s,
					struct store_account *a, int64_t now,
					struct account_result *out)
{
	if (pin_guards(c, a, now)) {
		fill_pin_state(c, a, now, out);
		return IOTP_E_PIN_REQUIRED; /* no PIN can be given here: the PIN keeps guarding */
	}
	struct store_account seen = *a;
	seen.verified_at = now;
	seen.seen_at = now;
	seen.reverify = 0;
	seen.reverify_reason[0] = '\0';
	seen.version++;
	spend(s, now);
	struct store_account_write w = {.spend = {s}, .n_spend = 1, .account = &seen};
	int rc = account_store_write(c, &w);
	if (rc == STORE_CONFLICT)
		return IOTP_E_UNAVAILABLE;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	out->account = seen;
	return IOTP_E_OK;
}

static enum iotp_error decide_sign_in(struct core *c, struct store_session *s,
				      struct store_account *a, int64_t now, void *arg,
				      struct account_result *out)
{
	(void)arg;
	if (a)
		return sign_in_existing(c, s, a, now, out);
	const struct account_device none = {.name = "", .push_token = NULL};
	enum iotp_error e = create_account(c, s, &none, NULL, now, out);
	/* The device credential create_account made is never handed out. */
	sodium_memzero(out->credential, sizeof out->credential);
	return e;
}

enum iotp_error account_sign_in(struct core *c, const char *app, const char *session_id,
				int64_t now, struct account_result *out)
{
	memset(out, 0, sizeof *out);
	return on_number(c, app, session_id, now, decide_sign_in, NULL, out);
}

enum iotp_error account_reverify(struct core *c, const char *account_id, const char *session_id,
				 int64_t now, struct account_result *out)
{
	memset(out, 0, sizeof *out);
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		struct store_account a;
		int rc = store_account_get(c->store, account_id, &a);
		if (rc != 0 || a.closed_at)
			return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_INVALID_CREDENTIAL;
		out->account = a;
		struct store_session s;
		enum iotp_error e = spendable(c, a.app, session_id, now, &s);
		if (e)
			return e;
		if (strcmp(s.phone, a.phone) != 0)
			return IOTP_E_SESSION_WRONG_NUMBER;
		a.reverify = 0;
		a.reverify_reason[0] = '\0';
		a.verified_at = now;
		a.seen_at = now;
		a.version++;
		spend(&s, now);
		struct store_account_write w = {.spend = {&s}, .n_spend = 1, .account = &a};
		rc = account_store_write(c, &w);
		if (rc == STORE_CONFLICT)
			continue;
		if (rc != 0)
			return IOTP_E_INTERNAL;
		out->account = a;
		return IOTP_E_OK;
	}
	return IOTP_E_INTERNAL;
}

static enum iotp_error apply_mark(struct core *c, struct store_account *a, int64_t now, void *arg,
				  struct store_event *ev, int *n_ev)
{
	(void)c;
	const char *reason = arg;
	a->reverify = 1;
	strfmt(a->reverify_reason, sizeof a->reverify_reason, "%s", reason);
	if (event_make(&ev[(*n_ev)++], "account.reverification_required", a->app, a->id, now,
		       json_pack("{s:s, s:s, s:s}", "account_id", a->id, "phone", a->phone, "reason",
				 reason)) < 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

enum iotp_error account_mark_reverify(struct core *c, const char *app, const char *phone,
				      const char *reason, int64_t now, struct store_account *out)
{
	struct store_account a;
	int rc = store_account_by_phone(c->store, app, phone, &a);
	if (rc == STORE_NOT_FOUND)
		return IOTP_E_ACCOUNT_NOT_FOUND;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	struct account_result res;
	enum iotp_error e = account_change_with(c, a.id, now, apply_mark, (void *)(reason ? reason : "operator"),
					   &res);
	*out = res.account;
	return e == IOTP_E_INVALID_CREDENTIAL ? IOTP_E_ACCOUNT_NOT_FOUND : e;
}

struct reset_request {
	char token[ACCOUNT_CREDENTIAL_MAX];
	char email[256];
};

static enum iotp_error apply_reset_request(struct core *c, struct store_account *a, int64_t now,
					   void *arg, struct store_event *ev, int *n_ev)
{
	struct reset_request *r = arg;
	if (!a->pin_hash[0])
		return IOTP_E_NO_PIN;
	if (!a->email_sealed_len)
		return IOTP_E_NO_RECOVERY_EMAIL;
	/* One live link at a time: a verified session would otherwise send
	 * mail after mail to the owner's inbox for as long as it lasts. */
	if (a->has_reset && now < a->reset_expires_at)
		return IOTP_E_PIN_RESET_PENDING;
	if (seal_open(c->keys.account, a->id, a->email_sealed, a->email_sealed_len, r->email,
		      sizeof r->email, NULL) < 0)
		return IOTP_E_INTERNAL;
	seal_random_id(32, r->token, sizeof r->token);
	crypto_generichash(a->reset_key, STORE_KEY_LEN, (const unsigned char *)r->token,
			   strlen(r->token), c->keys.account, sizeof c->keys.account);
	a->has_reset = 1;
	a->reset_expires_at = now + (int64_t)c->cfg->pin_reset_ttl * 1000;

	/* The e-mail goes out through the event outbox (events/ sends mail.*
	 * events by SMTP, never to the app): address and link sealed to the event. */
	struct store_event *e = &ev[(*n_ev)++];
	char link[1024], sealed_to[700], sealed_link[2200];
	unsigned char buf[1200];
	size_t len;
	if (event_make(e, "mail.pin_reset", a->app, a->id, now, json_object()) < 0)
		return IOTP_E_INTERNAL;
	strfmt(link, sizeof link, "%s/v1/pin-reset?token=%s", c->cfg->public_url, r->token);
	if (seal_close(c->keys.message, e->id, r->email, strlen(r->email), buf, sizeof buf, &len) < 0)
		return IOTP_E_INTERNAL;
	sodium_bin2base64(sealed_to, sizeof sealed_to, buf, len, sodium_base64_VARIANT_ORIGINAL);
	if (seal_close(c->keys.message, e->id, link, strlen(link), buf, sizeof buf, &len) < 0)
		return IOTP_E_INTERNAL;
	sodium_bin2base64(sealed_link, sizeof sealed_link, buf, len, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(link, sizeof link);
	sodium_memzero(r->token, sizeof r->token);
	char *text = json_dumps(json_pack("{s:s, s:s, s:s}", "to", sealed_to, "link", sealed_link,
					  "phone", a->phone),
				JSON_COMPACT);
	int fits = text && strlen(text) < sizeof e->payload;
	if (fits)
		memcpy(e->payload, text, strlen(text) + 1);
	free(text);
	return fits ? IOTP_E_OK : IOTP_E_INTERNAL;
}

enum iotp_error account_request_pin_reset(struct core *c, const char *app, const char *session_id,
					  int64_t now, struct account_result *out)
{
	memset(out, 0, sizeof *out);
	struct store_session s;
	struct store_account a;
	enum iotp_error e = spendable(c, app, session_id, now, &s);
	if (e)
		return e;
	int rc = store_account_by_phone(c->store, app, s.phone, &a);
	if (rc == STORE_NOT_FOUND)
		return IOTP_E_ACCOUNT_NOT_FOUND;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	if (!*c->cfg->smtp_url)
		return IOTP_E_MAIL_NOT_CONFIGURED;
	struct reset_request r;
	e = account_change_with(c, a.id, now, apply_reset_request, &r, out);
	sodium_memzero(&r, sizeof r);
	fill_pin_state(c, &out->account, now, out);
	return e;
}

/* The link is single use: it must still be the account's live one when the
 * write happens (a second click, or a PIN set meanwhile, finds it gone). */
static enum iotp_error apply_reset(struct core *c, struct store_account *a, int64_t now,
				   void *arg, struct store_event *ev, int *n_ev)
{
	if (!a->has_reset || sodium_memcmp(a->reset_key, arg, STORE_KEY_LEN) != 0 ||
	    now >= a->reset_expires_at)
		return IOTP_E_RESET_LINK_INVALID;
	return apply_remove_pin(c, a, now, NULL, ev, n_ev);
}

enum iotp_error account_reset_pin(struct core *c, const char *token, int64_t now)
{
	unsigned char key[STORE_KEY_LEN];
	struct store_account a;
	if (!token || !*token || strlen(token) >= ACCOUNT_CREDENTIAL_MAX)
		return IOTP_E_RESET_LINK_INVALID;
	crypto_generichash(key, STORE_KEY_LEN, (const unsigned char *)token, strlen(token),
			   c->keys.account, sizeof c->keys.account);
	int rc = store_account_by_reset(c->store, key, &a);
	if (rc == STORE_NOT_FOUND || (rc == 0 && (a.closed_at || now >= a.reset_expires_at)))
		return IOTP_E_RESET_LINK_INVALID;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	struct account_result res;
	return account_change_with(c, a.id, now, apply_reset, key, &res);
}
