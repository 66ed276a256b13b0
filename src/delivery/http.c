/* The http provider: any aggregator's REST API, described by configuration
 * instead of code — the URL, method, headers and a body template (form or
 * JSON) with {to} {text} {from} {message_id} and friends, credentials from
 * "var_*" settings, a rule to read the provider's id for the message from
 * its answer, and how to read its delivery callbacks. docs/delivery.md has
 * the settings, and docs/providers/ working examples (Vonage, Twilio,
 * WhatsApp Cloud API).
 *
 * Answers: 2xx is taken (unless accept_field says otherwise), 429 and 5xx
 * are worth another try, any other status is a refusal of this message. */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/seal.h"
#include "delivery/callback.h"
#include "delivery/expand.h"
#include "delivery/fetch.h"
#include "delivery/provider.h"
#include "delivery/report.h"
#include "base/utf8.h"
#include "store/store.h"

#define HEADERS_MAX 16
#define STATUS_MAP_MAX 32
#define BODY_MAX 8192
#define URL_MAX 4096

enum body_format { BODY_NONE, BODY_FORM, BODY_JSON };

struct status_rule {
	char word[32];
	int state;
};

struct http {
	char name[32];
	const struct config *cfg;
	const struct config_section *s; /* url, body, headers and vars are read from it */
	const char *url, *method, *body, *basic_auth;
	enum body_format format;
	int n_headers;
	const char *headers[HEADERS_MAX]; /* templates "Name: value" */
	const char *id_field, *accept_field, *accept_value, *error_field;
	const char *callback_secret, *sig_header, *sig_secret, *sig_prefix, *verify_token;
	int sig_twilio; /* callback_signature = twilio: X-Twilio-Signature, not HMAC-SHA256 */
	struct callback_key token_key, sig_key; /* callback_secret's, sig_secret's (HMAC-SHA256) */
	const char *cb_id, *cb_ref, *cb_status, *cb_reason;
	int n_rules;
	struct status_rule rules[STATUS_MAP_MAX];
	const char *public_url;
	struct fetch *fetch;
};

struct vars {
	const struct http *h;
	const struct provider_message *m;
	char to_digits[17];
	char callback[512];
};

static const char *var(void *arg, const char *name)
{
	struct vars *v = arg;
	const struct provider_message *m = v->m;
	if (!strcmp(name, "to"))
		return m->to;
	if (!strcmp(name, "to_digits"))
		return v->to_digits;
	if (!strcmp(name, "text"))
		return m->text;
	if (!strcmp(name, "ssml"))
		return m->ssml ? m->ssml : "";
	if (!strcmp(name, "from"))
		return m->from;
	if (!strcmp(name, "message_id"))
		return m->id;
	if (!strcmp(name, "channel"))
		return m->channel;
	if (!strcmp(name, "region"))
		return m->region;
	if (!strcmp(name, "callback_url"))
		return v->callback;
	if (!strncmp(name, "var_", 4))
		return config_section_get(v->h->s, name);
	return NULL;
}

static void vars_init(struct vars *v, const struct http *h, const struct provider_message *m)
{
	v->h = h;
	v->m = m;
	strfmt(v->to_digits, sizeof v->to_digits, "%s", m->to[0] == '+' ? m->to + 1 : m->to);
	v->callback[0] = '\0';
	if (h->callback_secret)
		callback_url(h->public_url, h->name, m->id, &h->token_key, v->callback,
		             sizeof v->callback);
	else if (h->sig_secret)
		strfmt(v->callback, sizeof v->callback, "%s/v1/dlr/%s", h->public_url, h->name);
}

static void http_close(void *state)
{
	struct http *h = state;
	if (!h)
		return;
	fetch_free(h->fetch);
	callback_key_wipe(&h->token_key);
	callback_key_wipe(&h->sig_key);
	free(h);
}

static int parse_status_map(struct http *h, const char *map, char *where, char *err, size_t errlen)
{
	char buf[1024];
	if (strfmt(buf, sizeof buf, "%s", map) < 0) {
		strfmt(err, errlen, "%s: status_map is too long", where);
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strrchr(tok, ':');
		int state = colon ? report_state_from_name(colon + 1) : -1;
		if (!colon || colon == tok || state < 0 || h->n_rules == STATUS_MAP_MAX ||
		    (size_t)(colon - tok) >= sizeof h->rules[0].word) {
			strfmt(err, errlen,
			       "%s: status_map entry '%s' should be PROVIDER_WORD:STATE with STATE "
			       "one of "
			       "submitted, accepted, delivered, failed, expired",
			       where, tok);
			return -1;
		}
		*colon = '\0';
		struct status_rule *r = &h->rules[h->n_rules++];
		strfmt(r->word, sizeof r->word, "%s", tok);
		r->state = state;
	}
	return 0;
}

/* Expands every template once with sample values, so a mistake stops
 * start-up instead of the first code. */
static int check_templates(struct http *h, char *where, char *err, size_t errlen)
{
	struct provider_message m = {.id = "MSGID",
	                             .to = "+447400123456",
	                             .region = "GB",
	                             .channel = "sms",
	                             .text = "Your code: \"123-456\"\n",
	                             .ssml = "<speak>1 2 3</speak>",
	                             .from = "iotp",
	                             .now = 0};
	struct vars v;
	char *buf = xmalloc(BODY_MAX), inner[256];
	int rc = -1;
	vars_init(&v, h, &m);
	if (expand_template(h->url, EXPAND_URL, var, &v, buf, URL_MAX, inner, sizeof inner) < 0) {
		strfmt(err, errlen, "%s: url: %s", where, inner);
		goto out;
	}
	for (int i = 0; i < h->n_headers; i++)
		if (expand_template(h->headers[i], EXPAND_RAW, var, &v, buf, BODY_MAX, inner,
		                    sizeof inner) < 0) {
			strfmt(err, errlen, "%s: header '%.40s': %s", where, h->headers[i], inner);
			goto out;
		}
	if (h->basic_auth && expand_template(h->basic_auth, EXPAND_RAW, var, &v, buf, BODY_MAX,
	                                     inner, sizeof inner) < 0) {
		strfmt(err, errlen, "%s: basic_auth: %s", where, inner);
		goto out;
	}
	if (h->body) {
		enum expand_escape esc = h->format == BODY_JSON ? EXPAND_JSON : EXPAND_URL;
		if (expand_template(h->body, esc, var, &v, buf, BODY_MAX, inner, sizeof inner) <
		    0) {
			strfmt(err, errlen, "%s: body: %s", where, inner);
			goto out;
		}
		json_error_t jerr;
		json_t *j = h->format == BODY_JSON ? json_loads(buf, 0, &jerr) : NULL;
		if (h->format == BODY_JSON && !j) {
			strfmt(
			    err, errlen,
			    "%s: body is not JSON once filled in: %s (column %d); placeholders go "
			    "inside quotes, like \"to\": \"{to}\"",
			    where, jerr.text, jerr.column);
			goto out;
		}
		json_decref(j);
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int http_open(const struct provider_env *env, void **state, char *err, size_t errlen)
{
	static const char *const keys[] = {PROVIDER_COMMON_KEYS,
	                                   "url",
	                                   "method",
	                                   "body_format",
	                                   "body",
	                                   "basic_auth",
	                                   "id_field",
	                                   "accept_field",
	                                   "accept_value",
	                                   "error_field",
	                                   "timeout_ms",
	                                   "callback_secret",
	                                   "callback_signature",
	                                   "callback_signature_header",
	                                   "callback_signature_secret",
	                                   "callback_signature_prefix",
	                                   "callback_id_field",
	                                   "callback_ref_field",
	                                   "callback_status_field",
	                                   "callback_reason_field",
	                                   "callback_verify_token",
	                                   "status_map",
	                                   NULL};
	const struct config_section *s = env->section;
	char where[512];
	struct http *h = xcalloc(1, sizeof *h);
	strfmt(h->name, sizeof h->name, "%s", env->name);
	h->cfg = env->cfg;
	h->s = s;
	h->public_url = env->public_url;
	for (int i = 0; i < s->n; i++) {
		const char *key = s->entries[i].key;
		int known = !strncmp(key, "var_", 4) && key[4];
		if (!strncmp(key, "header_", 7) && key[7]) {
			if (h->n_headers == HEADERS_MAX || !strchr(s->entries[i].value, ':')) {
				config_section_where(env->cfg, s, key, where, sizeof where);
				strfmt(err, errlen,
				       "%s: %s must be 'Name: value' (at most %d headers)", where,
				       key, HEADERS_MAX);
				goto err;
			}
			h->headers[h->n_headers++] = s->entries[i].value;
			known = 1;
		}
		for (size_t j = 0; keys[j] && !known; j++)
			known = !strcmp(keys[j], key);
		if (!known) {
			config_section_where(env->cfg, s, key, where, sizeof where);
			strfmt(
			    err, errlen,
			    "%s: unknown setting '%s' (known: url, method, body_format, body, "
			    "basic_auth, header_*, var_*, id_field, accept_field, accept_value, "
			    "error_field, timeout_ms, callback_*, status_map, channels, breaker_*)",
			    where, key);
			goto err;
		}
	}
	config_section_where(env->cfg, s, NULL, where, sizeof where);
	h->url = config_section_get(s, "url");
	if (!h->url || strncmp(h->url, "http", 4) != 0) {
		strfmt(err, errlen,
		       "%s: set url to the provider's API address (http:// or https://)", where);
		goto err;
	}
	h->method = config_section_get(s, "method");
	if (!h->method)
		h->method = "POST";
	if (strcmp(h->method, "POST") && strcmp(h->method, "GET") && strcmp(h->method, "PUT")) {
		strfmt(err, errlen, "%s: method must be POST, GET or PUT", where);
		goto err;
	}
	const char *fmt = config_section_get(s, "body_format");
	h->body = config_section_get(s, "body");
	if (!fmt || !strcmp(fmt, "form"))
		h->format = BODY_FORM;
	else if (!strcmp(fmt, "json"))
		h->format = BODY_JSON;
	else if (!strcmp(fmt, "none"))
		h->format = BODY_NONE;
	else {
		strfmt(err, errlen, "%s: body_format must be form, json or none", where);
		goto err;
	}
	if (h->format == BODY_NONE)
		h->body = NULL;
	else if (!h->body) {
		strfmt(err, errlen, "%s: set body (a %s template with {to}, {text} ...)", where,
		       h->format == BODY_JSON ? "JSON" : "form");
		goto err;
	}
	h->basic_auth = config_section_get(s, "basic_auth");
	h->id_field = config_section_get(s, "id_field");
	h->accept_field = config_section_get(s, "accept_field");
	h->accept_value = config_section_get(s, "accept_value");
	h->error_field = config_section_get(s, "error_field");
	if (h->accept_field && !h->accept_value) {
		strfmt(err, errlen, "%s: accept_field needs accept_value", where);
		goto err;
	}
	h->callback_secret = config_section_get(s, "callback_secret");
	h->sig_header = config_section_get(s, "callback_signature_header");
	h->sig_secret = config_section_get(s, "callback_signature_secret");
	h->sig_prefix = config_section_get(s, "callback_signature_prefix");
	const char *scheme = config_section_get(s, "callback_signature");
	if (scheme && strcmp(scheme, "hmac-sha256") && strcmp(scheme, "twilio")) {
		config_section_where(env->cfg, s, "callback_signature", where, sizeof where);
		strfmt(err, errlen, "%s: callback_signature must be hmac-sha256 or twilio", where);
		goto err;
	}
	h->sig_twilio = scheme && !strcmp(scheme, "twilio");
	if (h->sig_twilio) {
		if (!h->sig_secret || h->sig_prefix) {
			strfmt(
			    err, errlen,
			    "%s: callback_signature = twilio needs callback_signature_secret (the "
			    "account's Auth Token) and takes no callback_signature_prefix",
			    where);
			goto err;
		}
		if (!h->sig_header)
			h->sig_header = "X-Twilio-Signature";
	}
	if (!h->sig_prefix)
		h->sig_prefix = "sha256=";
	h->verify_token = config_section_get(s, "callback_verify_token");
	h->cb_id = config_section_get(s, "callback_id_field");
	h->cb_ref = config_section_get(s, "callback_ref_field");
	h->cb_status = config_section_get(s, "callback_status_field");
	h->cb_reason = config_section_get(s, "callback_reason_field");
	if (h->callback_secret && strlen(h->callback_secret) < 16) {
		strfmt(err, errlen, "%s: callback_secret needs 16 or more random characters",
		       where);
		goto err;
	}
	if (!h->sig_header != !h->sig_secret) {
		strfmt(err, errlen,
		       "%s: callback_signature_header and callback_signature_secret go together",
		       where);
		goto err;
	}
	if (h->cb_status && !h->callback_secret && !h->sig_secret) {
		strfmt(err, errlen,
		       "%s: callbacks need callback_secret (a token in {callback_url}) or "
		       "callback_signature_header and _secret, or forged reports could be taken",
		       where);
		goto err;
	}
	if (h->cb_status && !h->cb_id && !h->cb_ref && !h->callback_secret) {
		strfmt(err, errlen,
		       "%s: say how a callback names its message: callback_id_field (iotp's id) or "
		       "callback_ref_field (the provider's id)",
		       where);
		goto err;
	}
	const char *map = config_section_get(s, "status_map");
	if (parse_status_map(h,
	                     map ? map
	                         : "submitted:submitted, accepted:accepted, delivered:delivered, "
	                           "failed:failed, expired:expired",
	                     where, err, errlen) < 0)
		goto err;
	long timeout = 5000;
	if (provider_section_long(env->cfg, s, "timeout_ms", 100, 120000, &timeout, err, errlen) <
	    0)
		goto err;
	if (check_templates(h, where, err, errlen) < 0)
		goto err;
	h->fetch = fetch_new(timeout);
	if (!h->fetch) {
		strfmt(err, errlen, "%s: cannot set up an HTTP client", where);
		goto err;
	}
	if (h->callback_secret)
		callback_key_init(&h->token_key, h->callback_secret);
	if (h->sig_secret && !h->sig_twilio)
		callback_key_init(&h->sig_key, h->sig_secret);
	*state = h;
	return 0;
err:
	http_close(h);
	return -1;
}

/* The value at a dotted path ("messages.0.message-id") as text, or NULL. */
static const char *json_path_text(json_t *root, const char *path, char *buf, size_t size)
{
	char p[256];
	json_t *j = root;
	if (strfmt(p, sizeof p, "%s", path) < 0)
		return NULL;
	char *save = NULL;
	for (char *tok = strtok_r(p, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j) && isdigit((unsigned char)tok[0]))
			j = json_array_get(j, (size_t)strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	if (json_is_string(j))
		strfmt(buf, size, "%s", json_string_value(j));
	else if (json_is_integer(j))
		strfmt(buf, size, "%lld", (long long)json_integer_value(j));
	else if (json_is_boolean(j))
		strfmt(buf, size, "%s", json_is_true(j) ? "true" : "false");
	else
		return NULL;
	return buf;
}

static int http_send(void *state, const struct provider_message *m, char *ref, size_t reflen,
                     char *error, size_t errlen)
{
	struct http *h = state;
	struct vars v;
	char *url = xmalloc(URL_MAX), *body = xmalloc(BODY_MAX), *auth = NULL, inner[256];
	char *hdr[HEADERS_MAX + 2] = {0};
	struct fetch_answer *ans = xmalloc(sizeof *ans);
	int rc = PROVIDER_REFUSED;
	ref[0] = '\0';
	vars_init(&v, h, m);
	if (expand_template(h->url, EXPAND_URL, var, &v, url, URL_MAX, inner, sizeof inner) < 0) {
		strfmt(error, errlen, "cannot build the request URL: %s", inner);
		goto out;
	}
	for (int i = 0; i < h->n_headers; i++) {
		hdr[i] = xmalloc(1024);
		if (expand_template(h->headers[i], EXPAND_RAW, var, &v, hdr[i], 1024, inner,
		                    sizeof inner) < 0) {
			strfmt(error, errlen, "cannot build a header: %s", inner);
			goto out;
		}
	}
	int n = h->n_headers;
	if (h->format == BODY_JSON)
		hdr[n++] = xstrdup("Content-Type: application/json");
	else if (h->format == BODY_FORM)
		hdr[n++] = xstrdup("Content-Type: application/x-www-form-urlencoded");
	if (h->basic_auth) {
		auth = xmalloc(512);
		if (expand_template(h->basic_auth, EXPAND_RAW, var, &v, auth, 512, inner,
		                    sizeof inner) < 0) {
			strfmt(error, errlen, "cannot build basic_auth: %s", inner);
			goto out;
		}
	}
	body[0] = '\0';
	if (h->body && expand_template(h->body, h->format == BODY_JSON ? EXPAND_JSON : EXPAND_URL,
	                               var, &v, body, BODY_MAX, inner, sizeof inner) < 0) {
		strfmt(error, errlen, "cannot build the body: %s", inner);
		goto out;
	}
	struct fetch_request req = {.method = h->method,
	                            .url = url,
	                            .headers = (const char **)hdr,
	                            .body = h->body ? body : NULL,
	                            .body_len = strlen(body),
	                            .userpwd = auth};
	if (fetch_do(h->fetch, &req, ans, inner, sizeof inner) < 0) {
		strfmt(error, errlen, "%s did not answer: %s", h->name, inner);
		rc = PROVIDER_RETRY;
		goto out;
	}
	json_t *j = json_loadb(ans->body, ans->len, JSON_DECODE_ANY, NULL);
	char val[256], why[160] = "";
	if (h->error_field && j && json_path_text(j, h->error_field, val, sizeof val))
		strfmt(why, sizeof why, "%s", val);
	else
		strfmt(why, sizeof why, "%.120s", ans->body);
	if (ans->status >= 200 && ans->status < 300) {
		if (h->accept_field &&
		    (!j || !json_path_text(j, h->accept_field, val, sizeof val) ||
		     strcmp(val, h->accept_value) != 0)) {
			strfmt(error, errlen, "%s refused the message: %s", h->name, why);
			rc = PROVIDER_REFUSED;
		} else {
			if (h->id_field && j && json_path_text(j, h->id_field, val, sizeof val))
				strfmt(ref, reflen, "%s", val);
			rc = PROVIDER_SENT;
		}
	} else if (ans->status == 429 || ans->status >= 500) {
		strfmt(error, errlen, "%s failed (%ld): %s", h->name, ans->status, why);
		rc = PROVIDER_RETRY;
	} else {
		strfmt(error, errlen, "%s refused the message (%ld): %s", h->name, ans->status,
		       why);
		rc = PROVIDER_REFUSED;
	}
	json_decref(j);
out:
	for (int i = 0; i < HEADERS_MAX + 2; i++) {
		if (hdr[i])
			seal_wipe(hdr[i], strlen(hdr[i]));
		free(hdr[i]);
	}
	if (auth)
		seal_wipe(auth, 512);
	free(auth);
	seal_wipe(url, URL_MAX);
	seal_wipe(body, BODY_MAX);
	free(url);
	free(body);
	free(ans);
	return rc;
}

static int is_form(const char *ct)
{
	return ct && !strncmp(ct, "application/x-www-form-urlencoded", 33);
}

/* A callback field: from a JSON body by path, a form body by name, else the
 * query string. */
static const char *field(const struct provider_report_in *in, json_t *j, const char *name,
                         char *buf, size_t size)
{
	if (!name)
		return NULL;
	if (j)
		return json_path_text(j, name, buf, size);
	if (is_form(in->content_type) && expand_form_get(in->body, name, buf, size) == 0)
		return buf;
	const char *q = in->query(in->arg, name);
	if (!q)
		return NULL;
	strfmt(buf, size, "%s", q);
	return buf;
}

/* Meta's webhook subscription check: GET ?hub.mode=subscribe&hub.verify_token=
 * &hub.challenge=; answered with the challenge when the token is ours. */
static int subscription(const struct http *h, const struct provider_report_in *in,
                        struct provider_report *out, char *error, size_t errlen)
{
	const char *token = in->query(in->arg, "hub.verify_token");
	const char *challenge = in->query(in->arg, "hub.challenge");
	size_t tl = token ? strlen(token) : 0, cl = challenge ? strlen(challenge) : 0;
	int ok = h->verify_token && tl == strlen(h->verify_token) &&
	         sodium_memcmp(token, h->verify_token, tl) == 0 && cl > 0 && cl < sizeof out->ref;
	for (size_t i = 0; ok && i < cl; i++)
		ok = isdigit((unsigned char)challenge[i]) != 0;
	if (!ok) {
		strfmt(error, errlen, "a webhook subscription check with a wrong verify token");
		return PROVIDER_REPORT_FORGED;
	}
	strfmt(out->ref, sizeof out->ref, "%s", challenge);
	return PROVIDER_REPORT_CHALLENGE;
}

/* Whether a report carries Twilio's signature of the URL iotpd gave Twilio:
 * callback_base_url and the request's own path and query string (never its
 * Host, which a proxy or a forger sets). */
static int twilio_signed(const struct http *h, const struct provider_report_in *in)
{
	if (!in->target || in->target[0] != '/')
		return 0;
	size_t size = strlen(h->public_url) + strlen(in->target) + 1;
	char *url = xmalloc(size);
	strfmt(url, size, "%s%s", h->public_url, in->target);
	int ok = callback_twilio_ok(h->sig_secret, url, in->content_type, in->body, in->body_len,
	                            in->header(in->arg, h->sig_header));
	free(url);
	return ok;
}

static int http_report(void *state, const struct provider_report_in *in,
                       struct provider_report *out, char *error, size_t errlen)
{
	struct http *h = state;
	const char *m = in->query(in->arg, "m"), *t = in->query(in->arg, "t");
	memset(out, 0, sizeof *out);
	const char *mode = in->query(in->arg, "hub.mode");
	if (mode && !strcmp(mode, "subscribe"))
		return subscription(h, in, out, error, errlen);
	int by_url = h->callback_secret && m && t && strlen(m) < sizeof out->id &&
	             callback_token_ok(&h->token_key, m, t);
	if (h->sig_twilio) {
		/* Twilio signs every callback, so the signature is always required;
		 * a token in the URL, when configured too, must hold as well. */
		if (!twilio_signed(h, in)) {
			strfmt(error, errlen,
			       "X-Twilio-Signature is missing or does not match the URL and "
			       "parameters");
			return PROVIDER_REPORT_FORGED;
		}
		if (h->callback_secret && !by_url) {
			strfmt(error, errlen, "the message id and token do not match");
			return PROVIDER_REPORT_FORGED;
		}
	} else if (!by_url &&
	           !(h->sig_secret &&
	             callback_signature_ok(&h->sig_key, in->body, in->body_len,
	                                   in->header(in->arg, h->sig_header), h->sig_prefix))) {
		strfmt(error, errlen, "%s",
		       h->sig_secret ? "the signature does not match the body"
		                     : "the message id and token do not match");
		return PROVIDER_REPORT_FORGED;
	}
	if (!h->cb_status) {
		strfmt(error, errlen, "no callback_status_field is configured");
		return PROVIDER_REPORT_INVALID;
	}
	json_t *j = NULL;
	if (in->body_len && !is_form(in->content_type))
		j = json_loadb(in->body, in->body_len, 0, NULL);
	char buf[256];
	int rc = 0;
	if (by_url)
		strfmt(out->id, sizeof out->id, "%s", m);
	else if (field(in, j, h->cb_id, buf, sizeof buf))
		strfmt(out->id, sizeof out->id, "%s", buf);
	if (field(in, j, h->cb_ref, buf, sizeof buf))
		strfmt(out->ref, sizeof out->ref, "%s", buf);
	const char *status = field(in, j, h->cb_status, buf, sizeof buf);
	out->state = -1;
	for (int i = 0; status && i < h->n_rules; i++)
		if (!strcmp(h->rules[i].word, status))
			out->state = h->rules[i].state;
	if (!status) {
		/* Webhooks carry other events too (WhatsApp: incoming messages). */
		strfmt(error, errlen, "the callback carries no status");
		rc = PROVIDER_REPORT_IGNORED;
	} else if (out->state < 0) {
		strfmt(error, errlen, "status '%.40s' is not in status_map: nothing changes",
		       status);
		rc = PROVIDER_REPORT_IGNORED;
	} else if (!out->id[0] && !out->ref[0]) {
		strfmt(error, errlen, "the callback names no message");
		rc = PROVIDER_REPORT_INVALID;
	} else if (out->state == STORE_MSG_FAILED || out->state == STORE_MSG_EXPIRED) {
		const char *why = field(in, j, h->cb_reason, buf, sizeof buf);
		strfmt(out->reason, sizeof out->reason, "%s reported it %s%s%.120s%s", h->name,
		       out->state == STORE_MSG_FAILED ? "undelivered" : "expired", why ? " (" : "",
		       why ? why : "", why ? ")" : "");
		utf8_scrub(out->reason);
	}
	json_decref(j);
	return rc;
}

const struct provider_ops provider_http_ops = {
    .version = PROVIDER_OPS_VERSION,
    .type = "http",
    .channels = PROVIDER_CHANNEL_SMS | PROVIDER_CHANNEL_VOICE | PROVIDER_CHANNEL_WHATSAPP,
    .open = http_open,
    .close = http_close,
    .send = http_send,
    .report = http_report,
};
