/* The apps' passkey settings: which relying party id their passkeys are
 * bound to, and which pages may run the ceremonies. Checked at start-up
 * against the rules browsers apply, so a wrong setting is a clear sentence
 * here rather than a cryptic SecurityError in someone's browser. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/app.h"

/* A domain name as a relying party id: lower-case labels of letters,
 * digits and hyphens, dots between; no scheme, port or path. */
static int domain_ok(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.' || strstr(d, ".."))
		return 0;
	for (const char *p = d; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		      *p == '.'))
			return 0;
	return 1;
}

/* Whether origin may run ceremonies for rp_id: https://HOST[:PORT] (or
 * http:// for localhost, which browsers treat as secure) where HOST is
 * rp_id or ends in ".rp_id". */
static int origin_ok(const char *origin, const char *rp_id)
{
	const char *host;
	if (!strncmp(origin, "https://", 8))
		host = origin + 8;
	else if (!strncmp(origin, "http://", 7) && !strcmp(rp_id, "localhost"))
		host = origin + 7;
	else
		return 0;
	size_t hl = strcspn(host, ":/");
	if (host[hl] == '/')
		return 0; /* an origin has no path */
	if (host[hl] == ':') {
		const char *port = host + hl + 1;
		/* Any port, for development: only on localhost. */
		if (!strcmp(port, "*") && !strcmp(rp_id, "localhost"))
			return hl == 9 && !strncmp(host, "localhost", 9);
		if (!*port || strspn(port, "0123456789") != strlen(port))
			return 0;
	}
	size_t rl = strlen(rp_id);
	return (hl == rl && !strncmp(host, rp_id, rl)) ||
	       (hl > rl + 1 && host[hl - rl - 1] == '.' && !strncmp(host + hl - rl, rp_id, rl));
}

static int load_one(struct app *app, const char *rp_id, const char *origins, const char *where,
		    const char *owhere, char *err, size_t errlen)
{
	if (!rp_id || !*rp_id) {
		if (origins && *origins) {
			strfmt(err, errlen, "%s: passkey_origins is set but passkey_rp_id is not; set "
					    "passkey_rp_id (the site's domain) to turn passkeys on",
			       owhere);
			return -1;
		}
		return 0;
	}
	if (!domain_ok(rp_id)) {
		strfmt(err, errlen,
		       "%s: passkey_rp_id '%s' is not a domain name: write the site's domain alone, "
		       "in lower case, like example.com (no https://, port or path)",
		       where, rp_id);
		return -1;
	}
	strfmt(app->passkey_rp_id, sizeof app->passkey_rp_id, "%s", rp_id);
	char def[300];
	strfmt(def, sizeof def, "https://%s", rp_id);
	app->passkey_origins_buf = xstrdup(origins && *origins ? origins : def);
	size_t n = 1;
	for (const char *p = app->passkey_origins_buf; *p; p++)
		n += *p == ',';
	app->passkey_origins = xcalloc(n, sizeof *app->passkey_origins);
	app->n_passkey_origins = 0;
	for (char *p = app->passkey_origins_buf; p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		while (*p == ' ')
			p++;
		size_t l = strlen(p);
		while (l && p[l - 1] == ' ')
			p[--l] = '\0';
		if (!origin_ok(p, rp_id)) {
			strfmt(err, errlen,
			       "%s: passkey_origins: '%s' cannot run ceremonies for '%s': an origin is "
			       "https://HOST[:PORT] (http:// and the port * only for localhost) with "
			       "HOST %s or a subdomain of it, and no path",
			       owhere, p, rp_id, rp_id);
			return -1;
		}
		app->passkey_origins[app->n_passkey_origins++] = p;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int app_passkeys_load(struct apps *a, const struct config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < a->n; i++) {
		struct app *app = &a->v[i];
		const struct config_section *s = config_section_find(cfg, "app", app->id);
		const char *rp = s ? config_section_get(s, "passkey_rp_id") : NULL;
		const char *origins = s ? config_section_get(s, "passkey_origins") : NULL;
		char where[512], owhere[512];
		if (s && (rp || origins)) {
			config_section_where(cfg, s, "passkey_rp_id", where, sizeof where);
			config_section_where(cfg, s, "passkey_origins", owhere, sizeof owhere);
		} else if (i == 0) {
			strfmt(where, sizeof where, "option passkey_rp_id (IOTP_PASSKEY_RP_ID)");
			strfmt(owhere, sizeof owhere, "option passkey_origins (IOTP_PASSKEY_ORIGINS)");
			rp = cfg->passkey_rp_id;
			origins = cfg->passkey_origins;
		}
		if (load_one(app, rp, origins, where, owhere, err, errlen) < 0)
			return -1;
	}
	return 0;
}
