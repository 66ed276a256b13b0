#include "http/auth.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

int auth_bearer_ok(const char *header, const char *key)
{
	static const char scheme[] = "Bearer ";
	unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
	if (!header || strncasecmp(header, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *given = header + sizeof scheme - 1;
	crypto_generichash(a, sizeof a, (const unsigned char *)given, strlen(given), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *)key, strlen(key), NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}
