/* forwarded_client and forwarded_trusted (src/http/forwarded.c): the client
 * address behind trusted proxies, from X-Forwarded-For. Input: trusted list,
 * NUL, peer, NUL, the header's lines separated by '\n'. Contract: the answer
 * fits out and is the peer unless the peer is trusted; when the header decided (1), the answer is an IP
 * address that is in the header and is not a trusted proxy. */
#include <arpa/inet.h>

#include "fuzz.h"
#include "http/forwarded.h"

static int is_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 3, &p);
	const char *trusted = p.s[0], *peer = p.s[1], *xff = p.s[2];
	/* The header's lines, each its own string (a copy of xff split at '\n'). */
	size_t xlen = strlen(xff);
	char *copy = malloc(xlen + 1);
	if (!copy)
		return 0;
	memcpy(copy, xff, xlen + 1);
	const char *lines[FORWARDED_LINES_MAX];
	size_t n = 0;
	for (char *s = copy; n < FORWARDED_LINES_MAX;) {
		lines[n++] = s;
		char *nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	size_t sizes[] = {64, 16, 1};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char out[64];
		memset(out, 'x', sizeof out);
		int rc = forwarded_client(trusted, peer, lines, n, out, sizes[k]);
		FUZZ_ASSERT(rc == 0 || rc == 1);
		FUZZ_ASSERT(memchr(out, '\0', sizes[k]) != NULL);
		if (rc == 0) {
			FUZZ_ASSERT(strncmp(out, peer, sizes[k] - 1) == 0);
			continue;
		}
		FUZZ_ASSERT(forwarded_trusted(trusted, peer) == 1);
		if (sizes[k] == 64) {
			FUZZ_ASSERT(is_address(out));
			FUZZ_ASSERT(strstr(xff, out) != NULL);
			FUZZ_ASSERT(forwarded_trusted(trusted, out) == 0);
		}
	}
	FUZZ_ASSERT(forwarded_client(trusted, peer, NULL, 0, (char[64]){0}, 64) == 0);
	/* Every address of the list is trusted, whatever the separators. */
	int t = forwarded_trusted(trusted, peer);
	FUZZ_ASSERT(t == 0 || t == 1);
	if (t)
		FUZZ_ASSERT(peer[0] && strstr(trusted, peer));
	free(copy);
	fuzz_parts_free(&p);
	return 0;
}
