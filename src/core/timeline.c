#include "core/timeline.h"

#include "base/clock.h"

struct timeline {
	json_t *messages;
	json_t *by_id; /* message id -> its "hand_overs" array */
};

static const char *const outcome_names[] = {"submitted", "refused", "failed", "unknown",
					    "skipped"};

static json_t *time_json(int64_t ms)
{
	char buf[32];
	if (!ms)
		return json_null();
	clock_format_ms(ms, buf, sizeof buf);
	return json_string(buf);
}

static void add_message(const struct store_message *m, void *arg)
{
	struct timeline *t = arg;
	json_t *hand_overs = json_array();
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "id", m->id,
			      "channel", m->channel, "provider", m->provider, "status",
			      store_message_state_name(m->state), "attempts", m->attempts,
			      "created_at", time_json(m->created_at), "sent_at",
			      time_json(m->sent_at), "accepted_at", time_json(m->accepted_at),
			      "final_at", time_json(m->final_at), "error",
			      m->error[0] ? json_string(m->error) : json_null(), "hand_overs",
			      json_incref(hand_overs));
	if (m->provider_ref[0])
		json_object_set_new(j, "provider_ref", json_string(m->provider_ref));
	if (m->sent_at)
		json_object_set_new(j, "submit_ms", json_integer(m->sent_at - m->created_at));
	if (m->state == STORE_MSG_DELIVERED && m->final_at)
		json_object_set_new(j, "deliver_ms", json_integer(m->final_at - m->created_at));
	json_array_append_new(t->messages, j);
	json_object_set_new(t->by_id, m->id, hand_overs);
}

static void add_hand_over(const struct store_attempt *a, void *arg)
{
	struct timeline *t = arg;
	json_t *list = json_object_get(t->by_id, a->message_id);
	if (!list)
		return;
	json_array_append_new(
		list, json_pack("{s:s, s:s, s:o, s:o, s:o}", "provider", a->provider, "outcome",
				(unsigned)a->outcome < 5 ? outcome_names[a->outcome] : "unknown",
				"started_at", time_json(a->started_at), "finished_at",
				time_json(a->finished_at), "error",
				a->error[0] ? json_string(a->error) : json_null()));
}

json_t *timeline_of_session(struct core *c, const char *session_id)
{
	struct timeline t = {json_array(), json_object()};
	if (store_session_history(c->store, session_id, add_message, add_hand_over, &t) < 0) {
		json_decref(t.messages);
		t.messages = NULL;
	}
	json_decref(t.by_id);
	return t.messages;
}
