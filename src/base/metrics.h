/* metrics: the process's counters and histograms, rendered for Prometheus at
 * GET /metrics (docs/operations.md, "Metrics"). Every part of iotpd counts
 * into the same registry; each series is a metric and its label values, given
 * in the metric's label order. Values live in memory and start from zero with
 * the process, as Prometheus expects of counters. Never pass a phone number,
 * code or secret as a label: labels are read by people and kept for months. */
#ifndef IOTP_METRICS_H
#define IOTP_METRICS_H

enum metric {
	METRIC_CODES_SENT,       /* counter {app, country, channel} */
	METRIC_CHECKS,           /* counter {app, country, result} */
	METRIC_MESSAGES,         /* counter {provider, country, channel, outcome} */
	METRIC_HANDOVERS,        /* counter {provider, outcome} */
	METRIC_REPORTS,          /* counter {provider, state} */
	METRIC_REPORTS_REFUSED,  /* counter {provider, reason} */
	METRIC_SUBMIT_SECONDS,   /* histogram {provider, country} */
	METRIC_DELIVER_SECONDS,  /* histogram {provider, country} */
	METRIC_COUNT
};

/* Adds v to a counter. labels: the metric's label values, in order (NULL or
 * "" reads as ""). Safe from any thread. */
void metrics_add(enum metric m, const char *const *labels, double v);
/* Counts one observation (seconds) in a histogram. */
void metrics_observe(enum metric m, const char *const *labels, double seconds);
/* The registry in Prometheus' text format (version 0.0.4); heap, the caller's
 * to free. */
char *metrics_render(void);
/* Forgets every series (tests). */
void metrics_reset(void);

#endif
