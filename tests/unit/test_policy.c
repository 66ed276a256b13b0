/* policy's pure parts: the keys it counts under, the limit syntax, the
 * pumping detector's arithmetic, the proof-of-work, and X-Forwarded-For. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/forwarded.h"
#include "policy/keys.h"
#include "policy/limits.h"
#include "policy/pow.h"
#include "policy/prune.h"
#include "policy/pumping.h"
#include "policy/waits.h"
#include "store/store.h"

static void prefixes(void **state)
{
	(void)state;
	char out[20];
	assert_int_equal(keys_prefix("+447911123456", 3, out, sizeof out), 0);
	assert_string_equal(out, "+447911123");
	assert_int_equal(keys_prefix("+447911123456", 5, out, sizeof out), 0);
	assert_string_equal(out, "+4479111");
	/* Never shorter than '+' and two digits. */
	assert_int_equal(keys_prefix("+1234", 5, out, sizeof out), 0);
	assert_string_equal(out, "+12");
	assert_int_equal(keys_prefix("447911123456", 3, out, sizeof out), -1);
	assert_int_equal(keys_prefix("+44791112345x", 3, out, sizeof out), -1);
	assert_int_equal(keys_prefix("+447911123456", 3, out, 5), -1);
}

static void networks(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(keys_network("192.0.2.77", out, sizeof out), 0);
	assert_string_equal(out, "192.0.2.0/24");
	assert_int_equal(keys_network("2001:db8:1:2:3:4:5:6", out, sizeof out), 0);
	assert_string_equal(out, "2001:db8:1:2::/64");
	assert_int_equal(keys_network("::ffff:198.51.100.9", out, sizeof out), 0);
	assert_string_equal(out, "198.51.100.0/24");
	assert_int_equal(keys_address("::ffff:198.51.100.9", out, sizeof out), 0);
	assert_string_equal(out, "198.51.100.9");
	assert_int_equal(keys_address("2001:DB8::1", out, sizeof out), 0);
	assert_string_equal(out, "2001:db8::1");
	assert_int_equal(keys_network("not-an-ip", out, sizeof out), -1);
}

/* keys_client reads an address once and gives what the three functions
 * give one by one (the address itself when it is none). */
static void client_keys(void **state)
{
	static const char *const ips[] = {
	    "192.0.2.77", "0.0.0.0", "255.255.255.255", "10.1.20.100", "::ffff:198.51.100.9",
	    "2001:db8:1:2:3:4:5:6", "2001:DB8::1", "::1", "fe80::1:2", "not-an-ip", "1.2.3",
	};
	(void)state;
	for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		struct keys_client k;
		char address[64], network[64], site[64];
		int rc = keys_address(ips[i], address, sizeof address);
		if (rc < 0)
			strcpy(address, ips[i]);
		keys_network(ips[i], network, sizeof network);
		keys_site(ips[i], site, sizeof site);
		assert_int_equal(keys_client(ips[i], &k), rc);
		assert_string_equal(k.address, address);
		assert_string_equal(k.network, network);
		assert_string_equal(k.site, site);
	}
	struct keys_client k;
	assert_int_equal(keys_client("10.1.20.100", &k), 0);
	assert_string_equal(k.address, "10.1.20.100");
	assert_string_equal(k.network, "10.1.20.0/24");
	assert_string_equal(k.site, "");
}

/* IPv6 limits have a /48 level above the /64: one holder of a /48 has 65,536
 * networks to hop between. IPv4 has no such level. */
static void sites(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(keys_site("2001:db8:1:2:3:4:5:6", out, sizeof out), 0);
	assert_string_equal(out, "2001:db8:1::/48");
	assert_int_equal(keys_site("2001:db8:1:ffff::1", out, sizeof out), 0);
	assert_string_equal(out, "2001:db8:1::/48");
	assert_int_equal(keys_site("2001:DB8:abcd:12::", out, sizeof out), 0);
	assert_string_equal(out, "2001:db8:abcd::/48");
	assert_int_equal(keys_site("192.0.2.77", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(keys_site("::ffff:198.51.100.9", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(keys_site("not-an-ip", out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_string_equal(limits_scope_name(LIMITS_SITE), "site");
}

/* A refused bucket's wait is known until it ends, for that key only. */
static void known_waits(void **state)
{
	(void)state;
	struct waits *w = waits_new();
	assert_non_null(w);
	assert_int_equal(waits_until(w, "create|number|+447911123456", 1000), 0);
	waits_note(w, "create|number|+447911123456", 61000);
	assert_int_equal(waits_until(w, "create|number|+447911123456", 1000), 61000);
	assert_int_equal(waits_until(w, "create|number|+447911123456", 60999), 61000);
	assert_int_equal(waits_until(w, "create|number|+447911123456", 61000), 0); /* over */
	assert_int_equal(waits_until(w, "create|number|+447911123457", 1000), 0);
	assert_int_equal(waits_until(w, "send|number|+447911123456", 1000), 0);
	/* A later refusal says how long from then. */
	waits_note(w, "create|number|+447911123456", 90000);
	assert_int_equal(waits_until(w, "create|number|+447911123456", 62000), 90000);
	/* Thousands of other keys: each is known or costs a trip to the store,
	 * never another key's wait. */
	char key[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "send|ip|10.0.%d.%d", i / 256, i % 256);
		waits_note(w, key, 5000 + i);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "send|ip|10.0.%d.%d", i / 256, i % 256);
		int64_t u = waits_until(w, key, 1000);
		assert_true(u == 0 || u == 5000 + i);
	}
	waits_free(w);
}

static void rates(void **state)
{
	(void)state;
	struct limits_rate r;
	char buf[32];
	assert_int_equal(limits_rate_parse("10/1h", &r), 0);
	assert_true(r.count == 10 && r.period_ms == 3600000);
	assert_int_equal(limits_rate_parse("10/h", &r), 0);
	assert_true(r.period_ms == 3600000);
	assert_int_equal(limits_rate_parse("5/30s", &r), 0);
	assert_true(r.count == 5 && r.period_ms == 30000);
	assert_int_equal(limits_rate_parse("100 / 1d", &r), 0);
	assert_true(r.period_ms == 86400000);
	assert_int_equal(limits_rate_parse("0", &r), 0);
	assert_true(r.count == 0);
	assert_int_equal(limits_rate_parse("10", &r), -1); /* a count needs a period */
	assert_int_equal(limits_rate_parse("10/1w", &r), -1);
	assert_int_equal(limits_rate_parse("-1/1h", &r), -1);
	assert_int_equal(limits_rate_parse("lots", &r), -1);
	assert_int_equal(limits_rate_parse("10/0h", &r), -1);
	limits_rate_parse("600/1m", &r);
	limits_rate_format(&r, buf, sizeof buf);
	assert_string_equal(buf, "600/1m");
	/* Every built-in default parses. */
	for (int a = 0; a < LIMITS_ACTIONS; a++)
		for (int s = 0; s < LIMITS_SCOPES; s++)
			assert_int_equal(limits_rate_parse(limits_default(a, s), &r), 0);
}

static const struct pumping_params params = {
	.min_sent = 10,
	.throttle_ratio = 0.5,
	.block_ratio = 0.2,
	.baseline_min = 50,
	.default_baseline = 0.6,
};

static void pumping_needs_volume(void **state)
{
	(void)state;
	struct pumping_counts c = {.sent = 9, .verified = 0, .base_sent = 9, .base_verified = 0};
	assert_int_equal(pumping_judge(&params, &c, 0.6), 0); /* not enough to be sure */
	c.sent = c.base_sent = 10;
	assert_int_equal(pumping_judge(&params, &c, 0.6), STORE_BLOCK_BLOCKED);
	/* A hair under because the counters decayed still counts. */
	c.sent = 9.97;
	assert_int_equal(pumping_judge(&params, &c, 0.6), STORE_BLOCK_BLOCKED);
}

static void pumping_thresholds(void **state)
{
	(void)state;
	/* Baseline 60%: block under 12%, throttle under 30%. */
	struct pumping_counts c = {.sent = 100, .verified = 11};
	assert_int_equal(pumping_judge(&params, &c, 0.6), STORE_BLOCK_BLOCKED);
	c.verified = 12;
	assert_int_equal(pumping_judge(&params, &c, 0.6), STORE_BLOCK_THROTTLED);
	c.verified = 29;
	assert_int_equal(pumping_judge(&params, &c, 0.6), STORE_BLOCK_THROTTLED);
	c.verified = 30;
	assert_int_equal(pumping_judge(&params, &c, 0.6), 0);
	/* Against a low baseline the same conversion is normal. */
	c.verified = 11;
	assert_int_equal(pumping_judge(&params, &c, 0.15), 0);
}

static void pressure_levels(void **state)
{
	(void)state;
	/* No usual: the floor alone; 20 unverified are fine, 21 are level 1. */
	struct pressure_counts c = {.made = 25, .verified = 5, .usual = 0};
	assert_int_equal(pumping_pressure(&c, 20), 0);
	c.made = 26;
	assert_int_equal(pumping_pressure(&c, 20), 1);
	c.made = 45; /* 40 unverified: one doubling beyond 20 */
	assert_int_equal(pumping_pressure(&c, 20), 2);
	c.made = 165; /* 160: three doublings */
	assert_int_equal(pumping_pressure(&c, 20), 4);
	/* The usual, with slack, raises the threshold: 1.25 x 48 + 20 = 80. */
	struct pressure_counts busy = {.made = 200, .verified = 120, .usual = 48};
	assert_int_equal(pumping_pressure(&busy, 20), 0);
	busy.verified = 119;
	assert_int_equal(pumping_pressure(&busy, 20), 1);
}

static void pressure_usual(void **state)
{
	(void)state;
	/* Nothing verified: nothing is usual (an attack earns no allowance). */
	assert_true(pumping_usual(0, 0.4, 30, 60000) == 0);
	/* 60 verified at a 40 % unverified share came from 100 sessions: 40
	 * never verified. */
	double u = pumping_usual(60, 0.4, 0, 60000);
	assert_true(u > 39.99 && u < 40.01);
	/* All verified, 30 s to verify, 1 session/s (a count of 60/ln 2 in the
	 * window): 30 are on their way. */
	double made = 60 / 0.6931471805599453;
	u = pumping_usual(made, 0, 30, 60000);
	assert_true(u > 29.99 && u < 30.01);
	/* The share is capped at 90 %. */
	assert_true(pumping_usual(10, 1, 0, 60000) < 90.01);
}

/* The usual share of sessions in blocks without a verified history comes
 * from verifications only; no evidence reads as "everything is new". */
static void spread_share_from_verifications(void **state)
{
	(void)state;
	assert_true(pumping_spread_share(0, 0) == 1);
	assert_true(pumping_spread_share(5, 3) == 1);
	assert_true(pumping_spread_share(0, 100) == 0);
	double sh = pumping_spread_share(10, 200);
	assert_true(sh > 0.0499 && sh < 0.0501);
}

/* A site that verifies nothing gets the floor; one whose numbers verify at
 * the country's usual conversion gets room for its usual abandons. */
static void numbers_allowance_grows_with_verified(void **state)
{
	(void)state;
	assert_true(pumping_numbers_allowance(50, 0, 0.4) == 50);
	/* 70 verified at a usual 40 % never verified: 70 x 0.4/0.6 x 1.25 more. */
	double a = pumping_numbers_allowance(50, 70, 0.4);
	assert_true(a > 108.3 && a < 108.4);
	/* A share is capped like pressure's usual (0.9), never dividing by 0. */
	assert_true(pumping_numbers_allowance(50, 10, 1) < 50 + 1.25 * 10 * 9 + 0.01);
	assert_true(pumping_numbers_allowance(50, 10, -1) == 50);
}

static void hour_factor_from_profile(void **state)
{
	(void)state;
	/* Too little history: every hour counts as average (a cold start). */
	assert_true(pumping_hour_factor(0, 1999, 2000) == 1);
	assert_true(pumping_hour_factor(1999, 1999, 2000) == 1);
	/* Flat over the day: 1. A quiet hour: near 0. The only busy one: 24. */
	assert_true(pumping_hour_factor(100, 2400, 2000) > 0.999 &&
		    pumping_hour_factor(100, 2400, 2000) < 1.001);
	assert_true(pumping_hour_factor(1, 2400, 2000) < 0.011);
	assert_true(pumping_hour_factor(0, 2400, 2000) == 0);
	assert_true(pumping_hour_factor(2400, 2400, 2000) == 24);
}

static void measures_double_for_repeats(void **state)
{
	(void)state;
	assert_int_equal(pumping_measure_ms(3600000, 604800000, 1), 3600000);
	assert_int_equal(pumping_measure_ms(3600000, 604800000, 2), 7200000);
	assert_int_equal(pumping_measure_ms(3600000, 604800000, 4), 28800000);
	assert_int_equal(pumping_measure_ms(3600000, 604800000, 60), 604800000);
	assert_int_equal(pumping_measure_ms(3600000, 604800000, 0), 3600000);
}

static void pumping_baselines(void **state)
{
	(void)state;
	/* No history: the fallback. */
	struct pumping_counts fresh = {.sent = 20, .verified = 0, .base_sent = 20, .base_verified = 0};
	assert_true(pumping_baseline(&params, &fresh, 0.7) == 0.7);
	/* Enough history outside the recent window: its own conversion, without
	 * the burst (else an attack would lower its own bar). */
	struct pumping_counts hist = {.sent = 20, .verified = 0, .base_sent = 220, .base_verified = 80};
	double b = pumping_baseline(&params, &hist, 0.7);
	assert_true(b > 0.399 && b < 0.401);
	/* Less history than baseline_min: the fallback again. */
	struct pumping_counts thin = {.sent = 20, .verified = 0, .base_sent = 60, .base_verified = 30};
	assert_true(pumping_baseline(&params, &thin, 0.7) == 0.7);
}

/* Every family once a minute; while one's prune leaves more, it goes on
 * twice a second (and only it); a clock that went back prunes at once. */
static void prune_rounds(void **state)
{
	(void)state;
	struct prune_clock c = {0};
	assert_int_equal(prune_round_start(&c, 100000), PRUNE_ALL);
	assert_int_equal(prune_round_start(&c, 100400), PRUNE_NONE);
	assert_int_equal(prune_round_start(&c, 100600), PRUNE_NONE); /* nothing left */
	c.more[3] = 1;
	assert_int_equal(prune_round_start(&c, 100700), PRUNE_LEFT);
	assert_int_equal(prune_round_start(&c, 101100), PRUNE_NONE);
	assert_int_equal(prune_round_start(&c, 101200), PRUNE_LEFT);
	c.more[3] = 0;
	c.more[PRUNE_FAMILIES - 1] = 1; /* the buckets */
	assert_int_equal(prune_round_start(&c, 101700), PRUNE_LEFT);
	c.more[PRUNE_FAMILIES - 1] = 0;
	assert_int_equal(prune_round_start(&c, 102200), PRUNE_NONE);
	assert_int_equal(prune_round_start(&c, 159999), PRUNE_NONE);
	assert_int_equal(prune_round_start(&c, 160000), PRUNE_ALL);
	assert_int_equal(prune_round_start(&c, 150000), PRUNE_ALL); /* back in time */
}

static void pow_round_trip(void **state)
{
	(void)state;
	unsigned char key[POW_KEY_BYTES] = {1, 2, 3};
	char a[POW_CHALLENGE_LEN + 1], b[POW_CHALLENGE_LEN + 1], nonce[24];
	pow_challenge(key, "session-a", a);
	pow_challenge(key, "session-b", b);
	assert_int_equal(strlen(a), POW_CHALLENGE_LEN);
	assert_string_not_equal(a, b); /* bound to the session */
	int found = -1;
	for (int n = 0; n < 1 << 20 && found < 0; n++) {
		snprintf(nonce, sizeof nonce, "%d", n);
		if (pow_zero_bits(a, nonce) >= 10)
			found = n;
	}
	assert_true(found >= 0);
	snprintf(nonce, sizeof nonce, "%d", found);
	assert_true(pow_verify(a, nonce, 10));
	assert_true(pow_verify(a, nonce, 1));
	/* The same nonce for another challenge: almost surely short (2^-10). */
	assert_int_equal(pow_zero_bits(b, nonce) >= 10 ? 1 : 0, pow_verify(b, nonce, 10));
	assert_int_equal(pow_zero_bits(a, ""), -1);
	assert_int_equal(pow_zero_bits(a, "12 34"), -1);
	assert_int_equal(pow_zero_bits(a, "012345678901234567890123456789012"), -1); /* 33 chars */
	assert_false(pow_verify(a, "bad!", 0));
}

/* A known answer, so clients in other languages can check their hashing:
 * SHA-256("abc:0") = 5ec0c6... has 1 leading zero bit. */
static void pow_known_answer(void **state)
{
	(void)state;
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)"abc:0", 5);
	int bits = 0;
	for (int i = 0; i < 32 && !h[i]; i++)
		bits += 8;
	assert_int_equal(pow_zero_bits("abc", "0") >= bits, 1);
	assert_int_equal(pow_zero_bits("abc", "0") < bits + 8, 1);
}

/* One X-Forwarded-For line as forwarded_client takes it. */
static const char *const *one(const char *line)
{
	static const char *lines[1];
	lines[0] = line;
	return lines;
}

static void forwarded(void **state)
{
	(void)state;
	char out[64];
	const char *trusted = "127.0.0.1, 10.0.0.2";
	/* Untrusted peers are taken as they are, whatever they claim. */
	assert_int_equal(forwarded_client(trusted, "192.0.2.9", one("203.0.113.5"), 1, out, sizeof out), 0);
	assert_string_equal(out, "192.0.2.9");
	assert_int_equal(forwarded_client("", "127.0.0.1", one("203.0.113.5"), 1, out, sizeof out), 0);
	assert_string_equal(out, "127.0.0.1");
	/* From a trusted proxy, the last untrusted hop is the client. */
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", one("198.51.100.1, 203.0.113.5"), 1,
					  out, sizeof out),
			 1);
	assert_string_equal(out, "203.0.113.5");
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", one("203.0.113.5, 10.0.0.2"), 1, out,
					  sizeof out),
			 1);
	assert_string_equal(out, "203.0.113.5");
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", one(" 2001:db8::7 "), 1, out, sizeof out), 1);
	assert_string_equal(out, "2001:db8::7");
	/* Garbage stops the walk: the proxy itself is the client then. */
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", one("203.0.113.5, junk"), 1, out,
					  sizeof out),
			 0);
	assert_string_equal(out, "127.0.0.1");
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", NULL, 0, out, sizeof out), 0);
	assert_string_equal(out, "127.0.0.1");
	/* Several lines are one list, the last line read first: a proxy that adds
	 * its own line after the client's makes the client's claim the older one. */
	const char *two[] = {"198.51.100.66", "203.0.113.5"};
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", two, 2, out, sizeof out), 1);
	assert_string_equal(out, "203.0.113.5");
	/* A line of trusted hops only sends the walk on to the line before. */
	const char *hops[] = {"198.51.100.1, 203.0.113.5", "10.0.0.2"};
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", hops, 2, out, sizeof out), 1);
	assert_string_equal(out, "203.0.113.5");
	/* Garbage in a later line stops the walk before the earlier lines. */
	const char *garbled[] = {"203.0.113.5", "junk"};
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", garbled, 2, out, sizeof out), 0);
	assert_string_equal(out, "127.0.0.1");
	const char *empty[] = {"203.0.113.5", ""};
	assert_int_equal(forwarded_client(trusted, "127.0.0.1", empty, 2, out, sizeof out), 0);
	assert_string_equal(out, "127.0.0.1");
	assert_int_equal(forwarded_trusted(trusted, "10.0.0.2"), 1);
	assert_int_equal(forwarded_trusted(trusted, "10.0.0.20"), 0);
	assert_int_equal(forwarded_trusted(trusted, "127.0.0"), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefixes),
		cmocka_unit_test(networks),
		cmocka_unit_test(sites),
		cmocka_unit_test(client_keys),
		cmocka_unit_test(rates),
		cmocka_unit_test(known_waits),
		cmocka_unit_test(pumping_needs_volume),
		cmocka_unit_test(pumping_thresholds),
		cmocka_unit_test(pumping_baselines),
		cmocka_unit_test(pressure_levels),
		cmocka_unit_test(pressure_usual),
		cmocka_unit_test(hour_factor_from_profile),
		cmocka_unit_test(spread_share_from_verifications),
		cmocka_unit_test(numbers_allowance_grows_with_verified),
		cmocka_unit_test(measures_double_for_repeats),
		cmocka_unit_test(pow_round_trip),
		cmocka_unit_test(pow_known_answer),
		cmocka_unit_test(prune_rounds),
		cmocka_unit_test(forwarded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
