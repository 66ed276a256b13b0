/* The one table of iotp's error codes.
 *
 * Each row: enum name, HTTP status, the JSON error.code clients branch on, and a
 * default sentence for a person (callers may say something more precise).
 * The table is append-only: clients branch on these codes, so never remove or
 * rename a row, and never reuse a code for another meaning. */
#ifndef IOTP_ERROR_H
#define IOTP_ERROR_H

#define IOTP_ERROR_MAP(X)                                                                         \
	X(OK, 200, "ok", "Success.")                                                              \
	X(INTERNAL, 500, "internal_error",                                                        \
	  "Something went wrong on our side. Try again in a moment; if it persists, tell the operator.") \
	X(NOT_FOUND, 404, "not_found", "There is nothing at this address. Check the URL.")         \
	X(METHOD_NOT_ALLOWED, 405, "method_not_allowed",                                          \
	  "This address does not accept that method. See the Allow header.")                      \
	X(UNAUTHORIZED, 401, "unauthorized",                                                      \
	  "Missing or wrong API key. Send 'Authorization: Bearer <api key>'.")                    \
	X(MALFORMED_JSON, 400, "malformed_json", "The body is not valid JSON.")                    \
	X(INVALID_UTF8, 400, "invalid_utf8", "The body is not valid UTF-8. Send text encoded as UTF-8.") \
	X(INVALID_FIELD_TYPE, 400, "invalid_field_type", "A field has the wrong type.")            \
	X(UNKNOWN_FIELD, 400, "unknown_field", "The body has a field this endpoint does not know.") \
	X(MISSING_FIELD, 400, "missing_field", "A required field is missing.")                     \
	X(INVALID_FIELD, 400, "invalid_field", "A field has a value this endpoint does not accept.") \
	X(BODY_TOO_LARGE, 413, "body_too_large", "The body is larger than 16 KiB. Send less.")     \
	X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type",                                  \
	  "Send the body as JSON with 'Content-Type: application/json'.")                         \
	X(TOO_MANY_CONNECTIONS, 429, "too_many_connections",                                      \
	  "Too many open connections from your address. Close some and retry.")                   \
	X(REQUEST_TIMEOUT, 408, "request_timeout",                                                \
	  "The request took too long to arrive. Send the whole request at once.")                 \
	X(INVALID_NUMBER, 422, "invalid_number", "This is not a valid phone number.")              \
	X(MISSING_COUNTRY_CODE, 422, "missing_country_code",                                      \
	  "The number has no country code. Start it with + and the country code, or send a region.") \
	X(TOO_SHORT, 422, "too_short", "The number is too short.")                                 \
	X(TOO_LONG, 422, "too_long", "The number is too long.")                                    \
	X(INVALID_COUNTRY_CODE, 422, "invalid_country_code", "The country code does not exist.")   \
	X(UNSUPPORTED_NUMBER_TYPE, 422, "unsupported_number_type",                                \
	  "Codes cannot be sent to this kind of number. Use a mobile number.")                    \
	X(INVALID_REGION, 422, "invalid_region",                                                  \
	  "The region is not a known two-letter country code, such as GB or US.")                 \
	X(SESSION_NOT_FOUND, 404, "session_not_found",                                            \
	  "No session has this id. Start a new one with POST /v1/sessions.")                      \
	X(SESSION_EXPIRED, 410, "session_expired",                                                \
	  "This session has expired. Start a new one with POST /v1/sessions.")                    \
	X(ALREADY_VERIFIED, 409, "already_verified",                                              \
	  "This session is already verified; its code cannot be used again.")                     \
	X(SEND_TOO_SOON, 429, "send_too_soon",                                                    \
	  "A code was sent moments ago. Wait for it, or retry after the time in Retry-After.")   \
	X(SENDS_EXHAUSTED, 429, "sends_exhausted",                                                \
	  "No more codes can be sent in this session. Start a new session later.")                \
	X(CHANNEL_NOT_AVAILABLE, 409, "channel_not_available",                                    \
	  "This channel cannot reach this number yet. Use the other channel, or wait for next_call.") \
	X(NO_CODE_SENT, 409, "no_code_sent", "No code has been sent in this session yet. Request one first.") \
	X(INCORRECT_CODE, 400, "incorrect_code", "That code is not right. Check the message and try again.") \
	X(CODE_EXPIRED, 410, "code_expired", "The code has expired. Request a new one.")            \
	X(ATTEMPTS_EXHAUSTED, 429, "attempts_exhausted",                                          \
	  "Too many wrong codes for this session. Start a new session to get a new code.")        \
	X(UNAVAILABLE, 503, "unavailable", "The server is shutting down. Retry in a moment.")      \
	X(MALFORMED_FORM, 400, "malformed_form",                                                  \
	  "The form body is not valid application/x-www-form-urlencoded. Check its %-escapes.")

enum iotp_error {
#define IOTP_ERROR_ENUM(name, status, code, message) IOTP_E_##name,
	IOTP_ERROR_MAP(IOTP_ERROR_ENUM)
#undef IOTP_ERROR_ENUM
	IOTP_E_COUNT
};

/* HTTP status of an error (500 for an out-of-range value). */
int iotp_error_status(enum iotp_error e);
/* The stable snake_case code ("incorrect_code"). */
const char *iotp_error_code(enum iotp_error e);
/* The default sentence for a person. */
const char *iotp_error_message(enum iotp_error e);

#endif
