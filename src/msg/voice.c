#include "msg/voice.h"

#include <string.h>

int msg_voice_pack(char *text, size_t size, const char *ssml)
{
	size_t used = strlen(text), need = strlen(ssml);
	if (used + 1 + need >= size)
		return 1;
	text[used] = MSG_VOICE_SEPARATOR;
	memcpy(text + used + 1, ssml, need + 1);
	return 0;
}

const char *msg_voice_unpack(char *text)
{
	char *ssml = strchr(text, MSG_VOICE_SEPARATOR);
	if (!ssml)
		return NULL;
	*ssml++ = '\0';
	return *ssml ? ssml : NULL;
}
