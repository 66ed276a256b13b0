/* iotp's own e-mails (the PIN reset link), sent by SMTP through libcurl. The
 * address and the link are sealed in the event row; they are opened only here,
 * in memory, and never logged. */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/seal.h"
#include "events/events.h"

struct upload {
	const char *text;
	size_t len, off;
};

static size_t feed(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t room = size * n, left = u->len - u->off;
	size_t k = left < room ? left : room;
	memcpy(buf, u->text + u->off, k);
	u->off += k;
	return k;
}

/* Opens a sealed, base64 field of the payload into out. */
static int open_field(const struct events_context *ctx, const struct store_event *e,
		      json_t *payload, const char *name, char *out, size_t size)
{
	const char *b64 = json_string_value(json_object_get(payload, name));
	unsigned char sealed[1500];
	size_t len;
	if (!b64 || sodium_base642bin(sealed, sizeof sealed, b64, strlen(b64), NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) < 0)
		return -1;
	return seal_open(ctx->message_key, e->id, sealed, len, out, size, NULL);
}

int mail_send(void *curl, const struct events_context *ctx, const struct store_event *e,
	      char *error, size_t errlen)
{
	const struct config *cfg = ctx->cfg;
	if (strcmp(e->type, "mail.pin_reset") != 0) {
		strfmt(error, errlen, "unknown kind of e-mail '%s'", e->type);
		return 2;
	}
	if (!*cfg->smtp_url) {
		strfmt(error, errlen, "no smtp_url is configured");
		return 2;
	}
	char to[300], link[1100], rcpt[310], date[64], text[4096];
	json_t *payload = json_loads(e->payload, 0, NULL);
	const char *phone = json_string_value(json_object_get(payload, "phone"));
	if (!payload || open_field(ctx, e, payload, "to", to, sizeof to) < 0 ||
	    open_field(ctx, e, payload, "link", link, sizeof link) < 0) {
		json_decref(payload);
		strfmt(error, errlen, "the e-mail does not open with this server's secret");
		return 2;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strfmt(text, sizeof text,
			 "Date: %s\r\nFrom: %s\r\nTo: %s\r\nMessage-ID: <%s@iotp>\r\n"
			 "Subject: Reset your two-step verification PIN\r\n"
			 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
			 "Someone (hopefully you) asked to reset the two-step verification PIN of the\r\n"
			 "account on %s.\r\n\r\nOpen this link to turn the PIN off, then register again:\r\n\r\n"
			 "%s\r\n\r\nThe link works once, for %d minutes. If you did not ask for it, ignore this\r\n"
			 "e-mail: your PIN stays as it is.\r\n",
			 date, cfg->smtp_from, to, e->id, phone ? phone : "your number", link,
			 cfg->pin_reset_ttl / 60);
	json_decref(payload);
	strfmt(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload u = {text, strlen(text), 0};
	CURL *h = curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, cfg->smtp_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->webhook_timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* A reset link in clear is as good as the PIN to whoever reads the wire:
	 * outside dev mode the e-mail goes over TLS or not at all. */
	long tls = !strcmp(cfg->smtp_tls, "require")	     ? (long)CURLUSESSL_ALL
		   : !strcmp(cfg->smtp_tls, "opportunistic") ? (long)CURLUSESSL_TRY
							     : (long)CURLUSESSL_NONE;
	curl_easy_setopt(h, CURLOPT_USE_SSL, tls);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/* TLS that accepts any certificate only hides the link from a passive
	 * listener; the peer is checked too, against the operator's CAs if given. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*cfg->smtp_ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->smtp_ca_file);
	if (*cfg->smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->smtp_password);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(rcpts);
	sodium_memzero(text, sizeof text);
	sodium_memzero(link, sizeof link);
	sodium_memzero(to, sizeof to);
	if (rc != CURLE_OK) {
		strfmt(error, errlen, "the SMTP server did not take the e-mail: %s", curl_easy_strerror(rc));
		return 1;
	}
	return 0;
}
