/* The answer to a refused number, shared by session creation and lookup so
 * both say the same thing. */
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"

/* The sentence for a refused number: what is wrong, for which country, and what
 * a valid number there looks like. */
void api_reply_bad_number(struct http_response *res, enum iotp_error e,
			     const struct phone_number *n, const char *typed_region)
{
	char country[64] = "", example[40] = "", where[128] = "", msg[512];
	const char *region = n->region[0] ? n->region : NULL;
	if (region && phone_country_name(region, country, sizeof country) == 0)
		strfmt(where, sizeof where, " for %s (+%d)", country, n->calling_code);
	if (region)
		phone_example(region, example, sizeof example);
	char like[96] = "";
	if (example[0])
		strfmt(like, sizeof like, " A valid number there looks like %s.", example);
	switch (e) {
	case IOTP_E_TOO_SHORT:
		strfmt(msg, sizeof msg,
		       "The number is too short%s — did you include the country code and every digit?%s",
		       where, like);
		break;
	case IOTP_E_TOO_LONG:
		strfmt(msg, sizeof msg, "The number is too long%s — check for an extra digit.%s", where,
		       like);
		break;
	case IOTP_E_MISSING_COUNTRY_CODE:
		strfmt(msg, sizeof msg,
		       "The number has no country code. Start it with + and the country code "
		       "(e.g. +44 7400 123456), or send \"region\" with the two-letter country code "
		       "(e.g. \"GB\").");
		break;
	case IOTP_E_INVALID_COUNTRY_CODE:
		strfmt(msg, sizeof msg,
		       "No country uses this calling code. Start the number with + and a real country "
		       "code, e.g. +44 for the United Kingdom or +1 for the United States.");
		break;
	case IOTP_E_INVALID_REGION:
		if (typed_region && strlen(typed_region) == 2)
			strfmt(msg, sizeof msg,
			       "Region '%s' is no country code iotp knows. Use an ISO 3166 alpha-2 code "
			       "such as GB or US.",
			       typed_region);
		else
			strfmt(msg, sizeof msg,
			       "Region '%.8s' is not a two-letter country code. Use an ISO 3166 code "
			       "such as GB or US.",
			       typed_region ? typed_region : "");
		break;
	case IOTP_E_UNSUPPORTED_NUMBER_TYPE:
		strfmt(msg, sizeof msg,
		       "Codes cannot be sent to %s numbers%s. Use a mobile number.%s",
		       phone_type_name(n->type), where, like);
		break;
	default:
		strfmt(msg, sizeof msg, "This is not a valid phone number%s.%s", where, like);
		break;
	}
	json_t *err = http_reply_error(res, e, msg);
	if (region) {
		json_object_set_new(err, "region", json_string(region));
		if (country[0])
			json_object_set_new(err, "country_name", json_string(country));
		json_object_set_new(err, "calling_code", json_integer(n->calling_code));
		if (example[0])
			json_object_set_new(err, "example", json_string(example));
	}
	if (e == IOTP_E_UNSUPPORTED_NUMBER_TYPE)
		json_object_set_new(err, "number_type", json_string(phone_type_name(n->type)));
}

