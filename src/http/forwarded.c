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

int forwarded_client(const char *trusted, const char *peer, const char *xff, char *out,
		     size_t size)
{
	strfmt(out, size, "%s", peer);
	if (!xff || !forwarded_trusted(trusted, peer))
		return 0;
	size_t end = strlen(xff);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		char item[64];
		size_t a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		if (b - a < sizeof item) {
			memcpy(item, xff + a, b - a);
			item[b - a] = '\0';
			if (!valid_address(item))
				return 0; /* a garbled hop: trust nothing further left */
			if (!forwarded_trusted(trusted, item)) {
				strfmt(out, size, "%s", item);
				return 1;
			}
		} else {
			return 0;
		}
		end = start ? start - 1 : 0;
	}
	return 0;
}
