/* sms: how long a text is as an SMS — 3GPP TS 23.038's GSM 7-bit default
 * alphabet or UCS-2, and how many segments it takes.
 *
 * One SMS carries 140 bytes: 160 GSM-7 septets or 70 UCS-2 units. A longer text
 * is sent as parts that each lose 6 bytes to the concatenation header, leaving
 * 153 septets or 67 units per part; operators bill every part. A single
 * character outside the GSM-7 tables switches the whole message to UCS-2. */
#ifndef IOTP_MSG_SMS_H
#define IOTP_MSG_SMS_H

#include <stddef.h>
#include <stdint.h>

#define MSG_GSM7_SINGLE 160 /* septets in a one-segment message */
#define MSG_GSM7_PART 153   /* septets per part of a longer one */
#define MSG_UCS2_SINGLE 70  /* UTF-16 units in a one-segment message */
#define MSG_UCS2_PART 67    /* UTF-16 units per part of a longer one */

enum msg_encoding {
	MSG_GSM7 = 0,
	MSG_UCS2 = 1,
};

struct msg_sms_size {
	enum msg_encoding encoding;
	size_t chars;        /* Unicode code points */
	size_t units;        /* GSM-7 septets, or UTF-16 code units for UCS-2 */
	size_t limit;        /* units that fit one segment: 160 or 70 */
	int segments;        /* SMS parts the text needs; 1 for an empty text */
	uint32_t first_ucs2; /* the first character that forced UCS-2, else 0 */
};

/* Septets a character takes in GSM-7: 1 for the basic table, 2 for the
 * extension table (form feed, ^ { } \ [ ~ ] | and the euro sign, each sent as
 * ESC and a second septet), 0 when GSM-7 cannot carry it. The escape
 * character U+001B itself is not text and counts as 0. */
int msg_gsm7_septets(uint32_t cp);

/* Measures a NUL-terminated UTF-8 text. Outside the Basic Multilingual Plane
 * a character takes two UTF-16 units (a surrogate pair); parts are counted
 * the way senders cut them, never splitting a surrogate pair or an extension
 * table's escape from its septet. Returns 0, or MSG_EUTF8. */
int msg_sms_measure(const char *text, struct msg_sms_size *out);

/* "GSM-7" or "UCS-2". */
const char *msg_encoding_name(enum msg_encoding enc);

/* The unit the encoding counts in: "septets" or "UCS-2 units". */
const char *msg_encoding_unit(enum msg_encoding enc);

#endif
