/* template: the small language message templates are written in.
 *
 * A template is UTF-8 text with placeholders in braces:
 *   {code}      the code: grouped for reading in an SMS ("123-456"), digit by
 *               digit for a voice ("1, 2, 3, 4, 5, 6")
 *   {app}       the app's name
 *   {minutes}   the code's lifetime in whole minutes ("10")
 *   {domain}    the host of the app's origin-bound line ("example.com")
 *   {app_hash}  the app's Android SMS Retriever hash (SMS only)
 * and one construct for grammar: {minutes|one:# minute|other:# minutes} picks
 * the text for the count's CLDR plural category in the template's language
 * (zero, one, two, few, many, other; "other" is required and is used for any
 * category not given), with # standing for the number. "{{" and "}}" write a
 * literal brace. */
#ifndef IOTP_MSG_TEMPLATE_H
#define IOTP_MSG_TEMPLATE_H

#include <stddef.h>

#include "msg/buf.h"
#include "msg/lang.h"
#include "msg/msg.h"

/* Bytes a template may hold (its NUL excluded). */
#define MSG_TEMPLATE_MAX 1000

/* The digits of a code, 4 to 10 of them. */
#define MSG_CODE_MIN 4
#define MSG_CODE_MAX 10

/* What the placeholders stand for. Strings are borrowed. */
struct msg_vars {
	const char *app;
	const char *code; /* bare ASCII digits */
	unsigned long minutes;
	const char *domain;   /* NULL or "" when the app has none */
	const char *app_hash; /* NULL or "" when the app has none */
};

/* How the expansion is written. */
enum msg_style {
	/* As an SMS shows it: the code grouped. In a right-to-left language the
	 * code, domain and hash sit in left-to-right isolates (U+2066 ... U+2069)
	 * and the app's name in a first-strong isolate (U+2068 ... U+2069), so
	 * the bidirectional algorithm cannot reorder the digit groups or carry
	 * punctuation across the name; in a left-to-right language a name with
	 * right-to-left letters gets the first-strong isolate. */
	MSG_STYLE_SMS,
	/* As a speech engine reads plain text: the code's digits one by one,
	 * separated by ", " (a pause in every engine). */
	MSG_STYLE_SPEECH,
	/* As SSML content: text escaped for XML, and the code's digits separated
	 * by <break time="500ms"/>. */
	MSG_STYLE_SSML,
};

/* 1 when code is MSG_CODE_MIN to MSG_CODE_MAX ASCII digits, else 0. */
int msg_code_valid(const char *code);

/* The code as a message shows it, in groups that are easy to read and type:
 * "1234", "12345", "123-456", "123-4567", "1234-5678", "123-456-789",
 * "123-456-7890" (the same groups as core's code_format, which the checker
 * accepts back). out needs 13 bytes. Returns 0, or MSG_EINVAL for a code that
 * msg_code_valid refuses. */
int msg_code_group(const char *code, char *out, size_t size);

/* Writes the expansion of tmpl into out, in the given style, choosing plural
 * forms by lang's rules. The template should have passed
 * msg_template_check_syntax; an unknown placeholder is written as is. Returns
 * 0, MSG_ESPACE when out overflowed, or MSG_EINVAL for an invalid code. */
int msg_template_expand(const char *tmpl, const struct msg_lang *lang, const struct msg_vars *v,
                        enum msg_style style, struct msg_buf *out);

/* Checks what can be checked without knowing the app: the text is valid UTF-8
 * of at most MSG_TEMPLATE_MAX bytes; it holds no control character but the
 * line break, and no bidirectional embedding, override or isolate control
 * (iotp places isolates itself); every placeholder is known and every plural
 * choice well formed; {code} appears; for SMS, no line starts with '@' (the
 * origin-bound line is iotp's to write, from the app's domain); for voice,
 * there is no {app_hash}. name names the template in the sentence
 * ("sms.es"). Returns 0, or MSG_REFUSED with a sentence in err
 * ("template sms.es: unknown placeholder {nombre}"). */
int msg_template_check_syntax(const char *name, enum msg_channel ch, const char *text, char *err,
                              size_t errlen);

/* 1 when the template uses the placeholder (given without braces). */
int msg_template_uses(const char *tmpl, const char *placeholder);

#endif
