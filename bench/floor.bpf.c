// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floors weir's per-packet cost is measured against, built and run in
 * the same process: the least an XDP program can do (pass), the least a
 * forwarder can do (swap MACs, XDP_TX), and the least a stateful balancer
 * can do (parse Ethernet/IP/L4, one hash lookup of the 5-tuple, XDP_TX).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "weir/abi.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_ALEN 6

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct weir_stream_key);
	__type(value, __u32);
} floor_flows SEC(".maps");

SEC("xdp")
int floor_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

SEC("xdp")
int floor_mac_swap(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return XDP_DROP;
	swap_macs(eth);
	return XDP_TX;
}

/* Fills the 5-tuple from IPv4 or IPv6 and the first 4 bytes of L4 (the
 * ports of TCP and UDP alike); returns the L4 header or NULL. */
static __always_inline void *parse_ip(void *pos, void *end, __be16 proto, struct weir_stream_key *k)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = pos;

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return NULL;
		k->family = WEIR_AF_INET;
		k->proto = ip->protocol;
		__builtin_memcpy(k->src, &ip->saddr, 4);
		__builtin_memcpy(k->dst, &ip->daddr, 4);
		return pos + ip->ihl * 4;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = pos;

		if ((void *)(ip6 + 1) > end)
			return NULL;
		k->family = WEIR_AF_INET6;
		k->proto = ip6->nexthdr;
		__builtin_memcpy(k->src, &ip6->saddr, 16);
		__builtin_memcpy(k->dst, &ip6->daddr, 16);
		return ip6 + 1;
	}
	return NULL;
}

SEC("xdp")
int floor_parse_lookup(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct weir_stream_key k = {};
	__be16 *ports;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	ports = parse_ip(eth + 1, end, eth->h_proto, &k);
	if (!ports || (void *)(ports + 2) > end)
		return XDP_PASS;
	k.sport = ports[0];
	k.dport = ports[1];
	if (bpf_map_lookup_elem(&floor_flows, &k))
		swap_macs(eth);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
