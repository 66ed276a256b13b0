#include "msg/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "msg/check.h"
#include "msg/template.h"

/* The longest SMS the ladder renders before measuring: a template's 1000
 * bytes with everything expanded fits, and MSG_ESPACE beyond it is a refusal. */
#define SMS_SCRATCH 8192

struct override {
	char *app_id; /* NULL: every app without its own */
	const struct msg_lang *lang;
	enum msg_channel ch;
	char *text;
};

struct msg_catalog {
	struct override *items;
	size_t n, cap;
};

int msg_catalog_new(struct msg_catalog **out)
{
	struct msg_catalog *cat = xcalloc(1, sizeof *cat);
	*out = cat;
	return MSG_OK;
}

void msg_catalog_free(struct msg_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->n; i++) {
		free(cat->items[i].app_id);
		free(cat->items[i].text);
	}
	free(cat->items);
	free(cat);
}

static int same_app(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && strcmp(a, b) == 0;
}

static struct override *find(const struct msg_catalog *cat, const char *app_id,
                             const struct msg_lang *lang, enum msg_channel ch)
{
	for (size_t i = 0; cat && i < cat->n; i++)
		if (cat->items[i].lang == lang && cat->items[i].ch == ch &&
		    same_app(cat->items[i].app_id, app_id))
			return &cat->items[i];
	return NULL;
}

/* "sms.es" or "sms.es for app acme": how sentences name a template. */
static void template_name(char *out, size_t size, const char *app_id, const struct msg_lang *lang,
                          const char *lang_tag, enum msg_channel ch)
{
	const char *tag = lang ? lang->tag : lang_tag;
	if (app_id && *app_id)
		snprintf(out, size, "%s.%.16s for app %.64s", msg_channel_name(ch), tag, app_id);
	else
		snprintf(out, size, "%s.%.16s", msg_channel_name(ch), tag);
}

int msg_catalog_override(struct msg_catalog *cat, const char *app_id, const char *lang_tag,
                         enum msg_channel ch, const char *text, char *err, size_t errlen)
{
	const struct msg_lang *lang = msg_lang_get(lang_tag);
	char name[128];
	template_name(name, sizeof name, app_id, lang, lang_tag ? lang_tag : "", ch);
	if (!lang) {
		snprintf(err, errlen,
		         "template %s: iotp has no language '%.16s'; use one of the tags "
		         "`iotpctl template list` shows (es, pt, zh-Hant, ...)",
		         name, lang_tag ? lang_tag : "");
		return MSG_REFUSED;
	}
	int rc = msg_template_check_syntax(name, ch, text, err, errlen);
	if (rc != MSG_OK)
		return rc;

	struct override *o = find(cat, app_id, lang, ch);
	if (o) {
		free(o->text);
		o->text = xstrdup(text);
		return MSG_OK;
	}
	if (cat->n == MSG_CATALOG_MAX) {
		snprintf(err, errlen, "template %s: more than %d overrides", name, MSG_CATALOG_MAX);
		return MSG_ESPACE;
	}
	if (cat->n == cat->cap) {
		cat->cap = cat->cap ? 2 * cat->cap : 16;
		cat->items = xrealloc(cat->items, cat->cap * sizeof *cat->items);
	}
	o = &cat->items[cat->n++];
	o->app_id = app_id && *app_id ? xstrdup(app_id) : NULL;
	o->lang = lang;
	o->ch = ch;
	o->text = xstrdup(text);
	return MSG_OK;
}

/* The operator's template for the app, else the one for every app, else NULL. */
static const char *override_of(const struct msg_catalog *cat, const char *app_id,
                               const struct msg_lang *lang, enum msg_channel ch, const char **owner)
{
	const struct override *o = NULL;
	if (app_id && *app_id)
		o = find(cat, app_id, lang, ch);
	if (!o)
		o = find(cat, NULL, lang, ch);
	if (owner)
		*owner = o ? o->app_id : NULL;
	return o ? o->text : NULL;
}

const char *msg_catalog_template(const struct msg_catalog *cat, const char *app_id,
                                 const struct msg_lang *lang, enum msg_channel ch, int *overridden)
{
	const char *text = override_of(cat, app_id, lang, ch, NULL);
	if (overridden)
		*overridden = text != NULL;
	if (text)
		return text;
	const struct msg_builtin *b = msg_builtin_get(lang);
	if (!b)
		return NULL;
	return ch == MSG_VOICE ? b->voice : b->sms[MSG_FORM_FULL];
}

/* The shortest built-in form an app may use: the warning alone needs the
 * origin-bound line to carry the code. */
static enum msg_form last_form(const struct msg_app *app)
{
	return app->domain && *app->domain ? MSG_FORM_WARNING : MSG_FORM_CODE;
}

int msg_render_sms(const struct msg_catalog *cat, const struct msg_lang *lang,
                   const struct msg_app *app, const char *code, int minutes, char *out, size_t size,
                   struct msg_sms_info *info)
{
	struct msg_sms_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof *info);
	if (!lang)
		return MSG_EINVAL;

	const char *text = override_of(cat, app->id, lang, MSG_SMS, NULL);
	if (text) {
		info->overridden = 1;
		return msg_sms_compose(lang, text, app, code, minutes, out, size, &info->size);
	}
	const struct msg_builtin *b = msg_builtin_get(lang);
	if (!b)
		return MSG_EINVAL;
	enum msg_form last = last_form(app);
	for (enum msg_form f = MSG_FORM_FULL; f <= last; f++) {
		info->form = f;
		int rc =
		    msg_sms_compose(lang, b->sms[f], app, code, minutes, out, size, &info->size);
		/* A form too long for out may still be too long for one segment, and
		 * a shorter form may fit both: step down on either. */
		if (rc == MSG_OK || (rc != MSG_MULTIPART && rc != MSG_ESPACE) || f == last)
			return rc;
	}
	return MSG_EINVAL; /* not reached: the loop returns at the last form */
}

int msg_render_voice(const struct msg_catalog *cat, const struct msg_lang *lang,
                     const struct msg_app *app, const char *code, int minutes, const char *region,
                     char *script, size_t script_size, char *ssml, size_t ssml_size)
{
	if (!lang)
		return MSG_EINVAL;
	const char *text = msg_catalog_template(cat, app->id, lang, MSG_VOICE, NULL);
	if (!text)
		return MSG_EINVAL;
	return msg_voice_compose(lang, text, app, code, minutes,
	                         msg_lang_voice_locale(lang, region), script, script_size, ssml,
	                         ssml_size);
}

int msg_catalog_check(const struct msg_catalog *cat, const struct msg_app *app, int minutes,
                      char *err, size_t errlen)
{
	int rc = msg_app_check(app, err, errlen);
	if (rc != MSG_OK)
		return rc;
	if (minutes < 0) {
		snprintf(err, errlen, "code lifetime: %d minutes is negative", minutes);
		return MSG_REFUSED;
	}

	for (size_t i = 0; i < msg_lang_count(); i++) {
		const struct msg_lang *lang = msg_lang_at(i);
		for (int ch = MSG_SMS; ch <= MSG_VOICE; ch++) {
			const char *owner;
			const char *text = override_of(cat, app->id, lang, ch, &owner);
			char name[128];
			template_name(name, sizeof name, owner, lang, NULL, ch);
			if (text) {
				rc = msg_template_check(name, ch, lang, text, app, minutes, err,
				                        errlen);
				if (rc != MSG_OK)
					return rc;
				continue;
			}
			if (ch == MSG_VOICE)
				continue; /* built-in voice scripts have no length limit to meet */

			char sms[SMS_SCRATCH];
			struct msg_sms_info info;
			rc = msg_render_sms(cat, lang, app, "1234567890", minutes, sms, sizeof sms,
			                    &info);
			if (rc == MSG_MULTIPART) {
				char why[256];
				msg_check_describe_length(&info.size, app, why, sizeof why);
				snprintf(err, errlen,
				         "built-in template sms.%s, even in its shortest form, %s "
				         "(or shorten the app's name or domain, or override it)",
				         lang->tag, why);
				return MSG_REFUSED;
			}
			if (rc != MSG_OK)
				return rc;
		}
	}
	return MSG_OK;
}
