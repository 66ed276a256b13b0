/* GET /v1/lookup/{phone}: what iotp knows about a number without sending
 * anything — the anchor is Twilio Lookup. A number session creation would
 * refuse as invalid gets the same 422 here; a valid number of a type codes may
 * not go to gets 200 with "code_allowed": false and the reason. Lookups have
 * their own rate limits (lookup.* in [limits]), apart from sends. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/number.h"
#include "msg/lang.h"

static const char *const reason_names[] = {"locale", "app", "country", "default"};

static json_t *language_json(const struct app *app, const char *locale, const char *region)
{
	const char *app_lang = app ? app_language(app, region) : NULL;
	struct msg_lang_choice ch;
	char why[256];
	msg_lang_choose(locale, app_lang, region, &ch);
	msg_lang_explain(&ch, locale, app_lang, region, why, sizeof why);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "tag", ch.lang->tag, "name", ch.lang->english,
			 "native_name", ch.lang->native, "reason", reason_names[ch.reason], "explanation",
			 why);
}

void api_lookup(struct http_request *req, struct http_response *res)
{
	struct api *api = req->app;
	const char *region = http_query(req, "region"), *locale = http_query(req, "locale");
	if (!api_locale_ok(locale, res))
		return;
	struct phone_number n;
	struct policy_verdict v;
	struct policy_client who = {.ip = req->client_ip,
				    .app = req->principal ? req->principal : APP_DEFAULT};
	int test = 0;
	enum iotp_error e = number_lookup(api->core, &who, req->params[0], region, clock_now_ms(), &n,
					  &test, &v);
	if (e && iotp_error_status(e) != 422) { /* a lookup limit, not the number */
		json_t *err = http_reply_error(res, e, NULL);
		if (v.limit[0])
			json_object_set_new(err, "limit", json_string(v.limit));
		if (v.retry_after > 0)
			res->retry_after = v.retry_after;
		return;
	}
	if (e) {
		api_reply_bad_number(res, e, &n, region);
		return;
	}
	char country[64] = "", national[48] = "", international[48] = "";
	phone_country_name(n.region, country, sizeof country);
	if (phone_format(n.e164, 0, national, sizeof national) < 0)
		strfmt(national, sizeof national, "%s", n.e164);
	if (phone_format(n.e164, 1, international, sizeof international) < 0)
		strfmt(international, sizeof international, "%s", n.e164);
	const struct app *app = req->principal ? apps_find(&api->core->apps, req->principal) : NULL;
	res->body = json_pack("{s:b, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:b}", "valid", 1, "e164",
			      n.e164, "region", n.region, "country_name", country, "calling_code",
			      n.calling_code, "number_type", phone_type_name(n.type), "national_format",
			      national, "international_format", international, "language",
			      language_json(app, locale, n.region), "test_number", test);
	enum iotp_error refused = number_allowed(api->core, &n, test);
	json_object_set_new(res->body, "code_allowed", json_boolean(!refused));
	if (refused)
		json_object_set_new(res->body, "refusal",
				    json_pack("{s:s, s:s}", "code", iotp_error_code(refused), "message",
					      iotp_error_message(refused)));
	res->status = 200;
}
