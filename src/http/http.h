/* http: the HTTP/JSON front door (libmicrohttpd). It owns connections, limits
 * (body size, content type, connections per address, slow clients), JSON
 * parsing, routing and API-key auth; handlers in api/ see a parsed request and
 * fill a response. */
#ifndef IOTP_HTTP_H
#define IOTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/form.h"

#define HTTP_BODY_MAX (16 * 1024)
#define HTTP_PARAMS_MAX 4
/* Longest X-Request-Id taken from a client (and the length of our own: 32). */
#define HTTP_REQUEST_ID_MAX 64

struct http_conn; /* libmicrohttpd's connection, opaque to handlers */

struct http_request {
	const char *method;
	const char *path;
	const char *params[HTTP_PARAMS_MAX]; /* the {...} segments of the route, in order */
	json_t *body;                        /* a JSON object when the route takes JSON, else NULL */
	const struct http_form *form;        /* the pairs when the route takes a form, else NULL */
	const char *raw_body;                /* HTTP_RAW_BODY routes: the body as sent, NUL-ended */
	size_t raw_len;
	const char *target;                  /* path and query string as sent, undecoded; NULL if too long */
	const char *client_ip;               /* the peer, or the client behind a trusted proxy */
	const char *principal;               /* who authenticate() said is calling; NULL on public routes */
	void *app;                           /* what the server was started with */
	const char *request_id;              /* as returned in X-Request-Id (and the access log) */
	struct http_conn *conn;
};

struct http_response {
	int status;
	json_t *body;        /* owned by the response; sent as JSON and freed */
	int64_t retry_after; /* s; sent as Retry-After when >= 0 */
	const char *allow;   /* Allow header for 405 */
	char *text;          /* a body already written (heap, owned): sent instead of body */
	const char *text_type; /* text's Content-Type (static); NULL: text/html */
	const char *csp;     /* a page's Content-Security-Policy (static); sent with
			      * nosniff, no-referrer and frame-ancestors denied */
};

typedef void (*http_handler)(struct http_request *req, struct http_response *res);

/* Who may call a route: anyone; an API key as "Authorization: Bearer <key>";
 * HTTP Basic credentials (Twilio's clients); an "apikey" header (Supabase's). */
enum http_auth { HTTP_PUBLIC = 0, HTTP_API_KEY, HTTP_BASIC, HTTP_APIKEY_HEADER, HTTP_AUTH_KINDS };

/* What body a route reads. An empty body reads as an empty object or form. */
/* HTTP_RAW_BODY: any body, unparsed (gateways' delivery reports). */
enum http_body { HTTP_NO_BODY = 0, HTTP_JSON_BODY = 1, HTTP_FORM_BODY = 2, HTTP_RAW_BODY = 3 };

/* Fills res with an error in the shape a route's clients expect (message NULL:
 * the table's sentence). */
typedef void (*http_error_fn)(struct http_response *res, enum iotp_error e, const char *message);

struct http_route {
	const char *method;
	const char *pattern; /* "/v1/sessions/{id}/code"; {x} matches one path segment */
	http_handler handler;
	enum http_auth auth;
	int takes_body; /* enum http_body */
};

struct http_options {
	const char *listen; /* "HOST:PORT"; port 0 picks a free one */
	const char *listen_option; /* the option that set listen, for errors; NULL: "listen" */
	int listen_fd;      /* a socket from http_listen (the server owns it then); -1: bind listen */
	int threads;
	int timeout;        /* s: a request's body after its headers; idle between requests */
	int header_timeout; /* s: connection open -> headers complete; 0: timeout */
	int max_connections; /* beyond it, the longest-waiting connection is shed */
	int max_connections_per_ip;
	int max_connections_per_network; /* per /24 or /64; 0: max_connections */
	int max_connections_per_site;    /* per IPv6 /48; 0: max_connections */
	/* Decides who an "Authorization" header (may be NULL) belongs to, for
	 * HTTP_API_KEY routes: returns 0 and sets *principal (a string that lives as
	 * long as the server), or -1 for 401. */
	int (*authenticate)(void *app, const char *authorization, const char **principal);
	const char *trusted_proxies; /* comma-separated; X-Forwarded-For believed only from these */
	int access_log; /* 1: a log line per request (method, route, status, duration, app, id) */
	/* The same for HTTP_BASIC routes, given the decoded user and password (both
	 * NULL when the header is missing or not Basic). May be NULL: then 401. */
	int (*authenticate_basic)(void *app, const char *user, const char *password,
				  const char **principal);
	/* The same for HTTP_APIKEY_HEADER routes, given the "apikey" header (may be
	 * NULL). May be NULL: then 401. */
	int (*authenticate_apikey)(void *app, const char *apikey, const char **principal);
	/* The error shape of refusals made before a handler runs (credentials,
	 * body), by the route's auth kind: the clients of a foreign API (Twilio's
	 * with Basic, Supabase's with apikey) expect that API's errors. NULL: iotp's. */
	http_error_fn reply_error[HTTP_AUTH_KINDS];
	const struct http_route *routes;
	size_t n_routes;
	void *app;
};

struct http_server;

/* Binds and listens on listen ("HOST:PORT"), before anything else is set up,
 * so that a port in use fails start-up at once and leaves nothing behind.
 * Sets *fd only on success; -1 with err naming the option and what to do. */
int http_listen(const char *listen, const char *listen_option, int *fd, char *err,
		size_t errlen);
/* Binds (or takes opt->listen_fd) and starts serving. Sets *out only on success; writes the address it
 * listens on ("127.0.0.1:8080") into bound. Returns 0 or -1 with err. */
int http_start(const struct http_options *opt, struct http_server **out, char *bound,
	       size_t boundlen, char *err, size_t errlen);
/* Stops accepting, lets the requests in flight finish (up to grace_ms), then
 * closes every connection and frees the server. */
void http_stop(struct http_server *srv, int grace_ms);

/* A query-string argument, or NULL. */
const char *http_query(struct http_request *req, const char *key);
/* A request header, or NULL. */
const char *http_header(struct http_request *req, const char *name);

/* Fills res with the standard error body {"error":{"code","message"}}; message
 * NULL uses the table's sentence. Returns the "error" object so the caller can
 * add details. */
json_t *http_reply_error(struct http_response *res, enum iotp_error e, const char *message);

#endif
