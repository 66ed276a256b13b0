#include "msg/check.h"

#include <stdio.h>
#include <string.h>

#include "msg/sms.h"
#include "msg/template.h"
#include "base/utf8.h"

/* The code the length checks assume: the longest iotp generates. */
static const char longest_code[] = "1234567890";

void msg_check_describe_length(const struct msg_sms_size *m, const struct msg_app *app, char *out,
                               size_t size)
{
	const char *parts[4];
	int n = 0;
	parts[n++] = "a 10-digit code";
	parts[n++] = "the app's name";
	if (app->app_hash && *app->app_hash)
		parts[n++] = "the app hash";
	if (app->domain && *app->domain)
		parts[n++] = "the origin-bound line";

	char with[128] = "", why[64] = "";
	for (int i = 0; i < n; i++) {
		size_t o = strlen(with);
		snprintf(with + o, sizeof with - o, "%s%s",
		         i == 0       ? ""
		         : i == n - 1 ? " and "
		                      : ", ",
		         parts[i]);
	}
	if (m->encoding == MSG_UCS2) {
		char ch[5] = "";
		ch[utf8_put(m->first_ucs2, ch)] = '\0';
		snprintf(why, sizeof why, "; it is UCS-2 because of '%s' (U+%04X)", ch,
		         (unsigned)m->first_ucs2);
	}
	snprintf(out, size, "is %d segments (%zu %s %s with %s); shorten it by %zu to fit %zu%s",
	         m->segments, m->units, msg_encoding_name(m->encoding),
	         m->encoding == MSG_GSM7 ? "septets" : "units", with, m->units - m->limit, m->limit,
	         why);
}

int msg_template_check(const char *name, enum msg_channel ch, const struct msg_lang *lang,
                       const char *text, const struct msg_app *app, int minutes, char *err,
                       size_t errlen)
{
	int rc = msg_template_check_syntax(name, ch, text, err, errlen);
	if (rc != MSG_OK)
		return rc;
	if (msg_template_uses(text, "domain") && !(app->domain && *app->domain)) {
		snprintf(err, errlen, "template %s uses {domain}, but the app has no domain", name);
		return MSG_REFUSED;
	}
	if (msg_template_uses(text, "app_hash") && !(app->app_hash && *app->app_hash)) {
		snprintf(err, errlen, "template %s uses {app_hash}, but the app has no hash", name);
		return MSG_REFUSED;
	}

	if (ch == MSG_VOICE) {
		char script[MSG_VOICE_MAX + 1];
		rc = msg_voice_compose(lang, text, app, longest_code, minutes, NULL, script,
		                       sizeof script, NULL, 0);
		if (rc == MSG_ESPACE) {
			snprintf(err, errlen,
			         "template %s is longer than %d bytes when read out; shorten it",
			         name, MSG_VOICE_MAX);
			return MSG_REFUSED;
		}
		return rc < 0 ? rc : MSG_OK;
	}

	/* Anything past a few segments is far over the limit anyway. */
	char sms[4 * MSG_TEMPLATE_MAX];
	struct msg_sms_size m;
	rc = msg_sms_compose(lang, text, app, longest_code, minutes, sms, sizeof sms, &m);
	if (rc == MSG_MULTIPART) {
		char why[256];
		msg_check_describe_length(&m, app, why, sizeof why);
		snprintf(err, errlen, "template %s %s", name, why);
		return MSG_REFUSED;
	}
	if (rc == MSG_ESPACE) {
		snprintf(err, errlen,
		         "template %s is many segments long; one SMS holds 160 GSM-7 "
		         "septets or 70 UCS-2 units",
		         name);
		return MSG_REFUSED;
	}
	return rc;
}
