#include "msg/text.h"

#include <string.h>

#include "base/alloc.h"
#include "core/code.h"

static int render_sms(const char *app, const char *code, int minutes, char *out, size_t size)
{
	char shown[2 * CODE_MAX_LENGTH];
	code_format(code, shown, sizeof shown);
	return strfmt(out, size,
		      "Your %s code: %s. Don't share this code with anyone. It expires in %d minute%s.",
		      app, shown, minutes, minutes == 1 ? "" : "s");
}

/* The digits one by one with commas (a pause in every speech engine), twice. */
static int render_voice(const char *app, const char *code, int minutes, char *out, size_t size)
{
	char spoken[4 * CODE_MAX_LENGTH];
	size_t o = 0;
	for (size_t i = 0; code[i] && o + 3 < sizeof spoken; i++) {
		if (i) {
			spoken[o++] = ',';
			spoken[o++] = ' ';
		}
		spoken[o++] = code[i];
	}
	spoken[o] = '\0';
	return strfmt(out, size,
		      "Your %s code is: %s. Again: %s. Don't share this code with anyone. "
		      "It expires in %d minute%s.",
		      app, spoken, spoken, minutes, minutes == 1 ? "" : "s");
}

int msg_render_code(const char *channel, const char *app_name, const char *code, int minutes,
		    char *out, size_t size)
{
	if (strcmp(channel, "voice") == 0)
		return render_voice(app_name, code, minutes, out, size);
	return render_sms(app_name, code, minutes, out, size);
}
