/* The kannel provider: SMS through Kannel's smsbox (the open-source SMS
 * gateway that speaks SMPP and friends to carriers), over its sendsms HTTP
 * interface, with a dlr-url that brings delivery reports back to iotpd.
 *
 * Kannel's answers: 202 "0: Accepted for delivery" and 202 "3: Queued for later
 * delivery" (no SMSC connected yet: Kannel keeps it) both mean Kannel has the
 * message; 403 is a wrong username or password; other 4xx are refusals of
 * this message; 5xx and transport failures are worth another try. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/seal.h"
#include "delivery/callback.h"
#include "delivery/expand.h"
#include "delivery/fetch.h"
#include "delivery/provider.h"
#include "delivery/report.h"
#include "msg/sms.h"
#include "store/store.h"

#define URL_MAX 8192

struct kannel {
	char name[32];
	char *url, *username, *password, *smsc;
	struct callback_key key; /* callback_secret's, for the reports' tokens */
	int dlr_mask;
	const char *public_url;
	struct fetch *fetch;
};

static void kannel_close(void *state)
{
	struct kannel *k = state;
	if (!k)
		return;
	fetch_free(k->fetch);
	free(k->url);
	free(k->username);
	free(k->password);
	free(k->smsc);
	callback_key_wipe(&k->key);
	free(k);
}

static int kannel_open(const struct provider_env *env, void **state, char *err, size_t errlen)
{
	static const char *const keys[] = {PROVIDER_COMMON_KEYS, "url",        "username",
	                                   "password",           "smsc",       "dlr_mask",
	                                   "callback_secret",    "timeout_ms", NULL};
	const struct config_section *s = env->section;
	char where[512];
	if (config_section_check_keys(env->cfg, s, keys, err, errlen) < 0)
		return -1;
	config_section_where(env->cfg, s, NULL, where, sizeof where);
	const char *url = config_section_get(s, "url");
	const char *user = config_section_get(s, "username");
	const char *pass = config_section_get(s, "password");
	const char *secret = config_section_get(s, "callback_secret");
	if (!url || strncmp(url, "http", 4) != 0) {
		strfmt(err, errlen,
		       "%s: set url to smsbox's sendsms address, e.g. "
		       "http://127.0.0.1:13013/cgi-bin/sendsms",
		       where);
		return -1;
	}
	if (!user || !pass) {
		strfmt(err, errlen, "%s: set username and password (a sendsms-user of Kannel)",
		       where);
		return -1;
	}
	if (!secret || strlen(secret) < 16) {
		strfmt(err, errlen,
		       "%s: set callback_secret to 16 or more random characters (openssl rand -hex "
		       "24); "
		       "it authenticates Kannel's delivery reports",
		       where);
		return -1;
	}
	long timeout = 5000, mask = 31;
	if (provider_section_long(env->cfg, s, "timeout_ms", 100, 120000, &timeout, err, errlen) <
	        0 ||
	    provider_section_long(env->cfg, s, "dlr_mask", 0, 31, &mask, err, errlen) < 0)
		return -1;
	struct kannel *k = xcalloc(1, sizeof *k);
	strfmt(k->name, sizeof k->name, "%s", env->name);
	k->url = xstrdup(url);
	k->username = xstrdup(user);
	k->password = xstrdup(pass);
	const char *smsc = config_section_get(s, "smsc");
	k->smsc = smsc ? xstrdup(smsc) : NULL;
	callback_key_init(&k->key, secret);
	k->dlr_mask = (int)mask;
	k->public_url = env->public_url;
	k->fetch = fetch_new(timeout);
	if (!k->fetch) {
		kannel_close(k);
		strfmt(err, errlen, "%s: cannot set up an HTTP client", where);
		return -1;
	}
	*state = k;
	return 0;
}

struct vars {
	const struct kannel *k;
	const struct provider_message *m;
	const char *mask, *dlr;
};

static const char *var(void *arg, const char *name)
{
	struct vars *v = arg;
	if (!strcmp(name, "user"))
		return v->k->username;
	if (!strcmp(name, "pass"))
		return v->k->password;
	if (!strcmp(name, "to"))
		return v->m->to;
	if (!strcmp(name, "from"))
		return v->m->from;
	if (!strcmp(name, "text"))
		return v->m->text;
	if (!strcmp(name, "mask"))
		return v->mask;
	if (!strcmp(name, "dlr"))
		return v->dlr;
	if (!strcmp(name, "smsc"))
		return v->k->smsc ? v->k->smsc : "";
	return NULL;
}

/* The sendsms URL for m into url (URL_MAX bytes): 0, or PROVIDER_REFUSED
 * with why in error. */
static int build_url(const struct kannel *k, const struct provider_message *m, char *url,
                     char *error, size_t errlen)
{
	char dlr[1024], mask[8], err[256];
	/* Kannel fills the %-escapes when it calls back: %d the report type, %A the
	 * SMSC's words, %F the SMSC's id for the message. */
	char token[CALLBACK_TOKEN_LEN + 1];
	callback_token(&k->key, m->id, token);
	strfmt(dlr, sizeof dlr, "%s/v1/dlr/%s?m=%s&t=%s&type=%%d&reply=%%A&ref=%%F", k->public_url,
	       k->name, m->id, token);
	strfmt(mask, sizeof mask, "%d", k->dlr_mask);
	struct msg_sms_size size;
	int ucs2 = msg_sms_measure(m->text, &size) == 0 && size.encoding == MSG_UCS2;
	struct vars v = {k, m, mask, dlr};
	char tmpl[256];
	/* coding=2 (UCS-2) only where GSM-7 cannot carry the text; without it
	 * Kannel sends GSM-7. */
	strfmt(tmpl, sizeof tmpl, "%s%s%s%s",
	       "?username={user}&password={pass}&to={to}&from={from}&text={text}&charset=UTF-8",
	       ucs2 ? "&coding=2" : "", k->dlr_mask ? "&dlr-mask={mask}&dlr-url={dlr}" : "",
	       k->smsc ? "&smsc={smsc}" : "");
	size_t base = strlen(k->url);
	if (base >= URL_MAX / 2) {
		strfmt(error, errlen, "the sendsms url is too long");
		return PROVIDER_REFUSED;
	}
	memcpy(url, k->url, base);
	if (expand_template(tmpl, EXPAND_URL, var, &v, url + base, URL_MAX - base, err,
	                    sizeof err) < 0) {
		strfmt(error, errlen, "cannot build the sendsms request: %s", err);
		return PROVIDER_REFUSED;
	}
	if (!m->from[0]) {
		/* No from= makes Kannel use its own default sender (global-sender). */
		char *p = strstr(url + base, "&from=&");
		if (p)
			memmove(p, p + 6, strlen(p + 6) + 1);
	}
	return 0;
}

/* What Kannel's answer (or fetch's failure, fetched < 0 with err) means. */
static int judge(const struct kannel *k, int fetched, const struct fetch_answer *ans,
                 const char *err, char *error, size_t errlen)
{
	if (fetched < 0) {
		strfmt(error, errlen, "Kannel did not answer: %s", err);
		return PROVIDER_RETRY;
	}
	if (ans->status == 202 || ans->status == 200)
		return PROVIDER_SENT;
	if (ans->status == 403) {
		strfmt(error, errlen,
		       "Kannel refused the username or password (403): check [provider %s] against "
		       "its sendsms-user",
		       k->name);
		return PROVIDER_REFUSED;
	}
	if (ans->status >= 500) {
		strfmt(error, errlen, "Kannel failed (%ld): %.120s", ans->status, ans->body);
		return PROVIDER_RETRY;
	}
	strfmt(error, errlen, "Kannel refused the message (%ld): %.120s", ans->status, ans->body);
	return PROVIDER_REFUSED;
}

static int kannel_send(void *state, const struct provider_message *m, char *ref, size_t reflen,
                       char *error, size_t errlen)
{
	struct kannel *k = state;
	char err[256];
	char *url = xmalloc(URL_MAX);
	ref[0] = '\0';
	(void)reflen;
	int rc = build_url(k, m, url, error, errlen);
	if (rc == 0) {
		struct fetch_request req = {.method = "GET", .url = url};
		struct fetch_answer *ans = xmalloc(sizeof *ans);
		int fetched = fetch_do(k->fetch, &req, ans, err, sizeof err);
		rc = judge(k, fetched, ans, err, error, errlen);
		free(ans);
	}
	seal_wipe(url, URL_MAX);
	free(url);
	return rc;
}

/* The URLs (they carry the codes) are wiped before they are freed. */
static void kannel_send_batch(void *state, const struct provider_message *m, size_t n,
                              struct provider_sent *out)
{
	struct kannel *k = state;
	char *urls = xmalloc(n * URL_MAX), *errs = xmalloc(n * 256);
	const char **go = xcalloc(n, sizeof *go);
	size_t *which = xcalloc(n, sizeof *which), k_go = 0;
	struct fetch_answer *ans = xmalloc(n * sizeof *ans);
	int *fetched = xcalloc(n, sizeof *fetched);
	for (size_t i = 0; i < n; i++) {
		out[i].ref[0] = '\0';
		out[i].error[0] = '\0';
		out[i].outcome =
		    build_url(k, &m[i], urls + i * URL_MAX, out[i].error, sizeof out[i].error);
		if (out[i].outcome == 0) {
			which[k_go] = i;
			go[k_go++] = urls + i * URL_MAX;
		}
	}
	fetch_get_batch(k->fetch, go, k_go, ans, fetched, errs, 256);
	for (size_t j = 0; j < k_go; j++) {
		size_t i = which[j];
		out[i].outcome = judge(k, fetched[j], &ans[j], errs + j * 256, out[i].error,
		                       sizeof out[i].error);
	}
	seal_wipe(urls, n * URL_MAX);
	free(urls);
	free(errs);
	free(go);
	free(which);
	free(ans);
	free(fetched);
}

static int kannel_report(void *state, const struct provider_report_in *in,
                         struct provider_report *out, char *error, size_t errlen)
{
	struct kannel *k = state;
	const char *id = in->query(in->arg, "m"), *token = in->query(in->arg, "t");
	const char *type = in->query(in->arg, "type"), *reply = in->query(in->arg, "reply");
	const char *ref = in->query(in->arg, "ref");
	memset(out, 0, sizeof *out);
	if (!id || !id[0] || strlen(id) >= sizeof out->id ||
	    !callback_token_ok(&k->key, id, token)) {
		strfmt(error, errlen, "the report's message id and token do not match");
		return PROVIDER_REPORT_FORGED;
	}
	strfmt(out->id, sizeof out->id, "%s", id);
	if (ref && ref[0] != '%')
		strfmt(out->ref, sizeof out->ref, "%s", ref);
	/* Kannel writes a small number; atoi would read "1x" as 1 and is undefined
	 * past INT_MAX ("4294967297" came out as 1, delivered). */
	char *end = NULL;
	long lt = type ? strtol(type, &end, 10) : 0;
	int t = type && end != type && *end == '\0' && lt > 0 && lt <= 16 ? (int)lt : 0;
	return report_from_kannel(t, reply ? reply : "", out, error, errlen);
}

const struct provider_ops provider_kannel_ops = {
    .version = PROVIDER_OPS_VERSION,
    .type = "kannel",
    .channels = PROVIDER_CHANNEL_SMS,
    .open = kannel_open,
    .close = kannel_close,
    .send = kannel_send,
    .send_batch = kannel_send_batch,
    .report = kannel_report,
};
