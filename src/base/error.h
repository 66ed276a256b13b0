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
	  "This channel cannot reach this number now: a call comes only after an SMS, and a landline takes no SMS.") \
	X(NO_CODE_SENT, 409, "no_code_sent", "No code has been sent in this session yet. Request one first.") \
	X(INCORRECT_CODE, 400, "incorrect_code", "That code is not right. Check the message and try again.") \
	X(CODE_EXPIRED, 410, "code_expired", "The code has expired. Request a new one.")            \
	X(ATTEMPTS_EXHAUSTED, 429, "attempts_exhausted",                                          \
	  "Too many wrong codes for this session. Start a new session to get a new code.")        \
	X(UNAVAILABLE, 503, "unavailable", "The server is shutting down. Retry in a moment.")       \
	X(SESSION_NOT_VERIFIED, 409, "session_not_verified",                                      \
	  "This session's number is not verified yet. Check its code with PUT /v1/sessions/{id}/code first.") \
	X(SESSION_SPENT, 409, "session_spent",                                                    \
	  "This session has already been used. Verify the number again with a new session.")     \
	X(SESSION_TOO_OLD, 410, "session_too_old",                                                \
	  "This session was verified too long ago to be used. Verify the number again.")          \
	X(SESSION_WRONG_NUMBER, 409, "session_wrong_number",                                      \
	  "The session verified another number than this operation needs.")                       \
	X(PIN_REQUIRED, 423, "pin_required",                                                      \
	  "This number has two-step verification. Send its PIN (\"pin\"), or a code from its authenticator app (\"totp\") when it has one, or reset the PIN.") \
	X(INCORRECT_PIN, 403, "incorrect_pin", "That PIN is not right. Try again after Retry-After, if given.") \
	X(PIN_WAIT, 429, "pin_wait", "Too many wrong PINs in a row. Try again after the time in Retry-After.") \
	X(PIN_LOCKED, 423, "pin_locked",                                                          \
	  "Too many wrong PINs: the PIN is locked. Reset it by e-mail, or register with the code alone after reset_available_at.") \
	X(INVALID_CREDENTIAL, 401, "invalid_credential",                                          \
	  "Missing, wrong or replaced device credential. Send 'Authorization: Device <credential>' from the latest registration.") \
	X(REVERIFICATION_REQUIRED, 403, "reverification_required",                                \
	  "Verify this account's number again: spend a verified session at POST /v1/accounts/me/reverify.") \
	X(NO_PIN, 409, "no_pin", "This account has no PIN. Set one with PUT /v1/accounts/me/pin.")  \
	X(NO_RECOVERY_EMAIL, 409, "no_recovery_email",                                            \
	  "This account has no recovery e-mail, so no reset link can be sent; the PIN lapses after reset_available_at.") \
	X(RESET_LINK_INVALID, 410, "reset_link_invalid",                                          \
	  "This reset link is wrong, already used or expired. Ask for a new one.")                \
	X(SAME_NUMBER, 409, "same_number", "The new number is already this account's number.")     \
	X(ACCOUNT_NOT_FOUND, 404, "account_not_found", "No account has this number.")             \
	X(MAIL_NOT_CONFIGURED, 503, "mail_not_configured",                                        \
	  "This server cannot send e-mail (no smtp_url). Ask the operator, or wait for the PIN to lapse.") \
	X(RATE_LIMITED_NUMBER, 429, "rate_limited_number",                                        \
	  "Too many requests for this number. Retry after the time in Retry-After.")              \
	X(RATE_LIMITED_PREFIX, 429, "rate_limited_prefix",                                        \
	  "Too many requests for numbers in this range. Retry after the time in Retry-After.")    \
	X(RATE_LIMITED_IP, 429, "rate_limited_ip",                                                \
	  "Too many requests from your address. Retry after the time in Retry-After.")            \
	X(RATE_LIMITED_NETWORK, 429, "rate_limited_network",                                      \
	  "Too many requests from your network. Retry after the time in Retry-After.")            \
	X(RATE_LIMITED_COUNTRY, 429, "rate_limited_country",                                      \
	  "Too many requests for numbers in this country right now. Retry after the time in Retry-After.") \
	X(RATE_LIMITED_APP, 429, "rate_limited_app",                                              \
	  "This app has made too many requests. Retry after the time in Retry-After.")            \
	X(RATE_LIMITED_GLOBAL, 429, "rate_limited_global",                                        \
	  "The server is taking too many requests. Retry after the time in Retry-After.")         \
	X(NUMBER_CHECKS_LOCKED, 429, "number_checks_locked",                                      \
	  "Too many wrong codes for this number recently; checks are paused. Retry after the time in Retry-After.") \
	X(COUNTRY_NOT_ALLOWED, 403, "country_not_allowed",                                        \
	  "Codes are not sent to numbers in this country. Use a number from another country, or ask the operator.") \
	X(SPEND_CAP_REACHED, 429, "spend_cap_reached",                                            \
	  "The operator's message budget for now is spent. Retry after the time in Retry-After.") \
	X(PREFIX_BLOCKED, 403, "prefix_blocked",                                                  \
	  "Codes to this number range are paused because of suspected fraud. Use another number or contact support.") \
	X(CHALLENGE_REQUIRED, 409, "challenge_required",                                          \
	  "Solve the challenge in requested_information first, with PATCH /v1/sessions/{id}.")     \
	X(CHALLENGE_FAILED, 400, "challenge_failed",                                              \
	  "That is not a solution of this session's challenge. Solve it again and resubmit.")      \
	X(CHALLENGE_NOT_REQUESTED, 409, "challenge_not_requested",                                \
	  "This session asks for no such challenge (it may already be solved).")                  \
	X(CHALLENGE_NOT_SUPPORTED, 422, "challenge_not_supported",                                \
	  "This server does not offer that kind of challenge. Send the one in requested_information.") \
	X(MALFORMED_FORM, 400, "malformed_form",                                                  \
	  "The form body is not valid application/x-www-form-urlencoded. Check its %-escapes.") \
	X(CHANNEL_NOT_CONFIGURED, 422, "channel_not_configured",                                  \
	  "This server has no provider for that channel. Use another channel, such as sms.")      \
	X(REPORT_FORGED, 403, "report_forged",                                                    \
	  "The delivery report's token or signature is wrong. Check the provider's callback secret.") \
	X(REPORT_INVALID, 400, "report_invalid",                                                  \
	  "The delivery report names no message or has no status this provider's status_map knows.") \
	X(REPORT_UNKNOWN, 404, "report_unknown",                                                  \
	  "No message handed to this provider has that id. Check the provider name in the URL.") \
	X(SESSION_CANCELED, 410, "session_canceled",                                              \
	  "This session was canceled; its code no longer works. Start a new one with POST /v1/sessions.") \
	X(NUMBER_TAKEN, 409, "number_taken",                                                      \
	  "Another account holds this number. Its holder must close it or change its number first.") \
	X(REFRESH_TOKEN_NOT_FOUND, 400, "refresh_token_not_found",                                \
	  "No login has this refresh token. Sign in again.")                                      \
	X(REFRESH_TOKEN_USED, 400, "refresh_token_already_used",                                  \
	  "This refresh token was used before, so its login has ended. Sign in again.")           \
	X(LOGIN_ENDED, 401, "login_ended",                                                        \
	  "This login has ended (signed out, expired, or its account closed). Sign in again.")     \
	X(PIN_RESET_PENDING, 429, "pin_reset_pending",                                            \
	  "A reset link was e-mailed already and still works: check the mailbox (and spam), or ask again after Retry-After.") \
	X(STORE_UNAVAILABLE, 503, "store_unavailable",                                            \
	  "The database is unreachable for a moment. Retry after the time in Retry-After; nothing of this request was kept.") \
	X(TOTP_ENABLED, 409, "totp_enabled",                                                      \
	  "This account has an authenticator app on already. Turn it off with DELETE /v1/accounts/me/totp and a current code first.") \
	X(NO_TOTP, 409, "no_totp",                                                                \
	  "This account has no authenticator app to check. Start with POST /v1/accounts/me/totp.") \
	X(INCORRECT_TOTP, 403, "incorrect_totp",                                                  \
	  "That authenticator code is not right, or was used already. Enter the code the app shows now (after Retry-After, if given).") \
	X(TOTP_WAIT, 429, "totp_wait",                                                            \
	  "Too many wrong authenticator codes in a row. Try again after the time in Retry-After.") \
	X(NUMBER_UNREACHABLE, 422, "number_unreachable",                                          \
	  "The mobile network says this number is not in service, so no code was sent. Check the number, or use another one.") \
	X(PASSKEYS_OFF, 409, "passkeys_not_configured",                                           \
	  "This app has no passkeys: the operator sets passkey_rp_id (and passkey_origins) for it.") \
	X(PASSKEY_CHALLENGE_INVALID, 400, "passkey_challenge_invalid",                            \
	  "This passkey challenge is unknown, already answered, expired, or was issued for another account or purpose. Ask for new options and run the ceremony again.") \
	X(PASSKEY_INVALID, 400, "passkey_invalid",                                                \
	  "The passkey response is malformed or of a kind this server does not take. Send the browser's PublicKeyCredential as JSON (base64url fields).") \
	X(PASSKEY_WRONG_ORIGIN, 400, "passkey_wrong_origin",                                      \
	  "The ceremony ran on a page whose origin is not one of the app's passkey_origins.")     \
	X(PASSKEY_WRONG_RP_ID, 400, "passkey_wrong_rp_id",                                        \
	  "The passkey was made for another relying party id than the app's passkey_rp_id.")     \
	X(PASSKEY_BAD_SIGNATURE, 400, "passkey_bad_signature",                                    \
	  "The passkey's signature does not verify. Run the ceremony again with the same passkey.") \
	X(PASSKEY_USER_NOT_VERIFIED, 400, "passkey_user_not_verified",                            \
	  "The authenticator did not verify the person (UV) or see them (UP). Use a passkey with a screen lock, PIN or fingerprint.") \
	X(PASSKEY_SIGN_COUNT, 403, "passkey_sign_count",                                          \
	  "The passkey's sign count did not grow: it may have been cloned. Remove it and register a new one.") \
	X(PASSKEY_NOT_FOUND, 404, "passkey_not_found",                                            \
	  "This account has no such passkey. List its passkeys with GET /v1/accounts/me/passkeys.") \
	X(PASSKEY_EXISTS, 409, "passkey_exists",                                                  \
	  "This passkey is registered already.")                                                  \
	X(PASSKEY_LIMIT, 409, "passkey_limit",                                                    \
	  "This account has as many passkeys as it may hold (passkeys_max). Remove one first.")   \
	X(NO_PASSKEYS, 409, "no_passkeys",                                                        \
	  "This account has no passkey. Register one first, or use the PIN or a code.")

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
