/* iotpd: the verification server. Reads the configuration, opens the store,
 * starts the HTTP API (and the delivery-report listener when callback_listen
 * is set) and the delivery worker, and stops them in reverse order on SIGTERM
 * or SIGINT, letting requests in flight finish. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef IOTP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Without libsystemd, readiness is the "listening on" line alone. */
#define sd_notify(unset, state) ((void)(unset), (void)(state), 0)
#endif

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/cpu_policy.h"
#include "base/log.h"
#include "base/random.h"
#include "compat/compat.h"
#include "config.h"
#include "config_man.h"
#include "core/core.h"
#include "core/retention.h"
#include "delivery/delivery.h"
#include "delivery/inbox.h"
#include "delivery/worker.h"
#include "events/events.h"
#include "http/http.h"
#include "phone/phone.h"
#include "policy/policy.h"
#include "store/store.h"

#define SHUTDOWN_GRACE_MS 10000

static void usage(FILE *out)
{
	fputs("usage: iotpd --dev [--listen HOST:PORT] [--data DIR]\n"
	      "       iotpd --config FILE [--listen HOST:PORT] [--data DIR]\n"
	      "       iotpd [--dev] [--config FILE] --dump-config\n"
	      "       iotpd --print-example-config\n"
	      "\n"
	      "  --dev                   development mode: log provider, dev inbox at\n"
	      "                          /v1/dev/inbox, API key 'dev' unless IOTP_API_KEY is set\n"
	      "  --config FILE           read options from FILE ('name = value' lines)\n"
	      "  --listen HOST:PORT      where the HTTP API listens (default 127.0.0.1:8080)\n"
	      "  --data DIR              data directory (default ./iotp-data)\n"
	      "  --dump-config           print the effective options, secrets masked, and exit\n"
	      "  --print-example-config  print every option with its help and default, and exit\n"
	      "  --version               print the version and exit\n"
	      "\n"
	      "Every option can be set by the environment variable IOTP_<NAME>; see\n"
	      "docs/iotp.conf.example.\n",
	      out);
}

/* Reads the 32-byte server secret: from the option, else from <data>/secret,
 * creating that file (mode 0600) with fresh random bytes on first start. */
static int load_secret(const struct config *cfg, unsigned char secret[32], char *err, size_t errlen)
{
	char hex[65], path[4096];
	if (cfg->secret[0]) {
		sodium_hex2bin(secret, 32, cfg->secret, 64, NULL, NULL, NULL);
		return 0;
	}
	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		strfmt(err, errlen, "option data_dir (IOTP_DATA_DIR): cannot create %s: %s",
		       cfg->data_dir, strerror(errno));
		return -1;
	}
	if (strfmt(path, sizeof path, "%s/secret", cfg->data_dir) < 0) {
		strfmt(err, errlen, "option data_dir (IOTP_DATA_DIR): path too long");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, hex, 64);
		close(fd);
		hex[n > 0 ? n : 0] = '\0';
		if (n != 64 || sodium_hex2bin(secret, 32, hex, 64, NULL, NULL, NULL) != 0) {
			strfmt(err, errlen, "%s does not hold 64 hex digits; restore it from a backup "
			       "(codes and queued messages were sealed with it)", path);
			return -1;
		}
		return 0;
	}
	randombytes_buf(secret, 32);
	sodium_bin2hex(hex, sizeof hex, secret, 32);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, 64) != 64 || fsync(fd) != 0) {
		if (fd >= 0)
			close(fd);
		strfmt(err, errlen, "cannot write the server secret to %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	sodium_memzero(hex, sizeof hex);
	log_info("created a new server secret in %s (keep it with the database)", path);
	return 0;
}

static _Atomic(struct worker *) the_worker;

/* events/'s view of the apps: they are fixed once core_init has read them. */
static void app_webhook(void *arg, const char *id, const char **url, const char **secret)
{
	const struct app *app = apps_find(&((const struct core *)arg)->apps, id);
	*url = app ? app->webhook_url : NULL;
	*secret = app ? app->webhook_secret : NULL;
}

static void *claim_for_worker(void *arg, struct store_message *m)
{
	(void)arg;
	struct worker *w = atomic_load(&the_worker);
	return w ? worker_claim(w, m) : NULL;
}

static void notify_worker(void *arg, const struct store_message *m, void *claim, int written)
{
	(void)arg;
	struct worker *w = atomic_load(&the_worker);
	if (claim)
		worker_claimed(claim, m, written);
	else if (w && written)
		worker_notify(w, m);
}

struct args {
	int dev, dump, example;
	const char *config, *listen, *data, *man;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **slot = NULL;
		if (!strcmp(s, "--dev")) {
			a->dev = 1;
		} else if (!strcmp(s, "--dump-config")) {
			a->dump = 1;
		} else if (!strcmp(s, "--print-example-config")) {
			a->example = 1;
		} else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(s, "--version")) {
			printf("iotpd %s\n", IOTP_VERSION);
			exit(0);
		} else if (!strcmp(s, "--config")) {
			slot = &a->config;
		} else if (!strcmp(s, "--listen")) {
			slot = &a->listen;
		} else if (!strcmp(s, "--data")) {
			slot = &a->data;
		} else if (!strcmp(s, "--print-man")) {
			slot = &a->man;
		} else {
			fprintf(stderr, "iotpd: unknown argument '%s'\n\n", s);
			usage(stderr);
			return -1;
		}
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "iotpd: %s needs a value\n", s);
				return -1;
			}
			*slot = argv[++i];
		}
	}
	if (!a->dev && !a->config && !a->dump && !a->example && !a->man) {
		fprintf(stderr, "iotpd: say --dev (development) or --config FILE (production)\n\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* A misspelled IOTP_* variable would otherwise be ignored without a word. */
extern char **environ;

/* What this start will do, in one line, and the one mistake that fails
 * silently later: an external gateway told to report to a loopback address. */
static void startup_summary(const struct config *cfg, const char *callback_base)
{
	char prov[512] = "";
	size_t used = 0;
	int external = 0, n_routes = 0, n_apps = 0;
	for (const struct config_section *p = NULL; (p = config_section_next(cfg, "provider", p));) {
		const char *type = config_section_get(p, "type");
		type = type ? type : "?";
		external |= strcmp(type, "log") != 0;
		int w = snprintf(prov + used, sizeof prov - used, "%s%s (%s)", used ? ", " : "",
				 p->name, type);
		if (w > 0 && (size_t)w < sizeof prov - used)
			used += (size_t)w;
	}
	if (!used) {
		strfmt(prov, sizeof prov, "%s", cfg->provider[0] ? cfg->provider : "none");
		external = cfg->provider[0] && strcmp(cfg->provider, "log") != 0;
	}
	for (const struct config_section *r = NULL; (r = config_section_next(cfg, "route", r));)
		n_routes++;
	for (const struct config_section *a = NULL; (a = config_section_next(cfg, "app", a));)
		n_apps++;
	char gotrue[300] = "off";
	if (cfg->gotrue_jwt_secret[0])
		strfmt(gotrue, sizeof gotrue, "on (%s)", cfg->gotrue_prefix);
	log_info("start-up: providers %s; %d route section(s); %d app section(s) besides the "
		 "default; twilio facade %s; gotrue facade %s",
		 prov, n_routes, n_apps, cfg->twilio_account_sid[0] ? "on (/v2)" : "off", gotrue);
	const char *host = strstr(callback_base, "://");
	host = host ? host + 3 : callback_base;
	if (external && (!strncmp(host, "127.", 4) || !strncmp(host, "localhost", 9) ||
			 !strncmp(host, "[::1]", 5)))
		log_warn("DELIVERY REPORTS WILL NEVER ARRIVE: an external provider is configured but "
			 "reports are addressed to %s, a loopback address; set callback_base_url to the "
			 "address the gateway reaches iotpd at",
			 callback_base);
}

/* SIGHUP: the templates and the routes from the configuration file again,
 * all or nothing. Requests in flight finish with what they started with
 * (nothing they use is freed before exit); the rest needs a restart. */
static void reload(const struct args *a, struct core *core, struct delivery *delivery)
{
	char err[1024];
	if (!a->config) {
		log_warn("SIGHUP: no --config file to re-read; nothing changed");
		return;
	}
	struct config fresh;
	struct apps check;
	int ok = config_load(&fresh, a->config, a->dev, err, sizeof err) == 0 &&
		 (!a->data || config_set(&fresh, "data_dir", a->data, err, sizeof err) == 0) &&
		 config_validate(&fresh, err, sizeof err) == 0 &&
		 apps_load(&check, &fresh, err, sizeof err) == 0;
	if (ok) {
		apps_free(&check);
		ok = delivery_reload_routes(delivery, &fresh, err, sizeof err) == 0 &&
		     apps_reload_templates(&core->apps, &fresh, err, sizeof err) == 0;
	}
	if (ok)
		log_info("SIGHUP: templates and routes re-read from %s; other changes need a restart",
			 a->config);
	else
		log_error("SIGHUP: %s; the templates and routes in force are unchanged", err);
	config_deinit(&fresh);
}

static void warn_env(const char *name, const char *suggest, void *arg)
{
	(void)arg;
	if (suggest)
		log_warn("environment variable %s names no option and is ignored: did you mean %s?",
			 name, suggest);
	else
		log_warn("environment variable %s names no option and is ignored "
			 "(docs/iotp.conf.example lists every IOTP_* variable)",
			 name);
}

int main(int argc, char **argv)
{
	struct args a;
	struct config cfg;
	char err[1024];
	int rc = 1;
	struct store *st = NULL;
	struct inbox *inbox = NULL;
	struct delivery *delivery = NULL;
	struct worker *worker = NULL;
	struct retention *retention = NULL;
	struct http_server *srv = NULL;
	struct http_server *reports = NULL; /* callback_listen's */
	struct policy *policy = NULL;
	struct events *events = NULL;
	struct http_route *routes = NULL, *native = NULL;
	size_t n_native = 0, n_routes = 0;

	alloc_keep_freed();
	if (parse_args(argc, argv, &a) < 0)
		return 2;
	if (a.example) {
		config_write_example(stdout);
		return 0;
	}
	if (a.man) {
		if (config_write_man(a.man, stdout) < 0) {
			fprintf(stderr, "iotpd: --print-man takes iotp.conf.5 or iotpd.8\n");
			return 2;
		}
		return 0;
	}
	if (random_install() < 0 || sodium_init() < 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "iotpd: libsodium or libcurl failed to start\n");
		return 1;
	}
	if (config_load(&cfg, a.config, a.dev, err, sizeof err) < 0 ||
	    (a.listen && config_set(&cfg, "listen", a.listen, err, sizeof err) < 0) ||
	    (a.data && config_set(&cfg, "data_dir", a.data, err, sizeof err) < 0) ||
	    config_validate(&cfg, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		config_deinit(&cfg);
		return 2;
	}
	if (a.dump) {
		config_dump(&cfg, stdout);
		config_deinit(&cfg);
		return 0;
	}
	log_set_level((enum log_level)log_level_from_name(cfg.log_level));
	log_set_format((enum log_format)log_format_from_name(cfg.log_format));
	config_unknown_env(environ, warn_env, NULL);
	/* Before any thread starts, so that all of them inherit it. */
	int sched = strcmp(cfg.cpu_scheduling, "batch") ? 0 : cpu_policy_batch();
	if (sched < 0)
		log_warn("cpu_scheduling = batch: the kernel refused SCHED_BATCH (%s); iotpd runs "
			 "under its default policy",
			 strerror(-sched));

	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* every thread inherits it; main waits */
	signal(SIGPIPE, SIG_IGN);

	/* The ports first: one in use fails here, before the data directory, the
	 * secret or the database are created for a server that cannot run. */
	int api_fd = -1, reports_fd = -1;
	if (http_listen(cfg.listen, "listen", &api_fd, err, sizeof err) < 0 ||
	    (cfg.callback_listen[0] &&
	     http_listen(cfg.callback_listen, "callback_listen", &reports_fd, err, sizeof err) < 0)) {
		fprintf(stderr, "iotpd: %s\n", err);
		if (api_fd >= 0)
			close(api_fd);
		config_deinit(&cfg);
		return 1;
	}

	unsigned char secret[32];
	struct core core = {0};
	if (phone_init() < 0) {
		fprintf(stderr, "iotpd: the phone number library failed to start\n");
		goto out;
	}
	/* A node's name outlives its process (it takes back its own claims when
	 * it restarts) and differs from its siblings' on the same host. */
	char node[600], host[256] = "", dir[4096];
	/* Here whatever the store: the log provider writes into it, and realpath
	 * names it the same each start (a PostgreSQL node with its secret and
	 * node_name set makes nothing else there first). */
	mkdir(cfg.data_dir, 0700);
	if (!cfg.node_name[0]) {
		gethostname(host, sizeof host - 1);
		strfmt(node, sizeof node, "%s:%s", host,
		       realpath(cfg.data_dir, dir) ? dir : cfg.data_dir);
	} else {
		strfmt(node, sizeof node, "%s", cfg.node_name);
	}
	struct store_options so = {
		.synchronous_full = !strcmp(cfg.sqlite_synchronous, "full"),
		.pool_size = cfg.store_pool_size,
		.statement_timeout_ms = cfg.store_timeout * 1000,
		.lease_ms = cfg.store_lease * 1000,
		.node = node,
	};
	if (load_secret(&cfg, secret, err, sizeof err) < 0 ||
	    store_open(cfg.store, &so, &st, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	char shown[1024];
	log_info("store: %s (%s)", store_url_mask(cfg.store, shown, sizeof shown),
		 store_backend_name(st));
	if (core_init(&core, &cfg, st, secret, err, sizeof err) < 0) {
		/* Everything core_init refuses is configuration: exit as a bad option does. */
		fprintf(stderr, "iotpd: %s\n", err);
		rc = 2;
		goto out;
	}
	if (policy_new(&cfg, st, &core.keys, &policy, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		rc = 2;
		goto out;
	}
	core.policy = policy;
	sodium_memzero(secret, sizeof secret);
	if (compat_upgrade(&core, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	if (cfg.dev)
		inbox = inbox_new();
	if (delivery_new(&cfg, inbox, &delivery, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		rc = 2; /* a configuration mistake, like those found above */
		goto out;
	}
	unsigned ch = delivery_channels(delivery);
	core.channels = (ch & PROVIDER_CHANNEL_SMS ? CORE_CHANNEL_SMS : 0) |
			(ch & PROVIDER_CHANNEL_VOICE ? CORE_CHANNEL_VOICE : 0) |
			(ch & PROVIDER_CHANNEL_WHATSAPP ? CORE_CHANNEL_WHATSAPP : 0);

	/* Requests may queue messages before the worker runs (it starts once the
	 * API listens); the worker's first drain picks those up. */
	core.outbox_claim = claim_for_worker;
	core.outbox_notify = notify_worker;
	struct events_context ec = {.cfg = &cfg,
				    .store = st,
				    .message_key = core.keys.message,
				    .webhook_of = app_webhook,
				    .arg = &core};
	if (events_start(&ec, &events, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	core.events_notify = events_notify;
	core.events_arg = events;
	struct api api = {.core = &core, .inbox = inbox, .delivery = delivery};
	struct http_options ho = {
		.listen = cfg.listen,
		.listen_fd = api_fd,
		.threads = cfg.http_threads,
		.timeout = cfg.http_timeout,
		.header_timeout = cfg.http_header_timeout,
		.max_connections = cfg.max_connections,
		.max_connections_per_ip = cfg.max_connections_per_ip,
		.max_connections_per_network = cfg.max_connections_per_network,
		.max_connections_per_site = cfg.max_connections_per_site,
		.authenticate = api_authenticate,
		.trusted_proxies = cfg.trusted_proxies,
		.access_log = cfg.access_log,
		.app = &api,
	};
	compat_http_options(&ho);
	/* With a listener of their own, reports are not served to the internet
	 * beside the API. */
	n_native = api_routes(cfg.dev, !cfg.callback_listen[0], &native);
	ho.n_routes = n_routes = compat_routes(&cfg, native, n_native, &routes);
	ho.routes = routes;
	char bound[300], reports_bound[300] = "";
	api_fd = -1; /* http_start owns it now, started or not */
	if (http_start(&ho, &srv, bound, sizeof bound, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	if (cfg.callback_listen[0]) {
		/* The same limits and timeouts as the API, but a gateway sends every
		 * report from one address: its per-address limit is its own. */
		struct http_options ro = ho;
		ro.listen = cfg.callback_listen;
		ro.listen_option = "callback_listen";
		ro.listen_fd = reports_fd;
		reports_fd = -1;
		ro.max_connections_per_ip = cfg.callback_max_connections_per_ip
						    ? cfg.callback_max_connections_per_ip
						    : cfg.max_connections;
		/* ... and so are its network's and site's, never below it. */
		if (ro.max_connections_per_network < ro.max_connections_per_ip)
			ro.max_connections_per_network = ro.max_connections_per_ip;
		if (ro.max_connections_per_site < ro.max_connections_per_ip)
			ro.max_connections_per_site = ro.max_connections_per_ip;
		ro.n_routes = api_report_routes(&ro.routes);
		if (http_start(&ro, &reports, reports_bound, sizeof reports_bound, err, sizeof err) <
		    0) {
			fprintf(stderr, "iotpd: %s\n", err);
			goto out;
		}
	}
	if (cfg.dev)
		log_warn("dev mode: messages go to %s/messages.jsonl and GET /v1/dev/inbox; "
			 "never expose this server",
			 cfg.data_dir);
	/* The worker starts once the API listens: callback URLs name its address. */
	char callback_base[512];
	if (cfg.callback_base_url[0])
		strfmt(callback_base, sizeof callback_base, "%s", cfg.callback_base_url);
	else
		strfmt(callback_base, sizeof callback_base, "http://%s",
		       reports ? reports_bound : bound);
	delivery_set_public_url(delivery, callback_base);
	startup_summary(&cfg, callback_base);
	struct worker_context wc = {.store = st,
				    .message_key = core.keys.message,
				    .threads = cfg.delivery_threads,
				    .batch = cfg.delivery_batch,
				    .deliver = cfg.delivery,
				    .dlr_timeout = cfg.dlr_timeout};
	if (worker_start(&wc, delivery, &worker, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	atomic_store(&the_worker, worker);
	if (retention_start(st, node, cfg.retention_days, &retention, err, sizeof err) < 0) {
		fprintf(stderr, "iotpd: %s\n", err);
		goto out;
	}
	if (!cfg.delivery)
		log_warn("delivery = false: messages stay in the outbox until it is turned back on");
	if (reports)
		printf("delivery reports on http://%s\n", reports_bound);
	char now_s[32];
	clock_format_ms(clock_now_ms(), now_s, sizeof now_s);
	printf("%s listening on http://%s\n", now_s, bound);
	fflush(stdout);

	int sig = 0;
	/* systemd (Type=notify) starts what depends on iotp only now. */
	sd_notify(0, "READY=1");
	while (sigwait(&stop, &sig) == 0 && sig == SIGHUP) {
		sd_notify(0, "RELOADING=1");
		reload(&a, &core, delivery);
		sd_notify(0, "READY=1");
	}
	sd_notify(0, "STOPPING=1");
	log_info("%s: finishing requests in flight, then stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	if (api_fd >= 0)
		close(api_fd);
	if (reports_fd >= 0)
		close(reports_fd);
	/* The API first: no new codes. Reports keep arriving until the second
	 * stop, so those in flight at the gateways still land. */
	http_stop(srv, SHUTDOWN_GRACE_MS);
	http_stop(reports, SHUTDOWN_GRACE_MS);
	atomic_store(&the_worker, NULL);
	compat_routes_free(routes, n_routes, n_native);
	free(native);
	worker_stop(worker);
	retention_stop(retention);
	delivery_free(delivery);
	events_stop(events);
	policy_free(policy);
	inbox_free(inbox);
	core_deinit(&core);
	store_close(st);
	config_deinit(&cfg);
	return rc;
}
