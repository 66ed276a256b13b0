#include "base/log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/utf8.h"

#define LINE_MAX_BYTES 4096

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_FORMAT_TEXT;
static const char *const names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int log_enabled(enum log_level level)
{
	return level >= min_level;
}

void log_set_format(enum log_format f)
{
	format = f;
}

int log_format_from_name(const char *name)
{
	if (strcmp(name, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcmp(name, "json") == 0)
		return LOG_FORMAT_JSON;
	return -1;
}

size_t log_mask_numbers(const char *in, char *out, size_t size)
{
	size_t o = 0;
	if (!size)
		return 0;
	for (size_t i = 0; in[i] && o + 1 < size;) {
		size_t start = i, plus = in[i] == '+';
		size_t d = start + plus, e = d;
		while (isdigit((unsigned char)in[e]))
			e++;
		size_t digits = e - d;
		int word_before = start > 0 && (isalnum((unsigned char)in[start - 1]) || in[start - 1] == '_');
		int word_after = isalnum((unsigned char)in[e]) || in[e] == '_';
		int number = digits && !word_before && !word_after &&
			     (plus ? digits >= 7 && digits <= 15 : digits >= 9 && digits <= 15);
		if (!number) {
			/* Copy this byte (a whole digit run at once: its tail is no number). */
			size_t end = digits && !plus ? e : i + 1;
			if (plus && digits)
				end = e;
			for (; i < end && o + 1 < size; i++)
				out[o++] = in[i];
			i = end;
			continue;
		}
		size_t head = plus ? 4 : 3, tail = 2;
		if (plus)
			out[o++] = '+';
		for (size_t k = 0; k < digits && o + 1 < size; k++)
			out[o++] = k < head || k >= digits - tail ? in[d + k] : '*';
		i = e;
	}
	out[o] = '\0';
	return o;
}

/* Appends s as the inside of a JSON string; returns the new length. */
static size_t put_json(char *line, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s && n + 8 < LINE_MAX_BYTES; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			line[n++] = '\\';
			line[n++] = (char)c;
		} else if (c == '\n') {
			line[n++] = '\\';
			line[n++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(line + n, "\\u00", 4);
			line[n + 4] = hex[c >> 4];
			line[n + 5] = hex[c & 15];
			n += 6;
		} else {
			line[n++] = (char)c;
		}
	}
	return n;
}

static size_t put_raw(char *line, size_t n, const char *s)
{
	size_t k = strlen(s);
	if (n + k >= LINE_MAX_BYTES - 4)
		k = LINE_MAX_BYTES - 4 - n;
	memcpy(line + n, s, k);
	return n + k;
}

static void format_num(const struct log_field *f, char *buf, size_t size)
{
	if (f->num_scale == 1000)
		snprintf(buf, size, "%s%lld.%03lld", f->num < 0 ? "-" : "",
			 (f->num < 0 ? -f->num : f->num) / 1000, (f->num < 0 ? -f->num : f->num) % 1000);
	else
		snprintf(buf, size, "%lld", f->num);
}

/* Masks and scrubs one text so that it is safe to write and valid UTF-8. */
static void clean(const char *in, char *out, size_t size)
{
	log_mask_numbers(in, out, size);
	utf8_scrub(out);
}

static void emit(enum log_level level, const char *msg, const struct log_field *fields, size_t nf)
{
	char line[LINE_MAX_BYTES], when[96], buf[2048], num[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	size_t n = 0;
	clean(msg, buf, sizeof buf);
	if (format == LOG_FORMAT_JSON) {
		n = put_raw(line, n, "{\"time\":\"");
		n = put_raw(line, n, when);
		n = put_raw(line, n, "\",\"level\":\"");
		n = put_raw(line, n, names[level]);
		n = put_raw(line, n, "\",\"msg\":\"");
		n = put_json(line, n, buf);
		n = put_raw(line, n, "\"");
		for (size_t i = 0; i < nf; i++) {
			n = put_raw(line, n, ",\"");
			n = put_json(line, n, fields[i].key);
			n = put_raw(line, n, "\":");
			if (fields[i].str) {
				clean(fields[i].str, buf, sizeof buf);
				n = put_raw(line, n, "\"");
				n = put_json(line, n, buf);
				n = put_raw(line, n, "\"");
			} else {
				format_num(&fields[i], num, sizeof num);
				n = put_raw(line, n, num);
			}
		}
		n = put_raw(line, n, "}");
	} else {
		n = put_raw(line, n, when);
		n = put_raw(line, n, " ");
		n = put_raw(line, n, names[level]);
		n = put_raw(line, n, " ");
		n = put_raw(line, n, buf);
		for (size_t i = 0; i < nf; i++) {
			n = put_raw(line, n, " ");
			n = put_raw(line, n, fields[i].key);
			n = put_raw(line, n, "=");
			if (fields[i].str) {
				clean(fields[i].str, buf, sizeof buf);
				n = put_raw(line, n, buf[0] ? buf : "-");
			} else {
				format_num(&fields[i], num, sizeof num);
				n = put_raw(line, n, num);
			}
		}
	}
	line[n++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	fwrite(line, 1, n, stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit(level, msg, NULL, 0);
}

void log_event(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
	if (level < min_level)
		return;
	emit(level, msg, fields, n);
}
