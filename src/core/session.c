#include "core/session.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/metrics.h"
#include "core/code.h"
#include "core/event.h"
#include "core/number.h"
#include "core/note.h"
#include "core/refusals.h"
#include "msg/catalog.h"
#include "msg/voice.h"

/* A session_update that loses a compare-and-swap re-reads and tries again; each
 * loss means another request made progress, so a small bound suffices. */
#define CAS_TRIES 64
#define SESSION_ID_RANDOM 18 /* bytes after the time: 144 bits */
#define MESSAGE_ID_RANDOM 12 /* 96 bits */

static int64_t secs_until(int64_t at, int64_t now)
{
	if (at <= now)
		return 0;
	return (at - now + 999) / 1000;
}

static int is_fixed_line(const struct store_session *s)
{
	return strcmp(s->number_type, "fixed_line") == 0;
}

/* A canceled session is over too (session_cancel also moves expires_at). */
static int is_expired(const struct store_session *s, int64_t now)
{
	return now >= s->expires_at || s->canceled_at;
}

static int code_live(const struct core *c, const struct store_session *s, int64_t now)
{
	return s->code_sealed_len && now < s->code_expires_at &&
	       s->check_attempts < c->cfg->max_check_attempts;
}

/* When the next SMS may go (ms), or -1 when none can. */
static int64_t sms_at(const struct core *c, const struct store_session *s)
{
	const struct config_int_list *d = &c->cfg->sms_delays;
	if (is_fixed_line(s))
		return -1;
	if (s->test_number)
		return s->created_at;
	if (s->sms_sent >= d->n)
		return -1;
	int64_t from = s->sms_sent ? s->last_sms_at : s->created_at;
	return from + (int64_t)d->v[s->sms_sent] * 1000;
}

/* When the next call may go (ms), or -1 when none can (yet). A first call waits
 * for a first SMS, except for fixed lines, which cannot receive one. */
static int64_t voice_at(const struct core *c, const struct store_session *s)
{
	const struct config_int_list *d = &c->cfg->voice_delays;
	if (s->test_number)
		return s->created_at;
	if (s->voice_sent >= d->n)
		return -1;
	if (s->voice_sent)
		return s->last_voice_at + (int64_t)d->v[s->voice_sent] * 1000;
	if (is_fixed_line(s) || c->cfg->sms_delays.n == 0)
		return s->created_at;
	if (!s->sms_sent)
		return -1;
	return s->first_sms_at + (int64_t)d->v[0] * 1000;
}

void session_timers(const struct core *c, const struct store_session *s, int64_t now,
		    struct session_timers *out)
{
	memset(out, 0, sizeof *out);
	out->next_sms = out->next_call = out->next_verification_attempt = -1;
	out->attempts_left = c->cfg->max_check_attempts - s->check_attempts;
	if (out->attempts_left < 0)
		out->attempts_left = 0;
	if (s->verified_at || is_expired(s, now))
		return;
	if (s->check_attempts >= c->cfg->max_check_attempts)
		return; /* no code sent now could ever be checked */
	int64_t at = sms_at(c, s);
	if (at >= 0)
		out->next_sms = secs_until(at, now);
	at = voice_at(c, s);
	if (at >= 0)
		out->next_call = secs_until(at, now);
	if (code_live(c, s, now))
		out->next_verification_attempt = 0;
	out->allowed_to_request_code =
		(out->next_sms >= 0 || out->next_call >= 0) && !s->pow_difficulty;
}

/* Policy hooks run only with a policy and a client; *v is always usable. */
static struct policy *policy_for(const struct core *c, const struct policy_client *who,
				 struct policy_verdict **v, struct policy_verdict *local)
{
	if (!*v)
		*v = local;
	memset(*v, 0, sizeof **v);
	return who ? c->policy : NULL;
}

static enum iotp_error create(struct core *c, const struct session_request *r,
			      const struct policy_client *who, int64_t now,
			      struct store_session *out, struct phone_number *number,
			      struct policy_verdict *v)
{
	struct policy_verdict local;
	struct policy *pol = policy_for(c, who, &v, &local);
	int test = 0;
	memset(number, 0, sizeof *number);
	if (r->code_length && (r->code_length < session_min_code_length(c, r->app) ||
			       r->code_length > CODE_MAX_LENGTH))
		return IOTP_E_INVALID_FIELD; /* before any policy token is spent */
	enum iotp_error e = number_read(c, r->phone, r->region, number, &test);
	if (!e)
		e = number_allowed(c, number, test);
	if (e)
		return e;
	struct policy_plan plan;
	if (test)
		pol = NULL; /* a test number sends nothing */
	if (pol && (e = policy_create(pol, who, number->e164, number->region, now, v, &plan)))
		return e;

	struct store_session *s = out;
	memset(s, 0, sizeof *s);
	seal_time_id(SESSION_ID_RANDOM, now, s->id, sizeof s->id);
	memcpy(s->phone, number->e164, sizeof s->phone);
	memcpy(s->region, number->region, sizeof s->region);
	strjoin(s->number_type, sizeof s->number_type, phone_type_name(number->type), NULL, NULL);
	s->created_at = now;
	s->expires_at = now + (int64_t)c->cfg->session_ttl * 1000;
	s->version = 1;
	s->test_number = number_test(c, s->phone) != NULL;
	strjoin(s->app, sizeof s->app, r->app ? r->app : APP_DEFAULT, NULL, NULL);
	if (r->locale)
		strjoin(s->locale, sizeof s->locale, r->locale, NULL, NULL);
	/* Fixed at creation: a later change of code_length does not change the
	 * length a person was told to expect. */
	s->code_length = r->code_length ? r->code_length : c->cfg->code_length;
	/* The session and its limits in one write: the policy sets the
	 * proof-of-work it owes there (pow_difficulty). */
	struct store_write w = {.session = s, .insert = 1, .now = now};
	if (pol)
		policy_plan_attach(&plan, &w);
	int rc = store_session_write(c->store, &w, NULL);
	if (rc == STORE_LIMITED && pol)
		return policy_plan_refused(&plan, &w, v);
	if (rc != 0)
		return IOTP_E_INTERNAL;
	v->pow_difficulty = s->pow_difficulty;
	return IOTP_E_OK;
}

/* The dashboard counts what was refused (core/refusals.h). */
enum iotp_error session_create(struct core *c, const struct session_request *r,
			       const struct policy_client *who, int64_t now,
			       struct store_session *out, struct phone_number *number,
			       struct policy_verdict *v)
{
	enum iotp_error e = create(c, r, who, now, out, number, v);
	refusals_count(e, now);
	note_refusal(c, number->e164, "", e, "session", now);
	return e;
}

enum iotp_error session_get(struct core *c, const char *app, const char *id,
			    struct store_session *out)
{
	if (strlen(id) >= STORE_ID_MAX)
		return IOTP_E_SESSION_NOT_FOUND;
	int rc = store_session_get(c->store, id, out);
	if (rc == STORE_NOT_FOUND)
		return IOTP_E_SESSION_NOT_FOUND;
	if (rc != 0)
		return IOTP_E_INTERNAL;
	/* Another app's session is not there for this one: the same answer as an
	 * id that never existed, so ids tell nothing across apps. A session's app
	 * never changes, so this one check guards every later write. */
	if (app && strcmp(out->app, app) != 0)
		return IOTP_E_SESSION_NOT_FOUND;
	return IOTP_E_OK;
}

int session_min_code_length(const struct core *c, const char *app)
{
	const struct app *a = apps_find(&c->apps, app ? app : APP_DEFAULT);
	return a ? a->min_code_length : c->cfg->min_code_length;
}

int session_live(const struct core *c, const struct store_session *s, int64_t now)
{
	return !s->canceled_at && !s->verified_at && !is_expired(s, now) &&
	       s->check_attempts < c->cfg->max_check_attempts;
}

enum session_status session_status(const struct core *c, const struct store_session *s,
				   int64_t now)
{
	if (s->canceled_at)
		return SESSION_CANCELED;
	if (s->verified_at)
		return SESSION_APPROVED;
	if (s->check_attempts >= c->cfg->max_check_attempts)
		return SESSION_MAX_ATTEMPTS;
	if (!session_live(c, s, now) || (s->code_sealed_len && now >= s->code_expires_at))
		return SESSION_EXPIRED;
	return SESSION_PENDING;
}

const char *session_status_name(enum session_status st)
{
	static const char *const names[] = {"pending", "approved", "expired", "canceled",
					    "max_attempts"};
	return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "expired";
}

int session_challenge(const struct core *c, const struct store_session *s, char out[33])
{
	if (!s->pow_difficulty || !c->policy || s->verified_at)
		return 0;
	policy_pow_challenge(c->policy, s->id, out);
	return 1;
}

/* The state checks every action on a session starts with. */
static enum iotp_error usable(const struct store_session *s, int64_t now)
{
	if (s->verified_at)
		return IOTP_E_ALREADY_VERIFIED;
	if (s->canceled_at)
		return IOTP_E_SESSION_CANCELED;
	if (is_expired(s, now))
		return IOTP_E_SESSION_EXPIRED;
	return IOTP_E_OK;
}

/* Decides whether channel may send now. */
static enum iotp_error may_send(const struct core *c, const struct store_session *s, int voice,
				int64_t now, int64_t *retry_after)
{
	if (s->check_attempts >= c->cfg->max_check_attempts)
		return IOTP_E_ATTEMPTS_EXHAUSTED;
	if (s->pow_difficulty)
		return IOTP_E_CHALLENGE_REQUIRED;
	int64_t at = voice ? voice_at(c, s) : sms_at(c, s);
	if (at < 0) {
		const struct config_int_list *d = voice ? &c->cfg->voice_delays : &c->cfg->sms_delays;
		int sent = voice ? s->voice_sent : s->sms_sent;
		if (sent >= d->n && d->n > 0 && !(!voice && is_fixed_line(s)))
			return IOTP_E_SENDS_EXHAUSTED;
		return IOTP_E_CHANNEL_NOT_AVAILABLE;
	}
	if (at > now) {
		*retry_after = secs_until(at, now);
		return IOTP_E_SEND_TOO_SOON;
	}
	return IOTP_E_OK;
}

/* The code to send: the live one again, or a new one. Writes it to code and
 * updates the sealed copy in *s. Returns 0 or -1. */
static int code_for_send(const struct core *c, struct store_session *s, int64_t now, char *code)
{
	const struct config_test_number *t = s->test_number ? number_test(c, s->phone) : NULL;
	if (t) {
		strjoin(code, CODE_MAX_LENGTH + 1, t->code, NULL, NULL);
	} else if (s->code_sealed_len && now < s->code_expires_at) {
		if (seal_open(c->keys.code, s->id, s->code_sealed, s->code_sealed_len, code,
			      CODE_MAX_LENGTH + 1, NULL) < 0) {
			log_error("session %s: its code does not open with this server's secret", s->id);
			return -1;
		}
		return 0;
	} else {
		code_generate(s->code_length ? s->code_length : c->cfg->code_length, code);
	}
	return seal_close(c->keys.code, s->id, code, strlen(code), s->code_sealed,
			  sizeof s->code_sealed, &s->code_sealed_len);
}

/* Writes what the person receives: in their language (session_language), for
 * their app, by SMS or as a voice script. A text longer than one segment is
 * still sent (start-up checks make that an operator's choice, never a
 * surprise). Returns 0 or -1. */
static int render(const struct core *c, const struct store_session *s, const char *channel,
		  const char *code, char *text, size_t size)
{
	const struct app *app = session_app(c, s);
	struct msg_lang_choice lc;
	session_language(c, s, &lc);
	int minutes = (c->cfg->code_ttl + 59) / 60;
	if (strcmp(channel, "voice") != 0)
		return msg_render_sms(apps_catalog(&c->apps), lc.lang, &app->msg, code, minutes, text, size,
				      NULL) < 0
			       ? -1
			       : 0;
	/* A call carries the script and its SSML in one text (msg/voice.h). */
	char ssml[STORE_TEXT_MAX];
	if (msg_render_voice(apps_catalog(&c->apps), lc.lang, &app->msg, code, minutes, s->region, text,
			     size, ssml, sizeof ssml) < 0)
		return -1;
	if (msg_voice_pack(text, size, ssml) != 0)
		log_warn("session %s: the voice SSML does not fit the outbox; the script goes alone", s->id);
	seal_wipe(ssml, sizeof ssml);
	return 0;
}

const struct app *session_app(const struct core *c, const struct store_session *s)
{
	const struct app *app = apps_find(&c->apps, s->app);
	/* An app taken out of the configuration: its sessions finish as the default's. */
	return app ? app : &c->apps.v[0];
}

void session_language(const struct core *c, const struct store_session *s,
		      struct msg_lang_choice *out)
{
	msg_lang_choose(s->locale, app_language(session_app(c, s), s->region), s->region, out);
}

static int build_message(const struct core *c, const struct store_session *s, const char *channel,
			 const char *code, int64_t now, struct store_message *m)
{
	char text[STORE_TEXT_MAX];
	memset(m, 0, offsetof(struct store_message, body));
	seal_time_id(MESSAGE_ID_RANDOM, now, m->id, sizeof m->id);
	memcpy(m->session_id, s->id, sizeof m->session_id);
	memcpy(m->to, s->phone, sizeof m->to);
	memcpy(m->region, s->region, sizeof m->region);
	strjoin(m->channel, sizeof m->channel, channel, NULL, NULL);
	m->state = STORE_MSG_QUEUED;
	m->created_at = now;
	m->next_attempt_at = now;
	/* A WhatsApp authentication template is approved at the platform with the
	 * code as its one parameter: the provider gets the bare code. */
	if (!strcmp(channel, "whatsapp")) {
		strjoin(text, sizeof text, code, NULL, NULL);
	} else if (render(c, s, channel, code, text, sizeof text) < 0) {
		seal_wipe(text, sizeof text);
		return -1;
	}
	int rc = seal_close(c->keys.message, m->id, text, strlen(text), m->body, sizeof m->body,
			    &m->body_len);
	seal_wipe(text, sizeof text);
	return rc;
}

/* What rides with a session change: the limits it takes (policy_plan_attach)
 * and the number's timeline note of it. */
struct guard {
	struct policy_plan plan;
	int planned;              /* 1: plan holds limits to take */
	struct policy_verdict *v; /* filled when a limit refuses */
	int refused;              /* 1: a limit refused the change; nothing was written */
	const struct store_note *note; /* may be NULL */
};

/* Applies change to the session with compare-and-swap: read, change a copy,
 * write it if nobody wrote in between, else read again and retry. change returns
 * an outcome to stop with (nothing is written), or OK with the copy changed and,
 * optionally, a heap message (*msg) to queue in the same transaction. The
 * guard's buckets and counters (g may be NULL) go in the same write: a limit
 * that refuses stops it (g->refused, the rule's outcome returned), and a
 * change that loses the compare-and-swap takes no token. With have, *out
 * already holds the session as just read. On success *out is the session as
 * written. */
typedef enum iotp_error (*change_fn)(struct core *c, struct store_session *s, int64_t now,
				     void *arg, struct store_message **msg);

static enum iotp_error change_session(struct core *c, const char *app, const char *id, int64_t now,
				      change_fn change, void *arg, const struct store_event *event,
				      struct guard *g, int have, struct store_session *out)
{
	enum iotp_error e = have ? IOTP_E_OK : session_get(c, app, id, out);
	for (int tries = 0; !e && tries < CAS_TRIES; tries++) {
		struct store_session s = *out;
		struct store_message *msg = NULL;
		if ((e = change(c, &s, now, arg, &msg))) {
			free(msg);
			return e;
		}
		s.version++;
		/* The event goes with a message: it tells of a code on its way. */
		struct store_write w = {.session = &s, .msg = msg, .event = msg ? event : NULL,
					.note = g ? g->note : NULL, .now = now};
		if (g && g->planned)
			policy_plan_attach(&g->plan, &w);
		void *claim = msg && c->outbox_claim ? c->outbox_claim(c->notify_arg, msg) : NULL;
		int rc = store_session_write(c->store, &w, out);
		int queued = msg != NULL;
		if (rc == 0 && msg) {
			const char *labels[] = {s.app, msg->region, msg->channel};
			metrics_add(METRIC_CODES_SENT, labels, 1);
		}
		if (msg && c->outbox_notify)
			c->outbox_notify(c->notify_arg, msg, claim, rc == 0);
		free(msg);
		if (rc == 0) {
			*out = s;
			if (g && g->planned)
				policy_plan_written(&g->plan, now);
			if (queued && event && c->events_notify)
				c->events_notify(c->events_arg);
			return IOTP_E_OK;
		}
		if (rc == STORE_LIMITED && g && g->planned) {
			g->refused = 1;
			return policy_plan_refused(&g->plan, &w, g->v);
		}
		if (rc == STORE_NOT_FOUND)
			return IOTP_E_SESSION_NOT_FOUND;
		if (rc != STORE_CONFLICT)
			return IOTP_E_INTERNAL;
		/* *out now holds the session as the winner left it: retry from there. */
	}
	if (!e)
		log_error("session %s: gave up after %d conflicting updates", id, CAS_TRIES);
	return e ? e : IOTP_E_INTERNAL;
}

struct send {
	const char *channel;
	int voice;
	const char *locale;
	int64_t *retry_after;
	int pretend; /* policy: record the send, deliver nothing */
	const char *withhold; /* the caller's: record the send, deliver nothing, and why */
};

static enum iotp_error apply_send(struct core *c, struct store_session *s, int64_t now, void *arg,
				  struct store_message **msg)
{
	struct send *a = arg;
	enum iotp_error e;
	char code[CODE_MAX_LENGTH + 1];
	if ((e = usable(s, now)) || (e = may_send(c, s, a->voice, now, a->retry_after)))
		return e;
	if (code_for_send(c, s, now, code) < 0)
		return IOTP_E_INTERNAL;
	if (a->locale) /* the person's latest word on their language */
		strjoin(s->locale, sizeof s->locale, a->locale, NULL, NULL);
	if (!s->test_number) {
		*msg = xmalloc(sizeof **msg);
		if (build_message(c, s, a->channel, code, now, *msg) < 0) {
			e = IOTP_E_INTERNAL;
		} else if (a->pretend || a->withhold) {
			/* The client is answered as if the code went; the timeline keeps
			 * the truth, and the worker never sees a failed row. */
			(*msg)->state = STORE_MSG_FAILED;
			(*msg)->body_len = 0;
			strfmt((*msg)->error, sizeof (*msg)->error, "%s",
			       a->withhold ? a->withhold
					   : "not sent: number range blocked for suspected SMS pumping "
					     "(fraud_action = pretend)");
		}
	}
	seal_wipe(code, sizeof code);
	if (e)
		return e;
	if (a->voice) {
		s->voice_sent++;
		s->last_voice_at = now;
	} else {
		if (!s->sms_sent)
			s->first_sms_at = now;
		s->sms_sent++;
		s->last_sms_at = now;
	}
	s->code_expires_at = now + (int64_t)c->cfg->code_ttl * 1000;
	if (s->expires_at < s->code_expires_at)
		s->expires_at = s->code_expires_at;
	return IOTP_E_OK;
}

static enum iotp_error send_code(struct core *c, const char *id, const char *channel,
				 const char *locale, const struct policy_client *who, int64_t now,
				 struct store_session *out, int64_t *retry_after,
				 struct policy_verdict *v, const char *withhold)
{
	struct policy_verdict local;
	struct policy *pol = policy_for(c, who, &v, &local);
	struct send a = {.channel = channel, .locale = locale, .retry_after = retry_after,
			 .withhold = withhold};
	unsigned bit;
	/* WhatsApp follows the SMS schedule: it stands in for an SMS. */
	if (strcmp(channel, "sms") == 0)
		a.voice = 0, bit = CORE_CHANNEL_SMS;
	else if (strcmp(channel, "whatsapp") == 0)
		a.voice = 0, bit = CORE_CHANNEL_WHATSAPP;
	else if (strcmp(channel, "voice") == 0)
		a.voice = 1, bit = CORE_CHANNEL_VOICE;
	else
		return IOTP_E_INVALID_FIELD;
	if (!(c->channels & bit))
		return IOTP_E_CHANNEL_NOT_CONFIGURED;
	*retry_after = 0;
	/* Someone asks for a code for a number that has an account: the app can
	 * warn the person on their device that it must never be shared. */
	struct store_session cur;
	struct store_account acct;
	struct store_event ev, *event = NULL;
	struct guard g = {.v = v};
	const char *app = who ? who->app : NULL;
	enum iotp_error e = session_get(c, app, id, &cur);
	if (e)
		return e;
	if (cur.test_number)
		pol = NULL;
	if (pol) {
		/* The session's own rules answer first, so a send it would refuse
		 * anyway costs the client no tokens (and the write below re-checks
		 * them against the session as it then stands). */
		if ((e = usable(&cur, now)) || (e = may_send(c, &cur, a.voice, now, retry_after))) {
			*out = cur;
			return e;
		}
		if ((e = policy_send(pol, who, cur.phone, cur.region, now, v, &g.plan))) {
			*out = cur;
			return e;
		}
		g.planned = 1;
		a.pretend = v->pretend;
	}
	/* Only an app that listens (webhook_url) is told, so only then does a
	 * send pay for the account lookup. */
	if (!cur.test_number && !a.pretend && !a.withhold && session_app(c, &cur)->webhook_url &&
	    store_account_by_phone(c->store, cur.app, cur.phone, &acct) == 0 &&
	    event_make(&ev, "verification.code_requested", cur.app, acct.id, now,
		       json_pack("{s:s, s:s, s:s, s:s}", "account_id", acct.id, "phone", cur.phone,
				 "channel", channel, "session_id", cur.id)) == 0)
		event = &ev;
	*out = cur; /* as read: no second read before the write */
	e = change_session(c, app, id, now, apply_send, &a, event, &g, 1, out);
	if (g.refused)
		*retry_after = v->retry_after;
	return e;
}

enum iotp_error session_send_code(struct core *c, const char *id, const char *channel,
				  const char *locale, const struct policy_client *who, int64_t now,
				  struct store_session *out, int64_t *retry_after,
				  struct policy_verdict *v)
{
	enum iotp_error e = send_code(c, id, channel, locale, who, now, out, retry_after, v, NULL);
	refusals_count(e, now);
	if (refusal_reason_of(e) >= 0) /* *out is the session as it stands */
		note_refusal(c, out->phone, out->id, e, channel, now);
	return e;
}

enum iotp_error session_send_withheld(struct core *c, const char *id, const char *channel,
				      const struct policy_client *who, int64_t now,
				      struct store_session *out, int64_t *retry_after,
				      struct policy_verdict *v, const char *reason)
{
	enum iotp_error e = send_code(c, id, channel, NULL, who, now, out, retry_after, v, reason);
	refusals_count(e, now);
	if (refusal_reason_of(e) >= 0)
		note_refusal(c, out->phone, out->id, e, channel, now);
	return e;
}

struct solve {
	const char *nonce;
};

static enum iotp_error apply_solve(struct core *c, struct store_session *s, int64_t now, void *arg,
				   struct store_message **msg)
{
	(void)msg;
	struct solve *a = arg;
	enum iotp_error e;
	if ((e = usable(s, now)))
		return e;
	if (!s->pow_difficulty || !c->policy)
		return IOTP_E_CHALLENGE_NOT_REQUESTED;
	if (!policy_pow_verify(c->policy, s->id, s->pow_difficulty, a->nonce))
		return IOTP_E_CHALLENGE_FAILED;
	s->pow_difficulty = 0; /* single use: the compare-and-swap lets one request win */
	return IOTP_E_OK;
}

enum iotp_error session_solve_challenge(struct core *c, const char *app, const char *id,
					const char *kind, const char *answer, int64_t now,
					struct store_session *out)
{
	struct solve a = {.nonce = answer};
	enum iotp_error e = session_get(c, app, id, out);
	if (e)
		return e;
	if (strcmp(kind, "proof_of_work") != 0) {
		if ((e = usable(out, now)))
			return e;
		return IOTP_E_CHALLENGE_NOT_SUPPORTED; /* a captcha verifier plugs in here */
	}
	return change_session(c, app, id, now, apply_solve, &a, NULL, NULL, 1, out);
}

/* A check: the typed code compared with the session's, and the attempt, the
 * outcome, the limits and the timeline note written together in one
 * compare-and-swap. A comparison whose write loses the race is thrown away
 * and made again on the winner's session, so no outcome is ever told that
 * was not counted: parallel guesses get exactly max_check_attempts answers. */
struct check {
	const char *typed;
	struct policy *pol; /* NULL: no limits (a test number, or no client) */
	const struct policy_client *who;
	struct guard *g;
	struct store_note note;
	int right; /* out: the code matched */
};

static enum iotp_error apply_check(struct core *c, struct store_session *s, int64_t now, void *arg,
				   struct store_message **msg)
{
	(void)msg;
	struct check *a = arg;
	char real[CODE_MAX_LENGTH + 1];
	enum iotp_error e;
	if ((e = usable(s, now)))
		return e;
	if (!s->code_sealed_len)
		return IOTP_E_NO_CODE_SENT;
	if (s->check_attempts >= c->cfg->max_check_attempts)
		return IOTP_E_ATTEMPTS_EXHAUSTED;
	if (now >= s->code_expires_at)
		return IOTP_E_CODE_EXPIRED;
	if (seal_open(c->keys.code, s->id, s->code_sealed, s->code_sealed_len, real, sizeof real,
		      NULL) < 0) {
		log_error("session %s: its code does not open with this server's secret", s->id);
		return IOTP_E_INTERNAL;
	}
	a->right = code_equal(a->typed, real);
	seal_wipe(real, sizeof real);
	s->check_attempts++;
	if (a->right) {
		s->verified_at = now;
		s->expires_at = now + (int64_t)c->cfg->verified_ttl * 1000;
		s->code_sealed_len = 0; /* a code works once */
		s->code_expires_at = 0;
	}
	if (a->pol && !s->test_number) { /* a test number's fixed code spends no limit */
		policy_check(a->pol, a->who, s, a->right, now, &a->g->plan);
		a->g->planned = 1;
	}
	/* A wrong code is noted for the number's timeline; a right one is the
	 * session's verified_at already (store_notes_of reads it as a note), which
	 * spares every verification a row in a page picked by its number. */
	a->g->note = NULL;
	if (!a->right) {
		note_of_wrong_code(s, now, &a->note);
		a->g->note = &a->note;
	}
	return IOTP_E_OK;
}

static enum iotp_error check_code(struct core *c, const char *id, const char *code,
				  const struct policy_client *who, int64_t now, struct store_session *out,
				  struct policy_verdict *v)
{
	struct policy_verdict local;
	struct policy *pol = policy_for(c, who, &v, &local);
	char typed[CODE_MAX_LENGTH + 1];
	const char *app = who ? who->app : NULL;
	if (code_normalize(code, typed, sizeof typed) < 0) {
		/* Still tell a missing or foreign session first. */
		enum iotp_error e = session_get(c, app, id, out);
		return e ? e : IOTP_E_INVALID_FIELD;
	}
	struct guard g = {.v = v};
	struct check a = {.typed = typed, .who = who, .g = &g}; /* apply_check sets g.note */
	a.pol = pol;
	enum iotp_error e = change_session(c, app, id, now, apply_check, &a, NULL, &g, 0, out);
	seal_wipe(typed, sizeof typed);
	if (e)
		return e; /* *out is the session as it stands */
	return a.right ? IOTP_E_OK : IOTP_E_INCORRECT_CODE;
}

enum iotp_error session_check_code(struct core *c, const char *id, const char *code,
				   const struct policy_client *who, int64_t now,
				   struct store_session *out, struct policy_verdict *v)
{
	enum iotp_error e = check_code(c, id, code, who, now, out, v);
	note_check(c, out, e, now); /* its time and outcome, for the number's timeline */
	/* Right against wrong is the conversion a dashboard watches (SMS pumping
	 * shows as codes sent that nobody checks). */
	if (e != IOTP_E_SESSION_NOT_FOUND && e != IOTP_E_INVALID_FIELD && e != IOTP_E_INTERNAL) {
		const char *labels[] = {out->app, out->region,
					e == IOTP_E_OK		    ? "right"
					: e == IOTP_E_INCORRECT_CODE ? "wrong"
								    : "refused"};
		metrics_add(METRIC_CHECKS, labels, 1);
	}
	return e;
}

static enum iotp_error apply_cancel(struct core *c, struct store_session *s, int64_t now,
				    void *arg, struct store_message **msg)
{
	(void)c;
	(void)arg;
	(void)msg;
	enum iotp_error e;
	if ((e = usable(s, now)))
		return e;
	s->canceled_at = now;
	s->expires_at = now;
	/* The code is gone, not only refused: nothing can open it again. */
	memset(s->code_sealed, 0, sizeof s->code_sealed);
	s->code_sealed_len = 0;
	s->code_expires_at = 0;
	return IOTP_E_OK;
}

enum iotp_error session_cancel(struct core *c, const char *app, const char *id, int64_t now,
			       struct store_session *out)
{
	return change_session(c, app, id, now, apply_cancel, NULL, NULL, NULL, 0, out);
}
