#include "base/webauthn.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define FIXED_LEN 37 /* rpIdHash, flags, signCount */
#define AAGUID_OID "1.3.6.1.4.1.45724.1.1.4" /* id-fido-gen-ce-aaguid */

static enum webauthn_result refuse(enum webauthn_result r, const char **why, const char *msg)
{
	*why = msg;
	return r;
}

enum webauthn_result webauthn_authdata_parse(const unsigned char *in, size_t len,
					     struct webauthn_authdata *out, const char **why)
{
	memset(out, 0, sizeof *out);
	if (len < FIXED_LEN)
		return refuse(WEBAUTHN_MALFORMED, why, "the authenticator data is too short");
	memcpy(out->rp_id_hash, in, 32);
	out->flags = in[32];
	out->sign_count = (uint32_t)in[33] << 24 | (uint32_t)in[34] << 16 | (uint32_t)in[35] << 8 |
			  in[36];
	if ((out->flags & WEBAUTHN_BS) && !(out->flags & WEBAUTHN_BE))
		return refuse(WEBAUTHN_MALFORMED, why,
			      "the authenticator data says backed up (BS) but not backup eligible (BE)");
	size_t at = FIXED_LEN;
	if (out->flags & WEBAUTHN_AT) {
		if (len - at < 18)
			return refuse(WEBAUTHN_MALFORMED, why,
				      "the attested credential data is too short");
		memcpy(out->aaguid, in + at, 16);
		size_t n = (size_t)in[at + 16] << 8 | in[at + 17];
		at += 18;
		if (n == 0 || n > WEBAUTHN_CRED_ID_MAX || n > len - at)
			return refuse(WEBAUTHN_MALFORMED, why,
				      "the credential id's length is 0, over 1023, or past the end");
		memcpy(out->cred_id, in + at, n);
		out->cred_id_len = n;
		at += n;
		size_t used = 0;
		const char *kwhy = NULL;
		if (cose_key_parse(in + at, len - at, &out->key, &used, &kwhy) < 0)
			return refuse(strstr(kwhy, "not supported") ? WEBAUTHN_UNSUPPORTED
								    : WEBAUTHN_MALFORMED,
				      why, kwhy);
		if (used > WEBAUTHN_KEY_MAX)
			return refuse(WEBAUTHN_MALFORMED, why, "the credential public key is too long");
		memcpy(out->key_cbor, in + at, used);
		out->key_cbor_len = used;
		at += used;
	}
	if (out->flags & WEBAUTHN_ED) {
		size_t used = 0;
		cbor_item_t *ext = cose_load(in + at, len - at, &used);
		int ok = ext && cbor_isa_map(ext);
		if (ext)
			cbor_decref(&ext);
		if (!ok)
			return refuse(WEBAUTHN_MALFORMED, why, "the extensions are not a CBOR map");
		at += used;
	}
	if (at != len)
		return refuse(WEBAUTHN_MALFORMED, why,
			      "the authenticator data has bytes after its last part");
	return WEBAUTHN_OK;
}

/* origin equals allowed, or allowed ends in ":*" (any port) and origin is
 * the same up to there with a port. */
static int origin_matches(const char *origin, const char *allowed)
{
	size_t n = strlen(allowed);
	if (n < 2 || strcmp(allowed + n - 2, ":*") != 0)
		return !strcmp(origin, allowed);
	const char *port = origin + n - 1;
	return strlen(origin) > n - 1 && !strncmp(origin, allowed, n - 1) &&
	       strspn(port, "0123456789") == strlen(port);
}

enum webauthn_result webauthn_client_data_check(const unsigned char *data, size_t len,
						const struct webauthn_expect *e,
						unsigned char hash[32], const char **why)
{
	json_t *cd = json_loadb((const char *)data, len, 0, NULL);
	enum webauthn_result r = WEBAUTHN_OK;
	const char *type = json_string_value(json_object_get(cd, "type"));
	const char *challenge = json_string_value(json_object_get(cd, "challenge"));
	const char *origin = json_string_value(json_object_get(cd, "origin"));
	if (!json_is_object(cd) || !type || !challenge || !origin) {
		r = refuse(WEBAUTHN_MALFORMED, why,
			   "clientDataJSON is not a JSON object with type, challenge and origin");
		goto out;
	}
	if (strcmp(type, e->type) != 0) {
		r = refuse(WEBAUTHN_WRONG_TYPE, why,
			   !strcmp(e->type, "webauthn.create")
				   ? "clientDataJSON.type is not webauthn.create: this is not a "
				     "registration (navigator.credentials.create)"
				   : "clientDataJSON.type is not webauthn.get: this is not an "
				     "authentication (navigator.credentials.get)");
		goto out;
	}
	size_t cl = strlen(challenge);
	if (cl != strlen(e->challenge) || sodium_memcmp(challenge, e->challenge, cl) != 0) {
		r = refuse(WEBAUTHN_WRONG_CHALLENGE, why,
			   "clientDataJSON.challenge is not this ceremony's challenge");
		goto out;
	}
	int allowed = 0;
	for (size_t i = 0; i < e->n_origins && !allowed; i++)
		allowed = origin_matches(origin, e->origins[i]);
	if (!allowed) {
		r = refuse(WEBAUTHN_WRONG_ORIGIN, why,
			   "the page's origin is not one of the app's passkey_origins");
		goto out;
	}
	if (json_is_true(json_object_get(cd, "crossOrigin"))) {
		r = refuse(WEBAUTHN_WRONG_ORIGIN, why,
			   "the ceremony ran in a cross-origin frame, which is not allowed");
		goto out;
	}
	crypto_hash_sha256(hash, data, len);
out:
	json_decref(cd);
	return r;
}

/* rpIdHash, UP and UV, the checks both ceremonies share. */
static enum webauthn_result check_rp_and_user(const struct webauthn_expect *e,
					      const struct webauthn_authdata *ad, const char **why)
{
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)e->rp_id, strlen(e->rp_id));
	if (sodium_memcmp(h, ad->rp_id_hash, 32) != 0)
		return refuse(WEBAUTHN_WRONG_RP_ID, why,
			      "the authenticator data is for another relying party id than the "
			      "app's passkey_rp_id");
	if (!(ad->flags & WEBAUTHN_UP))
		return refuse(WEBAUTHN_NO_USER, why,
			      "the authenticator did not see the user (UP flag not set)");
	if (e->require_uv && !(ad->flags & WEBAUTHN_UV))
		return refuse(WEBAUTHN_NO_USER, why,
			      "the authenticator did not verify the user (UV flag not set): use a "
			      "passkey with a screen lock, PIN or biometrics");
	return WEBAUTHN_OK;
}

/* authData || clientDataHash: what both attestation and assertion sign. */
static unsigned char *signed_bytes(const unsigned char *ad, size_t ad_len,
				   const unsigned char hash[32], size_t *len)
{
	unsigned char *m = malloc(ad_len + 32);
	if (m) {
		memcpy(m, ad, ad_len);
		memcpy(m + ad_len, hash, 32);
		*len = ad_len + 32;
	}
	return m;
}

static int bytestring(const cbor_item_t *i)
{
	return i && cbor_isa_bytestring(i) && cbor_bytestring_is_definite(i);
}

/* §8.2.1: the attestation certificate's fields. */
static int cert_ok(X509 *cert, const struct webauthn_authdata *ad, const char **why)
{
	if (X509_get_version(cert) != 2) {
		*why = "the attestation certificate is not X.509 version 3";
		return 0;
	}
	if (X509_check_ca(cert) != 0) {
		*why = "the attestation certificate is a CA certificate";
		return 0;
	}
	X509_NAME *subj = X509_get_subject_name(cert);
	char ou[64] = "";
	if (X509_NAME_get_text_by_NID(subj, NID_organizationalUnitName, ou, sizeof ou) < 0 ||
	    strcmp(ou, "Authenticator Attestation") != 0) {
		*why = "the attestation certificate's subject OU is not \"Authenticator Attestation\"";
		return 0;
	}
	ASN1_OBJECT *oid = OBJ_txt2obj(AAGUID_OID, 1);
	int at = oid ? X509_get_ext_by_OBJ(cert, oid, -1) : -1;
	ASN1_OBJECT_free(oid);
	if (at >= 0) {
		X509_EXTENSION *ext = X509_get_ext(cert, at);
		ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
		const unsigned char *p = ASN1_STRING_get0_data(v);
		/* The value is an OCTET STRING of the 16-byte AAGUID, inside the
		 * extension's own OCTET STRING. */
		if (X509_EXTENSION_get_critical(ext) || ASN1_STRING_length(v) != 18 ||
		    p[0] != 0x04 || p[1] != 16 || memcmp(p + 2, ad->aaguid, 16) != 0) {
			*why = "the attestation certificate's AAGUID is not the authenticator's";
			return 0;
		}
	}
	return 1;
}

/* A "packed" statement with x5c: the leaf certificate's key signed. */
static enum webauthn_result packed_x5c(const cbor_item_t *x5c, long alg, const unsigned char *msg,
				       size_t len, const unsigned char *sig, size_t sig_len,
				       const struct webauthn_authdata *ad, const char **why)
{
	if (!cbor_isa_array(x5c) || !cbor_array_is_definite(x5c) || cbor_array_size(x5c) == 0 ||
	    !bytestring(cbor_array_handle(x5c)[0]))
		return refuse(WEBAUTHN_MALFORMED, why, "the packed attestation's x5c is not an "
						       "array of certificates");
	if (alg != COSE_ES256)
		return refuse(WEBAUTHN_UNSUPPORTED, why,
			      "a packed attestation certificate must sign with ES256 here");
	const cbor_item_t *leaf = cbor_array_handle(x5c)[0];
	const unsigned char *p = cbor_bytestring_handle(leaf);
	X509 *cert = d2i_X509(NULL, &p, (long)cbor_bytestring_length(leaf));
	if (!cert)
		return refuse(WEBAUTHN_MALFORMED, why,
			      "the packed attestation's certificate is not DER X.509");
	enum webauthn_result r = WEBAUTHN_OK;
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC || !md ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestVerify(md, sig, sig_len, msg, len) != 1)
		r = refuse(WEBAUTHN_BAD_SIGNATURE, why,
			   "the attestation signature does not verify with its certificate");
	else if (!cert_ok(cert, ad, why))
		r = WEBAUTHN_MALFORMED;
	EVP_MD_CTX_free(md);
	X509_free(cert);
	return r;
}

/* §8.2 "packed": self attestation (the credential's own key, of the same
 * alg) or a certificate (x5c). */
static enum webauthn_result packed(const cbor_item_t *stmt, const unsigned char *ad_bytes,
				   size_t ad_len, const unsigned char hash[32],
				   struct webauthn_credential *out, const char **why)
{
	long alg;
	const cbor_item_t *sig = cose_map_get(stmt, 0, "sig");
	const cbor_item_t *x5c = cose_map_get(stmt, 0, "x5c");
	if (cose_int(cose_map_get(stmt, 0, "alg"), &alg) < 0 || !bytestring(sig))
		return refuse(WEBAUTHN_MALFORMED, why, "the packed attestation lacks alg or sig");
	if (cose_map_get(stmt, 0, "ecdaaKeyId"))
		return refuse(WEBAUTHN_UNSUPPORTED, why, "ECDAA attestation is not supported");
	size_t len = 0;
	unsigned char *msg = signed_bytes(ad_bytes, ad_len, hash, &len);
	if (!msg)
		return refuse(WEBAUTHN_MALFORMED, why, "out of memory");
	enum webauthn_result r;
	if (x5c) {
		r = packed_x5c(x5c, alg, msg, len, cbor_bytestring_handle(sig),
			       cbor_bytestring_length(sig), &out->ad, why);
		strfmt(out->attestation, sizeof out->attestation, "basic");
	} else if (alg != out->ad.key.alg) {
		r = refuse(WEBAUTHN_MALFORMED, why,
			   "the self attestation's alg is not the credential key's");
	} else {
		r = cose_verify(&out->ad.key, msg, len, cbor_bytestring_handle(sig),
				cbor_bytestring_length(sig)) == 0
			    ? WEBAUTHN_OK
			    : refuse(WEBAUTHN_BAD_SIGNATURE, why,
				     "the self attestation signature does not verify with the "
				     "credential's key");
		strfmt(out->attestation, sizeof out->attestation, "self");
	}
	free(msg);
	return r;
}

enum webauthn_result webauthn_register(const struct webauthn_expect *e,
				       const unsigned char *client_data, size_t cd_len,
				       const unsigned char *att_obj, size_t att_len,
				       struct webauthn_credential *out, const char **why)
{
	unsigned char hash[32];
	memset(out, 0, sizeof *out);
	enum webauthn_result r = webauthn_client_data_check(client_data, cd_len, e, hash, why);
	if (r)
		return r;
	size_t used = 0;
	cbor_item_t *obj = cose_load(att_obj, att_len, &used);
	if (!obj || used != att_len || !cbor_isa_map(obj)) {
		r = refuse(WEBAUTHN_MALFORMED, why, "the attestation object is not one CBOR map");
		goto out;
	}
	const cbor_item_t *fmt = cose_map_get(obj, 0, "fmt");
	const cbor_item_t *stmt = cose_map_get(obj, 0, "attStmt");
	const cbor_item_t *ad = cose_map_get(obj, 0, "authData");
	if (!fmt || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt) || !stmt ||
	    !cbor_isa_map(stmt) || !cbor_map_is_definite(stmt) || !bytestring(ad)) {
		r = refuse(WEBAUTHN_MALFORMED, why,
			   "the attestation object lacks fmt, attStmt or authData");
		goto out;
	}
	const unsigned char *ad_bytes = cbor_bytestring_handle(ad);
	size_t ad_len = cbor_bytestring_length(ad);
	if ((r = webauthn_authdata_parse(ad_bytes, ad_len, &out->ad, why)))
		goto out;
	if (!(out->ad.flags & WEBAUTHN_AT)) {
		r = refuse(WEBAUTHN_MALFORMED, why, "the authenticator data attests no credential");
		goto out;
	}
	if ((r = check_rp_and_user(e, &out->ad, why)))
		goto out;
	size_t fl = cbor_string_length(fmt);
	const unsigned char *f = cbor_string_handle(fmt);
	if (fl == 4 && !memcmp(f, "none", 4)) {
		if (cbor_map_size(stmt) != 0)
			r = refuse(WEBAUTHN_MALFORMED, why,
				   "an attestation of format none must have an empty attStmt");
		strfmt(out->fmt, sizeof out->fmt, "none");
		strfmt(out->attestation, sizeof out->attestation, "none");
	} else if (fl == 6 && !memcmp(f, "packed", 6)) {
		strfmt(out->fmt, sizeof out->fmt, "packed");
		r = packed(stmt, ad_bytes, ad_len, hash, out, why);
	} else {
		r = refuse(WEBAUTHN_UNSUPPORTED, why,
			   "the attestation format is not supported: ask for attestation "
			   "\"none\" (or use a \"packed\" authenticator)");
	}
out:
	if (obj)
		cbor_decref(&obj);
	return r;
}

enum webauthn_result webauthn_authenticate(const struct webauthn_expect *e,
					   const unsigned char *client_data, size_t cd_len,
					   const unsigned char *auth_data, size_t ad_len,
					   const unsigned char *sig, size_t sig_len,
					   const unsigned char *key_cbor, size_t key_len,
					   uint32_t stored_count, struct webauthn_authdata *out,
					   const char **why)
{
	unsigned char hash[32];
	struct cose_key key;
	enum webauthn_result r = webauthn_client_data_check(client_data, cd_len, e, hash, why);
	if (r)
		return r;
	if ((r = webauthn_authdata_parse(auth_data, ad_len, out, why)))
		return r;
	if (out->flags & WEBAUTHN_AT)
		return refuse(WEBAUTHN_MALFORMED, why,
			      "an assertion's authenticator data must not attest a credential");
	if ((r = check_rp_and_user(e, out, why)))
		return r;
	if (cose_key_parse(key_cbor, key_len, &key, NULL, why) < 0)
		return WEBAUTHN_MALFORMED;
	size_t len = 0;
	unsigned char *msg = signed_bytes(auth_data, ad_len, hash, &len);
	if (!msg)
		return refuse(WEBAUTHN_MALFORMED, why, "out of memory");
	int ok = cose_verify(&key, msg, len, sig, sig_len) == 0;
	free(msg);
	if (!ok)
		return refuse(WEBAUTHN_BAD_SIGNATURE, why,
			      "the assertion signature does not verify with this passkey's key");
	/* §7.2 step 21: a count that fails to grow means two authenticators
	 * hold the key; authenticators that keep no count send 0 always. */
	if ((out->sign_count || stored_count) && out->sign_count <= stored_count)
		return refuse(WEBAUTHN_SIGN_COUNT, why,
			      "the passkey's sign count did not grow since its last use: the "
			      "authenticator may have been cloned; remove this passkey and register "
			      "a new one");
	return WEBAUTHN_OK;
}
