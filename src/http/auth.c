#include "http/auth.h"

#include <stddef.h>
#include <strings.h>

const char *auth_bearer(const char *header)
{
	static const char scheme[] = "Bearer ";
	if (!header || strncasecmp(header, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *token = header + sizeof scheme - 1;
	return *token ? token : NULL;
}
