/* The facades' route tables, credentials and the helpers they share. */
#include "compat/compat.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "compat/compat_internal.h"
#include "compat/gotrue.h"
#include "compat/twilio.h"
#include "core/app.h"
#include "phone/phone.h"

/* Twilio's paths are fixed; GoTrue's hang under the configured prefix. */
static const struct http_route twilio_routes[] = {
	{"POST", "/v2/Services", twilio_service_create, HTTP_BASIC, HTTP_FORM_BODY},
	{"GET", "/v2/Services", twilio_service_list, HTTP_BASIC, HTTP_NO_BODY},
	{"GET", "/v2/Services/{sid}", twilio_service_get, HTTP_BASIC, HTTP_NO_BODY},
	{"POST", "/v2/Services/{sid}", twilio_service_update, HTTP_BASIC, HTTP_FORM_BODY},
	{"DELETE", "/v2/Services/{sid}", twilio_service_delete, HTTP_BASIC, HTTP_NO_BODY},
	{"POST", "/v2/Services/{sid}/Verifications", twilio_verification_create, HTTP_BASIC,
	 HTTP_FORM_BODY},
	{"GET", "/v2/Services/{sid}/Verifications/{vsid}", twilio_verification_get, HTTP_BASIC,
	 HTTP_NO_BODY},
	{"POST", "/v2/Services/{sid}/Verifications/{vsid}", twilio_verification_update, HTTP_BASIC,
	 HTTP_FORM_BODY},
	{"POST", "/v2/Services/{sid}/VerificationCheck", twilio_verification_check, HTTP_BASIC,
	 HTTP_FORM_BODY},
};

static const struct http_route gotrue_routes[] = {
	{"GET", "/settings", gotrue_settings, HTTP_APIKEY_HEADER, HTTP_NO_BODY},
	{"POST", "/otp", gotrue_otp, HTTP_APIKEY_HEADER, HTTP_JSON_BODY},
	{"POST", "/verify", gotrue_verify, HTTP_APIKEY_HEADER, HTTP_JSON_BODY},
	{"POST", "/resend", gotrue_resend, HTTP_APIKEY_HEADER, HTTP_JSON_BODY},
	{"POST", "/token", gotrue_token, HTTP_APIKEY_HEADER, HTTP_JSON_BODY},
	{"POST", "/logout", gotrue_logout, HTTP_APIKEY_HEADER, HTTP_NO_BODY},
	{"GET", "/user", gotrue_user_get, HTTP_APIKEY_HEADER, HTTP_NO_BODY},
	{"PUT", "/user", gotrue_user_update, HTTP_APIKEY_HEADER, HTTP_JSON_BODY},
};

#define N(a) (sizeof a / sizeof a[0])

/* A facade that is off still owns its paths, so that a client pointed at it
 * hears which option turns it on instead of a bare 404, in the shape its SDK
 * reads. No credentials are checked: there is nothing behind the answer. */
static void twilio_off(struct http_request *req, struct http_response *res)
{
	(void)req;
	twilio_reply(res, 20404, 404,
		     "The Twilio Verify API (/v2) is off on this server: set twilio_account_sid "
		     "(IOTP_TWILIO_ACCOUNT_SID) to turn it on (docs/compat.md).");
}

static void gotrue_off(struct http_request *req, struct http_response *res)
{
	(void)req;
	gotrue_reply(res, 404, "not_found",
		     "The Supabase Auth (GoTrue) API is off on this server: set gotrue_jwt_secret "
		     "(IOTP_GOTRUE_JWT_SECRET) to turn it on (docs/compat.md).");
}

size_t compat_routes(const struct config *cfg, const struct http_route *base, size_t n_base,
		     struct http_route **out)
{
	int twilio = *cfg->twilio_account_sid != '\0', gotrue = *cfg->gotrue_jwt_secret != '\0';
	size_t n = n_base + N(twilio_routes) + N(gotrue_routes);
	struct http_route *r = xcalloc(n, sizeof *r);
	size_t i = 0;
	/* The facades first; order does not matter to the router. */
	for (size_t k = 0; k < N(twilio_routes); k++) {
		r[i] = twilio_routes[k];
		r[i].pattern = xstrdup(twilio_routes[k].pattern);
		if (!twilio) {
			r[i].handler = twilio_off;
			r[i].auth = HTTP_PUBLIC;
			r[i].takes_body = HTTP_RAW_BODY;
		}
		i++;
	}
	for (size_t k = 0; k < N(gotrue_routes); k++) {
		size_t len = strlen(cfg->gotrue_prefix) + strlen(gotrue_routes[k].pattern) + 1;
		char *p = xmalloc(len);
		strfmt(p, len, "%s%s", cfg->gotrue_prefix, gotrue_routes[k].pattern);
		r[i] = gotrue_routes[k];
		r[i].pattern = p;
		if (!gotrue) {
			r[i].handler = gotrue_off;
			r[i].auth = HTTP_PUBLIC;
			r[i].takes_body = HTTP_RAW_BODY;
		}
		i++;
	}
	memcpy(r + i, base, n_base * sizeof *base);
	*out = r;
	return n;
}

void compat_routes_free(struct http_route *routes, size_t n, size_t n_base)
{
	if (!routes)
		return;
	for (size_t i = 0; i + n_base < n; i++)
		free((char *)routes[i].pattern);
	free(routes);
}

void compat_http_options(struct http_options *ho)
{
	ho->authenticate_basic = compat_twilio_authenticate;
	ho->authenticate_apikey = compat_gotrue_authenticate;
	ho->reply_error[HTTP_BASIC] = twilio_reply_error;
	ho->reply_error[HTTP_APIKEY_HEADER] = gotrue_reply_error;
}

int compat_twilio_authenticate(void *arg, const char *user, const char *password,
			       const char **principal)
{
	const struct api *api = arg;
	const char *sid = api->core->cfg->twilio_account_sid;
	if (!user || !password || !*sid)
		return -1;
	/* Both checks always run: timing says nothing about which one failed. */
	int user_ok = strlen(user) == strlen(sid) && sodium_memcmp(user, sid, strlen(sid)) == 0;
	const struct app *app = apps_by_key(&api->core->apps, password);
	if (!user_ok || !app)
		return -1;
	*principal = app->id;
	return 0;
}

int compat_gotrue_authenticate(void *arg, const char *apikey, const char **principal)
{
	const struct api *api = arg;
	const struct app *app = apikey ? apps_by_key(&api->core->apps, apikey) : NULL;
	if (!app)
		return -1;
	*principal = app->id;
	return 0;
}

struct policy_client compat_client(const struct http_request *req)
{
	return (struct policy_client){.ip = req->client_ip,
				      .app = req->principal ? req->principal : APP_DEFAULT};
}

const char *compat_policy_message(enum iotp_error e, const struct policy_verdict *v, char *msg,
				  size_t size)
{
	if (e != IOTP_E_COUNTRY_NOT_ALLOWED || !v->region[0])
		return NULL;
	char country[64] = "";
	phone_country_name(v->region, country, sizeof country);
	strfmt(msg, size,
	       "Codes are not sent to numbers in %s (%s). Use a number from another country, or ask "
	       "the operator to allow it.",
	       country[0] ? country : v->region, v->region);
	return msg;
}

void compat_sid(const char *prefix, char out[35])
{
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	out[0] = prefix[0];
	out[1] = prefix[1];
	sodium_bin2hex(out + 2, 33, raw, sizeof raw);
}

json_t *compat_time(int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

int compat_upgrade(struct core *c, char *err, size_t err_size)
{
	size_t moved = 0;
	if (twilio_services_upgrade(c, clock_now_ms(), &moved) != 0) {
		strfmt(err, err_size,
		       "could not move the Twilio services of an older release to their app's keys "
		       "(the store failed; see the lines above); start again once the store answers");
		return -1;
	}
	if (moved)
		log_info("moved %zu Twilio service(s) of an older release under their app", moved);
	return 0;
}
