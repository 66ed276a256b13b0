#include "delivery/fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "delivery/fetch_plain.h"

/* Idle handles kept for reuse: each keeps its connection to the gateway. */
#define FETCH_IDLE_MAX 64

struct fetch {
	pthread_mutex_t lock;
	long timeout_ms;
	struct fetch_plain *plain; /* NULL: a proxy is set, libcurl takes everything */
	int n_idle;
	CURL *idle[FETCH_IDLE_MAX];
};

struct fetch *fetch_new(long timeout_ms)
{
	struct fetch *f = xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->lock, NULL);
	f->timeout_ms = timeout_ms;
	/* libcurl honours these (http_proxy only in lower case, for http://);
	 * fetch_plain knows no proxy, so with one set it stays out of the way. */
	if (!getenv("http_proxy") && !getenv("all_proxy") && !getenv("ALL_PROXY"))
		f->plain = fetch_plain_new(timeout_ms);
	return f;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n_idle; i++)
		curl_easy_cleanup(f->idle[i]);
	fetch_plain_free(f->plain);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static CURL *take(struct fetch *f)
{
	CURL *c = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->n_idle)
		c = f->idle[--f->n_idle];
	pthread_mutex_unlock(&f->lock);
	return c ? c : curl_easy_init();
}

static void give_back(struct fetch *f, CURL *c)
{
	pthread_mutex_lock(&f->lock);
	if (f->n_idle < FETCH_IDLE_MAX) {
		f->idle[f->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (c)
		curl_easy_cleanup(c);
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
	if (f->plain && !strcmp(req->method, "GET") && !req->body && !req->userpwd &&
	    (!req->headers || !req->headers[0]) && fetch_plain_accepts(req->url))
		return fetch_plain_get(f->plain, req->url, ans, err, errlen);
	CURL *c = take(f);
	if (!c) {
		strfmt(err, errlen, "cannot set up an HTTP client");
		return -1;
	}
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
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
	give_back(f, c);
	ans->body[ans->len] = '\0';
	if (rc != CURLE_OK) {
		const char *what = curl_easy_strerror(rc);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			strfmt(err, errlen, "no answer within %ld ms", f->timeout_ms);
		else if (rc == CURLE_COULDNT_CONNECT)
			strfmt(err, errlen, "could not connect (%s)",
			       curl_err[0] ? curl_err : what);
		else
			strfmt(err, errlen, "%s", curl_err[0] ? curl_err : what);
		return -1;
	}
	return 0;
}

void fetch_get_batch(struct fetch *f, const char *const *urls, size_t n, struct fetch_answer *ans,
                     int *rc, char *err, size_t errlen)
{
	int plain = f->plain != NULL;
	for (size_t i = 0; plain && i < n; i++)
		plain = fetch_plain_accepts(urls[i]);
	if (plain) {
		fetch_plain_get_batch(f->plain, urls, n, ans, rc, err, errlen);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct fetch_request req = {.method = "GET", .url = urls[i]};
		rc[i] = fetch_do(f, &req, &ans[i], err + i * errlen, errlen);
	}
}
