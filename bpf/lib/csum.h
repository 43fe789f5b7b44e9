/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Checksums of the headers the balancer writes, summed by bpf_csum_diff. */
#ifndef WEIR_BPF_CSUM_H
#define WEIR_BPF_CSUM_H

/* The Internet checksum of a sum bpf_csum_diff returned. */
static __always_inline __u16 csum_fold(__s64 sum)
{
	__u64 s = (__u32)sum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~(__u16)s;
}

/* An IPv4 header without options, its check field zero. */
static __always_inline __u16 csum_ipv4_header(const struct iphdr *ip)
{
	return csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
}

#endif
