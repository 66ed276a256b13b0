/* sender: who a message says it is from, per country. Where a country allows
 * it, an SMS comes from an alphanumeric sender id ("iotp"); where it forbids
 * them (option alpha_sender_forbidden, a list the operator can change) or none
 * is set, from a number. Voice calls always show the number. Settings come
 * from "[sender XX]" sections (XX a region) with "[sender default]" behind. */
#ifndef IOTP_SENDER_H
#define IOTP_SENDER_H

#include <stddef.h>

#include "config.h"

struct sender_table;

/* Reads and checks the [sender ...] sections and the forbidden list. Sets *out
 * only on success; else returns -1 with "FILE:LINE: ..." in err. */
int sender_table_new(const struct config *cfg, struct sender_table **out, char *err, size_t errlen);
void sender_table_free(struct sender_table *t);

/* The sender for a message to region over channel; "" when none is set. */
const char *sender_for(const struct sender_table *t, const char *region, const char *channel);

/* Whether region is in the list of countries that refuse alphanumeric senders. */
int sender_alpha_forbidden(const struct sender_table *t, const char *region);

#endif
