#include "delivery/fetch.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

struct fetch {
	CURL *curl;
	long timeout_ms;
};

struct fetch *fetch_new(long timeout_ms)
{
	struct fetch *f = xcalloc(1, sizeof *f);
	f->curl = curl_easy_init();
	if (!f->curl) {
		free(f);
		return NULL;
	}
	f->timeout_ms = timeout_ms;
	return f;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	curl_easy_cleanup(f->curl);
	free(f);
}

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct fetch_answer *a = arg;
	size_t len = size * n, room = FETCH_ANSWER_MAX - a->len;
	memcpy(a->body + a->len, ptr, len < room ? len : room);
	a->len += len < room ? len : room;
	return len; /* keep reading: the connection stays reusable */
}

int fetch_do(struct fetch *f, const struct fetch_request *req, struct fetch_answer *ans, char *err,
	     size_t errlen)
{
	CURL *c = f->curl;
	struct curl_slist *headers = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	ans->status = 0;
	ans->len = 0;
	ans->body[0] = '\0';
	curl_easy_reset(c); /* keeps the connection cache */
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "iotpd");
	if (req->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd);
	}
	for (const char *const *h = req->headers; h && *h; h++)
		headers = curl_slist_append(headers, *h);
	/* No "Expect: 100-continue" round trip before small bodies. */
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	}
	if (strcmp(req->method, "GET") != 0 || req->body)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	ans->body[ans->len] = '\0';
	if (rc != CURLE_OK) {
		const char *what = curl_easy_strerror(rc);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			strfmt(err, errlen, "no answer within %ld ms", f->timeout_ms);
		else if (rc == CURLE_COULDNT_CONNECT)
			strfmt(err, errlen, "could not connect (%s)", curl_err[0] ? curl_err : what);
		else
			strfmt(err, errlen, "%s", curl_err[0] ? curl_err : what);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
	return 0;
}
