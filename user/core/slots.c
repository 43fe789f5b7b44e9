// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Backend weights -> slot table: reduce, scale down if needed, then
 * interleave with smooth weighted round-robin so that any window of the
 * table is close to the weights, not only the full pass. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "weir/abi.h"
#include "core/slots.h"

/* Scratch lives on the stack (no allocation); the data plane's table has
 * WEIR_MAX_SLOTS entries, so no service can have more backends than that. */
#define SLOTS_MAX_BACKENDS WEIR_MAX_SLOTS

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Divides shares by their gcd; returns their new sum, 0 if none is positive. */
static uint64_t reduce_shares(uint32_t *share, size_t n)
{
	uint64_t g = 0, sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		g = gcd64(share[i], g);
	if (!g)
		return 0;
	for (i = 0; i < n; i++) {
		share[i] /= g;
		sum += share[i];
	}
	return sum;
}

/*
 * Weights whose exact quota is below one slot are pinned at one; that slot
 * is taken from the pool and the rest re-share what is left. Pinning one
 * weight lowers the quota of the others, so repeat until nothing changes.
 * Marks pinned entries in pinned[] and shrinks *seats and *sum to the pool
 * left for the unpinned ones.
 */
static void pin_small_shares(uint32_t *share, bool *pinned, size_t n, uint64_t *seats,
			     uint64_t *sum)
{
	bool changed = true;
	size_t i;

	while (changed) {
		changed = false;
		for (i = 0; i < n; i++) {
			if (!share[i] || pinned[i] || share[i] * *seats >= *sum)
				continue;
			*sum -= share[i];
			*seats -= 1;
			share[i] = 1;
			pinned[i] = true;
			changed = true;
		}
	}
}

/* Hamilton's method: floors first, then one extra seat to each of the
 * largest remainders (lowest index wins a tie, so the result is stable). */
static void share_largest_remainder(uint32_t *share, const bool *pinned, size_t n, uint64_t seats,
				    uint64_t sum)
{
	uint64_t remainder[SLOTS_MAX_BACKENDS];
	uint64_t left = seats;
	size_t i, best;

	for (i = 0; i < n; i++) {
		remainder[i] = 0;
		if (!share[i] || pinned[i])
			continue;
		remainder[i] = share[i] * seats % sum;
		share[i] = (uint32_t)(share[i] * seats / sum);
		left -= share[i];
	}
	/* The remainders add up to left * sum, each below sum, so at least
	 * left of them are positive. */
	while (left--) {
		best = 0;
		for (i = 1; i < n; i++)
			if (remainder[i] > remainder[best])
				best = i;
		share[best]++;
		remainder[best] = 0;
	}
}

/* Returns the new sum, at most seats. */
static uint64_t scale_shares(uint32_t *share, size_t n, uint64_t sum, uint64_t seats)
{
	bool pinned[SLOTS_MAX_BACKENDS] = { false };

	pin_small_shares(share, pinned, n, &seats, &sum);
	/* sum is 0 when every positive weight ended up pinned. */
	if (sum)
		share_largest_remainder(share, pinned, n, seats, sum);
	/* Scaling can leave a common factor (e.g. 512:512); drop it too. */
	return reduce_shares(share, n);
}

/* Smooth weighted round-robin (nginx): each step every entry gains its
 * share, the richest is picked and pays the total. */
static void interleave(const uint32_t *share, size_t n, uint64_t total, uint32_t *slots)
{
	int64_t current[SLOTS_MAX_BACKENDS] = { 0 };
	size_t i, best, step;

	for (step = 0; step < total; step++) {
		best = n;
		for (i = 0; i < n; i++) {
			if (!share[i])
				continue;
			current[i] += share[i];
			if (best == n || current[i] > current[best])
				best = i;
		}
		current[best] -= (int64_t)total;
		slots[step] = (uint32_t)best;
	}
}

int slots_build(const uint32_t *weights, size_t n, uint32_t *slots, size_t max_slots)
{
	uint32_t share[SLOTS_MAX_BACKENDS];
	/* The count is returned as an int. */
	uint64_t seats = max_slots < INT_MAX ? max_slots : INT_MAX;
	uint64_t total;

	if (!weights || !slots || !n || !max_slots || n > max_slots || n > SLOTS_MAX_BACKENDS)
		return -EINVAL;
	memcpy(share, weights, n * sizeof(*share));
	total = reduce_shares(share, n);
	if (total > seats)
		total = scale_shares(share, n, total, seats);
	interleave(share, n, total, slots);
	return (int)total;
}

uint32_t slots_ramp(uint32_t weight, uint64_t elapsed_ns, uint64_t window_ns)
{
	uint64_t w;

	if (!weight || elapsed_ns >= window_ns)
		return weight;
	w = (uint64_t)weight * elapsed_ns / window_ns;
	return w ? (uint32_t)w : 1;
}
