/* The router: exact paths, {param} segments, 405 lists, no partial matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "http/router.h"

static void h(struct http_request *req, struct http_response *res)
{
	(void)req;
	(void)res;
}

static const struct http_route routes[] = {
	{"GET", "/healthz", h, HTTP_PUBLIC, 0},
	{"POST", "/v1/sessions", h, HTTP_API_KEY, 1},
	{"GET", "/v1/sessions/{id}", h, HTTP_API_KEY, 0},
	{"POST", "/v1/sessions/{id}/code", h, HTTP_API_KEY, 1},
	{"PUT", "/v1/sessions/{id}/code", h, HTTP_API_KEY, 1},
};
#define N (sizeof routes / sizeof routes[0])

static const struct http_route *m(const char *method, const char *path, const char **p0,
				  const char **allow)
{
	static char store[HTTP_PARAMS_MAX][128];
	const char *params[HTTP_PARAMS_MAX] = {0};
	const struct http_route *r = router_match(routes, N, method, path, store, params, allow);
	*p0 = params[0];
	return r;
}

static void matches_params(void **state)
{
	(void)state;
	const char *p, *allow;
	assert_ptr_equal(m("GET", "/healthz", &p, &allow), &routes[0]);
	assert_ptr_equal(m("GET", "/v1/sessions/abc_DEF-1", &p, &allow), &routes[2]);
	assert_string_equal(p, "abc_DEF-1");
	assert_ptr_equal(m("PUT", "/v1/sessions/xyz/code", &p, &allow), &routes[4]);
	assert_string_equal(p, "xyz");
}

static void refuses_near_misses(void **state)
{
	(void)state;
	const char *p, *allow;
	assert_null(m("GET", "/v1/sessions/", &p, &allow));
	assert_null(allow);
	assert_null(m("GET", "/v1/sessions/a/b", &p, &allow));
	assert_null(m("GET", "/healthz/", &p, &allow));
	assert_null(m("GET", "/v1/sessions/a/code/x", &p, &allow));
	char longid[300];
	memset(longid, 'a', sizeof longid);
	memcpy(longid, "/v1/sessions/", 13);
	longid[299] = '\0';
	assert_null(m("GET", longid, &p, &allow));
}

static void lists_allowed_methods(void **state)
{
	(void)state;
	const char *p, *allow;
	assert_null(m("DELETE", "/v1/sessions/x/code", &p, &allow));
	assert_string_equal(allow, "POST, PUT");
	assert_null(m("GET", "/v1/sessions", &p, &allow));
	assert_string_equal(allow, "POST");
}

static void bearer_auth(void **state)
{
	(void)state;
	assert_string_equal(auth_bearer("Bearer sekrit"), "sekrit");
	assert_string_equal(auth_bearer("bearer sekrit"), "sekrit");
	assert_null(auth_bearer("Basic sekrit"));
	assert_null(auth_bearer("sekrit"));
	assert_null(auth_bearer(NULL));
	assert_null(auth_bearer("Bearer "));
}

/* An error replaces a body already written: the server sends a written
 * body before a JSON one, so one left behind would go out with the error's
 * status. */
static void error_replaces_written_body(void **state)
{
	(void)state;
	struct http_response res = {.status = 200, .retry_after = -1};
	res.text = strdup("{\"id\":\"s1\"}");
	res.text_type = "application/json";
	json_t *err = http_reply_error(&res, IOTP_E_INTERNAL, NULL);
	assert_non_null(err);
	assert_null(res.text);
	assert_null(res.text_type);
	assert_int_equal(res.status, 500);
	assert_string_equal(json_string_value(json_object_get(err, "code")), "internal_error");
	json_decref(res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_params),
		cmocka_unit_test(refuses_near_misses),
		cmocka_unit_test(lists_allowed_methods),
		cmocka_unit_test(bearer_auth),
		cmocka_unit_test(error_replaces_written_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
