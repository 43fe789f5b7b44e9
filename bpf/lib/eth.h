/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Ethernet header of a frame the balancer sends: back where it came
 * from (refusal replies) or on to a backend's next hop (IP-in-IP). */
#ifndef WEIR_BPF_ETH_H
#define WEIR_BPF_ETH_H

#define ETH_ALEN 6
#define ETH_HLEN 14
#define VLAN_HLEN 4

/* The frame goes back: to the client's MAC, from ours. */
static __always_inline void eth_swap_macs(struct ethhdr *eth)
{
	__u8 mac[ETH_ALEN];

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
}

/* An Ethernet header and the one VLAN tag parse_eth accepts. */
struct eth_head {
	__u8 dst[ETH_ALEN], src[ETH_ALEN];
	__be16 proto_or_tpid;
	__be16 tci, proto; /* VLAN only */
};

/*
 * Grows the frame at the front by grow bytes, for headers to go between
 * the Ethernet header and the IP header at l3, and writes the Ethernet
 * header (and VLAN tag) again at the new front: from us (the frame's old
 * destination) to `to`, or back to its sender when to is NULL.
 */
static __always_inline int eth_push(struct xdp_md *ctx, __u32 l3, __u32 grow, const __u8 *to)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct eth_head in, *out;

	if (l3 > ETH_HLEN + VLAN_HLEN || data + sizeof(in) > end)
		return -1;
	__builtin_memcpy(&in, data, sizeof(in));
	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	out = (void *)(long)ctx->data;
	if ((void *)(out + 1) > (void *)(long)ctx->data_end)
		return -1;
	__builtin_memcpy(out->dst, to ? to : in.src, ETH_ALEN);
	__builtin_memcpy(out->src, in.dst, ETH_ALEN);
	out->proto_or_tpid = in.proto_or_tpid;
	if (l3 > ETH_HLEN) {
		out->tci = in.tci;
		out->proto = in.proto;
	}
	return 0;
}

#endif
