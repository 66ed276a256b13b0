#include "delivery/sender.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define SENDER_ALPHA_MAX 11 /* GSM 03.40: 11 characters */

struct sender {
	char region[3]; /* "" for default */
	char alpha[SENDER_ALPHA_MAX + 1];
	char number[17];
};

struct sender_table {
	char forbidden[1024]; /* ",US,CA," */
	int n;
	struct sender *s;
};

static int valid_alpha(const char *a)
{
	size_t n = strlen(a);
	int letter = 0;
	if (n == 0 || n > SENDER_ALPHA_MAX)
		return 0;
	for (; *a; a++) {
		if (!isalnum((unsigned char)*a) && *a != ' ' && *a != '-' && *a != '.')
			return 0;
		letter |= isalpha((unsigned char)*a) != 0;
	}
	return letter;
}

/* An E.164 number (+ and 8 to 15 digits) or a short code (3 to 8 digits). */
static int valid_number(const char *n)
{
	size_t len = strlen(n), digits = 0;
	const char *p = n[0] == '+' ? n + 1 : n;
	for (; *p; p++, digits++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return n[0] == '+' ? digits >= 8 && digits <= 15 : len >= 3 && len <= 8;
}

static int valid_region(const char *r)
{
	return strlen(r) == 2 && isupper((unsigned char)r[0]) && isupper((unsigned char)r[1]);
}

int sender_table_new(const struct config *cfg, struct sender_table **out, char *err, size_t errlen)
{
	static const char *const keys[] = {"alpha", "number", NULL};
	struct sender_table *t = xcalloc(1, sizeof *t);
	char buf[1024], where[512];
	size_t used = 0;
	t->forbidden[used++] = ',';
	strfmt(buf, sizeof buf, "%s", cfg->alpha_sender_forbidden);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!valid_region(tok) || used + 4 >= sizeof t->forbidden) {
			strfmt(err, errlen,
			       "option alpha_sender_forbidden (IOTP_ALPHA_SENDER_FORBIDDEN): '%s' "
			       "is not "
			       "a two-letter region such as US",
			       tok);
			goto err;
		}
		memcpy(t->forbidden + used, tok, 2);
		t->forbidden[used + 2] = ',';
		used += 3;
	}
	t->forbidden[used] = '\0';
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "sender", s));) {
		if (config_section_check_keys(cfg, s, keys, err, errlen) < 0)
			goto err;
		config_section_where(cfg, s, NULL, where, sizeof where);
		if (strcmp(s->name, "default") && !valid_region(s->name)) {
			strfmt(err, errlen, "%s: name a region in capitals (GB, US) or 'default'",
			       where);
			goto err;
		}
		const char *alpha = config_section_get(s, "alpha");
		const char *number = config_section_get(s, "number");
		if (alpha && !valid_alpha(alpha)) {
			config_section_where(cfg, s, "alpha", where, sizeof where);
			strfmt(err, errlen,
			       "%s: alpha '%s' must be 1 to 11 letters, digits, spaces, '-' or "
			       "'.', with "
			       "at least one letter",
			       where, alpha);
			goto err;
		}
		if (number && !valid_number(number)) {
			config_section_where(cfg, s, "number", where, sizeof where);
			strfmt(err, errlen,
			       "%s: number '%s' must be an E.164 number (+14155550100) or a short "
			       "code",
			       where, number);
			goto err;
		}
		if (alpha && !number && strcmp(s->name, "default") &&
		    sender_alpha_forbidden(t, s->name)) {
			config_section_where(cfg, s, "alpha", where, sizeof where);
			strfmt(
			    err, errlen,
			    "%s: %s refuses alphanumeric senders (alpha_sender_forbidden); set a "
			    "number",
			    where, s->name);
			goto err;
		}
		t->s = xrealloc(t->s, (size_t)(t->n + 1) * sizeof *t->s);
		struct sender *e = &t->s[t->n++];
		memset(e, 0, sizeof *e);
		strfmt(e->region, sizeof e->region, "%s",
		       strcmp(s->name, "default") ? s->name : "");
		strfmt(e->alpha, sizeof e->alpha, "%s", alpha ? alpha : "");
		strfmt(e->number, sizeof e->number, "%s", number ? number : "");
	}
	*out = t;
	return 0;
err:
	sender_table_free(t);
	return -1;
}

void sender_table_free(struct sender_table *t)
{
	if (!t)
		return;
	free(t->s);
	free(t);
}

int sender_alpha_forbidden(const struct sender_table *t, const char *region)
{
	char key[5];
	if (!valid_region(region))
		return 0;
	strfmt(key, sizeof key, ",%s,", region);
	return strstr(t->forbidden, key) != NULL;
}

static const struct sender *find(const struct sender_table *t, const char *region)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].region, region))
			return &t->s[i];
	return NULL;
}

const char *sender_for(const struct sender_table *t, const char *region, const char *channel)
{
	const struct sender *own = find(t, region), *def = find(t, "");
	int alpha_ok = strcmp(channel, "voice") != 0 && !sender_alpha_forbidden(t, region);
	/* The country's own section wins whole; the default fills in behind. */
	const struct sender *order[2] = {own, def};
	for (int i = 0; i < 2; i++) {
		if (order[i] && alpha_ok && order[i]->alpha[0])
			return order[i]->alpha;
		if (order[i] && order[i]->number[0])
			return order[i]->number;
	}
	return "";
}
