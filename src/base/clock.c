#include "base/clock.h"

#include <stdio.h>
#include <time.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The civil date of a day counted from 1970-01-01, in the proleptic
 * Gregorian calendar (Howard Hinnant's days_from_civil, inverted), for
 * days >= 0. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468; /* from 0000-03-01 */
	int64_t era = days / 146097;
	int64_t doe = days - era * 146097;				      /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		      /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;				      /* [0, 11] */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static char *digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* Every answer carries a few of these: gmtime_r takes glibc's time-zone lock
 * and snprintf parses its format, so the usual case is written by hand. */
void clock_format_ms(int64_t ms, char *buf, size_t size)
{
	if (ms < 0 || ms >= CLOCK_YEAR_10000_MS || size < sizeof "2026-12-07T15:04:05.123Z") {
		time_t s = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(ms % 1000));
		return;
	}
	int64_t s = ms / 1000, y;
	int m, d;
	civil_from_days(s / 86400, &y, &m, &d);
	char *p = digits(buf, y, 4);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, s % 86400 / 3600, 2);
	*p++ = ':';
	p = digits(p, s % 3600 / 60, 2);
	*p++ = ':';
	p = digits(p, s % 60, 2);
	*p++ = '.';
	p = digits(p, ms % 1000, 3);
	*p++ = 'Z';
	*p = '\0';
}

void clock_deadline_in(int64_t ms, struct timespec *out)
{
	clock_gettime(CLOCK_REALTIME, out);
	out->tv_sec += (time_t)(ms / 1000);
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}
