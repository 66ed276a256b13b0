#include "core/event.h"

#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/seal.h"

int event_make(struct store_event *e, const char *type, const char *app, const char *account_id,
	       int64_t now, json_t *data)
{
	memset(e, 0, sizeof *e);
	seal_time_id(12, now, e->id, sizeof e->id);
	strfmt(e->type, sizeof e->type, "%s", type);
	strfmt(e->app, sizeof e->app, "%s", app);
	strfmt(e->account_id, sizeof e->account_id, "%s", account_id ? account_id : "");
	e->created_at = now;
	e->next_attempt_at = now;
	e->state = STORE_EVENT_PENDING;
	char *text = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	int rc = text && strlen(text) < sizeof e->payload ? 0 : -1;
	if (rc == 0)
		memcpy(e->payload, text, strlen(text) + 1);
	else
		log_error("event %s: its data does not fit %d bytes", type, STORE_PAYLOAD_MAX);
	free(text);
	return rc;
}
