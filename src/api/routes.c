#include "api/api.h"

/* method, path, handler, auth, takes a JSON body */
static const struct http_route routes[] = {
	{"GET", "/healthz", api_health, HTTP_PUBLIC, 0},
	{"POST", "/v1/sessions", api_session_create, HTTP_API_KEY, 1},
	{"GET", "/v1/sessions/{id}", api_session_get, HTTP_API_KEY, 0},
	{"PATCH", "/v1/sessions/{id}", api_session_update, HTTP_API_KEY, 1},
	{"POST", "/v1/sessions/{id}/code", api_session_send_code, HTTP_API_KEY, 1},
	{"PUT", "/v1/sessions/{id}/code", api_session_check_code, HTTP_API_KEY, 1},
	/* Dev mode only: must stay last (see api_routes). */
	{"GET", "/v1/dev/inbox", api_dev_inbox, HTTP_API_KEY, 0},
};

size_t api_routes(int dev, const struct http_route **out)
{
	size_t n = sizeof routes / sizeof routes[0];
	*out = routes;
	return dev ? n : n - 1;
}
