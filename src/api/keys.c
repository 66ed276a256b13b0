/* Which app is calling: the Bearer key names it (core/app.h holds the keys). */
#include "api/api.h"
#include "http/auth.h"

int api_authenticate(void *arg, const char *authorization, const char **principal)
{
	const struct api *api = arg;
	const char *token = auth_bearer(authorization);
	const struct app *app = token ? apps_by_key(&api->core->apps, token) : NULL;
	if (!app)
		return -1;
	*principal = app->id;
	return 0;
}
