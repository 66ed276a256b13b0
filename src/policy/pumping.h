/* pumping: the SMS-pumping detector's arithmetic. For each number prefix and
 * country, policy keeps codes sent and codes verified in two rolling windows
 * (exponentially decaying counters): a short one (the recent conversion) and a
 * long one (the baseline). Pumped numbers never verify, so a key whose recent
 * conversion collapses against its own baseline, on enough volume to be sure,
 * is throttled (new sessions there owe a proof-of-work) or blocked (no code is
 * sent there) for a while that doubles for repeat offenders. */
#ifndef IOTP_POLICY_PUMPING_H
#define IOTP_POLICY_PUMPING_H

#include <stdint.h>

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

/* Pressure on a key (a country, a client network): sessions created there
 * but not verified, in a short window, against what the key usually has
 * outstanding. Pumping creates sessions that are never verified, and an
 * attacker who cannot solve the proof-of-work pressure asks for keeps
 * creating them, so pressure holds while the attack lasts and fades with the
 * short window's half-life after it. */
struct pressure_counts {
	double made, verified; /* sessions in the short window */
	double usual;          /* unverified sessions the key usually has outstanding there */
};

/* How far a key is under pressure: 0 while its unverified sessions stay
 * within 1.25 times the usual plus allowance; else 1, plus 1 per doubling beyond
 * that threshold (each level is a bit more proof-of-work). */
int pumping_pressure(const struct pressure_counts *c, double allowance);

/* The unverified sessions a key usually has outstanding in a short window of
 * half-life short_ms, estimated from the sessions verified there (verified):
 * for each of those, share / (1 - share) that are never verified (share: the
 * key's usual unverified share, 0..0.9), and the ones created in the last
 * lag_s seconds (the usual time to verify) that have not had time yet. An
 * attack verifies nothing, so it never raises its own allowance. */
double pumping_usual(double verified, double share, double lag_s, double short_ms);

/* The spread of a country's numbers over the blocks of its numbering plan
 * (blocks of 100,000 numbers, the "p5|" keys). Real people come from blocks
 * that operators have issued and filled, so most of them land in a block
 * where someone verified before; an attacker drawing random valid numbers
 * spreads over every valid block, most of which nobody ever verified in.
 * The usual share of a country's sessions that land in a block without a
 * verified history: the country's verifications that were the first in
 * their block (first), of all its verifications (verified), over the long
 * window. Measured on verifications only, so an attack, which verifies
 * nothing, cannot raise it; 0..1. */
double pumping_spread_share(double first, double verified);

/* How many distinct numbers not verified a client site (a /24, a /48) may
 * have within the window before its sessions owe a proof-of-work: floor,
 * plus what its verified numbers account for (per verified one, the share
 * / (1 - share) that are usually never verified, with the same slack as
 * pressure), so a busy carrier-grade NAT whose numbers do verify is not
 * taken for an attacker, and a site that verifies nothing gets floor. */
double pumping_numbers_allowance(double floor, double verified, double share);

/* How usual this hour of the day is for a key, from its hourly profile:
 * 24 x the share of its sessions that came in this hour (hour: those of this
 * hour, all: those of every hour, in the same window, both without the last
 * hours, so that a burst now does not vouch for itself), so 1 is an average
 * hour, 0 one that never sees any, 24 the only busy one. 1 until all reaches
 * min (too little history to say: a cold start). */
double pumping_hour_factor(double hour, double all, double min);

/* How long (ms) the strikes-th measure in a row on a key lasts: first_ms,
 * doubled for each repeat, never more than max_ms. */
int64_t pumping_measure_ms(int64_t first_ms, int64_t max_ms, int strikes);

#endif
