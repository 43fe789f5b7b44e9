/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IP-in-IP forwarding (--forwarding ipip): the client's datagram, whole,
 * inside an outer IPv4 (protocol 4) or IPv6 (next header 41) header to the
 * backend, sent to the next hop toward it. The backend strips the outer
 * header (bpf/decap.bpf.c, or the kernel's ipip/ip6tnl) and answers the
 * client directly, as under DSR, but across routed hops.
 */
#ifndef WEIR_BPF_ENCAP_H
#define WEIR_BPF_ENCAP_H

/* The outer source: the backend's encap prefix, the rest of its last 32
 * bits from the stream's hash (stable per stream, spread over streams). */
static __always_inline __be32 encap_host_bits(__be32 prefix_word, __u32 bits, __u32 hash)
{
	__u32 mask = bits >= 32 ? ~0U : (1U << bits) - 1;

	return bpf_htonl((bpf_ntohl(prefix_word) & ~mask) | (hash & mask));
}

static __always_inline void encap_ipv4(struct iphdr *ip, const struct packet *p,
				       const struct weir_backend *be, __u32 hash)
{
	__be32 src;
	__u32 plen = be->encap_prefix_len;

	__builtin_memcpy(&src, be->encap_source, 4);
	__builtin_memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = p->dscp << 2;
	ip->tot_len = bpf_htons(p->ip_len + sizeof(*ip));
	ip->frag_off = p->df ? bpf_htons(IP_DF) : 0;
	ip->ttl = IP_TTL;
	ip->protocol = IPPROTO_IPIP;
	ip->saddr = encap_host_bits(src, plen >= 32 ? 0 : 32 - plen, hash);
	__builtin_memcpy(&ip->daddr, be->addr, 4);
	ip->check = csum_ipv4_header(ip);
}

static __always_inline void encap_ipv6(struct ipv6hdr *ip, const struct packet *p,
				       const struct weir_backend *be, __u32 hash)
{
	__u32 plen = be->encap_prefix_len, bits = plen >= 128 ? 0 : 128 - plen;
	__be32 last;

	__builtin_memset(ip, 0, sizeof(*ip));
	ip->version = 6;
	ip->priority = p->dscp >> 2;
	/* the flow label spreads the outer packets over paths and queues too */
	ip->flow_lbl[0] = ((p->dscp & 3) << 6) | ((hash >> 16) & 0x0f);
	ip->flow_lbl[1] = hash >> 8;
	ip->flow_lbl[2] = hash;
	ip->payload_len = bpf_htons(p->ip_len);
	ip->nexthdr = IPPROTO_IPV6;
	ip->hop_limit = IP_TTL;
	__builtin_memcpy(&ip->saddr, be->encap_source, 16);
	__builtin_memcpy(&last, be->encap_source + 12, 4);
	ip->saddr.in6_u.u6_addr32[3] = encap_host_bits(last, bits > 32 ? 32 : bits, hash);
	__builtin_memcpy(&ip->daddr, be->addr, 16);
}

/* Encapsulates and sends the packet to the backend's next hop: XDP_TX, or
 * -WEIR_DROP_TOO_BIG with p->mtu set (the caller answers with ICMP), or
 * XDP_DROP when the frame cannot be grown. A global function: verified
 * once for every path that forwards. */
__noinline int weir_encap(struct xdp_md *ctx, struct packet *p, const struct weir_backend *be)
{
	__u32 l3, grow, hash;
	void *data, *end;

	if (!ctx || !p || !be)
		return XDP_DROP;
	l3 = p->l3_off;
	grow = p->key.family == WEIR_AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	if (p->ip_len + grow > be->encap_mtu) {
		p->mtu = be->encap_mtu > grow ? be->encap_mtu - grow : 0;
		return -WEIR_DROP_TOO_BIG;
	}
	hash = stream_hash(p);
	/* to the next hop toward the backend */
	if (eth_push(ctx, l3, grow, be->mac))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (p->key.family == WEIR_AF_INET) {
		if (data + l3 + sizeof(struct iphdr) > end)
			return XDP_DROP;
		encap_ipv4(data + l3, p, be, hash);
	} else {
		if (data + l3 + sizeof(struct ipv6hdr) > end)
			return XDP_DROP;
		encap_ipv6(data + l3, p, be, hash);
	}
	return XDP_TX;
}

#endif
