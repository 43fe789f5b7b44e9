// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * weir's decapsulation for backends of an --forwarding ipip service,
 * where the kernel lacks the ipip / ip6_tunnel modules: an IPv4-in-IPv4
 * (protocol 4) or IPv6-in-IPv6 (next header 41) packet loses its outer
 * header before the stack sees it, which then takes the inner datagram,
 * addressed to the VIP on lo, as if it had come as it is. Anything else
 * passes untouched. Installed with `weir decap attach IFACE`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_MAX (ETH_HLEN + 8)
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

enum decap_counter {
	DECAP_IPV4 = 0, /* IPv4-in-IPv4 packets decapsulated */
	DECAP_IPV6 = 1, /* IPv6-in-IPv6 packets decapsulated */
	DECAP_PASSED = 2, /* not ours to decapsulate: passed */
	DECAP_MALFORMED = 3, /* outer or inner header cut short or wrong: passed */
	DECAP_COUNTERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DECAP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} weir_decap_stats SEC(".maps");

static __always_inline int count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&weir_decap_stats, &which);

	if (v)
		*v += 1;
	return XDP_PASS;
}

/* The Ethernet header's length with its VLAN tags (up to two) and the
 * protocol after them; 0 when cut short. */
static __always_inline __u32 eth_len(void *data, void *end, __u16 *proto)
{
	struct ethhdr *eth = data;
	__u32 len = ETH_HLEN;
	__be16 *p;
	int i;

	if ((void *)(eth + 1) > end)
		return 0;
	*proto = bpf_ntohs(eth->h_proto);
	for (i = 0; i < 2 && (*proto == ETH_P_8021Q || *proto == ETH_P_8021AD); i++) {
		p = data + len + 2;
		if ((void *)(p + 1) > end)
			return 0;
		*proto = bpf_ntohs(*p);
		len += 4;
	}
	return len;
}

/* The outer header's length when the packet is ours to decapsulate, 0
 * when it is not, -1 when it is malformed. */
static __always_inline int outer_len(void *data, void *end, __u32 l3, __u16 proto)
{
	if (proto == ETH_P_IP) {
		struct iphdr *ip = data + l3, *inner = (void *)(ip + 1);

		if ((void *)(ip + 1) > end)
			return -1;
		if (ip->protocol != IPPROTO_IPIP || ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return 0;
		/* weir writes no options: an outer header with them is not ours */
		if (ip->ihl != 5 || (void *)(inner + 1) > end || inner->version != 4)
			return -1;
		return sizeof(*ip);
	}
	if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + l3, *inner = (void *)(ip6 + 1);

		if ((void *)(ip6 + 1) > end)
			return -1;
		if (ip6->nexthdr != IPPROTO_IPV6)
			return 0;
		if ((void *)(inner + 1) > end || inner->version != 6)
			return -1;
		return sizeof(*ip6);
	}
	return 0;
}

SEC("xdp")
int weir_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 eth[ETH_MAX] = {};
	__u16 proto = 0;
	__u32 l3 = eth_len(data, end, &proto);
	int outer;

	if (!l3)
		return count(DECAP_MALFORMED);
	outer = outer_len(data, end, l3, proto);
	if (outer <= 0)
		return count(outer < 0 ? DECAP_MALFORMED : DECAP_PASSED);
	/* the Ethernet header moves up over the outer header: the inner
	 * datagram is of the same family, so its protocol field holds */
	if (l3 > ETH_MAX || bpf_xdp_load_bytes(ctx, 0, eth, l3))
		return count(DECAP_MALFORMED);
	if (bpf_xdp_adjust_head(ctx, outer))
		return count(DECAP_MALFORMED);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + ETH_MAX > end)
		return count(DECAP_MALFORMED);
	if (l3 == ETH_HLEN)
		__builtin_memcpy(data, eth, ETH_HLEN);
	else if (l3 == ETH_HLEN + 4)
		__builtin_memcpy(data, eth, ETH_HLEN + 4);
	else
		__builtin_memcpy(data, eth, ETH_MAX);
	return count(proto == ETH_P_IP ? DECAP_IPV4 : DECAP_IPV6);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
