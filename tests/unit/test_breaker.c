// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for breaker.c: exact outcome sequences for every transition,
 * with the default parameters unless a test says otherwise. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/breaker.h"

#define SEC(x) ((uint64_t)(x)*1000000000ULL)
#define T0 SEC(1000)

/*
 * Record the outcomes of seq ('S' success, 'F' failure) at now: every one
 * but the last must be silent; returns the event of the last.
 */
static enum breaker_event play(struct breaker *b, const struct breaker_params *p, const char *seq,
			       uint64_t now)
{
	enum breaker_event ev = BREAKER_EV_NONE;

	for (; *seq; seq++) {
		if (ev != BREAKER_EV_NONE)
			fail_msg("event %s before the end of the sequence", breaker_event_name(ev));
		ev = breaker_record(b, p, *seq == 'S', now);
	}
	return ev;
}

/* Trip a closed breaker at now with five failures in a row. */
static void trip_at(struct breaker *b, const struct breaker_params *p, uint64_t now)
{
	assert_int_equal(breaker_state(b), BREAKER_CLOSED);
	assert_int_equal(play(b, p, "FFFFF", now), BREAKER_EV_OPENED);
}

/* The cool-down ends exactly at opened + want, not a nanosecond before. */
static void expect_cooldown(struct breaker *b, const struct breaker_params *p, uint64_t opened,
			    uint64_t want)
{
	assert_int_equal(b->cooldown_ns, want);
	assert_int_equal(breaker_tick(b, p, opened + want - 1), BREAKER_EV_NONE);
	assert_int_equal(breaker_state(b), BREAKER_OPEN);
	assert_int_equal(breaker_tick(b, p, opened + want), BREAKER_EV_HALF_OPENED);
	assert_int_equal(breaker_state(b), BREAKER_HALF_OPEN);
}

static void setup(struct breaker *b, struct breaker_params *p)
{
	breaker_params_default(p);
	breaker_init(b, p);
}

static void test_defaults_and_check(void **state)
{
	struct breaker_params p, bad;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	assert_int_equal(p.window, 10);
	assert_int_equal(p.fail_permille, 500);
	assert_int_equal(p.min_outcomes, 10);
	assert_int_equal(p.consecutive, 5);
	assert_int_equal(p.halfopen_successes, 3);
	assert_int_equal(p.cooldown_ns, SEC(5));
	assert_int_equal(p.cooldown_max_ns, SEC(60));
	assert_int_equal(p.reset_successes, 10);
	assert_int_equal(breaker_params_check(&p), 0);
	assert_int_equal(breaker_state(&b), BREAKER_CLOSED);
	assert_int_equal(b.trips, 0);
	assert_int_equal(breaker_params_check(NULL), -EINVAL);
	bad = p, bad.window = 0;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.window = BREAKER_WINDOW_MAX + 1;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.fail_permille = 1001;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.min_outcomes = 11;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.halfopen_successes = 0;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.reset_successes = 0;
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.cooldown_max_ns = SEC(4);
	assert_int_equal(breaker_params_check(&bad), -EINVAL);
	bad = p, bad.consecutive = 0;
	assert_int_equal(breaker_params_check(&bad), 0);
}

/* 5 of 10 is not more than half; sliding on keeps it at 5 of 10 forever. */
static void test_ratio_half_does_not_trip(void **state)
{
	struct breaker_params p;
	struct breaker b;
	int i;

	(void)state;
	setup(&b, &p);
	assert_int_equal(play(&b, &p, "FSFSFSFSFS", T0), BREAKER_EV_NONE);
	for (i = 0; i < 100; i++)
		assert_int_equal(play(&b, &p, "FS", T0), BREAKER_EV_NONE);
	assert_int_equal(b.failures, 5);
	assert_int_equal(b.seen, 10);
	assert_int_equal(breaker_state(&b), BREAKER_CLOSED);
}

/* The oldest outcome leaves the window: F S F S F S F S F S + F keeps 5 of
 * 10 (an F left), + F again makes 6 of 10 (an S left): open. */
static void test_ratio_sixty_percent_trips(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	assert_int_equal(play(&b, &p, "FSFSFSFSFSF", T0), BREAKER_EV_NONE);
	assert_int_equal(b.failures, 5);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_OPENED);
	assert_int_equal(breaker_state(&b), BREAKER_OPEN);
	assert_int_equal(b.trips, 1);
	assert_int_equal(b.open_until_ns, T0 + SEC(5));
}

/* 6 failures in 9 outcomes are not judged (fewer than min_outcomes); the
 * 10th outcome, a success, makes the window judgeable at 6 of 10. */
static void test_ratio_waits_for_min_outcomes(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	assert_int_equal(play(&b, &p, "FFSFFSFF", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "S", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "S", T0), BREAKER_EV_OPENED);
	/* min_outcomes 4: 3 of 4 trips at once */
	p.min_outcomes = 4;
	breaker_init(&b, &p);
	assert_int_equal(play(&b, &p, "FSF", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_OPENED);
}

/* Four failures in a row are tolerated, the fifth trips, long before the
 * ratio can be judged; a success in between starts the count again. */
static void test_consecutive_trips(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	assert_int_equal(play(&b, &p, "FFFFSFFFF", T0), BREAKER_EV_NONE);
	assert_int_equal(b.fail_run, 4);
	breaker_init(&b, &p);
	assert_int_equal(play(&b, &p, "SSFFFF", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_OPENED);
	assert_int_equal(b.trips, 1);
	/* consecutive 0: only the ratio trips, at 6 of 10 */
	p.consecutive = 0;
	breaker_init(&b, &p);
	assert_int_equal(play(&b, &p, "SSSSFFFFF", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_OPENED);
}

/* Open for exactly 5 s: outcomes meanwhile are dropped, ticks before the
 * end do nothing, the tick at the end half-opens, and so does an outcome
 * recorded after the end (it is dropped too). */
static void test_cooldown_to_half_open(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, T0);
	assert_int_equal(play(&b, &p, "SSSSSSSSSS", T0 + SEC(1)), BREAKER_EV_NONE);
	assert_int_equal(breaker_state(&b), BREAKER_OPEN);
	assert_int_equal(breaker_tick(&b, &p, T0), BREAKER_EV_NONE);
	expect_cooldown(&b, &p, T0, SEC(5));
	assert_int_equal(breaker_tick(&b, &p, T0 + SEC(6)), BREAKER_EV_NONE);

	breaker_init(&b, &p);
	trip_at(&b, &p, T0);
	assert_int_equal(breaker_record(&b, &p, false, T0 + SEC(5) - 1), BREAKER_EV_NONE);
	assert_int_equal(breaker_record(&b, &p, false, T0 + SEC(5)), BREAKER_EV_HALF_OPENED);
	assert_int_equal(b.ok_run, 0);
	assert_int_equal(b.fail_run, 0);
}

/* Three successes in a row close; a failure after two re-opens. */
static void test_half_open_closes_after_three(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, T0);
	expect_cooldown(&b, &p, T0, SEC(5));
	assert_int_equal(play(&b, &p, "SS", T0 + SEC(5)), BREAKER_EV_NONE);
	assert_int_equal(breaker_state(&b), BREAKER_HALF_OPEN);
	assert_int_equal(play(&b, &p, "S", T0 + SEC(5)), BREAKER_EV_CLOSED);
	assert_int_equal(breaker_state(&b), BREAKER_CLOSED);
	/* a clean slate: four failures are not enough again */
	assert_int_equal(b.seen, 0);
	assert_int_equal(play(&b, &p, "FFFF", T0 + SEC(6)), BREAKER_EV_NONE);
	assert_int_equal(b.trips, 1);
}

/* A failure in half-open re-opens with the doubled cool-down. */
static void test_half_open_failure_doubles(void **state)
{
	struct breaker_params p;
	struct breaker b;
	uint64_t now = T0 + SEC(5);

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, T0);
	expect_cooldown(&b, &p, T0, SEC(5));
	assert_int_equal(play(&b, &p, "SSF", now), BREAKER_EV_OPENED);
	assert_int_equal(b.trips, 2);
	expect_cooldown(&b, &p, now, SEC(10));
	now += SEC(10);
	assert_int_equal(play(&b, &p, "F", now), BREAKER_EV_OPENED);
	expect_cooldown(&b, &p, now, SEC(20));
	assert_int_equal(b.trips, 3);
}

/* 5, 10, 20, 40, then the 60 s cap however many more trips. */
static void test_cooldown_capped(void **state)
{
	static const uint64_t want[] = { SEC(5),  SEC(10), SEC(20), SEC(40),
					 SEC(60), SEC(60), SEC(60) };
	struct breaker_params p;
	struct breaker b;
	uint64_t now = T0;
	size_t i;

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, now);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		expect_cooldown(&b, &p, now, want[i]);
		now += want[i];
		assert_int_equal(play(&b, &p, "F", now), BREAKER_EV_OPENED);
	}
	assert_int_equal(b.trips, 8);
	/* many more: the shift must not overflow */
	for (i = 0; i < 100; i++) {
		now += SEC(60);
		assert_int_equal(breaker_tick(&b, &p, now), BREAKER_EV_HALF_OPENED);
		assert_int_equal(play(&b, &p, "F", now), BREAKER_EV_OPENED);
	}
	assert_int_equal(b.cooldown_ns, SEC(60));
}

/* Closing alone does not reset the cool-down: 9 successes then a trip
 * opens for 20 s; 10 successes (reset_successes) then a trip, for 5 s. */
static void test_cooldown_resets_after_healthy_period(void **state)
{
	struct breaker_params p;
	struct breaker b;
	uint64_t now = T0;

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, now);
	expect_cooldown(&b, &p, now, SEC(5));
	now += SEC(5);
	assert_int_equal(play(&b, &p, "F", now), BREAKER_EV_OPENED);
	expect_cooldown(&b, &p, now, SEC(10));
	now += SEC(10);
	assert_int_equal(play(&b, &p, "SSS", now), BREAKER_EV_CLOSED);
	assert_int_equal(play(&b, &p, "SSSSSSSSS", now), BREAKER_EV_NONE);
	trip_at(&b, &p, now);
	expect_cooldown(&b, &p, now, SEC(20));
	now += SEC(20);
	assert_int_equal(play(&b, &p, "SSS", now), BREAKER_EV_CLOSED);
	assert_int_equal(play(&b, &p, "SSSSSSSSFS", now), BREAKER_EV_NONE);
	assert_int_equal(b.level, 3); /* in a row: the failure broke the run */
	assert_int_equal(play(&b, &p, "SSSSSSSSSS", now), BREAKER_EV_NONE);
	assert_int_equal(b.level, 0);
	trip_at(&b, &p, now);
	expect_cooldown(&b, &p, now, SEC(5));
	assert_int_equal(b.trips, 4);
}

/* A 64-outcome window: 32 of 64 holds, 33 of 64 trips. */
static void test_full_width_window(void **state)
{
	struct breaker_params p;
	struct breaker b;
	int i;

	(void)state;
	breaker_params_default(&p);
	p.window = 64;
	p.min_outcomes = 64;
	breaker_init(&b, &p);
	for (i = 0; i < 200; i++)
		assert_int_equal(play(&b, &p, "FS", T0), BREAKER_EV_NONE);
	assert_int_equal(b.failures, 32);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_NONE);
	assert_int_equal(play(&b, &p, "F", T0), BREAKER_EV_OPENED);
}

/* The cool-down end saturates rather than wrapping near the clock's end. */
static void test_clock_end(void **state)
{
	struct breaker_params p;
	struct breaker b;

	(void)state;
	setup(&b, &p);
	trip_at(&b, &p, UINT64_MAX - SEC(1));
	assert_int_equal(b.open_until_ns, UINT64_MAX);
	assert_int_equal(breaker_tick(&b, &p, UINT64_MAX - 1), BREAKER_EV_NONE);
	assert_int_equal(breaker_tick(&b, &p, UINT64_MAX), BREAKER_EV_HALF_OPENED);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
	assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(breaker_state_name((enum breaker_state)3), "?");
	assert_string_equal(breaker_event_name(BREAKER_EV_NONE), "none");
	assert_string_equal(breaker_event_name(BREAKER_EV_OPENED), "opened");
	assert_string_equal(breaker_event_name(BREAKER_EV_HALF_OPENED), "half-opened");
	assert_string_equal(breaker_event_name(BREAKER_EV_CLOSED), "closed");
	assert_string_equal(breaker_event_name((enum breaker_event)4), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_check),
		cmocka_unit_test(test_ratio_half_does_not_trip),
		cmocka_unit_test(test_ratio_sixty_percent_trips),
		cmocka_unit_test(test_ratio_waits_for_min_outcomes),
		cmocka_unit_test(test_consecutive_trips),
		cmocka_unit_test(test_cooldown_to_half_open),
		cmocka_unit_test(test_half_open_closes_after_three),
		cmocka_unit_test(test_half_open_failure_doubles),
		cmocka_unit_test(test_cooldown_capped),
		cmocka_unit_test(test_cooldown_resets_after_healthy_period),
		cmocka_unit_test(test_full_width_window),
		cmocka_unit_test(test_clock_end),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
