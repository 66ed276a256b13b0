#include "base/alloc.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
	fprintf(stderr, "iotp: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		oom(size);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

int strfmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int strpast(char *out, size_t size, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n >= size) {
		if (size)
			out[0] = '\0';
		return -1;
	}
	memcpy(out, prefix, n + 1);
	while (n > 0 && (unsigned char)out[n - 1] == 0xff)
		out[--n] = '\0';
	if (n > 0)
		out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
	return 0;
}

int strjoin(char *out, size_t size, const char *a, const char *b, const char *c)
{
	const char *part[3] = {a, b, c};
	size_t at = 0;
	if (size == 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (!part[i])
			continue;
		size_t n = strlen(part[i]);
		if (n >= size - at) {
			memcpy(out + at, part[i], size - at - 1);
			out[size - 1] = '\0';
			return -1;
		}
		memcpy(out + at, part[i], n);
		at += n;
	}
	out[at] = '\0';
	return 0;
}

/* glibc hands the free top of a heap back to the kernel once it passes a
 * threshold that it adjusts as it goes: a thread's arena then shrank and grew
 * again with every few requests (SQLite frees a savepoint's pages, the next
 * write needs them), each shrink an madvise with a TLB flush on every core and
 * each growth page faults: 8-11 % of iotpd's CPU in front of Kannel
 * (bench/RESULTS.md). Fixed thresholds instead: up to TRIM_KEEP free at the
 * top of each heap stays, and blocks below MMAP_FROM come from the heaps, not
 * from an mmap and munmap each. RSS after a million sessions stays within its
 * target (bench/rss.sh). */
#define TRIM_KEEP (8 << 20)
#define MMAP_FROM (4 << 20)

void alloc_keep_freed(void)
{
	mallopt(M_TRIM_THRESHOLD, TRIM_KEEP);
	mallopt(M_MMAP_THRESHOLD, MMAP_FROM);
}
