/* Generated man pages (see config_man.c). */
#ifndef IOTP_CONFIG_MAN_H
#define IOTP_CONFIG_MAN_H

#include <stdio.h>

#define IOTP_VERSION "0.1.0"

/* Writes the man page named "iotp.conf.5" or "iotpd.8"; -1 for another name. */
int config_write_man(const char *page, FILE *out);

#endif
