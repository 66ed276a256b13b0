/* admin: what an operator reads and does through the dashboard and the admin
 * API (api/admin*.c): figures over a time range, a number's whole timeline,
 * and the fraud measures in force. The answers carry no code, no PIN and no
 * message text: a session's code is sealed and never unsealed here. */
#ifndef IOTP_ADMIN_H
#define IOTP_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* The figures of the dashboard since since, its minute rows in steps of step_ms
 * (see store_activity). Returns 0 or -1. */
int admin_activity(const struct core *c, int64_t since, int64_t step_ms,
                   void (*fn)(const struct store_activity *a, void *arg), void *arg);
/* Sessions created since since, newest first, at most limit. 0 or -1. */
int admin_recent_sessions(const struct core *c, int64_t since, size_t limit,
                          void (*fn)(const struct store_session *s, void *arg), void *arg);

/* One number's timeline, gathered so that no callback runs under the store:
 * its newest sessions, each with its messages and hand-overs, its notes
 * (checks and refusals, core/note.h), and the accounts the apps hold on it
 * with their events. Each list is bounded (the _MAX below). */
#define ADMIN_SESSIONS_MAX 20
#define ADMIN_MESSAGES_MAX 12 /* per session: a session sends at most a dozen */
#define ADMIN_ATTEMPTS_MAX 24 /* per session */
#define ADMIN_EVENTS_MAX 32   /* per account */

struct admin_session {
	struct store_session s; /* its sealed code is cleared */
	size_t n_messages, n_attempts;
	struct store_message messages[ADMIN_MESSAGES_MAX]; /* body not filled */
	struct store_attempt attempts[ADMIN_ATTEMPTS_MAX];
};

struct admin_account {
	struct store_account a; /* its secrets (keys, PIN hash, e-mail) are cleared */
	size_t n_events;
	struct store_event events[ADMIN_EVENTS_MAX];
};

#define ADMIN_NOTES_MAX 200 /* checks and refusals, newest first */

struct admin_timeline {
	size_t n_sessions, n_accounts, n_notes;
	int more_sessions, more_notes; /* 1: older ones exist beyond the _MAX shown */
	struct store_note notes[ADMIN_NOTES_MAX]; /* newest first (store_notes_of) */
	struct admin_session sessions[ADMIN_SESSIONS_MAX]; /* newest first */
	struct admin_account *accounts;                    /* one per app holding the number */
};

/* Fills *t (heap: admin_timeline_free) for e164. Returns 0 or -1. */
int admin_timeline_new(const struct core *c, const char *e164, struct admin_timeline **t);
void admin_timeline_free(struct admin_timeline *t);

/* The fraud measures in force at now (store_blocks_list, without those that
 * ran out). 0 or -1. */
int admin_blocks(const struct core *c, int64_t now,
                 void (*fn)(const struct store_block *b, void *arg), void *arg);
/* What a block key means for people ("numbers starting +447911123"). */
void admin_describe_block(const char *key, char *buf, size_t size);
/* Lifts the measure on key, recording who. 0, STORE_NOT_FOUND or -1. */
int admin_lift_block(const struct core *c, const char *key, const char *who, int64_t now);

#endif
