#include "http/router.h"

#include <string.h>

#include "base/alloc.h"

/* Matches one pattern; fills store/params on success. */
static int match(const char *pattern, const char *path, char store[HTTP_PARAMS_MAX][128],
		 const char *params[HTTP_PARAMS_MAX])
{
	int np = 0;
	const char *p = pattern, *u = path;
	while (*p && *u) {
		if (*p == '{') {
			const char *end = strchr(u, '/');
			size_t len = end ? (size_t)(end - u) : strlen(u);
			if (len == 0 || len >= 128 || np == HTTP_PARAMS_MAX)
				return 0;
			memcpy(store[np], u, len);
			store[np][len] = '\0';
			params[np] = store[np];
			np++;
			u += len;
			p = strchr(p, '}');
			if (!p)
				return 0;
			p++;
		} else if (*p++ != *u++) {
			return 0;
		}
	}
	return *p == '\0' && *u == '\0';
}

const struct http_route *router_match(const struct http_route *routes, size_t n,
				      const char *method, const char *path,
				      char store[HTTP_PARAMS_MAX][128],
				      const char *params[HTTP_PARAMS_MAX], const char **allow)
{
	static _Thread_local char allowed[128];
	size_t used = 0;
	allowed[0] = '\0';
	*allow = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, path, store, params))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
		if (used + strlen(routes[i].method) + 3 < sizeof allowed) {
			if (used) {
				memcpy(allowed + used, ", ", 2);
				used += 2;
			}
			memcpy(allowed + used, routes[i].method, strlen(routes[i].method) + 1);
			used += strlen(routes[i].method);
		}
	}
	if (used)
		*allow = allowed;
	return NULL;
}
