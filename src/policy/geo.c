#include "policy/geo.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"
#include "phone/phone.h"

static int region_index(const char *r)
{
	if (!isupper((unsigned char)r[0]) || !isupper((unsigned char)r[1]) || r[2])
		return -1;
	return (r[0] - 'A') * 26 + (r[1] - 'A');
}

static void set_bit(unsigned char *bits, int i)
{
	bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

static int get_bit(const unsigned char *bits, int i)
{
	return (bits[i / 8] >> (i % 8)) & 1;
}

/* Reads "GB, US, FR" or "*" into bits. Returns 0, or -1 with err. */
static int parse_regions(const struct config *cfg, const struct config_section *s,
			 const char *key, unsigned char *bits, char *err, size_t errlen)
{
	const char *v = config_section_get(s, key);
	char buf[4096];
	if (!v)
		return 0;
	char where[512];
	config_section_where(cfg, s, key, where, sizeof where);
	if (strfmt(buf, sizeof buf, "%s", v) < 0) {
		strfmt(err, errlen, "%s: %s: too long", where, key);
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "*")) {
			memset(bits, 0xff, GEO_REGIONS / 8 + 1);
			continue;
		}
		int i = region_index(tok);
		if (i < 0 || !phone_region_known(tok)) {
			strfmt(err, errlen,
			       "%s: %s: '%s' is not a region code (ISO 3166 alpha-2, upper case, such as "
			       "GB or US; '*' for every country)",
			       where, key, tok);
			return -1;
		}
		set_bit(bits, i);
	}
	return 0;
}

static int load_rule(const struct config *cfg, const struct config_section *s,
		     struct geo_rule *r, char *err, size_t errlen)
{
	static const char *const keys[] = {"allow", "deny", NULL};
	if (config_section_check_keys(cfg, s, keys, err, errlen) < 0)
		return -1;
	if (strfmt(r->app, sizeof r->app, "%s", s->name) < 0) {
		strfmt(err, errlen, "[geo %s]: app name too long", s->name);
		return -1;
	}
	r->has_allow = config_section_get(s, "allow") != NULL;
	if (r->has_allow)
		memset(r->allow, 0, sizeof r->allow);
	return parse_regions(cfg, s, "allow", r->allow, err, errlen) < 0 ||
			       parse_regions(cfg, s, "deny", r->deny, err, errlen) < 0
		       ? -1
		       : 0;
}

static int load_caps(struct geo *g, const struct config *cfg, char *err, size_t errlen)
{
	const struct config_section *s = config_section_next(cfg, "spend", NULL);
	if (!s)
		return 0;
	char where[512];
	if (*s->name || config_section_next(cfg, "spend", s)) {
		config_section_where(cfg, s, NULL, where, sizeof where);
		strfmt(err, errlen, "%s: write one [spend] section, without a name", where);
		return -1;
	}
	for (int i = 0; i < s->n; i++) {
		const char *key = s->entries[i].key;
		config_section_where(cfg, s, key, where, sizeof where);
		char region[3] = "";
		if (strcmp(key, "global") != 0) {
			if (region_index(key) < 0 || !phone_region_known(key)) {
				strfmt(err, errlen,
				       "%s: '%s' is neither 'global' nor a region code such as GB", where,
				       key);
				return -1;
			}
			memcpy(region, key, 3);
		}
		char buf[256];
		strfmt(buf, sizeof buf, "%s", s->entries[i].value);
		char *save = NULL;
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			struct limits_rate r;
			if (limits_rate_parse(tok, &r) < 0 || r.count <= 0) {
				strfmt(err, errlen,
				       "%s: '%s' is not a cap such as 1000/1h or '500/1h, 5000/1d'", where,
				       tok);
				return -1;
			}
			if (g->n_caps == GEO_CAPS_MAX) {
				strfmt(err, errlen, "%s: at most %d caps", where, GEO_CAPS_MAX);
				return -1;
			}
			struct geo_cap *c = &g->caps[g->n_caps++];
			memcpy(c->region, region, 3);
			c->rate = r;
		}
	}
	return 0;
}

int geo_load(struct geo *g, const struct config *cfg, char *err, size_t errlen)
{
	memset(g, 0, sizeof *g);
	if (cfg->dev) {
		g->global.has_allow = 1;
		memset(g->global.allow, 0xff, sizeof g->global.allow);
	}
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "geo", s));) {
		struct geo_rule *r = &g->global;
		if (*s->name) {
			if (g->n_apps == GEO_APPS_MAX) {
				strfmt(err, errlen, "at most %d [geo APP] sections", GEO_APPS_MAX);
				return -1;
			}
			r = &g->apps[g->n_apps++];
		}
		if (load_rule(cfg, s, r, err, errlen) < 0)
			return -1;
	}
	return load_caps(g, cfg, err, errlen);
}

int geo_allowed(const struct geo *g, const char *app, const char *region)
{
	int i = region_index(region);
	if (i < 0)
		return 0;
	const struct geo_rule *own = NULL;
	for (int k = 0; app && k < g->n_apps; k++)
		if (!strcmp(g->apps[k].app, app))
			own = &g->apps[k];
	if (get_bit(g->global.deny, i) || (own && get_bit(own->deny, i)))
		return 0;
	if (own && own->has_allow)
		return get_bit(own->allow, i);
	return g->global.has_allow && get_bit(g->global.allow, i);
}

int geo_count_allowed(const struct geo *g)
{
	int n = 0;
	char r[3] = "";
	for (int i = 0; i < GEO_REGIONS; i++) {
		r[0] = (char)('A' + i / 26);
		r[1] = (char)('A' + i % 26);
		if (phone_region_known(r) && geo_allowed(g, NULL, r))
			n++;
	}
	return n;
}
