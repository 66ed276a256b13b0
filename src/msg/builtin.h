/* builtin: the templates iotp ships, for every language in lang.c.
 *
 * An SMS must fit one segment (160 GSM-7 septets or 70 UCS-2 units), and the
 * auto-fill lines take their share: "@example.com #1234567890" and an app
 * hash leave a UCS-2 language 33 units for everything else. So every language
 * has its SMS in four forms, from the richest to the shortest, and a message
 * uses the first that fits:
 *   full     the app, the code, the warning not to share it, the expiry
 *   short    the same, tersely
 *   code     the code and the warning
 *   warning  the warning alone; used only when the origin-bound line is there
 *            to carry the code ("@example.com #1234567890")
 * The languages written in GSM-7 fit their full form in every case the unit
 * tests try; the UCS-2 ones step down as the suffixes grow. */
#ifndef IOTP_MSG_BUILTIN_H
#define IOTP_MSG_BUILTIN_H

#include "msg/lang.h"

enum msg_form { MSG_FORM_FULL = 0, MSG_FORM_SHORT, MSG_FORM_CODE, MSG_FORM_WARNING, MSG_FORMS };

struct msg_builtin {
	const char *tag;            /* the language, as in struct msg_lang */
	const char *sms[MSG_FORMS]; /* the SMS forms, richest first */
	const char *voice;          /* says the code twice, with pauses */
};

/* The built-in templates of a language; never NULL for a language of
 * msg_lang_at (a unit test makes sure). */
const struct msg_builtin *msg_builtin_get(const struct msg_lang *lang);

/* "full", "short", "code", "warning". */
const char *msg_form_name(enum msg_form form);

#endif
