#include "core/app.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/code.h"
#include "phone/phone.h"

#define KEY_MIN_PRODUCTION 16

static const char *const app_keys[] = {"api_key",     "name",	     "domain",
				       "app_hash",    "hash_place",  "languages",
				       "webhook_url", "webhook_secret", "min_code_length",
				       "gotrue_jwt_secret", "passkey_rp_id", "passkey_origins",
				       NULL};

/* "sms.es" -> (MSG_SMS, "es"); returns 0, or -1 when key names no template. */
static int template_key(const char *key, enum msg_channel *ch, const char **lang)
{
	if (!strncmp(key, "sms.", 4)) {
		*ch = MSG_SMS;
		*lang = key + 4;
		return 0;
	}
	if (!strncmp(key, "voice.", 6)) {
		*ch = MSG_VOICE;
		*lang = key + 6;
		return 0;
	}
	return -1;
}

static int known_key(const char *key, const char *const *known)
{
	for (size_t i = 0; known && known[i]; i++)
		if (!strcmp(known[i], key))
			return 1;
	return 0;
}

/* Loads the template overrides of a section (sms.LANG, voice.LANG) for app_id
 * (NULL: every app) and refuses any other key not in known. */
static int load_templates(struct apps *a, const struct config *cfg, const struct config_section *s,
			  const char *app_id, const char *const *known, char *err, size_t errlen)
{
	char where[512], inner[512];
	for (int i = 0; i < s->n; i++) {
		const struct config_entry *e = &s->entries[i];
		enum msg_channel ch;
		const char *lang;
		config_section_where(cfg, s, e->key, where, sizeof where);
		if (template_key(e->key, &ch, &lang) < 0) {
			if (known_key(e->key, known))
				continue;
			strfmt(err, errlen,
			       "%s: unknown setting '%s' (known: %s%ssms.LANG, voice.LANG, e.g. sms.es)",
			       where, e->key, known ? "api_key, name, domain, app_hash, hash_place, " : "",
			       known ? "languages, webhook_url, webhook_secret, min_code_length, gotrue_jwt_secret, "
				       "passkey_rp_id, passkey_origins, " : "");
			return -1;
		}
		if (!msg_lang_get(lang)) {
			strfmt(err, errlen,
			       "%s: '%s': iotp has no built-in language '%s' (see docs/messages.md for the "
			       "list)",
			       where, e->key, lang);
			return -1;
		}
		if (msg_catalog_override(a->catalog, app_id, msg_lang_get(lang)->tag, ch, e->value,
					 inner, sizeof inner) != 0) {
			strfmt(err, errlen, "%s: %s", where, inner);
			return -1;
		}
	}
	return 0;
}

/* "CH:fr, IN:hi" -> the app's language per country. */
static int parse_languages(struct app *app, const struct config *cfg, const struct config_section *s,
			   char *err, size_t errlen)
{
	const char *v = config_section_get(s, "languages");
	if (!v)
		return 0;
	char where[512], *buf = xstrdup(v), *save = NULL;
	config_section_where(cfg, s, "languages", where, sizeof where);
	int rc = 0;
	for (char *tok = strtok_r(buf, ", ", &save); tok && !rc; tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon) {
			strfmt(err, errlen, "%s: languages: '%s' is not REGION:LANGUAGE (e.g. CH:fr)", where,
			       tok);
			rc = -1;
			break;
		}
		*colon = '\0';
		const struct msg_lang *lang = msg_lang_get(colon + 1);
		if (strlen(tok) != 2 || !phone_region_known(tok)) {
			strfmt(err, errlen,
			       "%s: languages: '%s' is not a region code such as CH or IN (upper case)", where,
			       tok);
			rc = -1;
		} else if (!lang) {
			strfmt(err, errlen,
			       "%s: languages: iotp has no built-in language '%s' (see docs/messages.md)",
			       where, colon + 1);
			rc = -1;
		} else {
			app->langs = xrealloc(app->langs, (size_t)(app->n_langs + 1) * sizeof *app->langs);
			struct app_lang *l = &app->langs[app->n_langs++];
			memcpy(l->region, tok, 3);
			l->lang = lang;
		}
	}
	free(buf);
	return rc;
}

/* min_code_length: the app's own floor on the code lengths its clients may
 * ask for (the option min_code_length when absent). Its sessions without a
 * length of their own get code_length digits, which must not be below it. */
static int parse_min_code_length(struct app *app, const struct config *cfg,
				 const struct config_section *s, char *err, size_t errlen)
{
	const char *v = config_section_get(s, "min_code_length");
	char where[512], *end;
	if (!v)
		return 0;
	config_section_where(cfg, s, "min_code_length", where, sizeof where);
	long n = strtol(v, &end, 10);
	if (end == v || *end || n < CODE_MIN_LENGTH || n > CODE_MAX_LENGTH) {
		strfmt(err, errlen, "%s: min_code_length is a number of digits from %d to %d, not '%s'",
		       where, CODE_MIN_LENGTH, CODE_MAX_LENGTH, v);
		return -1;
	}
	app->min_code_length = (int)n;
	return 0;
}

static int parse_app(struct app *app, const struct config *cfg, const struct config_section *s,
		     char *err, size_t errlen)
{
	char where[512];
	config_section_where(cfg, s, NULL, where, sizeof where);
	int is_default = !strcmp(s->name, APP_DEFAULT);
	if (!*s->name || strlen(s->name) >= APP_ID_MAX) {
		strfmt(err, errlen, "%s: an app needs an id of 1 to %d characters: [app acme]", where,
		       APP_ID_MAX - 1);
		return -1;
	}
	if (is_default && (config_section_get(s, "api_key") || config_section_get(s, "name"))) {
		strfmt(err, errlen,
		       "%s: the default app takes its key and name from the options api_key and "
		       "app_name; set them there",
		       where);
		return -1;
	}
	if (!is_default) {
		strfmt(app->id, sizeof app->id, "%s", s->name);
		app->api_key = config_section_get(s, "api_key");
		app->msg.name = config_section_get(s, "name");
		if (!app->api_key || strlen(app->api_key) < (cfg->dev ? 1 : KEY_MIN_PRODUCTION)) {
			strfmt(err, errlen, "%s: set api_key, at least %d characters", where,
			       cfg->dev ? 1 : KEY_MIN_PRODUCTION);
			return -1;
		}
		if (!app->msg.name) {
			strfmt(err, errlen, "%s: set name, the app's name as its messages show it", where);
			return -1;
		}
	}
	app->msg.id = app->id;
	app->webhook_url = config_section_get(s, "webhook_url");
	app->webhook_secret = config_section_get(s, "webhook_secret");
	if (app->webhook_url && (strncmp(app->webhook_url, "http://", 7) &&
				 strncmp(app->webhook_url, "https://", 8))) {
		config_section_where(cfg, s, "webhook_url", where, sizeof where);
		strfmt(err, errlen, "%s: webhook_url must start with http:// or https://", where);
		return -1;
	}
	if (app->webhook_url && (!app->webhook_secret || strlen(app->webhook_secret) < 16)) {
		config_section_where(cfg, s, "webhook_url", where, sizeof where);
		strfmt(err, errlen,
		       "%s: a webhook needs webhook_secret (16 characters or more), which signs each "
		       "delivery so the app can tell it comes from iotp",
		       where);
		return -1;
	}
	app->gotrue_jwt_secret = config_section_get(s, "gotrue_jwt_secret");
	if (app->gotrue_jwt_secret && strlen(app->gotrue_jwt_secret) < 32) {
		config_section_where(cfg, s, "gotrue_jwt_secret", where, sizeof where);
		strfmt(err, errlen,
		       "%s: gotrue_jwt_secret needs 32 characters or more (it is an HS256 key: "
		       "give this app's PostgREST the same one)",
		       where);
		return -1;
	}
	if (parse_min_code_length(app, cfg, s, err, errlen) < 0)
		return -1;
	app->msg.domain = config_section_get(s, "domain");
	app->msg.app_hash = config_section_get(s, "app_hash");
	const char *place = config_section_get(s, "hash_place");
	if (place && !strcmp(place, "origin_line")) {
		app->msg.hash_place = MSG_HASH_ORIGIN_LINE;
	} else if (place && strcmp(place, "own_line")) {
		config_section_where(cfg, s, "hash_place", where, sizeof where);
		strfmt(err, errlen, "%s: hash_place is own_line or origin_line, not '%s'", where, place);
		return -1;
	}
	return parse_languages(app, cfg, s, err, errlen);
}

static int load(struct apps *a, const struct config *cfg, char *err, size_t errlen)
{
	if (msg_catalog_new(&a->catalog) != 0) {
		strfmt(err, errlen, "cannot create the template catalog");
		return -1;
	}
	const struct config_section *t = config_section_find(cfg, "templates", "");
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "templates", s));) {
		if (*s->name) {
			char where[512];
			config_section_where(cfg, s, NULL, where, sizeof where);
			strfmt(err, errlen,
			       "%s: [templates] takes no name; an app's own templates go in its [app ID] "
			       "section",
			       where);
			return -1;
		}
	}
	if (t && load_templates(a, cfg, t, NULL, NULL, err, errlen) < 0)
		return -1;

	int n = 1;
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "app", s));)
		n += strcmp(s->name, APP_DEFAULT) != 0;
	a->v = xcalloc((size_t)n, sizeof *a->v);
	a->n = 1;
	strfmt(a->v[0].id, sizeof a->v[0].id, "%s", APP_DEFAULT);
	a->v[0].api_key = cfg->api_key;
	a->v[0].msg.name = cfg->app_name;
	a->v[0].msg.id = a->v[0].id;
	for (int i = 0; i < n; i++)
		a->v[i].min_code_length = cfg->min_code_length;
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, "app", s));) {
		struct app *app = strcmp(s->name, APP_DEFAULT) ? &a->v[a->n++] : &a->v[0];
		if (parse_app(app, cfg, s, err, errlen) < 0 ||
		    load_templates(a, cfg, s, app->id, app_keys, err, errlen) < 0)
			return -1;
	}
	if (app_passkeys_load(a, cfg, err, errlen) < 0)
		return -1;
	for (int i = 0; i < a->n; i++) {
		const char *k = a->v[i].api_key;
		crypto_generichash(a->v[i].api_key_hash, sizeof a->v[i].api_key_hash,
				   (const unsigned char *)k, strlen(k), NULL, 0);
		for (int j = 0; j < i; j++) {
			if (!strcmp(a->v[i].api_key, a->v[j].api_key)) {
				strfmt(err, errlen, "apps %s and %s have the same api_key; give each its own",
				       a->v[j].id, a->v[i].id);
				return -1;
			}
		}
		if (cfg->code_length < a->v[i].min_code_length) {
			strfmt(err, errlen,
			       "option code_length (%d) is below app %s's min_code_length (%d): its "
			       "sessions that ask for no length would get codes it refuses; raise "
			       "code_length or lower min_code_length",
			       cfg->code_length, a->v[i].id, a->v[i].min_code_length);
			return -1;
		}
		char inner[512];
		int minutes = (cfg->code_ttl + 59) / 60;
		if (msg_catalog_check(a->catalog, &a->v[i].msg, minutes, inner, sizeof inner) != 0) {
			strfmt(err, errlen, "%s: app %s: %s", cfg->path ? cfg->path : "built-in templates",
			       a->v[i].id, inner);
			return -1;
		}
	}
	return 0;
}

int apps_load(struct apps *out, const struct config *cfg, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (load(out, cfg, err, errlen) < 0) {
		apps_free(out);
		return -1;
	}
	return 0;
}

void apps_free(struct apps *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->v[i].langs);
		free(a->v[i].passkey_origins);
		free(a->v[i].passkey_origins_buf);
	}
	free(a->v);
	msg_catalog_free(a->catalog);
	for (int i = 0; i < a->n_retired; i++)
		msg_catalog_free(a->retired[i]);
	free(a->retired);
	memset(a, 0, sizeof *a);
}

const struct msg_catalog *apps_catalog(const struct apps *a)
{
	return __atomic_load_n(&a->catalog, __ATOMIC_ACQUIRE);
}

int apps_reload_templates(struct apps *a, const struct config *cfg, char *err, size_t errlen)
{
	struct apps fresh;
	if (apps_load(&fresh, cfg, err, errlen) < 0)
		return -1;
	/* The catalog holds copies of its texts: it outlives fresh and cfg. */
	struct msg_catalog *cat = fresh.catalog;
	fresh.catalog = NULL;
	apps_free(&fresh);
	a->retired = xrealloc(a->retired, (size_t)(a->n_retired + 1) * sizeof *a->retired);
	a->retired[a->n_retired++] = a->catalog;
	__atomic_store_n(&a->catalog, cat, __ATOMIC_RELEASE);
	return 0;
}

const struct app *apps_find(const struct apps *a, const char *id)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].id, id))
			return &a->v[i];
	return NULL;
}

const struct app *apps_by_key(const struct apps *a, const char *key)
{
	_Static_assert(sizeof a->v->api_key_hash == crypto_generichash_BYTES,
		       "api_key_hash holds crypto_generichash's default output");
	unsigned char given[crypto_generichash_BYTES];
	const struct app *found = NULL;
	crypto_generichash(given, sizeof given, (const unsigned char *)key, strlen(key), NULL, 0);
	for (int i = 0; i < a->n; i++)
		if (sodium_memcmp(given, a->v[i].api_key_hash, sizeof given) == 0)
			found = &a->v[i];
	return found;
}

const char *app_language(const struct app *a, const char *region)
{
	for (int i = 0; i < a->n_langs; i++)
		if (!strcmp(a->langs[i].region, region))
			return a->langs[i].lang->tag;
	return NULL;
}
