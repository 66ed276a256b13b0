/* base/webauthn and base/cose against hand-made ceremonies: authenticator
 * data, attestation objects ("none", "packed" self and x5c) and assertions
 * built here with libcbor, OpenSSL (ES256) and libsodium (EdDSA), then each
 * check of WebAuthn Level 2 §7.1/§7.2 broken one at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cose.h"
#include "base/webauthn.h"

#define RP "example.com"
#define ORIGIN "https://example.com"
#define CHALLENGE "q1w2e3r4t5y6u7i8o9p0aa"

static const char *const origins[] = {ORIGIN, "https://login.example.com"};

/* A software authenticator: one ES256 or EdDSA key. */
struct auth {
	int alg;
	EVP_PKEY *ec;
	unsigned char ed_pk[32], ed_sk[64];
	unsigned char cose[128];
	size_t cose_len;
};

static void map_put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	assert_true(cbor_map_add(m, (struct cbor_pair){.key = cbor_move(k), .value = cbor_move(v)}));
}

static cbor_item_t *cint(long v)
{
	return v >= 0 ? cbor_build_uint32((uint32_t)v) : cbor_build_negint32((uint32_t)(-1 - v));
}

static size_t serialize(cbor_item_t *item, unsigned char *out, size_t size)
{
	size_t n = cbor_serialize(item, out, size);
	assert_true(n > 0);
	cbor_decref(&item);
	return n;
}

static void auth_init(struct auth *a, int alg)
{
	memset(a, 0, sizeof *a);
	a->alg = alg;
	cbor_item_t *k = cbor_new_definite_map(5);
	if (alg == COSE_ES256) {
		a->ec = EVP_EC_gen("P-256");
		assert_non_null(a->ec);
		unsigned char pt[65];
		size_t n = 0;
		assert_int_equal(EVP_PKEY_get_octet_string_param(a->ec, OSSL_PKEY_PARAM_PUB_KEY, pt,
								 sizeof pt, &n),
				 1);
		assert_int_equal(n, 65);
		map_put(k, cint(1), cint(2));
		map_put(k, cint(3), cint(-7));
		map_put(k, cint(-1), cint(1));
		map_put(k, cint(-2), cbor_build_bytestring(pt + 1, 32));
		map_put(k, cint(-3), cbor_build_bytestring(pt + 33, 32));
	} else {
		crypto_sign_keypair(a->ed_pk, a->ed_sk);
		map_put(k, cint(1), cint(1));
		map_put(k, cint(3), cint(-8));
		map_put(k, cint(-1), cint(6));
		map_put(k, cint(-2), cbor_build_bytestring(a->ed_pk, 32));
	}
	a->cose_len = serialize(k, a->cose, sizeof a->cose);
}

static void auth_free(struct auth *a)
{
	EVP_PKEY_free(a->ec);
}

static size_t sign_with(EVP_PKEY *key, const unsigned char *m, size_t n, unsigned char *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = 80;
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, m, n), 1);
	EVP_MD_CTX_free(md);
	return len;
}

/* Signs authData || SHA-256(clientDataJSON), as an authenticator does. */
static size_t auth_sign(const struct auth *a, const unsigned char *ad, size_t ad_len,
			const char *cd, unsigned char *sig)
{
	unsigned char m[1024];
	memcpy(m, ad, ad_len);
	crypto_hash_sha256(m + ad_len, (const unsigned char *)cd, strlen(cd));
	if (a->alg == COSE_ES256)
		return sign_with(a->ec, m, ad_len + 32, sig);
	crypto_sign_detached(sig, NULL, m, ad_len + 32, a->ed_sk);
	return 64;
}

static const unsigned char cred_id[16] = "credential-0001";

/* Authenticator data for rp_id; with the attested credential when a is not NULL. */
static size_t authdata(const char *rp_id, unsigned flags, uint32_t count, const struct auth *a,
		       unsigned char *out)
{
	crypto_hash_sha256(out, (const unsigned char *)rp_id, strlen(rp_id));
	out[32] = (unsigned char)(flags | (a ? WEBAUTHN_AT : 0));
	out[33] = (unsigned char)(count >> 24);
	out[34] = (unsigned char)(count >> 16);
	out[35] = (unsigned char)(count >> 8);
	out[36] = (unsigned char)count;
	size_t n = 37;
	if (a) {
		memset(out + n, 0xAA, 16); /* aaguid */
		n += 16;
		out[n++] = 0;
		out[n++] = sizeof cred_id;
		memcpy(out + n, cred_id, sizeof cred_id);
		n += sizeof cred_id;
		memcpy(out + n, a->cose, a->cose_len);
		n += a->cose_len;
	}
	return n;
}

static void client_data(char *out, size_t size, const char *type, const char *challenge,
			const char *origin)
{
	snprintf(out, size, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\","
			    "\"crossOrigin\":false}",
		 type, challenge, origin);
}

static size_t att_object(const char *fmt, cbor_item_t *stmt, const unsigned char *ad,
			 size_t ad_len, unsigned char *out, size_t size)
{
	cbor_item_t *o = cbor_new_definite_map(3);
	map_put(o, cbor_build_string("fmt"), cbor_build_string(fmt));
	map_put(o, cbor_build_string("attStmt"), stmt ? stmt : cbor_new_definite_map(0));
	map_put(o, cbor_build_string("authData"), cbor_build_bytestring(ad, ad_len));
	return serialize(o, out, size);
}

static struct webauthn_expect expect(const char *type)
{
	return (struct webauthn_expect){.type = type, .challenge = CHALLENGE, .rp_id = RP,
					.origins = origins, .n_origins = 2, .require_uv = 1};
}

/* Registers a's credential with attestation "none"; returns the result. */
static enum webauthn_result reg_none(const struct auth *a, const char *rp, const char *origin,
				     const char *challenge, unsigned flags,
				     struct webauthn_credential *cred, const char **why)
{
	unsigned char ad[512], obj[1024];
	char cd[512];
	size_t ad_len = authdata(rp, flags, 0, a, ad);
	size_t n = att_object("none", NULL, ad, ad_len, obj, sizeof obj);
	client_data(cd, sizeof cd, "webauthn.create", challenge, origin);
	struct webauthn_expect e = expect("webauthn.create");
	return webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, n, cred, why);
}

static void none_es256_registers_and_authenticates(void **state)
{
	(void)state;
	struct auth a;
	auth_init(&a, COSE_ES256);
	struct webauthn_credential cred;
	const char *why = NULL;
	assert_int_equal(reg_none(&a, RP, ORIGIN, CHALLENGE, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_BE,
				  &cred, &why),
			 WEBAUTHN_OK);
	assert_string_equal(cred.fmt, "none");
	assert_string_equal(cred.attestation, "none");
	assert_int_equal(cred.ad.cred_id_len, sizeof cred_id);
	assert_memory_equal(cred.ad.cred_id, cred_id, sizeof cred_id);
	assert_int_equal(cred.ad.key.alg, COSE_ES256);
	assert_true(cred.ad.flags & WEBAUTHN_BE);
	assert_false(cred.ad.flags & WEBAUTHN_BS);
	assert_int_equal(cred.ad.key_cbor_len, a.cose_len);

	/* An assertion with count 7 over a stored 6; then the same count again. */
	unsigned char ad[64], sig[80];
	char cd[512];
	size_t ad_len = authdata(RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_BE | WEBAUTHN_BS, 7, NULL, ad);
	client_data(cd, sizeof cd, "webauthn.get", CHALLENGE, "https://login.example.com");
	size_t sig_len = auth_sign(&a, ad, ad_len, cd, sig);
	struct webauthn_expect e = expect("webauthn.get");
	struct webauthn_authdata out;
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 6,
					       &out, &why),
			 WEBAUTHN_OK);
	assert_int_equal(out.sign_count, 7);
	assert_true(out.flags & WEBAUTHN_BS);
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 7,
					       &out, &why),
			 WEBAUTHN_SIGN_COUNT);
	assert_non_null(strstr(why, "cloned"));
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 9,
					       &out, &why),
			 WEBAUTHN_SIGN_COUNT);

	/* A tampered signature, and a tampered authenticator data. */
	sig[sig_len - 1] ^= 1;
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 6,
					       &out, &why),
			 WEBAUTHN_BAD_SIGNATURE);
	sig[sig_len - 1] ^= 1;
	ad[36] = 8;
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 6,
					       &out, &why),
			 WEBAUTHN_BAD_SIGNATURE);
	auth_free(&a);
}

static void eddsa_with_zero_counts(void **state)
{
	(void)state;
	struct auth a;
	auth_init(&a, COSE_EDDSA);
	struct webauthn_credential cred;
	const char *why = NULL;
	assert_int_equal(reg_none(&a, RP, ORIGIN, CHALLENGE, WEBAUTHN_UP | WEBAUTHN_UV, &cred, &why),
			 WEBAUTHN_OK);
	assert_int_equal(cred.ad.key.alg, COSE_EDDSA);
	/* An authenticator that keeps no count sends 0 every time: fine. */
	unsigned char ad[64], sig[80];
	char cd[512];
	size_t ad_len = authdata(RP, WEBAUTHN_UP | WEBAUTHN_UV, 0, NULL, ad);
	client_data(cd, sizeof cd, "webauthn.get", CHALLENGE, ORIGIN);
	size_t sig_len = auth_sign(&a, ad, ad_len, cd, sig);
	struct webauthn_expect e = expect("webauthn.get");
	struct webauthn_authdata out;
	for (int i = 0; i < 2; i++)
		assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad,
						       ad_len, sig, sig_len, cred.ad.key_cbor,
						       cred.ad.key_cbor_len, 0, &out, &why),
				 WEBAUTHN_OK);
	/* Signed by another key. */
	struct auth b;
	auth_init(&b, COSE_EDDSA);
	sig_len = auth_sign(&b, ad, ad_len, cd, sig);
	assert_int_equal(webauthn_authenticate(&e, (unsigned char *)cd, strlen(cd), ad, ad_len, sig,
					       sig_len, cred.ad.key_cbor, cred.ad.key_cbor_len, 0,
					       &out, &why),
			 WEBAUTHN_BAD_SIGNATURE);
	auth_free(&a);
	auth_free(&b);
}

static void client_data_and_rp_checks(void **state)
{
	(void)state;
	struct auth a;
	auth_init(&a, COSE_ES256);
	struct webauthn_credential cred;
	const char *why = NULL;
	unsigned both = WEBAUTHN_UP | WEBAUTHN_UV;
	assert_int_equal(reg_none(&a, RP, "https://evil.example", CHALLENGE, both, &cred, &why),
			 WEBAUTHN_WRONG_ORIGIN);
	assert_non_null(strstr(why, "passkey_origins"));
	/* A prefix of an allowed origin is not it. */
	assert_int_equal(reg_none(&a, RP, "https://example.co", CHALLENGE, both, &cred, &why),
			 WEBAUTHN_WRONG_ORIGIN);
	/* ":*" takes any port, and only a port. */
	static const char *const any_port[] = {"http://localhost:*"};
	struct webauthn_expect lp = {.type = "webauthn.get", .challenge = CHALLENGE,
				     .rp_id = "localhost", .origins = any_port, .n_origins = 1};
	unsigned char h[32];
	char json[300];
	static const struct {
		const char *origin;
		enum webauthn_result r;
	} ports[] = {{"http://localhost:8080", WEBAUTHN_OK},     {"http://localhost:1", WEBAUTHN_OK},
		     {"http://localhost:", WEBAUTHN_WRONG_ORIGIN},   {"http://localhost", WEBAUTHN_WRONG_ORIGIN},
		     {"http://localhost:80x", WEBAUTHN_WRONG_ORIGIN}, {"http://localhost.evil:80", WEBAUTHN_WRONG_ORIGIN}};
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		client_data(json, sizeof json, "webauthn.get", CHALLENGE, ports[i].origin);
		assert_int_equal(webauthn_client_data_check((unsigned char *)json, strlen(json), &lp, h, &why),
				 ports[i].r);
	}
	assert_int_equal(reg_none(&a, RP, ORIGIN, "another-challenge", both, &cred, &why),
			 WEBAUTHN_WRONG_CHALLENGE);
	assert_int_equal(reg_none(&a, "evil.example", ORIGIN, CHALLENGE, both, &cred, &why),
			 WEBAUTHN_WRONG_RP_ID);
	assert_non_null(strstr(why, "passkey_rp_id"));
	assert_int_equal(reg_none(&a, RP, ORIGIN, CHALLENGE, WEBAUTHN_UV, &cred, &why),
			 WEBAUTHN_NO_USER);
	assert_int_equal(reg_none(&a, RP, ORIGIN, CHALLENGE, WEBAUTHN_UP, &cred, &why),
			 WEBAUTHN_NO_USER);
	assert_non_null(strstr(why, "UV"));

	/* An assertion's client data offered to a registration. */
	unsigned char ad[512], obj[1024];
	char cd[512];
	size_t ad_len = authdata(RP, both, 0, &a, ad);
	size_t n = att_object("none", NULL, ad, ad_len, obj, sizeof obj);
	client_data(cd, sizeof cd, "webauthn.get", CHALLENGE, ORIGIN);
	struct webauthn_expect e = expect("webauthn.create");
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, n, &cred, &why),
			 WEBAUTHN_WRONG_TYPE);
	/* Cross-origin iframes are refused. */
	snprintf(cd, sizeof cd, "{\"type\":\"webauthn.create\",\"challenge\":\"%s\",\"origin\":\"%s\","
				"\"crossOrigin\":true}",
		 CHALLENGE, ORIGIN);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, n, &cred, &why),
			 WEBAUTHN_WRONG_ORIGIN);
	assert_int_equal(webauthn_register(&e, (unsigned char *)"[1]", 3, obj, n, &cred, &why),
			 WEBAUTHN_MALFORMED);
	auth_free(&a);
}

static void malformed_inputs(void **state)
{
	(void)state;
	struct auth a;
	auth_init(&a, COSE_ES256);
	struct webauthn_authdata out;
	const char *why = NULL;
	unsigned char ad[512];
	size_t n = authdata(RP, WEBAUTHN_UP, 0, &a, ad);
	assert_int_equal(webauthn_authdata_parse(ad, n, &out, &why), WEBAUTHN_OK);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(webauthn_authdata_parse(ad, cut, &out, &why), WEBAUTHN_MALFORMED);
	ad[n] = 0xa0; /* trailing bytes (an extension map without the ED flag) */
	assert_int_equal(webauthn_authdata_parse(ad, n + 1, &out, &why), WEBAUTHN_MALFORMED);
	ad[32] |= WEBAUTHN_ED; /* with it, fine */
	assert_int_equal(webauthn_authdata_parse(ad, n + 1, &out, &why), WEBAUTHN_OK);
	ad[32] = WEBAUTHN_UP | WEBAUTHN_BS; /* backed up, not eligible */
	assert_int_equal(webauthn_authdata_parse(ad, 37, &out, &why), WEBAUTHN_MALFORMED);

	/* RS256 (kty 3, alg -257) is not taken. */
	cbor_item_t *k = cbor_new_definite_map(3);
	map_put(k, cint(1), cint(3));
	map_put(k, cint(3), cint(-257));
	map_put(k, cint(-1), cint(0));
	unsigned char key[64];
	size_t kl = serialize(k, key, sizeof key);
	struct cose_key ck;
	assert_int_equal(cose_key_parse(key, kl, &ck, NULL, &why), -1);
	assert_non_null(strstr(why, "ES256"));

	/* An unknown attestation format, and "none" with a statement. */
	struct webauthn_credential cred;
	char cd[512];
	unsigned char obj[1024];
	client_data(cd, sizeof cd, "webauthn.create", CHALLENGE, ORIGIN);
	struct webauthn_expect e = expect("webauthn.create");
	e.require_uv = 0;
	n = authdata(RP, WEBAUTHN_UP, 0, &a, ad);
	size_t ol = att_object("tpm", NULL, ad, n, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_UNSUPPORTED);
	cbor_item_t *stmt = cbor_new_definite_map(1);
	map_put(stmt, cbor_build_string("alg"), cint(-7));
	ol = att_object("none", stmt, ad, n, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_MALFORMED);
	/* Registration without an attested credential. */
	n = authdata(RP, WEBAUTHN_UP, 0, NULL, ad);
	ol = att_object("none", NULL, ad, n, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_MALFORMED);
	auth_free(&a);
}

/* Six bytes that declare an array of 2^28 items: libcbor alone would
 * allocate 2 GiB before finding the input short. */
static void declared_sizes_bounded(void **state)
{
	(void)state;
	static const unsigned char arr[] = {0x9a, 0x10, 0x00, 0x00, 0x00, 0x01};
	static const unsigned char map[] = {0xba, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01};
	static const unsigned char ok[] = {0x82, 0x01, 0x02, 0x01};
	assert_null(cose_load(arr, sizeof arr, NULL));
	assert_null(cose_load(map, sizeof map, NULL));
	size_t used = 0;
	cbor_item_t *i = cose_load(ok, sizeof ok, &used);
	assert_non_null(i);
	assert_int_equal(used, 3);
	cbor_decref(&i);
}

static size_t packed_stmt_obj(const struct auth *signer, int alg, const unsigned char *ad,
			      size_t ad_len, const char *cd, const unsigned char *cert,
			      size_t cert_len, unsigned char *obj, size_t size)
{
	unsigned char sig[80];
	size_t sig_len = auth_sign(signer, ad, ad_len, cd, sig);
	cbor_item_t *stmt = cbor_new_definite_map(3);
	map_put(stmt, cbor_build_string("alg"), cint(alg));
	map_put(stmt, cbor_build_string("sig"), cbor_build_bytestring(sig, sig_len));
	if (cert) {
		cbor_item_t *x5c = cbor_new_definite_array(1);
		assert_true(cbor_array_push(x5c, cbor_move(cbor_build_bytestring(cert, cert_len))));
		map_put(stmt, cbor_build_string("x5c"), x5c);
	}
	return att_object("packed", stmt, ad, ad_len, obj, size);
}

static void packed_self_attestation(void **state)
{
	(void)state;
	const char *why = NULL;
	static const int algs[] = {COSE_EDDSA, COSE_ES256};
	for (size_t i = 0; i < 2; i++) {
		int alg = algs[i];
		struct auth a, other;
		auth_init(&a, alg);
		auth_init(&other, alg);
		unsigned char ad[512], obj[1024];
		char cd[512];
		struct webauthn_credential cred;
		struct webauthn_expect e = expect("webauthn.create");
		client_data(cd, sizeof cd, "webauthn.create", CHALLENGE, ORIGIN);
		size_t n = authdata(RP, WEBAUTHN_UP | WEBAUTHN_UV, 1, &a, ad);
		size_t ol = packed_stmt_obj(&a, alg, ad, n, cd, NULL, 0, obj, sizeof obj);
		assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred,
						   &why),
				 WEBAUTHN_OK);
		assert_string_equal(cred.fmt, "packed");
		assert_string_equal(cred.attestation, "self");
		assert_int_equal(cred.ad.sign_count, 1);
		/* Signed by a key that is not the credential's. */
		ol = packed_stmt_obj(&other, alg, ad, n, cd, NULL, 0, obj, sizeof obj);
		assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred,
						   &why),
				 WEBAUTHN_BAD_SIGNATURE);
		/* An alg that is not the key's. */
		ol = packed_stmt_obj(&a, alg == COSE_ES256 ? COSE_EDDSA : COSE_ES256, ad, n, cd, NULL,
				     0, obj, sizeof obj);
		assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred,
						   &why),
				 WEBAUTHN_MALFORMED);
		auth_free(&a);
		auth_free(&other);
	}
}

/* A self-signed attestation certificate for key with subject OU ou. */
static size_t make_cert(EVP_PKEY *key, const char *ou, int ca, unsigned char *out)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"SE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Test Key", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
						  ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	unsigned char *p = out;
	int n = i2d_X509(x, &p);
	assert_true(n > 0);
	X509_free(x);
	return (size_t)n;
}

static void packed_x5c_attestation(void **state)
{
	(void)state;
	const char *why = NULL;
	struct auth cred_key, att;
	auth_init(&cred_key, COSE_EDDSA);
	auth_init(&att, COSE_ES256);
	unsigned char ad[512], obj[4096], cert[2048];
	char cd[512];
	struct webauthn_credential cred;
	struct webauthn_expect e = expect("webauthn.create");
	client_data(cd, sizeof cd, "webauthn.create", CHALLENGE, ORIGIN);
	size_t n = authdata(RP, WEBAUTHN_UP | WEBAUTHN_UV, 0, &cred_key, ad);
	size_t cl = make_cert(att.ec, "Authenticator Attestation", 0, cert);
	size_t ol = packed_stmt_obj(&att, COSE_ES256, ad, n, cd, cert, cl, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_OK);
	assert_string_equal(cred.attestation, "basic");
	assert_int_equal(cred.ad.key.alg, COSE_EDDSA);
	/* §8.2.1: the OU, and no CA certificate. */
	cl = make_cert(att.ec, "Something Else", 0, cert);
	ol = packed_stmt_obj(&att, COSE_ES256, ad, n, cd, cert, cl, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_MALFORMED);
	assert_non_null(strstr(why, "OU"));
	cl = make_cert(att.ec, "Authenticator Attestation", 1, cert);
	ol = packed_stmt_obj(&att, COSE_ES256, ad, n, cd, cert, cl, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_MALFORMED);
	/* Signed by another key than the certificate's. */
	struct auth other;
	auth_init(&other, COSE_ES256);
	cl = make_cert(att.ec, "Authenticator Attestation", 0, cert);
	ol = packed_stmt_obj(&other, COSE_ES256, ad, n, cd, cert, cl, obj, sizeof obj);
	assert_int_equal(webauthn_register(&e, (unsigned char *)cd, strlen(cd), obj, ol, &cred, &why),
			 WEBAUTHN_BAD_SIGNATURE);
	auth_free(&cred_key);
	auth_free(&att);
	auth_free(&other);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(none_es256_registers_and_authenticates),
		cmocka_unit_test(eddsa_with_zero_counts),
		cmocka_unit_test(client_data_and_rp_checks),
		cmocka_unit_test(malformed_inputs),
		cmocka_unit_test(declared_sizes_bounded),
		cmocka_unit_test(packed_self_attestation),
		cmocka_unit_test(packed_x5c_attestation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
