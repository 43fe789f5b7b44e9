/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Internet checksum (RFC 1071) for user space: what weir check and the
 * test tools write into the packets they build, and what tests verify of
 * the packets the data plane writes (the BPF side uses bpf_csum_diff). */
#ifndef WEIR_CSUM_H
#define WEIR_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* The one's complement of the one's complement sum of data, plus sum (a
 * pseudo-header's words, already added up), in host order: htons() it to
 * store it; over data that holds its checksum it is 0. */
static inline uint16_t weir_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
