#include "delivery/provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

static const struct provider_ops *const providers[] = {
    &provider_log_ops,
    &provider_kannel_ops,
    &provider_http_ops,
};

const struct provider_ops *provider_find(const char *type, const char **known)
{
	*known = "log, kannel, http";
	for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
		if (strcmp(providers[i]->type, type) == 0)
			return providers[i];
	return NULL;
}

unsigned provider_channel_bit(const char *channel)
{
	if (!strcmp(channel, "sms"))
		return PROVIDER_CHANNEL_SMS;
	if (!strcmp(channel, "voice"))
		return PROVIDER_CHANNEL_VOICE;
	if (!strcmp(channel, "whatsapp"))
		return PROVIDER_CHANNEL_WHATSAPP;
	return 0;
}

int provider_channels_parse(const char *list, unsigned *out)
{
	char buf[256];
	*out = 0;
	if (strfmt(buf, sizeof buf, "%s", list) < 0)
		return -1;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		unsigned bit = provider_channel_bit(tok);
		if (!bit)
			return -1;
		*out |= bit;
	}
	return 0;
}

int provider_section_long(const struct config *cfg, const struct config_section *s, const char *key,
                          long min, long max, long *out, char *err, size_t errlen)
{
	const char *v = config_section_get(s, key);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		char where[512];
		config_section_where(cfg, s, key, where, sizeof where);
		strfmt(err, errlen, "%s: %s '%s' is not a whole number in %ld..%ld", where, key, v,
		       min, max);
		return -1;
	}
	*out = n;
	return 0;
}
