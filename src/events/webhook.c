/* Webhook deliveries: the body, its signature, the POST. */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "events/events.h"

void webhook_sign(const char *secret, int64_t unix_seconds, const char *body, size_t len,
		  char out[WEBHOOK_SIGNATURE_MAX])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char t[24], hex[2 * sizeof mac + 1];
	crypto_auth_hmacsha256_state st;
	strfmt(t, sizeof t, "%lld", (long long)unix_seconds);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	strfmt(out, WEBHOOK_SIGNATURE_MAX, "t=%s,v1=%s", t, hex);
}

char *webhook_body(const struct store_event *e)
{
	char when[32];
	clock_format_ms(e->created_at, when, sizeof when);
	json_t *data = json_loads(e->payload, 0, NULL);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", e->id, "type", e->type,
				 "created_at", when, "app", e->app, "data", data ? data : json_object());
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

int webhook_post(void *curl, const char *url, const char *secret, const char *event_id,
		 const char *body, int timeout_s, int64_t now, char *error, size_t errlen)
{
	char sig[WEBHOOK_SIGNATURE_MAX], h1[160], h2[120];
	webhook_sign(secret, now / 1000, body, strlen(body), sig);
	strfmt(h1, sizeof h1, "Iotp-Signature: %s", sig);
	strfmt(h2, sizeof h2, "Iotp-Event-Id: %s", event_id);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = curl_slist_append(headers, h1);
	headers = curl_slist_append(headers, h2);
	headers = curl_slist_append(headers, "User-Agent: iotp-webhooks");
	CURL *h = curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		strfmt(error, errlen, "the webhook did not answer: %s", curl_easy_strerror(rc));
		return 1;
	}
	if (status < 200 || status > 299) {
		strfmt(error, errlen, "the webhook answered HTTP %ld", status);
		return 1;
	}
	return 0;
}
