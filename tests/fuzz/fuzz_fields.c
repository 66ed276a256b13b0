/* api_read_fields and api_locale_ok (src/api/fields.c) on a JSON body parsed
 * as the server parses it, with the fields of POST /v1/sessions. Contract: 0
 * with every field a string within its length, required ones present, no
 * other key; or -1 with res filled by a 400 in iotp's error shape,
 * {"error":{"code","message","field"}}, which encodes as JSON. The same shape
 * for the 422 of a region a client typed (api_reply_bad_number, as GET
 * /v1/lookup/{phone}?region= answers), with the body's bytes as the region. */
#include "api/api.h"
#include "fuzz.h"

static void check_error(struct http_response *res, int status)
{
	FUZZ_ASSERT(res->status == status);
	json_t *err = json_object_get(res->body, "error");
	FUZZ_ASSERT(json_is_string(json_object_get(err, "code")));
	FUZZ_ASSERT(json_is_string(json_object_get(err, "message")));
	if (status == 400)
		FUZZ_ASSERT(json_is_string(json_object_get(err, "field")));
	char *text = json_dumps(res->body, JSON_COMPACT);
	FUZZ_ASSERT(text != NULL);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *typed = malloc(size + 1);
	memcpy(typed, data, size);
	typed[size] = '\0';
	struct phone_number none = {.e164 = ""};
	struct http_response bad = {.status = 200, .retry_after = -1};
	api_reply_bad_number(&bad, IOTP_E_INVALID_REGION, &none, typed);
	check_error(&bad, 422);
	json_decref(bad.body);
	free(typed);

	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				  NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	const char *phone = "unset", *region = "unset", *locale = "unset";
	const struct api_field fields[] = {
	    {"phone", 1, 256, &phone},
	    {"region", 0, 8, &region},
	    {"locale", 0, 15, &locale},
	};
	struct http_request req = {.method = "POST", .path = "/v1/sessions", .body = body};
	struct http_response res = {.status = 200, .retry_after = -1};
	int rc = api_read_fields(&req, &res, fields, 3);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc < 0) {
		check_error(&res, 400);
	} else {
		FUZZ_ASSERT(res.body == NULL && res.status == 200);
		FUZZ_ASSERT(phone && strlen(phone) <= 256);
		FUZZ_ASSERT(!region || strlen(region) <= 8);
		FUZZ_ASSERT(!locale || strlen(locale) <= 15);
		FUZZ_ASSERT(json_object_size(body) ==
			    1u + (region != NULL) + (locale != NULL));
		if (!api_locale_ok(locale, &res)) {
			check_error(&res, 400);
		} else if (locale) {
			for (const char *l = locale; *l; l++)
				FUZZ_ASSERT((*l >= 'a' && *l <= 'z') || (*l >= 'A' && *l <= 'Z') ||
					    (*l >= '0' && *l <= '9') || *l == '-' || *l == '_');
		}
	}
	json_decref(res.body);
	json_decref(body);
	return 0;
}
