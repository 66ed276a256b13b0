/* HTTP/1.x answers as a gateway (Kannel's smsbox) sends them back to
 * fetch_plain.c, iotpd's own client for plain GETs: any bytes, then the
 * connection's close.
 *
 * Contract: the reader ends (no hang, no read past what came); an answer it
 * accepts has a final status (200 to 999, or 101) and at most
 * FETCH_ANSWER_MAX bytes of body, NUL-terminated. */
#include <sys/socket.h>
#include <unistd.h>

#include "delivery/fetch_plain.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	/* Small inputs fit in the socket's buffer: all of it, then the close. */
	ssize_t n = size ? write(sv[1], data, size) : 0;
	shutdown(sv[1], SHUT_WR);
	struct fetch_answer *ans = malloc(sizeof *ans);
	int rc = n == (ssize_t)size ? fetch_plain_read(sv[0], 1000, ans) : -2;
	if (rc >= 0) {
		FUZZ_ASSERT((ans->status >= 200 && ans->status <= 999) || ans->status == 101);
		FUZZ_ASSERT(ans->len <= FETCH_ANSWER_MAX);
		FUZZ_ASSERT(ans->body[ans->len] == '\0');
	}
	FUZZ_ASSERT(rc >= -2 && rc <= 1);
	free(ans);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
