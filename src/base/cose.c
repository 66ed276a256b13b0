#include "base/cose.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#define KTY_OKP 1
#define KTY_EC2 2
#define CRV_P256 1
#define CRV_ED25519 6

/* The bound cose_load checks: each header's declared count against the bytes
 * after it. An element takes at least a byte, a map entry two. */
struct bound {
	size_t left; /* bytes after the header being decoded */
	int bad;
};

static void check_count(void *ctx, uint64_t n, uint64_t per)
{
	struct bound *b = ctx;
	if (n > b->left / per)
		b->bad = 1;
}

static void on_array(void *ctx, uint64_t n)
{
	check_count(ctx, n, 1);
}

static void on_map(void *ctx, uint64_t n)
{
	check_count(ctx, n, 2);
}

cbor_item_t *cose_load(const unsigned char *in, size_t len, size_t *used)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;
	cb.array_start = on_array;
	cb.map_start = on_map;
	/* A definite string is reported only once all of it is there (else
	 * NEDATA, which ends the walk): its length needs no check. */
	size_t at = 0;
	while (at < len) {
		struct bound b = {0, 0};
		/* The header's own length is not known before decoding it: a
		 * count is checked against all that follows its first byte,
		 * which is what matters against an allocation of gigabytes. */
		b.left = len - at - 1;
		struct cbor_decoder_result r = cbor_stream_decode(in + at, len - at, &cb, &b);
		if (b.bad || r.status == CBOR_DECODER_ERROR)
			return NULL;
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
			break;
		at += r.read;
	}
	struct cbor_load_result res;
	cbor_item_t *item = cbor_load(in, len, &res);
	if (!item || res.error.code != CBOR_ERR_NONE) {
		if (item)
			cbor_decref(&item);
		return NULL;
	}
	if (used)
		*used = res.read;
	return item;
}

int cose_int(const cbor_item_t *item, long *out)
{
	if (!item || !cbor_is_int(item))
		return -1;
	uint64_t v = cbor_get_int(item);
	if (v > (uint64_t)LONG_MAX)
		return -1;
	*out = cbor_isa_negint(item) ? -1 - (long)v : (long)v;
	return 0;
}

cbor_item_t *cose_map_get(const cbor_item_t *map, long k, const char *s)
{
	if (!map || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return NULL;
	struct cbor_pair *p = cbor_map_handle(map);
	size_t n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		long v;
		if (s) {
			size_t sl = strlen(s);
			if (cbor_isa_string(p[i].key) && cbor_string_is_definite(p[i].key) &&
			    cbor_string_length(p[i].key) == sl &&
			    !memcmp(cbor_string_handle(p[i].key), s, sl))
				return p[i].value;
		} else if (cose_int(p[i].key, &v) == 0 && v == k) {
			return p[i].value;
		}
	}
	return NULL;
}

/* A definite byte string of exactly n bytes into out: 0, or -1. */
static int bytes_of(const cbor_item_t *item, unsigned char *out, size_t n)
{
	if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item) ||
	    cbor_bytestring_length(item) != n)
		return -1;
	memcpy(out, cbor_bytestring_handle(item), n);
	return 0;
}

int cose_key_read(const cbor_item_t *item, struct cose_key *out, const char **why)
{
	long kty, alg, crv;
	memset(out, 0, sizeof *out);
	if (!item || !cbor_isa_map(item) || !cbor_map_is_definite(item)) {
		*why = "the credential public key is not a COSE_Key map";
		return -1;
	}
	if (cose_int(cose_map_get(item, 1, NULL), &kty) < 0 ||
	    cose_int(cose_map_get(item, 3, NULL), &alg) < 0 ||
	    cose_int(cose_map_get(item, -1, NULL), &crv) < 0) {
		*why = "the credential public key lacks its kty, alg or crv";
		return -1;
	}
	if (kty == KTY_EC2 && alg == COSE_ES256 && crv == CRV_P256) {
		if (bytes_of(cose_map_get(item, -2, NULL), out->x, 32) < 0 ||
		    bytes_of(cose_map_get(item, -3, NULL), out->y, 32) < 0) {
			*why = "the ES256 public key's x and y are not 32 bytes each";
			return -1;
		}
	} else if (kty == KTY_OKP && alg == COSE_EDDSA && crv == CRV_ED25519) {
		if (bytes_of(cose_map_get(item, -2, NULL), out->x, 32) < 0) {
			*why = "the Ed25519 public key is not 32 bytes";
			return -1;
		}
	} else {
		*why = "the credential's key type is not supported: use ES256 (P-256) or EdDSA "
		       "(Ed25519)";
		return -1;
	}
	out->alg = (int)alg;
	return 0;
}

int cose_key_parse(const unsigned char *in, size_t len, struct cose_key *out, size_t *used,
		   const char **why)
{
	cbor_item_t *item = cose_load(in, len, used);
	if (!item) {
		*why = "the credential public key is not well-formed CBOR";
		return -1;
	}
	int rc = cose_key_read(item, out, why);
	cbor_decref(&item);
	return rc;
}

static int verify_es256(const struct cose_key *key, const unsigned char *msg, size_t len,
			const unsigned char *sig, size_t sig_len)
{
	unsigned char point[65];
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, key->x, 32);
	memcpy(point + 33, key->y, 32);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
		OSSL_PARAM_END,
	};
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	int ok = 0;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	/* fromdata decodes the point, so one off the curve is refused here. */
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

int cose_verify(const struct cose_key *key, const unsigned char *msg, size_t len,
		const unsigned char *sig, size_t sig_len)
{
	if (key->alg == COSE_ES256)
		return verify_es256(key, msg, len, sig, sig_len);
	if (key->alg == COSE_EDDSA)
		return sig_len == crypto_sign_BYTES &&
				       crypto_sign_verify_detached(sig, msg, len, key->x) == 0
			       ? 0
			       : -1;
	return -1;
}
