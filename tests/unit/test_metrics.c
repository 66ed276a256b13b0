/* base/metrics: series by label values, Prometheus' escapes, cumulative
 * histogram buckets, and the text a scraper reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/metrics.h"

static int reset(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static void has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);
	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void counters_add_up_per_label_set(void **state)
{
	(void)state;
	const char *a[] = {"kannel-a", "GB", "sms", "submitted"};
	const char *b[] = {"kannel-a", "DE", "sms", "submitted"};
	metrics_add(METRIC_MESSAGES, a, 1);
	metrics_add(METRIC_MESSAGES, a, 2);
	metrics_add(METRIC_MESSAGES, b, 1);
	char *t = metrics_render();
	has_line(t, "# TYPE iotp_messages_total counter");
	has_line(t, "iotp_messages_total{provider=\"kannel-a\",country=\"GB\",channel=\"sms\","
	            "outcome=\"submitted\"} 3");
	has_line(t, "iotp_messages_total{provider=\"kannel-a\",country=\"DE\",channel=\"sms\","
	            "outcome=\"submitted\"} 1");
	free(t);
}

static void label_values_are_escaped(void **state)
{
	(void)state;
	const char *v[] = {"a\"b\\c\nd", "forged"};
	metrics_add(METRIC_REPORTS_REFUSED, v, 1);
	const char *missing[] = {NULL, "unknown_provider"};
	metrics_add(METRIC_REPORTS_REFUSED, missing, 1);
	char *t = metrics_render();
	has_line(t, "iotp_delivery_reports_refused_total{provider=\"a\\\"b\\\\c\\nd\",reason=\"forged\"} 1");
	has_line(t, "iotp_delivery_reports_refused_total{provider=\"\",reason=\"unknown_provider\"} 1");
	free(t);
}

static void histogram_buckets_are_cumulative(void **state)
{
	(void)state;
	const char *l[] = {"kannel-a", "GB"};
	metrics_observe(METRIC_DELIVER_SECONDS, l, 0.003); /* first bucket */
	metrics_observe(METRIC_DELIVER_SECONDS, l, 0.5);   /* on a bound: counts in it */
	metrics_observe(METRIC_DELIVER_SECONDS, l, 7);
	metrics_observe(METRIC_DELIVER_SECONDS, l, 1000); /* past the last bound */
	char *t = metrics_render();
	has_line(t, "# TYPE iotp_message_deliver_seconds histogram");
	const char *pre = "iotp_message_deliver_seconds_bucket{provider=\"kannel-a\",country=\"GB\",";
	char line[256];
	struct {
		const char *le;
		int n;
	} want[] = {{"0.005", 1}, {"0.25", 1}, {"0.5", 2}, {"5", 2}, {"10", 3}, {"300", 3}, {"+Inf", 4}};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(line, sizeof line, "%sle=\"%s\"} %d", pre, want[i].le, want[i].n);
		has_line(t, line);
	}
	has_line(t, "iotp_message_deliver_seconds_count{provider=\"kannel-a\",country=\"GB\"} 4");
	has_line(t, "iotp_message_deliver_seconds_sum{provider=\"kannel-a\",country=\"GB\"} 1007.503");
	free(t);
}

static void every_metric_is_declared_even_before_it_counts(void **state)
{
	(void)state;
	char *t = metrics_render();
	const char *types[] = {"iotp_codes_sent_total counter", "iotp_code_checks_total counter",
	                       "iotp_messages_total counter", "iotp_handovers_total counter",
	                       "iotp_delivery_reports_total counter",
	                       "iotp_delivery_reports_refused_total counter",
	                       "iotp_message_submit_seconds histogram",
	                       "iotp_message_deliver_seconds histogram"};
	char line[128];
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		snprintf(line, sizeof line, "# TYPE %s", types[i]);
		has_line(t, line);
	}
	assert_null(strstr(t, "} ")); /* no series yet */
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(counters_add_up_per_label_set, reset),
	    cmocka_unit_test_setup(label_values_are_escaped, reset),
	    cmocka_unit_test_setup(histogram_buckets_are_cumulative, reset),
	    cmocka_unit_test_setup(every_metric_is_declared_even_before_it_counts, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
