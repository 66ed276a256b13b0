/* msg: the words a person receives. */
#ifndef IOTP_MSG_TEXT_H
#define IOTP_MSG_TEXT_H

#include <stddef.h>

/* Renders the text that carries a code, exactly as the phone shows it (SMS) or
 * the voice reads it (voice). channel is "sms" or "voice"; minutes is the code's
 * lifetime. Returns 0, or -1 when out is too small. */
int msg_render_code(const char *channel, const char *app_name, const char *code, int minutes,
		    char *out, size_t size);

#endif
