/* note: a number's notes for its timeline (store_note_add) — each code check
 * with its time and outcome, and each request for a code that a limit, a geo
 * rule, a number-type rule, a challenge or a fraud block refused. Never a
 * code or a PIN: only the outcome's error code and the channel.
 *
 * Refusals are what an attack is mostly made of, and they write nothing else
 * (core/refusals.h), so their notes are bounded: one note per number, reason
 * and minute (later ones that minute are the same story), and at most
 * NOTE_REFUSALS_PER_SECOND notes a second on this node; what goes beyond is
 * still counted on the dashboard, not noted per number. A failed note is
 * logged and never fails the request. */
#ifndef IOTP_NOTE_H
#define IOTP_NOTE_H

#include <stdint.h>

#include "base/error.h"
#include "core/core.h"

#define NOTE_REFUSALS_PER_SECOND 50

/* Fills *n with the note of a wrong code compared on session s at now, to
 * ride in the write that counts the attempt (store_write.note): a wrong code
 * costs the session an attempt, so these are bounded by max_check_attempts.
 * A right code has no note: it is the session's verified_at, which
 * store_notes_of reads as one. */
void note_of_wrong_code(const struct store_session *s, int64_t now, struct store_note *n);
/* Notes the outcome e of a code check on session s when a limit or the
 * session's state refused it before any comparison; nothing for a compared
 * code (its note rode with it) or a check that named no session. */
void note_check(struct core *c, const struct store_session *s, enum iotp_error e, int64_t now);

/* Notes e when it is a refusal (refusal_reason_of) of a request for a code to
 * phone (E.164; "" notes nothing): session_id "" when it made no session; what
 * says what was asked ("session", "sms", "voice"). */
void note_refusal(struct core *c, const char *phone, const char *session_id, enum iotp_error e,
		  const char *what, int64_t now);

#endif
