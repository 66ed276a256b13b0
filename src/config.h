/* iotpd's configuration: every option is declared once, in the table in
 * config.c, with its name, type, default, bounds and help. From that table come
 * file parsing, IOTP_<NAME> environment overrides, validation, --dump-config
 * (secrets masked) and the example file docs/iotp.conf.example. */
#ifndef IOTP_CONFIG_H
#define IOTP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_LIST_MAX 16
#define CONFIG_TEST_NUMBERS_MAX 64

struct config_int_list {
	int n;
	int v[CONFIG_LIST_MAX];
};

struct config_test_number {
	char phone[17]; /* E.164 */
	char code[11];
};

/* One "[kind name]" block of the file: settings that belong to a thing there
 * can be several of (a provider, a route, an app, a language's templates).
 * config/ only reads them; the module that owns the kind checks and uses them,
 * naming file:line in its errors (config_section_where). */
struct config_entry {
	char *key;
	char *value;
	int line;
};

struct config_section {
	char *kind;  /* "provider" */
	char *name;  /* "kannel-eu"; "" when the header has no name */
	int line;
	int n;
	struct config_entry *entries;
};

struct config {
	int dev; /* --dev: log provider, dev inbox, relaxed defaults */

	char *listen;   /* "HOST:PORT" */
	char *data_dir;
	char *store;    /* "sqlite:PATH" or a libpq URI/conninfo; validate fills "" in */
	int store_pool_size;  /* postgres connections per node */
	int store_timeout;    /* s, postgres statement and connect timeout */
	int store_lease;      /* s a node may hold a claimed message */
	int retention_days;   /* sessions, messages, events older are removed; 0: kept */
	char *node_name;      /* "" for <hostname>:<data_dir> */
	char *api_key;
	char *secret;   /* 64 hex digits, or "" to use <data_dir>/secret */
	char *app_name;

	int code_length;
	int min_code_length;    /* fewest digits a client may ask for; [app ID] may override */
	int code_ttl;           /* s */
	int session_ttl;        /* s */
	int verified_ttl;       /* s */
	int max_check_attempts;
	struct config_int_list sms_delays;   /* s, before the 1st, 2nd, ... SMS */
	struct config_int_list voice_delays; /* s, 1st counted from the 1st SMS */
	char *allowed_number_types;
	char *default_region;

	char *test_numbers;
	int allow_test_numbers;
	int n_test_numbers;
	struct config_test_number test[CONFIG_TEST_NUMBERS_MAX];

	char *cpu_scheduling;       /* batch or normal */
	int http_threads;
	int http_timeout;           /* s */
	int http_header_timeout;    /* s */
	int max_connections;
	int max_connections_per_ip;
	int max_connections_per_network; /* /24 or /64 */
	int max_connections_per_site;    /* IPv6 /48 */
	char *sqlite_synchronous;
	char *log_level;
	char *log_format;           /* text or json */
	int access_log;             /* 1: a line per HTTP request */
	char *provider;
	int delivery;               /* 0: keep messages in the outbox */
	int delivery_threads;       /* messages handed over at once */
	int delivery_batch;         /* messages one driver hands over in a round */
	int dlr_timeout;            /* s without a report before a resend avoids the provider; 0 off */
	char *callback_base_url;    /* how gateways reach iotpd; "" = callback_listen, else listen */
	char *callback_listen;      /* "HOST:PORT" of the delivery-report listener; "" = none */
	int callback_max_connections_per_ip; /* on callback_listen; 0 = only max_connections */
	char *alpha_sender_forbidden; /* regions that refuse alphanumeric senders */

	int pin_max_attempts;
	struct config_int_list pin_waits;          /* s after the 1st, 2nd, ... wrong PIN */
	int pin_lapse;                             /* s */
	struct config_int_list pin_reminder_hours; /* h until the next reminder */
	int pin_reset_ttl;                         /* s */
	int reverify_after;                        /* s; 0: never */
	char *passkey_rp_id;                       /* the default app's; "" = passkeys off */
	char *passkey_origins;                     /* comma-separated; "" = https://<rp id> */
	char *passkey_user_verification;           /* "required" or "preferred" */
	int passkey_challenge_ttl;                 /* s */
	int passkeys_max;                          /* per account */
	char *public_url;
	char *smtp_url;
	char *smtp_from;
	char *smtp_user;
	char *smtp_password;
	char *smtp_tls;             /* "require", "opportunistic" or "off" */
	char *smtp_ca_file;         /* PEM CAs for the SMTP server's certificate; "" = the system's */
	int webhook_timeout;                       /* s */
	int events_threads;                        /* events/ delivery threads */
	int events_breaker_open;                   /* s, first rest of a failing destination */
	/* Fraud and abuse defence (policy/, docs/fraud.md). */
	int limits;                 /* 0: rate limits off (dev mode only) */
	char *trusted_proxies;      /* addresses whose X-Forwarded-For is believed */
	char *fraud_action;         /* "refuse" | "pretend" */
	int fraud_window;           /* s, half-life of the recent window */
	int fraud_baseline_window;  /* s, half-life of the baseline window */
	int fraud_prefix3_min_sent;
	int fraud_prefix5_min_sent;
	int fraud_country_min_sent;
	int fraud_baseline_min_sent;
	int fraud_throttle_percent; /* of the baseline */
	int fraud_block_percent;    /* of the baseline */
	int fraud_default_baseline; /* %, conversion assumed without history */
	int fraud_block_time;       /* s, a first block or throttle; doubles per repeat */
	int fraud_block_max;        /* s, the longest; and how long repeats are remembered */
	int fraud_pressure_window;  /* s, half-life of the short window of sessions */
	int fraud_pressure_floor;   /* unverified sessions beyond the usual before a proof-of-work */
	int fraud_pressure_young;   /* most sessions younger than the time to verify forgiven */
	int fraud_profile_min_sessions; /* a country's sessions before its hourly profile counts */
	int fraud_spread_floor;     /* sessions in never-verified blocks beyond the usual before a proof-of-work */
	char *pow_countries;
	int pow_network_numbers;    /* distinct unverified numbers per client site before a proof-of-work */
	char *reach_provider;       /* "" = no reachability lookup */
	char *reach_url;            /* with {phone} */
	char *reach_header;         /* "Name: value", secret */
	int reach_timeout_ms;       /* ms a lookup may take before sending anyway */
	int reach_cache_s;          /* s an answer is kept */
	int pow_ip_sessions;
	int pow_difficulty;         /* bits */
	int pow_max_difficulty;     /* bits, the most pressure asks */
	char *twilio_account_sid;   /* "" = the Twilio facade is off */
	int twilio_max_services;    /* per app */
	char *gotrue_jwt_secret;    /* "" = the GoTrue facade is off */
	char *metrics_token;        /* "" = GET /metrics is off */
	char *admin_key;            /* "" = /admin and /v1/admin are off */
	int web_page;               /* serve the registration page at / */
	char *gotrue_prefix;
	int gotrue_jwt_exp;         /* s */
	int gotrue_refresh_ttl;     /* s */

	char *path;                 /* the file read, or NULL */
	int n_sections;
	struct config_section *sections;
};

/* Fills cfg from defaults, then the file at path (may be NULL), then the
 * environment. dev selects the development defaults. On failure returns -1 and
 * writes a sentence naming the option into err; cfg must still be passed to
 * config_deinit. */
int config_load(struct config *cfg, const char *path, int dev, char *err, size_t errlen);

/* Sets one option by name from a string, as the file would ("listen",
 * "127.0.0.1:9000"). Command-line flags use it. Returns 0 or -1 with err. */
int config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen);

/* Checks cross-option rules after everything is set; returns 0 or -1 with err. */
int config_validate(struct config *cfg, char *err, size_t errlen);

/* Writes every option as "name = value", secrets masked. */
void config_dump(const struct config *cfg, FILE *out);
/* Calls fn for each IOTP_* variable of env (an environ-style array) that names
 * no option, so that a misspelling does not pass silently; suggest is the
 * nearest option's variable when it is a few letters off, else NULL. */
void config_unknown_env(char *const *env, void (*fn)(const char *name, const char *suggest, void *arg),
			void *arg);
/* Writes the documented example file: every option, its help and default. */
void config_write_example(FILE *out);

void config_deinit(struct config *cfg);

/* One row of the option table, for generated documentation (man pages). */
struct config_option_info {
	const char *name, *help, *def;
	const char *dev_def; /* NULL: the same as def */
	char env[64];        /* IOTP_<NAME> */
	int secret, is_int;
	long min, max;       /* is_int: bounds (each element of a list) */
};
/* Fills out with option i (0, 1, ...); -1 past the last. */
int config_option_info(size_t i, struct config_option_info *out);

/* The sections of one kind, in file order: pass NULL first, then the previous
 * answer; NULL when there are no more. */
const struct config_section *config_section_next(const struct config *cfg, const char *kind,
						 const struct config_section *prev);
/* The section "[kind name]", or NULL. */
const struct config_section *config_section_find(const struct config *cfg, const char *kind,
						 const char *name);
/* The value of key in a section, or NULL when it is not set. */
const char *config_section_get(const struct config_section *s, const char *key);
/* Refuses keys a section's owner does not know: allowed is NULL-terminated.
 * Returns 0, or -1 with "FILE:LINE: [kind name]: unknown setting 'x' (known: a, b)". */
int config_section_check_keys(const struct config *cfg, const struct config_section *s,
			      const char *const *allowed, char *err, size_t errlen);
/* Whether a section setting's value is a credential, by its name (it holds
 * "secret", "password", "token", "key" or "auth"): masked in --dump-config.
 * Modules name their credential settings so. */
int config_key_is_secret(const char *key);
/* Writes "FILE:LINE: [kind name]" for a section (line 0) or for one of its
 * entries, so errors point where the operator has to look. */
void config_section_where(const struct config *cfg, const struct config_section *s,
			  const char *key, char *buf, size_t size);

#endif
