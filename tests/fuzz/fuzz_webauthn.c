/* The WebAuthn input a browser (or anyone) posts (base/webauthn.c,
 * base/cose.c): CBOR attestation objects, authenticator data, COSE keys,
 * clientDataJSON. Input: a selector byte, then the bytes: 0 authenticator
 * data, 1 an attestation object (with good client data), 2 a COSE key,
 * 3 clientDataJSON, 4 any CBOR. Contract: nothing is read past the input,
 * no allocation grows with a declared size the input cannot back (the
 * -rss_limit catches it), a credential id stays within 1023 bytes, what is
 * accepted as a key parses again to the same key, and a registration is
 * accepted only with fmt none or packed. */
#include "base/webauthn.h"
#include "fuzz.h"

#include <sodium.h>

static const char *const origins[] = {"https://example.com"};
static const char cd[] = "{\"type\":\"webauthn.create\",\"challenge\":\"Y2hhbGxlbmdl\","
			 "\"origin\":\"https://example.com\"}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return sodium_init() < 0;
}

static void check_authdata(const struct webauthn_authdata *ad)
{
	FUZZ_ASSERT(ad->cred_id_len <= WEBAUTHN_CRED_ID_MAX);
	FUZZ_ASSERT(ad->key_cbor_len <= WEBAUTHN_KEY_MAX);
	if (ad->flags & WEBAUTHN_AT) {
		struct cose_key again;
		const char *why = NULL;
		FUZZ_ASSERT(ad->cred_id_len > 0);
		FUZZ_ASSERT(cose_key_parse(ad->key_cbor, ad->key_cbor_len, &again, NULL, &why) == 0);
		FUZZ_ASSERT(!memcmp(&again, &ad->key, sizeof again));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int sel = data[0] % 5;
	/* A copy of exactly the input's length, so ASan sees any over-read. */
	size_t n = size - 1;
	unsigned char *in = malloc(n ? n : 1);
	memcpy(in, data + 1, n);
	const char *why = NULL;
	struct webauthn_expect e = {.type = "webauthn.create", .challenge = "Y2hhbGxlbmdl",
				    .rp_id = "example.com", .origins = origins, .n_origins = 1};
	if (sel == 0) {
		struct webauthn_authdata *ad = malloc(sizeof *ad);
		if (webauthn_authdata_parse(in, n, ad, &why) == WEBAUTHN_OK)
			check_authdata(ad);
		else
			FUZZ_ASSERT(why != NULL);
		free(ad);
	} else if (sel == 1) {
		struct webauthn_credential *c = malloc(sizeof *c);
		if (webauthn_register(&e, (const unsigned char *)cd, strlen(cd), in, n, c, &why) ==
		    WEBAUTHN_OK) {
			check_authdata(&c->ad);
			FUZZ_ASSERT(c->ad.flags & WEBAUTHN_AT);
			FUZZ_ASSERT(!strcmp(c->fmt, "none") || !strcmp(c->fmt, "packed"));
		} else {
			FUZZ_ASSERT(why != NULL);
		}
		free(c);
	} else if (sel == 2) {
		struct cose_key k;
		size_t used = 0;
		if (cose_key_parse(in, n, &k, &used, &why) == 0) {
			FUZZ_ASSERT(k.alg == COSE_ES256 || k.alg == COSE_EDDSA);
			FUZZ_ASSERT(used > 0 && used <= n);
			/* A random signature does not verify. */
			unsigned char sig[64] = {0};
			FUZZ_ASSERT(cose_verify(&k, in, n, sig, sizeof sig) != 0);
		}
	} else if (sel == 3) {
		unsigned char hash[32];
		if (webauthn_client_data_check(in, n, &e, hash, &why) == WEBAUTHN_OK)
			FUZZ_ASSERT(n > 0);
	} else {
		size_t used = 0;
		cbor_item_t *item = cose_load(in, n, &used);
		if (item) {
			FUZZ_ASSERT(used > 0 && used <= n);
			cbor_decref(&item);
		}
	}
	free(in);
	return 0;
}
