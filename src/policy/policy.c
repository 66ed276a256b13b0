#include "policy/policy.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "policy/geo.h"
#include "policy/keys.h"
#include "policy/limits.h"
#include "policy/pow.h"
#include "policy/prune.h"
#include "policy/pumping.h"
#include "policy/reach.h"
#include "policy/waits.h"

/* How often the measures in force are re-read from the store (another node,
 * or iotpctl, may have changed them); policy/prune.h says how often the
 * limits' tables are pruned. */
#define BLOCKS_REFRESH_MS 1000
#define BLOCKS_MAX 4096

struct cached_block {
	char key[40];
	int state;
	int64_t until; /* ms, 0: until lifted */
	int strikes;
};

struct policy {
	const struct config *cfg;
	struct store *st;
	int on; /* limits = on */
	int pretend;
	struct limits lim;
	struct geo geo;
	struct pumping_params prefix3, prefix5, country;
	double window_ms, baseline_ms;
	double pressure_ms;              /* half-life of the short window of sessions */
	int64_t block_first_ms, block_max_ms;
	double default_baseline;
	unsigned char pow_regions[GEO_REGIONS / 8 + 1];
	unsigned char pow_key[POW_KEY_BYTES];
	struct reach *reach; /* NULL: no reachability lookup */
	struct waits *waits; /* refused buckets' known waits */
	/* Each rule's part of a bucket key ("create|number") and its name
	 * ("create.number"), joined once rather than for every request. */
	char rule_key[LIMITS_ACTIONS][LIMITS_SCOPES][48];
	char rule_name[LIMITS_ACTIONS][LIMITS_SCOPES][32];

	pthread_mutex_t lock; /* guards what follows */
	/* Read without the lock on every request, so that the common case (no
	 * measure in force, the copy fresh) takes no lock at all. */
	atomic_int any_blocks;
	_Atomic int64_t blocks_at; /* when blocks[] was read */
	struct prune_clock pruned;
	int64_t longest_period_ms; /* after it, any bucket is full again */
	int n_blocks;
	struct cached_block *blocks;
};

/* The keys a request is counted under, for one number and one client. */
struct subject {
	char number[17];
	char prefix3[20];
	char prefix5[20];
	char ip[KEYS_ADDRESS_MAX];
	char network[KEYS_ADDRESS_MAX];
	char site[KEYS_ADDRESS_MAX]; /* "" for IPv4 */
	char region[3];
	char app[32];
};

static void subject_fill(struct subject *s, const char *e164, const char *region,
			 const struct policy_client *who)
{
	memset(s, 0, sizeof *s);
	if (e164) {
		strjoin(s->number, sizeof s->number, e164, NULL, NULL);
		keys_prefix(e164, 3, s->prefix3, sizeof s->prefix3);
		keys_prefix(e164, 5, s->prefix5, sizeof s->prefix5);
	}
	if (region)
		strjoin(s->region, sizeof s->region, region, NULL, NULL);
	if (who && who->ip && *who->ip) {
		struct keys_client k;
		keys_client(who->ip, &k);
		memcpy(s->ip, k.address, sizeof s->ip);
		memcpy(s->network, k.network, sizeof s->network);
		memcpy(s->site, k.site, sizeof s->site);
	}
	strjoin(s->app, sizeof s->app, who && who->app ? who->app : "default", NULL, NULL);
}

static const char *subject_key(const struct subject *s, enum limits_scope scope)
{
	switch (scope) {
	case LIMITS_NUMBER:
		return s->number;
	case LIMITS_PREFIX3:
		return s->prefix3;
	case LIMITS_PREFIX5:
		return s->prefix5;
	case LIMITS_IP:
		return s->ip;
	case LIMITS_NETWORK:
		return s->network;
	case LIMITS_SITE:
		return s->site;
	case LIMITS_COUNTRY:
		return s->region;
	case LIMITS_APP:
		return s->app;
	case LIMITS_GLOBAL:
		return "*";
	case LIMITS_SCOPES:
		break;
	}
	return "";
}

static enum iotp_error scope_error(enum limits_scope scope)
{
	switch (scope) {
	case LIMITS_NUMBER:
		return IOTP_E_RATE_LIMITED_NUMBER;
	case LIMITS_PREFIX3:
	case LIMITS_PREFIX5:
		return IOTP_E_RATE_LIMITED_PREFIX;
	case LIMITS_IP:
		return IOTP_E_RATE_LIMITED_IP;
	case LIMITS_NETWORK:
	case LIMITS_SITE:
		return IOTP_E_RATE_LIMITED_NETWORK;
	case LIMITS_COUNTRY:
		return IOTP_E_RATE_LIMITED_COUNTRY;
	case LIMITS_APP:
		return IOTP_E_RATE_LIMITED_APP;
	case LIMITS_GLOBAL:
	case LIMITS_SCOPES:
		break;
	}
	return IOTP_E_RATE_LIMITED_GLOBAL;
}

static void plan_init(struct policy_plan *t, struct policy *p, int64_t now)
{
	t->n = t->nd = 0;
	t->p = p;
	t->now = now;
	t->judge = t->pow_risk = t->pressure = 0;
}

static void plan_add(struct policy_plan *t, const char *rule, const char *name,
		     const char *subject, const struct limits_rate *r, double cost,
		     enum iotp_error refusal)
{
	if (r->count <= 0 || !subject || !*subject || t->n == STORE_BUCKETS_MAX)
		return;
	size_t i = t->n++;
	/* The subject first ("+447700900123|create|number"): a number's buckets
	 * then sit side by side in the store, and writing them back touches one
	 * page, not one per rule. The longest subject (63 characters of an
	 * address, or an app and a number) and the longest rule fit
	 * POLICY_PLAN_KEY_MAX. */
	strjoin(t->keys[i], POLICY_PLAN_KEY_MAX, subject, "|", rule);
	t->b[i] = (struct store_bucket){t->keys[i], r->count, r->count / (double)r->period_ms, cost};
	t->refusal[i] = refusal;
	strjoin(t->limit[i], sizeof t->limit[i], name, NULL, NULL);
}

static void plan_action(struct policy_plan *t, const struct policy *p, enum limits_action a,
			const struct subject *s)
{
	for (int scope = 0; scope < LIMITS_SCOPES; scope++)
		plan_add(t, p->rule_key[a][scope], p->rule_name[a][scope], subject_key(s, scope),
			 &p->lim.r[a][scope], 1, scope_error(scope));
}

/* The store refused bucket refused, empty for wait_ms more: that is
 * remembered (waits.h), and the rule's outcome returned with *v filled. */
static enum iotp_error refusal(const struct policy_plan *t, size_t refused, int64_t wait_ms,
			       struct policy_verdict *v)
{
	if (refused >= t->n)
		return IOTP_E_INTERNAL;
	if (t->b[refused].cost >= 0)
		waits_note(t->p->waits, t->keys[refused], t->now + wait_ms);
	v->retry_after = (wait_ms + 999) / 1000;
	strjoin(v->limit, sizeof v->limit, t->limit[refused], NULL, NULL);
	return t->refusal[refused];
}

/* A bucket of the plan known to lack a token now refuses at once, as the
 * store would, without asking it. IOTP_E_OK when none is known to. */
static enum iotp_error known_wait(const struct policy_plan *t, struct policy_verdict *v)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->b[i].cost < 0)
			continue;
		int64_t until = waits_until(t->p->waits, t->keys[i], t->now);
		if (until) {
			v->retry_after = (until - t->now + 999) / 1000;
			strjoin(v->limit, sizeof v->limit, t->limit[i], NULL, NULL);
			return t->refusal[i];
		}
	}
	return IOTP_E_OK;
}

static int parse_regions(const char *list, unsigned char *bits, char *err, size_t errlen)
{
	char buf[2048];
	if (strfmt(buf, sizeof buf, "%s", list) < 0) {
		strfmt(err, errlen, "option pow_countries (IOTP_POW_COUNTRIES): too long");
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strlen(tok) != 2 || !isupper((unsigned char)tok[0]) ||
		    !isupper((unsigned char)tok[1])) {
			strfmt(err, errlen,
			       "option pow_countries (IOTP_POW_COUNTRIES): '%s' is not a region code such "
			       "as GB",
			       tok);
			return -1;
		}
		int i = (tok[0] - 'A') * 26 + (tok[1] - 'A');
		bits[i / 8] |= (unsigned char)(1u << (i % 8));
	}
	return 0;
}

static int region_bit(const unsigned char *bits, const char *r)
{
	if (!isupper((unsigned char)r[0]) || !isupper((unsigned char)r[1]))
		return 0;
	int i = (r[0] - 'A') * 26 + (r[1] - 'A');
	return (bits[i / 8] >> (i % 8)) & 1;
}

int policy_new(const struct config *cfg, struct store *st, const struct seal_keys *keys,
	       struct policy **out, char *err, size_t errlen)
{
	struct policy *p = xcalloc(1, sizeof *p);
	p->cfg = cfg;
	p->st = st;
	p->on = cfg->limits;
	p->pretend = !strcmp(cfg->fraud_action, "pretend");
	pthread_mutex_init(&p->lock, NULL);
	for (int a = 0; a < LIMITS_ACTIONS; a++) {
		for (int scope = 0; scope < LIMITS_SCOPES; scope++) {
			const char *act = limits_action_name((enum limits_action)a);
			const char *sc = limits_scope_name((enum limits_scope)scope);
			strjoin(p->rule_key[a][scope], sizeof p->rule_key[a][scope], act, "|", sc);
			strjoin(p->rule_name[a][scope], sizeof p->rule_name[a][scope], act, ".", sc);
		}
	}
	if (!(p->waits = waits_new())) {
		strfmt(err, errlen, "out of memory");
		policy_free(p);
		return -1;
	}
	if (limits_load(&p->lim, cfg, err, errlen) < 0 || geo_load(&p->geo, cfg, err, errlen) < 0 ||
	    parse_regions(cfg->pow_countries, p->pow_regions, err, errlen) < 0 ||
	    reach_new(cfg, &p->reach, err, errlen) < 0) {
		policy_free(p);
		return -1;
	}
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "limits", s));) {
		if (*s->name) {
			char where[512];
			config_section_where(cfg, s, NULL, where, sizeof where);
			strfmt(err, errlen, "%s: write [limits] without a name", where);
			policy_free(p);
			return -1;
		}
	}
	struct pumping_params base = {
		.throttle_ratio = cfg->fraud_throttle_percent / 100.0,
		.block_ratio = cfg->fraud_block_percent / 100.0,
		.baseline_min = cfg->fraud_baseline_min_sent,
		.default_baseline = cfg->fraud_default_baseline / 100.0,
	};
	p->prefix3 = p->prefix5 = p->country = base;
	p->prefix3.min_sent = cfg->fraud_prefix3_min_sent;
	p->prefix5.min_sent = cfg->fraud_prefix5_min_sent;
	p->country.min_sent = cfg->fraud_country_min_sent;
	p->default_baseline = base.default_baseline;
	p->window_ms = cfg->fraud_window * 1000.0;
	p->baseline_ms = cfg->fraud_baseline_window * 1000.0;
	p->pressure_ms = cfg->fraud_pressure_window * 1000.0;
	p->block_first_ms = (int64_t)cfg->fraud_block_time * 1000;
	p->block_max_ms = (int64_t)cfg->fraud_block_max * 1000;
	/* A subkey of the code key: challenges need no secrecy of their own, only
	 * that a client cannot compute one before the session exists. */
	crypto_generichash(p->pow_key, sizeof p->pow_key, (const unsigned char *)"iotp pow v1", 11,
			   keys->code, sizeof keys->code);
	p->blocks = xcalloc(BLOCKS_MAX, sizeof *p->blocks);
	for (int a = 0; a < LIMITS_ACTIONS; a++)
		for (int sc = 0; sc < LIMITS_SCOPES; sc++)
			if (p->lim.r[a][sc].period_ms > p->longest_period_ms)
				p->longest_period_ms = p->lim.r[a][sc].period_ms;
	for (int i = 0; i < p->geo.n_caps; i++)
		if (p->geo.caps[i].rate.period_ms > p->longest_period_ms)
			p->longest_period_ms = p->geo.caps[i].rate.period_ms;

	if (!p->on)
		log_warn("limits = off: RATE LIMITS, SPEND CAPS, PROOF-OF-WORK AND THE SMS-PUMPING "
			 "DETECTOR ARE OFF (dev mode only; never expose this server)");
	int countries = geo_count_allowed(&p->geo);
	if (!countries)
		log_warn("geo: no country is allowed, so every number is refused; add '[geo]' with "
			 "'allow = GB, US, ...' to the configuration (docs/fraud.md)");
	else
		log_info("geo: %d countries allowed for every app", countries);
	*out = p;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	reach_free(p->reach);
	waits_free(p->waits);
	free(p->blocks);
	sodium_memzero(p->pow_key, sizeof p->pow_key);
	free(p);
}

struct gather {
	struct cached_block *b;
	int n;
};

static void gather_block(const struct store_block *b, void *arg)
{
	struct gather *g = arg;
	if (g->n < BLOCKS_MAX) {
		memcpy(g->b[g->n].key, b->key, sizeof g->b[g->n].key);
		g->b[g->n].state = b->state;
		g->b[g->n].until = b->until;
		g->b[g->n++].strikes = b->strikes;
	}
}

/* The counter families policy keeps, and the longest half-life of each:
 * a counter untouched for PRUNE_HALF_LIVES of them reads as (nearly) zero, so
 * forgetting it changes no verdict, and keeps the table to the keys seen
 * recently (every client address and site leaves its own). */
#define PRUNE_HALF_LIVES 10
static void prune_counters(struct policy *p, int64_t now, int only_more)
{
	const struct {
		const char *prefix;
		double half_life_ms;
	} family[] = {
		{"ipsessions|", p->window_ms}, {"pr|", p->window_ms},	 {"lag|", p->window_ms},
		{"yg|", p->window_ms},	       {"p3|", p->baseline_ms}, {"p5|", p->baseline_ms},
		{"cc|", p->baseline_ms},       {"tod|", p->baseline_ms}, {"sn|", p->window_ms},
		{"dn|", p->window_ms},	       {"nv|", p->baseline_ms},
	};
	_Static_assert(sizeof family / sizeof family[0] < PRUNE_FAMILIES, "a flag each");
	size_t total = 0, n;
	for (size_t i = 0; i < sizeof family / sizeof family[0]; i++) {
		if (only_more && !p->pruned.more[i])
			continue;
		int64_t age = (int64_t)(PRUNE_HALF_LIVES * family[i].half_life_ms);
		int rc = store_decay_prune(p->st, family[i].prefix, now - age, &n);
		p->pruned.more[i] = rc == STORE_PRUNE_MORE;
		if (rc >= 0)
			total += n;
	}
	if (total)
		log_debug("policy: forgot %zu idle counters", total);
}

static void prune_buckets(struct policy *p, int64_t now, int only_more)
{
	const int i = PRUNE_FAMILIES - 1;
	size_t n = 0;
	if (only_more && !p->pruned.more[i])
		return;
	int rc = store_buckets_prune(p->st, now - p->longest_period_ms, &n);
	p->pruned.more[i] = rc == STORE_PRUNE_MORE;
	if (rc >= 0 && n)
		log_debug("policy: forgot %zu full buckets", n);
}

/* A measure that ran out more than fraud_block_max ago no longer counts for
 * its key's strikes (next_strike): the row is only history, which the fraud
 * event log keeps. */
static void prune_blocks(struct policy *p, int64_t now)
{
	size_t n = 0;
	if (store_blocks_prune(p->st, now - p->block_max_ms, &n) == 0 && n) {
		log_info("policy: forgot %zu fraud measures that ran out over %llds ago", n,
			 (long long)(p->block_max_ms / 1000));
		atomic_store(&p->blocks_at, 0); /* re-read them */
	}
}

/* Re-reads the measures in force when the copy is stale, and drops full
 * buckets now and then. One thread does it; the others use the copy. */
static void maintain(struct policy *p, int64_t now)
{
	int64_t at = atomic_load(&p->blocks_at);
	if (now - at < BLOCKS_REFRESH_MS && now >= at)
		return;
	if (pthread_mutex_trylock(&p->lock) != 0)
		return;
	if (now - p->blocks_at >= BLOCKS_REFRESH_MS || now < p->blocks_at) {
		struct gather g = {p->blocks, 0};
		if (store_blocks_list(p->st, gather_block, &g) == 0) {
			p->n_blocks = g.n;
			atomic_store(&p->any_blocks, g.n > 0);
		}
		atomic_store(&p->blocks_at, now);
	}
	enum prune_round round = p->on ? prune_round_start(&p->pruned, now) : PRUNE_NONE;
	if (round != PRUNE_NONE) {
		prune_buckets(p, now, round == PRUNE_LEFT);
		prune_counters(p, now, round == PRUNE_LEFT);
		if (round == PRUNE_ALL)
			prune_blocks(p, now);
	}
	pthread_mutex_unlock(&p->lock);
}

static int in_force(const struct cached_block *b, int64_t now)
{
	return b->until == 0 || b->until > now;
}

/* The measure in force on key at now (0: none; one that ran out is none). */
static int block_state(struct policy *p, const char *key, int64_t now)
{
	int state = 0;
	if (!atomic_load(&p->any_blocks))
		return 0;
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n_blocks; i++)
		if (!strcmp(p->blocks[i].key, key) && in_force(&p->blocks[i], now))
			state = p->blocks[i].state;
	pthread_mutex_unlock(&p->lock);
	return state;
}

/* The strongest measure on any of the number's keys. */
static int measure(struct policy *p, const struct subject *s, int64_t now)
{
	char key[40];
	int worst = 0, st;
	strjoin(key, sizeof key, "p3|", s->prefix3, NULL);
	if ((st = block_state(p, key, now)) > worst)
		worst = st;
	strjoin(key, sizeof key, "p5|", s->prefix5, NULL);
	if ((st = block_state(p, key, now)) > worst)
		worst = st;
	strjoin(key, sizeof key, "cc|", s->region, NULL);
	if ((st = block_state(p, key, now)) > worst)
		worst = st;
	return worst;
}

/* The strikes of a new measure on key: one more than the last measure's when
 * that one is in force (a throttle becoming a block) or ran out less than
 * block_max_ms ago; else 1. */
static int next_strike(struct policy *p, const char *key, int64_t now)
{
	int strikes = 1;
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n_blocks; i++) {
		const struct cached_block *b = &p->blocks[i];
		if (strcmp(b->key, key))
			continue;
		if (in_force(b, now))
			strikes = b->strikes; /* the same episode, escalated */
		else if (now - b->until < p->block_max_ms)
			strikes = b->strikes + 1;
	}
	pthread_mutex_unlock(&p->lock);
	return strikes < 1 ? 1 : strikes;
}

/* Puts the counters of a number's keys (prefix3, prefix5, country) into the
 * plan, with sent and verified to add. */
static void plan_counters(struct policy_plan *t, const struct policy *p, const struct subject *s,
			  int sent, int verified)
{
	strjoin(t->dkeys[0], POLICY_PLAN_KEY_MAX, "p3|", s->prefix3, NULL);
	strjoin(t->dkeys[1], POLICY_PLAN_KEY_MAX, "p5|", s->prefix5, NULL);
	strjoin(t->dkeys[2], POLICY_PLAN_KEY_MAX, "cc|", s->region, NULL);
	for (int i = 0; i < 3; i++)
		t->d[i] = (struct store_decay){.key = t->dkeys[i],
					       .half_life_ms = {p->window_ms, p->baseline_ms},
					       .add = {sent, verified}};
	t->nd = 3;
}

static struct pumping_counts counts_of(const struct store_decay *d)
{
	return (struct pumping_counts){d->out[0][0], d->out[0][1], d->out[1][0], d->out[1][1]};
}

static void decide(struct policy *p, const char *key, int verdict, const struct pumping_counts *c,
		   double baseline, int64_t now)
{
	if (!verdict || block_state(p, key, now) >= verdict)
		return;
	int strikes = next_strike(p, key, now);
	int64_t lasts = pumping_measure_ms(p->block_first_ms, p->block_max_ms, strikes);
	struct store_block b = {.state = verdict, .since = now, .sent = c->sent,
				.verified = c->verified, .baseline = baseline,
				.until = now + lasts, .strikes = strikes};
	char what[64];
	strfmt(b.key, sizeof b.key, "%s", key);
	policy_describe_key(key, what, sizeof what);
	strfmt(b.reason, sizeof b.reason,
	       "%s: %.0f sent, %.0f verified recently (%.0f%%) against a baseline of %.0f%%; "
	       "for %llds (strike %d)",
	       what, c->sent, c->verified, c->sent > 0 ? 100.0 * c->verified / c->sent : 0.0,
	       100.0 * baseline, (long long)(lasts / 1000), strikes);
	const char *type = verdict == STORE_BLOCK_BLOCKED ? "fraud.prefix_blocked"
							  : "fraud.prefix_throttled";
	int rc = store_block_set(p->st, &b, type);
	if (rc == 0)
		log_warn("%s %s", type, b.reason);
	/* Seen at once by this node; the others within BLOCKS_REFRESH_MS. */
	pthread_mutex_lock(&p->lock);
	int found = 0;
	for (int i = 0; i < p->n_blocks && !found; i++)
		if (!strcmp(p->blocks[i].key, key)) {
			if (p->blocks[i].state < verdict || !in_force(&p->blocks[i], now)) {
				p->blocks[i].state = verdict;
				p->blocks[i].until = b.until;
				p->blocks[i].strikes = strikes;
			}
			found = 1;
		}
	if (!found && p->n_blocks < BLOCKS_MAX) {
		memcpy(p->blocks[p->n_blocks].key, b.key, sizeof b.key);
		p->blocks[p->n_blocks].until = b.until;
		p->blocks[p->n_blocks].strikes = strikes;
		p->blocks[p->n_blocks++].state = verdict;
	}
	atomic_store(&p->any_blocks, p->n_blocks > 0);
	pthread_mutex_unlock(&p->lock);
}

/* Judges a number's keys on a send's counts (plan_counters, as written);
 * may throttle or block. */
static void judge(struct policy *p, const struct policy_plan *t, int64_t now)
{
	const struct store_decay *d = t->d;
	const char(*keys)[POLICY_PLAN_KEY_MAX] = t->dkeys;
	struct pumping_counts c[3] = {counts_of(&d[0]), counts_of(&d[1]), counts_of(&d[2])};
	double country = pumping_baseline(&p->country, &c[2], p->default_baseline);
	/* A whole country is only ever throttled automatically: blocking it would
	 * refuse every honest person there on the strength of a few ranges. */
	int verdict = pumping_judge(&p->country, &c[2], country);
	decide(p, keys[2], verdict > STORE_BLOCK_THROTTLED ? STORE_BLOCK_THROTTLED : verdict, &c[2],
	       country, now);
	double b5 = pumping_baseline(&p->prefix5, &c[1], country);
	decide(p, keys[1], pumping_judge(&p->prefix5, &c[1], b5), &c[1], b5, now);
	double b3 = pumping_baseline(&p->prefix3, &c[0], country);
	decide(p, keys[0], pumping_judge(&p->prefix3, &c[0], b3), &c[0], b3, now);
}

/* The usual seconds from creation to verification in a country; the
 * default until a few verifications are known. */
#define LAG_DEFAULT_S 30.0
#define LAG_MIN_SAMPLES 5.0

/* Counter keys of the pressure measure (pumping_pressure): sessions created
 * and verified per country and per client site, in the short window, and
 * the usual time from creation to verification per country. A creation also
 * counts its country's young sessions ("yg|cc|", a mean life of
 * LAG_DEFAULT_S): those created too recently to have been verified yet. */
static void pressure_counters(struct policy_plan *t, const struct policy *p,
			      const struct subject *s, double made, double verified, double lag_s)
{
	if (made > 0 && s->region[0] && t->nd < POLICY_PLAN_COUNTERS) {
		size_t k = t->nd++;
		double half = LAG_DEFAULT_S * 1000.0 * 0.6931471805599453;
		strjoin(t->dkeys[k], POLICY_PLAN_KEY_MAX, "yg|cc|", s->region, NULL);
		t->d[k] = (struct store_decay){
			.key = t->dkeys[k], .half_life_ms = {half, half}, .add = {made, 0}};
	}
	/* The country's hourly profile: its sessions per hour of the (UTC) day
	 * and in all, over the baseline window, so a week's habits show; the
	 * recent window is read to leave the last hours out (else an attack at
	 * a quiet hour would make that hour look busy). */
	for (int all = 0; made > 0 && s->region[0] && all < 2 && t->nd < POLICY_PLAN_COUNTERS;
	     all++) {
		size_t k = t->nd++;
		if (all)
			strjoin(t->dkeys[k], POLICY_PLAN_KEY_MAX, "tod|cc|", s->region, "|all");
		else
			strfmt(t->dkeys[k], POLICY_PLAN_KEY_MAX, "tod|cc|%s|%02d", s->region,
			       (int)((t->now / 3600000) % 24));
		t->d[k] = (struct store_decay){.key = t->dkeys[k],
					       .half_life_ms = {p->window_ms, p->baseline_ms},
					       .add = {made, 0}};
	}
	const char *keys[3] = {"pr|cc|", "pr|site|", "lag|cc|"};
	/* The client's site: its /48 for IPv6, its /24 for IPv4. */
	const char *of[3] = {s->region, s->site[0] ? s->site : s->network, s->region};
	for (int i = 0; i < 3 && t->nd < POLICY_PLAN_COUNTERS; i++) {
		if (!*of[i])
			continue;
		size_t k = t->nd++;
		strjoin(t->dkeys[k], POLICY_PLAN_KEY_MAX, keys[i], of[i], NULL);
		/* The lag is an average over the medium window; the others are
		 * read in the short one. */
		double half = i == 2 ? p->window_ms : p->pressure_ms;
		t->d[k] = (struct store_decay){
			.key = t->dkeys[k],
			.half_life_ms = {half, p->window_ms},
			.add = {i == 2 ? lag_s : made, i == 2 ? (lag_s > 0 ? 1 : 0) : verified}};
	}
}

/* Where the counters of a creation are in its plan (policy_create). */
static const struct store_decay *counter(const struct policy_plan *t, const struct store_decay *c,
					 size_t n, const char *prefix)
{
	size_t len = strlen(prefix);
	for (size_t i = 0; i < n && i < t->nd; i++)
		if (!strncmp(c[i].key, prefix, len))
			return &c[i];
	return NULL;
}

/* Sets the proof-of-work a new session owes from its risk signals, the
 * counts taken with the session among them: store_write's adjust, run with
 * the counts just taken, so parallel creations each see their own.
 * Arithmetic only (it runs while the store's writer is held). */
static void adjust_pow(void *arg, struct store_session *s, const struct store_decay *c, size_t n)
{
	const struct policy_plan *t = arg;
	const struct policy *p = t->p;
	const struct config *cfg = p->cfg;
	int risk = t->pow_risk, extra = 0;
	const struct store_decay *ip = counter(t, c, n, "ipsessions|");
	if (ip && cfg->pow_ip_sessions > 0 && ip->out[0][0] > cfg->pow_ip_sessions)
		risk++;
	const struct store_decay *cc = counter(t, c, n, "cc|");
	const struct store_decay *lag = counter(t, c, n, "lag|cc|");
	const struct store_decay *prc = counter(t, c, n, "pr|cc|");
	const struct store_decay *prs = counter(t, c, n, "pr|site|");
	double lag_s = lag && lag->out[0][1] >= LAG_MIN_SAMPLES ? lag->out[0][0] / lag->out[0][1]
								: LAG_DEFAULT_S;
	/* The usual unverified share of the country: its sends' over the
	 * baseline window once it holds ten times fraud_baseline_min_sent
	 * (younger, the codes still on their way would read as never verified),
	 * else the default. */
	double share = 1 - p->default_baseline;
	if (cc && cc->out[1][0] >= 10.0 * cfg->fraud_baseline_min_sent)
		share = 1 - cc->out[1][1] / cc->out[1][0];
	/* Many distinct numbers, not verified, from one client site, beyond what
	 * its verified ones account for at the country's usual conversion. */
	const struct store_decay *dn = counter(t, c, n, "dn|");
	if (dn && cfg->pow_network_numbers > 0 &&
	    dn->out[0][0] - dn->out[0][1] >
		    pumping_numbers_allowance(cfg->pow_network_numbers, dn->out[0][1], share))
		risk++;
	/* The spread inside the country: is this session's block of 100,000
	 * numbers one where somebody verified over the baseline window? Judged
	 * once the country has fraud_baseline_min_sent verifications there. */
	const struct store_decay *p5 = counter(t, c, n, "p5|");
	const struct store_decay *nv = counter(t, c, n, "nv|cc|");
	int spread = cfg->fraud_spread_floor > 0 && p5 && nv && cc &&
		     cc->out[1][1] >= cfg->fraud_baseline_min_sent;
	int novel = spread && p5->out[1][1] < 0.5;
	int level = 0;
	if (prc) {
		struct pressure_counts pc = {
			prc->out[0][0], prc->out[0][1],
			pumping_usual(prc->out[0][1], share, lag_s, p->pressure_ms)};
		/* Sessions too young to have been verified are not yet evidence:
		 * forgive up to fraud_pressure_young of them. Before the first
		 * verifications (a fresh node, a country quiet for an hour) the
		 * usual above is zero, and honest people's sessions still on their
		 * way would otherwise raise the price on themselves. Bounded, as an
		 * attack's young sessions count here too. */
		const struct store_decay *yg = counter(t, c, n, "yg|cc|");
		double young = yg ? yg->out[0][0] : 0;
		/* How many: fraud_pressure_young at an average hour of the
		 * country's day, less at its quiet hours (where an attack would
		 * otherwise have them all), more at its busiest (up to 4 times). */
		const struct store_decay *hour = counter(t, c, n, "tod|cc|");
		const struct store_decay *all = NULL;
		for (size_t i = 0; i < n && i < t->nd; i++)
			if (!strncmp(c[i].key, "tod|cc|", 7) && strstr(c[i].key, "|all"))
				all = &c[i];
		double f = hour && all && hour != all
				   ? pumping_hour_factor(hour->out[1][0] - hour->out[0][0],
							 all->out[1][0] - all->out[0][0],
							 cfg->fraud_profile_min_sessions)
				   : 1;
		double most = cfg->fraud_pressure_young * (f > 4 ? 4 : f);
		if (young > most)
			young = most;
		int country = pumping_pressure(&pc, cfg->fraud_pressure_floor + young);
		/* A block with a verified history pays the base price for its
		 * country's pressure: its people are who the country usually is. */
		if (spread && !novel && country > 1)
			country = 1;
		level += country;
		/* A block without one counts among the country's sessions in such
		 * blocks, against their usual share of its traffic: a random
		 * spread fills them far faster than real people do, so they pay
		 * before the country's pressure rises, and more once it has. */
		if (novel) {
			double sh = pumping_spread_share(nv->out[1][1], cc->out[1][1]);
			struct pressure_counts nc = {nv->out[0][0], nv->out[0][1], sh * pc.usual};
			level += pumping_pressure(&nc, sh * young + cfg->fraud_spread_floor);
		}
	}
	if (prs) {
		struct pressure_counts pc = {
			prs->out[0][0], prs->out[0][1],
			pumping_usual(prs->out[0][1], share, lag_s, p->pressure_ms)};
		level += pumping_pressure(&pc, cfg->fraud_pressure_floor);
	}
	if (level) {
		risk++;
		extra = level - 1; /* a bit per doubling of the pressure */
	}
	if (risk) {
		int bits = cfg->pow_difficulty + 2 * (risk - 1) + extra;
		int most = cfg->pow_max_difficulty > cfg->pow_difficulty ? cfg->pow_max_difficulty
									 : cfg->pow_difficulty;
		s->pow_difficulty = bits > most ? most : bits;
	}
}

enum iotp_error policy_create(struct policy *p, const struct policy_client *who, const char *e164,
			      const char *region, int64_t now, struct policy_verdict *v,
			      struct policy_plan *plan)
{
	struct subject s;
	memset(v, 0, sizeof *v);
	plan_init(plan, p, now);
	subject_fill(&s, e164, region, who);
	if (!geo_allowed(&p->geo, s.app, s.region)) {
		memcpy(v->region, s.region, sizeof v->region);
		return IOTP_E_COUNTRY_NOT_ALLOWED;
	}
	if (!p->on)
		return IOTP_E_OK;
	maintain(p, now);
	plan_action(plan, p, LIMITS_CREATE, &s);
	/* A limit already known to be spent refuses before the counters are
	 * planned: a flood against one number is mostly this. */
	enum iotp_error refused = known_wait(plan, v);
	if (refused)
		return refused;
	/* Sessions per address, counted with the limits: a risk signal. */
	if (p->cfg->pow_ip_sessions > 0 && s.ip[0]) {
		strjoin(plan->dkeys[0], POLICY_PLAN_KEY_MAX, "ipsessions|", s.ip, NULL);
		plan->d[0] = (struct store_decay){.key = plan->dkeys[0],
						  .half_life_ms = {p->window_ms, p->window_ms},
						  .add = {1, 0}};
		plan->nd = 1;
	}
	/* Pressure: this session counts as unverified until it is; the
	 * country's recent sends (read, adding nothing) give its usual. */
	pressure_counters(plan, p, &s, 1, 0, 0);
	if (plan->nd < POLICY_PLAN_COUNTERS && s.region[0]) {
		size_t k = plan->nd++;
		strjoin(plan->dkeys[k], POLICY_PLAN_KEY_MAX, "cc|", s.region, NULL);
		plan->d[k] = (struct store_decay){.key = plan->dkeys[k],
						  .half_life_ms = {p->window_ms, p->baseline_ms}};
	}
	/* Distinct numbers per client site: the pair's counter, and the site's
	 * count that it gates (added at the pair's first sighting only). */
	const char *site = s.site[0] ? s.site : s.network;
	if (p->cfg->pow_network_numbers > 0 && *site && plan->nd + 2 <= POLICY_PLAN_COUNTERS) {
		size_t k = plan->nd;
		strfmt(plan->dkeys[k], POLICY_PLAN_KEY_MAX, "sn|%s|%s", site, s.number);
		strjoin(plan->dkeys[k + 1], POLICY_PLAN_KEY_MAX, "dn|", site, NULL);
		plan->d[k] = (struct store_decay){.key = plan->dkeys[k],
						  .half_life_ms = {p->window_ms, p->window_ms},
						  .add = {1, 0}};
		plan->d[k + 1] = (struct store_decay){.key = plan->dkeys[k + 1],
						      .half_life_ms = {p->window_ms, p->window_ms},
						      .add = {1, 0},
						      .first_of = k + 1};
		plan->nd += 2;
	}
	/* The spread inside the country: the number's block of 100,000 is read
	 * (its verified history; reading writes nothing), and the session counts
	 * among the country's sessions in blocks without one (added only then). */
	if (p->cfg->fraud_spread_floor > 0 && s.region[0] && s.prefix5[0] &&
	    plan->nd + 2 <= POLICY_PLAN_COUNTERS) {
		size_t k = plan->nd;
		strjoin(plan->dkeys[k], POLICY_PLAN_KEY_MAX, "p5|", s.prefix5, NULL);
		strjoin(plan->dkeys[k + 1], POLICY_PLAN_KEY_MAX, "nv|cc|", s.region, NULL);
		plan->d[k] = (struct store_decay){.key = plan->dkeys[k],
						  .half_life_ms = {p->window_ms, p->baseline_ms}};
		plan->d[k + 1] = (struct store_decay){.key = plan->dkeys[k + 1],
						      .half_life_ms = {p->pressure_ms, p->baseline_ms},
						      .add = {1, 0},
						      .first_of = k + 1,
						      .gate_verified = 1};
		plan->nd += 2;
	}
	plan->pressure = 1;
	/* Risk signals; each one makes the proof-of-work harder. */
	plan->pow_risk = region_bit(p->pow_regions, s.region);
	/* Not for a blocked range: its sends are refused (or pretended) anyway,
	 * and a challenge there would tell a pretend block apart. */
	if (measure(p, &s, now) == STORE_BLOCK_THROTTLED)
		plan->pow_risk++;
	return IOTP_E_OK;
}

enum iotp_error policy_lookup(struct policy *p, const struct policy_client *who, const char *e164,
			      int64_t now, struct policy_verdict *v)
{
	struct subject s;
	struct policy_plan t;
	size_t refused;
	int64_t wait_ms;
	memset(v, 0, sizeof *v);
	if (!p->on)
		return IOTP_E_OK;
	subject_fill(&s, e164, NULL, who);
	plan_init(&t, p, now);
	plan_action(&t, p, LIMITS_LOOKUP, &s);
	if (!t.n)
		return IOTP_E_OK;
	enum iotp_error known = known_wait(&t, v);
	if (known)
		return known;
	int rc = store_buckets_take(p->st, t.b, t.n, now, &refused, &wait_ms);
	if (rc == STORE_LIMITED)
		return refusal(&t, refused, wait_ms, v);
	return rc == 0 ? IOTP_E_OK : IOTP_E_INTERNAL; /* fail closed */
}

enum iotp_error policy_send(struct policy *p, const struct policy_client *who, const char *e164,
			    const char *region, int64_t now, struct policy_verdict *v,
			    struct policy_plan *plan)
{
	struct subject s;
	memset(v, 0, sizeof *v);
	plan_init(plan, p, now);
	subject_fill(&s, e164, region, who);
	if (!geo_allowed(&p->geo, s.app, s.region)) {
		memcpy(v->region, s.region, sizeof v->region);
		return IOTP_E_COUNTRY_NOT_ALLOWED;
	}
	if (p->on) {
		maintain(p, now);
		if (measure(p, &s, now) >= STORE_BLOCK_BLOCKED) {
			if (!p->pretend)
				return IOTP_E_PREFIX_BLOCKED;
			v->pretend = 1;
			return IOTP_E_OK;
		}
	}
	/* Like the number type, reachability depends only on the number, so it
	 * holds with limits = off too; only a definite "not in service" refuses. */
	if (reach_lookup(p->reach, s.number, now) == REACH_UNREACHABLE)
		return IOTP_E_NUMBER_UNREACHABLE;
	if (!p->on)
		return IOTP_E_OK;
	plan_action(plan, p, LIMITS_SEND, &s);
	/* Spend caps: fail closed, like every limit here. */
	for (int i = 0; i < p->geo.n_caps; i++) {
		const struct geo_cap *c = &p->geo.caps[i];
		if (c->region[0] && strcmp(c->region, s.region))
			continue;
		char prefix[48], key[16];
		strfmt(prefix, sizeof prefix, "spend|%lld", (long long)c->rate.period_ms);
		strfmt(key, sizeof key, "%s", c->region[0] ? c->region : "*");
		plan_add(plan, prefix, c->region[0] ? "spend.country" : "spend.global", key, &c->rate, 1,
			 IOTP_E_SPEND_CAP_REACHED);
	}
	/* The send is counted for the pumping detector in the session's own
	 * write: only a send that happens is counted. */
	plan_counters(plan, p, &s, 1, 0);
	plan->judge = 1;
	return known_wait(plan, v);
}

void policy_check(struct policy *p, const struct policy_client *who,
		  const struct store_session *session, int right, int64_t now,
		  struct policy_plan *plan)
{
	struct subject s;
	plan_init(plan, p, now);
	if (!p->on)
		return;
	subject_fill(&s, session->phone, session->region, who);
	plan_action(plan, p, LIMITS_CHECK, &s);
	/* Per app: wrong codes in one app lock no other. */
	char key[POLICY_PLAN_KEY_MAX];
	strjoin(key, sizeof key, session->app, "|", s.number);
	plan_add(plan, "check_failed|number", "check_failed.number", key,
		 &p->lim.r[LIMITS_CHECK_FAILED][LIMITS_NUMBER], right ? 0 : 1,
		 IOTP_E_NUMBER_CHECKS_LOCKED);
	if (!right)
		return;
	plan_counters(plan, p, &s, 0, 1);
	/* The first verification in its block of 100,000 (plan_counters put
	 * it second) within the baseline window: how often real people come
	 * from a block without a verified history (pumping_spread_share). */
	if (p->cfg->fraud_spread_floor > 0 && s.region[0] && plan->nd < POLICY_PLAN_COUNTERS) {
		size_t k = plan->nd++;
		strjoin(plan->dkeys[k], POLICY_PLAN_KEY_MAX, "nv|cc|", s.region, NULL);
		plan->d[k] = (struct store_decay){.key = plan->dkeys[k],
						  .half_life_ms = {p->pressure_ms, p->baseline_ms},
						  .add = {0, 1},
						  .first_of = 2,
						  .gate_verified = 1};
	}
	double lag_s = (double)(now - session->created_at) / 1000.0;
	pressure_counters(plan, p, &s, 0, 1, lag_s > 0.001 ? lag_s : 0.001);
	/* A verified number no longer counts among its site's distinct ones. */
	const char *site = s.site[0] ? s.site : s.network;
	if (p->cfg->pow_network_numbers > 0 && *site && plan->nd < POLICY_PLAN_COUNTERS) {
		size_t k = plan->nd++;
		strjoin(plan->dkeys[k], POLICY_PLAN_KEY_MAX, "dn|", site, NULL);
		plan->d[k] = (struct store_decay){.key = plan->dkeys[k],
						  .half_life_ms = {p->window_ms, p->window_ms},
						  .add = {0, 1}};
	}
}

void policy_plan_attach(struct policy_plan *plan, struct store_write *w)
{
	w->buckets = plan->b;
	w->n_buckets = plan->n;
	w->counters = plan->d;
	w->n_counters = plan->nd;
	if (plan->pow_risk || plan->pressure > 0) { /* a creation's */
		w->adjust = adjust_pow;
		w->adjust_arg = plan;
	}
}

enum iotp_error policy_plan_refused(const struct policy_plan *plan, const struct store_write *w,
				    struct policy_verdict *v)
{
	return refusal(plan, w->refused, w->retry_after_ms, v);
}

void policy_plan_written(struct policy_plan *plan, int64_t now)
{
	if (plan->judge && plan->nd >= 3)
		judge(plan->p, plan, now);
}

void policy_pow_challenge(const struct policy *p, const char *session_id, char out[33])
{
	pow_challenge(p->pow_key, session_id, out);
}

int policy_pow_verify(const struct policy *p, const char *session_id, int difficulty,
		      const char *nonce)
{
	char challenge[POW_CHALLENGE_LEN + 1];
	pow_challenge(p->pow_key, session_id, challenge);
	return pow_verify(challenge, nonce, difficulty);
}

void policy_describe_key(const char *key, char *buf, size_t size)
{
	if (!strncmp(key, "p3|", 3) || !strncmp(key, "p5|", 3))
		strfmt(buf, size, "numbers starting %s", key + 3);
	else if (!strncmp(key, "cc|", 3))
		strfmt(buf, size, "country %s", key + 3);
	else
		strfmt(buf, size, "%s", key);
}

int policy_unblock(struct store *st, const char *key, const char *who, int64_t now)
{
	int rc = store_block_lift(st, key, who, now, "fraud.prefix_unblocked");
	if (rc != 0)
		return rc;
	/* Judged afresh: the burst that caused the block would otherwise block it
	 * again at the next send, and would skew its own baseline for days. */
	return store_decay_reset(st, key);
}
