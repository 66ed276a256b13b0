/* report: what a gateway's delivery report means, in iotp's states and in
 * words a support person can repeat to the person waiting for a code. */
#ifndef IOTP_REPORT_H
#define IOTP_REPORT_H

#include <stddef.h>

#include "delivery/provider.h"

/* A Kannel report: type is dlr-url's %d (1 delivered, 2 failed, 4 buffered,
 * 8 SMSC accepted, 16 SMSC rejected), reply its %A (for SMPP, the receipt
 * "id:... stat:UNDELIV err:..."). Fills out->state and out->reason; returns 0,
 * PROVIDER_REPORT_IGNORED (buffered) or PROVIDER_REPORT_INVALID. The reason is
 * UTF-8 whatever reply holds. */
int report_from_kannel(int type, const char *reply, struct provider_report *out, char *error,
                       size_t errlen);

/* The state of an SMPP receipt's "stat:" word (DELIVRD, UNDELIV, EXPIRED,
 * REJECTD, DELETED, ACCEPTD, ENROUTE, UNKNOWN) with its reason; -1 when the
 * text holds none. err is the receipt's "err:" code or "". */
int report_smpp_stat(const char *receipt, char *reason, size_t size);

/* enum store_message_state for "submitted", "accepted", "delivered",
 * "failed", "expired"; -1 for anything else. */
int report_state_from_name(const char *name);

#endif
