/* The registration page, the dashboard's page and their static files, and the
 * registration page's routes (api/web.h says why they need no key). */
#include "api/web.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/web_assets.h"
#include "base/alloc.h"
#include "msg/lang.h"

static const struct web_asset *find_asset(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (!strcmp(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

static void serve(struct http_response *res, const char *name)
{
	const struct web_asset *a = find_asset(name);
	if (!a) {
		http_reply_error(res, IOTP_E_NOT_FOUND, NULL);
		return;
	}
	res->status = 200;
	res->text = xstrdup(a->data);
	res->text_type = a->type;
	res->csp = WEB_CSP;
}

/* The registration page is on in dev mode, or when the operator says so. */
static int page_on(const struct http_request *req)
{
	const struct config *cfg = ((const struct api *)req->app)->core->cfg;
	return cfg->dev || cfg->web_page;
}

static int refuse_off(struct http_request *req, struct http_response *res)
{
	if (page_on(req))
		return 0;
	http_reply_error(res, IOTP_E_NOT_FOUND,
	                 "The registration page is off. Start iotpd with --dev, or set web_page = "
	                 "true.");
	return 1;
}

void api_web_index(struct http_request *req, struct http_response *res)
{
	if (!refuse_off(req, res))
		serve(res, "index.html");
}

void api_web_admin(struct http_request *req, struct http_response *res)
{
	const struct config *cfg = ((const struct api *)req->app)->core->cfg;
	if (!*cfg->admin_key) {
		http_reply_error(
		    res, IOTP_E_NOT_FOUND,
		    "The dashboard is off. Set admin_key (IOTP_ADMIN_KEY) to turn it on.");
		return;
	}
	serve(res, "admin.html");
}

/* /web/{file}: the scripts and styles the pages load. */
void api_web_file(struct http_request *req, struct http_response *res)
{
	serve(res, req->params[0]);
}

/* What the page adapts to: whether the simulated phone is there, and the
 * languages the server writes messages in. */
void api_web_config(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (refuse_off(req, res))
		return;
	res->status = 200;
	res->body = json_pack("{s:b, s:i, s:s}", "dev", api->core->cfg->dev, "code_length",
	                      api->core->cfg->code_length, "app_name", api->core->cfg->app_name);
}

/* Every region the server knows, for the country picker: its code, English
 * name, calling code and an example number. */
void api_web_regions(struct http_request *req, struct http_response *res)
{
	if (refuse_off(req, res))
		return;
	json_t *list = json_array();
	for (size_t i = 0; i < msg_region_count(); i++) {
		const char *r = msg_region_at(i);
		char name[64], example[48] = "";
		int cc = phone_calling_code(r);
		if (!cc || phone_country_name(r, name, sizeof name) < 0)
			continue;
		phone_example(r, example, sizeof example);
		json_array_append_new(list,
		                      json_pack("{s:s, s:s, s:i, s:s}", "region", r, "name", name,
		                                "calling_code", cc, "example", example));
	}
	res->status = 200;
	res->body = json_pack("{s:o}", "regions", list);
}

/* The page acts as the default app: the same handlers, the same limits. */
#define AS_DEFAULT_APP(name, handler)                                                              \
	void name(struct http_request *req, struct http_response *res)                             \
	{                                                                                          \
		if (refuse_off(req, res))                                                          \
			return;                                                                    \
		req->principal = APP_DEFAULT;                                                      \
		handler(req, res);                                                                 \
	}

AS_DEFAULT_APP(api_web_lookup, api_lookup)
AS_DEFAULT_APP(api_web_session_create, api_session_create)
AS_DEFAULT_APP(api_web_session_get, api_session_get)
AS_DEFAULT_APP(api_web_session_update, api_session_update)
AS_DEFAULT_APP(api_web_send_code, api_session_send_code)
AS_DEFAULT_APP(api_web_check_code, api_session_check_code)
AS_DEFAULT_APP(api_web_account_register, api_account_register)

/* The device's own routes: the page holds the credential registration gave
 * it and sends it as "Authorization: Device ...", as an app's device would;
 * these are the /v1 handlers behind the page's switch. */
#define AS_DEVICE(name, handler)                                                                   \
	void name(struct http_request *req, struct http_response *res)                             \
	{                                                                                          \
		if (!refuse_off(req, res))                                                         \
			handler(req, res);                                                         \
	}

AS_DEVICE(api_web_account_me, api_account_me)
AS_DEVICE(api_web_account_set_pin, api_account_set_pin)
AS_DEVICE(api_web_account_change_number, api_account_change_number)

/* The simulated phone's messages: the dev inbox, in dev mode only. */
void api_web_inbox(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	if (!api->core->cfg->dev || !api->inbox) {
		http_reply_error(res, IOTP_E_NOT_FOUND,
		                 "The simulated phone exists in dev mode only (iotpd --dev).");
		return;
	}
	api_dev_inbox(req, res);
}
