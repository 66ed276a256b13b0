/* router_match (src/http/router.c) over the route table iotpd serves: the
 * native API, the delivery reports, the dev inbox and both facades. Input:
 * method, NUL, path. Contract: the route returned is the first whose method
 * is the request's and whose pattern a plain segment-by-segment reading
 * matches; its {...} parameters, put back into the pattern, give the path;
 * when only other methods match, allow lists exactly them. */
#include "api/api.h"
#include "compat/compat.h"
#include "config.h"
#include "fuzz.h"
#include "http/router.h"

static struct http_route *routes;
static size_t n_routes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	static struct config cfg;
	cfg.twilio_account_sid = "AC00000000000000000000000000000000";
	cfg.gotrue_jwt_secret = "0123456789abcdef0123456789abcdef";
	cfg.gotrue_prefix = "/auth/v1";
	struct http_route *base;
	size_t n_base = api_routes(1, 1, &base);
	n_routes = compat_routes(&cfg, base, n_base, &routes);
	free(base);
	return 0;
}

/* The reference reading: '/'-separated segments, a "{x}" segment matching any
 * non-empty segment shorter than 128 bytes. */
static int ref_match(const char *pattern, const char *path)
{
	while (*pattern && *path) {
		size_t pl = strcspn(pattern, "/"), ul = strcspn(path, "/");
		if (pattern[0] == '{') {
			if (ul == 0 || ul >= 128)
				return 0;
		} else if (pl != ul || memcmp(pattern, path, pl) != 0) {
			return 0;
		}
		pattern += pl, path += ul;
		if (*pattern != *path)
			return 0;
		if (*pattern)
			pattern++, path++;
	}
	return *pattern == '\0' && *path == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 2, &p);
	const char *method = p.s[0], *path = p.s[1];
	char store[HTTP_PARAMS_MAX][128];
	const char *params[HTTP_PARAMS_MAX] = {0}, *allow = "unset";
	const struct http_route *r = router_match(routes, n_routes, method, path, store, params, &allow);

	const struct http_route *want = NULL;
	char others[128] = "";
	size_t used = 0;
	for (size_t i = 0; i < n_routes && !want; i++) {
		if (!ref_match(routes[i].pattern, path))
			continue;
		if (!strcmp(routes[i].method, method))
			want = &routes[i];
		else if (used + strlen(routes[i].method) + 3 < sizeof others)
			used += (size_t)snprintf(others + used, sizeof others - used, "%s%s",
						 used ? ", " : "", routes[i].method);
	}
	FUZZ_ASSERT(r == want);
	if (r) {
		char again[HTTP_PARAMS_MAX * 128 + 256];
		size_t o = 0;
		int np = 0;
		for (const char *s = r->pattern; *s;) {
			if (*s == '{') {
				FUZZ_ASSERT(np < HTTP_PARAMS_MAX && params[np]);
				FUZZ_ASSERT(params[np][0] && !strchr(params[np], '/'));
				o += (size_t)snprintf(again + o, sizeof again - o, "%s", params[np++]);
				s = strchr(s, '}') + 1;
			} else {
				again[o++] = *s++;
			}
		}
		again[o] = '\0';
		FUZZ_ASSERT(strcmp(again, path) == 0);
	} else if (used) {
		FUZZ_ASSERT(allow && strcmp(allow, others) == 0);
	} else {
		FUZZ_ASSERT(allow == NULL);
	}
	fuzz_parts_free(&p);
	return 0;
}
