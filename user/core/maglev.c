// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Weighted Maglev. Every backend walks its own permutation of the table
 * (offset + j * skip mod size, size prime) and claims the first free entry
 * each time it gets a turn, as in the paper. The paper gives every backend
 * one turn per round; here backend i's k-th turn falls due at time
 * (k + 1/2) / weight[i] (the first at 0) and turns are served in that
 * order, earliest first. With equal weights that is the paper's
 * round-robin; in general it hands out max(1, round(T * weight)) turns
 * (Webster's method), so a backend's share tracks its weight to about one
 * entry, and a heap of due times keeps the cost at O(size log n) however
 * skewed the weights are, where one turn per round would cost O(size * n).
 * Everything that could depend on the caller's order (the permutations,
 * tied due times) depends on key bytes instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weir/abi.h"
#include "core/fnv.h"
#include "core/maglev.h"

#define EMPTY UINT32_MAX

/*
 * Keys are hashed with 64-bit FNV-1a, then each of the two values is the
 * MurmurHash3 fmix64 finalizer of that hash xor its own seed: FNV alone
 * mixes poorly when keys differ only in their last byte (neighbouring
 * addresses), fmix64 spreads every bit over the whole word.
 */
#define SEED_OFFSET 0x6d61676c65762d6fULL /* "maglev-o" */
#define SEED_SKIP 0x6d61676c65762d73ULL /* "maglev-s" */

/* One backend while the table is built. */
struct maglev_entry {
	const uint8_t *key;
	size_t key_len;
	uint32_t index; /* into the caller's array */
	uint32_t weight;
	uint32_t pos; /* the next table position this backend will try */
	uint32_t skip;
	uint32_t turns; /* entries claimed so far */
};

static uint64_t fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Key bytes in memcmp order; a key that is a prefix of another sorts first. */
static int key_cmp(const void *a, const void *b)
{
	const struct maglev_entry *x = a, *y = b;
	size_t len = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, len);

	if (c)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

bool maglev_is_prime(uint32_t v)
{
	uint32_t d;

	if (v < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= v; d++)
		if (v % d == 0)
			return false;
	return true;
}

size_t maglev_scratch_size(size_t n)
{
	if (n > MAGLEV_SIZE_MAX)
		return 0;
	/* The heap of ranks follows the entries, whose size is a multiple
	 * of their (pointer) alignment, so it needs no padding. */
	return n * (sizeof(struct maglev_entry) + sizeof(uint32_t));
}

static bool args_valid(const struct maglev_backend *backends, size_t n, uint32_t size,
		       const uint32_t *table, const void *scratch)
{
	bool any_weight = false;
	size_t i;

	if (!backends || !table || !scratch || !n || n > size)
		return false;
	if (size < MAGLEV_SIZE_MIN || size > MAGLEV_SIZE_MAX || !maglev_is_prime(size))
		return false;
	for (i = 0; i < n; i++) {
		if (!backends[i].key || !backends[i].key_len)
			return false;
		any_weight |= backends[i].weight > 0;
	}
	return any_weight;
}

/* Copies the backends into e[] in key order, so that a backend's rank is
 * the same on every host; false when two keys are equal, as their
 * entries could not be told apart by key. */
static bool sort_by_key(const struct maglev_backend *backends, size_t n, struct maglev_entry *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		e[i] = (struct maglev_entry){
			.key = backends[i].key,
			.key_len = backends[i].key_len,
			.index = (uint32_t)i,
			.weight = backends[i].weight,
		};
	}
	qsort(e, n, sizeof(*e), key_cmp);
	for (i = 1; i < n; i++)
		if (!key_cmp(&e[i - 1], &e[i]))
			return false;
	return true;
}

/* skip in [1, size - 1] with size prime visits every position once. */
static void set_permutation(struct maglev_entry *e, uint32_t size)
{
	uint64_t h = fnv1a64(e->key, e->key_len);

	e->pos = (uint32_t)(fmix64(h ^ SEED_OFFSET) % size);
	e->skip = (uint32_t)(fmix64(h ^ SEED_SKIP) % (size - 1)) + 1;
}

/*
 * Whether rank a's next turn is due before rank b's. Turn k of a backend
 * of weight w is due at (2k + 1) / 2w, except that every first turn is due
 * at 0 so that a positive weight never ends up with no entry. Compared
 * cross-multiplied (below 2^51); the lower rank goes first on a tie.
 */
static bool due_before(const struct maglev_entry *e, uint32_t a, uint32_t b)
{
	uint64_t due_a = e[a].turns ? (2 * (uint64_t)e[a].turns + 1) * e[b].weight : 0;
	uint64_t due_b = e[b].turns ? (2 * (uint64_t)e[b].turns + 1) * e[a].weight : 0;

	return due_a < due_b || (due_a == due_b && a < b);
}

static void sift_down(const struct maglev_entry *e, uint32_t *heap, size_t len, size_t i)
{
	for (;;) {
		size_t first = i, child = 2 * i + 1;
		uint32_t t;

		if (child < len && due_before(e, heap[child], heap[first]))
			first = child;
		if (child + 1 < len && due_before(e, heap[child + 1], heap[first]))
			first = child + 1;
		if (first == i)
			return;
		t = heap[i];
		heap[i] = heap[first];
		heap[first] = t;
		i = first;
	}
}

static void advance(struct maglev_entry *e, uint32_t size)
{
	e->pos += e->skip;
	if (e->pos >= size)
		e->pos -= size;
}

/* One entry per turn; the table is full after exactly size turns. */
static void populate(struct maglev_entry *e, uint32_t *heap, size_t len, uint32_t size,
		     uint32_t *table)
{
	uint32_t filled;

	for (filled = 0; filled < size; filled++) {
		struct maglev_entry *next = &e[heap[0]];

		while (table[next->pos] != EMPTY)
			advance(next, size);
		table[next->pos] = next->index;
		advance(next, size);
		next->turns++;
		sift_down(e, heap, len, 0);
	}
}

int maglev_build(const struct maglev_backend *backends, size_t n, uint32_t size, uint32_t *table,
		 void *scratch)
{
	struct maglev_entry *e = scratch;
	uint32_t *heap;
	size_t i, len = 0;

	if (!args_valid(backends, n, size, table, scratch) || !sort_by_key(backends, n, e))
		return -EINVAL;
	heap = (uint32_t *)(e + n);
	/* Zero weights never come due, so they stay out of the heap. */
	for (i = 0; i < n; i++) {
		if (!e[i].weight)
			continue;
		set_permutation(&e[i], size);
		heap[len++] = (uint32_t)i;
	}
	for (i = len / 2; i-- > 0;)
		sift_down(e, heap, len, i);
	for (i = 0; i < size; i++)
		table[i] = EMPTY;
	populate(e, heap, len, size, table);
	return 0;
}

void maglev_count(const uint32_t *table, uint32_t size, uint32_t *counts, size_t n)
{
	uint32_t i;

	memset(counts, 0, n * sizeof(*counts));
	for (i = 0; i < size; i++)
		if (table[i] < n)
			counts[table[i]]++;
}

size_t maglev_addr_key(uint8_t family, const uint8_t addr[16], uint8_t key[MAGLEV_ADDR_KEY_MAX])
{
	size_t len = family == WEIR_AF_INET ? 4 : 16;

	key[0] = family;
	memcpy(key + 1, addr, len);
	return len + 1;
}
