/* text: the message renderer iotp started with — English, no auto-fill
 * lines — kept so callers move to catalog.h (msg_render_sms and
 * msg_render_voice, which add languages and suffixes) at their own pace. */
#ifndef IOTP_MSG_TEXT_H
#define IOTP_MSG_TEXT_H

#include <stddef.h>

/* Renders the text that carries a code, exactly as the phone shows it (SMS) or
 * the voice reads it (voice), in English from the built-in templates. channel
 * is "sms" or "voice"; minutes is the code's lifetime. Returns 0, or -1 when
 * out is too small or the code is not 4 to 10 digits. */
int msg_render_code(const char *channel, const char *app_name, const char *code, int minutes,
                    char *out, size_t size);

#endif
