/* pumping: the SMS-pumping detector's arithmetic. For each number prefix and
 * country, policy keeps codes sent and codes verified in two rolling windows
 * (exponentially decaying counters): a short one (the recent conversion) and a
 * long one (the baseline). Pumped numbers never verify, so a key whose recent
 * conversion collapses against its own baseline, on enough volume to be sure,
 * is throttled (new sessions there owe a proof-of-work) or blocked (no code is
 * sent there until an operator lifts it). */
#ifndef IOTP_POLICY_PUMPING_H
#define IOTP_POLICY_PUMPING_H

/* How far under min_sent decayed counts may read and still count as min_sent. */
#define PUMPING_SLACK 0.05

struct pumping_params {
	double min_sent;         /* recent sends needed before judging */
	double throttle_ratio;   /* throttle below this share of the baseline, 0..1 */
	double block_ratio;      /* block below this share of the baseline, 0..1 */
	double baseline_min;     /* sends of history needed to trust a key's own baseline */
	double default_baseline; /* conversion assumed without history, 0..1 */
};

/* The counts of one key. */
struct pumping_counts {
	double sent, verified;           /* short window */
	double base_sent, base_verified; /* long window (includes the short one) */
};

/* The baseline conversion of a key: its own long-window conversion, without
 * what the short window holds, when that history has baseline_min sends;
 * else fallback (a country's baseline for its prefixes; the default for a
 * country). */
double pumping_baseline(const struct pumping_params *p, const struct pumping_counts *c,
			double fallback);

/* The verdict on a key: 0 (fine), STORE_BLOCK_THROTTLED or STORE_BLOCK_BLOCKED. */
int pumping_judge(const struct pumping_params *p, const struct pumping_counts *c,
		  double baseline);

#endif
