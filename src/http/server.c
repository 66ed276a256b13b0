/* The libmicrohttpd glue: connection accounting, request bodies with hard
 * limits, JSON parsing, routing, auth, and writing JSON responses. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/durable.h"
#include "base/json_write.h"
#include "base/log.h"
#include "base/outage.h"
#include "http/auth.h"
#include "base/utf8.h"
#include "http/conntrack.h"
#include "http/deadline.h"
#include "http/forwarded.h"
#include "http/http.h"
#include "http/router.h"

/* Past this much body we stop reading and drop the connection: a client that
 * keeps sending after being too large is not going to read our 413 either. */
#define DISCARD_MAX (1024 * 1024)
/* Longest request target kept as sent (path and query string); a longer one
 * is still served, with req->target NULL. */
#define TARGET_MAX 2048

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_options opt;
	struct conntrack *conns;
	struct deadline *deadline;
	atomic_int in_flight;
	atomic_int held; /* connections suspended until their writes are durable */
	_Atomic uint64_t requests; /* numbered for their X-Request-Id */
	unsigned char id_key[crypto_shorthash_siphashx24_KEYBYTES];
};

/* One per request: made when its request line arrives (on_uri), freed when
 * libmicrohttpd reports the request completed. */
struct req_ctx {
	/* buf once a body arrives (none for none), so that a connection still
	 * sending its headers costs little: thousands may. */
	char *body;
	char *buf; /* HTTP_BODY_MAX + 1 bytes, or NULL; kept when the context is */
	char none[1];
	size_t len;
	size_t discarded;
	int started; /* on_request has seen it: counted in flight, under a deadline */
	int closes;  /* the client asked for the connection to close after the answer */
	char target[TARGET_MAX]; /* "" when too long */
	struct deadline_entry deadline;
	/* For the access log and X-Request-Id, set when the headers are in. */
	char request_id[HTTP_REQUEST_ID_MAX + 1];
	char method[16];
	const char *route;     /* the matched route's pattern (static), or NULL */
	const char *principal; /* the app that called, or NULL */
	int status;            /* what was answered; 0: nothing yet */
	struct timespec t0;    /* CLOCK_MONOTONIC when the headers were in */
	char params[HTTP_PARAMS_MAX][128];
	struct http_form form; /* points into body */
	/* An answer held back until the writes it reports are durable: the
	 * connection is suspended, and resumed by the store's commit. */
	struct durable_watch durable;
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct http_response held;
	http_error_fn held_reply;
	int holding; /* 1 while held; 2 resumed after a commit, 3 after a failed one */
};

struct http_conn {
	struct MHD_Connection *mhd;
};

const char *http_query(struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn->mhd, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn->mhd, MHD_HEADER_KIND, name);
}

json_t *http_reply_error(struct http_response *res, enum iotp_error e, const char *message)
{
	/* A message may quote what a client sent (a region, a field name) cut to a
	 * few bytes; JSON refuses anything but UTF-8, and the client would get
	 * "{}" instead of the error. */
	char clean[512];
	if (message && !utf8_valid(message, strlen(message))) {
		strfmt(clean, sizeof clean, "%s", message);
		utf8_scrub(clean);
		message = clean;
	}
	/* Built by hand rather than by json_pack, whose format string is read
	 * anew for every refusal; every string here is valid UTF-8 by now. */
	json_t *err = json_object();
	json_object_set_new_nocheck(err, "code", json_string_nocheck(iotp_error_code(e)));
	json_object_set_new_nocheck(err, "message",
				    json_string_nocheck(message ? message : iotp_error_message(e)));
	json_decref(res->body);
	res->body = json_object();
	json_object_set_new_nocheck(res->body, "error", err);
	/* The error replaces any body already written, which would be sent first. */
	free(res->text);
	res->text = NULL;
	res->text_type = NULL;
	res->status = iotp_error_status(e);
	return err;
}

/* http_reply_error as an http_error_fn. */
static void http_reply_error_fn(struct http_response *res, enum iotp_error e, const char *message)
{
	http_reply_error(res, e, message);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct req_ctx *rc,
				     struct http_response *res, int close_after)
{
	rc->status = res->status;
	const char *type = "application/json";
	if (res->text)
		type = res->text_type ? res->text_type : "text/html; charset=utf-8";
	struct MHD_Response *r;
	/* Most bodies fit on the stack, which MHD copies once (json_dumps grew a
	 * buffer by doubling and copied the result again). */
	char small[2048];
	size_t len;
	char *text = res->text ? res->text
		     : res->body ? json_write_text(res->body, small, sizeof small, &len)
				 : xstrdup("{}");
	if (!text)
		text = xstrdup("{\"error\":{\"code\":\"internal_error\",\"message\":"
			       "\"encoding failed\"}}");
	if (text == small)
		r = MHD_create_response_from_buffer(len, small, MHD_RESPMEM_MUST_COPY);
	else
		r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	json_decref(res->body);
	res->body = NULL;
	res->text = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (res->retry_after >= 0) {
		char v[24];
		strfmt(v, sizeof v, "%lld", (long long)res->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	if (res->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
	if (res->csp) {
		MHD_add_response_header(r, "Content-Security-Policy", res->csp);
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	}
	if (close_after)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(r, "X-Request-Id", rc->request_id);
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	if (ok == MHD_YES && (close_after || rc->closes)) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (ci && ci->socket_context)
			conntrack_leaving(rc->srv->conns, ci->socket_context);
	}
	return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct req_ctx *rc,
				  enum iotp_error e, const char *message, int close_after)
{
	struct http_response res = {.retry_after = -1};
	http_reply_error(&res, e, message);
	return send_response(conn, rc, &res, close_after);
}

static int is_type(const char *ct, const char *want)
{
	size_t n = strlen(want);
	if (!ct || strncasecmp(ct, want, n) != 0)
		return 0;
	char next = ct[n];
	return next == '\0' || next == ';' || next == ' ';
}

/* Whether the connection closes after this request's answer, as the client
 * asked: "Connection: close", or HTTP/1.0 without "keep-alive". */
static int asks_close(struct MHD_Connection *conn, const char *version)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
	int keep = strcmp(version, MHD_HTTP_VERSION_1_0) != 0;
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, " \t,");
		if (n == 5 && strncasecmp(p, "close", 5) == 0)
			return 1;
		if (n == 10 && strncasecmp(p, "keep-alive", 10) == 0)
			keep = 1;
		p += n;
	}
	return !keep;
}

/* Parses the body into a JSON object, or fills res (in the route's error shape)
 * with why not. */
static int parse_json(struct MHD_Connection *conn, struct req_ctx *rc, http_error_fn reply,
		      struct http_response *res, json_t **out)
{
	char msg[256];
	if (rc->len == 0) {
		*out = json_object();
		return 0;
	}
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!is_type(ct, "application/json")) {
		/* Name what came, in printable ASCII only: the message is JSON text. */
		char got[64] = "no Content-Type";
		if (ct) {
			size_t k = 0;
			for (; ct[k] && k < 48; k++)
				got[k + 1] = ct[k] >= 0x20 && ct[k] < 0x7f && ct[k] != '\'' ? ct[k] : '?';
			got[0] = '\'';
			got[k + 1] = '\'';
			got[k + 2] = '\0';
		}
		strfmt(msg, sizeof msg,
		       "Send the body as JSON with 'Content-Type: application/json' (got %s).", got);
		reply(res, IOTP_E_UNSUPPORTED_MEDIA_TYPE, msg);
		return -1;
	}
	json_error_t jerr;
	json_t *j = json_loadb(rc->body, rc->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j) {
		if (json_error_code(&jerr) == json_error_invalid_utf8) {
			reply(res, IOTP_E_INVALID_UTF8, NULL);
		} else {
			strfmt(msg, sizeof msg,
			       "The body is not valid JSON: %s (line %d, column %d). Check quotes, commas "
			       "and braces.",
			       jerr.text, jerr.line, jerr.column);
			reply(res, IOTP_E_MALFORMED_JSON, msg);
		}
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply(res, IOTP_E_INVALID_FIELD_TYPE,
		      "The body must be a JSON object, like {\"phone\": \"+447911123456\"}.");
		return -1;
	}
	*out = j;
	return 0;
}

/* Decodes a form body into rc->form, or fills res with why not. */
static int parse_form(struct MHD_Connection *conn, struct req_ctx *rc, http_error_fn reply,
		      struct http_response *res)
{
	char msg[256];
	if (rc->len == 0) {
		rc->form.n = 0;
		return 0;
	}
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!is_type(ct, "application/x-www-form-urlencoded")) {
		reply(res, IOTP_E_UNSUPPORTED_MEDIA_TYPE,
		      "Send the body as a form with 'Content-Type: application/x-www-form-urlencoded'.");
		return -1;
	}
	if (form_parse(rc->body, rc->len, &rc->form, msg, sizeof msg) < 0) {
		reply(res, IOTP_E_MALFORMED_FORM, msg);
		return -1;
	}
	return 0;
}

/* Whoever the route's credentials say is calling: 0 with *principal, or -1. */
static int authenticate(struct http_server *srv, struct MHD_Connection *conn,
			const struct http_route *route, const char **principal)
{
	const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	switch (route->auth) {
	case HTTP_PUBLIC:
		return 0;
	case HTTP_API_KEY:
		return srv->opt.authenticate(srv->opt.app, authz, principal);
	case HTTP_BASIC: {
		char user[128], password[256];
		if (!srv->opt.authenticate_basic)
			return -1;
		int ok = auth_basic(authz, user, sizeof user, password, sizeof password) == 0;
		int rc = srv->opt.authenticate_basic(srv->opt.app, ok ? user : NULL,
						     ok ? password : NULL, principal);
		sodium_memzero(password, sizeof password);
		return rc;
	}
	case HTTP_APIKEY_HEADER:
		if (!srv->opt.authenticate_apikey)
			return -1;
		return srv->opt.authenticate_apikey(
			srv->opt.app, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "apikey"),
			principal);
	case HTTP_AUTH_KINDS:
		break;
	}
	return -1;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

/* Every X-Forwarded-For line of a request, in order (forwarded_client reads
 * them as one list); past FORWARDED_LINES_MAX the oldest are dropped. */
struct xff_lines {
	const char *line[FORWARDED_LINES_MAX];
	size_t n;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct xff_lines *x = cls;
	if (!key || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	if (x->n == FORWARDED_LINES_MAX) {
		memmove(x->line, x->line + 1, (FORWARDED_LINES_MAX - 1) * sizeof x->line[0]);
		x->n--;
	}
	x->line[x->n++] = value ? value : "";
	return MHD_YES;
}

/* The store is done with the request: from here libmicrohttpd owns it, and
 * may complete it (a client that hung up) without asking for the answer. */
static void on_durable(struct durable_watch *w, int ok)
{
	struct req_ctx *rc = (struct req_ctx *)((char *)w - offsetof(struct req_ctx, durable));
	struct http_server *srv = rc->srv;
	rc->holding = ok ? 2 : 3;
	MHD_resume_connection(rc->conn);
	atomic_fetch_sub(&srv->held, 1);
}

/* The answer when the commit holding the request's writes failed: nothing
 * of it was kept, so 503 and when to retry, in the route's error shape. */
static void unsaved(http_error_fn reply, struct http_response *res)
{
	reply(res, IOTP_E_STORE_UNAVAILABLE, NULL);
	res->status = 503;
	res->retry_after = 1;
	free(res->text);
	res->text = NULL;
}

/* Sends res now when the writes the handler made are durable (or it made
 * none); otherwise holds it, and the thread goes on to other connections. */
static enum MHD_Result answer(struct http_server *srv, struct MHD_Connection *conn,
			      struct req_ctx *rc, http_error_fn reply, struct http_response *res)
{
	struct durable_owed owed;
	int outcome = durable_take(&owed) ? owed.source->outcome(owed.state, owed.group) : 1;
	if (outcome < 0)
		unsaved(reply, res);
	if (outcome != 0)
		return send_response(conn, rc, res, 0);
	rc->held = *res;
	rc->held_reply = reply;
	rc->holding = 1;
	rc->conn = conn;
	rc->durable.group = owed.group;
	rc->durable.fn = on_durable;
	atomic_fetch_add(&srv->held, 1);
	MHD_suspend_connection(conn);
	owed.source->watch(owed.state, &rc->durable);
	return MHD_YES;
}

/* The held answer once its writes' commit is over: as made, or 503 when the
 * commit failed and nothing of the request was kept. */
static enum MHD_Result answer_held(struct MHD_Connection *conn, struct req_ctx *rc)
{
	struct http_response res = rc->held;
	if (rc->holding == 3)
		unsaved(rc->held_reply, &res);
	rc->holding = 0;
	return send_response(conn, rc, &res, 0);
}

static enum MHD_Result dispatch(struct http_server *srv, struct MHD_Connection *conn,
				struct req_ctx *rc, const char *url, const char *method)
{
	const char *params[HTTP_PARAMS_MAX] = {0};
	const char *allow = NULL;
	const struct http_route *route =
		router_match(srv->opt.routes, srv->opt.n_routes, method, url, rc->params, params, &allow);
	struct http_response res = {.status = 200, .retry_after = -1};
	rc->route = route ? route->pattern : NULL;
	if (!route) {
		if (allow) {
			res.allow = allow;
			http_reply_error(&res, IOTP_E_METHOD_NOT_ALLOWED, NULL);
		} else {
			http_reply_error(&res, IOTP_E_NOT_FOUND, NULL);
		}
		return send_response(conn, rc, &res, 0);
	}
	http_error_fn reply = srv->opt.reply_error[route->auth] ? srv->opt.reply_error[route->auth]
							      : http_reply_error_fn;
	const char *principal = NULL;
	if (authenticate(srv, conn, route, &principal) < 0) {
		reply(&res, IOTP_E_UNAUTHORIZED, NULL);
		return send_response(conn, rc, &res, 0);
	}
	rc->principal = principal;

	struct http_conn hc = {.mhd = conn};
	char own[64], ip[64];
	const union MHD_ConnectionInfo *sc =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const char *peer = own;
	if (sc && sc->socket_context)
		peer = conntrack_peer(sc->socket_context);
	else
		client_ip(conn, own, sizeof own);
	struct xff_lines xff = {.n = 0};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_xff, &xff);
	forwarded_client(srv->opt.trusted_proxies, peer, xff.line, xff.n, ip, sizeof ip);
	struct http_request req = {.method = method, .path = url, .client_ip = ip,
				   .principal = principal, .app = srv->opt.app, .conn = &hc,
				   .request_id = rc->request_id};
	memcpy(req.params, params, sizeof params);
	req.target = rc->target[0] ? rc->target : NULL;
	if (route->takes_body == HTTP_RAW_BODY) {
		req.raw_body = rc->body;
		req.raw_len = rc->len;
	}
	if ((route->takes_body == HTTP_JSON_BODY && parse_json(conn, rc, reply, &res, &req.body) < 0) ||
	    (route->takes_body == HTTP_FORM_BODY && parse_form(conn, rc, reply, &res) < 0))
		return send_response(conn, rc, &res, 0);
	if (route->takes_body == HTTP_FORM_BODY)
		req.form = &rc->form;
	durable_defer(1);
	route->handler(&req, &res);
	durable_defer(0);
	/* An internal error while the store is unreachable is the outage, not a
	 * bug: 503 and when to retry, in the route's own error shape. */
	int64_t outage = res.status == 500 ? outage_retry_after() : 0;
	if (outage > 0) {
		reply(&res, IOTP_E_STORE_UNAVAILABLE, NULL);
		res.status = 503;
		res.retry_after = outage;
	}
	json_decref(req.body);
	return answer(srv, conn, rc, reply, &res);
}

/* A client's own id is kept when it is short and plain (it may be logged
 * and is echoed as a header); otherwise, or without one, a fresh one: the
 * request's number under a random key, unique and as unguessable as random
 * bytes, without the system call for them that was a twentieth of a
 * refusal's CPU. */
static void request_id(struct http_server *srv, const char *given,
		       char out[HTTP_REQUEST_ID_MAX + 1])
{
	size_t n = given ? strlen(given) : 0;
	int ok = n > 0 && n <= HTTP_REQUEST_ID_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = given[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_' || c == '.' || c == ':';
	}
	if (ok) {
		memcpy(out, given, n + 1);
		return;
	}
	uint64_t seq = atomic_fetch_add(&srv->requests, 1);
	unsigned char raw[crypto_shorthash_siphashx24_BYTES];
	crypto_shorthash_siphashx24(raw, (const unsigned char *)&seq, sizeof seq, srv->id_key);
	sodium_bin2hex(out, HTTP_REQUEST_ID_MAX + 1, raw, sizeof raw);
}

/* One line per request: the route's pattern, never the path as sent (it may
 * hold a phone number or a token). */
static void access_log(const struct req_ctx *rc, int timed_out)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long us = (long long)(t1.tv_sec - rc->t0.tv_sec) * 1000000 +
		       (t1.tv_nsec - rc->t0.tv_nsec) / 1000;
	struct log_field f[] = {
		{.key = "method", .str = rc->method},
		{.key = "route", .str = rc->route ? rc->route : "-"},
		{.key = "status", .num = timed_out ? 408 : rc->status},
		{.key = "duration_ms", .num = us, .num_scale = 1000},
		{.key = "app", .str = rc->principal ? rc->principal : "-"},
		{.key = "request_id", .str = rc->request_id},
	};
	log_event(LOG_INFO, "access", f, sizeof f / sizeof f[0]);
}

/* Each HTTP thread keeps the context of its last finished request, body
 * buffer and all, for its next one: both are past malloc's per-thread cache
 * (a few KiB, and HTTP_BODY_MAX), and every request needs a context. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *p)
{
	struct req_ctx *rc = p;
	free(rc->buf);
	free(rc);
}

static int spare_ok; /* the key exists (without it, no context is kept) */

static void spare_init(void)
{
	spare_ok = pthread_key_create(&spare_key, ctx_free) == 0;
}

static struct req_ctx *ctx_take(void)
{
	pthread_once(&spare_once, spare_init);
	struct req_ctx *rc = spare_ok ? pthread_getspecific(spare_key) : NULL;
	if (rc) {
		pthread_setspecific(spare_key, NULL);
		return rc;
	}
	rc = xmalloc(sizeof *rc);
	rc->buf = NULL;
	return rc;
}

static void ctx_release(struct req_ctx *rc)
{
	if (!spare_ok || pthread_getspecific(spare_key) || pthread_setspecific(spare_key, rc) != 0)
		ctx_free(rc);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn);

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct req_ctx *rc = *con_cls;
	if (!rc) /* libmicrohttpd calls on_uri first; never trust that blindly */
		rc = *con_cls = on_uri(NULL, "", conn);
	rc->srv = srv;
	if (rc->holding > 1)
		return answer_held(conn, rc);
	if (rc->holding)
		return MHD_YES; /* resumed before its commit: cannot happen, but wait on */
	if (!rc->started) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conntrack_slot *slot = ci ? ci->socket_context : NULL;
		/* Headers complete: the connection leaves its header deadline (or had
		 * already been cut for missing it) and the request's own begins. */
		if (slot && conntrack_busy(srv->conns, slot))
			return MHD_NO;
		rc->started = 1;
		rc->closes = asks_close(conn, version);
		atomic_fetch_add(&srv->in_flight, 1);
		clock_gettime(CLOCK_MONOTONIC, &rc->t0);
		strfmt(rc->method, sizeof rc->method, "%s", method);
		request_id(srv, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"),
			   rc->request_id);
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		deadline_add(srv->deadline, &rc->deadline, fd ? fd->connect_fd : -1, clock_now_ms());
		char why[200];
		if (slot && conntrack_refusal(slot, why, sizeof why) != IOTP_E_OK) {
			deadline_settle(srv->deadline, &rc->deadline);
			return send_error(conn, rc, IOTP_E_TOO_MANY_CONNECTIONS, why, 1);
		}
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
			deadline_settle(srv->deadline, &rc->deadline);
			return send_error(conn, rc, IOTP_E_BODY_TOO_LARGE, NULL, 1);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (deadline_expired(srv->deadline, &rc->deadline))
			return MHD_NO; /* answered 408 already */
		if (rc->discarded || rc->len + n > HTTP_BODY_MAX) {
			rc->discarded += n;
			return rc->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (!rc->body) {
			if (!rc->buf)
				rc->buf = xmalloc(HTTP_BODY_MAX + 1);
			rc->body = rc->buf;
		}
		memcpy(rc->body + rc->len, upload, n);
		rc->len += n;
		return MHD_YES;
	}
	if (deadline_settle(srv->deadline, &rc->deadline))
		return MHD_NO;
	if (rc->discarded)
		return send_error(conn, rc, IOTP_E_BODY_TOO_LARGE, NULL, 1);
	if (!rc->body)
		rc->body = rc->none;
	rc->body[rc->len] = '\0';
	return dispatch(srv, conn, rc, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct req_ctx *rc = *con_cls;
	if (!rc)
		return;
	if (rc->started) {
		if (srv->opt.access_log)
			access_log(rc, deadline_expired(srv->deadline, &rc->deadline));
		deadline_remove(srv->deadline, &rc->deadline);
		atomic_fetch_sub(&srv->in_flight, 1);
		/* Answered: a kept-alive connection now waits for its next request
		 * under the idle deadline (one that closes is forgotten just after). */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && ci && ci->socket_context)
			conntrack_idle(srv->conns, ci->socket_context, clock_now_ms());
	}
	if (rc->holding) { /* its client left before the answer could go */
		json_decref(rc->held.body);
		free(rc->held.text);
	}
	ctx_release(rc);
	*con_cls = NULL;
}

/* Called with the request line's target before libmicrohttpd decodes it and
 * splits off the query string: signatures over the URL a gateway called
 * (Twilio's) need it as sent. What it returns is the request's context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct req_ctx *rc = ctx_take();
	rc->body = NULL;
	rc->len = 0;
	rc->discarded = 0;
	rc->started = 0;
	rc->closes = 0;
	rc->srv = NULL;
	rc->route = rc->principal = NULL;
	rc->status = 0;
	rc->holding = 0;
	rc->request_id[0] = '\0';
	size_t n = strlen(uri);
	if (n < sizeof rc->target)
		memcpy(rc->target, uri, n + 1);
	else
		rc->target[0] = '\0';
	return rc;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		char ip[64];
		client_ip(conn, ip, sizeof ip);
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
			conntrack_open(srv->conns, ip, fd ? fd->connect_fd : -1, clock_now_ms());
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		conntrack_close(srv->conns, *socket_context);
		*socket_context = NULL;
	}
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: %s", line);
}

/* "option NAME (IOTP_NAME)" for the option that set the address. */
static void option_name(const char *option, char *out, size_t size)
{
	char env[64];
	size_t i = 0;
	for (; option[i] && i + 1 < sizeof env; i++)
		env[i] = (char)(option[i] >= 'a' && option[i] <= 'z' ? option[i] - 'a' + 'A' : option[i]);
	env[i] = '\0';
	strfmt(out, size, "option %s (IOTP_%s)", option, env);
}

static int parse_listen(const char *listen, const char *option, struct sockaddr_storage *ss,
			char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl = colon ? (size_t)(colon - listen) : 0;
	if (!colon || hl >= sizeof host) {
		strfmt(err, errlen, "%s: '%s' is not HOST:PORT", option, listen);
		return -1;
	}
	memcpy(host, listen, hl);
	host[hl] = '\0';
	int port = atoi(colon + 1);
	memset(ss, 0, sizeof *ss);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (strcmp(host, "localhost") == 0)
			strfmt(host, sizeof host, "127.0.0.1");
		if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
			return 0;
	}
	strfmt(err, errlen,
	       "%s: '%s' needs a numeric address, like 127.0.0.1:8080 or [::1]:8080", option,
	       listen);
	return -1;
}

/* Raises this process's open-file limit to what want connections need (its
 * hard limit permitting) and returns how many connections it allows; says
 * in the log what to do when that is fewer than max_connections. */
static unsigned fd_budget(unsigned want, int max_connections)
{
	/* Besides connections: the store, log, listeners, providers, threads' pipes. */
	const rlim_t reserve = 256;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	rlim_t need = (rlim_t)want + reserve;
	if (rl.rlim_cur < need) {
		struct rlimit up = rl;
		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur >= need)
		return want;
	unsigned allowed = rl.rlim_cur > reserve ? (unsigned)(rl.rlim_cur - reserve) : 16u;
	if (allowed < (unsigned)max_connections)
		log_warn("http: max_connections is %d but this process may open only %llu files "
			 "(ulimit -n): at most %u connections will be served. Raise the limit "
			 "(LimitNOFILE= in a systemd unit, nofile in limits.conf) to %llu, or lower "
			 "max_connections",
			 max_connections, (unsigned long long)rl.rlim_cur, allowed,
			 (unsigned long long)need);
	return allowed;
}

int http_listen(const char *addr, const char *listen_option, int *fd_out, char *err,
		size_t errlen)
{
	struct sockaddr_storage ss;
	char option[160];
	option_name(listen_option ? listen_option : "listen", option, sizeof option);
	if (parse_listen(addr, option, &ss, err, errlen) < 0)
		return -1;
	/* Non-blocking: libmicrohttpd's pool threads all wait on it and accept. */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;
	socklen_t len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == EADDRINUSE)
			strfmt(err, errlen,
			       "%s: %s is in use by another program (is an iotpd already running? "
			       "`ss -ltnp` names it); stop it or choose another port",
			       option, addr);
		else if (e == EADDRNOTAVAIL)
			strfmt(err, errlen, "%s: %s is not an address of this machine", option, addr);
		else if (e == EACCES)
			strfmt(err, errlen,
			       "%s: %s: ports below 1024 need privileges; use a higher port behind a "
			       "proxy",
			       option, addr);
		else
			strfmt(err, errlen, "%s: cannot listen on %s: %s", option, addr, strerror(e));
		return -1;
	}
	*fd_out = fd;
	return 0;
}

int http_start(const struct http_options *opt, struct http_server **out, char *bound,
	       size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	char option[160];
	option_name(opt->listen_option ? opt->listen_option : "listen", option, sizeof option);
	if (parse_listen(opt->listen, option, &ss, err, errlen) < 0) {
		if (opt->listen_fd >= 0)
			close(opt->listen_fd);
		return -1;
	}
	int fd = opt->listen_fd;
	if (fd < 0 && http_listen(opt->listen, opt->listen_option, &fd, err, errlen) < 0)
		return -1;
	struct http_server *srv = xcalloc(1, sizeof *srv);
	randombytes_buf(srv->id_key, sizeof srv->id_key);
	srv->opt = *opt;
	/* libmicrohttpd's own cap sits above max_connections: conntrack must see
	 * the connection beyond it to shed the longest-waiting one for it. */
	unsigned want = (unsigned)opt->max_connections + (unsigned)opt->max_connections / 4 + 64;
	unsigned hard_limit = fd_budget(want, opt->max_connections);
	struct conntrack_limits lim = {
		.max = hard_limit < want ? (int)(hard_limit * 4 / 5) : opt->max_connections,
		.per_ip = opt->max_connections_per_ip,
		.per_network = opt->max_connections_per_network > 0 ? opt->max_connections_per_network
								      : opt->max_connections,
		.per_site = opt->max_connections_per_site > 0 ? opt->max_connections_per_site
							      : opt->max_connections,
		.header_timeout_ms = (opt->header_timeout > 0 ? opt->header_timeout : opt->timeout) * 1000,
		.idle_timeout_ms = opt->timeout * 1000,
	};
	srv->conns = conntrack_start(&lim);
	srv->deadline = deadline_start(opt->timeout * 1000);
	atomic_init(&srv->in_flight, 0);
	unsigned threads = opt->threads > 0 ? (unsigned)opt->threads
					   : 4 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		/* A backstop only: conntrack's deadlines close idle and slow
		 * connections first (see http/conntrack.h and http/deadline.h). */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->timeout + 2,
		MHD_OPTION_CONNECTION_LIMIT, hard_limit,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, srv,
		/* Each connection's buffer for its request line and headers (and the
		 * body's passage): 16 KiB holds any request iotp serves (a 2 KiB target,
		 * a GoTrue JWT) and keeps thousands of connections cheap. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_END);
	if (!srv->daemon) {
		strfmt(err, errlen,
		       "%s: cannot serve on %s (libmicrohttpd failed to start; see the log above)",
		       option, opt->listen);
		close(fd);
		conntrack_stop(srv->conns);
		deadline_stop(srv->deadline);
		free(srv);
		return -1;
	}
	struct sockaddr_storage got;
	socklen_t gl = sizeof got;
	unsigned port = 0;
	if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
		port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
						       : ((struct sockaddr_in *)&got)->sin_port);
	char host[256];
	const char *colon = strrchr(opt->listen, ':');
	size_t hl = (size_t)(colon - opt->listen);
	memcpy(host, opt->listen, hl < sizeof host ? hl : sizeof host - 1);
	host[hl < sizeof host ? hl : sizeof host - 1] = '\0';
	strfmt(bound, boundlen, "%s:%u", host, port);
	*out = srv;
	return 0;
}

void http_stop(struct http_server *srv, int grace_ms)
{
	if (!srv)
		return;
	MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (int waited = 0; atomic_load(&srv->in_flight) > 0 && waited < grace_ms; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* A held answer's commit is at most one group away; the daemon must not
	 * stop with a connection the store has yet to resume. */
	while (atomic_load(&srv->held) > 0) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(srv->daemon);
	deadline_stop(srv->deadline);
	conntrack_stop(srv->conns);
	free(srv);
}
