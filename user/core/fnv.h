/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* 64-bit FNV-1a: a small hash that is the same on every host (Maglev's
 * backend keys, statsD's name table). */
#ifndef WEIR_FNV_H
#define WEIR_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_OFFSET_BASIS 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x00000100000001b3ULL

static inline uint64_t fnv1a64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = FNV64_OFFSET_BASIS;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

#endif
