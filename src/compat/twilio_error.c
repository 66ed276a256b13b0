/* Twilio's error shape and the Twilio codes iotp's outcomes map to, chosen
 * where Twilio's clients branch on them (docs/compat.md lists the table). */
#include <string.h>

#include "compat/compat.h"
#include "compat/twilio.h"

/* By iotp's stable error code (base/error.h), so that codes other modules
 * append (policy/'s limits and blocks) map here without a build dependency. */
static const struct {
	const char *iotp;
	int code;
	int status;
	const char *message; /* NULL: iotp's sentence */
} map[] = {
	{"unauthorized", 20003, 401, "Authenticate"},
	{"not_found", 20404, 404, "The requested resource was not found"},
	{"malformed_form", 60200, 400, NULL},
	{"invalid_utf8", 60200, 400, NULL},
	{"unsupported_media_type", 60200, 400, NULL},
	{"body_too_large", 60200, 413, NULL},
	{"invalid_field", 60200, 400, NULL},
	{"missing_field", 60200, 400, NULL},
	{"invalid_number", 60200, 400, NULL},
	{"missing_country_code", 60200, 400, NULL},
	{"too_short", 60200, 400, NULL},
	{"too_long", 60200, 400, NULL},
	{"invalid_country_code", 60200, 400, NULL},
	{"invalid_region", 60200, 400, NULL},
	{"unsupported_number_type", 60205, 400, NULL},
	{"session_not_found", 20404, 404, "The requested resource was not found"},
	{"session_expired", 20404, 404, "The requested resource was not found"},
	{"session_canceled", 20404, 404, "The requested resource was not found"},
	{"already_verified", 20404, 404, "The requested resource was not found"},
	{"code_expired", 20404, 404, "The requested resource was not found"},
	{"no_code_sent", 20404, 404, "The requested resource was not found"},
	{"attempts_exhausted", 60202, 429, "Max check attempts reached"},
	{"send_too_soon", 60203, 429, "Max send attempts reached"},
	{"sends_exhausted", 60203, 429, "Max send attempts reached"},
	{"channel_not_available", 60203, 429, NULL},
	/* policy/ (src/base/error.h). */
	{"rate_limited_number", 60203, 429, "Max send attempts reached"},
	{"rate_limited_prefix", 60203, 429, "Max send attempts reached"},
	{"rate_limited_ip", 20429, 429, "Too Many Requests"},
	{"rate_limited_network", 20429, 429, "Too Many Requests"},
	{"rate_limited_country", 20429, 429, "Too Many Requests"},
	{"rate_limited_app", 20429, 429, "Too Many Requests"},
	{"rate_limited_global", 20429, 429, "Too Many Requests"},
	{"spend_cap_reached", 20429, 429, "Too Many Requests"},
	{"number_checks_locked", 60202, 429, "Max check attempts reached"},
	{"country_not_allowed", 60605, 403, NULL},
	{"prefix_blocked", 60410, 403, NULL},
	/* A proof-of-work Twilio's clients cannot solve: too many requests. */
	{"challenge_required", 20429, 429, NULL},
	{"unavailable", 20503, 503, NULL},
};

void twilio_reply(struct http_response *res, int code, int status, const char *message)
{
	char more[64];
	strfmt(more, sizeof more, "https://www.twilio.com/docs/errors/%d", code);
	json_decref(res->body);
	res->body = json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", message, "more_info",
			      more, "status", status);
	res->status = status;
}

void twilio_reply_error(struct http_response *res, enum iotp_error e, const char *message)
{
	const char *name = iotp_error_code(e);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].iotp, name) == 0) {
			twilio_reply(res, map[i].code, map[i].status,
				     message ? message
					     : map[i].message ? map[i].message : iotp_error_message(e));
			return;
		}
	twilio_reply(res, 20500, 500, message ? message : iotp_error_message(e));
}
