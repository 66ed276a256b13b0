/* A thread's deferral and what it owes live in thread-local storage: one
 * request at a time per thread, and the store below never learns whose. */
#include "base/durable.h"

#include <stddef.h>

static _Thread_local int deferring;
static _Thread_local struct durable_owed owed;

void durable_defer(int on)
{
	deferring = on;
}

int durable_deferring(void)
{
	return deferring;
}

int durable_owe(const struct durable_source *source, void *state, uint64_t group)
{
	if (owed.source && owed.state != state)
		return -1;
	if (!owed.source || owed.group < group)
		owed = (struct durable_owed){.source = source, .state = state, .group = group};
	return 0;
}

uint64_t durable_owed_to(const void *state)
{
	return owed.source && owed.state == state ? owed.group : 0;
}

int durable_take(struct durable_owed *out)
{
	if (!owed.source)
		return 0;
	*out = owed;
	owed = (struct durable_owed){0};
	return 1;
}

void durable_after(struct durable_watch *w)
{
	if (!owed.source) {
		w->fn(w, 1);
		return;
	}
	w->group = owed.group;
	owed.source->watch(owed.state, w);
}
