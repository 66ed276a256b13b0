/* iotpctl --url URL --key KEY: the operator's commands against a running
 * iotpd's admin API (/v1/admin), so an operator need not be on the database
 * machine. The key is the server's admin_key (or $IOTP_ADMIN_KEY); an app's
 * API key is refused by the server. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "ctl.h"

#define REPLY_MAX (4 * 1024 * 1024)

struct reply {
	char *data;
	size_t len;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	if (r->len + add > REPLY_MAX) {
		r->too_big = 1;
		return 0;
	}
	r->data = xrealloc(r->data, r->len + add + 1);
	memcpy(r->data + r->len, p, add);
	r->len += add;
	r->data[r->len] = '\0';
	return add;
}

/* One request; returns the parsed JSON answer (the caller's), with *status,
 * or NULL after saying why on stderr. */
static json_t *call(const char *base, const char *key, const char *method, const char *path,
                    const char *body, long *status)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char url[2048], auth[600];
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	strfmt(url, sizeof url, "%.*s%s", (int)bl, base, path);
	strfmt(auth, sizeof auth, "Authorization: Bearer %s", key);
	struct curl_slist *headers = curl_slist_append(NULL, auth);
	if (body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	struct reply r = {0};
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "iotpctl: %s: %s%s\n", url,
		        r.too_big ? "the answer is larger than 4 MiB" : curl_easy_strerror(rc),
		        rc == CURLE_COULDNT_CONNECT ? " (is iotpd running there?)" : "");
		free(r.data);
		return NULL;
	}
	json_error_t err;
	json_t *j = json_loads(r.data ? r.data : "", 0, &err);
	free(r.data);
	if (!j)
		fprintf(stderr, "iotpctl: %s answered %ld with something that is not JSON\n", url,
		        *status);
	return j;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

/* Prints the server's refusal; returns the exit status for it. */
static int refused(json_t *j, long status)
{
	json_t *e = json_object_get(j, "error");
	fprintf(stderr, "iotpctl: the server said %ld %s: %s\n", status, str(e, "code"),
	        str(e, "message"));
	return 1;
}

static void print_number(json_t *j)
{
	printf("%s (%s, %s)\n", str(j, "phone"), str(j, "region"), str(j, "country_name"));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(j, "timeline"), i, e)
	    printf("  %s  %-22s %s\n", str(e, "at"), str(e, "type"), str(e, "text"));
	if (!json_array_size(json_object_get(j, "timeline")))
		printf("  nothing: no session was ever started for this number\n");
}

/* "42%", or "-" when nothing was sent. */
static const char *percent(json_t *conversion, char *buf, size_t size)
{
	if (!json_is_number(conversion))
		return "-";
	strfmt(buf, size, "%.0f%%", 100 * json_number_value(conversion));
	return buf;
}

static void print_pairs(json_t *list, const char *key, const char *title)
{
	size_t i;
	json_t *r;
	char pc[16];
	json_array_foreach(list, i, r)
	    printf("%-9s %-12s sent=%lld verified=%lld conversion=%s\n", title, str(r, key),
	           (long long)json_integer_value(json_object_get(r, "sent")),
	           (long long)json_integer_value(json_object_get(r, "verified")),
	           percent(json_object_get(r, "conversion"), pc, sizeof pc));
}

static void print_counts(json_t *obj, const char *title)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	    printf("%-9s %-12s %lld\n", title, k, (long long)json_integer_value(v));
}

static void print_stats(json_t *j)
{
	json_t *t = json_object_get(j, "totals");
	char pc[16];
	printf("range %s (%s to %s)\nsent %lld\nverified %lld\nconversion %s\n", str(j, "range"),
	       str(j, "since"), str(j, "until"),
	       (long long)json_integer_value(json_object_get(t, "sent")),
	       (long long)json_integer_value(json_object_get(t, "verified")),
	       percent(json_object_get(t, "conversion"), pc, sizeof pc));
	print_pairs(json_object_get(j, "countries"), "region", "country");
	print_pairs(json_object_get(j, "providers"), "provider", "provider");
	print_counts(json_object_get(j, "deliveries"), "delivery");
	print_counts(json_object_get(j, "refusals"), "refused");
}

static void print_blocks(json_t *j)
{
	size_t i;
	json_t *b;
	printf("%-20s %-9s\n", "KEY", "MEASURE");
	json_array_foreach(json_object_get(j, "blocks"), i, b) printf(
	    "%-20s %-9s since %s  sent=%.0f verified=%.0f  (%s) %s\n", str(b, "key"),
	    str(b, "measure"), str(b, "since"), json_number_value(json_object_get(b, "sent")),
	    json_number_value(json_object_get(b, "verified")), str(b, "applies_to"),
	    str(b, "reason"));
}

static void usage_remote(void)
{
	fputs("usage: iotpctl --url URL [--key KEY] [--json] number PHONE | stats [RANGE] |\n"
	      "                fraud list | fraud unblock KEY\n"
	      "  RANGE: 15m, 1h (default), 6h, 24h or 7d. KEY defaults to $IOTP_ADMIN_KEY.\n",
	      stderr);
}

int ctl_remote(const char *url, const char *key, int json_out, int argc, char **argv)
{
	if (!key || !*key)
		key = getenv("IOTP_ADMIN_KEY");
	if (!key || !*key) {
		fprintf(stderr,
		        "iotpctl: --url needs the server's admin key: --key KEY or "
		        "IOTP_ADMIN_KEY (its admin_key option; an app's key will not do)\n");
		return 2;
	}
	if (argc < 1) {
		usage_remote();
		return 2;
	}
	const char *cmd = argv[0];
	char path[512], body[256];
	const char *method = "GET", *payload = NULL;
	void (*print)(json_t *) = NULL;
	if (!strcmp(cmd, "number") && argc >= 2) {
		char *esc = curl_easy_escape(NULL, argv[1], 0);
		strfmt(path, sizeof path, "/v1/admin/numbers/%s", esc ? esc : "");
		curl_free(esc);
		print = print_number;
	} else if (!strcmp(cmd, "stats")) {
		strfmt(path, sizeof path, "/v1/admin/stats?range=%s", argc >= 2 ? argv[1] : "1h");
		print = print_stats;
	} else if (!strcmp(cmd, "fraud") && (argc == 1 || !strcmp(argv[1], "list"))) {
		strfmt(path, sizeof path, "/v1/admin/blocks");
		print = print_blocks;
	} else if (!strcmp(cmd, "fraud") && !strcmp(argv[1], "unblock") && argc >= 3) {
		json_t *b = json_pack("{s:s}", "key", argv[2]);
		char *text = json_dumps(b, JSON_COMPACT);
		strfmt(body, sizeof body, "%s", text ? text : "{}");
		free(text);
		json_decref(b);
		strfmt(path, sizeof path, "/v1/admin/blocks/lift");
		method = "POST";
		payload = body;
	} else {
		usage_remote();
		return 2;
	}
	long status = 0;
	json_t *j = call(url, key, method, path, payload, &status);
	if (!j)
		return 1;
	int rc = 0;
	if (status != 200) {
		rc = refused(j, status);
	} else if (json_out) {
		char *text = json_dumps(j, JSON_INDENT(2));
		puts(text ? text : "");
		free(text);
	} else if (print) {
		print(j);
	} else {
		printf("lifted %s; iotpd sees it within a second\n", argv[2]);
	}
	json_decref(j);
	return rc;
}
