/* code: the one-time codes themselves — made, compared, shown. */
#ifndef IOTP_CODE_H
#define IOTP_CODE_H

#include <stddef.h>

#define CODE_MIN_LENGTH 4
#define CODE_MAX_LENGTH 10

/* Writes length uniformly random decimal digits from libsodium's CSPRNG
 * (bytes of 250 and above dropped, so no modulo bias) and a NUL into out
 * (size > length). */
void code_generate(int length, char *out);

/* Reads what a person typed: digits, optionally grouped by spaces or dashes
 * ("123-456", "123 456"). Writes the bare digits to out (size >= 11).
 * Returns 0, or -1 when there is anything else or more than CODE_MAX_LENGTH
 * digits (such input cannot be any code, and is not counted as a guess). */
int code_normalize(const char *input, char *out, size_t size);

/* 1 when the codes are equal, else 0, in time that depends on neither code's
 * content (only on the fixed maximum length). */
int code_equal(const char *a, const char *b);

/* The code as the message shows it: groups that are easy to read aloud and to
 * type ("123-456", "1234-5678", "123-456-789"); 4 and 5 digits stay whole. */
void code_format(const char *code, char *out, size_t size);

#endif
