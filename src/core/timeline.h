/* timeline: what happened to a session's messages, in words for support —
 * the answer to "I never got my code". Each message the session queued, with
 * its state and times, and each hand-over to a provider with its outcome. */
#ifndef IOTP_TIMELINE_H
#define IOTP_TIMELINE_H

#include <jansson.h>

#include "core/core.h"

/* The session's messages, oldest first, as a JSON array of
 * {id, channel, provider, status, attempts, created_at, sent_at,
 * accepted_at, final_at, error, hand_overs[], provider_ref?, submit_ms?,
 * deliver_ms?} (docs/api.md); times RFC 3339 in UTC, null for "not yet".
 * Never the text. Returns a new array, or NULL when the store fails. */
json_t *timeline_of_session(struct core *c, const char *session_id);

#endif
