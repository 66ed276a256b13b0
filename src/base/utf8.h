/* utf8: strict UTF-8 decoding, shared by the message texts (msg/), the request
 * bodies (http/) and what providers send back (delivery/). */
#ifndef IOTP_UTF8_H
#define IOTP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point that starts at s[*i] (s holds len bytes) and moves *i
 * past it. Returns the code point, or -1 when the bytes there are not UTF-8:
 * a stray continuation byte, a truncated sequence, an overlong form, a UTF-16
 * surrogate (U+D800..DFFF) or a value above U+10FFFF. On -1, *i still moves by
 * one byte, so a caller may resynchronise. */
int32_t utf8_next(const char *s, size_t len, size_t *i);

/* 1 when all len bytes of s are UTF-8, else 0. */
int utf8_valid(const char *s, size_t len);

/* Makes the NUL-terminated s UTF-8 in place: each byte that is not part of a
 * UTF-8 character (raw bytes from outside, or a character cut in two by a
 * bounded copy) becomes '?'. For text that ends up in JSON, which must be
 * UTF-8. */
void utf8_scrub(char *s);

/* Writes cp as UTF-8 into out (at least 4 bytes); returns the byte count, or 0
 * for a value that is no code point. */
size_t utf8_put(uint32_t cp, char *out);

/* 1 for characters written from right to left (Hebrew, Arabic, Syriac,
 * Thaana, N'Ko and their presentation forms), else 0. */
int utf8_is_rtl(uint32_t cp);

#endif
