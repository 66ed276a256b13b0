/* catalog: the templates in force — the built-in ones, and the operator's
 * overrides per language and, optionally, per app — and the two calls that
 * turn a code into what a person receives.
 *
 * A catalog is filled at start-up and read-only afterwards: rendering from
 * several threads at once is safe. A NULL catalog means the built-ins alone. */
#ifndef IOTP_MSG_CATALOG_H
#define IOTP_MSG_CATALOG_H

#include <stddef.h>

#include "msg/builtin.h"
#include "msg/compose.h"
#include "msg/lang.h"
#include "msg/msg.h"
#include "msg/sms.h"

/* Overrides a catalog holds at most: a hard bound, like every buffer iotp
 * fills from configuration (one per language, channel and app). */
#define MSG_CATALOG_MAX 4096

struct msg_catalog;

/* A catalog with the built-in templates and no overrides. Returns 0 and sets
 * *out (free it with msg_catalog_free). */
int msg_catalog_new(struct msg_catalog **out);
void msg_catalog_free(struct msg_catalog *cat);

/* Replaces the template of a built-in language on a channel, for one app
 * (app_id) or for every app without its own (app_id NULL or ""). The text is
 * copied. An SMS override replaces all four built-in forms: it is used as
 * written, and msg_catalog_check makes sure it fits one segment. Refuses (with
 * a sentence naming the template, "template sms.es for app acme: ...") a
 * language iotp does not have and anything msg_template_check_syntax refuses;
 * a second override of the same template replaces the first. Returns 0,
 * MSG_REFUSED, or MSG_ESPACE when the catalog already holds MSG_CATALOG_MAX. */
int msg_catalog_override(struct msg_catalog *cat, const char *app_id, const char *lang,
                         enum msg_channel ch, const char *text, char *err, size_t errlen);

/* The template an app's message in lang uses on ch, and whether it is an
 * operator's (*overridden = 1) or built-in; for a built-in SMS, the full form
 * (msg_render_sms steps down to shorter ones by itself). */
const char *msg_catalog_template(const struct msg_catalog *cat, const char *app_id,
                                 const struct msg_lang *lang, enum msg_channel ch, int *overridden);

/* Checks, at start-up, that every SMS the app can receive fits one segment,
 * in every language, with a 10-digit code, the app's name and suffix lines,
 * and a lifetime of minutes: an operator's template as written, a built-in
 * one in its shortest form. Also runs msg_app_check and, for the app's
 * templates that use {domain} or {app_hash}, makes sure the app has them.
 * Stops at the first problem. Returns 0, or MSG_REFUSED with a sentence
 * ("template sms.es for app acme is 2 segments (176 GSM-7 septets with a
 * 10-digit code, the app's name and the origin-bound line); shorten it to
 * 160"). */
int msg_catalog_check(const struct msg_catalog *cat, const struct msg_app *app, int minutes,
                      char *err, size_t errlen);

/* How a rendered SMS came out, for logs and `iotpctl template preview`. */
struct msg_sms_info {
	int overridden;           /* 1 when an operator's template was used */
	enum msg_form form;       /* the built-in form used; MSG_FORM_FULL for an override */
	struct msg_sms_size size; /* encoding, length and segments of the whole text */
};

/* Writes the SMS that carries code (4 to 10 ASCII digits) to a person reading
 * lang, for app, valid for minutes: the operator's template if there is one,
 * else the richest built-in form that fits one segment with the app's suffix
 * lines (the warning-only form only when the origin-bound line carries the
 * code). Returns 0; MSG_MULTIPART when even the shortest form is longer than
 * one segment (out then holds that form, complete); MSG_ESPACE; MSG_EINVAL. */
int msg_render_sms(const struct msg_catalog *cat, const struct msg_lang *lang,
                   const struct msg_app *app, const char *code, int minutes, char *out, size_t size,
                   struct msg_sms_info *info);

/* Writes the voice script (and, when ssml is not NULL, its SSML) that reads
 * code to a person in lang. region, the number's region (may be NULL), picks a
 * regional voice locale for the SSML's xml:lang (msg_lang_voice_locale).
 * Returns 0, MSG_ESPACE or MSG_EINVAL. */
int msg_render_voice(const struct msg_catalog *cat, const struct msg_lang *lang,
                     const struct msg_app *app, const char *code, int minutes, const char *region,
                     char *script, size_t script_size, char *ssml, size_t ssml_size);

#endif
