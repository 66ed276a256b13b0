/* buf: a fixed-size output buffer that remembers when it ran out of room, so a
 * renderer writes without checking every step and reports once at the end.
 * Internal to msg/. */
#ifndef IOTP_MSG_BUF_H
#define IOTP_MSG_BUF_H

#include <stddef.h>
#include <string.h>

struct msg_buf {
	char *p;
	size_t size;  /* bytes at p, the NUL included */
	size_t len;   /* bytes written, the NUL excluded */
	int overflow; /* 1 once something did not fit; p then holds a prefix */
};

static inline void msg_buf_init(struct msg_buf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	b->overflow = size == 0;
	if (size)
		p[0] = '\0';
}

static inline void msg_buf_put(struct msg_buf *b, const char *s, size_t n)
{
	if (b->overflow || b->len + n >= b->size) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void msg_buf_puts(struct msg_buf *b, const char *s)
{
	msg_buf_put(b, s, strlen(s));
}

#endif
