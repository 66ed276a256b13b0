/* webauthn: the checks of the WebAuthn Level 2 ceremonies (§7.1 registration,
 * §7.2 authentication) on what a browser sent: clientDataJSON, authenticator
 * data, attestation objects of format "none" and "packed" (self attestation,
 * or an x5c certificate whose signature and §8.2.1 fields are checked; its
 * chain is not: no trust anchors are configured), and assertion signatures.
 * CBOR and COSE are read with libcbor (base/cose.h). Nothing here knows of
 * accounts, challenges' storage or time: the caller passes what it expects. */
#ifndef IOTP_WEBAUTHN_H
#define IOTP_WEBAUTHN_H

#include <stddef.h>
#include <stdint.h>

#include "base/cose.h"

#define WEBAUTHN_CRED_ID_MAX 1023 /* §6.5.1: credentialIdLength is at most 1023 */
#define WEBAUTHN_KEY_MAX 256      /* a COSE_Key of ES256 or EdDSA is under 100 bytes */

/* authenticatorData flags (§6.1). */
#define WEBAUTHN_UP 0x01 /* user present */
#define WEBAUTHN_UV 0x04 /* user verified */
#define WEBAUTHN_BE 0x08 /* backup eligible: the passkey may be synced */
#define WEBAUTHN_BS 0x10 /* backed up: it is synced now */
#define WEBAUTHN_AT 0x40 /* attested credential data follows */
#define WEBAUTHN_ED 0x80 /* extensions follow */

/* What a check came to: which of the ceremony's steps refused (each a
 * different error for the client), with a sentence in *why. */
enum webauthn_result {
	WEBAUTHN_OK = 0,
	WEBAUTHN_MALFORMED,      /* not what the spec says these bytes are */
	WEBAUTHN_UNSUPPORTED,    /* an attestation format or key type not taken here */
	WEBAUTHN_WRONG_TYPE,     /* clientData.type is not this ceremony's */
	WEBAUTHN_WRONG_CHALLENGE,/* clientData.challenge is not the one expected */
	WEBAUTHN_WRONG_ORIGIN,   /* clientData.origin is not an allowed origin */
	WEBAUTHN_WRONG_RP_ID,    /* rpIdHash is not SHA-256 of the relying party id */
	WEBAUTHN_NO_USER,        /* UP (or UV, when required) not set */
	WEBAUTHN_BAD_SIGNATURE,  /* a signature does not verify */
	WEBAUTHN_SIGN_COUNT,     /* the sign count did not grow: a cloned authenticator? */
};

/* What the relying party expects of one ceremony. */
struct webauthn_expect {
	const char *type;      /* "webauthn.create" or "webauthn.get" */
	const char *challenge; /* base64url without padding, as clientData carries it */
	const char *rp_id;     /* "example.com" */
	const char *const *origins; /* allowed origins, exactly as clientData.origin; one
				     * ending ":*" takes any port (development on localhost) */
	size_t n_origins;
	int require_uv;        /* 1: the UV flag must be set */
};

/* Authenticator data (§6.1), copied out of the bytes it was read from. */
struct webauthn_authdata {
	unsigned char rp_id_hash[32];
	unsigned flags;
	uint32_t sign_count;
	/* With WEBAUTHN_AT: */
	unsigned char aaguid[16];
	unsigned char cred_id[WEBAUTHN_CRED_ID_MAX];
	size_t cred_id_len;
	unsigned char key_cbor[WEBAUTHN_KEY_MAX]; /* the COSE_Key as sent */
	size_t key_cbor_len;
	struct cose_key key;
};

/* Reads authenticator data: the attested credential's key must be ES256 or
 * EdDSA; extensions, when flagged, must be one CBOR map; nothing may follow. */
enum webauthn_result webauthn_authdata_parse(const unsigned char *in, size_t len,
					     struct webauthn_authdata *out, const char **why);

/* §7.1 steps 7-14 and §7.2 steps 11-16 on clientDataJSON: type, challenge,
 * origin (crossOrigin refused); fills hash with its SHA-256. */
enum webauthn_result webauthn_client_data_check(const unsigned char *json, size_t len,
						const struct webauthn_expect *e,
						unsigned char hash[32], const char **why);

/* What a registration yields. */
struct webauthn_credential {
	struct webauthn_authdata ad;
	char fmt[8];          /* "none" or "packed" */
	char attestation[8];  /* "none", "self" (packed, no x5c) or "basic" (packed x5c,
			       * chain not verified) */
};

/* A registration (§7.1): clientDataJSON and the attestation object as the
 * browser sent them. Checks client data, rpIdHash, UP/UV, that a credential
 * is attested, and the attestation statement. */
enum webauthn_result webauthn_register(const struct webauthn_expect *e,
				       const unsigned char *client_data, size_t cd_len,
				       const unsigned char *att_obj, size_t att_len,
				       struct webauthn_credential *out, const char **why);

/* An authentication (§7.2) with a stored credential public key (COSE bytes)
 * and the sign count stored with it. A count that does not grow (when either
 * is non-zero) is refused: WEBAUTHN_SIGN_COUNT. *out gets the new flags and
 * count. */
enum webauthn_result webauthn_authenticate(const struct webauthn_expect *e,
					   const unsigned char *client_data, size_t cd_len,
					   const unsigned char *auth_data, size_t ad_len,
					   const unsigned char *sig, size_t sig_len,
					   const unsigned char *key_cbor, size_t key_len,
					   uint32_t stored_count, struct webauthn_authdata *out,
					   const char **why);

#endif
