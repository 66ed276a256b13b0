#include "base/alloc.h"

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
