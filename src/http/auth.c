#include "http/auth.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

const char *auth_bearer(const char *header)
{
	static const char scheme[] = "Bearer ";
	if (!header || strncasecmp(header, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *token = header + sizeof scheme - 1;
	return *token ? token : NULL;
}

int auth_basic(const char *header, char *user, size_t user_size, char *password,
	       size_t password_size)
{
	static const char scheme[] = "Basic ";
	if (!header || strncasecmp(header, scheme, sizeof scheme - 1) != 0)
		return -1;
	const char *b64 = header + sizeof scheme - 1;
	while (*b64 == ' ')
		b64++;
	unsigned char raw[512];
	size_t n = 0;
	if (sodium_base642bin(raw, sizeof raw - 1, b64, strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	raw[n] = '\0';
	unsigned char *colon = memchr(raw, ':', n);
	if (!colon || memchr(raw, '\0', n))
		return -1;
	size_t ul = (size_t)(colon - raw), pl = n - ul - 1;
	if (ul >= user_size || pl >= password_size) {
		sodium_memzero(raw, sizeof raw);
		return -1;
	}
	memcpy(user, raw, ul);
	user[ul] = '\0';
	memcpy(password, colon + 1, pl);
	password[pl] = '\0';
	sodium_memzero(raw, sizeof raw);
	return 0;
}
