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

struct config {
	int dev; /* --dev: log provider, dev inbox, relaxed defaults */

	char *listen;   /* "HOST:PORT" */
	char *data_dir;
	char *api_key;
	char *secret;   /* 64 hex digits, or "" to use <data_dir>/secret */
	char *app_name;

	int code_length;
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

	int http_threads;
	int http_timeout;           /* s */
	int max_connections;
	int max_connections_per_ip;
	char *sqlite_synchronous;
	char *log_level;
	char *provider;
	int delivery;               /* 0: keep messages in the outbox */
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
/* Writes the documented example file: every option, its help and default. */
void config_write_example(FILE *out);

void config_deinit(struct config *cfg);

#endif
