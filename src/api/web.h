/* web: the pages iotpd serves from web/ (compiled in; api/web_assets.h) — the
 * registration page at / (in dev mode, or with web_page), the operator
 * dashboard at /admin (with admin_key) — and the page's own routes under
 * /web/v1, which act for the default app without a key: a page in a browser
 * can hold no secret, so it gets no more than any app's own registration
 * page would, under every limit. */
#ifndef IOTP_API_WEB_H
#define IOTP_API_WEB_H

#include "http/http.h"

/* The Content-Security-Policy of every page: only iotpd's own scripts, styles
 * and requests; no inline script or style, no frames, no plug-ins. */
#define WEB_CSP                                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

void api_web_index(struct http_request *req, struct http_response *res);
void api_web_admin(struct http_request *req, struct http_response *res);
void api_web_file(struct http_request *req, struct http_response *res);
void api_web_config(struct http_request *req, struct http_response *res);
void api_web_regions(struct http_request *req, struct http_response *res);
void api_web_lookup(struct http_request *req, struct http_response *res);
void api_web_session_create(struct http_request *req, struct http_response *res);
void api_web_session_get(struct http_request *req, struct http_response *res);
void api_web_session_update(struct http_request *req, struct http_response *res);
void api_web_send_code(struct http_request *req, struct http_response *res);
void api_web_check_code(struct http_request *req, struct http_response *res);
void api_web_account_register(struct http_request *req, struct http_response *res);
void api_web_account_me(struct http_request *req, struct http_response *res);
void api_web_account_set_pin(struct http_request *req, struct http_response *res);
void api_web_account_change_number(struct http_request *req, struct http_response *res);
void api_web_inbox(struct http_request *req, struct http_response *res);

#endif
