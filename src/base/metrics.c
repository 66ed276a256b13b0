#include "base/metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"

#define LABELS_MAX 4
#define TABLE_SIZE 1024
/* A bound on what a mistake (a label that is not bounded) can cost. */
#define SERIES_MAX 20000

enum kind { COUNTER, HISTOGRAM };

static const struct {
	const char *name, *help;
	enum kind kind;
	const char *labels[LABELS_MAX + 1];
} defs[METRIC_COUNT] = {
    [METRIC_CODES_SENT] = {"iotp_codes_sent_total",
                           "Codes queued for a person: a session's first send or a resend.",
                           COUNTER,
                           {"app", "country", "channel"}},
    [METRIC_CHECKS] = {"iotp_code_checks_total",
                       "Codes checked, by result: right, wrong, or refused (expired, used up, "
                       "canceled, rate-limited before the comparison).",
                       COUNTER,
                       {"app", "country", "result"}},
    [METRIC_MESSAGES] = {"iotp_messages_total",
                         "Delivery rounds by how they ended: submitted (a provider took the "
                         "message), retry (transient failure, tried again later), failed "
                         "(for good).",
                         COUNTER,
                         {"provider", "country", "channel", "outcome"}},
    [METRIC_HANDOVERS] = {"iotp_handovers_total",
                          "Hand-overs to a provider: submitted, failed (transient), refused, "
                          "or skipped (out of rotation after failures).",
                          COUNTER,
                          {"provider", "outcome"}},
    [METRIC_REPORTS] = {"iotp_delivery_reports_total",
                        "Delivery reports that moved a message on, by the state reached.",
                        COUNTER,
                        {"provider", "state"}},
    [METRIC_REPORTS_REFUSED] = {"iotp_delivery_reports_refused_total",
                                "Delivery reports refused: forged (bad token or signature), "
                                "invalid, or for no message the provider was given.",
                                COUNTER,
                                {"provider", "reason"}},
    [METRIC_SUBMIT_SECONDS] = {"iotp_message_submit_seconds",
                               "From the code request to the provider taking the message.",
                               HISTOGRAM,
                               {"provider", "country"}},
    [METRIC_DELIVER_SECONDS] = {"iotp_message_deliver_seconds",
                                "From the code request to the carrier's report that the phone "
                                "has it.",
                                HISTOGRAM,
                                {"provider", "country"}},
};

/* Seconds: a submission takes milliseconds, a delivery seconds to minutes. */
static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                2.5,   5,    10,    30,   60,  120, 300};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

struct series {
	struct series *next;
	enum metric m;
	char *labels; /* rendered: name="value",... */
	double value; /* counter; histogram: sum */
	uint64_t count, buckets[N_BOUNDS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series *table[TABLE_SIZE];
static size_t n_series;
static int warned;

/* name="value" pairs with Prometheus' escapes (\\, \", \n), into buf. Returns
 * 0, or -1 when they do not fit. */
static int render_labels(enum metric m, const char *const *values, char *buf, size_t size)
{
	size_t n = 0;
#define PUT(c)                                                                                 \
	do {                                                                                   \
		if (n + 1 >= size)                                                             \
			return -1;                                                             \
		buf[n++] = (c);                                                                \
	} while (0)
	for (int i = 0; defs[m].labels[i]; i++) {
		if (i)
			PUT(',');
		for (const char *k = defs[m].labels[i]; *k; k++)
			PUT(*k);
		PUT('=');
		PUT('"');
		for (const char *v = values && values[i] ? values[i] : ""; *v; v++) {
			if (*v == '\\' || *v == '"' || *v == '\n')
				PUT('\\');
			PUT(*v == '\n' ? 'n' : *v);
		}
		PUT('"');
	}
#undef PUT
	buf[n] = '\0';
	return 0;
}

static size_t hash(enum metric m, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)m;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h % TABLE_SIZE);
}

/* The series, made when new; NULL when the registry is full. Lock held. */
static struct series *find(enum metric m, const char *const *values)
{
	char labels[512];
	if (render_labels(m, values, labels, sizeof labels) < 0)
		return NULL;
	size_t h = hash(m, labels);
	for (struct series *s = table[h]; s; s = s->next)
		if (s->m == m && !strcmp(s->labels, labels))
			return s;
	if (n_series >= SERIES_MAX) {
		if (!warned++)
			log_warn("metrics: more than %d series; new ones are not counted", SERIES_MAX);
		return NULL;
	}
	struct series *s = xcalloc(1, sizeof *s);
	s->m = m;
	s->labels = xstrdup(labels);
	s->next = table[h];
	table[h] = s;
	n_series++;
	return s;
}

void metrics_add(enum metric m, const char *const *labels, double v)
{
	pthread_mutex_lock(&lock);
	struct series *s = find(m, labels);
	if (s)
		s->value += v;
	pthread_mutex_unlock(&lock);
}

void metrics_observe(enum metric m, const char *const *labels, double seconds)
{
	pthread_mutex_lock(&lock);
	struct series *s = find(m, labels);
	if (s) {
		s->value += seconds;
		s->count++;
		for (size_t i = 0; i < N_BOUNDS; i++)
			if (seconds <= bounds[i])
				s->buckets[i]++;
	}
	pthread_mutex_unlock(&lock);
}

static void render_series(FILE *f, const struct series *s)
{
	const char *name = defs[s->m].name, *sep = s->labels[0] ? "," : "";
	if (defs[s->m].kind == COUNTER) {
		fprintf(f, "%s{%s} %.17g\n", name, s->labels, s->value);
		return;
	}
	for (size_t i = 0; i < N_BOUNDS; i++)
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, s->labels, sep, bounds[i],
		        (unsigned long long)s->buckets[i]);
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, s->labels, sep,
	        (unsigned long long)s->count);
	fprintf(f, "%s_sum{%s} %.17g\n", name, s->labels, s->value);
	fprintf(f, "%s_count{%s} %llu\n", name, s->labels, (unsigned long long)s->count);
}

char *metrics_render(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	pthread_mutex_lock(&lock);
	for (int m = 0; m < METRIC_COUNT; m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", defs[m].name, defs[m].help, defs[m].name,
		        defs[m].kind == COUNTER ? "counter" : "histogram");
		for (size_t h = 0; h < TABLE_SIZE; h++)
			for (const struct series *s = table[h]; s; s = s->next)
				if ((int)s->m == m)
					render_series(f, s);
	}
	pthread_mutex_unlock(&lock);
	fclose(f);
	return out;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	for (size_t h = 0; h < TABLE_SIZE; h++) {
		while (table[h]) {
			struct series *s = table[h];
			table[h] = s->next;
			free(s->labels);
			free(s);
		}
	}
	n_series = 0;
	warned = 0;
	pthread_mutex_unlock(&lock);
}
