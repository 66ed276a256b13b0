#include "policy/keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "base/alloc.h"

int keys_prefix(const char *e164, int drop, char *out, size_t size)
{
	size_t n = strlen(e164);
	if (n < 3 || e164[0] != '+')
		return -1;
	for (size_t i = 1; i < n; i++)
		if (!isdigit((unsigned char)e164[i]))
			return -1;
	size_t keep = n > (size_t)drop + 3 ? n - (size_t)drop : 3;
	if (keep + 1 > size)
		return -1;
	memcpy(out, e164, keep);
	out[keep] = '\0';
	return 0;
}

/* Parses ip; sets *v4 and fills a4 or a6. Returns 0 or -1. */
static int parse(const char *ip, int *v4, struct in_addr *a4, struct in6_addr *a6)
{
	if (inet_pton(AF_INET, ip, a4) == 1) {
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(&a4->s_addr, &a6->s6_addr[12], 4);
		*v4 = 1;
		return 0;
	}
	*v4 = 0;
	return 0;
}

/* inet_ntop's text of an IPv4 address, without its sprintf. */
static void format_v4(const struct in_addr *a, char out[INET_ADDRSTRLEN])
{
	const unsigned char *b = (const unsigned char *)&a->s_addr;
	char *p = out;
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

int keys_client(const char *ip, struct keys_client *k)
{
	struct in_addr a4;
	struct in6_addr a6;
	int v4;
	char buf[INET6_ADDRSTRLEN];
	k->site[0] = '\0';
	if (parse(ip, &v4, &a4, &a6) < 0) {
		strjoin(k->address, sizeof k->address, ip, NULL, NULL);
		strjoin(k->network, sizeof k->network, ip, NULL, NULL);
		return -1;
	}
	if (v4) {
		format_v4(&a4, k->address);
		a4.s_addr &= htonl(0xffffff00u);
		format_v4(&a4, buf);
		strjoin(k->network, sizeof k->network, buf, "/24", NULL);
		return 0;
	}
	inet_ntop(AF_INET6, &a6, k->address, sizeof k->address);
	memset(&a6.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &a6, buf, sizeof buf);
	strjoin(k->network, sizeof k->network, buf, "/64", NULL);
	memset(&a6.s6_addr[6], 0, 2);
	inet_ntop(AF_INET6, &a6, buf, sizeof buf);
	strjoin(k->site, sizeof k->site, buf, "/48", NULL);
	return 0;
}

/* The three below are keys_client's, one at a time. */
int keys_address(const char *ip, char *out, size_t size)
{
	struct keys_client k;
	if (keys_client(ip, &k) < 0)
		return -1;
	return strjoin(out, size, k.address, NULL, NULL);
}

int keys_network(const char *ip, char *out, size_t size)
{
	struct keys_client k;
	int rc = keys_client(ip, &k);
	if (strjoin(out, size, k.network, NULL, NULL) < 0)
		return -1;
	return rc;
}

int keys_site(const char *ip, char *out, size_t size)
{
	struct keys_client k;
	if (keys_client(ip, &k) < 0) {
		out[0] = '\0';
		return -1;
	}
	return strjoin(out, size, k.site, NULL, NULL);
}
