/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hash of a stream's 5-tuple that Maglev steering indexes its table
 * with. It must be the same on every host, so that hosts behind ECMP pick
 * the same backend for a stream none of them has seen: a fixed seed, a
 * fixed mix (murmur3's 32-bit body and finaliser), no per-boot secret.
 * Compiled into the BPF program and into user space alike.
 */
#ifndef WEIR_HASH_H
#define WEIR_HASH_H

#include "weir/abi.h"
#include "weir/counts.h" /* WEIR_INLINE */

#define WEIR_HASH_SEED 0x77656972U /* "weir" */

WEIR_INLINE __u32 weir_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* The key's bytes as 32-bit words: the family and protocol bytes and the
 * zeroed padding included, so IPv4 and IPv6 never share a hash by layout. */
WEIR_INLINE __u32 weir_hash_stream(const struct weir_stream_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = WEIR_HASH_SEED, k;
	int i;

#ifdef __bpf__
#pragma unroll
#endif
	for (i = 0; i < (int)(sizeof(*key) / 4); i++) {
		k = w[i] * 0xcc9e2d51U;
		k = weir_rotl32(k, 15) * 0x1b873593U;
		h = weir_rotl32(h ^ k, 13) * 5 + 0xe6546b64U;
	}
	h ^= sizeof(*key);
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	return h ^ (h >> 16);
}

#endif
