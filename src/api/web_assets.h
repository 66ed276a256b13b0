/* web_assets: web/'s static files, compiled into iotpd (scripts/embed_web.py
 * writes the table at build time). */
#ifndef IOTP_WEB_ASSETS_H
#define IOTP_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *name; /* the file's name in web/: "index.html" */
	const char *type; /* its Content-Type */
	const char *data; /* its bytes, NUL-ended (they hold no NUL) */
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
