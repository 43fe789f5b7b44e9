// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for pie.c: each rule of the update with exact numbers under
 * synthetic time, the refusal gating, the de-randomization with a fixed
 * random sequence and a step response. The expected numbers follow from
 * the formulas in NOTES.md; the derivations are in the comments. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pie.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS(x) ((uint64_t)(x)*PIE_NSEC_PER_MSEC)

/* Default gains per ns at full scale: 2 and 20 times
 * floor(PIE_PROB_MAX / 10^9) = 72057594, over 16. */
#define ALPHA_NS 9007199ULL
#define BETA_NS 90071992ULL
#define PROB_2PCT 1441151880758558ULL /* PIE_PROB_MAX / 50 */

static struct pie_params defaults(void)
{
	struct pie_params params;

	pie_params_default(&params);
	return params;
}

static struct pie_state at(uint64_t prob, uint64_t qdelay, uint64_t burst)
{
	struct pie_state s = { .prob = prob, .qdelay = qdelay, .burst = burst };

	return s;
}

/* p after one update from (prob, qdelay_old), burst spent. */
static uint64_t prob_after(uint64_t prob, uint64_t old, uint64_t qdelay)
{
	struct pie_params params = defaults();
	struct pie_state s = at(prob, old, 0);

	pie_update(&s, &params, qdelay);
	assert_int_equal(s.qdelay, qdelay);
	return s.prob;
}

static uint64_t clamped_add(uint64_t prob, uint64_t delta)
{
	return prob + delta > PIE_PROB_MAX ? PIE_PROB_MAX : prob + delta;
}

/* Marsaglia's xorshift32: a fixed sequence the data plane test can share. */
static uint32_t xorshift32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_params_default(void **state)
{
	struct pie_params params = defaults();

	(void)state;
	assert_int_equal(params.target, 20000000);
	assert_int_equal(params.tupdate, 30000000);
	assert_int_equal(params.max_burst, 150000000);
	assert_int_equal(params.alpha, 2);
	assert_int_equal(params.beta, 20);
	assert_int_equal(PIE_PROB_MAX, 72057594037927935ULL);
	assert_int_equal(pie_params_check(&params), 0);
}

static void test_params_check(void **state)
{
	struct pie_params params;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		params = defaults();
		if (i == 0)
			params.target = 0;
		if (i == 1)
			params.tupdate = 0;
		if (i == 2)
			params.alpha = PIE_GAIN_MAX + 1;
		if (i == 3)
			params.beta = PIE_GAIN_MAX + 1;
		assert_int_equal(pie_params_check(&params), -EINVAL);
	}
	params = defaults();
	params.alpha = PIE_GAIN_MAX;
	params.beta = 0;
	params.max_burst = 0;
	assert_int_equal(pie_params_check(&params), 0);
	assert_int_equal(pie_params_check(NULL), -EINVAL);
}

static void test_init(void **state)
{
	struct pie_params params = defaults();
	struct pie_state s = at(123, 456, 789);

	(void)state;
	pie_init(&s, &params);
	assert_int_equal(s.prob, 0);
	assert_int_equal(s.qdelay, 0);
	assert_int_equal(s.burst, MS(150));
	assert_int_equal(pie_refuse_prob32(&s, &params), 0);
	assert_int_equal(pie_percent_x100(&s), 0);
}

/* The default gains >> 0, 1, 3, ... 11, written out (index: the shift). */
static const uint64_t alpha_at[] = { 9007199, 4503599, 0, 1125899, 0, 281474,
				     0,	      70368,   0, 17592,   0, 4398 };
static const uint64_t beta_at[] = { 90071992, 45035996, 0, 11258999, 0, 2814749,
				    0,	      703687,	0, 175921,   0, 43980 };

/* Rule 2: the gains shrink with p, floor at each step as sch_pie: halved
 * under 10%, then / 4 per decade under 1%, 0.1%, ... 1e-6 (>> 11 in all).
 * Alpha alone: qdelay 21 ms, as before (delta = a * 1 ms); beta alone:
 * qdelay at target, 1 ms above the one before (delta = b * 1 ms). */
static void test_gain_scaling(void **state)
{
	static const struct {
		uint64_t prob;
		unsigned int shift;
	} rows[] = {
		{ PIE_PROB_MAX, 0 },
		{ PIE_PROB_MAX / 10, 0 },
		{ PIE_PROB_MAX / 10 - 1, 1 },
		{ PIE_PROB_MAX / 100, 1 },
		{ PIE_PROB_MAX / 100 - 1, 3 },
		{ PIE_PROB_MAX / 1000, 3 },
		{ PIE_PROB_MAX / 1000 - 1, 5 },
		{ PIE_PROB_MAX / 10000, 5 },
		{ PIE_PROB_MAX / 10000 - 1, 7 },
		{ PIE_PROB_MAX / 100000, 7 },
		{ PIE_PROB_MAX / 100000 - 1, 9 },
		{ PIE_PROB_MAX / 1000000, 9 },
		{ PIE_PROB_MAX / 1000000 - 1, 11 },
		{ 1, 11 },
		{ 0, 11 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		uint64_t p = rows[i].prob, want_a = alpha_at[rows[i].shift] * MS(1);
		uint64_t want_b = beta_at[rows[i].shift] * MS(1);

		assert_int_equal(alpha_at[rows[i].shift], ALPHA_NS >> rows[i].shift);
		assert_int_equal(beta_at[rows[i].shift], BETA_NS >> rows[i].shift);
		if (prob_after(p, MS(21), MS(21)) != clamped_add(p, want_a))
			fail_msg("row %zu: alpha not scaled by >> %u", i, rows[i].shift);
		if (prob_after(p, MS(19), MS(20)) != clamped_add(p, want_b))
			fail_msg("row %zu: beta not scaled by >> %u", i, rows[i].shift);
	}
}

/* Rule 2: from p >= 10% an increase is 2% at most; not below, not a fall.
 * 20 -> 200 ms: (a + b) * 180 ms, gains halved under 10%: 49539595 * 180 ms
 * = 12.4%. */
static void test_step_cap(void **state)
{
	(void)state;
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(20), MS(200)),
			 PIE_PROB_MAX / 2 + PROB_2PCT);
	assert_int_equal(prob_after(PIE_PROB_MAX / 10, MS(20), MS(200)),
			 PIE_PROB_MAX / 10 + PROB_2PCT);
	assert_int_equal(prob_after(PIE_PROB_MAX / 10 - 1, MS(20), MS(200)),
			 PIE_PROB_MAX / 10 - 1 + 8917127100000000ULL);
	assert_int_equal(prob_after(PIE_PROB_MAX / 20, MS(20), MS(200)),
			 PIE_PROB_MAX / 20 + 8917127100000000ULL);
	/* a fall is not capped: a * 0 + b * -180 ms = -22.5% */
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(200), MS(20)),
			 PIE_PROB_MAX / 2 - 16212958560000000ULL);
	/* an increase under the cap is kept whole: a * 1 ms */
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(21), MS(21)),
			 PIE_PROB_MAX / 2 + ALPHA_NS * MS(1));
}

/* Rule 2: above 250 ms, +2% more, after the cap. */
static void test_nonlinear_jump(void **state)
{
	(void)state;
	/* a * 230 ms = 2.9%, capped at 2%; 250 ms is not above 250 ms */
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(250), MS(250)),
			 PIE_PROB_MAX / 2 + PROB_2PCT);
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(250) + 1, MS(250) + 1),
			 PIE_PROB_MAX / 2 + 2 * PROB_2PCT);
	/* p = 0: (a >> 11) * 280 ms + 2% */
	assert_int_equal(prob_after(0, MS(300), MS(300)), 4398 * MS(280) + PROB_2PCT);
	assert_int_equal(prob_after(0, MS(300), MS(300)), 1442383320758558ULL);
}

/* Rule 2: p stays in [0, PIE_PROB_MAX] whatever the delays. */
static void test_clamp(void **state)
{
	(void)state;
	assert_int_equal(prob_after(PIE_PROB_MAX - 1, 0, UINT64_MAX), PIE_PROB_MAX);
	assert_int_equal(prob_after(PIE_PROB_MAX, UINT64_MAX, UINT64_MAX), PIE_PROB_MAX);
	assert_int_equal(prob_after(PIE_PROB_MAX, 0, MS(21)), PIE_PROB_MAX);
	assert_int_equal(prob_after(1000, MS(60), 0), 0);
	assert_int_equal(prob_after(PIE_PROB_MAX, UINT64_MAX, 0), 0);
	assert_int_equal(prob_after(0, 0, 0), 0);
	assert_int_equal(prob_after(0, UINT64_MAX, MS(21)), 0);
}

/* Rule 2: no delay twice: p -= p / 64, after a * -20 ms. */
static void test_decay(void **state)
{
	uint64_t p = PIE_PROB_MAX / 2 - ALPHA_NS * MS(20);

	(void)state;
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, 0, 0), p - p / 64);
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, 0, 0), 35288517835230156ULL);
	/* a delay before, however small: no decay */
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, 1, 0), p - BETA_NS);
	/* the first delay-free update after a delay: no decay either */
	assert_int_equal(prob_after(PIE_PROB_MAX / 2, MS(1), 0), p - BETA_NS * MS(1));
	assert_int_equal(prob_after(0, 0, 0), 0);
}

/* Rule 3: tupdate per update while any is left, even part of one. */
static void test_burst_allowance(void **state)
{
	struct pie_params params = defaults();
	struct pie_state s;
	int i;

	(void)state;
	pie_init(&s, &params);
	for (i = 4; i >= 0; i--) {
		pie_update(&s, &params, MS(60));
		assert_int_equal(s.burst, MS(30) * i);
		if (i)
			assert_int_equal(pie_refuse_prob32(&s, &params), 0);
	}
	/* p = 30962080000000 after five updates (see the step response) */
	assert_int_equal(pie_refuse_prob32(&s, &params), 1845484);
	pie_update(&s, &params, MS(60));
	assert_int_equal(s.burst, 0);
	params.max_burst = MS(100);
	pie_init(&s, &params);
	pie_update(&s, &params, MS(60));
	pie_update(&s, &params, MS(60));
	pie_update(&s, &params, MS(60));
	assert_int_equal(s.burst, MS(10));
	pie_update(&s, &params, MS(60));
	assert_int_equal(s.burst, 0);
}

/* Rule 3: the allowance comes back after two updates under target / 2
 * with p at 0, never while p is above 0 or after only one. */
static void test_restart_cycle(void **state)
{
	struct pie_params params = defaults();
	struct pie_state s = at(0, MS(10), 0);

	(void)state;
	pie_update(&s, &params, MS(10) - 1);
	assert_int_equal(s.burst, 0); /* the delay before was not under 10 ms */
	pie_update(&s, &params, MS(10) - 1);
	assert_int_equal(s.burst, MS(150));
	assert_int_equal(s.prob, 0);
	s = at(0, MS(10) - 1, 0);
	pie_update(&s, &params, MS(10));
	assert_int_equal(s.burst, 0);
	/* p still 1 after the update: 9 ms twice, (a >> 11) * -11 ms */
	s = at(4398 * MS(11) + 1, MS(9), 0);
	pie_update(&s, &params, MS(9));
	assert_int_equal(s.prob, 1);
	assert_int_equal(s.burst, 0);
	pie_update(&s, &params, MS(9));
	assert_int_equal(s.prob, 0);
	assert_int_equal(s.burst, MS(150));
	/* no delay from the start: the allowance never runs down */
	pie_init(&s, &params);
	pie_update(&s, &params, 0);
	pie_update(&s, &params, 0);
	assert_int_equal(s.burst, MS(150));
	/* a rise to 3 ms is low but raises p by its trend, spending the
	 * allowance: (b >> 11) * 3 ms - (a >> 11) * 17 ms */
	pie_update(&s, &params, MS(3));
	assert_int_equal(s.prob, 43980 * MS(3) - 4398 * MS(17));
	assert_int_equal(s.burst, MS(120));
}

/* Rule 4: gating and the 2^32 scale (p >> 24, rounded to nearest). */
static void test_refuse_prob32(void **state)
{
	struct pie_params params = defaults();
	static const struct {
		uint64_t prob, qdelay, burst;
		uint32_t want;
	} rows[] = {
		{ PIE_PROB_MAX, MS(60), 1, 0 },
		{ PIE_PROB_MAX, MS(60), 0, UINT32_MAX },
		{ PIE_PROB_MAX / 2, MS(60), 0, 2147483648U },
		{ PIE_PROB_MAX / 10, MS(60), 0, 429496730 },
		{ PIE_PROB_MAX / 10, MS(10) - 1, 0, 0 },
		{ PIE_PROB_MAX / 10, MS(10), 0, 429496730 },
		{ PIE_PROB_MAX / 5 - 1, 0, 0, 0 },
		{ PIE_PROB_MAX / 5, 0, 0, 858993459 },
		{ (1ULL << 23) - 1, MS(60), 0, 0 },
		{ 1ULL << 23, MS(60), 0, 1 },
		{ 0, MS(60), 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pie_state s = at(rows[i].prob, rows[i].qdelay, rows[i].burst);
		uint32_t got = pie_refuse_prob32(&s, &params);

		if (got != rows[i].want)
			fail_msg("row %zu: got %u, want %u", i, got, rows[i].want);
	}
}

static void test_percent_x100(void **state)
{
	static const struct {
		uint64_t prob;
		unsigned int want;
	} rows[] = {
		{ 0, 0 },
		{ PIE_PROB_MAX, 10000 },
		{ PIE_PROB_MAX / 10, 1000 },
		{ PIE_PROB_MAX / 3, 3333 },
		{ PIE_PROB_MAX / 3 * 2, 6667 },
		{ PIE_PROB_MAX / 20000 - 1, 0 },
		{ PIE_PROB_MAX / 20000 + 1, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pie_state s = at(rows[i].prob, 0, 0);

		assert_int_equal(pie_percent_x100(&s), rows[i].want);
	}
}

/* Rule 5: p = 10% (429496730): 8 streams pass whatever the draw, since
 * 8p < 0.85; from the 9th, a draw under p refuses; the 85th is refused
 * whatever the draw, since 85p >= 8.5. A refusal starts over. */
static void test_derand_thresholds(void **state)
{
	struct pie_derand d = { 0 };
	uint32_t p = 429496730;
	int i;

	(void)state;
	assert_int_equal(PIE_ACCU_LOW, 3650722120ULL);
	assert_int_equal(PIE_ACCU_HIGH, 36507222016ULL);
	for (i = 1; i <= 8; i++)
		assert_false(pie_refuse(&d, p, 0));
	assert_true(pie_refuse(&d, p, p - 1));
	assert_int_equal(d.accu, 0);
	for (i = 1; i <= 8; i++)
		assert_false(pie_refuse(&d, p, 0));
	assert_false(pie_refuse(&d, p, p));
	for (i = 10; i <= 84; i++)
		assert_false(pie_refuse(&d, p, UINT32_MAX));
	assert_true(pie_refuse(&d, p, UINT32_MAX));
	assert_int_equal(d.accu, 0);
	/* p falling to 0 forgets what was accumulated */
	for (i = 1; i <= 8; i++)
		assert_false(pie_refuse(&d, p, 0));
	assert_false(pie_refuse(&d, 0, 0));
	assert_int_equal(d.accu, 0);
	for (i = 1; i <= 8; i++)
		assert_false(pie_refuse(&d, p, 0));
	/* p at the top: refused on the first stream unless the draw is the
	 * one value not under p; then the 9th stream hits 8.5 */
	d.accu = 0;
	assert_true(pie_refuse(&d, UINT32_MAX, UINT32_MAX - 1));
	for (i = 1; i <= 8; i++)
		assert_false(pie_refuse(&d, UINT32_MAX, UINT32_MAX));
	assert_true(pie_refuse(&d, UINT32_MAX, UINT32_MAX));
}

/* Rule 5 at the thresholds themselves: reaching 0.85 allows a draw,
 * reaching 8.5 refuses. 17 * 2^31 is 8.5 exactly; 17 * 214748360 is
 * PIE_ACCU_LOW exactly. */
static void test_derand_at_thresholds(void **state)
{
	struct pie_derand d = { 0 };
	int i;

	(void)state;
	for (i = 1; i <= 16; i++)
		assert_false(pie_refuse(&d, 1U << 31, UINT32_MAX));
	assert_int_equal(d.accu + (1U << 31), PIE_ACCU_HIGH);
	assert_true(pie_refuse(&d, 1U << 31, UINT32_MAX));
	for (i = 1; i <= 16; i++)
		assert_false(pie_refuse(&d, 214748360, 0));
	assert_int_equal(d.accu + 214748360, PIE_ACCU_LOW);
	assert_true(pie_refuse(&d, 214748360, 0));
}

/*
 * Rule 5: refusals spread evenly. With p = 10% a cycle is 8 passes, then
 * draws until one is under p or the 85th stream: 8 + sum_{j=0}^{76} 0.9^j
 * = 17.997 streams, so 10000 streams see 555.6 refusals on average, not
 * 1000: sch_pie's de-randomization refuses less than p (NOTES.md). Gaps
 * are between 9 and 85 streams.
 */
static void test_derand_spread(void **state)
{
	struct pie_derand d = { 0 };
	uint32_t x = 0x2545f491, p = 429496730;
	int i, last = -1, refused = 0, gap_min = 1 << 30, gap_max = 0, gap;

	(void)state;
	for (i = 0; i < 10000; i++) {
		if (!pie_refuse(&d, p, xorshift32(&x)))
			continue;
		gap = i - last;
		if (last >= 0 && gap < gap_min)
			gap_min = gap;
		if (gap > gap_max)
			gap_max = gap;
		last = i;
		refused++;
	}
	assert_int_equal(refused, 552);
	assert_in_range(refused, 500, 611); /* 555.6 +- 10% */
	assert_int_equal(gap_min, 9);
	assert_int_equal(gap_max, 79);
	assert_true(10000 - last <= 85);
}

static void test_derand_zero(void **state)
{
	struct pie_derand d = { .accu = PIE_ACCU_HIGH };
	uint32_t x = 1;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++)
		assert_false(pie_refuse(&d, 0, xorshift32(&x)));
	assert_int_equal(d.accu, 0);
}

/* Rule 6: 60 ms for 100 updates, then none. p = 0 rises by a * 40 ms with
 * a at >> 11 then >> 9 (2814720000000 per update at first, plus 3 * b at
 * the first one) and never falls; refusal starts with the 5th update, when
 * the allowance is spent. Without delay p falls to 0 in 103 updates. */
static void step_rise(struct pie_state *s, const struct pie_params *params)
{
	uint64_t before;
	int i;

	for (i = 1; i <= 100; i++) {
		before = s->prob;
		pie_update(s, params, MS(60));
		assert_true(s->prob > before);
		assert_int_equal(pie_refuse_prob32(s, params) != 0, i >= 5);
		if (i == 1)
			assert_int_equal(s->prob, 4398 * MS(40) + 43980 * MS(60));
		if (i == 2)
			assert_int_equal(s->prob, 2 * 2814720000000ULL);
		if (i == 5)
			assert_int_equal(s->prob, 30962080000000ULL);
	}
	assert_int_equal(s->prob, 21648238280000000ULL);
	assert_int_equal(pie_percent_x100(s), 3004);
}

static void step_fall(struct pie_state *s, const struct pie_params *params)
{
	uint64_t before;
	int i;

	pie_update(s, params, 0);
	/* p is 30%: full gains, a * -20 ms + b * -60 ms */
	assert_int_equal(s->prob, 21648238280000000ULL - ALPHA_NS * MS(20) - BETA_NS * MS(60));
	for (i = 2; s->prob; i++) {
		before = s->prob;
		pie_update(s, params, 0);
		assert_true(s->prob < before);
		assert_int_equal(s->burst, s->prob ? 0 : MS(150));
	}
	assert_int_equal(i - 1, 103);
	assert_int_equal(pie_refuse_prob32(s, params), 0);
	pie_update(s, params, 0);
	assert_int_equal(s->prob, 0);
	assert_int_equal(s->burst, MS(150));
}

static void test_step_response(void **state)
{
	struct pie_params params = defaults();
	struct pie_state s;

	(void)state;
	pie_init(&s, &params);
	step_rise(&s, &params);
	step_fall(&s, &params);
	/* a second overload gets the whole allowance again */
	pie_update(&s, &params, MS(60));
	assert_int_equal(s.burst, MS(120));
	assert_int_equal(s.prob, 4398 * MS(40) + 43980 * MS(60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_default),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_gain_scaling),
		cmocka_unit_test(test_step_cap),
		cmocka_unit_test(test_nonlinear_jump),
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_burst_allowance),
		cmocka_unit_test(test_restart_cycle),
		cmocka_unit_test(test_refuse_prob32),
		cmocka_unit_test(test_percent_x100),
		cmocka_unit_test(test_derand_thresholds),
		cmocka_unit_test(test_derand_at_thresholds),
		cmocka_unit_test(test_derand_spread),
		cmocka_unit_test(test_derand_zero),
		cmocka_unit_test(test_step_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
