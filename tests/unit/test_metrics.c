// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmocka tests for user/core/metrics.c: label escaping, numbers, the
 * histogram's buckets, the exposition of a set, statsD names, deltas,
 * sampling and datagrams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"

static const struct metrics_family fams[] = {
	{ "weir_build_info", METRICS_GAUGE, "version (1)", true },
	{ "weir_service_packets_total", METRICS_COUNTER, "Packets\\forwarded\nin all", false },
	{ "weir_service_refused_streams_total", METRICS_COUNTER, "Refused", false },
	{ "weir_backend_up", METRICS_GAUGE, "Up", false },
	{ "weir_loop_duration_seconds", METRICS_HISTOGRAM, "Loop", false },
	{ "weir_reason_packets_total", METRICS_COUNTER, "By reason", false },
	{ "weir_streams", METRICS_GAUGE, "Streams", false },
};

static char *escaped(const char *s)
{
	struct emit_buf b = {};

	metrics_emit_escaped(&b, s);
	emit_bytes(&b, "", 0);
	return b.data;
}

static void test_escape(void **state)
{
	static const char *const cases[][2] = {
		{ "web", "web" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "", "" },
		{ "tab\there", "tab\there" }, /* only three characters are escaped */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(cases[i][0]);

		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

static void test_values(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(metrics_format_value(0, buf, sizeof(buf)), "0");
	assert_string_equal(metrics_format_value(12500000, buf, sizeof(buf)), "12500000");
	assert_string_equal(metrics_format_value(0.02, buf, sizeof(buf)), "0.02");
	assert_string_equal(metrics_format_value(1.0 / 3, buf, sizeof(buf)), "0.33333333333333331");
	assert_string_equal(metrics_format_value(18446744073709551615.0, buf, sizeof(buf)),
			    "1.8446744073709552e+19");
	assert_string_equal(metrics_format_value(-2, buf, sizeof(buf)), "-2");
	assert_string_equal(metrics_format_value(1.0 / 0.0, buf, sizeof(buf)), "+Inf");
	assert_string_equal(metrics_format_value(-1.0 / 0.0, buf, sizeof(buf)), "-Inf");
	assert_string_equal(metrics_format_value(0.0 / 0.0, buf, sizeof(buf)), "NaN");
}

/* A value lands in the first bucket whose bound is >= it; bounds grow. */
static void test_histogram_buckets(void **state)
{
	struct metrics_histogram h = {};
	size_t i;

	(void)state;
	for (i = 1; i < METRICS_BUCKETS; i++)
		assert_true(metrics_bucket_bounds[i] > metrics_bucket_bounds[i - 1]);
	metrics_histogram_observe(&h, 0); /* first */
	metrics_histogram_observe(&h, 0.00005); /* on a bound: that bucket */
	metrics_histogram_observe(&h, 0.00005000001); /* just above: the next */
	metrics_histogram_observe(&h, 0.003); /* (0.0025, 0.005] */
	metrics_histogram_observe(&h, 1); /* the last bound */
	metrics_histogram_observe(&h, 7); /* +Inf only */
	assert_int_equal(h.buckets[0], 2);
	assert_int_equal(h.buckets[1], 1);
	assert_int_equal(h.buckets[6], 1);
	assert_int_equal(h.buckets[METRICS_BUCKETS - 1], 1);
	assert_int_equal(h.count, 6);
	assert_true(h.sum > 8.0031 && h.sum < 8.0031001);
}

static void build_set(struct metrics_set *s, struct metrics_histogram *h)
{
	const char *info[] = { "version", "0.1.0" };
	const char *web[] = { "service", "we\"b" };
	const char *refused[] = { "service", "web", "reason", "capacity" };
	const char *be[] = { "service", "web", "backend", "2001:db8::11" };

	metrics_set_init(s, fams, sizeof(fams) / sizeof(fams[0]));
	metrics_add(s, 0, 1, 1, info);
	metrics_add(s, 3, 1, 2, be);
	metrics_add(s, 1, 1234, 1, web);
	metrics_add(s, 2, 5, 2, refused);
	metrics_add(s, 1, 7, 1, (const char *[]){ "service", "api" });
	metrics_add_histogram(s, 4, h);
	metrics_add(s, 6, 3, 0, NULL);
}

static void test_render(void **state)
{
	static const char want[] =
		"# HELP weir_build_info version (1)\n"
		"# TYPE weir_build_info gauge\n"
		"weir_build_info{version=\"0.1.0\"} 1\n"
		"# HELP weir_service_packets_total Packets\\\\forwarded\\nin all\n"
		"# TYPE weir_service_packets_total counter\n"
		"weir_service_packets_total{service=\"we\\\"b\"} 1234\n"
		"weir_service_packets_total{service=\"api\"} 7\n"
		"# HELP weir_service_refused_streams_total Refused\n"
		"# TYPE weir_service_refused_streams_total counter\n"
		"weir_service_refused_streams_total{service=\"web\",reason=\"capacity\"} 5\n"
		"# HELP weir_backend_up Up\n"
		"# TYPE weir_backend_up gauge\n"
		"weir_backend_up{service=\"web\",backend=\"2001:db8::11\"} 1\n"
		"# HELP weir_loop_duration_seconds Loop\n"
		"# TYPE weir_loop_duration_seconds histogram\n"
		"weir_loop_duration_seconds_bucket{le=\"5e-05\"} 0\n"
		"weir_loop_duration_seconds_bucket{le=\"0.0001\"} 0\n"
		"weir_loop_duration_seconds_bucket{le=\"0.00025\"} 0\n"
		"weir_loop_duration_seconds_bucket{le=\"0.0005\"} 0\n"
		"weir_loop_duration_seconds_bucket{le=\"0.001\"} 1\n"
		"weir_loop_duration_seconds_bucket{le=\"0.0025\"} 1\n"
		"weir_loop_duration_seconds_bucket{le=\"0.005\"} 1\n"
		"weir_loop_duration_seconds_bucket{le=\"0.01\"} 1\n"
		"weir_loop_duration_seconds_bucket{le=\"0.025\"} 2\n"
		"weir_loop_duration_seconds_bucket{le=\"0.05\"} 2\n"
		"weir_loop_duration_seconds_bucket{le=\"0.1\"} 2\n"
		"weir_loop_duration_seconds_bucket{le=\"0.25\"} 2\n"
		"weir_loop_duration_seconds_bucket{le=\"1\"} 2\n"
		"weir_loop_duration_seconds_bucket{le=\"+Inf\"} 3\n"
		"weir_loop_duration_seconds_sum 2.0205\n"
		"weir_loop_duration_seconds_count 3\n"
		"# HELP weir_reason_packets_total By reason\n"
		"# TYPE weir_reason_packets_total counter\n"
		"# HELP weir_streams Streams\n"
		"# TYPE weir_streams gauge\n"
		"weir_streams 3\n";
	struct metrics_histogram h = {};
	struct emit_buf out = {};
	struct metrics_set s;

	(void)state;
	metrics_histogram_observe(&h, 0.0005 + 0.0004);
	metrics_histogram_observe(&h, 0.0196);
	metrics_histogram_observe(&h, 2);
	build_set(&s, &h);
	metrics_render(&s, &out);
	assert_false(out.failed);
	assert_string_equal(out.data, want);
	free(out.data);
	metrics_set_free(&s);
}

struct sent {
	char data[16][METRICS_DATAGRAM_MAX + 1];
	size_t n;
};

static void collect(const char *data, size_t len, void *arg)
{
	struct sent *s = arg;

	assert_true(len <= METRICS_DATAGRAM_MAX);
	assert_true(s->n < 16);
	memcpy(s->data[s->n], data, len);
	s->data[s->n++][len] = '\0';
}

static void test_statsd_names(void **state)
{
	struct metrics_histogram h = {};
	struct emit_buf name = {};
	struct metrics_set s;
	static const char *const want[] = {
		"weir.build.0_1_0.info", /* never pushed (no_push), named all the same */
		"weir.backend.web.2001_db8__11.up",
		"weir.service.we_b.packets",
		"weir.service.web.refused_streams.capacity",
		"weir.service.api.packets",
		"weir.loop_duration_seconds",
		"weir.streams",
	};
	size_t i;

	(void)state;
	build_set(&s, &h);
	for (i = 0; i < s.n_samples; i++) {
		name.len = 0;
		metrics_statsd_name(&s, &s.samples[i], "weir.", "", &name);
		assert_string_equal(name.data, want[i]);
	}
	name.len = 0;
	metrics_statsd_name(&s, &s.samples[2], "", "_x", &name);
	assert_string_equal(name.data, "service.we_b.packets_x");
	free(name.data);
	metrics_set_free(&s);
}

/* Gauges as they are, counters by what they grew; the info family and
 * counters that did not move are not sent. */
static void test_statsd_deltas(void **state)
{
	struct metrics_push push = { .prefix = "weir.", .sample_ppm = 1000000, .send = collect };
	struct metrics_statsd st = {};
	struct metrics_histogram h = {};
	struct sent sent = {};
	struct metrics_set s;

	(void)state;
	push.arg = &sent;
	metrics_histogram_observe(&h, 0.5);
	build_set(&s, &h);
	assert_int_equal(metrics_statsd_push(&st, &s, &push), 0);
	assert_int_equal(sent.n, 1);
	assert_string_equal(sent.data[0], "weir.backend.web.2001_db8__11.up:1|g\n"
					  "weir.service.we_b.packets:1234|c\n"
					  "weir.service.web.refused_streams.capacity:5|c\n"
					  "weir.service.api.packets:7|c\n"
					  "weir.loop_duration_seconds_count:1|c\n"
					  "weir.loop_duration_seconds_sum:0.5|c\n"
					  "weir.streams:3|g");
	/* grew by 10 and 0; the histogram by one observation */
	s.samples[2].value = 1244;
	s.samples[4].value = 3; /* went down: a reset, all of it */
	metrics_histogram_observe(&h, 0.25);
	sent.n = 0;
	assert_int_equal(metrics_statsd_push(&st, &s, &push), 0);
	assert_string_equal(sent.data[0], "weir.backend.web.2001_db8__11.up:1|g\n"
					  "weir.service.we_b.packets:10|c\n"
					  "weir.service.api.packets:3|c\n"
					  "weir.loop_duration_seconds_count:1|c\n"
					  "weir.loop_duration_seconds_sum:0.25|c\n"
					  "weir.streams:3|g");
	metrics_set_free(&s);
	metrics_statsd_free(&st);
}

/* Many lines: datagrams of whole lines, none over the limit, all sent. */
static void test_statsd_datagrams(void **state)
{
	static const struct metrics_family one[] = { { "weir_backend_up", METRICS_GAUGE, "",
						       false } };
	struct metrics_push push = { .prefix = "weir.", .sample_ppm = 1000000, .send = collect };
	struct metrics_statsd st = {};
	struct sent sent = {};
	struct metrics_set s;
	char addr[32], long_name[1500];
	size_t i, lines = 0;
	char *p;

	(void)state;
	push.arg = &sent;
	metrics_set_init(&s, one, 1);
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "198.18.0.%zu", i);
		metrics_add(&s, 0, 1, 2, (const char *[]){ "service", "web", "backend", addr });
	}
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	metrics_add(&s, 0, 1, 2, (const char *[]){ "service", long_name, "backend", "b" });
	assert_int_equal(metrics_statsd_push(&st, &s, &push), 1); /* the long one */
	assert_true(sent.n >= 3);
	for (i = 0; i < sent.n; i++) {
		assert_true(strlen(sent.data[i]) <= METRICS_DATAGRAM_MAX);
		/* a datagram is not split inside a line */
		assert_true(sent.data[i][strlen(sent.data[i]) - 1] == 'g');
		for (p = sent.data[i]; p; p = strchr(p + 1, '\n'))
			lines++;
	}
	assert_int_equal(lines, 100);
	metrics_set_free(&s);
	metrics_statsd_free(&st);
}

/* At a rate of 0.25 about a quarter of the counters go, marked @0.25. */
static void test_statsd_sampling(void **state)
{
	static const struct metrics_family one[] = {
		{ "weir_service_packets_total", METRICS_COUNTER, "", false },
	};
	struct metrics_push push = { .prefix = "", .sample_ppm = 250000, .send = collect };
	struct metrics_statsd st = { .rng = 42 };
	struct sent sent;
	struct metrics_set s;
	size_t i, n = 0, round;

	(void)state;
	push.arg = &sent;
	metrics_set_init(&s, one, 1);
	metrics_add(&s, 0, 0, 1, (const char *[]){ "service", "web" });
	for (round = 1; round <= 4000; round++) {
		s.samples[0].value = (double)round;
		sent.n = 0;
		metrics_statsd_push(&st, &s, &push);
		for (i = 0; i < sent.n; i++) {
			assert_string_equal(sent.data[i], "service.web.packets:1|c|@0.25");
			n++;
		}
	}
	assert_true(n > 900 && n < 1100);
	metrics_set_free(&s);
	metrics_statsd_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_statsd_names),
		cmocka_unit_test(test_statsd_deltas),
		cmocka_unit_test(test_statsd_datagrams),
		cmocka_unit_test(test_statsd_sampling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
