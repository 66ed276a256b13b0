/* The signatures over delivery reports (src/delivery/callback.c and
 * callback_twilio.c) on arbitrary secrets, URLs, bodies and headers. Input:
 * secret, NUL, URL, NUL, header, NUL, body. Contract: what a function signs it
 * accepts (Twilio's signature over a form, iotp's URL token, the hex
 * HMAC-SHA256 in any case); a header that is not that signature is refused; a
 * body that is not a form, and not vouched for by bodySHA256 in the URL, is
 * never accepted. */
#include <sodium.h>
#include <strings.h>

#include "delivery/callback.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 4, &p);
	const char *secret = p.s[0], *url = p.s[1], *header = p.s[2], *body = p.s[3];
	size_t len = p.len[3];
	static const char form[] = "application/x-www-form-urlencoded";

	char sig[CALLBACK_TWILIO_SIG_LEN + 1];
	int rc = callback_twilio_signature(secret, url, body, len, sig);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	/* A URL with bodySHA256 is signed without the body's parameters: Twilio
	 * sends it with JSON bodies only. */
	int hashed = strstr(url, "bodySHA256=") != NULL;
	if (rc == 0 && !hashed) {
		FUZZ_ASSERT(strlen(sig) == CALLBACK_TWILIO_SIG_LEN);
		FUZZ_ASSERT(callback_twilio_ok(secret, url, form, body, len, sig) == 1);
		if (strcmp(header, sig) != 0)
			FUZZ_ASSERT(callback_twilio_ok(secret, url, form, body, len, header) == 0);
		/* Without a hash in the URL only a form's parameters are signed. */
		if (len)
			FUZZ_ASSERT(callback_twilio_ok(secret, url, "application/json", body, len,
						       sig) == 0);
	} else if (rc < 0 && !hashed) {
		FUZZ_ASSERT(callback_twilio_ok(secret, url, form, body, len, header) == 0);
	}
	int any = callback_twilio_ok(secret, url, NULL, body, len, header);
	FUZZ_ASSERT(any == 0 || any == 1);

	struct callback_key key;
	callback_key_init(&key, secret);
	char token[CALLBACK_TOKEN_LEN + 1];
	callback_token(&key, url, token);
	FUZZ_ASSERT(strlen(token) == CALLBACK_TOKEN_LEN);
	FUZZ_ASSERT(callback_token_ok(&key, url, token) == 1);
	if (strcmp(header, token) != 0)
		FUZZ_ASSERT(callback_token_ok(&key, url, header) == 0);

	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	char good[7 + 2 * sizeof mac + 1] = "sha256=";
	sodium_bin2hex(good + 7, sizeof good - 7, mac, sizeof mac);
	FUZZ_ASSERT(callback_signature_ok(&key, body, len, good, "sha256=") == 1);
	for (char *c = good + 7; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	FUZZ_ASSERT(callback_signature_ok(&key, body, len, good, "sha256=") == 1);
	if (strcasecmp(header, good) != 0)
		FUZZ_ASSERT(callback_signature_ok(&key, body, len, header, "sha256=") == 0);

	char cb[4096];
	rc = callback_url(url, "twilio", header, &key, cb, sizeof cb);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(memchr(cb, '\0', sizeof cb));
	callback_key_wipe(&key);
	fuzz_parts_free(&p);
	return 0;
}
