/* compose: one template made into the exact text a person receives, with the
 * lines that let phones and browsers fill the code in safely.
 *
 * An SMS is the template's text, then, when the app configures them:
 *   - its Android SMS Retriever hash, on its own line, so the app reads the
 *     code without SMS permissions (the Retriever looks for the hash anywhere
 *     in a message of at most 140 bytes, which is one segment);
 *   - the origin-bound one-time code line, always last, "@example.com
 *     #1234567890" (the WICG sms-one-time-codes format, read by Safari's
 *     AutoFill and by Chrome's WebOTP API), so a browser offers the code only
 *     on that site. It carries the bare digits, without grouping.
 * With both:
 *     Your Acme code: 123-456. Don't share this code with anyone. ...
 *     FA+9qCX9VSu
 *     @example.com #123456
 * The origin-bound line must be the message's last line, so the hash goes on
 * the line above it (MSG_HASH_OWN_LINE, the default) or after the code on that
 * line ("@example.com #123456 FA+9qCX9VSu", MSG_HASH_ORIGIN_LINE), which the
 * WICG format allows (text after the code is ignored) and which makes the hash
 * the message's last word, as the Retriever's first documentation asked.
 * Which one every device honours is a question for device tests; both are
 * here so an operator can switch without a release.
 *
 * How an Android app computes its hash (Google's AppSignatureHelper, and
 * sms_retriever_hash_v9.sh in googlesamples/android-credentials): take the
 * package name, a space, and the lower-case hex of the app's signing
 * certificate; SHA-256 it; keep the first 9 bytes; Base64 them; keep the first
 * 11 characters. From a keystore:
 *   keytool -exportcert -alias KEY -keystore KEYSTORE | xxd -p | tr -d "[:space:]" \
 *     | echo -n com.example.app `cat` | sha256sum | tr -d "[:space:]-" \
 *     | xxd -r -p | base64 | cut -c1-11
 * Debug, upload and Play App Signing keys give different hashes: configure the
 * one of the build the person has. docs/messages.md says the same for
 * operators. */
#ifndef IOTP_MSG_COMPOSE_H
#define IOTP_MSG_COMPOSE_H

#include <stddef.h>

#include "msg/lang.h"
#include "msg/msg.h"
#include "msg/sms.h"

/* Bytes of the longest app name, domain (a DNS name is at most 253). */
#define MSG_APP_NAME_MAX 64
#define MSG_DOMAIN_MAX 253
#define MSG_APP_HASH_LEN 11

/* Where the Retriever hash goes when the origin-bound line is there too. */
enum msg_hash_place {
	MSG_HASH_OWN_LINE = 0, /* a line of its own, above the origin-bound line */
	MSG_HASH_ORIGIN_LINE,  /* after the code on the origin-bound line */
};

/* What an app configures about its messages. Strings are borrowed; NULL and ""
 * both mean "not configured". */
struct msg_app {
	const char *id;       /* the key of its per-app template overrides */
	const char *name;     /* {app}: "Acme" */
	const char *domain;   /* host of the origin-bound line: "example.com" */
	const char *app_hash; /* Android SMS Retriever hash: 11 Base64 characters */
	enum msg_hash_place hash_place;
};

/* Checks an app's settings once, at start-up, so rendering cannot fail on
 * them later: the name is 1 to MSG_APP_NAME_MAX bytes of UTF-8 with no control
 * or bidirectional formatting characters and does not start with '@'; the
 * domain is a lower-case DNS host name without scheme, port or path (an
 * internationalised one in its xn-- form, as browsers compare it); the hash is
 * exactly 11 characters of Base64. Returns 0, or MSG_REFUSED with a sentence
 * naming the setting in err. */
int msg_app_check(const struct msg_app *app, char *err, size_t errlen);

/* Writes the SMS for one template: the expansion of tmpl for code (4 to 10
 * ASCII digits) and minutes in lang, then the app's suffix lines, into out, and
 * measures it into *size (may be NULL). Returns 0 when it fits one segment,
 * MSG_MULTIPART when it is complete but longer, MSG_ESPACE when out is too
 * small, MSG_EINVAL for an invalid code or a negative minutes. */
int msg_sms_compose(const struct msg_lang *lang, const char *tmpl, const struct msg_app *app,
                    const char *code, int minutes, char *out, size_t size,
                    struct msg_sms_size *measured);

/* Writes the voice script for one template: plain text for engines that read
 * text (digits one by one, separated by ", "), and, when ssml is not NULL,
 * the same as an SSML document, <speak version="1.0"
 * xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="..."> with
 * <break time="500ms"/> between the digits. xml_lang is the locale to declare
 * (msg_lang_voice_locale). Returns 0, MSG_ESPACE or MSG_EINVAL. */
int msg_voice_compose(const struct msg_lang *lang, const char *tmpl, const struct msg_app *app,
                      const char *code, int minutes, const char *xml_lang, char *script,
                      size_t script_size, char *ssml, size_t ssml_size);

#endif
