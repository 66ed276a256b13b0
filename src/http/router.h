/* router: finds the route for a method and path in the route table. */
#ifndef IOTP_ROUTER_H
#define IOTP_ROUTER_H

#include <stddef.h>

#include "http/http.h"

/* Returns the matching route, with its {...} segments copied into store and
 * pointed to by params. When the path matches only under other methods, returns
 * NULL and sets *allow to their list ("GET, PUT"), else leaves it NULL. The
 * allow string is static per call site and valid until the next call on this
 * thread. */
const struct http_route *router_match(const struct http_route *routes, size_t n,
				      const char *method, const char *path,
				      char store[HTTP_PARAMS_MAX][128],
				      const char *params[HTTP_PARAMS_MAX], const char **allow);

#endif
