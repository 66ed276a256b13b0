/* Allocation failure is decided here, once: iotp cannot serve without memory,
 * so these abort with a message instead of returning NULL. */
#ifndef IOTP_ALLOC_H
#define IOTP_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* For a long-running server, before its threads start: memory freed at the
 * top of a heap stays for the next allocation instead of going back to the
 * kernel at once (see alloc.c). */
void alloc_keep_freed(void);

/* snprintf that reports truncation: returns 0, or -1 when out did not fit. */
int strfmt(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* a, then b and c (either may be NULL), into out; 0, or -1 when it was cut
 * to fit (out ends in a NUL either way). For strings built on every request
 * (keys of buckets and counters), where printf's parsing of its format was a
 * tenth of a refusal's CPU. */
int strjoin(char *out, size_t size, const char *a, const char *b, const char *c);
/* The least string past every string that starts with prefix, bytewise (the
 * prefix with its last byte raised; "" when there is none: prefix empty or
 * all 0xff bytes), into out: the end of a range of keys by prefix. 0, or -1
 * when it did not fit. */
int strpast(char *out, size_t size, const char *prefix);

#endif
