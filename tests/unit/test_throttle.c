// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for throttle.c: each rule with exact numbers, then the limit
 * found on modelled backends whose best concurrency is known. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/throttle.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MSEC(x) ((uint64_t)(x)*1000000ULL)
#define RND_OPTIMIZE 0xffffU /* low 16 bits at the top: never explores */
#define RND_EXPLORE(r) ((uint32_t)(r) << 16) /* low 16 bits 0: always explores */
#define INTERVALS 300
#define TAIL 50

/* A utilised interval with this many completions/s and no latency. */
static struct throttle_sample busy(double completions, uint32_t peak)
{
	return (struct throttle_sample){ .completions = completions,
					 .peak = peak,
					 .utilised = true };
}

static const struct throttle_entry *entry_of(const struct throttle *t, uint32_t limit)
{
	uint32_t i;

	for (i = 0; i < t->logged; i++)
		if (t->log[i].limit == limit)
			return &t->log[i];
	return NULL;
}

/* Put scores in the log as if measured in the past, oldest first. */
static void preload(struct throttle *t, const uint32_t *limits, const double *scores, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		t->log[t->logged].limit = limits[i];
		t->log[t->logged].score = scores[i];
		t->log[t->logged].stamp = ++t->intervals;
		t->logged++;
	}
}

static void test_defaults_and_check(void **state)
{
	struct throttle_params p, bad;

	(void)state;
	throttle_params_default(&p);
	assert_int_equal(p.min_limit, 1);
	assert_int_equal(p.max_limit, 1000);
	assert_int_equal(p.interval_ns, MSEC(1000));
	assert_int_equal(p.latency_target_ns, 0);
	assert_int_equal(p.weight_permille, 500);
	assert_int_equal(p.explore_permille, 400);
	assert_int_equal(p.explore_step_permille, 200);
	assert_int_equal(p.neighbourhood_permille, 500);
	assert_int_equal(p.tie_permille, 20);
	assert_int_equal(p.optimize_step_permille, 200);
	assert_int_equal(p.headroom_permille, 250);
	assert_int_equal(p.shrink_after, 30);
	assert_int_equal(throttle_params_check(&p), 0);
	assert_int_equal(throttle_params_check(NULL), -EINVAL);
	bad = p, bad.min_limit = 0;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
	bad = p, bad.max_limit = 0;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
	bad = p, bad.weight_permille = 0;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
	bad = p, bad.weight_permille = 1001;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
	bad = p, bad.explore_permille = 1001;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
	bad = p, bad.tie_permille = 1001;
	assert_int_equal(throttle_params_check(&bad), -EINVAL);
}

static void test_init_clamps(void **state)
{
	struct throttle_params p;
	struct throttle t;

	(void)state;
	throttle_params_default(&p);
	throttle_init(&t, &p, 0);
	assert_int_equal(t.limit, 1);
	throttle_init(&t, &p, 5000);
	assert_int_equal(t.limit, 1000);
	throttle_init(&t, &p, 20);
	assert_int_equal(t.limit, 20);
	assert_int_equal(t.logged, 0);
}

/* Throughput, times target / latency once latency passes the target. */
static void test_score_and_moving_average(void **state)
{
	static const struct {
		double completions;
		uint64_t latency_ns;
		double want;
	} rows[] = {
		{ 800, MSEC(20), 800 }, { 800, MSEC(30), 800 }, { 800, MSEC(60), 400 },
		{ 800, MSEC(40), 600 }, { 800, 0, 800 },	{ -5, MSEC(10), 0 },
		{ NAN, MSEC(10), 0 },
	};
	struct throttle_params p;
	struct throttle_sample s;
	struct throttle t;
	size_t i;

	(void)state;
	throttle_params_default(&p);
	p.latency_target_ns = MSEC(30);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		throttle_init(&t, &p, 10);
		s = busy(rows[i].completions, 10);
		s.latency_ns = rows[i].latency_ns;
		throttle_update(&t, &p, &s, RND_OPTIMIZE);
		assert_int_equal(t.logged, 1);
		if (fabs(entry_of(&t, 10)->score - rows[i].want) > 1e-9)
			fail_msg("row %zu: score %f, want %f", i, entry_of(&t, 10)->score,
				 rows[i].want);
	}
	/* first sample as is, then half of each new one (weight 500) */
	throttle_init(&t, &p, 10);
	s = busy(100, 10);
	throttle_update(&t, &p, &s, RND_OPTIMIZE);
	s = busy(200, 10);
	throttle_update(&t, &p, &s, RND_OPTIMIZE);
	assert_true(fabs(entry_of(&t, 10)->score - 150) < 1e-9);
	s = busy(50, 10);
	throttle_update(&t, &p, &s, RND_OPTIMIZE);
	assert_true(fabs(entry_of(&t, 10)->score - 100) < 1e-9);
	assert_int_equal(t.limit, 10);
}

/* Low 16 bits below 400/1000 of 65536 (26214.4) explore. */
static void test_explore_chance(void **state)
{
	static const struct {
		uint32_t low;
		uint64_t explored;
	} rows[] = { { 0, 1 }, { 26214, 1 }, { 26215, 0 }, { 0xffff, 0 } };
	struct throttle_params p;
	struct throttle_sample s = busy(100, 100);
	struct throttle t;
	size_t i;

	(void)state;
	throttle_params_default(&p);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		throttle_init(&t, &p, 100);
		throttle_update(&t, &p, &s, rows[i].low | RND_EXPLORE(0));
		assert_int_equal(t.explored, rows[i].explored);
		assert_int_equal(t.limit, rows[i].explored ? 99 : 100);
	}
	p.explore_permille = 1000;
	throttle_init(&t, &p, 100);
	throttle_update(&t, &p, &s, 0xffff);
	assert_int_equal(t.explored, 1);
	p.explore_permille = 0;
	throttle_init(&t, &p, 100);
	throttle_update(&t, &p, &s, 0);
	assert_int_equal(t.explored, 0);
}

/* At 100 the step is 20: the high 16 bits mod 40 pick -1..-20, +1..+20; a
 * move past a bound goes the other way. */
static void test_explore_moves(void **state)
{
	static const struct {
		uint32_t start, high, want;
	} rows[] = {
		{ 100, 0, 99 },	    { 100, 19, 80 },	{ 100, 20, 101 },   { 100, 39, 120 },
		{ 100, 40, 99 },    { 100, 65535, 84 }, { 1, 0, 2 },	    { 1, 1, 2 },
		{ 4, 0, 3 },	    { 4, 1, 5 },	{ 1000, 399, 800 }, { 1000, 200, 999 },
		{ 999, 199, 1000 }, { 999, 200, 997 },
	};
	struct throttle_params p;
	struct throttle_sample s;
	struct throttle t;
	size_t i;

	(void)state;
	throttle_params_default(&p);
	p.headroom_permille = 1000; /* out of the way */
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		throttle_init(&t, &p, rows[i].start);
		s = busy(100, rows[i].start);
		throttle_update(&t, &p, &s, RND_EXPLORE(rows[i].high));
		if (t.limit != rows[i].want)
			fail_msg("row %zu: %u -> %u, want %u", i, rows[i].start, t.limit,
				 rows[i].want);
	}
}

/* At 100: neighbours within 50; the smallest within 2% of the best; moves
 * of at most 20. The current limit's own sample is logged first. */
static void test_optimize_rules(void **state)
{
	static const struct {
		uint32_t limits[3];
		double scores[3];
		double now; /* the sample at 100 */
		uint32_t want;
	} rows[] = {
		{ { 90, 110, 130 }, { 500, 600, 700 }, 400, 120 }, /* capped at +20 */
		{ { 90, 110, 60 }, { 500, 600, 700 }, 400, 80 }, /* capped at -20 */
		{ { 90, 110, 151 }, { 500, 600, 900 }, 400, 110 }, /* 151 is not near */
		{ { 90, 110, 150 }, { 500, 600, 900 }, 400, 120 }, /* 150 is */
		{ { 90, 95, 110 }, { 500, 600, 610 }, 400, 95 }, /* 600 ties 610 */
		{ { 90, 95, 110 }, { 500, 597, 610 }, 400, 110 }, /* 597 does not */
		{ { 90, 95, 110 }, { 500, 600, 700 }, 800, 100 }, /* best where it is */
		{ { 90, 95, 110 }, { 500, 600, 700 }, 690, 100 }, /* ties the best */
	};
	struct throttle_params p;
	struct throttle_sample s;
	struct throttle t;
	size_t i;

	(void)state;
	throttle_params_default(&p);
	p.headroom_permille = 1000;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		throttle_init(&t, &p, 100);
		preload(&t, rows[i].limits, rows[i].scores, 3);
		s = busy(rows[i].now, 100);
		throttle_update(&t, &p, &s, RND_OPTIMIZE);
		if (t.limit != rows[i].want)
			fail_msg("row %zu: -> %u, want %u", i, t.limit, rows[i].want);
	}
	/* small limits: the neighbourhood is at least 2 and a move at least 1 */
	throttle_init(&t, &p, 2);
	preload(&t, (const uint32_t[]){ 4, 5 }, (const double[]){ 300, 900 }, 2);
	s = busy(100, 2);
	assert_int_equal(throttle_update(&t, &p, &s, RND_OPTIMIZE), 3);
}

/* 64 limits fill the log; the 65th replaces the least recently measured. */
static void test_log_evicts_oldest(void **state)
{
	struct throttle_params p;
	struct throttle_sample s = busy(100, 500);
	struct throttle t;
	uint32_t i;

	(void)state;
	throttle_params_default(&p);
	throttle_init(&t, &p, 500);
	for (i = 0; i < THROTTLE_LOG_SIZE; i++)
		preload(&t, (const uint32_t[]){ 100 + i }, (const double[]){ 1 }, 1);
	t.log[0].stamp = 1000; /* limit 100 measured again: 101 is now the oldest */
	t.intervals = 1000;
	throttle_update(&t, &p, &s, RND_OPTIMIZE);
	assert_int_equal(t.logged, THROTTLE_LOG_SIZE);
	assert_non_null(entry_of(&t, 500));
	assert_non_null(entry_of(&t, 100));
	assert_null(entry_of(&t, 101));
	assert_non_null(entry_of(&t, 102));
}

/* Headroom 0 still lets a utilised limit grow by one: explore +20 -> +1. */
static void test_growth_capped_by_headroom(void **state)
{
	struct throttle_params p;
	struct throttle_sample s = busy(100, 100);
	struct throttle t;

	(void)state;
	throttle_params_default(&p);
	p.headroom_permille = 0;
	throttle_init(&t, &p, 100);
	assert_int_equal(throttle_update(&t, &p, &s, RND_EXPLORE(39)), 101);
	/* at the default 250 the explore step (20%) is within the headroom */
	throttle_params_default(&p);
	throttle_init(&t, &p, 100);
	assert_int_equal(throttle_update(&t, &p, &s, RND_EXPLORE(39)), 120);
	/* a peak above the limit (utilised through refusals) counts as usage */
	p.headroom_permille = 0;
	throttle_init(&t, &p, 100);
	s.peak = 110;
	assert_int_equal(throttle_update(&t, &p, &s, RND_EXPLORE(39)), 111);
}

/* Unutilised: nothing logged, the limit held whatever rnd says, then after
 * 30 intervals down to the highest peak (40) plus 25% headroom. */
static void test_unutilised_holds_then_shrinks(void **state)
{
	struct throttle_params p;
	struct throttle_sample s = { .completions = 1000, .peak = 30 };
	struct throttle t;
	uint32_t i;

	(void)state;
	throttle_params_default(&p);
	throttle_init(&t, &p, 200);
	for (i = 1; i < 30; i++) {
		s.peak = i == 7 ? 40 : 30;
		assert_int_equal(throttle_update(&t, &p, &s, i & 1 ? 0 : RND_OPTIMIZE), 200);
	}
	assert_int_equal(t.logged, 0);
	assert_int_equal(throttle_update(&t, &p, &s, 0), 50);
	/* a utilised interval restarts the count */
	for (i = 1; i < 29; i++)
		assert_int_equal(throttle_update(&t, &p, &s, 0), 50);
	s = busy(100, 50);
	assert_int_equal(throttle_update(&t, &p, &s, RND_OPTIMIZE), 50);
	s = (struct throttle_sample){ .peak = 1 };
	for (i = 1; i < 30; i++)
		assert_int_equal(throttle_update(&t, &p, &s, 0), 50);
	assert_int_equal(throttle_update(&t, &p, &s, 0), 2);
	/* shrink_after 0: held forever */
	p.shrink_after = 0;
	throttle_init(&t, &p, 200);
	for (i = 0; i < 1000; i++)
		assert_int_equal(throttle_update(&t, &p, &s, 0), 200);
}

/*
 * A modelled backend: workers serve one stream each in service_s; more
 * streams than workers queue (latency grows, throughput stays) or, when
 * thrash, make every worker slower (throughput falls as (workers / c)^2).
 * offered: the streams the clients would have at once; 0: unbounded.
 * noise: completions vary uniformly by up to this fraction.
 */
struct model {
	double workers, service_s;
	bool thrash;
	uint32_t offered;
	double noise;
};

static uint64_t rng_state;

/* splitmix64: deterministic and good enough for both rnd and noise */
static uint32_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static struct throttle_sample measure(const struct model *m, uint32_t limit)
{
	uint32_t c = m->offered && m->offered < limit ? m->offered : limit;
	double thr = c / m->service_s, latency;

	if (c > m->workers) {
		thr = m->workers / m->service_s;
		if (m->thrash)
			thr *= (m->workers / c) * (m->workers / c);
	}
	latency = c / thr; /* Little's law */
	thr *= 1 + m->noise * (rng() / 2147483648.0 - 1);
	return (struct throttle_sample){ .completions = thr,
					 .latency_ns = (uint64_t)(latency * 1e9),
					 .peak = c,
					 .utilised = c >= limit };
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Run INTERVALS intervals; every limit within [min, max]; the median of the
 * last TAIL returned. */
static uint32_t run(const struct model *m, const struct throttle_params *p, uint32_t start,
		    uint64_t seed)
{
	uint32_t tail[TAIL], i;
	struct throttle_sample s;
	struct throttle t;

	rng_state = seed;
	throttle_init(&t, p, start);
	for (i = 0; i < INTERVALS; i++) {
		s = measure(m, t.limit);
		throttle_update(&t, p, &s, rng());
		if (t.limit < p->min_limit || t.limit > p->max_limit)
			fail_msg("interval %u: limit %u out of [%u, %u]", i, t.limit, p->min_limit,
				 p->max_limit);
		if (i >= INTERVALS - TAIL)
			tail[i - (INTERVALS - TAIL)] = t.limit;
	}
	qsort(tail, TAIL, sizeof(tail[0]), cmp_u32);
	return tail[TAIL / 2];
}

/* From starts 1, 5 and 200, five seeds each: the median within [lo, hi]. */
static void expect_converges(const struct model *m, const struct throttle_params *p, double lo,
			     double hi)
{
	static const uint32_t starts[] = { 1, 5, 200 };
	uint32_t median;
	size_t i;
	uint64_t seed;

	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		for (seed = 1; seed <= 5; seed++) {
			median = run(m, p, starts[i], seed * 7919 + i);
			if (median < lo || median > hi)
				fail_msg("start %u seed %llu: median %u out of [%.1f, %.1f]",
					 starts[i], (unsigned long long)seed, median, lo, hi);
		}
	}
}

/* 16 workers of 20 ms, 30 ms target: score 50c up to 16, 800 up to 24 (the
 * queue keeps latency within target), 800 * 24 / c beyond. The smallest
 * best is 16, where the tie rule settles: 16 +- 30%. */
static void test_queueing_backend(void **state)
{
	static const struct model m = { .workers = 16, .service_s = 0.02 };
	struct throttle_params p;

	(void)state;
	throttle_params_default(&p);
	p.latency_target_ns = MSEC(30);
	expect_converges(&m, &p, 16 * 0.7, 16 * 1.3);
}

/* With 10% noise the plateau 16-24 cannot be told apart: within 30% of it. */
static void test_queueing_backend_noisy(void **state)
{
	static const struct model m = { .workers = 16, .service_s = 0.02, .noise = 0.1 };
	struct throttle_params p;

	(void)state;
	throttle_params_default(&p);
	p.latency_target_ns = MSEC(30);
	expect_converges(&m, &p, 16 * 0.7, 24 * 1.3);
}

/* Throughput collapses past 16 workers: found from throughput alone (no
 * latency target), with and without noise. */
static void test_thrashing_backend(void **state)
{
	struct model m = { .workers = 16, .service_s = 0.02, .thrash = true };
	struct throttle_params p;

	(void)state;
	throttle_params_default(&p);
	expect_converges(&m, &p, 16 * 0.7, 16 * 1.3);
	m.noise = 0.1;
	expect_converges(&m, &p, 16 * 0.7, 16 * 1.3);
}

/* Narrow bounds hold even when the best lies outside them; with 20% noise
 * the limit stays near the bound the best is beyond. */
static void test_bounds_hold(void **state)
{
	struct model m = { .workers = 64, .service_s = 0.01, .noise = 0.2 };
	struct throttle_params p;

	(void)state;
	throttle_params_default(&p);
	p.min_limit = 4;
	p.max_limit = 40;
	expect_converges(&m, &p, 30, 40);
	m.thrash = true;
	p.min_limit = 100;
	p.max_limit = 120;
	expect_converges(&m, &p, 100, 110);
}

/* Clients that only ever have 8 streams: from below the limit stops within
 * the headroom of 8 (10); from 200 it holds for 30 intervals, then comes
 * down to 10, and never grows while unutilised. */
static void test_unutilised_does_not_inflate(void **state)
{
	static const struct model m = { .workers = 16, .service_s = 0.02, .offered = 8 };
	static const uint32_t starts[] = { 1, 5, 8, 200 };
	struct throttle_params p;
	struct throttle_sample s;
	struct throttle t;
	uint32_t i, before;
	size_t k;

	(void)state;
	throttle_params_default(&p);
	p.latency_target_ns = MSEC(30);
	for (k = 0; k < ARRAY_SIZE(starts); k++) {
		rng_state = 42 + k;
		throttle_init(&t, &p, starts[k]);
		for (i = 0; i < INTERVALS; i++) {
			before = t.limit;
			s = measure(&m, t.limit);
			throttle_update(&t, &p, &s, rng());
			if (!s.utilised && t.limit > before)
				fail_msg("start %u: unutilised %u grew to %u", starts[k], before,
					 t.limit);
			if (t.limit > (starts[k] > 10 && i < 29 ? starts[k] : 10))
				fail_msg("start %u interval %u: limit %u", starts[k], i, t.limit);
		}
	}
}

/* The load is bounded for a while, then unbounded: the limit then finds
 * 16 as from a cold start. */
static void test_follows_load_change(void **state)
{
	struct model m = { .workers = 16, .service_s = 0.02, .offered = 8 };
	uint32_t tail[TAIL], i;
	struct throttle_params p;
	struct throttle_sample s;
	struct throttle t;

	(void)state;
	throttle_params_default(&p);
	p.latency_target_ns = MSEC(30);
	rng_state = 7;
	throttle_init(&t, &p, 100);
	for (i = 0; i < 2 * INTERVALS; i++) {
		if (i == 100)
			m.offered = 0;
		s = measure(&m, t.limit);
		throttle_update(&t, &p, &s, rng());
		if (i >= 2 * INTERVALS - TAIL)
			tail[i - (2 * INTERVALS - TAIL)] = t.limit;
	}
	qsort(tail, TAIL, sizeof(tail[0]), cmp_u32);
	assert_in_range(tail[TAIL / 2], 12, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_check),
		cmocka_unit_test(test_init_clamps),
		cmocka_unit_test(test_score_and_moving_average),
		cmocka_unit_test(test_explore_chance),
		cmocka_unit_test(test_explore_moves),
		cmocka_unit_test(test_optimize_rules),
		cmocka_unit_test(test_log_evicts_oldest),
		cmocka_unit_test(test_growth_capped_by_headroom),
		cmocka_unit_test(test_unutilised_holds_then_shrinks),
		cmocka_unit_test(test_queueing_backend),
		cmocka_unit_test(test_queueing_backend_noisy),
		cmocka_unit_test(test_thrashing_backend),
		cmocka_unit_test(test_bounds_hold),
		cmocka_unit_test(test_unutilised_does_not_inflate),
		cmocka_unit_test(test_follows_load_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
