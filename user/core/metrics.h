/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The controller's figures as Prometheus' text exposition (format 0.0.4)
 * and as statsD lines, from one set of samples: the controller collects a
 * set (user/ctl/metrics.c), these functions only format. Pure: no I/O.
 */
#ifndef WEIR_METRICS_H
#define WEIR_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/emit.h"

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

struct metrics_family {
	/* weir_<scope>_<what>[_<unit>][_total]; labels go with the scope */
	const char *name;
	enum metrics_type type;
	const char *help;
	bool no_push; /* Prometheus only (build info) */
};

/* Upper bounds in seconds, for durations from 50 us to 1 s (the update
 * loop's); the +Inf bucket is implied. */
#define METRICS_BUCKETS 13
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

struct metrics_histogram {
	uint64_t buckets[METRICS_BUCKETS]; /* in (bound[i-1], bound[i]]; not cumulative */
	uint64_t count;
	double sum;
};

void metrics_histogram_observe(struct metrics_histogram *h, double value);

#define METRICS_LABELS_MAX 3

struct metrics_sample {
	uint32_t family; /* index in the set's families */
	uint32_t n_labels;
	const char *label_names[METRICS_LABELS_MAX]; /* static strings */
	size_t label_values[METRICS_LABELS_MAX]; /* offsets in the set's text */
	double value;
	const struct metrics_histogram *histogram; /* METRICS_HISTOGRAM only */
};

struct metrics_set {
	const struct metrics_family *families;
	size_t n_families;
	struct metrics_sample *samples;
	size_t n_samples, cap_samples;
	struct emit_buf text; /* label values, each NUL-terminated */
	bool failed; /* out of memory: nothing may be served from it */
};

void metrics_set_init(struct metrics_set *s, const struct metrics_family *families, size_t n);
void metrics_set_free(struct metrics_set *s);
/* labels: n_labels pairs of name and value. */
void metrics_add(struct metrics_set *s, uint32_t family, double value, size_t n_labels,
		 const char *const *labels);
void metrics_add_histogram(struct metrics_set *s, uint32_t family,
			   const struct metrics_histogram *h);

/* The exposition: every family's HELP and TYPE, even one without samples,
 * then its samples, in the order of the families. */
void metrics_render(const struct metrics_set *s, struct emit_buf *out);
/* A label value as the format wants it: \ " and newline escaped. */
void metrics_emit_escaped(struct emit_buf *b, const char *s);
/* Integers exactly, others with the digits that read back the same;
 * NaN, +Inf, -Inf. */
const char *metrics_format_value(double v, char *buf, size_t len);

/* statsD: every push sends gauges as they are and counters as what they
 * grew by since the last push (all of it the first time a name is seen,
 * or after it went down: a reset). */
#define METRICS_DATAGRAM_MAX 1400

struct metrics_statsd_entry;

struct metrics_statsd {
	struct metrics_statsd_entry *slots; /* each counter's last value, by name */
	size_t cap;
	uint64_t rng; /* sampling; any non-zero seed */
};

struct metrics_push {
	const char *prefix; /* "weir." */
	uint32_t sample_ppm; /* counters are sent with this probability, per million */
	/* Sends one datagram of whole lines, at most METRICS_DATAGRAM_MAX bytes. */
	void (*send)(const char *data, size_t len, void *arg);
	void *arg;
};

/* Returns the lines left out because they alone would not fit a
 * datagram, or -ENOMEM (the counters' last values kept as they were). */
int metrics_statsd_push(struct metrics_statsd *st, const struct metrics_set *s,
			const struct metrics_push *push);
void metrics_statsd_free(struct metrics_statsd *st);
/* The name a sample goes by: prefix, scope, the values of its labels
 * (reason last), what it counts: weir.backend.web.198_18_0_11.packets. */
void metrics_statsd_name(const struct metrics_set *s, const struct metrics_sample *m,
			 const char *prefix, const char *suffix, struct emit_buf *out);

#endif
