#include "policy/prune.h"

static int passed(int64_t since, int64_t now, int64_t ms)
{
	return now - since >= ms || now < since;
}

enum prune_round prune_round_start(struct prune_clock *c, int64_t now)
{
	if (passed(c->all_at, now, PRUNE_EVERY_MS)) {
		c->all_at = c->more_at = now;
		return PRUNE_ALL;
	}
	int any = 0;
	for (int i = 0; i < PRUNE_FAMILIES; i++)
		any |= c->more[i];
	if (!any || !passed(c->more_at, now, PRUNE_MORE_MS))
		return PRUNE_NONE;
	c->more_at = now;
	return PRUNE_LEFT;
}
