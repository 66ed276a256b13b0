/* cose: the public keys of passkeys (COSE_Key, RFC 9052/9053) read with
 * libcbor, and the signatures they check: ES256 (ECDSA over P-256 with
 * SHA-256, OpenSSL) and EdDSA (Ed25519, libsodium). Nothing here is about
 * accounts or ceremonies (base/webauthn.h is). */
#ifndef IOTP_COSE_H
#define IOTP_COSE_H

#include <cbor.h>
#include <stddef.h>

#define COSE_ES256 (-7)
#define COSE_EDDSA (-8)

/* A key this server can check signatures with. */
struct cose_key {
	int alg;                /* COSE_ES256 or COSE_EDDSA */
	unsigned char x[32];    /* P-256 x, or the Ed25519 public key */
	unsigned char y[32];    /* P-256 y; unused for Ed25519 */
};

/* cbor_load for bytes from outside: refuses (NULL) input whose arrays, maps
 * or strings declare more elements than bytes follow them, which libcbor
 * would otherwise allocate up front (six bytes could ask for 2 GiB), and
 * anything libcbor cannot decode. *used (may be NULL) gets the length of the
 * first item, which is what the caller owns (cbor_decref). */
cbor_item_t *cose_load(const unsigned char *in, size_t len, size_t *used);

/* The value of the map entry whose key is the integer k, or the text key s
 * (pass NULL to use k); NULL when absent. Borrowed from map. */
cbor_item_t *cose_map_get(const cbor_item_t *map, long k, const char *s);
/* An integer item's value (major types 0 and 1) into *out: 0, or -1 when
 * item is no integer or does not fit a long. */
int cose_int(const cbor_item_t *item, long *out);

/* Reads a COSE_Key: EC2 with crv P-256 and alg ES256, or OKP with crv
 * Ed25519 and alg EdDSA (the two a passkey registration here offers).
 * Returns 0, or -1 with a sentence in *why. */
int cose_key_read(const cbor_item_t *item, struct cose_key *out, const char **why);
/* The same from bytes: *used (may be NULL) gets the key's length. */
int cose_key_parse(const unsigned char *in, size_t len, struct cose_key *out, size_t *used,
		   const char **why);

/* Whether sig is key's signature of msg: 0 yes, -1 no. An ES256 signature is
 * ASN.1 DER (what WebAuthn authenticators send); an EdDSA one 64 bytes. */
int cose_verify(const struct cose_key *key, const unsigned char *msg, size_t len,
		const unsigned char *sig, size_t sig_len);

#endif
