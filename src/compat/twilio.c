/* What the Twilio resources share: small readers and error replies. */
#include "compat/twilio.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "compat/compat.h"
#include "core/code.h"
#include "core/session.h"

struct core *twilio_core(const struct http_request *req)
{
	return ((const struct api *)req->app)->core;
}

void twilio_invalid(struct http_response *res, const char *param, const char *why)
{
	char msg[300];
	strfmt(msg, sizeof msg, "Invalid parameter `%s`%s%s", param, why ? ": " : "", why ? why : "");
	twilio_reply(res, 60200, 400, msg);
}

void twilio_not_found(struct http_response *res)
{
	twilio_reply(res, 20404, 404, "The requested resource was not found");
}

void twilio_internal(struct http_response *res)
{
	twilio_reply_error(res, IOTP_E_INTERNAL, NULL);
}

void twilio_base_url(struct http_request *req, char *out, size_t size)
{
	const char *host = http_header(req, "Host");
	const char *proto = http_header(req, "X-Forwarded-Proto");
	strfmt(out, size, "%s://%s", proto && !strcmp(proto, "https") ? "https" : "http",
	       host ? host : "localhost");
}

int twilio_is_sid(const char *s, const char *prefix)
{
	if (strlen(s) != 34 || strncmp(s, prefix, 2) != 0)
		return 0;
	for (int i = 2; i < 34; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

int twilio_read_code_length(struct http_request *req, struct http_response *res, int *out)
{
	const char *len = form_get(req->form, "CodeLength");
	*out = 0;
	if (!len)
		return 0;
	int min = session_min_code_length(twilio_core(req), req->principal);
	char *end, why[160];
	long n = strtol(len, &end, 10);
	if (*end || end == len || n < min || n > CODE_MAX_LENGTH) {
		/* Shorter codes than the app allows are as invalid as 3 digits:
		 * Twilio's own limit is 4 to 10. */
		if (min > CODE_MIN_LENGTH)
			strfmt(why, sizeof why,
			       "a number from %d to %d (shorter codes are refused for this account: "
			       "its min_code_length is %d)",
			       min, CODE_MAX_LENGTH, min);
		else
			strfmt(why, sizeof why, "a number from %d to %d", min, CODE_MAX_LENGTH);
		twilio_invalid(res, "CodeLength", why);
		return -1;
	}
	*out = (int)n;
	return 0;
}
