/* An account's passkeys (WebAuthn Level 2): the registration and
 * authentication ceremonies around base/webauthn.c's checks — challenges,
 * what they are bound to, the credentials kept in the store — and the
 * assertion that stands in for the PIN (core/account.c) or for the SMS code
 * of a re-verification. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/seal.h"
#include "base/webauthn.h"
#include "core/account_internal.h"
#include "core/app.h"
#include "core/event.h"
#include "core/record.h"

/* Challenges are records: a compare-and-swap marks one answered, so of two
 * answers (two nodes, a replay) only the first is ever checked. */
#define CHALLENGE_KIND "passkey_ch"
#define CHALLENGE_BYTES 32
#define CHALLENGE_MAX 64 /* base64url of 32 bytes is 43 characters */
#define CAS_TRIES 8

/* The app of an account when it has passkeys on, else NULL. */
static const struct app *rp_app(const struct core *c, const char *app_id)
{
	const struct app *app = apps_find(&c->apps, app_id);
	return app && app->passkey_rp_id[0] ? app : NULL;
}

static void b64url(const unsigned char *in, size_t len, char *out, size_t size)
{
	sodium_bin2base64(out, size, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static json_t *b64url_json(const unsigned char *in, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = xmalloc(size);
	b64url(in, len, s, size);
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* Decodes base64url text (padding tolerated) into a new buffer; NULL when s
 * is NULL or not base64url. */
static unsigned char *unb64(const char *s, size_t *len)
{
	if (!s)
		return NULL;
	size_t n = strlen(s), got = 0;
	const char *end = NULL;
	unsigned char *out = xmalloc(n * 3 / 4 + 3);
	if (sodium_base642bin(out, n * 3 / 4 + 3, s, n, "=", &got, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != s + n || got == 0) {
		free(out);
		return NULL;
	}
	*len = got;
	return out;
}

static struct webauthn_expect expect(const struct core *c, const struct app *app, const char *type,
				     const char *challenge)
{
	return (struct webauthn_expect){
		.type = type,
		.challenge = challenge,
		.rp_id = app->passkey_rp_id,
		.origins = app->passkey_origins,
		.n_origins = app->n_passkey_origins,
		.require_uv = !strcmp(c->cfg->passkey_user_verification, "required"),
	};
}

static enum iotp_error mapped(enum webauthn_result r)
{
	switch (r) {
	case WEBAUTHN_OK:
		return IOTP_E_OK;
	case WEBAUTHN_WRONG_CHALLENGE:
		return IOTP_E_PASSKEY_CHALLENGE_INVALID;
	case WEBAUTHN_WRONG_ORIGIN:
		return IOTP_E_PASSKEY_WRONG_ORIGIN;
	case WEBAUTHN_WRONG_RP_ID:
		return IOTP_E_PASSKEY_WRONG_RP_ID;
	case WEBAUTHN_NO_USER:
		return IOTP_E_PASSKEY_USER_NOT_VERIFIED;
	case WEBAUTHN_BAD_SIGNATURE:
		return IOTP_E_PASSKEY_BAD_SIGNATURE;
	case WEBAUTHN_SIGN_COUNT:
		return IOTP_E_PASSKEY_SIGN_COUNT;
	default:
		return IOTP_E_PASSKEY_INVALID;
	}
}

/* A new challenge for purpose ("register", "reverify" or "device"), bound to
 * the account and (may be NULL) the session. */
static enum iotp_error new_challenge(struct core *c, const char *purpose, const char *account_id,
				     const char *session_id, int64_t now, char out[CHALLENGE_MAX])
{
	unsigned char b[CHALLENGE_BYTES];
	randombytes_buf(b, sizeof b);
	b64url(b, sizeof b, out, CHALLENGE_MAX);
	json_t *v = json_pack("{s:s, s:s, s:s}", "purpose", purpose, "account_id", account_id,
			      "session_id", session_id ? session_id : "");
	struct store_record rec;
	memset(&rec, 0, sizeof rec);
	int rc = record_put(c->store, &rec, CHALLENGE_KIND, out, v,
			    now + (int64_t)c->cfg->passkey_challenge_ttl * 1000, now);
	json_decref(v);
	return rc == 0 ? IOTP_E_OK : IOTP_E_INTERNAL;
}

/* Finds the challenge clientDataJSON answers and spends it, right answer or
 * wrong, then checks what it was issued for. *challenge gets it. */
static enum iotp_error spend_challenge(struct core *c, const unsigned char *cd, size_t cd_len,
				       const char *purpose, const char *account_id,
				       const char *session_id, int64_t now,
				       char challenge[CHALLENGE_MAX], const char **why)
{
	json_t *j = json_loadb((const char *)cd, cd_len, 0, NULL);
	const char *ch = json_string_value(json_object_get(j, "challenge"));
	int ok = ch && *ch && strlen(ch) < CHALLENGE_MAX;
	if (ok)
		strfmt(challenge, CHALLENGE_MAX, "%s", ch);
	json_decref(j);
	if (!ok) {
		*why = "clientDataJSON is not JSON with this server's challenge in it";
		return IOTP_E_PASSKEY_INVALID;
	}
	struct store_record rec;
	int rc;
	json_t *v = record_get(c->store, CHALLENGE_KIND, challenge, now, &rec, &rc);
	if (!v) {
		*why = "the challenge is unknown or expired: ask for new options";
		return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_PASSKEY_CHALLENGE_INVALID;
	}
	int used = record_int(v, "used") != 0;
	int bound = !strcmp(record_str(v, "purpose"), purpose) &&
		    !strcmp(record_str(v, "account_id"), account_id) &&
		    !strcmp(record_str(v, "session_id"), session_id ? session_id : "");
	if (!used) {
		json_object_set_new(v, "used", json_integer(1));
		rc = record_put(c->store, &rec, CHALLENGE_KIND, challenge, v, rec.expires_at, now);
	}
	json_decref(v);
	if (!used && rc < 0)
		return IOTP_E_INTERNAL;
	if (used || rc == STORE_CONFLICT) {
		*why = "the challenge was answered already (a replay?): ask for new options";
		return IOTP_E_PASSKEY_CHALLENGE_INVALID;
	}
	if (!bound) {
		*why = "the challenge was issued for another account, session or ceremony";
		return IOTP_E_PASSKEY_CHALLENGE_INVALID;
	}
	return IOTP_E_OK;
}

struct collect {
	json_t *list; /* of {"type", "id"} descriptors */
	int n;
};

static void collect_passkey(const struct store_passkey *p, void *arg)
{
	struct collect *k = arg;
	k->n++;
	if (k->list)
		json_array_append_new(k->list, json_pack("{s:s, s:o}", "type", "public-key", "id",
							 b64url_json(p->cred_id, p->cred_id_len)));
}

int account_passkey_count(struct core *c, const struct store_account *a)
{
	struct collect k = {NULL, 0};
	if (!rp_app(c, a->app) || store_passkey_list(c->store, a->id, collect_passkey, &k) < 0)
		return 0;
	return k.n;
}

void account_passkeys_drop(struct core *c, const char *account_id)
{
	if (store_passkey_delete(c->store, account_id, NULL) < 0)
		log_error("account %s: its passkeys could not be removed after its PIN lapsed",
			  account_id);
}

/* A live account with passkeys on: OK, IOTP_E_INVALID_CREDENTIAL, _PASSKEYS_OFF. */
static enum iotp_error live_account(struct core *c, const char *id, struct store_account *a,
				    const struct app **app)
{
	int rc = store_account_get(c->store, id, a);
	if (rc != 0 || a->closed_at)
		return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_INVALID_CREDENTIAL;
	*app = rp_app(c, a->app);
	return *app ? IOTP_E_OK : IOTP_E_PASSKEYS_OFF;
}

enum iotp_error account_passkey_register_options(struct core *c, const char *account_id,
						 int64_t now, json_t **out)
{
	struct store_account a;
	const struct app *app;
	char challenge[CHALLENGE_MAX], masked[sizeof a.phone];
	enum iotp_error e = live_account(c, account_id, &a, &app);
	if (e)
		return e;
	/* The account's own passkeys, so the authenticator makes no second one. */
	struct collect k = {json_array(), 0};
	if (store_passkey_list(c->store, a.id, collect_passkey, &k) < 0 ||
	    (e = new_challenge(c, "register", a.id, NULL, now, challenge))) {
		json_decref(k.list);
		return e ? e : IOTP_E_INTERNAL;
	}
	account_masked_number(a.phone, masked, sizeof masked);
	/* WebAuthn's PublicKeyCredentialCreationOptions in its JSON form. The
	 * user handle is the account id: it names no person. */
	*out = json_pack(
		"{s:{s:s, s:s}, s:{s:o, s:s, s:s}, s:s, s:[{s:s, s:i}, {s:s, s:i}], s:i, s:s,"
		" s:{s:s, s:b, s:s}, s:o}",
		"rp", "id", app->passkey_rp_id, "name", app->msg.name ? app->msg.name : c->cfg->app_name,
		"user", "id", b64url_json((const unsigned char *)a.id, strlen(a.id)), "name", masked,
		"displayName", masked, "challenge", challenge, "pubKeyCredParams", "type",
		"public-key", "alg", COSE_ES256, "type", "public-key", "alg", COSE_EDDSA, "timeout",
		c->cfg->passkey_challenge_ttl * 1000, "attestation", "none",
		"authenticatorSelection", "residentKey", "preferred", "requireResidentKey", 0,
		"userVerification", c->cfg->passkey_user_verification, "excludeCredentials", k.list);
	return *out ? IOTP_E_OK : IOTP_E_INTERNAL;
}

struct change_event {
	const char *type;
	const struct store_passkey *p;
};

static enum iotp_error apply_event(struct core *c, struct store_account *a, int64_t now, void *arg,
				   struct store_event *ev, int *n_ev)
{
	(void)c;
	const struct change_event *ce = arg;
	if (event_make(&ev[(*n_ev)++], ce->type, a->app, a->id, now,
		       json_pack("{s:s, s:s, s:s, s:s}", "account_id", a->id, "phone", a->phone,
				 "passkey_id", ce->p->id, "name", ce->p->name)) < 0)
		return IOTP_E_INTERNAL;
	return IOTP_E_OK;
}

/* Tells the app (an event written with a bump of the account). */
static void tell(struct core *c, const char *type, const struct store_passkey *p, int64_t now)
{
	struct change_event ce = {type, p};
	struct account_result res;
	if (account_change_with(c, p->account_id, now, apply_event, &ce, &res) != IOTP_E_OK)
		log_warn("account %s: event %s not written", p->account_id, type);
}

static enum iotp_error register_checked(struct core *c, const struct store_account *a,
					const struct app *app,
					const struct account_passkey_response *r,
					const unsigned char *cd, size_t cd_len, const char *name,
					int64_t now, struct store_passkey *out, const char **why)
{
	char challenge[CHALLENGE_MAX];
	enum iotp_error e =
		spend_challenge(c, cd, cd_len, "register", a->id, NULL, now, challenge, why);
	if (e)
		return e;
	size_t att_len = 0, raw_len = 0;
	unsigned char *att = unb64(r->attestation_object, &att_len);
	unsigned char *raw = unb64(r->raw_id, &raw_len);
	struct webauthn_credential *cred = xmalloc(sizeof *cred);
	struct webauthn_expect ex = expect(c, app, "webauthn.create", challenge);
	if (!att) {
		*why = "response.attestationObject is missing or not base64url";
		e = IOTP_E_PASSKEY_INVALID;
	} else if ((e = mapped(webauthn_register(&ex, cd, cd_len, att, att_len, cred, why)))) {
		/* refused, *why says by which check */
	} else if (raw && (raw_len != cred->ad.cred_id_len ||
			   memcmp(raw, cred->ad.cred_id, raw_len) != 0)) {
		*why = "rawId is not the credential id the authenticator attested";
		e = IOTP_E_PASSKEY_INVALID;
	} else {
		struct store_passkey *p = out;
		memset(p, 0, sizeof *p);
		seal_random_id(12, p->id, sizeof p->id);
		strfmt(p->account_id, sizeof p->account_id, "%s", a->id);
		strfmt(p->app, sizeof p->app, "%s", a->app);
		memcpy(p->cred_id, cred->ad.cred_id, cred->ad.cred_id_len);
		p->cred_id_len = cred->ad.cred_id_len;
		memcpy(p->public_key, cred->ad.key_cbor, cred->ad.key_cbor_len);
		p->public_key_len = cred->ad.key_cbor_len;
		p->alg = cred->ad.key.alg;
		memcpy(p->aaguid, cred->ad.aaguid, sizeof p->aaguid);
		strfmt(p->attestation, sizeof p->attestation, "%s", cred->attestation);
		strfmt(p->name, sizeof p->name, "%s", name && *name ? name : "Passkey");
		p->sign_count = cred->ad.sign_count;
		p->backup_eligible = (cred->ad.flags & WEBAUTHN_BE) != 0;
		p->backup_state = (cred->ad.flags & WEBAUTHN_BS) != 0;
		p->created_at = now;
		p->version = 1;
		int rc = store_passkey_insert(c->store, p, c->cfg->passkeys_max);
		e = rc == 0 ? IOTP_E_OK
		    : rc == STORE_LIMITED ? IOTP_E_PASSKEY_LIMIT
		    : rc == STORE_CONFLICT ? IOTP_E_PASSKEY_EXISTS
					   : IOTP_E_INTERNAL;
	}
	free(att);
	free(raw);
	free(cred);
	return e;
}

enum iotp_error account_passkey_register(struct core *c, const char *account_id,
					 const struct account_passkey_response *r,
					 const char *name, int64_t now, struct store_passkey *out,
					 const char **why)
{
	struct store_account a;
	const struct app *app;
	*why = NULL;
	enum iotp_error e = live_account(c, account_id, &a, &app);
	if (e)
		return e;
	size_t cd_len = 0;
	unsigned char *cd = unb64(r->client_data_json, &cd_len);
	if (!cd) {
		*why = "response.clientDataJSON is missing or not base64url";
		return IOTP_E_PASSKEY_INVALID;
	}
	e = register_checked(c, &a, app, r, cd, cd_len, name, now, out, why);
	free(cd);
	if (e == IOTP_E_OK)
		tell(c, "account.passkey_added", out, now);
	return e;
}

int account_passkey_list(struct core *c, const char *account_id,
			 void (*fn)(const struct store_passkey *p, void *arg), void *arg)
{
	return store_passkey_list(c->store, account_id, fn, arg);
}

struct find {
	const char *id;
	struct store_passkey *out;
	int found;
};

static void find_passkey(const struct store_passkey *p, void *arg)
{
	struct find *f = arg;
	if (!strcmp(p->id, f->id)) {
		*f->out = *p;
		f->found = 1;
	}
}

enum iotp_error account_passkey_remove(struct core *c, const char *account_id, const char *id,
				       int64_t now)
{
	struct store_passkey p;
	struct find f = {id, &p, 0};
	if (store_passkey_list(c->store, account_id, find_passkey, &f) < 0)
		return IOTP_E_INTERNAL;
	if (!f.found)
		return IOTP_E_PASSKEY_NOT_FOUND;
	int rc = store_passkey_delete(c->store, account_id, id);
	if (rc == STORE_NOT_FOUND)
		return IOTP_E_PASSKEY_NOT_FOUND; /* a parallel removal came first */
	if (rc != 0)
		return IOTP_E_INTERNAL;
	tell(c, "account.passkey_removed", &p, now);
	return IOTP_E_OK;
}

enum iotp_error account_passkey_auth_options(struct core *c, const char *app_id,
					     const char *account_id, const char *session_id,
					     int64_t now, json_t **out)
{
	struct store_account a;
	const struct app *app;
	enum iotp_error e;
	if (session_id) {
		struct store_session s;
		if ((e = account_spendable(c, app_id, session_id, now, &s)))
			return e;
		int rc = store_account_by_phone(c->store, app_id, s.phone, &a);
		if (rc != 0)
			return rc < 0 ? IOTP_E_INTERNAL : IOTP_E_ACCOUNT_NOT_FOUND;
		if (!(app = rp_app(c, a.app)))
			return IOTP_E_PASSKEYS_OFF;
	} else if ((e = live_account(c, account_id, &a, &app))) {
		return e;
	}
	struct collect k = {json_array(), 0};
	char challenge[CHALLENGE_MAX];
	if (store_passkey_list(c->store, a.id, collect_passkey, &k) < 0)
		e = IOTP_E_INTERNAL;
	else if (k.n == 0)
		e = IOTP_E_NO_PASSKEYS;
	else
		e = new_challenge(c, session_id ? "device" : "reverify", a.id, session_id, now,
				  challenge);
	if (e) {
		json_decref(k.list);
		return e;
	}
	/* PublicKeyCredentialRequestOptions in its JSON form. */
	*out = json_pack("{s:s, s:s, s:i, s:s, s:o}", "challenge", challenge, "rpId",
			 app->passkey_rp_id, "timeout", c->cfg->passkey_challenge_ttl * 1000,
			 "userVerification", c->cfg->passkey_user_verification, "allowCredentials",
			 k.list);
	return *out ? IOTP_E_OK : IOTP_E_INTERNAL;
}

/* Decoded assertion fields. */
struct assertion {
	unsigned char *cd, *ad, *sig, *raw;
	size_t cd_len, ad_len, sig_len, raw_len;
};

static void assertion_free(struct assertion *s)
{
	free(s->cd);
	free(s->ad);
	free(s->sig);
	free(s->raw);
}

/* §7.2 for account a: the challenge (issued for purpose, a and session_id)
 * is spent first; then the passkey, its signature and its count; the use is
 * written with compare-and-swap, so of two parallel uses with one count only
 * one passes. */
static enum iotp_error check_assertion(struct core *c, const struct store_account *a,
				       const struct account_passkey_response *r,
				       const char *purpose, const char *session_id, int64_t now,
				       const char **why)
{
	const struct app *app = rp_app(c, a->app);
	if (!app)
		return IOTP_E_PASSKEYS_OFF;
	struct assertion s = {0};
	s.cd = unb64(r->client_data_json, &s.cd_len);
	s.ad = unb64(r->authenticator_data, &s.ad_len);
	s.sig = unb64(r->signature, &s.sig_len);
	s.raw = unb64(r->raw_id, &s.raw_len);
	char challenge[CHALLENGE_MAX];
	enum iotp_error e = IOTP_E_OK;
	struct store_passkey p;
	if (!s.cd || !s.ad || !s.sig || !s.raw) {
		*why = "a passkey assertion needs rawId and response.clientDataJSON, "
		       "authenticatorData and signature, in base64url";
		e = IOTP_E_PASSKEY_INVALID;
		goto out;
	}
	if ((e = spend_challenge(c, s.cd, s.cd_len, purpose, a->id, session_id, now, challenge,
				 why)))
		goto out;
	int rc = s.raw_len > STORE_PASSKEY_CRED_MAX
			 ? STORE_NOT_FOUND
			 : store_passkey_get(c->store, a->app, s.raw, s.raw_len, &p);
	if (rc < 0) {
		e = IOTP_E_INTERNAL;
		goto out;
	}
	struct webauthn_expect ex = expect(c, app, "webauthn.get", challenge);
	for (int tries = 0; tries < CAS_TRIES; tries++) {
		if (rc == STORE_NOT_FOUND || strcmp(p.account_id, a->id) != 0) {
			*why = "this passkey is not one of this account's (removed?)";
			e = IOTP_E_PASSKEY_NOT_FOUND;
			goto out;
		}
		struct webauthn_authdata ad;
		e = mapped(webauthn_authenticate(&ex, s.cd, s.cd_len, s.ad, s.ad_len, s.sig,
						 s.sig_len, p.public_key, p.public_key_len,
						 (uint32_t)p.sign_count, &ad, why));
		if (e)
			goto out;
		p.sign_count = ad.sign_count;
		p.backup_state = (ad.flags & WEBAUTHN_BS) != 0;
		p.last_used_at = now;
		p.version++;
		int w = store_passkey_update(c->store, &p);
		if (w == 0)
			goto out;
		if (w != STORE_CONFLICT) {
			e = IOTP_E_INTERNAL;
			goto out;
		}
		/* A parallel use came first: check the count against it. */
		rc = store_passkey_get(c->store, a->app, s.raw, s.raw_len, &p);
		if (rc < 0) {
			e = IOTP_E_INTERNAL;
			goto out;
		}
	}
	e = IOTP_E_INTERNAL;
out:
	assertion_free(&s);
	return e;
}

enum iotp_error account_passkey_guess(struct core *c, const struct store_account *a,
				      const struct account_passkey_response *r,
				      const char *session_id, int64_t now,
				      struct account_result *out)
{
	out->why = NULL;
	return check_assertion(c, a, r, "device", session_id, now, &out->why);
}

static enum iotp_error apply_reverified(struct core *c, struct store_account *a, int64_t now,
					void *arg, struct store_event *ev, int *n_ev)
{
	(void)c, (void)arg, (void)ev, (void)n_ev;
	a->reverify = 0;
	a->reverify_reason[0] = '\0';
	a->verified_at = now;
	a->seen_at = now;
	return IOTP_E_OK;
}

enum iotp_error account_passkey_reverify(struct core *c, const char *account_id,
					 const struct account_passkey_response *r, int64_t now,
					 struct account_result *out)
{
	char id[STORE_ID_MAX]; /* account_id may point into *out */
	strfmt(id, sizeof id, "%s", account_id);
	memset(out, 0, sizeof *out);
	struct store_account a;
	const struct app *app;
	enum iotp_error e = live_account(c, id, &a, &app);
	out->account = a;
	if (e)
		return e;
	if ((e = check_assertion(c, &a, r, "reverify", NULL, now, &out->why)))
		return e;
	return account_change_with(c, id, now, apply_reverified, NULL, out);
}
