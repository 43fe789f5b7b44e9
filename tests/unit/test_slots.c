// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/core/slots.c: exact shares over one full pass,
 * smooth interleaving, scaling down and argument checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "weir/abi.h"
#include "core/slots.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED 0xa5a5a5a5U
#define TABLE_SIZE 2048 /* larger than any max_slots used, to catch overruns */

static uint32_t table[TABLE_SIZE];

static void fill_untouched(void)
{
	size_t i;

	for (i = 0; i < TABLE_SIZE; i++)
		table[i] = UNTOUCHED;
}

static int build(const uint32_t *weights, size_t n, size_t max_slots)
{
	fill_untouched();
	return slots_build(weights, n, table, max_slots);
}

static size_t count_of(uint32_t backend, int count)
{
	size_t hits = 0;
	int i;

	for (i = 0; i < count; i++)
		hits += table[i] == backend;
	return hits;
}

/* Every slot names a real backend and nothing past count was written. */
static void check_table_shape(size_t n, int count)
{
	int i;

	for (i = 0; i < count; i++)
		assert_in_range(table[i], 0, n - 1);
	for (i = count; i < TABLE_SIZE; i++)
		assert_int_equal(table[i], UNTOUCHED);
}

static void check_counts(const uint32_t *expect, size_t n, int count)
{
	size_t i;

	check_table_shape(n, count);
	for (i = 0; i < n; i++)
		if (count_of(i, count) != expect[i])
			fail_msg("backend %zu has %zu slots, want %u", i, count_of(i, count),
				 expect[i]);
}

/* Longest run of one backend, counting across the wrap: the table is
 * walked as a ring. */
static int longest_run(int count)
{
	int best = 0, i, run;

	for (i = 0; i < count; i++) {
		for (run = 1; run < count; run++)
			if (table[(i + run) % count] != table[i])
				break;
		if (run > best)
			best = run;
	}
	return best;
}

/* Smoothness: after every prefix of k slots each backend is within one
 * slot of its exact share k * w / total. */
static void check_prefixes_smooth(const uint32_t *share, size_t n, int count)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		long long seen = 0;

		for (k = 1; k <= count; k++) {
			long long ideal_x_count = (long long)k * share[i];

			seen += table[k - 1] == i;
			/* |seen - k * share / count| < 1, kept in integers */
			if (seen * count - ideal_x_count >= count ||
			    ideal_x_count - seen * count >= count)
				fail_msg("backend %zu: %lld slots after %d, share %u/%d", i, seen,
					 k, share[i], count);
		}
	}
}

static void test_one_two_three(void **state)
{
	static const uint32_t weights[] = { 1, 2, 3 };
	/* Smooth weighted round-robin, lowest index winning ties. */
	static const uint32_t expect_order[] = { 2, 1, 0, 2, 1, 2 };
	int count;

	(void)state;
	count = build(weights, 3, WEIR_MAX_SLOTS);
	assert_int_equal(count, 6);
	check_counts(weights, 3, count);
	assert_memory_equal(table, expect_order, sizeof(expect_order));
	assert_true(longest_run(count) < 3);
	check_prefixes_smooth(weights, 3, count);
}

static void test_gcd_reduced(void **state)
{
	static const uint32_t weights[] = { 2, 4, 6 };
	static const uint32_t expect[] = { 1, 2, 3 };
	static const uint32_t big[] = { 1000, 3000 };
	static const uint32_t big_expect[] = { 1, 3 };
	int count;

	(void)state;
	count = build(weights, 3, WEIR_MAX_SLOTS);
	assert_int_equal(count, 6);
	check_counts(expect, 3, count);

	/* Would not fit unreduced, so this also proves nothing was scaled. */
	count = build(big, 2, 16);
	assert_int_equal(count, 4);
	check_counts(big_expect, 2, count);
}

static void test_zero_weights_get_nothing(void **state)
{
	static const uint32_t weights[] = { 0, 3, 0, 1, 0 };
	int count;

	(void)state;
	count = build(weights, 5, WEIR_MAX_SLOTS);
	assert_int_equal(count, 4);
	check_counts(weights, 5, count);
	check_prefixes_smooth(weights, 5, count);
}

static void test_all_zero(void **state)
{
	static const uint32_t weights[] = { 0, 0, 0 };

	(void)state;
	assert_int_equal(build(weights, 3, WEIR_MAX_SLOTS), 0);
	check_table_shape(3, 0);
}

static void test_single_and_equal(void **state)
{
	static const uint32_t single[] = { 65535 };
	static const uint32_t equal[] = { 7, 7, 7, 7 };
	static const uint32_t once[] = { 1, 1, 1, 1 };
	int count;

	(void)state;
	count = build(single, 1, 1);
	assert_int_equal(count, 1);
	assert_int_equal(table[0], 0);
	check_table_shape(1, count);

	count = build(equal, 4, WEIR_MAX_SLOTS);
	assert_int_equal(count, 4);
	check_counts(once, 4, count);
}

static void test_exactly_max_slots_is_not_scaled(void **state)
{
	static const uint32_t weights[] = { 1, 2, 3 };
	int count;

	(void)state;
	count = build(weights, 3, 6);
	assert_int_equal(count, 6);
	check_counts(weights, 3, count);
}

static void test_scale_down_known_results(void **state)
{
	static const struct {
		uint32_t weights[3];
		size_t n, max_slots;
		uint32_t expect[3];
	} cases[] = {
		/* 5/6 of a slot is pinned at 1; 4 seats go 1.6:2.4 -> 2:2 */
		{ { 1, 2, 3 }, 3, 5, { 1, 2, 2 } },
		/* quotas 2.4, 0.8, 0.8: the small two are pinned */
		{ { 3, 1, 1 }, 3, 4, { 2, 1, 1 } },
		/* 1 pinned; 9 seats split 4.5:4.5, tie to the lower index */
		{ { 1, 1000, 1000 }, 3, 10, { 1, 5, 4 } },
		/* 1 pinned, the other takes the rest of the table */
		{ { 1, 65535, 0 }, 3, 1024, { 1, 1023, 0 } },
		/* 512.004 : 511.996 rounds to 512:512, which reduces to 1:1 */
		{ { 65535, 65534, 0 }, 3, 1024, { 1, 1, 0 } },
		/* every weight keeps one slot even at the edge n == max_slots */
		{ { 1, 100, 10000 }, 3, 3, { 1, 1, 1 } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t total = 0;
		size_t j;
		int count;

		for (j = 0; j < cases[i].n; j++)
			total += cases[i].expect[j];
		count = build(cases[i].weights, cases[i].n, cases[i].max_slots);
		if (count != (int)total)
			fail_msg("case %zu: %d slots, want %u", i, count, total);
		assert_true((size_t)count <= cases[i].max_slots);
		check_counts(cases[i].expect, cases[i].n, count);
	}
}

/* Many backends into a small table: the table stays within max_slots,
 * every positive weight keeps a slot, zero weights get none, a heavier
 * backend never gets fewer slots than a lighter one, and the result is
 * within one slot of the exact quota for the backends that were not
 * pinned at one slot. */
static void test_scale_down_properties(void **state)
{
	uint32_t weights[200];
	size_t n = ARRAY_SIZE(weights), max_slots = 256, i, j;
	uint64_t sum = 0;
	int count;

	(void)state;
	for (i = 0; i < n; i++) {
		/* a fixed spread from 0 to a few thousand, with zeros */
		weights[i] = i % 17 == 0 ? 0 : (uint32_t)((i * 7919) % 4001);
		sum += weights[i];
	}
	count = build(weights, n, max_slots);
	assert_in_range(count, 1, max_slots);
	check_table_shape(n, count);
	for (i = 0; i < n; i++) {
		size_t got = count_of(i, count);

		if (!weights[i])
			assert_int_equal(got, 0);
		else
			assert_true(got >= 1);
		for (j = 0; j < n; j++)
			if (weights[i] > weights[j] && got < count_of(j, count))
				fail_msg("weight %u got fewer slots than weight %u", weights[i],
					 weights[j]);
		/* Pinning only ever takes seats from the others, so a
		 * backend gets at most one slot over its plain quota. */
		if (got > 1)
			assert_true(got * sum < (uint64_t)weights[i] * (size_t)count + sum);
	}
}

static void test_smooth_interleaving(void **state)
{
	static const uint32_t five_one[] = { 5, 1 };
	static const uint32_t mixed[] = { 4, 3, 2, 1 };
	static const uint32_t even[] = { 1, 1, 1, 1, 1, 1 };
	/* Worked by hand: each step adds the weights to the running totals,
	 * picks the largest (lowest index on a tie) and takes 10 from it. */
	static const uint32_t mixed_order[] = { 0, 1, 2, 0, 1, 3, 0, 2, 1, 0 };
	int count;

	(void)state;
	count = build(five_one, 2, WEIR_MAX_SLOTS);
	assert_int_equal(count, 6);
	check_counts(five_one, 2, count);
	check_prefixes_smooth(five_one, 2, count);

	count = build(mixed, 4, WEIR_MAX_SLOTS);
	assert_int_equal(count, 10);
	check_counts(mixed, 4, count);
	check_prefixes_smooth(mixed, 4, count);
	assert_memory_equal(table, mixed_order, sizeof(mixed_order));
	assert_true(longest_run(count) < 3);

	count = build(even, 6, WEIR_MAX_SLOTS);
	assert_int_equal(count, 6);
	assert_int_equal(longest_run(count), 1);
}

static void test_invalid_arguments(void **state)
{
	static const uint32_t weights[WEIR_MAX_SLOTS + 1] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(build(weights, 0, 16), -EINVAL);
	assert_int_equal(build(weights, 3, 0), -EINVAL);
	assert_int_equal(build(weights, 3, 2), -EINVAL);
	assert_int_equal(build(NULL, 3, 16), -EINVAL);
	assert_int_equal(slots_build(weights, 3, NULL, 16), -EINVAL);
	/* More backends than the scratch space, even with room in slots[]. */
	assert_int_equal(build(weights, WEIR_MAX_SLOTS + 1, TABLE_SIZE), -EINVAL);
	check_table_shape(3, 0);
	/* The largest allowed n still works. */
	assert_int_equal(build(weights, WEIR_MAX_SLOTS, WEIR_MAX_SLOTS), 6);
}

/* Slow start: linear from the backend's first usable moment, at least 1,
 * all of it at the window's end. */
static void test_ramp(void **state)
{
	const uint64_t s = 1000000000ULL;

	(void)state;
	assert_int_equal(slots_ramp(100, 0, 10 * s), 1);
	assert_int_equal(slots_ramp(100, s, 10 * s), 10);
	assert_int_equal(slots_ramp(100, 5 * s, 10 * s), 50);
	assert_int_equal(slots_ramp(100, 10 * s - 1, 10 * s), 99);
	assert_int_equal(slots_ramp(100, 10 * s, 10 * s), 100);
	assert_int_equal(slots_ramp(100, 20 * s, 10 * s), 100);
	assert_int_equal(slots_ramp(64, 3 * s, 0), 64);
	assert_int_equal(slots_ramp(0, s, 10 * s), 0);
	assert_int_equal(slots_ramp(65535 * 64, 9 * s, 10 * s), 65535 * 64 / 10 * 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_two_three),
		cmocka_unit_test(test_gcd_reduced),
		cmocka_unit_test(test_zero_weights_get_nothing),
		cmocka_unit_test(test_all_zero),
		cmocka_unit_test(test_single_and_equal),
		cmocka_unit_test(test_exactly_max_slots_is_not_scaled),
		cmocka_unit_test(test_scale_down_known_results),
		cmocka_unit_test(test_scale_down_properties),
		cmocka_unit_test(test_smooth_interleaving),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_ramp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
