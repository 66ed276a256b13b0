/* login: users, and the codes that sign them in or move them to a new number.
 *
 * A sign-in code belongs to a session that "gt_otp" app|sms|E.164 names, so a
 * second request within the code's lifetime sends the same code again. A
 * change of number waits on its user ("gt_user": new_phone, change_session),
 * and app|phone_change|E.164 lists the users waiting on that number, newest
 * first: a second user asking for the same number waits beside the first,
 * never in its place, and the code typed says whose change it was. */
#include <string.h>

#include "base/alloc.h"
#include "core/account.h"
#include "core/login.h"
#include "core/login_internal.h"
#include "core/record.h"
#include "core/session.h"

#define K_USER "gt_user"
#define K_ALIAS "gt_alias"
#define K_OTP "gt_otp"
#define KEEP_MS (24LL * 3600 * 1000)
/* Users one number keeps waiting for it at once; an older one drops out. */
#define WAITING_MAX 4

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static struct policy_client client_of(const struct login_client *who)
{
	return (struct policy_client){.ip = who->ip, .app = who->app};
}

static void refusal_of(const struct policy_verdict *v, int64_t retry_after, enum iotp_error e,
		       struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	why->retry_after = e == IOTP_E_SEND_TOO_SOON ? retry_after : v->retry_after;
	memcpy(why->region, v->region, sizeof why->region);
}

/* --- users ------------------------------------------------------------ */

int login_user_load(struct core *c, const char *id, int64_t now, struct login_user *u,
		    json_t **jout, struct store_record *rec)
{
	struct store_record local;
	int rc;
	json_t *j = record_get(c->store, K_USER, id, now, rec ? rec : &local, &rc);
	if (!j)
		return rc;
	/* The number and its proof are the account's: read them fresh. An
	 * account closed because its number moved to another is a user no more. */
	struct store_account a;
	rc = store_account_get(c->store, jstr(j, "account"), &a);
	if (rc == 0 && a.closed_at)
		rc = STORE_NOT_FOUND;
	if (rc != 0) {
		json_decref(j);
		return rc;
	}
	memset(u, 0, sizeof *u);
	strfmt(u->id, sizeof u->id, "%s", jstr(j, "id"));
	strfmt(u->account, sizeof u->account, "%s", a.id);
	strfmt(u->app, sizeof u->app, "%s", a.app);
	strfmt(u->phone, sizeof u->phone, "%s", a.phone);
	strfmt(u->new_phone, sizeof u->new_phone, "%s", jstr(j, "new_phone"));
	u->created_at = a.created_at;
	u->confirmed_at = a.verified_at;
	u->updated_at = jint(j, "updated");
	u->last_sign_in_at = jint(j, "last_sign_in");
	u->change_sent_at = jint(j, "phone_change_sent");
	if (jout)
		*jout = j;
	else
		json_decref(j);
	return 0;
}

/* An edit of a user's record (user_update). */
typedef void (*user_edit)(json_t *j, void *arg);

struct user_change {
	user_edit edit;
	void *arg;
	int64_t now;
};

static enum record_change apply_user_change(json_t **j, int64_t *expires_at, void *arg)
{
	const struct user_change *ch = arg;
	(void)expires_at; /* users do not expire */
	if (!*j)
		return RECORD_STOP;
	ch->edit(*j, ch->arg);
	json_object_set_new(*j, "updated", json_integer(ch->now));
	return RECORD_WRITE;
}

/* Edits user id's record with edit() (record_update: compare-and-swap, again
 * from the winner's record when a parallel write came first); *u is the user
 * afterwards. 0, STORE_NOT_FOUND or -1. */
static int user_update(struct core *c, const char *id, int64_t now, user_edit edit, void *arg,
		       struct login_user *u)
{
	struct user_change ch = {edit, arg, now};
	int rc = record_update(c->store, K_USER, id, now, apply_user_change, &ch, NULL);
	if (rc != 0)
		return rc == RECORD_STOPPED ? STORE_NOT_FOUND : -1;
	return login_user_load(c, id, now, u, NULL, NULL);
}

/* Names user (a string) as the account's, unless a parallel first sign-in
 * named its own first: then that one stays. */
static enum record_change name_user(json_t **j, int64_t *expires_at, void *arg)
{
	(void)expires_at;
	if (*j)
		return RECORD_STOP;
	*j = json_pack("{s:s}", "user", (const char *)arg);
	return RECORD_WRITE;
}

/* The user of an account, made on its first sign-in here. 0 or -1. */
static int user_for_account(struct core *c, const struct store_account *a, int64_t now,
			    struct login_user *u)
{
	struct store_record rec;
	int rc;
	json_t *alias = record_get(c->store, K_ALIAS, a->id, now, &rec, &rc);
	if (!alias) {
		if (rc != STORE_NOT_FOUND)
			return -1;
		/* The user first, then the alias that names it, so an alias never
		 * names a user not yet written. */
		char id[LOGIN_ID_LEN];
		login_uuid(id);
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:s}", "id", id, "account",
				      a->id, "app", a->app, "updated", (json_int_t)now, "last_sign_in",
				      (json_int_t)0, "new_phone", "", "phone_change_sent",
				      (json_int_t)0, "change_session", "");
		memset(&rec, 0, sizeof rec);
		rc = record_put(c->store, &rec, K_USER, id, j, 0, now);
		json_decref(j);
		/* A parallel first sign-in may name its user first: then that one
		 * is the account's (the user written here stays unused). */
		if (rc != 0 || record_update(c->store, K_ALIAS, a->id, now, name_user, id, &alias) < 0)
			return -1;
	}
	rc = login_user_load(c, jstr(alias, "user"), now, u, NULL, NULL);
	json_decref(alias);
	return rc == 0 ? 0 : -1;
}

static void edit_signed_in(json_t *j, void *arg)
{
	json_object_set_new(j, "last_sign_in", json_integer(*(int64_t *)arg));
}

/* --- sign-in codes ---------------------------------------------------- */

static void otp_key(const char *app, const char *type, const char *e164, char *out, size_t size)
{
	strfmt(out, size, "%s|%s|%s", app, type, e164);
}

/* Whether session id can still take a send of its code (same code again). */
static int reusable(struct core *c, const char *app, const char *id, int64_t now)
{
	struct store_session s;
	return session_get(c, app, id, &s) == IOTP_E_OK && session_live(c, &s, now);
}

/* Sends session id's code, or withholds it (charged all the same). */
static enum iotp_error send(struct core *c, const struct login_client *who, const char *id,
			    int withhold, int64_t now, struct login_refusal *why)
{
	struct policy_client pc = client_of(who);
	struct policy_verdict v = {0};
	struct store_session s;
	int64_t retry_after = 0;
	enum iotp_error e =
		withhold ? session_send_withheld(c, id, "sms", &pc, now, &s, &retry_after, &v,
						 "not sent: no account on this number (GoTrue "
						 "create_user = false)")
			 : session_send_code(c, id, "sms", NULL, &pc, now, &s, &retry_after, &v);
	if (e)
		refusal_of(&v, retry_after, e, why);
	return e;
}

/* A new session for e164, its pointer written under key (the newest wins; a
 * parallel request's session is left unused). */
static enum iotp_error new_session(struct core *c, const struct login_client *who,
				   const char *e164, int64_t now, char *session_id,
				   struct login_refusal *why)
{
	struct policy_client pc = client_of(who);
	struct policy_verdict v = {0};
	struct session_request sr = {.app = who->app, .phone = e164};
	struct store_session s;
	struct phone_number n;
	enum iotp_error e = session_create(c, &sr, &pc, now, &s, &n, &v);
	if (e) {
		refusal_of(&v, 0, e, why);
		return e;
	}
	strfmt(session_id, STORE_ID_MAX, "%s", s.id);
	return IOTP_E_OK;
}

/* The number's sign-in record, pointed at a new session (whichever session
 * it named before, the newest wins). */
struct otp_point {
	const char *session;
	int64_t until;
};

static enum record_change point_at(json_t **j, int64_t *expires_at, void *arg)
{
	const struct otp_point *p = arg;
	json_decref(*j);
	*j = json_pack("{s:s}", "session", p->session);
	*expires_at = p->until;
	return RECORD_WRITE;
}

enum iotp_error login_send_code(struct core *c, const struct login_client *who, const char *e164,
				int only_known, int64_t now, char *session_id,
				struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	char key[STORE_RECORD_KEY_MAX];
	otp_key(who->app, "sms", e164, key, sizeof key);
	struct store_record rec;
	int rc;
	json_t *otp = record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!otp && rc != STORE_NOT_FOUND)
		return IOTP_E_INTERNAL;
	int fresh = !otp || !reusable(c, who->app, jstr(otp, "session"), now);
	if (!fresh)
		strfmt(session_id, STORE_ID_MAX, "%s", jstr(otp, "session"));
	json_decref(otp);
	enum iotp_error e = fresh ? new_session(c, who, e164, now, session_id, why) : IOTP_E_OK;
	if (e)
		return e;
	/* Known and unknown numbers take the same path, writes and limits; only
	 * whether the message is delivered differs, and the answer, which is
	 * given only once the send was charged. */
	int unknown = 0;
	if (only_known) {
		struct store_account a;
		rc = store_account_by_phone(c->store, who->app, e164, &a);
		if (rc < 0)
			return IOTP_E_INTERNAL;
		unknown = rc == STORE_NOT_FOUND;
	}
	e = send(c, who, session_id, unknown, now, why);
	if (e)
		return e;
	if (fresh) {
		struct store_session s;
		struct otp_point p = {.session = session_id, .until = now};
		if (session_get(c, who->app, session_id, &s) == IOTP_E_OK)
			p.until = s.expires_at;
		p.until += KEEP_MS;
		if (record_update(c->store, K_OTP, key, now, point_at, &p, NULL) != 0)
			return IOTP_E_INTERNAL;
	}
	return unknown ? IOTP_E_ACCOUNT_NOT_FOUND : IOTP_E_OK;
}

/* Checks code on session id: 0, IOTP_E_INCORRECT_CODE for any code that
 * does not verify, or a limit's refusal. */
static enum iotp_error check(struct core *c, const struct login_client *who, const char *id,
			     const char *code, int64_t now, struct login_refusal *why)
{
	struct policy_client pc = client_of(who);
	struct policy_verdict v = {0};
	struct store_session s;
	enum iotp_error e = session_check_code(c, id, code, &pc, now, &s, &v);
	if (!e || e == IOTP_E_INTERNAL)
		return e;
	if (iotp_error_status(e) == 429 && e != IOTP_E_ATTEMPTS_EXHAUSTED) {
		refusal_of(&v, 0, e, why); /* checks paused, rate limits */
		return e;
	}
	return IOTP_E_INCORRECT_CODE;
}

enum iotp_error login_verify_code(struct core *c, const struct login_client *who,
				  const char *e164, const char *code, int64_t now,
				  struct login_user *u, struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	char key[STORE_RECORD_KEY_MAX], id[STORE_ID_MAX];
	otp_key(who->app, "sms", e164, key, sizeof key);
	struct store_record rec;
	int rc;
	json_t *otp = record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!otp)
		return rc == STORE_NOT_FOUND ? IOTP_E_INCORRECT_CODE : IOTP_E_INTERNAL;
	strfmt(id, sizeof id, "%s", jstr(otp, "session"));
	json_decref(otp);
	enum iotp_error e = check(c, who, id, code, now, why);
	if (e)
		return e;
	/* The verified session signs the number's account in (making it on the
	 * first sign-in): the same account as the native API's. */
	struct account_result ar;
	e = account_sign_in(c, who->app, id, now, &ar);
	if (e)
		return e == IOTP_E_PIN_REQUIRED ? e : IOTP_E_INTERNAL;
	if (user_for_account(c, &ar.account, now, u) != 0)
		return IOTP_E_INTERNAL;
	return user_update(c, u->id, now, edit_signed_in, &now, u) == 0 ? IOTP_E_OK
									: IOTP_E_INTERNAL;
}

/* --- change of number ------------------------------------------------- */

struct change {
	const char *phone;
	const char *session;
	int64_t now;
};

static void edit_change(json_t *j, void *arg)
{
	struct change *ch = arg;
	json_object_set_new(j, "new_phone", json_string(ch->phone));
	json_object_set_new(j, "change_session", json_string(ch->session));
	if (ch->phone[0])
		json_object_set_new(j, "phone_change_sent", json_integer(ch->now));
	else
		json_object_set_new(j, "last_sign_in", json_integer(ch->now));
}

struct waiter {
	const char *user;
	int64_t until;
};

static enum record_change wait_first(json_t **j, int64_t *expires_at, void *arg)
{
	const struct waiter *w = arg;
	if (!*j)
		*j = json_object();
	json_t *old = json_object_get(*j, "users"), *users = json_array();
	json_array_append_new(users, json_string(w->user));
	size_t i;
	json_t *v;
	json_array_foreach(old, i, v)
	{
		const char *other = json_string_value(v);
		if (json_array_size(users) < WAITING_MAX && strcmp(other ? other : "", w->user) != 0)
			json_array_append(users, v);
	}
	json_object_set_new(*j, "users", users);
	if (*expires_at < w->until)
		*expires_at = w->until;
	return RECORD_WRITE;
}

/* Puts user first in the list of users waiting on e164 (dropping the oldest
 * past WAITING_MAX), kept at least until until. 0 or -1. */
static int wait_on(struct core *c, const char *app, const char *e164, const char *user,
		   int64_t until, int64_t now)
{
	char key[STORE_RECORD_KEY_MAX];
	otp_key(app, "phone_change", e164, key, sizeof key);
	struct waiter w = {.user = user, .until = until};
	return record_update(c->store, K_OTP, key, now, wait_first, &w, NULL) == 0 ? 0 : -1;
}

/* The users waiting on e164, newest first (a JSON array the caller owns, or
 * NULL when none). */
static json_t *waiting(struct core *c, const char *app, const char *e164, int64_t now)
{
	char key[STORE_RECORD_KEY_MAX];
	otp_key(app, "phone_change", e164, key, sizeof key);
	struct store_record rec;
	int rc;
	json_t *j = record_get(c->store, K_OTP, key, now, &rec, &rc);
	if (!j)
		return NULL;
	json_t *users = json_incref(json_object_get(j, "users"));
	json_decref(j);
	if (!json_array_size(users)) {
		json_decref(users);
		return NULL;
	}
	return users;
}

/* User id's change session while it still waits on e164, into session (""
 * when it asked for another number since, or is gone). */
static void change_of(struct core *c, const char *id, const char *e164, int64_t now,
		      struct login_user *u, char *session)
{
	json_t *j = NULL;
	session[0] = '\0';
	if (login_user_load(c, id, now, u, &j, NULL) != 0)
		return;
	if (!strcmp(jstr(j, "new_phone"), e164))
		strfmt(session, STORE_ID_MAX, "%s", jstr(j, "change_session"));
	json_decref(j);
}

enum iotp_error login_request_change(struct core *c, const struct login_client *who,
				     struct login_user *u, const char *e164, int64_t now,
				     char *session_id, struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	char current[STORE_ID_MAX];
	struct login_user cur;
	change_of(c, u->id, e164, now, &cur, current);
	enum iotp_error e = IOTP_E_OK;
	if (current[0] && reusable(c, who->app, current, now))
		strfmt(session_id, STORE_ID_MAX, "%s", current); /* the same code again */
	else
		e = new_session(c, who, e164, now, session_id, why);
	if (!e)
		e = send(c, who, session_id, 0, now, why);
	if (e)
		return e;
	struct store_session s;
	int64_t until = session_get(c, who->app, session_id, &s) == IOTP_E_OK ? s.expires_at : now;
	struct change ch = {.phone = e164, .session = session_id, .now = now};
	if (wait_on(c, who->app, e164, u->id, until + KEEP_MS, now) != 0 ||
	    user_update(c, u->id, now, edit_change, &ch, u) != 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

enum iotp_error login_resend_change(struct core *c, const struct login_client *who,
				    const char *e164, int64_t now, char *session_id,
				    struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	json_t *users = waiting(c, who->app, e164, now);
	enum iotp_error first = IOTP_E_SESSION_NOT_FOUND;
	int sent = 0;
	size_t i;
	json_t *v;
	json_array_foreach(users, i, v)
	{
		char session[STORE_ID_MAX];
		struct login_user u;
		struct login_refusal w;
		change_of(c, json_string_value(v) ? json_string_value(v) : "", e164, now, &u, session);
		if (!session[0])
			continue;
		enum iotp_error e = send(c, who, session, 0, now, &w);
		if (!e && !sent) {
			strfmt(session_id, STORE_ID_MAX, "%s", session);
			sent = 1;
		} else if (e && first == IOTP_E_SESSION_NOT_FOUND) {
			first = e;
			*why = w;
		}
	}
	json_decref(users);
	return sent ? IOTP_E_OK : first;
}

enum iotp_error login_verify_change(struct core *c, const struct login_client *who,
				    const char *e164, const char *code, int64_t now,
				    struct login_user *u, struct login_refusal *why)
{
	memset(why, 0, sizeof *why);
	json_t *users = waiting(c, who->app, e164, now);
	enum iotp_error e = IOTP_E_INCORRECT_CODE;
	char session[STORE_ID_MAX] = "";
	size_t i;
	json_t *v;
	/* Each waiting change has its own code: the one that verifies says whose
	 * change it was (a wrong code is counted on each, which only spends their
	 * attempts faster). */
	json_array_foreach(users, i, v)
	{
		change_of(c, json_string_value(v) ? json_string_value(v) : "", e164, now, u, session);
		if (!session[0])
			continue;
		e = check(c, who, session, code, now, why);
		if (e != IOTP_E_INCORRECT_CODE)
			break;
	}
	json_decref(users);
	if (e)
		return e;
	struct account_result ar;
	e = account_move_number(c, u->account, session, now, &ar);
	if (e)
		return e == IOTP_E_NUMBER_TAKEN ? e : IOTP_E_INTERNAL;
	struct change ch = {.phone = "", .session = "", .now = now};
	return user_update(c, u->id, now, edit_change, &ch, u) == 0 ? IOTP_E_OK : IOTP_E_INTERNAL;
}
