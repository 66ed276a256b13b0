/* app: the apps one iotpd serves. Each has its API key, the name its messages
 * show, its web domain (origin-bound code line) and Android SMS Retriever hash,
 * the language it wants per country, and its template overrides.
 *
 * The top-level options api_key and app_name make the app "default";
 * "[app default]" adds its other settings; "[app ID]" declares another app with
 * its own key. "[templates]" overrides built-in templates for every app.
 * Loaded once at start-up, read-only afterwards (safe from every thread),
 * except the template catalog, which SIGHUP may replace. */
#ifndef IOTP_APP_H
#define IOTP_APP_H

#include <stddef.h>

#include "config.h"
#include "msg/catalog.h"

#define APP_ID_MAX 33 /* 32 characters */
#define APP_DEFAULT "default"

struct app_lang {
	char region[3];
	const struct msg_lang *lang;
};

struct app {
	char id[APP_ID_MAX];
	const char *api_key; /* borrowed from the configuration */
	/* Its BLAKE2b-256, which apps_by_key compares: hashed once at load,
	 * not for every request. */
	unsigned char api_key_hash[32];
	struct msg_app msg;  /* name, domain, hash: strings borrowed from the configuration */
	const char *webhook_url;    /* where its events go (events/); NULL: nowhere */
	const char *webhook_secret; /* signs them (Iotp-Signature) */
	/* Signs this app's GoTrue access tokens, so that another app's PostgREST
	 * (its own secret) refuses them; NULL: the top-level gotrue_jwt_secret. */
	const char *gotrue_jwt_secret;
	int min_code_length; /* fewest digits its clients may ask codes to have */
	/* Passkeys (core/app_passkey.c): the relying party id ("" = off) and the
	 * origins whose pages may run its ceremonies (owned: apps_free). */
	char passkey_rp_id[254];
	const char **passkey_origins;
	size_t n_passkey_origins;
	char *passkey_origins_buf;
	int n_langs;
	struct app_lang *langs;
};

struct apps {
	int n;
	struct app *v; /* v[0] is "default" */
	/* The templates in force: read it with apps_catalog from request threads,
	 * since SIGHUP may replace it (apps_reload_templates). */
	struct msg_catalog *catalog;
	/* Catalogs replaced by a reload, kept until apps_free: a thread may still
	 * be rendering from one. */
	struct msg_catalog **retired;
	int n_retired;
};

/* Reads the apps and templates from cfg, and checks that every message each
 * app can send fits one SMS segment in every language (code_ttl gives the
 * minutes its texts state). cfg must outlive *out. Returns 0, or -1 with a
 * sentence naming the file, line and setting in err (*out then holds nothing
 * to free). */
int apps_load(struct apps *out, const struct config *cfg, char *err, size_t errlen);
void apps_free(struct apps *a);

/* Reads every app's passkey settings (passkey_rp_id, passkey_origins: the
 * options for the default app, its [app ID] section's for another; an
 * [app default] section may set them too) and checks that each origin is
 * https (or http://localhost) on the relying party id or a subdomain of it,
 * as browsers require. 0, or -1 with a sentence in err. */
int app_passkeys_load(struct apps *a, const struct config *cfg, char *err, size_t errlen);

/* The templates in force (atomically: a reload may be replacing them). */
const struct msg_catalog *apps_catalog(const struct apps *a);

/* For SIGHUP: reads the templates ([templates] and each [app ID]'s) from cfg,
 * checks them as apps_load does, and puts them in force for the messages
 * rendered from now on; the apps themselves (keys, names, languages) stay as
 * loaded at start-up. One thread at a time. cfg may be freed afterwards.
 * Returns 0, or -1 with err (the templates in force unchanged). */
int apps_reload_templates(struct apps *a, const struct config *cfg, char *err, size_t errlen);

/* The app with this id, or NULL. */
const struct app *apps_find(const struct apps *a, const char *id);
/* The app whose API key was presented, or NULL. Compares against every key in
 * constant time per key, so timing tells nothing about which keys exist. */
const struct app *apps_by_key(const struct apps *a, const char *key);

/* The language the app configured for numbers of region (ISO 3166 alpha-2), as
 * its tag, or NULL when it configured none. */
const char *app_language(const struct app *a, const char *region);

#endif
