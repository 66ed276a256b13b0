/* iotpctl: the operator's command line. Reads iotpd's store directly (safe while
 * iotpd runs: SQLite in WAL mode lets readers and the writer work at once) to
 * answer "I never got my code": every session and message of a number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "config.h"
#include "ctl.h"
#include "phone/phone.h"
#include "policy/policy.h"
#include "store/copy.h"
#include "store/store.h"

static void usage(FILE *out)
{
	fputs("usage: iotpctl [--store URL | --data DIR] [--config FILE] [--dev] COMMAND\n"
	      "\n"
	      "Commands:\n"
	      "  number PHONE   the number's last 20 sessions, newest session first, each with\n"
	      "                 every message sent for it, oldest message first (PHONE in any\n"
	      "                 format with a country code), then its last 50 checks and limits\n"
	      "                 hit, newest first\n"
	      "  session ID     one session and its messages\n"
	      "  stats          counts of sessions and messages, and per provider and region\n"
	      "                 the time from code request to submission and to delivery\n"
	      "  account show PHONE [--app ID]\n"
	      "                 the account on a number: device, PIN, re-verification, events\n"
	      "  account reverify PHONE [--app ID] [--reason TEXT]\n"
	      "                 marks it: its device must verify the number again\n"
	      "  template preview --phone +E164 [--locale TAG] [--app ID]\n"
	      "                 the exact SMS and voice texts the number would get, the\n"
	      "                 language and why, the encoding and the segment count\n"
	      "  fraud list     number ranges and countries throttled or blocked for SMS\n"
	      "                 pumping, and why (docs/fraud.md)\n"
	      "  fraud unblock KEY\n"
	      "                 lifts a measure (KEY as 'fraud list' shows it, e.g.\n"
	      "                 p3|+447911123); its counters start afresh\n"
	      "  fraud events   the fraud event log, oldest first\n"
	      "  backup FILE    a consistent copy of the SQLite store into FILE (a new file),\n"
	      "                 taken while iotpd runs (PostgreSQL: use pg_dump)\n"
	      "  restore FILE   puts a backup back as the store, with iotpd stopped\n"
	      "  phone check NUMBER [REGION]\n"
	      "                 what iotp makes of a number: status, E.164, region, calling\n"
	      "                 code, type, national and international forms (tab-separated;\n"
	      "                 NUMBER '-' reads lines of NUMBER[<TAB>REGION] from stdin)\n"
	      "  phone version  the numbering plans in use: the metadata's package, version\n"
	      "                 and hash\n"
	      "  phone regions  every region with its calling code and an example number\n"
	      "  copy --to URL [--replace]\n"
	      "                 copies the SQLite store (--store, --data or the configuration's;\n"
	      "                 stop iotpd first) into the PostgreSQL store URL, every table,\n"
	      "                 all or nothing, and prints the rows copied per table; refuses\n"
	      "                 a target that holds data unless --replace (which empties it)\n"
	      "\n"
	      "Options:\n"
	      "  --store URL    the store to open: sqlite:DIR/FILE or postgres://... (default:\n"
	      "                 the configuration's store, else $IOTP_STORE, else the SQLite\n"
	      "                 database under the data directory)\n"
	      "  --data DIR     iotpd's data directory, for its SQLite database (default: the\n"
	      "                 configuration's data_dir, else $IOTP_DATA_DIR, else ./iotp-data)\n"
	      "  --config FILE  iotpd's configuration file (templates, apps, data_dir)\n"
	      "  --dev          read the configuration with iotpd --dev's defaults (the default\n"
	      "                 without --config)\n"
	      "  --url URL      ask a running iotpd instead, through its admin API (number,\n"
	      "                 stats [RANGE], fraud list, fraud unblock KEY): no access to\n"
	      "                 its data directory needed\n"
	      "  --key KEY      the server's admin_key for --url (default $IOTP_ADMIN_KEY)\n"
	      "  --json         with --url: print the server's JSON answer as it is\n"
	      "  --help         this text\n",
	      out);
}

static void when(int64_t ms, char *buf, size_t size)
{
	if (ms)
		clock_format_ms(ms, buf, size);
	else
		strfmt(buf, size, "-");
}

static void print_message(const struct store_message *m, void *arg)
{
	(void)arg;
	char created[32], sent[32];
	when(m->created_at, created, sizeof created);
	when(m->sent_at, sent, sizeof sent);
	printf("    %s  %-5s via %-8s %-9s attempts=%d sent=%s", created, m->channel,
	       m->provider[0] ? m->provider : "-", store_message_state_name(m->state), m->attempts,
	       sent);
	if (m->sent_at)
		printf(" (+%lld ms)", (long long)(m->sent_at - m->created_at));
	if (m->final_at) {
		char fin[32];
		when(m->final_at, fin, sizeof fin);
		printf(" %s=%s (+%lld ms)", store_message_state_name(m->state), fin,
		       (long long)(m->final_at - m->created_at));
	}
	printf("%s%s\n", m->error[0] ? "\n      why: " : "", m->error);
}

static const char *const outcomes[] = {"submitted", "refused", "failed", "unknown", "skipped"};

static void print_attempt(const struct store_attempt *a, void *arg)
{
	(void)arg;
	char at[32];
	when(a->started_at, at, sizeof at);
	printf("      hand-over %s  message %.8s…  to %-10s %-9s (%lld ms)%s%s\n", at, a->message_id,
	       a->provider, (unsigned)a->outcome < 5 ? outcomes[a->outcome] : "?",
	       (long long)(a->finished_at - a->started_at), a->error[0] ? ": " : "", a->error);
}

/* A number's note (store/store.h): a check's outcome or a limit hit. */
static void print_note(const struct store_note *n, void *arg)
{
	int *header = arg;
	char at[32];
	if (!*header) {
		printf("checks and limits hit, newest first:\n");
		*header = 1;
	}
	when(n->at, at, sizeof at);
	printf("  %s  %-20s %s%s%s\n", at, n->kind, n->detail, n->session_id[0] ? "  session " : "",
	       n->session_id);
}

static void print_session(const struct store_session *s, struct store *st)
{
	char created[32], verified[32];
	when(s->created_at, created, sizeof created);
	when(s->verified_at, verified, sizeof verified);
	printf("session %s  %s (%s, %s)\n  created %s  sms=%d voice=%d checks=%d verified=%s\n", s->id,
	       s->phone, s->region, s->number_type, created, s->sms_sent, s->voice_sent,
	       s->check_attempts, verified);
	if (s->test_number)
		printf("  test number: nothing is sent\n");
	if (s->canceled_at) {
		char canceled[32];
		when(s->canceled_at, canceled, sizeof canceled);
		printf("  canceled %s by the app: its code no longer works\n", canceled);
	}
	if (s->code_length)
		printf("  codes of %d digits\n", s->code_length);
	store_session_messages(st, s->id, print_message, NULL);
	store_session_attempts(st, s->id, print_attempt, NULL);
}

static void print_delivery(const struct store_delivery_stats *d, void *arg)
{
	int *header = arg;
	if (!*header) {
		printf("\ndelivery (last 24 h)   provider        region  messages submitted delivered "
		       "failed  submit avg/max ms  deliver avg/max ms\n");
		*header = 1;
	}
	printf("delivery               %-15s %-6s  %8lld %9lld %9lld %6lld  %8lld/%-8lld  %8lld/%lld\n",
	       d->provider, d->region[0] ? d->region : "-", (long long)d->messages,
	       (long long)d->submitted, (long long)d->delivered, (long long)d->failed,
	       (long long)d->submit_ms_avg, (long long)d->submit_ms_max,
	       (long long)d->deliver_ms_avg, (long long)d->deliver_ms_max);
}

/* Store callbacks run under the store's lock, so sessions are gathered first
 * and their messages read after. */
struct gathered {
	size_t n;
	struct store_session s[20];
};

static void gather(const struct store_session *s, void *arg)
{
	struct gathered *g = arg;
	if (g->n < sizeof g->s / sizeof g->s[0])
		g->s[g->n++] = *s;
}

static void print_block(const struct store_block *b, void *arg)
{
	(void)arg;
	char since[32], until[32], what[64];
	/* A measure that has run out stays recorded for its strikes, not shown. */
	if (b->until && b->until <= clock_now_ms())
		return;
	when(b->since, since, sizeof since);
	if (b->until)
		clock_format_ms(b->until, until, sizeof until);
	else
		strfmt(until, sizeof until, "lifted");
	policy_describe_key(b->key, what, sizeof what);
	printf("%-20s %-9s since %s  until %s  strike %d  sent=%.0f verified=%.0f "
	       "baseline=%.0f%%  (%s)\n",
	       b->key, b->state == STORE_BLOCK_BLOCKED ? "blocked" : "throttled", since, until,
	       b->strikes, b->sent, b->verified, 100.0 * b->baseline, what);
}

static void print_event(const struct store_fraud_event *e, void *arg)
{
	(void)arg;
	char at[32];
	when(e->at, at, sizeof at);
	printf("%lld  %s  %-24s %-20s %s\n", (long long)e->id, at, e->type, e->subject, e->detail);
}

/* iotpctl fraud list|unblock KEY|events */
static int fraud(struct store *st, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "list";
	if (!strcmp(sub, "list")) {
		printf("%-20s %-9s\n", "KEY", "MEASURE");
		return store_blocks_list(st, print_block, NULL) < 0 ? 1 : 0;
	}
	if (!strcmp(sub, "events"))
		return store_fraud_events(st, 0, 1000000, print_event, NULL) < 0 ? 1 : 0;
	if (!strcmp(sub, "unblock")) {
		if (argc < 2) {
			fprintf(stderr, "iotpctl: fraud unblock needs a KEY from 'iotpctl fraud list'\n");
			return 2;
		}
		const char *who = getenv("USER");
		char by[64];
		strfmt(by, sizeof by, "iotpctl (%s)", who ? who : "unknown user");
		int rc = policy_unblock(st, argv[1], by, clock_now_ms());
		if (rc == STORE_NOT_FOUND) {
			fprintf(stderr,
				"iotpctl: nothing is blocked or throttled under '%s' "
				"(see 'iotpctl fraud list')\n",
				argv[1]);
			return 1;
		}
		if (rc < 0)
			return 1;
		printf("lifted %s; iotpd sees it within a second\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "iotpctl: unknown fraud command '%s' (list, unblock KEY, events)\n", sub);
	return 2;
}

static void print_copied(const char *table, int64_t rows, void *arg)
{
	int64_t *total = arg;
	*total += rows;
	printf("%-20s %lld\n", table, (long long)rows);
}

/* iotpctl copy --to URL [--replace] */
static int copy(const char *from, int argc, char **argv)
{
	const char *to = NULL;
	int replace = 0;
	for (int k = 0; k < argc; k++) {
		if (!strcmp(argv[k], "--to") && k + 1 < argc) {
			to = argv[++k];
		} else if (!strcmp(argv[k], "--replace")) {
			replace = 1;
		} else {
			fprintf(stderr, "iotpctl: copy takes --to URL [--replace], not '%s'\n", argv[k]);
			return 2;
		}
	}
	if (!to) {
		fprintf(stderr, "iotpctl: copy needs --to postgres://... (the PostgreSQL store to "
				"fill)\n");
		return 2;
	}
#ifndef IOTP_HAVE_POSTGRES
	(void)from, (void)replace;
	fprintf(stderr, "iotpctl: this build has no PostgreSQL store (meson -Dpostgres=enabled)\n");
	return 1;
#else
	char err[2048], shown[1024];
	int64_t total = 0;
	int rc = store_copy(from, to, replace, print_copied, &total, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "iotpctl: %s\n", err);
		return 1;
	}
	store_url_mask(to, shown, sizeof shown);
	printf("copied %lld rows into %s\n", (long long)total, shown);
	return 0;
#endif
}

int main(int argc, char **argv)
{
	const char *data = NULL, *config_path = NULL, *store_url = NULL, *url = NULL, *key = NULL;
	int i = 1, dev = 0, json_out = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
			store_url = argv[++i];
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			data = argv[++i];
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config_path = argv[++i];
		} else if (!strcmp(argv[i], "--dev")) {
			dev = 1;
		} else if (!strcmp(argv[i], "--url") && i + 1 < argc) {
			url = argv[++i];
		} else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
			key = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json_out = 1;
		} else {
			fprintf(stderr, "iotpctl: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* Against a running server: no configuration or store is read here. */
	if (url)
		return ctl_remote(url, key, json_out, argc - i, argv + i);
	const char *cmd = argv[i++];
	const char *arg = i < argc ? argv[i] : NULL;
	char err[1024];
	struct config cfg;
	/* Without a file there is nothing of the server's to check (no key, no
	 * apps): read with the development defaults. */
	if (config_load(&cfg, config_path, dev || !config_path, err, sizeof err) < 0 ||
	    config_validate(&cfg, err, sizeof err) < 0) {
		fprintf(stderr, "iotpctl: %s\n", err);
		config_deinit(&cfg);
		return 2;
	}
	if (!strcmp(cmd, "phone")) {
		config_deinit(&cfg);
		return ctl_phone(argc - i, argv + i);
	}
	if (!strcmp(cmd, "template")) {
		int trc = ctl_template(&cfg, argc - i, argv + i);
		config_deinit(&cfg);
		return trc;
	}
	/* --store wins, then --data (its SQLite file), then what the configuration
	 * (file, then environment) names. */
	char data_url[4200];
	if (!store_url && data) {
		strfmt(data_url, sizeof data_url, "sqlite:%s/iotp.db", data);
		store_url = data_url;
	}
	if (!store_url)
		store_url = cfg.store;
	if (!strcmp(cmd, "backup") || !strcmp(cmd, "restore")) {
		int brc = (!strcmp(cmd, "backup") ? ctl_backup : ctl_restore)(store_url, argc - i,
									       argv + i);
		config_deinit(&cfg);
		return brc;
	}
	if (!strcmp(cmd, "copy")) {
		int crc = copy(store_url, argc - i, argv + i);
		config_deinit(&cfg);
		return crc;
	}
	if ((!strcmp(cmd, "number") || !strcmp(cmd, "session")) && !arg) {
		fprintf(stderr, "iotpctl: %s needs an argument\n", cmd);
		config_deinit(&cfg);
		return 2;
	}
	/* iotpctl never creates a store (a wrong --data must fail, not print zeros
	 * from a new empty database), and opens it read-only unless the command
	 * changes something. */
	const char *sub = arg ? arg : "";
	int writes = (!strcmp(cmd, "account") && !strcmp(sub, "reverify")) ||
		     (!strcmp(cmd, "fraud") && !strcmp(sub, "unblock"));
	struct store *st;
	struct store_options so = {.pool_size = 2,
				   .statement_timeout_ms = cfg.store_timeout * 1000,
				   .existing_only = 1,
				   .read_only = !writes};
	if (store_open(store_url, &so, &st, err, sizeof err) < 0) {
		fprintf(stderr, "iotpctl: %s\n", err);
		config_deinit(&cfg);
		return 1;
	}
	int rc = 0;
	if (!strcmp(cmd, "number")) {
		struct phone_number n;
		phone_init();
		if (phone_parse(arg, NULL, &n) != PHONE_OK) {
			fprintf(stderr, "iotpctl: '%s' is not a phone number with a country code\n", arg);
			rc = 2;
		} else {
			struct gathered *g = xcalloc(1, sizeof *g);
			printf("%s\n", n.e164);
			if (store_number_sessions(st, n.e164, 20, gather, g) < 0)
				rc = 1;
			for (size_t k = 0; k < g->n; k++)
				print_session(&g->s[k], st);
			free(g);
			int header = 0;
			if (rc == 0 && store_notes_of(st, n.e164, 0, 50, print_note, &header) < 0)
				rc = 1;
		}
	} else if (!strcmp(cmd, "session")) {
		struct store_session s;
		int r = strlen(arg) < STORE_ID_MAX ? store_session_get(st, arg, &s) : STORE_NOT_FOUND;
		if (r == STORE_NOT_FOUND) {
			fprintf(stderr, "iotpctl: no session %s\n", arg);
			rc = 1;
		} else if (r < 0) {
			rc = 1;
		} else {
			print_session(&s, st);
		}
	} else if (!strcmp(cmd, "stats")) {
		struct store_stats s;
		if (store_get_stats(st, &s) < 0) {
			rc = 1;
		} else {
			printf("sessions %lld\nverified %lld\nmessages queued %lld\nmessages sent %lld\n"
			       "messages failed %lld\n",
			       (long long)s.sessions, (long long)s.verified, (long long)s.messages_queued,
			       (long long)s.messages_sent, (long long)s.messages_failed);
			int header = 0;
			if (store_delivery_stats(st, clock_now_ms() - 24LL * 3600 * 1000, print_delivery,
						 &header) < 0)
				rc = 1;
		}
	} else if (!strcmp(cmd, "account")) {
		rc = ctl_account(&cfg, st, argc - i, argv + i);
	} else if (!strcmp(cmd, "fraud")) {
		rc = fraud(st, argc - i, argv + i);
	} else {
		fprintf(stderr, "iotpctl: unknown command '%s'\n\n", cmd);
		usage(stderr);
		rc = 2;
	}
	store_close(st);
	config_deinit(&cfg);
	return rc;
}
