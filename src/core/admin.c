/* admin: the operator's reads and the one write (lifting a fraud measure),
 * kept in core so that api/ reaches the store and policy only through here. */
#include "core/admin.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "policy/policy.h"

int admin_activity(const struct core *c, int64_t since, int64_t step_ms,
                   void (*fn)(const struct store_activity *a, void *arg), void *arg)
{
	return store_activity(c->store, since, step_ms, fn, arg);
}

int admin_recent_sessions(const struct core *c, int64_t since, size_t limit,
                          void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	return store_sessions_recent(c->store, since, limit, fn, arg);
}

static void gather_session(const struct store_session *s, void *arg)
{
	struct admin_timeline *t = arg;
	if (t->n_sessions >= ADMIN_SESSIONS_MAX) {
		t->more_sessions = 1; /* asked for one more than shown, to know */
		return;
	}
	struct admin_session *as = &t->sessions[t->n_sessions++];
	as->s = *s;
	sodium_memzero(as->s.code_sealed, sizeof as->s.code_sealed);
	as->s.code_sealed_len = 0;
}

static void gather_message(const struct store_message *m, void *arg)
{
	struct admin_session *as = arg;
	if (as->n_messages < ADMIN_MESSAGES_MAX)
		as->messages[as->n_messages++] = *m;
}

static void gather_attempt(const struct store_attempt *a, void *arg)
{
	struct admin_session *as = arg;
	if (as->n_attempts < ADMIN_ATTEMPTS_MAX)
		as->attempts[as->n_attempts++] = *a;
}

static void gather_note(const struct store_note *n, void *arg)
{
	struct admin_timeline *t = arg;
	if (t->n_notes < ADMIN_NOTES_MAX)
		t->notes[t->n_notes++] = *n;
	else
		t->more_notes = 1;
}

static void gather_event(const struct store_event *e, void *arg)
{
	struct admin_account *aa = arg;
	if (aa->n_events < ADMIN_EVENTS_MAX)
		aa->events[aa->n_events++] = *e;
}

/* What of an account an operator may see: no credential, hash or e-mail. */
static void clear_secrets(struct store_account *a)
{
	sodium_memzero(a->device_key, sizeof a->device_key);
	sodium_memzero(a->pin_hash, sizeof a->pin_hash);
	sodium_memzero(a->email_sealed, sizeof a->email_sealed);
	a->email_sealed_len = 0;
	sodium_memzero(a->reset_key, sizeof a->reset_key);
	sodium_memzero(a->push_token, sizeof a->push_token);
}

int admin_timeline_new(const struct core *c, const char *e164, struct admin_timeline **out)
{
	struct admin_timeline *t = xcalloc(1, sizeof *t);
	t->accounts = xcalloc(c->apps.n ? (size_t)c->apps.n : 1, sizeof *t->accounts);
	if (store_number_sessions(c->store, e164, ADMIN_SESSIONS_MAX + 1, gather_session, t) < 0)
		goto err;
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct admin_session *as = &t->sessions[i];
		if (store_session_history(c->store, as->s.id, gather_message, gather_attempt, as) < 0)
			goto err;
	}
	if (store_notes_of(c->store, e164, 0, ADMIN_NOTES_MAX + 1, gather_note, t) < 0)
		goto err;
	for (int i = 0; i < c->apps.n; i++) {
		struct admin_account *aa = &t->accounts[t->n_accounts];
		int rc = store_account_by_phone(c->store, c->apps.v[i].id, e164, &aa->a);
		if (rc == STORE_NOT_FOUND)
			continue;
		if (rc < 0 || store_account_events(c->store, aa->a.id, gather_event, aa) < 0)
			goto err;
		/* A PIN's presence is worth showing; its hash is not. */
		int has_pin = aa->a.pin_hash[0] != '\0';
		clear_secrets(&aa->a);
		aa->a.pin_hash[0] = has_pin ? '*' : '\0';
		t->n_accounts++;
	}
	*out = t;
	return 0;
err:
	admin_timeline_free(t);
	return -1;
}

void admin_timeline_free(struct admin_timeline *t)
{
	if (!t)
		return;
	free(t->accounts);
	free(t);
}

struct in_force {
	int64_t now;
	void (*fn)(const struct store_block *b, void *arg);
	void *arg;
};

static void only_in_force(const struct store_block *b, void *arg)
{
	const struct in_force *f = arg;
	/* A measure that ran out stays recorded for its strikes; it is not in force. */
	if (b->until == 0 || b->until > f->now)
		f->fn(b, f->arg);
}

int admin_blocks(const struct core *c, int64_t now,
                 void (*fn)(const struct store_block *b, void *arg), void *arg)
{
	struct in_force f = {now, fn, arg};
	return store_blocks_list(c->store, only_in_force, &f);
}

void admin_describe_block(const char *key, char *buf, size_t size)
{
	policy_describe_key(key, buf, size);
}

int admin_lift_block(const struct core *c, const char *key, const char *who, int64_t now)
{
	return policy_unblock(c->store, key, who, now);
}
