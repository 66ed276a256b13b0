#include "http/forwarded.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/alloc.h"

static int valid_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int forwarded_trusted(const char *trusted, const char *ip)
{
	size_t n = strlen(ip);
	if (!trusted || !n)
		return 0;
	for (const char *p = trusted; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ", ");
		if (len == n && !strncmp(p, ip, n))
			return 1;
		p += len;
	}
	return 0;
}

/* Walks one line right to left: 1 with out set when it names the client, 0
 * when a hop is garbled (trust nothing further left), 2 when every hop in it
 * is a trusted proxy (go on with the line before). */
static int walk_line(const char *trusted, const char *xff, char *out, size_t size)
{
	size_t end = strlen(xff);
	if (end == 0)
		return 0;
	for (;;) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		char item[64];
		size_t a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		if (b - a >= sizeof item)
			return 0;
		memcpy(item, xff + a, b - a);
		item[b - a] = '\0';
		if (!valid_address(item))
			return 0; /* a garbled hop: trust nothing further left */
		if (!forwarded_trusted(trusted, item)) {
			strjoin(out, size, item, NULL, NULL);
			return 1;
		}
		if (start == 0)
			return 2;
		end = start - 1;
	}
}

int forwarded_client(const char *trusted, const char *peer, const char *const *lines, size_t n,
		     char *out, size_t size)
{
	strjoin(out, size, peer, NULL, NULL);
	if (!n || !forwarded_trusted(trusted, peer))
		return 0;
	for (size_t i = n; i-- > 0;) {
		if (!lines[i])
			return 0;
		int rc = walk_line(trusted, lines[i], out, size);
		if (rc != 2)
			return rc;
	}
	return 0;
}
