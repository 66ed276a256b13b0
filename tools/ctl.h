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

#endif
