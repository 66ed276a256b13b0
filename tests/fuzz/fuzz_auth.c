/* auth_basic and auth_bearer (src/http/auth.c): credentials out of an
 * Authorization header. Input: a header, or (first byte 0) a user and a
 * password to encode. Contract: auth_basic returns 0 with a user holding no
 * ':' and both NUL-terminated within their sizes, or -1; whatever user:password
 * it is given encoded, it decodes back when it fits. auth_bearer returns a
 * non-empty suffix of the header or NULL. */
#include <sodium.h>

#include "fuzz.h"
#include "http/auth.h"

static void check_header(const char *h)
{
	char user[128], password[256];
	memset(user, 'u', sizeof user);
	memset(password, 'p', sizeof password);
	int rc = auth_basic(h, user, sizeof user, password, sizeof password);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(memchr(user, '\0', sizeof user) && memchr(password, '\0', sizeof password));
		FUZZ_ASSERT(!strchr(user, ':'));
	}
	const char *b = auth_bearer(h);
	if (b) {
		size_t hl = strlen(h), bl = strlen(b);
		FUZZ_ASSERT(bl > 0 && bl < hl && b == h + (hl - bl));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0) {
		struct fuzz_parts p;
		fuzz_split(data + 1, size - 1, 2, &p);
		const char *user = p.s[0], *pw = p.s[1];
		if (!strchr(user, ':') && strlen(pw) == p.len[1]) {
			size_t ul = strlen(user), pl = strlen(pw);
			char *plain = malloc(ul + pl + 2);
			memcpy(plain, user, ul);
			plain[ul] = ':';
			memcpy(plain + ul + 1, pw, pl + 1);
			size_t b64len = sodium_base64_ENCODED_LEN(ul + pl + 1, sodium_base64_VARIANT_ORIGINAL);
			char *h = malloc(b64len + 7);
			memcpy(h, "bAsIc ", 6);
			sodium_bin2base64(h + 6, b64len, (const unsigned char *)plain, ul + pl + 1,
					  sodium_base64_VARIANT_ORIGINAL);
			char u[128], w[256];
			int rc = auth_basic(h, u, sizeof u, w, sizeof w);
			/* The decoder holds 511 bytes. */
			if (ul < sizeof u && pl < sizeof w && ul + pl + 1 < 512) {
				FUZZ_ASSERT(rc == 0);
				FUZZ_ASSERT(strcmp(u, user) == 0 && strcmp(w, pw) == 0);
			} else {
				FUZZ_ASSERT(rc == -1);
			}
			check_header(h);
			free(h);
			free(plain);
		}
		fuzz_parts_free(&p);
		return 0;
	}
	char *h = malloc(size + 1);
	memcpy(h, data, size);
	h[size] = '\0';
	check_header(h);
	free(h);
	return 0;
}
