#include <string.h>

#include "api/admin.h"
#include "api/api.h"
#include "api/web.h"
#include "base/alloc.h"

/* method, path, handler, auth, takes a JSON body */
static const struct http_route routes[] = {
	{"GET", "/healthz", api_health, HTTP_PUBLIC, 0},
	{"GET", "/readyz", api_ready, HTTP_PUBLIC, 0},
	/* Its own bearer token (metrics_token), checked by the handler. */
	{"GET", "/metrics", api_metrics, HTTP_PUBLIC, 0},
	{"POST", "/v1/sessions", api_session_create, HTTP_API_KEY, 1},
	{"GET", "/v1/sessions/{id}", api_session_get, HTTP_API_KEY, 0},
	{"PATCH", "/v1/sessions/{id}", api_session_update, HTTP_API_KEY, 1},
	{"DELETE", "/v1/sessions/{id}", api_session_cancel, HTTP_API_KEY, 0},
	{"POST", "/v1/sessions/{id}/code", api_session_send_code, HTTP_API_KEY, 1},
	{"PUT", "/v1/sessions/{id}/code", api_session_check_code, HTTP_API_KEY, 1},
	{"GET", "/v1/lookup/{phone}", api_lookup, HTTP_API_KEY, 0},
	{"POST", "/v1/accounts", api_account_register, HTTP_API_KEY, 1},
	{"POST", "/v1/accounts/pin-reset", api_pin_reset_request, HTTP_API_KEY, 1},
	/* The device's own routes: "Authorization: Device <credential>", checked by the handler. */
	{"GET", "/v1/accounts/me", api_account_me, HTTP_PUBLIC, 0},
	{"PUT", "/v1/accounts/me/pin", api_account_set_pin, HTTP_PUBLIC, 1},
	{"DELETE", "/v1/accounts/me/pin", api_account_remove_pin, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/pin/check", api_account_check_pin, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/number", api_account_change_number, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/totp", api_account_totp_enrol, HTTP_PUBLIC, 0},
	{"POST", "/v1/accounts/me/totp/confirm", api_account_totp_confirm, HTTP_PUBLIC, 1},
	{"DELETE", "/v1/accounts/me/totp", api_account_totp_disable, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/reverify", api_account_reverify, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/passkeys/register/options", api_passkey_register_options, HTTP_PUBLIC, 1},
	{"POST", "/v1/accounts/me/passkeys/register/finish", api_passkey_register_finish, HTTP_PUBLIC, 1},
	{"GET", "/v1/accounts/me/passkeys", api_passkey_list, HTTP_PUBLIC, 0},
	{"DELETE", "/v1/accounts/me/passkeys/{id}", api_passkey_remove, HTTP_PUBLIC, 0},
	/* The device (Authorization: Device, re-verification) or the app's
	 * backend (Bearer key and a verified session_id, a new device): the
	 * handler tells them apart. */
	{"POST", "/v1/passkeys/authenticate/options", api_passkey_auth_options, HTTP_PUBLIC, 1},
	{"POST", "/v1/passkeys/authenticate/finish", api_passkey_auth_finish, HTTP_PUBLIC, 1},
	/* The e-mailed PIN reset link: the token is the credential. */
	{"GET", "/v1/pin-reset", api_pin_reset_page, HTTP_PUBLIC, 0},
	{"POST", "/v1/pin-reset", api_pin_reset, HTTP_PUBLIC, 1},
	/* The operator's API: the admin key (admin_key), checked by the handler;
	 * never an app's key. 404 while admin_key is empty. */
	{"GET", "/v1/admin/stats", api_admin_stats, HTTP_PUBLIC, 0},
	{"GET", "/v1/admin/numbers/{phone}", api_admin_number, HTTP_PUBLIC, 0},
	{"GET", "/v1/admin/blocks", api_admin_blocks, HTTP_PUBLIC, 0},
	{"POST", "/v1/admin/blocks/lift", api_admin_lift, HTTP_PUBLIC, 1},
	/* The pages (api/web.h): / in dev mode or with web_page, /admin with
	 * admin_key; the registration page's routes act as the default app. */
	{"GET", "/", api_web_index, HTTP_PUBLIC, 0},
	{"GET", "/admin", api_web_admin, HTTP_PUBLIC, 0},
	{"GET", "/web/{file}", api_web_file, HTTP_PUBLIC, 0},
	{"GET", "/web/v1/config", api_web_config, HTTP_PUBLIC, 0},
	{"GET", "/web/v1/regions", api_web_regions, HTTP_PUBLIC, 0},
	{"GET", "/web/v1/lookup/{phone}", api_web_lookup, HTTP_PUBLIC, 0},
	{"POST", "/web/v1/sessions", api_web_session_create, HTTP_PUBLIC, 1},
	{"GET", "/web/v1/sessions/{id}", api_web_session_get, HTTP_PUBLIC, 0},
	{"PATCH", "/web/v1/sessions/{id}", api_web_session_update, HTTP_PUBLIC, 1},
	{"POST", "/web/v1/sessions/{id}/code", api_web_send_code, HTTP_PUBLIC, 1},
	{"PUT", "/web/v1/sessions/{id}/code", api_web_check_code, HTTP_PUBLIC, 1},
	/* After "verified": register this browser as the number's device, then
	 * its PIN and change of number with the credential that gave it. */
	{"POST", "/web/v1/accounts", api_web_account_register, HTTP_PUBLIC, 1},
	{"GET", "/web/v1/accounts/me", api_web_account_me, HTTP_PUBLIC, 0},
	{"PUT", "/web/v1/accounts/me/pin", api_web_account_set_pin, HTTP_PUBLIC, 1},
	{"POST", "/web/v1/accounts/me/number", api_web_account_change_number, HTTP_PUBLIC, 1},
	/* The simulated phone: dev mode only (404 otherwise). */
	{"GET", "/web/v1/inbox", api_web_inbox, HTTP_PUBLIC, 0},
};

/* Delivery reports authenticate themselves (token or signature). Served on the
 * API listener, or alone on their own (callback_listen). */
static const struct http_route report_routes[] = {
	{"GET", "/v1/dlr/{provider}", api_dlr, HTTP_PUBLIC, HTTP_RAW_BODY},
	{"POST", "/v1/dlr/{provider}", api_dlr, HTTP_PUBLIC, HTTP_RAW_BODY},
};

/* Dev mode only. */
static const struct http_route dev_routes[] = {
	{"GET", "/v1/dev/inbox", api_dev_inbox, HTTP_API_KEY, 0},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

size_t api_routes(int dev, int reports, struct http_route **out)
{
	size_t n = N(routes) + (reports ? N(report_routes) : 0) + (dev ? N(dev_routes) : 0), i = 0;
	struct http_route *r = xcalloc(n, sizeof *r);
	memcpy(r, routes, sizeof routes);
	i += N(routes);
	if (reports) {
		memcpy(r + i, report_routes, sizeof report_routes);
		i += N(report_routes);
	}
	if (dev)
		memcpy(r + i, dev_routes, sizeof dev_routes);
	*out = r;
	return n;
}

size_t api_report_routes(const struct http_route **out)
{
	*out = report_routes;
	return N(report_routes);
}
