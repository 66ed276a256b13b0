/* Delivery reports as gateways send them to /v1/dlr/{provider}, read by the
 * kannel provider (report_from_kannel) and by http providers configured as
 * the examples in docs/providers/ (Twilio's signed form callbacks, Vonage's
 * receipts with iotp's URL token, WhatsApp's signed JSON webhooks).
 *
 * Input: a selector byte (provider; whether the harness signs the request as
 * the real gateway would), then query string, NUL, content type, NUL, request
 * target, NUL, body. Contract: the result is one of the report outcomes; a
 * refusal says why; an accepted report names its message, has a state iotp
 * knows and a reason that is UTF-8 (it is stored and served as JSON); and a
 * request the harness did not sign is refused as forged, whatever it says. */
#include <sodium.h>
#include <strings.h>

#include "config.h"
#include "delivery/callback.h"
#include "delivery/provider.h"
#include "fuzz.h"
#include "store/store.h"

#define PUBLIC_URL "https://otp.example.com"

struct provider {
	const char *file, *name;
	const struct provider_ops *ops;
	struct config cfg;
	void *state;
	const char *secret; /* URL token's secret, or NULL */
	struct callback_key key; /* secret's */
	const char *sig_header, *sig_secret;
};

static struct provider providers[] = {
    {.file = "docs/providers/twilio-messaging.conf", .name = "twilio-sms", .ops = &provider_http_ops},
    {.file = "docs/providers/vonage-sms.conf", .name = "vonage", .ops = &provider_http_ops},
    {.file = "docs/providers/whatsapp-cloud.conf", .name = "whatsapp", .ops = &provider_http_ops},
    {.file = "tests/fuzz/kannel.conf", .name = "kannel", .ops = &provider_kannel_ops},
};
#define N_PROVIDERS (sizeof providers / sizeof providers[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < N_PROVIDERS; i++) {
		struct provider *p = &providers[i];
		char path[1024], err[512];
		snprintf(path, sizeof path, "%s/%s", IOTP_SOURCE_ROOT, p->file);
		const struct config_section *s = NULL;
		if (config_load(&p->cfg, path, 0, err, sizeof err) < 0 ||
		    !(s = config_section_find(&p->cfg, "provider", p->name))) {
			fprintf(stderr, "fuzz_dlr: %s: %s\n", path, err);
			abort();
		}
		struct provider_env env = {.cfg = &p->cfg, .section = s, .name = p->name,
					   .public_url = PUBLIC_URL};
		if (p->ops->open(&env, &p->state, err, sizeof err) < 0) {
			fprintf(stderr, "fuzz_dlr: %s\n", err);
			abort();
		}
		p->secret = config_section_get(s, "callback_secret");
		if (p->secret)
			callback_key_init(&p->key, p->secret);
		p->sig_secret = config_section_get(s, "callback_signature_secret");
		p->sig_header = config_section_get(s, "callback_signature_header");
		if (!p->sig_header && p->sig_secret)
			p->sig_header = "X-Twilio-Signature";
	}
	return 0;
}

#define ARGS_MAX 16

struct request {
	const struct provider *p;
	int sign;
	const char *body, *target;
	size_t body_len;
	int n_args;
	char *key[ARGS_MAX], *value[ARGS_MAX];
	char token[CALLBACK_TOKEN_LEN + 1], sig[80];
};

/* Splits the query string as libmicrohttpd would hand its arguments over
 * (pointers that stay valid for the whole request; values taken as they come,
 * the fuzzer writes any byte but NUL). */
static void parse_query(struct request *r, char *q)
{
	r->n_args = 0;
	for (char *s = q; s && *s && r->n_args < ARGS_MAX;) {
		char *amp = strchr(s, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
			r->key[r->n_args] = s;
			r->value[r->n_args++] = eq + 1;
		}
		s = amp ? amp + 1 : NULL;
	}
}

/* A query argument; the token "t" is the right one when signing. */
static const char *query(void *arg, const char *key)
{
	struct request *r = arg;
	for (int i = 0; i < r->n_args; i++) {
		if (strcmp(r->key[i], key) != 0)
			continue;
		if (r->sign && r->p->secret && !strcmp(key, "t")) {
			const char *m = query(arg, "m");
			callback_token(&r->p->key, m ? m : "", r->token);
			return r->token;
		}
		return r->value[i];
	}
	return NULL;
}

static const char *header(void *arg, const char *name)
{
	struct request *r = arg;
	if (!r->sign || !r->p->sig_header || strcasecmp(name, r->p->sig_header) != 0)
		return NULL;
	if (!strcmp(r->p->sig_header, "X-Twilio-Signature")) {
		size_t ul = strlen(PUBLIC_URL) + strlen(r->target) + 1;
		char *url = malloc(ul);
		snprintf(url, ul, "%s%s", PUBLIC_URL, r->target);
		/* With bodySHA256 in the URL (JSON bodies) Twilio signs the URL alone. */
		int hashed = strstr(r->target, "bodySHA256=") != NULL;
		int rc = callback_twilio_signature(r->p->sig_secret, url, hashed ? "" : r->body,
						   hashed ? 0 : r->body_len, r->sig);
		free(url);
		return rc == 0 ? r->sig : NULL;
	}
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)r->p->sig_secret,
				    strlen(r->p->sig_secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)r->body, r->body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(r->sig, "sha256=", 7);
	sodium_bin2hex(r->sig + 7, sizeof r->sig - 7, mac, sizeof mac);
	return r->sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_parts in;
	fuzz_split(data + 1, size - 1, 4, &in);
	struct request r = {.p = &providers[data[0] % N_PROVIDERS],
			    .sign = (data[0] & 0x80) != 0,
			    .target = in.s[2],
			    .body = in.s[3],
			    .body_len = in.len[3]};
	parse_query(&r, in.s[0]);
	struct provider_report_in rin = {.query = query,
					 .header = header,
					 .arg = &r,
					 .content_type = in.s[1][0] ? in.s[1] : NULL,
					 .body = r.body,
					 .body_len = r.body_len,
					 .target = r.target[0] ? r.target : NULL};
	struct provider_report out;
	char error[256] = "";
	memset(&out, 0x5a, sizeof out);
	int rc = r.p->ops->report(r.p->state, &rin, &out, error, sizeof error);
	FUZZ_ASSERT(rc == 0 || rc == PROVIDER_REPORT_FORGED || rc == PROVIDER_REPORT_INVALID ||
		    rc == PROVIDER_REPORT_IGNORED || rc == PROVIDER_REPORT_CHALLENGE);
	FUZZ_ASSERT(memchr(error, '\0', sizeof error));
	if (rc != 0 && rc != PROVIDER_REPORT_CHALLENGE) /* a challenge is answered, not refused */
		FUZZ_ASSERT(error[0] != '\0');
	if (rc == PROVIDER_REPORT_CHALLENGE) {
		FUZZ_ASSERT(out.ref[0] && strspn(out.ref, "0123456789") == strlen(out.ref));
	} else if (!r.sign) {
		/* Nobody without the secrets gets a report taken. */
		FUZZ_ASSERT(rc == PROVIDER_REPORT_FORGED);
	}
	if (rc == 0) {
		FUZZ_ASSERT(memchr(out.id, '\0', sizeof out.id) && memchr(out.ref, '\0', sizeof out.ref));
		FUZZ_ASSERT(memchr(out.reason, '\0', sizeof out.reason));
		FUZZ_ASSERT(out.id[0] || out.ref[0]);
		FUZZ_ASSERT(out.state == STORE_MSG_SENT || out.state == STORE_MSG_ACCEPTED ||
			    out.state == STORE_MSG_DELIVERED || out.state == STORE_MSG_FAILED ||
			    out.state == STORE_MSG_EXPIRED);
		FUZZ_ASSERT(fuzz_utf8(out.reason, strlen(out.reason)));
		if (r.p->ops == &provider_kannel_ops) {
			/* Only the report types Kannel sends, written as numbers. */
			const char *type = query(&r, "type");
			char *end = NULL;
			long t = type ? strtol(type, &end, 10) : 0;
			FUZZ_ASSERT(type && end != type && *end == '\0');
			FUZZ_ASSERT(t == 1 || t == 2 || t == 8 || t == 16);
		}
	}
	fuzz_parts_free(&in);
	return 0;
}
