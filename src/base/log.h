/* Logging to stderr, one line per event, as text ("TIME LEVEL message
 * key=value ...") or, with log_format = json, as one JSON object per line
 * ({"time","level","msg", fields...}) for log collectors.
 *
 * Never pass a code, PIN, API key or secret to these functions: logs are read
 * by people who must not see them. Phone numbers are masked on the way out
 * (see log_mask_numbers), wherever in a message they appear. */
#ifndef IOTP_LOG_H
#define IOTP_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

void log_set_level(enum log_level level);
/* Returns the level for "debug", "info", "warn" or "error", or -1. */
int log_level_from_name(const char *name);
/* 1 when a line at this level would be written (to skip building one). */
int log_enabled(enum log_level level);
void log_set_format(enum log_format format);
/* Returns the format for "text" or "json", or -1. */
int log_format_from_name(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One field of a structured event: a string (str set; NULL-free) or, when
 * str is NULL, an integer; num_scale 1000 writes num/1000 with three
 * decimals (durations kept in microseconds, shown in milliseconds). */
struct log_field {
	const char *key;
	const char *str;
	long long num;
	int num_scale;
};

/* A structured event: msg, then each field as key=value (text) or as a
 * member of the object (json). String values are masked like messages. */
void log_event(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

/* Copies in to out (size bytes, NUL-ended, cut if needed) with every phone
 * number's middle digits replaced by '*': '+' and 7 to 15 digits keep the
 * '+', their first 4 digits and last 2; a bare run of 9 to 15 digits (not
 * part of a longer word: ids and hex stay) keeps its first 3 and last 2.
 * A code (4 to 10 digits, never logged anyway) is too short to be taken for
 * a number. Returns the length written. */
size_t log_mask_numbers(const char *in, char *out, size_t size);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
