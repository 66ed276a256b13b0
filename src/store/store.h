/* store: where iotp keeps its state. One interface, several backends.
 *
 * A backend is a struct store_ops (store/backend.h) exported by one file; callers
 * use only the functions below, which carry the contract every backend honours:
 *
 * - Each call is atomic: it happens entirely or not at all, and a crash between
 *   two calls leaves the state of the last completed call.
 * - session_update is a compare-and-swap on the session's version: it writes
 *   only when the stored version equals the one the caller read, so concurrent
 *   writers (threads or nodes) never lose each other's changes. Limits in core/
 *   are built on that guarantee.
 * - A message passed to session_update is stored in the same transaction as the
 *   session (the outbox): a session change and the message it causes are never
 *   seen one without the other.
 * - Every function may be called from any thread at any time.
 *
 * Return values: 0 on success, a positive STORE_* outcome the caller handles, or
 * -1 on a failure (logged by the backend) that the caller reports as internal. */
#ifndef IOTP_STORE_H
#define IOTP_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NOT_FOUND 1
#define STORE_CONFLICT 2
#define STORE_LIMITED 3 /* a bucket lacks tokens */
#define STORE_STALE 4 /* a delivery report older than what is known: ignored */
#define STORE_PRUNE_MORE 5 /* a prune stopped at its bound: call it again soon */

#define STORE_ID_MAX 48
/* A name a person gives (a device's, a passkey's): 64 characters of UTF-8, up
 * to four bytes each, and the NUL. */
#define STORE_NAME_MAX 257
#define STORE_SEALED_MAX 96 /* nonce + sealed code + tag */
#define STORE_TEXT_MAX 2048
#define STORE_APP_MAX 33

/* A verification session as stored. Times are ms since the epoch; 0 = never. */
struct store_session {
	char id[STORE_ID_MAX];
	char phone[17];   /* E.164 */
	char region[3];
	char number_type[24];
	char locale[16];  /* the locale the client asked for, "" for none */
	char app[STORE_APP_MAX]; /* the app that created it (core/app.h) */
	int64_t created_at;
	int64_t expires_at;
	int64_t version;  /* bumped by every successful session_update */

	unsigned char code_sealed[STORE_SEALED_MAX]; /* the code, encrypted; see core/code.h */
	size_t code_sealed_len;                      /* 0: no code */
	int64_t code_expires_at;
	int sms_sent;
	int voice_sent;
	int64_t first_sms_at;
	int64_t last_sms_at;
	int64_t last_voice_at;
	int check_attempts;
	int64_t verified_at;
	int test_number;  /* 1: fixed code, nothing is sent */
	int64_t spent_at; /* when an account operation used it up; 0: unspent */
	int pow_difficulty; /* >0: a proof-of-work of this many bits is owed before a send */
	int code_length;  /* digits of its codes; 0: the server's code_length */
	int64_t canceled_at; /* when the app ended it (session_cancel); 0: not canceled */
};

/* A message's life: queued -> sending -> submitted (a provider took it) ->
 * accepted (the carrier's SMSC took it) -> delivered | failed | expired. The
 * numbers are stored; their order is store_message_rank's, not numeric. A
 * state only ever moves to a higher rank, so late, duplicate and out-of-order
 * delivery reports cannot move a message backwards. */
enum store_message_state {
	STORE_MSG_QUEUED = 0, /* in the outbox, waiting for the worker */
	STORE_MSG_SENDING,    /* claimed by a worker; back to queued if it dies */
	STORE_MSG_SENT,       /* submitted: a provider accepted it */
	STORE_MSG_FAILED,     /* refused by every provider, or reported undelivered */
	STORE_MSG_ACCEPTED,   /* the carrier (SMSC) accepted it */
	STORE_MSG_DELIVERED,  /* the phone has it */
	STORE_MSG_EXPIRED,    /* the carrier gave up before the phone could take it */
	STORE_MSG_STATES
};

/* 0 queued, 1 sending, 2 submitted, 3 accepted, 4 final (failed, delivered,
 * expired); -1 for a value that is no state. */
int store_message_rank(int state);
/* "queued", "sending", "submitted", "failed", "accepted", "delivered",
 * "expired", or "unknown". */
const char *store_message_state_name(int state);

/* What one hand-over of a message to one provider came to. */
enum store_attempt_outcome {
	STORE_ATTEMPT_SUBMITTED = 0, /* the provider took it */
	STORE_ATTEMPT_REFUSED,       /* the provider said no for good */
	STORE_ATTEMPT_FAILED,        /* could not reach it, timeout, 5xx: may work later */
	STORE_ATTEMPT_UNKNOWN,       /* iotpd stopped during the hand-over */
	STORE_ATTEMPT_SKIPPED,       /* the provider was out of rotation (circuit open) */
};

#define STORE_ATTEMPTS_MAX 4 /* hand-overs one delivery round can make */

struct store_attempt {
	char message_id[STORE_ID_MAX];
	char provider[32];
	int outcome; /* enum store_attempt_outcome */
	int64_t started_at;
	int64_t finished_at;
	char error[256];
};

/* An outbound message: an outbox row, and later an entry of the session's timeline. */
struct store_message {
	char id[STORE_ID_MAX];
	char session_id[STORE_ID_MAX];
	char to[17];
	char region[3];   /* of the number: picks the route and the sender */
	char channel[12]; /* "sms" | "voice" | "whatsapp" */
	char provider[32];
	char provider_ref[64]; /* the provider's id for the message, once known */
	int state;        /* enum store_message_state */
	int attempts;     /* delivery rounds (each may try several providers) */
	int64_t created_at;
	int64_t next_attempt_at;
	int64_t sent_at;     /* submitted to a provider */
	int64_t accepted_at; /* accepted by the carrier */
	int64_t final_at;    /* delivered, failed or expired */
	char error[256];
	/* Hand-overs of the round in hand, written by store_outbox_finish. */
	int n_tried;
	struct store_attempt tried[STORE_ATTEMPTS_MAX];
	/* The text, sealed with the server secret (delivery/ unseals it). Only filled
	 * by store_outbox_take; the timeline never carries it. */
	unsigned char body[STORE_TEXT_MAX + 64];
	size_t body_len;
};

/* Something the app hears about (a webhook), written in the same transaction
 * as what caused it and delivered at least once by events/. */
enum store_event_state { STORE_EVENT_PENDING = 0, STORE_EVENT_DELIVERED, STORE_EVENT_FAILED };

#define STORE_PAYLOAD_MAX 2048

struct store_event {
	char id[STORE_ID_MAX];
	char type[40];    /* "account.device_replaced" */
	char app[STORE_APP_MAX];
	char account_id[STORE_ID_MAX];
	int64_t created_at;
	char payload[STORE_PAYLOAD_MAX]; /* the JSON body's "data" object */
	int state;        /* enum store_event_state */
	int attempts;
	int64_t next_attempt_at;
	int64_t delivered_at;
	char error[256];
};

struct store;

/* How a store is opened. Each backend reads the fields that concern it. */
struct store_options {
	int synchronous_full;     /* sqlite: fsync every commit (else a power loss may lose the last second) */
	int pool_size;            /* postgres: connections to the server */
	int statement_timeout_ms; /* postgres: a statement running longer is cancelled; 0: 5 s */
	int lease_ms;             /* postgres: a message another node claimed and did not finish
				   * in this long is taken over (its node is taken for dead); 0: 30 s */
	const char *node;         /* postgres: this node's name, the same across its restarts and
				   * unique among the nodes: at start-up it takes back what it had
				   * claimed before it stopped. NULL: "" */
	int existing_only;        /* 1: never create, never migrate: fail, naming the location,
				   * when there is no store of this build's schema there (iotpctl,
				   * which must not invent an empty database from a wrong path) */
	int read_only;            /* 1 (with existing_only): nothing is ever written; sqlite opens
				   * the file read-only, postgres makes every transaction read-only */
};

/* Opens (and creates, and migrates) the store url names: "sqlite:PATH" (a
 * database file, its directory created if need be), "postgres://..." or
 * "postgresql://..." (a libpq URI), or a libpq "key=value ..." string. The
 * backend is the first of the compiled-in ones that accepts url, and must have
 * been written for this build's interface version. Sets *out only on success;
 * on failure returns -1 and says why in err (with any password masked). */
int store_open(const char *url, const struct store_options *opt, struct store **out, char *err,
	       size_t errlen);
void store_close(struct store *st);
/* 0 when st can serve requests now, else -1 with why not in why (for
 * /readyz): the database file is gone or replaced, the server does not answer. */
int store_ready(struct store *st, char *why, size_t len);
/* Names of the compiled-in backends with the locations they take, for messages. */
const char *store_backends(void);
/* The name of the backend st runs on ("sqlite", "postgres"). */
const char *store_backend_name(const struct store *st);
/* Copies url to out with the password it holds (in a URI's user:password@,
 * a "password=" key or a "password" query parameter) replaced by "********",
 * so it can be logged or shown. Returns out. */
char *store_url_mask(const char *url, char *out, size_t size);

/* Inserts a new session (its version is taken as given, normally 1). */
int store_session_insert(struct store *st, const struct store_session *s);
/* Reads a session by id; STORE_NOT_FOUND when there is none. Sees every call
 * that has returned; may not see one still in progress. */
int store_session_get(struct store *st, const char *id, struct store_session *out);
/* Writes *s when the stored version is s->version - 1 (the caller bumps
 * s->version before the call); else returns STORE_CONFLICT, changes nothing,
 * and fills *current (when not NULL) with the session as it now stands, so the
 * caller can retry from there (STORE_NOT_FOUND if it is gone). When msg is not
 * NULL it is queued in the same transaction. A session written canceled or
 * verified takes its messages still queued out of the outbox (failed, with
 * the reason), in the same transaction. */
int store_session_update(struct store *st, const struct store_session *s,
			 const struct store_message *msg, struct store_session *current);
/* The same, with an event written in the same transaction (event may be NULL). */
int store_session_update_event(struct store *st, const struct store_session *s,
			       const struct store_message *msg, const struct store_event *event,
			       struct store_session *current);

/* A queued message as the delivery worker first learns of it: enough to
 * choose its providers before taking it. */
struct store_due {
	char id[STORE_ID_MAX];
	char session_id[STORE_ID_MAX];
	char region[3];
	char channel[12];
	int64_t created_at;
};

/* Lists up to max queued messages due at now (next_attempt_at <= now), oldest
 * first, without changing them; sets *n. */
int store_outbox_due(struct store *st, int64_t now, struct store_due *out, size_t max, size_t *n);
/* Takes message id for a delivery round, if it is still queued and due at now:
 * marks it SENDING, counts the round and says, durably and in the same write,
 * that it is about to be handed to provider ("" when there is none). Fills
 * *out (with the sealed text). Returns 0, or STORE_CONFLICT when the message
 * is not queued or not due (another thread took it first). */
int store_outbox_take(struct store *st, const char *id, const char *provider, int64_t now,
		      struct store_message *out);
/* Says, durably, that the taken message id is about to be handed to provider
 * (the next one, after the last refused it): should iotpd stop before
 * store_outbox_finish, the restart knows the hand-over may have happened and
 * does not repeat it. */
int store_outbox_handing(struct store *st, const char *id, const char *provider);
/* Records what happened to n claimed messages, in one transaction: each SENT,
 * FAILED, or QUEUED again with a later next_attempt_at (a retry), with the
 * provider's reference and the round's hand-overs (m->tried). A delivery
 * report that arrived during the round wins over the state given here. On a
 * thread that defers its commits (base/durable.h) it may return before the
 * write: whatever the store calls next writes the rounds first, and they
 * commit with that call's group; a round that fails then is logged, not
 * returned (after a restart it counts as handed over, outcome unknown). */
int store_outbox_finish(struct store *st, const struct store_message *m, size_t n);
/* store_outbox_finish of done[0..n_done) and store_outbox_take of id in one
 * write, so a delivery thread moving on to its next message records the last
 * one's round in the same transaction. The outcomes are recorded whenever the
 * call returns 0 or STORE_CONFLICT (the take found nothing to take); on a
 * failure (negative) neither happened. */
int store_outbox_finish_take(struct store *st, const struct store_message *done, size_t n_done,
			     const char *id, const char *provider, int64_t now,
			     struct store_message *out);
/* One message a delivery round asks for (store_outbox_take_batch). */
struct store_take {
	const char *id;
	const char *provider; /* its first hand-over, "" when there is none */
	int rc;		      /* set by the call: 0 taken, or STORE_CONFLICT */
};
/* store_outbox_finish of done[0..n_done) and store_outbox_take of each of
 * want[0..n) in one write, so a delivery round that hands several messages
 * over at once costs one durable write, not one per message. want[i].rc says
 * whether message i was taken (out[i] filled) or not (STORE_CONFLICT: another
 * taker had it, or it is not due). Returns 0 when the write is durable (the
 * outcomes are recorded even when nothing was taken), or negative when
 * nothing of it happened. */
int store_outbox_take_batch(struct store *st, const struct store_message *done, size_t n_done,
			    struct store_take *want, size_t n, int64_t now,
			    struct store_message *out);
/* After a crash, at start-up, before the worker runs: puts back every SENDING
 * message that was not yet being handed over (*requeued), and marks those
 * caught in a hand-over as submitted with an unknown outcome (*unknown), so
 * no message reaches a provider twice. */
int store_outbox_recover(struct store *st, int64_t now, size_t *requeued, size_t *unknown);

/* A delivery report: the message is named by id, or by the provider's
 * reference (id empty). */
struct store_report {
	char id[STORE_ID_MAX];
	char provider[32];
	char provider_ref[64];
	int state;        /* STORE_MSG_ACCEPTED, _DELIVERED, _FAILED, _EXPIRED or _SENT */
	int64_t at;
	char reason[256]; /* "" keeps the message's reason */
};

/* The message a report reached: its id, and (when the report moved it on) its
 * country and when it was asked for. */
struct store_reported {
	char id[STORE_ID_MAX];
	char region[3];
	int64_t created_at;
};

/* Applies a report to the message the provider was given: 0 when it moved the
 * message on, STORE_STALE when the message is already as far or further (a
 * duplicate or a late report), STORE_NOT_FOUND when the provider was given no
 * such message. Fills *out (may be NULL). */
int store_message_report(struct store *st, const struct store_report *r,
			 struct store_reported *out);

/* Calls fn for each hand-over of the session's messages, in order. */
int store_session_attempts(struct store *st, const char *session_id,
			   void (*fn)(const struct store_attempt *a, void *arg), void *arg);

/* Calls fn for each message of a session, oldest first (body not filled).
 * Callbacks must not call back into the store. */
int store_session_messages(struct store *st, const char *session_id,
			   void (*fn)(const struct store_message *m, void *arg), void *arg);
/* The two above as of one moment: each message (msg_fn), then each hand-over
 * (attempt_fn), none of a round the messages do not show finished — a
 * timeline never shows a message still sending with its round's outcome. */
int store_session_history(struct store *st, const char *session_id,
			  void (*msg_fn)(const struct store_message *m, void *arg),
			  void (*attempt_fn)(const struct store_attempt *a, void *arg), void *arg);
/* Calls fn for each session of a number, newest first, at most limit. */
int store_number_sessions(struct store *st, const char *phone, size_t limit,
			  void (*fn)(const struct store_session *s, void *arg), void *arg);

/* A number's notes: what happened to a number that its sessions' rows do not
 * keep — each wrong code with its time (a right one is the session's
 * verified_at, which store_notes_of reads as a note), each check a limit or
 * the session's state refused, and each request a limit,
 * a geo rule, a number-type rule, a challenge or a fraud block refused — for
 * its timeline (GET /v1/admin/numbers/{phone}). Never a code or a PIN. */
struct store_note {
	char phone[17];                /* E.164 */
	int64_t at;                    /* ms */
	char kind[32];                 /* "check.wrong", "refused.rate_limit", ... */
	char session_id[STORE_ID_MAX]; /* "" when the request made no session */
	char detail[64];               /* the API's error code, or the channel */
};
/* Appends a note. 0 or -1. */
int store_note_add(struct store *st, const struct store_note *n);
/* Calls fn for the number's notes at or after since, newest first, at most
 * limit of them; a verified session's right check is among them, "check.right"
 * at its verified_at (it is kept in the session, not as a note). Indexes on
 * (phone, at) and the sessions' (phone, created_at) serve it. Callbacks must
 * not call the store. 0 or -1. */
int store_notes_of(struct store *st, const char *phone, int64_t since, size_t limit,
		   void (*fn)(const struct store_note *n, void *arg), void *arg);

/* A small record the compatibility facades keep (compat/: Twilio services and
 * verifications, GoTrue users and refresh tokens): a JSON text under a kind and
 * a key. The store does not read the text. */
#define STORE_RECORD_KIND_MAX 16
#define STORE_RECORD_KEY_MAX 128
#define STORE_RECORD_MAX 2048
struct store_record {
	char kind[STORE_RECORD_KIND_MAX];
	char key[STORE_RECORD_KEY_MAX];
	char value[STORE_RECORD_MAX]; /* JSON text */
	int64_t version;    /* 1 when first written, bumped by each put */
	int64_t expires_at; /* ms; 0: never. An expired record reads as absent. */
};

/* Reads a record; STORE_NOT_FOUND when there is none, or it expired by now. */
int store_record_get(struct store *st, const char *kind, const char *key, int64_t now,
		     struct store_record *out);
/* Writes r when the stored version is r->version - 1, the caller having bumped
 * it: version 1 writes a record that must not exist yet (an expired one counts
 * as absent). Else STORE_CONFLICT and nothing changes: a compare-and-swap, so
 * parallel requests cannot both win. Also drops a few records of the kind
 * that expired by now. */
int store_record_put(struct store *st, const struct store_record *r, int64_t now);
/* Calls fn for the live records of kind whose key sorts after after ("": from
 * the first), in key order (bytewise), at most limit of them: a listing a
 * caller pages through by passing the last key it saw. Callbacks must not
 * call the store. */
int store_record_list(struct store *st, const char *kind, const char *after, size_t limit,
		      int64_t now, void (*fn)(const struct store_record *r, void *arg), void *arg);

struct store_stats {
	int64_t sessions;
	int64_t verified;
	int64_t messages_queued;
	int64_t messages_sent;
	int64_t messages_failed;
};
int store_get_stats(struct store *st, struct store_stats *out);

/* An account bound to a verified number: one device, an optional PIN, and
 * the state of re-verification. Times are ms since the epoch; 0 = never. */
#define STORE_KEY_LEN 32
#define STORE_PIN_HASH_MAX 128
#define STORE_EMAIL_SEALED_MAX 400
#define STORE_TOTP_SEALED_MAX 64 /* a 20-byte authenticator secret, sealed */

struct store_account {
	char id[STORE_ID_MAX];
	char app[STORE_APP_MAX];
	char phone[17];
	int64_t created_at;
	int64_t verified_at; /* the last time a code proved the number */
	int64_t seen_at;     /* the device's last request (to the hour) */
	int64_t version;     /* bumped by every write */

	char device_id[STORE_ID_MAX];
	char device_name[STORE_NAME_MAX]; /* up to 64 characters of UTF-8 */
	char push_token[257];
	unsigned char device_key[STORE_KEY_LEN]; /* hash of the device credential */
	int64_t device_at;   /* when this device registered */

	char pin_hash[STORE_PIN_HASH_MAX]; /* argon2id string; "" = no PIN */
	int64_t pin_set_at;
	int pin_failures;    /* wrong PINs since the last right one */
	int64_t pin_retry_at; /* no PIN is compared before this */
	int64_t pin_checked_at; /* last successful check (reminders) */
	int pin_streak;      /* reminders passed in a row */
	unsigned char email_sealed[STORE_EMAIL_SEALED_MAX]; /* recovery e-mail, sealed */
	size_t email_sealed_len;
	unsigned char reset_key[STORE_KEY_LEN]; /* hash of a live PIN-reset token */
	int has_reset;
	int64_t reset_expires_at;

	/* The authenticator app (TOTP): its secret sealed with the account's key
	 * to the account id; enabled once a first code confirmed it. The last
	 * step a code was accepted for is kept so no code is accepted twice; a
	 * compare-and-swap on the account's version makes that hold in parallel. */
	unsigned char totp_sealed[STORE_TOTP_SEALED_MAX];
	size_t totp_sealed_len; /* 0: no authenticator */
	int64_t totp_enabled_at; /* 0: enrolled, waiting for its first code */
	int64_t totp_last_step;  /* 30-second step of the last accepted code */
	int totp_failures;       /* wrong codes since the last right one */
	int64_t totp_retry_at;   /* no code is compared before this */

	int reverify;        /* 1: must verify its number again before it is served */
	char reverify_reason[64];
	int64_t closed_at;   /* its number moved to another account; 0: live */
};

/* The writes of one account operation, all in one transaction or none. */
struct store_account_write {
	const struct store_session *spend[2]; /* compare-and-swap, like session_update */
	int n_spend;
	const struct store_account *account; /* written: inserted when insert, else CAS */
	int insert;
	const struct store_account *closed;  /* another account closed by it (CAS); may be NULL */
	const struct store_event *events[3];
	int n_events;
};

/* Returns 0, STORE_CONFLICT when a version check failed or the number already
 * has a live account of the app (nothing is written), or -1. */
int store_account_write(struct store *st, const struct store_account_write *w);
/* Lookups: 0 or STORE_NOT_FOUND. by_phone sees live accounts only; the
 * others see closed ones too. */
int store_account_get(struct store *st, const char *id, struct store_account *out);
int store_account_by_phone(struct store *st, const char *app, const char *phone,
			   struct store_account *out);
int store_account_by_device(struct store *st, const unsigned char key[STORE_KEY_LEN],
			    struct store_account *out);
int store_account_by_reset(struct store *st, const unsigned char key[STORE_KEY_LEN],
			   struct store_account *out);

/* A passkey (a WebAuthn credential) of an account: the public key the
 * browser's authenticator made, as its COSE_Key, and what each use updates.
 * A credential id is unique within an app (its relying party). */
#define STORE_PASSKEY_CRED_MAX 1023 /* WebAuthn's longest credential id */
#define STORE_PASSKEY_KEY_MAX 256

struct store_passkey {
	char id[STORE_ID_MAX];         /* the server's handle for it, for URLs */
	char account_id[STORE_ID_MAX];
	char app[STORE_APP_MAX];
	unsigned char cred_id[STORE_PASSKEY_CRED_MAX];
	size_t cred_id_len;
	unsigned char public_key[STORE_PASSKEY_KEY_MAX]; /* COSE_Key as registered */
	size_t public_key_len;
	int alg;                       /* COSE: -7 ES256, -8 EdDSA */
	unsigned char aaguid[16];      /* the authenticator model, zeros when unsaid */
	char attestation[8];           /* "none", "self", "basic" */
	char name[STORE_NAME_MAX];     /* the person's label for it (64 characters) */
	int64_t sign_count;            /* the authenticator's counter at its last use */
	int backup_eligible;           /* BE: the passkey may be synced to other devices */
	int backup_state;              /* BS: it is synced now (as of its last use) */
	int64_t created_at;
	int64_t last_used_at;          /* 0: never used since it was registered */
	int64_t version;               /* bumped by every update */
};

/* Inserts a new passkey (version 1). STORE_CONFLICT when the app already has
 * a passkey with this credential id; STORE_LIMITED when its account already
 * has max passkeys, counted in the same transaction as the insert, so
 * parallel registrations cannot pass max. */
int store_passkey_insert(struct store *st, const struct store_passkey *p, int max);
/* The app's passkey with this credential id: 0 or STORE_NOT_FOUND. */
int store_passkey_get(struct store *st, const char *app, const unsigned char *cred_id,
		      size_t cred_id_len, struct store_passkey *out);
/* Calls fn for each passkey of the account, oldest first. Callbacks must not
 * call the store. */
int store_passkey_list(struct store *st, const char *account_id,
		       void (*fn)(const struct store_passkey *p, void *arg), void *arg);
/* Writes a use (sign_count, backup_state, last_used_at, name) when the stored
 * version is p->version - 1 (the caller bumps it): else STORE_CONFLICT (a
 * parallel use came first, or the passkey is gone) and nothing changes. */
int store_passkey_update(struct store *st, const struct store_passkey *p);
/* Removes the account's passkey id (STORE_NOT_FOUND when it has none such),
 * or, with id NULL, every passkey of the account (0 even when none). */
int store_passkey_delete(struct store *st, const char *account_id, const char *id);

/* The destinations a claim passes over because a delivery to them is in
 * hand: the webhooks of these apps, and e-mails (events whose type starts with
 * "mail.") when mail is set. */
#define STORE_EVENT_SKIP_MAX 64
struct store_event_skip {
	const char *apps[STORE_EVENT_SKIP_MAX];
	size_t n_apps;
	int mail;
};

/* Claims up to max pending events due at now, oldest first, except those skip
 * names (skip may be NULL): each claimed event has its attempt counted and is
 * leased until lease_until (its next_attempt_at), so no other claim — another
 * thread, another process on the same store — gets it before then. The claim
 * is a compare-and-swap: each due event goes to exactly one claimer. If the
 * claimer dies, the event comes back when the lease ends (at least once).
 * store_event_finish then records each outcome (DELIVERED, FAILED, or PENDING
 * with a later next_attempt_at; attempts as given, so an event put back
 * untried gets its attempt back) in one transaction. */
int store_event_claim(struct store *st, int64_t now, int64_t lease_until,
		      const struct store_event_skip *skip, struct store_event *out, size_t max,
		      size_t *n);
int store_event_finish(struct store *st, const struct store_event *e, size_t n);
/* Calls fn for each event of an account, oldest first (support and tests). */
int store_account_events(struct store *st, const char *account_id,
			 void (*fn)(const struct store_event *e, void *arg), void *arg);

/* A token bucket, kept in the store so that every thread and every node
 * sharing the store draws from the same one. A bucket never seen is full. */
struct store_bucket {
	const char *key;      /* names the bucket: "send|ip|192.0.2.1" */
	double capacity;      /* tokens when full (the burst) */
	double refill_per_ms; /* tokens added back per ms, up to capacity */
	double cost;          /* tokens to take; 0: only require one to be there
			       * (a peek); negative: give tokens back (a refund) */
};

/* Most buckets one call takes from. */
#define STORE_BUCKETS_MAX 16

/* Takes from n buckets at now, all or none, in one atomic step: when one of
 * them holds fewer than its cost (or, for a peek, fewer than one token) nothing
 * is taken from any, and the call returns STORE_LIMITED with *refused set to
 * its index and *retry_after_ms to the wait until it would have enough. Parallel
 * calls (threads or nodes) never take more than a bucket holds. */
int store_buckets_take(struct store *st, const struct store_bucket *b, size_t n, int64_t now,
		       size_t *refused, int64_t *retry_after_ms);
/* Forgets buckets last touched before before. A bucket "N per period" is full
 * again one period after its last take, so callers pass now minus their
 * longest period: what is forgotten reads as full anyway. Bounded like
 * store_decay_prune (one call looks at a few thousand buckets, or forgets
 * STORE_PRUNE_MAX); sets *n and returns 0, STORE_PRUNE_MORE or -1 as it does. */
int store_buckets_prune(struct store *st, int64_t before, size_t *n);

/* What one batch of store_cleanup removed. */
struct store_cleanup {
	size_t sessions, messages, attempts, events, records, notes, fraud_events;
};
/* Removes old rows, at most batch of each kind, in one short transaction (so
 * no request waits on it for long): sessions created before before; messages
 * created before before that are no longer queued or sending, with their
 * hand-overs; events delivered or given up, created before before; a
 * number's notes made before before; fraud events logged before before;
 * records expired by now (of any kind). Oldest first; rows another
 * transaction holds are left for the next batch. Sets *n. A caller repeats
 * while a count equals batch. */
int store_cleanup(struct store *st, int64_t before, int64_t now, size_t batch,
		  struct store_cleanup *n);

/* A lease on a named duty (the cleanup) among the processes sharing the
 * store: 0 when holder holds it until until (taken, or renewed), else
 * STORE_CONFLICT (another holds it and it has not ended by now). Built on the
 * records (kind "lease"), so every backend has it. */
int store_lease_take(struct store *st, const char *name, const char *holder, int64_t now,
		     int64_t until);

/* A pair of exponentially decaying counters (a rolling window without
 * buckets), kept in two windows at once: in window w each value halves every
 * half_life_ms[w]. */
struct store_decay {
	const char *key;
	double half_life_ms[2];
	double add[2];    /* added to both windows at now, after decaying what was there */
	double out[2][2]; /* [window][value] at now, after the addition */
	/* 0: add always. Else 1 + the index, in the same call, of another
	 * counter (itself ungated): add only when that one read under 0.5 in
	 * window 0 before its own addition — a first sighting, so this counter
	 * counts distinct things (numbers per network). Read either way. */
	size_t first_of;
	/* With first_of: the gate is instead that counter's second value in
	 * window 1 (what was verified there over the long window), before its
	 * own addition, under 0.5 — so this counter counts things in keys
	 * without a verified history (sessions in number blocks where nobody
	 * verified). */
	int gate_verified;
};
/* Updates n counter pairs atomically and fills their out[]; gated counters
 * (first_of) after the others. A counter with nothing to add (add all 0, or
 * gated shut) is only read: no row is written for it, so reading costs no
 * write and leaves its age (store_decay_prune) as it was. */
int store_decay_add(struct store *st, struct store_decay *d, size_t n, int64_t now);
/* Forgets one key's counters (they read as zero again). */
int store_decay_reset(struct store *st, const char *key);
/* Forgets counters whose key starts with prefix (and goes on after it) and
 * that were last added to before before (a counter untouched for ten of its
 * longest half-lives holds under a thousandth of what it held: the caller
 * passes now minus that). Bounded, so that no call holds the writer long
 * however large the table: SQLite looks at the next few thousand keys of
 * the prefix from where its last call stopped, PostgreSQL forgets at most
 * STORE_PRUNE_MAX. Sets *n to the number forgotten; returns 0 when this call
 * came to the end (SQLite: of the keys; PostgreSQL: of what was due),
 * STORE_PRUNE_MORE when there is more for a next call, or -1. */
#define STORE_PRUNE_MAX 10000
int store_decay_prune(struct store *st, const char *prefix, int64_t before, size_t *n);

/* A session change and what rides with it: the message it queues, the event
 * it causes, the buckets the request takes and the counters it adds. Written
 * all together or not at all, in one round on the writer: the limits of a
 * request cost no round of their own. */
struct store_write {
	/* Inserted (insert = 1; its version as given, normally 1), or written
	 * with the compare-and-swap of store_session_update. */
	struct store_session *session;
	int insert;
	/* Queued with it (the outbox); may be NULL. Written STORE_MSG_SENDING
	 * (attempts 1), it is taken for its first round as it is written, about
	 * to be handed to msg->provider, as store_outbox_take leaves a message:
	 * the write announces that hand-over, so the taker may send once the
	 * write is durable, with no take of its own. */
	const struct store_message *msg;
	const struct store_event *event;   /* may be NULL */
	const struct store_note *note;     /* the number's timeline note of it; may be NULL */
	const struct store_bucket *buckets; /* taken all or none, as store_buckets_take */
	size_t n_buckets;                   /* at most STORE_BUCKETS_MAX */
	struct store_decay *counters;       /* added once every bucket granted; out[] filled */
	size_t n_counters;
	/* Called once the buckets granted and the counters are added, before the
	 * session is written: may change *s from what the counters now hold (a
	 * risk signal). Runs while the writer is held: it must not call the
	 * store, take a lock or block. NULL: none. */
	void (*adjust)(void *arg, struct store_session *s, const struct store_decay *c, size_t n);
	void *adjust_arg;
	int64_t now;            /* ms, for the buckets and counters */
	size_t refused;         /* set with STORE_LIMITED: the bucket that refused */
	int64_t retry_after_ms; /* set with STORE_LIMITED: the wait until it would grant */
};

/* Writes w in one transaction. Returns 0 (*w->session as written, counters'
 * out[] filled); STORE_LIMITED when a bucket lacks tokens (nothing at all is
 * written; w->refused and w->retry_after_ms say which and how long);
 * STORE_CONFLICT or STORE_NOT_FOUND for an update, exactly as
 * store_session_update (nothing written, *current filled when not NULL); or
 * -1. Parallel writes never take more than a bucket holds, and a session
 * change is never seen without its buckets, counters, message, event and note. */
int store_session_write(struct store *st, struct store_write *w, struct store_session *current);

/* A fraud measure on a key (a number prefix or a country). */
#define STORE_BLOCK_THROTTLED 1 /* new sessions there must prove work first */
#define STORE_BLOCK_BLOCKED 2   /* no code is sent there */

struct store_block {
	char key[40];     /* "p3|+4479111234" */
	int state;        /* STORE_BLOCK_* */
	int64_t since;    /* ms */
	double sent;      /* the window's counts when it was decided */
	double verified;
	double baseline;  /* the conversion it was compared with, 0..1 */
	char reason[160];
	int64_t until;    /* ms: it lifts itself then; 0: until an operator lifts it */
	int strikes;      /* 1 for a first measure on the key, n for its nth in a row */
};

/* Records a measure and a fraud event of type event_type (a word of policy's,
 * such as "fraud.prefix_blocked"; the store does not read it) in one
 * transaction, unless the key already holds this state or a stronger one in
 * force at b->since (a measure whose until has passed is none): then nothing
 * changes and STORE_CONFLICT. */
int store_block_set(struct store *st, const struct store_block *b, const char *event_type);
/* Lifts the measure on key and records a fraud event of type event_type
 * ("lifted by <who>"); STORE_NOT_FOUND when there is none. */
int store_block_lift(struct store *st, const char *key, const char *who, int64_t now,
		     const char *event_type);
/* Calls fn for every measure recorded, newest first (a caller that keeps
 * only so many keeps those most likely in force), those whose until has
 * passed too (a caller judges them by until: their strikes tell of repeats).
 * Callbacks must not call the store. */
int store_blocks_list(struct store *st, void (*fn)(const struct store_block *b, void *arg),
		      void *arg);
/* Forgets up to STORE_PRUNE_MAX measures that ran out before before (until
 * not 0; those an operator must lift are kept). The caller passes now minus
 * how long it remembers repeats: a measure forgotten starts its key's strikes
 * again, as one that old would anyway. Sets *n. */
int store_blocks_prune(struct store *st, int64_t before, size_t *n);
/* The fraud event log (fraud.prefix_blocked, ...), oldest first, from id
 * after_id on. (Webhooks to apps are struct store_event; a later change may
 * also send these there.) */
struct store_fraud_event {
	int64_t id;
	int64_t at;
	char type[40];
	char subject[40];
	char detail[256];
};
int store_fraud_events(struct store *st, int64_t after_id, size_t limit,
		       void (*fn)(const struct store_fraud_event *e, void *arg), void *arg);

/* Delivery figures of one provider in one region since a time, for dashboards:
 * how long from the code request to the hand-over and to the phone. */
struct store_delivery_stats {
	char provider[32];
	char region[3];
	int64_t messages;
	int64_t submitted;
	int64_t delivered;
	int64_t failed;
	int64_t submit_ms_avg, submit_ms_max;   /* request -> submitted */
	int64_t deliver_ms_avg, deliver_ms_max; /* request -> delivered */
};
int store_delivery_stats(struct store *st, int64_t since,
			 void (*fn)(const struct store_delivery_stats *d, void *arg), void *arg);

/* Dashboard figures (GET /v1/admin/stats): what happened since a time, as rows
 * of four kinds. A backend may give one bucket or key in several rows; the
 * caller adds them up. */
enum store_activity_kind {
	STORE_ACT_MINUTE = 0, /* at: a step's start; n[0] codes sent (messages), n[1] sessions verified */
	STORE_ACT_COUNTRY,    /* key: region; n[0] sessions that sent a code, n[1] of them verified */
	STORE_ACT_PROVIDER,   /* key: provider; n[0] sessions it carried a code of, n[1] of them verified */
	STORE_ACT_STATUS,     /* key: a message state's name; n[0] messages in it now */
};

struct store_activity {
	int kind;     /* enum store_activity_kind */
	int64_t at;   /* ms; STORE_ACT_MINUTE only: since + k * step_ms */
	char key[32];
	int64_t n[2];
};

/* Calls fn for each row of figures about sessions and messages created (or
 * verified) at or after since, the minute rows in steps of step_ms (> 0).
 * Callbacks must not call the store. */
int store_activity(struct store *st, int64_t since, int64_t step_ms,
		   void (*fn)(const struct store_activity *a, void *arg), void *arg);
/* Calls fn for the sessions created at or after since, newest first, at most
 * limit (code, messages and counters not filled beyond what the list shows:
 * id, phone, region, app, created_at, sms_sent, voice_sent, check_attempts,
 * verified_at, canceled_at). Callbacks must not call the store. */
int store_sessions_recent(struct store *st, int64_t since, size_t limit,
			  void (*fn)(const struct store_session *s, void *arg), void *arg);

#endif
