#include "msg/text.h"

#include <string.h>

#include "msg/catalog.h"

int msg_render_code(const char *channel, const char *app_name, const char *code, int minutes,
                    char *out, size_t size)
{
	const struct msg_lang *en = msg_lang_get("en");
	struct msg_app app = {.name = app_name};
	int rc;

	if (strcmp(channel, "voice") == 0)
		rc = msg_render_voice(NULL, en, &app, code, minutes, NULL, out, size, NULL, 0);
	else
		rc = msg_render_sms(NULL, en, &app, code, minutes, out, size, NULL);
	/* A text longer than one segment is still the text to send, as before. */
	return rc < 0 ? -1 : 0;
}
