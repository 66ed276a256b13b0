#include "policy/pumping.h"

#include <math.h>

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

/* Slack on the usual: traffic varies from minute to minute (at a usual of
 * 80, a quarter more is four standard deviations of Poisson noise). */
#define PRESSURE_SLACK 1.25

int pumping_pressure(const struct pressure_counts *c, double allowance)
{
	double unverified = c->made - c->verified;
	double threshold = PRESSURE_SLACK * (c->usual > 0 ? c->usual : 0) + allowance;
	if (threshold <= 0 || unverified <= threshold)
		return 0;
	return 1 + (int)floor(log2(unverified / threshold));
}

double pumping_usual(double verified, double share, double lag_s, double short_ms)
{
	if (verified <= 0 || short_ms <= 0)
		return 0;
	if (share < 0)
		share = 0;
	if (share > 0.9)
		share = 0.9;
	/* A decaying count holds rate x mean life (half-life / ln 2). */
	double life_s = short_ms / 1000.0 / 0.6931471805599453;
	double made = verified / (1 - share); /* sessions these verifications came from */
	return made * share + made / life_s * (lag_s > 0 ? lag_s : 0);
}

double pumping_spread_share(double first, double verified)
{
	if (verified <= 0 || first >= verified)
		return 1;
	return first > 0 ? first / verified : 0;
}

double pumping_numbers_allowance(double floor, double verified, double share)
{
	if (share < 0)
		share = 0;
	if (share > 0.9)
		share = 0.9;
	return floor + PRESSURE_SLACK * (verified > 0 ? verified : 0) * share / (1 - share);
}

double pumping_hour_factor(double hour, double all, double min)
{
	if (all < min || all <= 0)
		return 1;
	double f = 24 * hour / all;
	return f < 0 ? 0 : f;
}

int64_t pumping_measure_ms(int64_t first_ms, int64_t max_ms, int strikes)
{
	int64_t ms = first_ms;
	for (int i = 1; i < strikes && ms < max_ms; i++)
		ms *= 2;
	return ms < max_ms ? ms : max_ms;
}
