/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Internet checksum (RFC 1071) for user space: what weir check and the
 * test tools write into the packets they build, and what tests verify of
 * the packets the data plane writes (the BPF side uses bpf_csum_diff). */
#ifndef WEIR_CSUM_H
#define WEIR_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus data's 16-bit big-endian words, not folded (enough for any
 * datagram: 32 bits hold 65536 words of 0xffff). */
static inline uint32_t weir_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* The one's complement of the one's complement sum of data, plus sum (a
 * pseudo-header's words, already added up), in host order: htons() it to
 * store it; over data that holds its checksum it is 0. */
static inline uint16_t weir_csum(const void *data, size_t len, uint32_t sum)
{
	sum = weir_csum_add(sum, data, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The pseudo-header's sum that TCP, UDP and ICMPv6 checksums cover:
 * source and destination (alen bytes each: 4 for IPv4, 16 for IPv6), the
 * protocol and the L4 length. weir_csum()'s sum. */
static inline uint32_t weir_csum_pseudo(const void *src, const void *dst, size_t alen,
					uint8_t proto, uint32_t len)
{
	return weir_csum_add(weir_csum_add(0, src, alen), dst, alen) + proto + (len >> 16) +
	       (len & 0xffff);
}

#endif
