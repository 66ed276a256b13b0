#include "policy/limits.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

static const char *const action_names[LIMITS_ACTIONS] = {"create", "send", "check",
							 "check_failed", "lookup"};
static const char *const scope_names[LIMITS_SCOPES] = {
	"number", "prefix3", "prefix5", "ip", "network", "site", "country", "app", "global"};

/* The defaults: tight on what one person or one address needs, loose on what
 * a whole country or app does, so honest traffic never meets them while a
 * script from one place or on one number range does at once. "0": none.
 * Checks are counted per number only when they fail (check_failed): right or
 * wrong, a session already bounds its own attempts. An IPv6 site (/48) holds
 * 65,536 networks (/64): its limits are a few networks' worth, so that one
 * holder cannot multiply the network limit by hopping between its /64s.
 * Creating a session spends no money, so creation has no shared limit
 * (prefix, country, app, global) by default: an attacker's sessions, left
 * unsolved, would empty it for everyone there. Pressure there raises the
 * proof-of-work instead (policy.c); the send limits guard what costs. */
static const char *const defaults[LIMITS_ACTIONS][LIMITS_SCOPES] = {
	[LIMITS_CREATE] = {"10/1h", "0", "0", "100/1h", "300/1h", "1000/1h", "0", "0", "0"},
	[LIMITS_SEND] = {"10/1h", "40/1h", "200/1h", "100/1h", "300/1h", "1000/1h", "600/1m",
			 "2000/1m", "2000/1m"},
	[LIMITS_CHECK] = {"0", "0", "0", "600/1h", "3000/1h", "10000/1h", "0", "10000/1m",
			  "10000/1m"},
	[LIMITS_CHECK_FAILED] = {"10/1h", "0", "0", "0", "0", "0", "0", "0", "0"},
	/* Lookups send nothing and cost nothing: only a scraper meets these. */
	[LIMITS_LOOKUP] = {"0", "0", "0", "600/1m", "3000/1m", "10000/1m", "0", "20000/1m", "0"},
};

const char *limits_action_name(enum limits_action a)
{
	return (unsigned)a < LIMITS_ACTIONS ? action_names[a] : "?";
}

const char *limits_scope_name(enum limits_scope s)
{
	return (unsigned)s < LIMITS_SCOPES ? scope_names[s] : "?";
}

const char *limits_default(enum limits_action a, enum limits_scope s)
{
	return defaults[a][s];
}

int limits_rate_parse(const char *text, struct limits_rate *out)
{
	char *end;
	errno = 0;
	double count = strtod(text, &end);
	if (errno || end == text || count < 0 || count > 1e9)
		return -1;
	while (*end == ' ')
		end++;
	if (*end == '\0') {
		if (count != 0)
			return -1; /* a count needs its period */
		*out = (struct limits_rate){0, 0};
		return 0;
	}
	if (*end++ != '/')
		return -1;
	while (*end == ' ')
		end++;
	long n = 1;
	if (isdigit((unsigned char)*end)) {
		n = strtol(end, &end, 10);
		if (n < 1 || n > 1000000)
			return -1;
	}
	int64_t unit;
	switch (*end++) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60 * 1000;
		break;
	case 'h':
		unit = 3600 * 1000;
		break;
	case 'd':
		unit = 86400 * 1000;
		break;
	default:
		return -1;
	}
	if (*end != '\0')
		return -1;
	*out = (struct limits_rate){count, n * unit};
	return 0;
}

void limits_rate_format(const struct limits_rate *r, char *buf, size_t size)
{
	if (r->count <= 0) {
		strfmt(buf, size, "0");
		return;
	}
	static const struct {
		int64_t ms;
		char unit;
	} units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (r->period_ms % units[i].ms == 0) {
			strfmt(buf, size, "%g/%lld%c", r->count, (long long)(r->period_ms / units[i].ms),
			       units[i].unit);
			return;
		}
	strfmt(buf, size, "%g/%llds", r->count, (long long)(r->period_ms / 1000));
}

int limits_load(struct limits *l, const struct config *cfg, char *err, size_t errlen)
{
	for (int a = 0; a < LIMITS_ACTIONS; a++)
		for (int s = 0; s < LIMITS_SCOPES; s++)
			if (limits_rate_parse(defaults[a][s], &l->r[a][s]) < 0) {
				strfmt(err, errlen, "built-in limit %s.%s is malformed", action_names[a],
				       scope_names[s]);
				return -1;
			}
	const struct config_section *sec = config_section_find(cfg, "limits", "");
	if (!sec) {
		if (config_section_next(cfg, "limits", NULL)) {
			char where[512];
			config_section_where(cfg, config_section_next(cfg, "limits", NULL), NULL, where,
					     sizeof where);
			strfmt(err, errlen, "%s: the limits section has no name: write [limits]", where);
			return -1;
		}
		return 0;
	}
	for (int i = 0; i < sec->n; i++) {
		const char *key = sec->entries[i].key;
		const char *dot = strchr(key, '.');
		int action = -1, scope = -1;
		for (int a = 0; dot && a < LIMITS_ACTIONS; a++)
			if (strlen(action_names[a]) == (size_t)(dot - key) &&
			    !strncmp(key, action_names[a], (size_t)(dot - key)))
				action = a;
		for (int s = 0; dot && s < LIMITS_SCOPES; s++)
			if (!strcmp(dot + 1, scope_names[s]))
				scope = s;
		char where[512];
		config_section_where(cfg, sec, key, where, sizeof where);
		if (action < 0 || scope < 0) {
			strfmt(err, errlen,
			       "%s: unknown limit '%s' (write ACTION.SCOPE: actions create, send, check, "
			       "check_failed; scopes number, prefix3, prefix5, ip, network, country, app, "
			       "global)",
			       where, key);
			return -1;
		}
		if (limits_rate_parse(sec->entries[i].value, &l->r[action][scope]) < 0) {
			strfmt(err, errlen,
			       "%s: %s = '%s' is not COUNT/PERIOD such as 10/1h, 5/30s or 100/1d "
			       "(0: no limit)",
			       where, key, sec->entries[i].value);
			return -1;
		}
	}
	return 0;
}
