/* The providers and routes of the configuration (see delivery.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/metrics.h"
#include "delivery/delivery.h"
#include "delivery/sender.h"

#define PROVIDERS_MAX 32
#define ROUTES_MAX 256
#define CHANNELS 3

static const char *const channel_names[CHANNELS] = {"sms", "voice", "whatsapp"};

struct route {
	char region[3]; /* "" for default */
	int n[CHANNELS];
	int p[CHANNELS][DELIVERY_ROUTE_MAX]; /* indexes into providers */
};

/* The routes in force. SIGHUP replaces the whole table (delivery_reload_routes);
 * a replaced one is kept, chained, until delivery_free, so a thread that
 * loaded the old pointer a moment before reads valid memory without a lock. */
struct route_table {
	int n_routes;
	unsigned channels;
	struct route routes[ROUTES_MAX];
	struct route_table *retired;
};

struct delivery {
	int n_providers;
	struct delivery_provider providers[PROVIDERS_MAX];
	_Atomic(struct route_table *) table;
	struct sender_table *senders;
	char public_url[512];
};

static int channel_index(const char *channel)
{
	for (int i = 0; i < CHANNELS; i++)
		if (!strcmp(channel_names[i], channel))
			return i;
	return -1;
}

static int find_provider(const struct delivery *d, const char *name)
{
	for (int i = 0; i < d->n_providers; i++)
		if (!strcmp(d->providers[i].name, name))
			return i;
	return -1;
}

/* Production with the log provider is allowed only when asked for by name,
 * and said out loud: every code it "sends" lands in clear in a file. */
static void warn_log_provider(const struct config *cfg, const char *name)
{
	log_warn("WARNING: provider %s is of type log: no message reaches a phone, and every code "
		 "is written IN CLEAR to %s/messages.jsonl. Use it for trials only; configure a real "
		 "provider (docs/delivery.md) before people depend on this server.",
		 name, cfg->data_dir);
}

static int open_provider(struct delivery *d, const struct config *cfg, struct inbox *inbox,
                         const struct config_section *s, const char *name, const char *type,
                         char *err, size_t errlen)
{
	char where[512] = "";
	const char *known;
	if (s)
		config_section_where(cfg, s, "type", where, sizeof where);
	else
		strfmt(where, sizeof where, "option provider (IOTP_PROVIDER)");
	const struct provider_ops *ops = type ? provider_find(type, &known) : NULL;
	if (!ops) {
		strfmt(err, errlen, "%s: %s provider type%s%s (known: %s)", where,
		       type ? "unknown" : "set the", type ? " " : "", type ? type : "",
		       "log, kannel, http");
		return -1;
	}
	if (ops->version != PROVIDER_OPS_VERSION) {
		strfmt(err, errlen, "%s: provider %s was built for another interface version",
		       where, type);
		return -1;
	}
	if (d->n_providers == PROVIDERS_MAX) {
		strfmt(err, errlen, "%s: at most %d providers", where, PROVIDERS_MAX);
		return -1;
	}
	struct delivery_provider *p = &d->providers[d->n_providers];
	memset(p, 0, sizeof *p);
	strfmt(p->name, sizeof p->name, "%s", name);
	p->ops = ops;
	p->channels = ops->channels;
	long failures = 5, open_ms = 30000;
	if (s) {
		const char *ch = config_section_get(s, "channels");
		unsigned bits;
		if (ch &&
		    (provider_channels_parse(ch, &bits) < 0 || !bits || (bits & ~ops->channels))) {
			config_section_where(cfg, s, "channels", where, sizeof where);
			strfmt(err, errlen, "%s: channels '%s': a %s provider serves only %s%s%s",
			       where, ch, type, ops->channels & PROVIDER_CHANNEL_SMS ? "sms " : "",
			       ops->channels & PROVIDER_CHANNEL_VOICE ? "voice " : "",
			       ops->channels & PROVIDER_CHANNEL_WHATSAPP ? "whatsapp" : "");
			return -1;
		}
		if (ch)
			p->channels = bits;
		if (provider_section_long(cfg, s, "breaker_failures", 1, 1000, &failures, err,
		                          errlen) < 0 ||
		    provider_section_long(cfg, s, "breaker_open_ms", 100, 3600000, &open_ms, err,
		                          errlen) < 0)
			return -1;
	}
	breaker_init(&p->breaker, (int)failures, open_ms, open_ms); /* a fixed rest */
	pthread_mutex_init(&p->lock, NULL);
	struct provider_env env = {
	    .cfg = cfg, .section = s, .name = p->name, .inbox = inbox, .public_url = d->public_url};
	if (ops->open(&env, &p->state, err, errlen) < 0) {
		pthread_mutex_destroy(&p->lock);
		return -1;
	}
	d->n_providers++;
	if (!strcmp(type, "log") && !cfg->dev)
		warn_log_provider(cfg, name);
	return 0;
}

static int read_route(const struct delivery *d, struct route_table *t, const struct config *cfg,
                      const struct config_section *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"sms", "voice", "whatsapp", NULL};
	char where[512];
	if (config_section_check_keys(cfg, s, keys, err, errlen) < 0)
		return -1;
	config_section_where(cfg, s, NULL, where, sizeof where);
	int region = strlen(s->name) == 2 && s->name[0] >= 'A' && s->name[0] <= 'Z' &&
	             s->name[1] >= 'A' && s->name[1] <= 'Z';
	if (!region && strcmp(s->name, "default")) {
		strfmt(err, errlen, "%s: name a region in capitals (GB, US) or 'default'", where);
		return -1;
	}
	if (t->n_routes == ROUTES_MAX) {
		strfmt(err, errlen, "%s: at most %d routes", where, ROUTES_MAX);
		return -1;
	}
	struct route *r = &t->routes[t->n_routes];
	memset(r, 0, sizeof *r);
	strfmt(r->region, sizeof r->region, "%s", region ? s->name : "");
	for (int c = 0; c < CHANNELS; c++) {
		const char *list = config_section_get(s, channel_names[c]);
		char buf[512];
		if (!list)
			continue;
		config_section_where(cfg, s, channel_names[c], where, sizeof where);
		strfmt(buf, sizeof buf, "%s", list);
		char *save = NULL;
		for (char *tok = strtok_r(buf, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			int i = find_provider(d, tok);
			if (i < 0) {
				strfmt(err, errlen, "%s: no [provider %s] section", where, tok);
				return -1;
			}
			if (!(d->providers[i].channels & provider_channel_bit(channel_names[c]))) {
				strfmt(err, errlen,
				       "%s: provider %s does not serve %s (see its channels)",
				       where, tok, channel_names[c]);
				return -1;
			}
			if (r->n[c] == DELIVERY_ROUTE_MAX) {
				strfmt(err, errlen, "%s: at most %d providers per channel", where,
				       DELIVERY_ROUTE_MAX);
				return -1;
			}
			r->p[c][r->n[c]++] = i;
		}
		if (r->n[c])
			t->channels |= provider_channel_bit(channel_names[c]);
	}
	t->n_routes++;
	return 0;
}

/* Reads every [route] section into t against d's providers. */
static int read_routes(const struct delivery *d, struct route_table *t, const struct config *cfg,
                       char *err, size_t errlen)
{
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "route", s));)
		if (read_route(d, t, cfg, s, err, errlen) < 0)
			return -1;
	if (!t->channels) {
		strfmt(err, errlen,
		       "%s: [provider] sections need a [route default] (or [route XX]) that names "
		       "them, e.g. 'sms = %s'",
		       cfg->path ? cfg->path : "configuration", d->providers[0].name);
		return -1;
	}
	return 0;
}

int delivery_reload_routes(struct delivery *d, const struct config *cfg, char *err, size_t errlen)
{
	/* Providers hold connections and credentials: they are opened at start
	 * only. A route may name only those. */
	for (const struct config_section *s = NULL;
	     (s = config_section_next(cfg, "provider", s));) {
		if (find_provider(d, s->name) < 0) {
			char where[512];
			config_section_where(cfg, s, NULL, where, sizeof where);
			strfmt(err, errlen,
			       "%s: provider %s is new; providers are opened at start-up only, so "
			       "restart iotpd to add it",
			       where, s->name);
			return -1;
		}
	}
	if (!config_section_next(cfg, "provider", NULL))
		return 0; /* the option provider alone: its one route never changes */
	struct route_table *t = xcalloc(1, sizeof *t);
	if (read_routes(d, t, cfg, err, errlen) < 0) {
		free(t);
		return -1;
	}
	struct route_table *old = atomic_load(&d->table);
	if (t->channels != old->channels)
		log_warn("reload: the routes now serve other channels than at start-up; which "
			 "channels clients may ask for changes only with a restart");
	t->retired = old;
	atomic_store(&d->table, t);
	return 0;
}

int delivery_new(const struct config *cfg, struct inbox *inbox, struct delivery **out, char *err,
                 size_t errlen)
{
	struct delivery *d = xcalloc(1, sizeof *d);
	struct route_table *t = xcalloc(1, sizeof *t);
	atomic_init(&d->table, t);
	if (sender_table_new(cfg, &d->senders, err, errlen) < 0)
		goto err;
	for (const struct config_section *s = NULL;
	     (s = config_section_next(cfg, "provider", s));) {
		char where[512];
		config_section_where(cfg, s, NULL, where, sizeof where);
		if (!s->name[0]) {
			strfmt(err, errlen, "%s: name the provider: [provider NAME]", where);
			goto err;
		}
		if (open_provider(d, cfg, inbox, s, s->name, config_section_get(s, "type"), err,
		                  errlen) < 0)
			goto err;
	}
	if (d->n_providers == 0 && !*cfg->provider) {
		/* Outside --dev there is no default: the log provider writes codes
		 * in clear to a file, which must never happen by omission. */
		strfmt(err, errlen,
		       "no message provider: add a [provider NAME] section (type kannel, http or smpp) "
		       "and a [route default] naming it (docs/delivery.md), or, for a trial without "
		       "real messages, set provider = log, which writes every code in clear to "
		       "%s/messages.jsonl",
		       cfg->data_dir);
		goto err;
	}
	if (d->n_providers == 0) {
		/* No sections: the option provider serves every channel it can. */
		if (open_provider(d, cfg, inbox, NULL, cfg->provider, cfg->provider, err, errlen) <
		    0)
			goto err;
		struct route *r = &t->routes[t->n_routes++];
		memset(r, 0, sizeof *r);
		for (int c = 0; c < CHANNELS; c++) {
			if (!(d->providers[0].channels & provider_channel_bit(channel_names[c])))
				continue;
			r->p[c][r->n[c]++] = 0;
			t->channels |= provider_channel_bit(channel_names[c]);
		}
		/* WhatsApp is opt-in: it needs an approved template at the platform. */
		r->n[2] = 0;
		t->channels &= ~PROVIDER_CHANNEL_WHATSAPP;
	} else if (read_routes(d, t, cfg, err, errlen) < 0) {
		goto err;
	}
	*out = d;
	return 0;
err:
	delivery_free(d);
	return -1;
}

void delivery_free(struct delivery *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n_providers; i++) {
		d->providers[i].ops->close(d->providers[i].state);
		pthread_mutex_destroy(&d->providers[i].lock);
	}
	sender_table_free(d->senders);
	for (struct route_table *t = atomic_load(&d->table), *next; t; t = next) {
		next = t->retired;
		free(t);
	}
	free(d);
}

void delivery_set_public_url(struct delivery *d, const char *url)
{
	strfmt(d->public_url, sizeof d->public_url, "%s", url);
	size_t n = strlen(d->public_url);
	while (n && d->public_url[n - 1] == '/')
		d->public_url[--n] = '\0';
}

unsigned delivery_channels(const struct delivery *d)
{
	return atomic_load(&d->table)->channels;
}

size_t delivery_plan(struct delivery *d, const char *region, const char *channel,
                     struct delivery_provider **out, size_t max)
{
	int c = channel_index(channel);
	const struct route *own = NULL, *def = NULL;
	if (c < 0)
		return 0;
	const struct route_table *t = atomic_load(&d->table);
	for (int i = 0; i < t->n_routes; i++) {
		if (!t->routes[i].region[0])
			def = &t->routes[i];
		else if (!strcmp(t->routes[i].region, region))
			own = &t->routes[i];
	}
	const struct route *r = own && own->n[c] ? own : def;
	size_t n = 0;
	for (int i = 0; r && i < r->n[c] && n < max; i++)
		out[n++] = &d->providers[r->p[c][i]];
	return n;
}

const char *delivery_sender(const struct delivery *d, const char *region, const char *channel)
{
	return sender_for(d->senders, region, channel);
}

static void refused(const char *provider, const char *reason)
{
	const char *labels[] = {provider, reason};
	metrics_add(METRIC_REPORTS_REFUSED, labels, 1);
}

int delivery_report(struct delivery *d, struct store *st, const char *provider,
                    const struct provider_report_in *in, int64_t now, char id[STORE_ID_MAX],
                    char *error, size_t errlen)
{
	id[0] = '\0';
	int i = find_provider(d, provider);
	if (i < 0 || !d->providers[i].ops->report) {
		strfmt(error, errlen, "no provider %.40s takes delivery reports", provider);
		/* Not the name from the URL: anyone can make up names. */
		refused("", "unknown_provider");
		return DELIVERY_REPORT_UNKNOWN;
	}
	struct delivery_provider *p = &d->providers[i];
	struct provider_report rep;
	int rc = p->ops->report(p->state, in, &rep, error, errlen);
	if (rc == PROVIDER_REPORT_FORGED) {
		refused(p->name, "forged");
		return DELIVERY_REPORT_FORGED;
	}
	if (rc == PROVIDER_REPORT_INVALID) {
		refused(p->name, "invalid");
		return DELIVERY_REPORT_INVALID;
	}
	if (rc == PROVIDER_REPORT_CHALLENGE) {
		strfmt(id, STORE_ID_MAX, "%s", rep.ref);
		return DELIVERY_REPORT_CHALLENGE;
	}
	if (rc == PROVIDER_REPORT_IGNORED) {
		strfmt(id, STORE_ID_MAX, "%s", rep.id);
		return DELIVERY_REPORT_IGNORED;
	}
	struct store_report r;
	memset(&r, 0, sizeof r);
	strfmt(r.id, sizeof r.id, "%s", rep.id);
	strfmt(r.provider, sizeof r.provider, "%s", p->name);
	strfmt(r.provider_ref, sizeof r.provider_ref, "%s", rep.ref);
	strfmt(r.reason, sizeof r.reason, "%s", rep.reason);
	r.state = rep.state;
	r.at = now;
	struct store_reported reached;
	rc = store_message_report(st, &r, &reached);
	strfmt(id, STORE_ID_MAX, "%s", reached.id);
	if (rc == STORE_NOT_FOUND) {
		strfmt(error, errlen, "provider %s was given no message %.48s", p->name,
		       rep.id[0] ? rep.id : rep.ref);
		refused(p->name, "unknown_message");
		return DELIVERY_REPORT_UNKNOWN;
	}
	if (rc == STORE_STALE) {
		strfmt(error, errlen, "the message is already past %s",
		       store_message_state_name(r.state));
		return DELIVERY_REPORT_STALE;
	}
	if (rc < 0)
		return -1;
	const char *labels[] = {p->name, store_message_state_name(r.state)};
	metrics_add(METRIC_REPORTS, labels, 1);
	if (r.state == STORE_MSG_DELIVERED && reached.created_at) {
		const char *where[] = {p->name, reached.region};
		metrics_observe(METRIC_DELIVER_SECONDS, where,
		                (double)(r.at - reached.created_at) / 1000);
	}
	return 0;
}
