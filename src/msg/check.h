/* check: whether an operator's template can be used for an app, said in a
 * sentence that names the template, so a bad configuration stops iotpd at
 * start-up instead of sending a broken message later. */
#ifndef IOTP_MSG_CHECK_H
#define IOTP_MSG_CHECK_H

#include <stddef.h>

#include "msg/compose.h"
#include "msg/lang.h"
#include "msg/msg.h"

/* Bytes a voice script may take when rendered (its SSML may take four times
 * as many): far more than any sentence a person listens to. */
#define MSG_VOICE_MAX 1500

/* Checks a template for one app: everything msg_template_check_syntax checks;
 * that the app has a domain or hash if the template uses {domain} or
 * {app_hash}; and that, rendered with a 10-digit code, the app's name and its
 * suffix lines and a lifetime of minutes, an SMS fits one segment and a voice
 * script MSG_VOICE_MAX bytes. name names the template ("sms.es"). Returns 0,
 * or MSG_REFUSED with a sentence in err, e.g.
 *   template sms.es: unknown placeholder {nombre}; the placeholders are ...
 *   template sms.es is 2 segments (176 GSM-7 septets with a 10-digit code,
 *   the app's name and the origin-bound line); shorten it by 16 to fit 160 */
int msg_template_check(const char *name, enum msg_channel ch, const struct msg_lang *lang,
                       const char *text, const struct msg_app *app, int minutes, char *err,
                       size_t errlen);

/* The sentence for an SMS that came out longer than one segment: "is 2
 * segments (176 GSM-7 septets with ...); shorten it by 16 to fit 160", with,
 * for UCS-2, the character that forced it. For msg_template_check and
 * msg_catalog_check. */
void msg_check_describe_length(const struct msg_sms_size *m, const struct msg_app *app, char *out,
                               size_t size);

#endif
