#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/alloc.h"
#include "store/backend.h"

struct store {
	const struct store_ops *ops;
	void *state;
};

/* The compiled-in backends, asked in order whether they take a url. */
static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
#ifdef IOTP_HAVE_POSTGRES
	&store_postgres_ops,
#endif
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

const char *store_backends(void)
{
	static char list[256];
	static atomic_flag built = ATOMIC_FLAG_INIT;
	if (!atomic_flag_test_and_set(&built)) {
		size_t off = 0;
		for (size_t i = 0; i < N_BACKENDS; i++) {
			int w = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "",
					 backends[i]->locations);
			if (w < 0 || (size_t)w >= sizeof list - off)
				break;
			off += (size_t)w;
		}
	}
	return list;
}

/* Replaces [from, to) of out with the mask; out holds len bytes and a NUL. */
static size_t mask_span(char *out, size_t len, size_t size, size_t from, size_t to)
{
	static const char mask[] = "********";
	size_t ml = sizeof mask - 1;
	if (len - (to - from) + ml >= size)
		return len;
	memmove(out + from + ml, out + to, len - to + 1);
	memcpy(out + from, mask, ml);
	return len - (to - from) + ml;
}

char *store_url_mask(const char *url, char *out, size_t size)
{
	if (!size)
		return out;
	if (strfmt(out, size, "%s", url) < 0) {
		strfmt(out, size, "(a store location too long to show)");
		return out;
	}
	size_t len = strlen(out);
	/* scheme://user:password@host */
	char *scheme = strstr(out, "://");
	if (scheme) {
		char *auth = scheme + 3;
		size_t hostpart = strcspn(auth, "/?#");
		char *at = memrchr(auth, '@', hostpart);
		char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon)
			len = mask_span(out, len, size, (size_t)(colon + 1 - out), (size_t)(at - out));
	}
	/* password=... as a key=value word or a query parameter */
	for (size_t i = 0; i + 9 <= len; i++) {
		if (strncasecmp(out + i, "password=", 9) != 0 ||
		    (i > 0 && !strchr(" \t?&", out[i - 1])))
			continue;
		size_t from = i + 9, to = from;
		if (out[to] == '\'') { /* a quoted libpq value: up to the closing quote */
			for (to++; to < len && out[to] != '\''; to++)
				if (out[to] == '\\' && to + 1 < len)
					to++;
			if (to < len)
				to++;
		} else {
			to += strcspn(out + to, scheme ? "&#" : " \t");
		}
		len = mask_span(out, len, size, from, to);
		i = from;
	}
	return out;
}

const char *store_backend_name(const struct store *st)
{
	return st->ops->name;
}

int store_open(const char *url, const struct store_options *opt, struct store **out, char *err,
	       size_t errlen)
{
	const struct store_ops *ops = NULL;
	for (size_t i = 0; i < N_BACKENDS && !ops; i++)
		if (backends[i]->accepts(url))
			ops = backends[i];
	char shown[512];
	if (!ops) {
		strfmt(err, errlen, "store '%s' names no store this build knows (known: %s)",
		       store_url_mask(url, shown, sizeof shown), store_backends());
		return -1;
	}
	if (ops->version != STORE_OPS_VERSION) {
		strfmt(err, errlen,
		       "store backend %s was written for store interface %d, this build has %d: "
		       "rebuild it with this tree",
		       ops->name, ops->version, STORE_OPS_VERSION);
		return -1;
	}
	struct store_options none = {0};
	void *state = NULL;
	if (ops->open(url, opt ? opt : &none, &state, err, errlen) < 0)
		return -1;
	struct store *st = xmalloc(sizeof *st);
	st->ops = ops;
	st->state = state;
	*out = st;
	return 0;
}

int store_ready(struct store *st, char *why, size_t len)
{
	if (st->ops->ready)
		return st->ops->ready(st->state, why, len);
	struct store_session s;
	if (st->ops->session_get(st->state, "readyz-probe", &s) < 0) {
		strfmt(why, len, "the %s store does not answer a read", st->ops->name);
		return -1;
	}
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	st->ops->close(st->state);
	free(st);
}

int store_session_insert(struct store *st, const struct store_session *s)
{
	struct store_session copy = *s;
	struct store_write w = {.session = &copy, .insert = 1};
	return st->ops->session_write(st->state, &w, NULL);
}

int store_session_get(struct store *st, const char *id, struct store_session *out)
{
	return st->ops->session_get(st->state, id, out);
}

int store_session_update(struct store *st, const struct store_session *s,
			 const struct store_message *msg, struct store_session *current)
{
	return store_session_update_event(st, s, msg, NULL, current);
}

int store_session_update_event(struct store *st, const struct store_session *s,
			       const struct store_message *msg, const struct store_event *event,
			       struct store_session *current)
{
	struct store_session copy = *s;
	struct store_write w = {.session = &copy, .msg = msg, .event = event};
	return st->ops->session_write(st->state, &w, current);
}

int store_session_write(struct store *st, struct store_write *w, struct store_session *current)
{
	return st->ops->session_write(st->state, w, current);
}

int store_outbox_due(struct store *st, int64_t now, struct store_due *out, size_t max, size_t *n)
{
	return st->ops->outbox_due(st->state, now, out, max, n);
}

int store_outbox_take(struct store *st, const char *id, const char *provider, int64_t now,
		      struct store_message *out)
{
	return store_outbox_finish_take(st, NULL, 0, id, provider, now, out);
}

int store_outbox_finish_take(struct store *st, const struct store_message *done, size_t n_done,
			     const char *id, const char *provider, int64_t now,
			     struct store_message *out)
{
	struct store_take want = {.id = id, .provider = provider};
	int rc = st->ops->outbox_take(st->state, done, n_done, &want, 1, now, out);
	return rc < 0 ? rc : want.rc;
}

int store_outbox_take_batch(struct store *st, const struct store_message *done, size_t n_done,
			    struct store_take *want, size_t n, int64_t now,
			    struct store_message *out)
{
	return st->ops->outbox_take(st->state, done, n_done, want, n, now, out);
}

int store_outbox_finish(struct store *st, const struct store_message *m, size_t n)
{
	return st->ops->outbox_finish(st->state, m, n);
}

int store_outbox_handing(struct store *st, const char *id, const char *provider)
{
	return st->ops->outbox_handing(st->state, id, provider);
}

int store_outbox_recover(struct store *st, int64_t now, size_t *requeued, size_t *unknown)
{
	return st->ops->outbox_recover(st->state, now, requeued, unknown);
}

int store_message_report(struct store *st, const struct store_report *r,
			 struct store_reported *out)
{
	return st->ops->message_report(st->state, r, out);
}

int store_session_attempts(struct store *st, const char *session_id,
			   void (*fn)(const struct store_attempt *a, void *arg), void *arg)
{
	return st->ops->session_attempts(st->state, session_id, fn, arg);
}

int store_delivery_stats(struct store *st, int64_t since,
			 void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg)
{
	return st->ops->delivery_stats(st->state, since, fn, arg);
}

int store_activity(struct store *st, int64_t since, int64_t step_ms,
		   void (*fn)(const struct store_activity *a, void *arg), void *arg)
{
	return st->ops->activity(st->state, since, step_ms, fn, arg);
}

int store_note_add(struct store *st, const struct store_note *n)
{
	return st->ops->note_add(st->state, n);
}

int store_notes_of(struct store *st, const char *phone, int64_t since, size_t limit,
		   void (*fn)(const struct store_note *n, void *arg), void *arg)
{
	return st->ops->notes_of(st->state, phone, since, limit, fn, arg);
}

int store_sessions_recent(struct store *st, int64_t since, size_t limit,
			  void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	return st->ops->sessions_recent(st->state, since, limit, fn, arg);
}

int store_message_rank(int state)
{
	static const int rank[STORE_MSG_STATES] = {
		[STORE_MSG_QUEUED] = 0,   [STORE_MSG_SENDING] = 1,   [STORE_MSG_SENT] = 2,
		[STORE_MSG_ACCEPTED] = 3, [STORE_MSG_FAILED] = 4,    [STORE_MSG_DELIVERED] = 4,
		[STORE_MSG_EXPIRED] = 4,
	};
	return state >= 0 && state < STORE_MSG_STATES ? rank[state] : -1;
}

const char *store_message_state_name(int state)
{
	static const char *const names[STORE_MSG_STATES] = {
		"queued", "sending", "submitted", "failed", "accepted", "delivered", "expired",
	};
	return state >= 0 && state < STORE_MSG_STATES ? names[state] : "unknown";
}

int store_session_history(struct store *st, const char *session_id,
			  void (*msg_fn)(const struct store_message *m, void *arg),
			  void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg)
{
	if (st->ops->session_history)
		return st->ops->session_history(st->state, session_id, msg_fn, attempt_fn, arg);
	if (st->ops->session_messages(st->state, session_id, msg_fn, arg) < 0)
		return -1;
	return st->ops->session_attempts(st->state, session_id, attempt_fn, arg);
}

int store_session_messages(struct store *st, const char *session_id,
			   void (*fn)(const struct store_message *m, void *arg), void *arg)
{
	return st->ops->session_messages(st->state, session_id, fn, arg);
}

int store_number_sessions(struct store *st, const char *phone, size_t limit,
			  void (*fn)(const struct store_session *s, void *arg), void *arg)
{
	return st->ops->number_sessions(st->state, phone, limit, fn, arg);
}

int store_get_stats(struct store *st, struct store_stats *out)
{
	return st->ops->stats(st->state, out);
}

int store_account_write(struct store *st, const struct store_account_write *w)
{
	return st->ops->account_write(st->state, w);
}

int store_account_get(struct store *st, const char *id, struct store_account *out)
{
	return st->ops->account_get(st->state, id, out);
}

int store_account_by_phone(struct store *st, const char *app, const char *phone,
			   struct store_account *out)
{
	return st->ops->account_by_phone(st->state, app, phone, out);
}

int store_account_by_device(struct store *st, const unsigned char key[STORE_KEY_LEN],
			    struct store_account *out)
{
	return st->ops->account_by_device(st->state, key, out);
}

int store_account_by_reset(struct store *st, const unsigned char key[STORE_KEY_LEN],
			   struct store_account *out)
{
	return st->ops->account_by_reset(st->state, key, out);
}

int store_event_claim(struct store *st, int64_t now, int64_t lease_until,
		      const struct store_event_skip *skip, struct store_event *out, size_t max,
		      size_t *n)
{
	return st->ops->event_claim(st->state, now, lease_until, skip, out, max, n);
}

int store_event_finish(struct store *st, const struct store_event *e, size_t n)
{
	return st->ops->event_finish(st->state, e, n);
}

int store_account_events(struct store *st, const char *account_id,
			 void (*fn)(const struct store_event *e, void *arg), void *arg)
{
	return st->ops->account_events(st->state, account_id, fn, arg);
}

int store_buckets_take(struct store *st, const struct store_bucket *b, size_t n, int64_t now,
		       size_t *refused, int64_t *retry_after_ms)
{
	return st->ops->buckets_take(st->state, b, n, NULL, 0, now, refused, retry_after_ms);
}

int store_buckets_prune(struct store *st, int64_t before, size_t *n)
{
	return st->ops->buckets_prune(st->state, before, n);
}

int store_decay_add(struct store *st, struct store_decay *d, size_t n, int64_t now)
{
	return st->ops->decay_add(st->state, d, n, now);
}

int store_decay_reset(struct store *st, const char *key)
{
	return st->ops->decay_reset(st->state, key);
}

int store_decay_prune(struct store *st, const char *prefix, int64_t before, size_t *n)
{
	*n = 0;
	return st->ops->decay_prune ? st->ops->decay_prune(st->state, prefix, before, n) : 0;
}

int store_blocks_prune(struct store *st, int64_t before, size_t *n)
{
	*n = 0;
	return st->ops->blocks_prune ? st->ops->blocks_prune(st->state, before, n) : 0;
}

int store_block_set(struct store *st, const struct store_block *b, const char *event_type)
{
	return st->ops->block_set(st->state, b, event_type);
}

int store_block_lift(struct store *st, const char *key, const char *who, int64_t now,
		     const char *event_type)
{
	return st->ops->block_lift(st->state, key, who, now, event_type);
}

int store_blocks_list(struct store *st, void (*fn)(const struct store_block *b, void *arg),
		      void *arg)
{
	return st->ops->blocks_list(st->state, fn, arg);
}

int store_fraud_events(struct store *st, int64_t after_id, size_t limit,
		       void (*fn)(const struct store_fraud_event *e, void *arg), void *arg)
{
	return st->ops->fraud_events(st->state, after_id, limit, fn, arg);
}

int store_record_get(struct store *st, const char *kind, const char *key, int64_t now,
		     struct store_record *out)
{
	return st->ops->record_get(st->state, kind, key, now, out);
}

char *store_skip_apps_json(const struct store_event_skip *skip)
{
	json_t *a = json_array();
	for (size_t i = 0; skip && i < skip->n_apps && i < STORE_EVENT_SKIP_MAX; i++)
		json_array_append_new(a, json_string(skip->apps[i]));
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

int store_cleanup(struct store *st, int64_t before, int64_t now, size_t batch,
		  struct store_cleanup *n)
{
	return st->ops->cleanup(st->state, before, now, batch, n);
}

/* The holder as a JSON string (the record's text is JSON; the store does
 * not read it back, it only compares it). */
static void lease_value(const char *holder, char *out, size_t size)
{
	size_t o = 0;
	const char *head = "{\"holder\":\"";
	for (; *head && o + 1 < size; head++)
		out[o++] = *head;
	for (const unsigned char *p = (const unsigned char *)holder; *p && o + 8 < size; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	if (o + 3 <= size) {
		out[o++] = '"';
		out[o++] = '}';
	}
	out[o < size ? o : size - 1] = '\0';
}

int store_lease_take(struct store *st, const char *name, const char *holder, int64_t now,
		     int64_t until)
{
	struct store_record r = {.kind = "lease"};
	strfmt(r.key, sizeof r.key, "%s", name);
	char mine[STORE_RECORD_MAX];
	lease_value(holder, mine, sizeof mine);
	struct store_record cur;
	int rc = store_record_get(st, "lease", r.key, now, &cur);
	if (rc < 0)
		return -1;
	if (rc == 0 && strcmp(cur.value, mine) != 0)
		return STORE_CONFLICT;
	/* Free (never taken, or ended): version 1; ours: renewed by CAS. */
	r.version = rc == 0 ? cur.version + 1 : 1;
	r.expires_at = until;
	strfmt(r.value, sizeof r.value, "%s", mine);
	return store_record_put(st, &r, now);
}

int store_record_put(struct store *st, const struct store_record *r, int64_t now)
{
	return st->ops->record_put(st->state, r, now);
}

int store_passkey_insert(struct store *st, const struct store_passkey *p, int max)
{
	return st->ops->passkey_insert(st->state, p, max);
}

int store_passkey_get(struct store *st, const char *app, const unsigned char *cred_id,
		      size_t cred_id_len, struct store_passkey *out)
{
	return st->ops->passkey_get(st->state, app, cred_id, cred_id_len, out);
}

int store_passkey_list(struct store *st, const char *account_id,
		       void (*fn)(const struct store_passkey *p, void *arg), void *arg)
{
	return st->ops->passkey_list(st->state, account_id, fn, arg);
}

int store_passkey_update(struct store *st, const struct store_passkey *p)
{
	return st->ops->passkey_update(st->state, p);
}

int store_passkey_delete(struct store *st, const char *account_id, const char *id)
{
	return st->ops->passkey_delete(st->state, account_id, id);
}

int store_record_list(struct store *st, const char *kind, const char *after, size_t limit,
		      int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg)
{
	return st->ops->record_list(st->state, kind, after, limit, now, fn, arg);
}
