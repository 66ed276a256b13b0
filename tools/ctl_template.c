/* iotpctl template preview: the exact SMS and voice texts a number would get,
 * the language and why, the encoding and the segment count — read from the
 * same configuration iotpd runs with, so an operator checks an override before
 * anyone receives it. */
#include "ctl.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "core/core.h"
#include "core/number.h"
#include "msg/catalog.h"

static const char usage_text[] =
	"usage: iotpctl [--config FILE] [--dev] template preview --phone +E164 [--locale TAG] "
	"[--app ID]\n";

static int preview(const struct core *c, const char *phone, const char *locale, const char *app_id)
{
	struct phone_number n;
	int test = 0;
	if (number_read(c, phone, NULL, &n, &test) != IOTP_E_OK) {
		fprintf(stderr, "iotpctl: '%s' is not a valid number with a country code\n", phone);
		return 2;
	}
	const struct app *app = apps_find(&c->apps, app_id ? app_id : APP_DEFAULT);
	if (!app) {
		fprintf(stderr, "iotpctl: no app '%s' in the configuration\n", app_id);
		return 2;
	}
	const char *app_lang = app_language(app, n.region);
	struct msg_lang_choice lc;
	char why[256], country[64] = "", intl[48] = "";
	msg_lang_choose(locale, app_lang, n.region, &lc);
	msg_lang_explain(&lc, locale, app_lang, n.region, why, sizeof why);
	phone_country_name(n.region, country, sizeof country);
	phone_format(n.e164, 1, intl, sizeof intl);

	/* A sample code of the configured length: the real one is never shown. */
	char code[11];
	strfmt(code, sizeof code, "%.*s", c->cfg->code_length, "1234567890");
	int minutes = (c->cfg->code_ttl + 59) / 60;
	char sms[2048], script[2048], ssml[4096];
	struct msg_sms_info info;
	int rc = msg_render_sms(c->apps.catalog, lc.lang, &app->msg, code, minutes, sms, sizeof sms,
				&info);
	if (rc < 0 || msg_render_voice(c->apps.catalog, lc.lang, &app->msg, code, minutes, n.region,
				       script, sizeof script, ssml, sizeof ssml) < 0) {
		fprintf(stderr, "iotpctl: the message does not render (error %d)\n", rc);
		return 1;
	}
	printf("number    %s (%s, %s, %s)\n", intl, n.region, country, phone_type_name(n.type));
	printf("app       %s (%s)\n", app->id, app->msg.name);
	printf("language  %s (%s) — %s\n", lc.lang->tag, lc.lang->english, why);
	printf("sms       %s, %d segment%s, %zu of %zu %s; %s\n", msg_encoding_name(info.size.encoding),
	       info.size.segments, info.size.segments == 1 ? "" : "s", info.size.units,
	       info.size.limit, msg_encoding_unit(info.size.encoding),
	       info.overridden ? "the operator's template" : msg_form_name(info.form));
	printf("--- sms (sample code %s)\n%s\n", code, sms);
	printf("--- voice script (%s)\n%s\n", msg_lang_voice_locale(lc.lang, n.region), script);
	printf("--- voice ssml\n%s\n---\n", ssml);
	return 0;
}

int ctl_template(const struct config *cfg, int argc, char **argv)
{
	const char *phone = NULL, *locale = NULL, *app = NULL;
	if (argc < 1 || strcmp(argv[0], "preview") != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char **opt = !strcmp(argv[i], "--phone")	 ? &phone
				   : !strcmp(argv[i], "--locale") ? &locale
				   : !strcmp(argv[i], "--app")	 ? &app
								 : NULL;
		if (!opt || i + 1 >= argc) {
			fprintf(stderr, "iotpctl: template preview: unexpected '%s'\n%s", argv[i],
				usage_text);
			return 2;
		}
		*opt = argv[++i];
	}
	if (!phone) {
		fprintf(stderr, "iotpctl: template preview needs --phone\n%s", usage_text);
		return 2;
	}
	char err[1024] = "the phone number library failed to start";
	unsigned char secret[32] = {0}; /* nothing is sealed here */
	struct core c;
	if (phone_init() < 0 || core_init(&c, cfg, NULL, secret, err, sizeof err) < 0) {
		fprintf(stderr, "iotpctl: %s\n", err);
		return 1;
	}
	int rc = preview(&c, phone, locale, app);
	core_deinit(&c);
	return rc;
}
