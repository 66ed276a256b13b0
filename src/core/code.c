#include "core/code.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Bytes drawn at once: a code needs length of them and a few more when some
 * are rejected; one draw is one system call (a draw per digit was six). */
#define DRAW 32

void code_generate(int length, char *out)
{
	unsigned char r[DRAW];
	size_t used = DRAW;
	for (int i = 0; i < length;) {
		if (used == DRAW) {
			randombytes_buf(r, sizeof r);
			used = 0;
		}
		/* 250 is the largest multiple of 10 a byte holds: the bytes above it
		 * are dropped, so each digit is exactly uniform. */
		unsigned char b = r[used++];
		if (b < 250)
			out[i++] = (char)('0' + b % 10);
	}
	out[length] = '\0';
	sodium_memzero(r, sizeof r);
}

int code_normalize(const char *input, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = input; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n >= CODE_MAX_LENGTH || n + 1 >= size)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

int code_equal(const char *a, const char *b)
{
	/* Both codes are copied into fixed-size zero-padded buffers so the comparison
	 * always touches the same number of bytes; lengths are compared separately
	 * (they are not secret: every code of a server has the same length). */
	unsigned char pa[CODE_MAX_LENGTH + 1] = {0}, pb[CODE_MAX_LENGTH + 1] = {0};
	size_t la = strnlen(a, CODE_MAX_LENGTH + 1), lb = strnlen(b, CODE_MAX_LENGTH + 1);
	if (la > CODE_MAX_LENGTH || lb > CODE_MAX_LENGTH)
		return 0;
	memcpy(pa, a, la);
	memcpy(pb, b, lb);
	int same = sodium_memcmp(pa, pb, sizeof pa) == 0;
	sodium_memzero(pa, sizeof pa);
	sodium_memzero(pb, sizeof pb);
	return same && la == lb;
}

void code_format(const char *code, char *out, size_t size)
{
	/* Group sizes per length; 0 ends the list. */
	static const int groups[CODE_MAX_LENGTH + 1][4] = {
		[4] = {4}, [5] = {5}, [6] = {3, 3}, [7] = {3, 4}, [8] = {4, 4},
		[9] = {3, 3, 3}, [10] = {3, 3, 4},
	};
	size_t len = strlen(code), o = 0, i = 0;
	if (len < CODE_MIN_LENGTH || len > CODE_MAX_LENGTH || size < 2 * len) {
		snprintf(out, size, "%s", code);
		return;
	}
	for (int g = 0; g < 4 && groups[len][g]; g++) {
		if (g)
			out[o++] = '-';
		for (int k = 0; k < groups[len][g]; k++)
			out[o++] = code[i++];
	}
	out[o] = '\0';
}
