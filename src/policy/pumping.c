#include "policy/pumping.h"

#include "store/store.h"

double pumping_baseline(const struct pumping_params *p, const struct pumping_counts *c,
			double fallback)
{
	/* The long window includes the recent burst: subtract it, or an attack on a
	 * fresh prefix would become its own baseline. */
	double sent = c->base_sent - c->sent, verified = c->base_verified - c->verified;
	if (sent < p->baseline_min || sent <= 0)
		return fallback;
	if (verified < 0)
		verified = 0;
	double b = verified / sent;
	return b > 1 ? 1 : b;
}

int pumping_judge(const struct pumping_params *p, const struct pumping_counts *c,
		  double baseline)
{
	/* The counters decay continuously, so n sends in quick succession read as
	 * a hair under n: allow for it. */
	if (c->sent + PUMPING_SLACK < p->min_sent || c->sent <= 0)
		return 0;
	double conversion = c->verified / c->sent;
	if (conversion < p->block_ratio * baseline)
		return STORE_BLOCK_BLOCKED;
	if (conversion < p->throttle_ratio * baseline)
		return STORE_BLOCK_THROTTLED;
	return 0;
}
