/* GET /v1/admin/numbers/{phone} — "I never got my code": everything iotp did
 * for one number, as one list in time order (sessions, messages and their
 * hand-overs and delivery reports, each check, verification, limits hit,
 * account events), and the same grouped by session ("check_times") and account,
 * with the limits hit on their own ("limits_hit"). The operator typed the number, so
 * it comes back in full; the dashboard hides it until asked. Never a code, a
 * PIN or a message's text. */
#include <string.h>

#include "api/admin.h"
#include "api/api.h"
#include "base/alloc.h"
#include "base/log.h"
#include "core/admin.h"
#include "core/number.h"

static const char *const outcome_names[] = {"submitted", "refused", "failed", "unknown", "skipped"};

/* One entry of the flat timeline. */
static void event(json_t *list, int64_t at, const char *type, const char *session, const char *text)
{
	if (!at)
		return;
	json_t *e = json_pack("{s:o, s:I, s:s, s:s}", "at", api_time(at), "at_ms", (json_int_t)at,
	                      "type", type, "text", text);
	if (session)
		json_object_set_new(e, "session_id", json_string(session));
	json_array_append_new(list, e);
}

static json_int_t at_of(json_t *e)
{
	return json_integer_value(json_object_get(e, "at_ms"));
}

/* The flat timeline oldest first; entries of the same millisecond keep the
 * order they were added in (an insertion sort: a number has a few hundred
 * entries at most). */
static json_t *sorted(json_t *list)
{
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		size_t j = json_array_size(out);
		while (j > 0 && at_of(json_array_get(out, j - 1)) > at_of(e))
			j--;
		json_array_insert(out, j, e);
	}
	for (size_t i = 0; i < json_array_size(out); i++)
		json_object_del(json_array_get(out, i), "at_ms");
	json_decref(list);
	return out;
}

static json_t *message_json(const struct admin_session *as, const struct store_message *m,
                            json_t *flat)
{
	char text[400];
	json_t *hand_overs = json_array();
	for (size_t i = 0; i < as->n_attempts; i++) {
		const struct store_attempt *a = &as->attempts[i];
		if (strcmp(a->message_id, m->id))
			continue;
		const char *outcome =
		    (unsigned)a->outcome < 5 ? outcome_names[a->outcome] : "unknown";
		json_array_append_new(
		    hand_overs, json_pack("{s:s, s:s, s:o, s:o, s:o}", "provider", a->provider,
		                          "outcome", outcome, "started_at", api_time(a->started_at),
		                          "finished_at", api_time(a->finished_at), "error",
		                          a->error[0] ? json_string(a->error) : json_null()));
		strfmt(text, sizeof text, "%s handed to %s: %s%s%s", m->channel, a->provider,
		       outcome, a->error[0] ? " — " : "", a->error);
		event(flat, a->started_at, "message.hand_over", as->s.id, text);
	}
	const char *state = store_message_state_name(m->state);
	strfmt(text, sizeof text, "%s code queued", m->channel);
	event(flat, m->created_at, "message.queued", as->s.id, text);
	strfmt(text, sizeof text, "%s accepted by the carrier (%s)", m->channel, m->provider);
	event(flat, m->accepted_at, "message.accepted", as->s.id, text);
	if (m->final_at) {
		strfmt(text, sizeof text, "%s %s (%s)%s%s", m->channel, state, m->provider,
		       m->error[0] ? ": " : "", m->error);
		char type[32];
		strfmt(type, sizeof type, "message.%s", state);
		event(flat, m->final_at, type, as->s.id, text);
	}
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "id", m->id, "channel",
	    m->channel, "provider", m->provider, "status", state, "attempts", m->attempts,
	    "created_at", api_time(m->created_at), "sent_at", api_time(m->sent_at), "accepted_at",
	    api_time(m->accepted_at), "final_at", api_time(m->final_at), "error",
	    m->error[0] ? json_string(m->error) : json_null(), "hand_overs", hand_overs);
}

static json_t *session_json(const struct admin_session *as, json_t *flat)
{
	const struct store_session *s = &as->s;
	char text[200];
	json_t *messages = json_array();
	for (size_t i = 0; i < as->n_messages; i++)
		json_array_append_new(messages, message_json(as, &as->messages[i], flat));
	strfmt(text, sizeof text, "session started by app %s (%s)", s->app, s->number_type);
	event(flat, s->created_at, "session.created", s->id, text);
	strfmt(text, sizeof text, "code checked right after %d check%s", s->check_attempts,
	       s->check_attempts == 1 ? "" : "s");
	event(flat, s->verified_at, "session.verified", s->id, text);
	event(flat, s->canceled_at, "session.canceled", s->id, "canceled by the app");
	event(flat, s->spent_at, "session.spent", s->id, "used for an account operation");
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:i, s:b, s:o}", "id",
	                 s->id, "app", s->app, "number_type", s->number_type, "created_at",
	                 api_time(s->created_at), "expires_at", api_time(s->expires_at),
	                 "verified_at", api_time(s->verified_at), "canceled_at",
	                 api_time(s->canceled_at), "spent_at", api_time(s->spent_at), "sms_sent",
	                 s->sms_sent, "voice_sent", s->voice_sent, "checks", s->check_attempts,
	                 "test_number", s->test_number, "messages", messages);
}

/* A note (core/note.h) in the flat timeline, and in its session's "checks" or
 * the number's "limits_hit". */
static void note_json(const struct store_note *n, json_t *flat, json_t *checks_by_session,
                      json_t *limits)
{
	char text[160];
	if (!strncmp(n->kind, "check.", 6)) {
		const char *outcome = n->kind + 6;
		if (!strcmp(outcome, "right"))
			strfmt(text, sizeof text, "code checked: right");
		else if (!strcmp(outcome, "wrong"))
			strfmt(text, sizeof text, "code checked: wrong");
		else
			strfmt(text, sizeof text, "check refused: %s", n->detail);
		event(flat, n->at, n->kind, n->session_id, text);
		json_t *list = json_object_get(checks_by_session, n->session_id);
		if (!list) {
			list = json_array();
			json_object_set_new(checks_by_session, n->session_id, list);
		}
		/* Newest first from the store: each goes in front, so the list reads oldest first. */
		json_array_insert_new(list, 0,
		                      json_pack("{s:o, s:s, s:o}", "at", api_time(n->at), "outcome",
		                                outcome, "error",
		                                strcmp(outcome, "right") ? json_string(n->detail)
		                                                         : json_null()));
		return;
	}
	/* "refused.rate_limit": a limit hit; the reason as core/refusals.h names it. */
	const char *reason = !strncmp(n->kind, "refused.", 8) ? n->kind + 8 : n->kind;
	strfmt(text, sizeof text, "limit hit: %s — %s", reason, n->detail);
	event(flat, n->at, "limit.hit", n->session_id[0] ? n->session_id : NULL, text);
	json_array_insert_new(limits, 0,
	                      json_pack("{s:o, s:s, s:s, s:o}", "at", api_time(n->at), "reason",
	                                reason, "detail", n->detail, "session_id",
	                                n->session_id[0] ? json_string(n->session_id) : json_null()));
}

static const char *const event_states[] = {"pending", "delivered", "failed"};

static json_t *account_json(const struct admin_account *aa, json_t *flat)
{
	const struct store_account *a = &aa->a;
	json_t *events = json_array();
	for (size_t i = 0; i < aa->n_events; i++) {
		const struct store_event *e = &aa->events[i];
		const char *state = (unsigned)e->state < 3 ? event_states[e->state] : "unknown";
		json_array_append_new(events, json_pack("{s:s, s:o, s:s, s:i}", "type", e->type,
		                                        "created_at", api_time(e->created_at),
		                                        "webhook", state, "attempts", e->attempts));
		char text[120];
		strfmt(text, sizeof text, "app %s told: %s (webhook %s)", a->app, e->type, state);
		event(flat, e->created_at, "account.event", NULL, text);
	}
	char text[160];
	strfmt(text, sizeof text, "account %s registered with app %s", a->id, a->app);
	event(flat, a->created_at, "account.registered", NULL, text);
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:b, s:b, s:o, s:o}", "id", a->id,
	                 "app", a->app, "created_at", api_time(a->created_at), "verified_at",
	                 api_time(a->verified_at), "seen_at", api_time(a->seen_at), "device_name",
	                 a->device_name, "device_at", api_time(a->device_at), "pin",
	                 a->pin_hash[0] != '\0', "reverify", a->reverify, "closed_at",
	                 api_time(a->closed_at), "events", events);
}

void api_admin_number(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (!api_admin_allowed(req, res))
		return;
	const char *region = http_query(req, "region");
	struct phone_number n;
	int test = 0;
	enum iotp_error e = number_read(api->core, req->params[0], region, &n, &test);
	if (e) {
		api_reply_bad_number(res, e, &n, region);
		return;
	}
	struct admin_timeline *t;
	if (admin_timeline_new(api->core, n.e164, &t) < 0) {
		http_reply_error(res, IOTP_E_INTERNAL, NULL);
		return;
	}
	char masked[64], country[64] = "";
	api_admin_mask(n.e164, masked, sizeof masked);
	log_info("admin: timeline of %s read from %s", masked, req->client_ip);
	phone_country_name(n.region, country, sizeof country);
	json_t *flat = json_array(), *sessions = json_array(), *accounts = json_array();
	json_t *checks = json_object(), *limits = json_array();
	for (size_t i = 0; i < t->n_notes; i++)
		note_json(&t->notes[i], flat, checks, limits);
	for (size_t i = 0; i < t->n_sessions; i++) {
		json_t *s = session_json(&t->sessions[i], flat);
		json_t *mine = json_object_get(checks, t->sessions[i].s.id);
		json_object_set_new(s, "check_times", mine ? json_incref(mine) : json_array());
		json_array_append_new(sessions, s);
	}
	json_decref(checks);
	for (size_t i = 0; i < t->n_accounts; i++)
		json_array_append_new(accounts, account_json(&t->accounts[i], flat));
	/* Each list is bounded: "more" says older entries exist beyond it. */
	json_t *bounds = json_pack("{s:i, s:i, s:b, s:b}", "sessions", ADMIN_SESSIONS_MAX, "notes",
	                           ADMIN_NOTES_MAX, "more_sessions", t->more_sessions, "more_notes",
	                           t->more_notes);
	admin_timeline_free(t);
	res->status = 200;
	res->body = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "phone", n.e164,
	                      "masked", masked, "region", n.region, "country_name", country,
	                      "timeline", sorted(flat), "sessions", sessions, "limits_hit", limits,
	                      "accounts", accounts, "bounds", bounds);
}
