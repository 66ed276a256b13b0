/* The iotpctl commands that live in their own files. Each takes the loaded
 * configuration and the words after its name, and returns the exit status. */
#ifndef IOTP_CTL_H
#define IOTP_CTL_H

#include "config.h"

int ctl_template(const struct config *cfg, int argc, char **argv);

/* Needs no configuration and no store. */
int ctl_phone(int argc, char **argv);

struct store;
int ctl_account(const struct config *cfg, struct store *st, int argc, char **argv);

/* The commands against a running iotpd's admin API (tools/ctl_remote.c):
 * url its address, key its admin_key (NULL: $IOTP_ADMIN_KEY), json_out 1 to
 * print the answer as JSON. */
int ctl_remote(const char *url, const char *key, int json_out, int argc, char **argv);

/* The SQLite store's online backup and its restore (tools/ctl_backup.c);
 * store_url as iotpctl resolved it. A PostgreSQL store gets pg_dump advice. */
int ctl_backup(const char *store_url, int argc, char **argv);
int ctl_restore(const char *store_url, int argc, char **argv);

#endif
