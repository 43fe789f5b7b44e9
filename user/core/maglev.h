/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Weighted Maglev consistent hashing (Eisenbud et al., NSDI 2016): the
 * lookup table that maps a flow hash to one of a service's backends. Pure:
 * no I/O, no allocation; the caller provides the scratch space. */
#ifndef WEIR_MAGLEV_H
#define WEIR_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The paper's size. One entry is 0.0015% of the traffic, and the paper's
 * rule of at least 100 entries per backend holds up to 655 backends. */
#define MAGLEV_SIZE_DEFAULT 65537U
/* The largest prime below 256. Smaller tables make one entry worth more
 * than 0.4% of the traffic, too coarse for weights to mean much. */
#define MAGLEV_SIZE_MIN 251U
#define MAGLEV_SIZE_MAX 65537U

/*
 * A backend as the table sees it. key is an opaque byte string that names
 * the backend on every host the same way, e.g. the family byte followed by
 * the 4 or 16 address bytes (the family keeps 1.2.3.4 apart from its
 * IPv4-mapped IPv6 form). Only the bytes count, never the array position
 * or the pointer. weight 0 gives the backend no entry.
 */
struct maglev_backend {
	const uint8_t *key;
	size_t key_len;
	uint32_t weight;
};

/* Bytes of scratch maglev_build() needs for n backends (about 44 per
 * backend), or 0 when n is above MAGLEV_SIZE_MAX. */
size_t maglev_scratch_size(size_t n);

/*
 * Fill table[0 .. size - 1] with indexes into backends[]. Each backend's
 * permutation of the table depends only on its key bytes, and ties are
 * broken in key order, so two hosts that list the same backends in any
 * order build the same table once indexes are mapped back to keys.
 * Backend i gets max(1, round(T * weight[i])) entries, T chosen so that
 * they add up to size (Webster's method, with one entry kept for every
 * positive weight), so within about one entry of its exact share
 * size * weight / sum of weights. Equal weights give the paper's
 * round-robin, backends taking their turns in key order. Cost: O(n log n)
 * to sort the keys, then O(size log n) plus the permutation walks, about
 * 5 ms for 100 backends at MAGLEV_SIZE_DEFAULT.
 *
 * scratch: maglev_scratch_size(n) bytes, aligned as malloc() aligns.
 * Returns 0, or -EINVAL (table left untouched) when a pointer is NULL,
 * n is 0 or above size, size is not a prime in [MAGLEV_SIZE_MIN,
 * MAGLEV_SIZE_MAX], a key is NULL or empty, two keys are equal, or every
 * weight is 0.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, uint32_t size, uint32_t *table,
		 void *scratch);

/* counts[i] = entries of table[0 .. size - 1] equal to i, for i < n;
 * entries of n or more are not counted. */
void maglev_count(const uint32_t *table, uint32_t size, uint32_t *counts, size_t n);

bool maglev_is_prime(uint32_t v);

/* weir's key for a backend: its address family byte (2: IPv4, 10: IPv6)
 * then its 4 or 16 address bytes. Returns the key's length. */
#define MAGLEV_ADDR_KEY_MAX 17
size_t maglev_addr_key(uint8_t family, const uint8_t addr[16], uint8_t key[MAGLEV_ADDR_KEY_MAX]);

#endif
