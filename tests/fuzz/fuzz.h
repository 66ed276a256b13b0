/* What the fuzz harnesses share: splitting one input into several strings,
 * an independent UTF-8 check, and an assertion that libFuzzer reports as a
 * crash (with the input saved) when a parser breaks its contract. */
#ifndef IOTP_FUZZ_H
#define IOTP_FUZZ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FUZZ_PARTS_MAX 8

/* The input cut at its first n - 1 NUL bytes into n NUL-terminated strings on
 * the heap; parts the input does not reach are "". The last part keeps the
 * rest, NULs included (its length in len[n - 1]). */
struct fuzz_parts {
	int n;
	char *s[FUZZ_PARTS_MAX];
	size_t len[FUZZ_PARTS_MAX];
};

static inline void fuzz_split(const uint8_t *data, size_t size, int n, struct fuzz_parts *p)
{
	size_t at = 0;
	p->n = n;
	for (int i = 0; i < n; i++) {
		size_t end = at;
		if (i < n - 1)
			while (end < size && data[end] != 0)
				end++;
		else
			end = size;
		size_t len = end > at ? end - at : 0;
		p->s[i] = malloc(len + 1);
		if (len)
			memcpy(p->s[i], data + at, len);
		p->s[i][len] = '\0';
		p->len[i] = len;
		at = end < size ? end + 1 : size;
	}
}

static inline void fuzz_parts_free(struct fuzz_parts *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->s[i]);
}

/* Whether len bytes of s are UTF-8, by jansson's decoder (an implementation
 * independent of iotp's own). */
static inline int fuzz_utf8(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	json_decref(j);
	return j != NULL;
}

#endif
