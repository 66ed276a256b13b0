/* Wall-clock time in milliseconds since the Unix epoch. Only the edges of the
 * program (http/, delivery/, main) read the clock; core/ receives "now" as an
 * argument so tests can drive time. */
#ifndef IOTP_CLOCK_H
#define IOTP_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);
/* RFC 3339 in UTC with milliseconds: "2026-11-26T23:30:18.123Z". size >= 25. */
void clock_format_ms(int64_t ms, char *buf, size_t size);
/* 10000-01-01T00:00:00Z: from there on a year takes five digits. */
#define CLOCK_YEAR_10000_MS 253402300800000LL

struct timespec;
/* The CLOCK_REALTIME instant ms from now, for pthread_cond_timedwait. */
void clock_deadline_in(int64_t ms, struct timespec *out);

#endif
