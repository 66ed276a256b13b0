#include "core/note.h"

#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "core/refusals.h"

/* The refusal notes' bounds (note.h): a slot per hash of (number, reason)
 * holding the minute it was last noted, and this second's count. A collision
 * only lets a second note through. */
#define SEEN_SLOTS 4096
static struct {
	pthread_mutex_t lock;
	uint64_t hash[SEEN_SLOTS];
	int64_t minute[SEEN_SLOTS];
	int64_t second;
	unsigned in_second;
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* 1 when a refusal note for (phone, kind) at now is within the bounds. */
static int may_note(const char *phone, const char *kind, int64_t now)
{
	uint64_t h = fnv1a(kind, fnv1a(phone, 1469598103934665603ULL));
	size_t slot = h % SEEN_SLOTS;
	int64_t minute = now / 60000, second = now / 1000;
	int ok = 0;
	pthread_mutex_lock(&seen.lock);
	if (second != seen.second) {
		seen.second = second;
		seen.in_second = 0;
	}
	if (!(seen.hash[slot] == h && seen.minute[slot] == minute) &&
	    seen.in_second < NOTE_REFUSALS_PER_SECOND) {
		seen.hash[slot] = h;
		seen.minute[slot] = minute;
		seen.in_second++;
		ok = 1;
	}
	pthread_mutex_unlock(&seen.lock);
	return ok;
}

static void add(struct core *c, const char *phone, const char *session_id, const char *kind,
		const char *detail, int64_t now)
{
	struct store_note n = {.at = now};
	strfmt(n.phone, sizeof n.phone, "%s", phone);
	strfmt(n.kind, sizeof n.kind, "%s", kind);
	strfmt(n.session_id, sizeof n.session_id, "%s", session_id);
	strfmt(n.detail, sizeof n.detail, "%s", detail);
	if (store_note_add(c->store, &n) < 0)
		log_warn("note: %s of session %s not kept for the timeline", kind, session_id);
}

void note_of_wrong_code(const struct store_session *s, int64_t now, struct store_note *n)
{
	memset(n, 0, sizeof *n);
	n->at = now;
	strfmt(n->phone, sizeof n->phone, "%s", s->phone);
	strfmt(n->session_id, sizeof n->session_id, "%s", s->id);
	strfmt(n->kind, sizeof n->kind, "%s", "check.wrong");
	strfmt(n->detail, sizeof n->detail, "%s", iotp_error_code(IOTP_E_INCORRECT_CODE));
}

void note_check(struct core *c, const struct store_session *s, enum iotp_error e, int64_t now)
{
	/* A compared code's note rode in the write that counted it (note_of_wrong_code; a right one is its session's verified_at). */
	if (e == IOTP_E_SESSION_NOT_FOUND || e == IOTP_E_INVALID_FIELD || e == IOTP_E_INTERNAL ||
	    e == IOTP_E_OK || e == IOTP_E_INCORRECT_CODE || !s->phone[0])
		return;
	if (may_note(s->phone, iotp_error_code(e), now)) {
		/* Refused before any code was compared: limits, expiry, a spent session. */
		add(c, s->phone, s->id, "check.refused", iotp_error_code(e), now);
	}
}

void note_refusal(struct core *c, const char *phone, const char *session_id, enum iotp_error e,
		  const char *what, int64_t now)
{
	int reason = refusal_reason_of(e);
	if (reason < 0 || !phone || !phone[0])
		return;
	char kind[32], detail[64];
	strfmt(kind, sizeof kind, "refused.%s", refusal_reason_name(reason));
	if (!may_note(phone, kind, now))
		return;
	strfmt(detail, sizeof detail, "%s (%s)", iotp_error_code(e), what);
	add(c, phone, session_id, kind, detail, now);
}
