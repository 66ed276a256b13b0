/* What the Twilio facade's files share. */
#ifndef IOTP_COMPAT_TWILIO_H
#define IOTP_COMPAT_TWILIO_H

#include "base/alloc.h"
#include "http/http.h"

/* Fills res with Twilio's error JSON {code, message, more_info, status}. */
void twilio_reply(struct http_response *res, int code, int status, const char *message);

#endif
