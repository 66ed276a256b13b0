/* event: what the app hears about (webhooks), made by core/ and stored in the
 * same transaction as what caused it; events/ delivers it. */
#ifndef IOTP_EVENT_H
#define IOTP_EVENT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Fills e as a new pending event with a fresh id. data (a JSON object) is
 * consumed. Returns 0, or -1 when data does not fit STORE_PAYLOAD_MAX. */
int event_make(struct store_event *e, const char *type, const char *app, const char *account_id,
	       int64_t now, json_t *data);

#endif
