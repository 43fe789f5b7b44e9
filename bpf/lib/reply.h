/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Refusal replies (--refuse reset): a TCP RST from the VIP, or an ICMP /
 * ICMPv6 port unreachable for UDP (a connected socket sees ECONNREFUSED),
 * written over the refused packet and sent back where it came from
 * (XDP_TX), so clients fail at once instead of retrying for seconds. Paced
 * per service and CPU: a flood of refused SYNs from spoofed sources gets
 * a bounded trickle of replies, not a reflection.
 */
#ifndef WEIR_BPF_REPLY_H
#define WEIR_BPF_REPLY_H

#define REPLY_BURST_NS 100000000ULL /* a burst of 100 ms of replies may go at once */
#define ICMP_PORT_UNREACH 3
#define ICMPV6_PORT_UNREACH 4

/* The service's reply pace on this CPU. */
static __always_inline struct weir_limiter *reply_limiter(const struct packet *p)
{
	__u32 id = p->service_id;

	return bpf_map_lookup_elem(&weir_limiter, &id);
}

/* Virtual scheduling: a reply is due every interval (0: none), after a
 * burst of REPLY_BURST_NS worth. next_ns: when the next one is due. */
static __always_inline int reply_allowed(__u64 *next_ns, __u64 interval, __u64 now)
{
	__u64 next = *next_ns;

	if (!interval || next > now + REPLY_BURST_NS)
		return 0;
	*next_ns = (next > now ? next : now) + interval;
	return 1;
}

/* Moves the frame's end so it is len bytes long. */
static __always_inline int reply_trim(struct xdp_md *ctx, __u32 len)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__s64 have = end - data;

	/* Keeps clang from folding this into 32-bit pointer arithmetic, which
	 * the verifier refuses. */
	asm volatile("" : "+r"(have));
	return bpf_xdp_adjust_tail(ctx, (int)((__s64)len - have));
}

/* RFC 793: a reset answers an ACK with its ack number as sequence, and
 * anything else (the SYN) with an ACK of what it carried. sum: its
 * pseudo-header's. */
static __always_inline void reply_rst_header(struct tcphdr *tcp, const struct packet *p, __s64 sum)
{
	__u32 len =
		p->l4_payload + !!(p->tcp_flags & TCP_FLAG_SYN) + !!(p->tcp_flags & TCP_FLAG_FIN);

	__builtin_memset(tcp, 0, sizeof(*tcp));
	tcp->source = p->key.dport;
	tcp->dest = p->key.sport;
	tcp->doff = 5;
	tcp->rst = 1;
	if (p->tcp_flags & TCP_FLAG_ACK) {
		tcp->seq = bpf_htonl(p->tcp_ack);
	} else {
		tcp->ack = 1;
		tcp->ack_seq = bpf_htonl(p->tcp_seq + len);
	}
	tcp->check = csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)tcp, sizeof(*tcp), sum));
}

/* The reply's IP header: from the VIP to the client. */
static __always_inline void reply_ipv4_header(struct iphdr *ip, const struct packet *p, __u16 total,
					      __u8 proto, __u16 frag_off)
{
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = bpf_htons(total);
	ip->frag_off = bpf_htons(frag_off);
	ip->ttl = IP_TTL;
	ip->protocol = proto;
	__builtin_memcpy(&ip->saddr, p->key.dst, 4);
	__builtin_memcpy(&ip->daddr, p->key.src, 4);
	ip->check = csum_ipv4_header(ip);
}

static __always_inline void reply_ipv6_header(struct ipv6hdr *ip, const struct packet *p,
					      __u16 payload, __u8 next)
{
	ip->version = 6;
	ip->payload_len = bpf_htons(payload);
	ip->nexthdr = next;
	ip->hop_limit = IP_TTL;
	__builtin_memcpy(&ip->saddr, p->key.dst, 16);
	__builtin_memcpy(&ip->daddr, p->key.src, 16);
}

struct pseudo4 {
	__be32 saddr, daddr;
	__u8 zero, proto;
	__be16 len;
};

static __always_inline __s64 reply_pseudo4(const struct iphdr *ip, __u16 len, __u8 proto)
{
	struct pseudo4 ph = {
		.saddr = ip->saddr,
		.daddr = ip->daddr,
		.proto = proto,
		.len = bpf_htons(len),
	};

	return bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
}

struct pseudo6 {
	__u8 saddr[16], daddr[16];
	__be32 len;
	__u8 zero[3], next;
};

static __always_inline __s64 reply_pseudo6(const struct ipv6hdr *ip, __u32 len, __u8 next)
{
	struct pseudo6 ph = { .len = bpf_htonl(len), .next = next };

	__builtin_memcpy(ph.saddr, &ip->saddr, 16);
	__builtin_memcpy(ph.daddr, &ip->daddr, 16);
	return bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
}

/* The RST (IP and TCP headers, size bytes: a constant, for the copy) is
 * written over the request's IP header, and the frame ends with it. */
static __always_inline int reply_rst_send(struct xdp_md *ctx, const struct packet *p,
					  const void *rst, __u32 size)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 l3 = p->l3_off;
	void *at;

	if (l3 > ETH_HLEN + VLAN_HLEN || data + ETH_HLEN > end)
		return XDP_DROP;
	at = data + l3;
	if (at + size > end)
		return XDP_DROP;
	eth_swap_macs(data);
	__builtin_memcpy(at, rst, size);
	if (reply_trim(ctx, l3 + size))
		return XDP_DROP;
	return XDP_TX;
}

struct rst4 {
	struct iphdr ip;
	struct tcphdr tcp;
};

static __always_inline int reply_rst4(struct xdp_md *ctx, const struct packet *p)
{
	struct rst4 r = {};

	reply_ipv4_header(&r.ip, p, sizeof(r), IPPROTO_TCP, IP_DF);
	reply_rst_header(&r.tcp, p, reply_pseudo4(&r.ip, sizeof(r.tcp), IPPROTO_TCP));
	return reply_rst_send(ctx, p, &r, sizeof(r));
}

struct rst6 {
	struct ipv6hdr ip;
	struct tcphdr tcp;
};

static __always_inline int reply_rst6(struct xdp_md *ctx, const struct packet *p)
{
	struct rst6 r = {};

	reply_ipv6_header(&r.ip, p, sizeof(r.tcp), IPPROTO_TCP);
	reply_rst_header(&r.tcp, p, reply_pseudo6(&r.ip, sizeof(r.tcp), IPPROTO_TCP));
	return reply_rst_send(ctx, p, &r, sizeof(r));
}

/*
 * ICMP errors grow the packet at the front by the new IP and ICMP headers:
 * the request's IP header then sits right where the quoted datagram
 * belongs (it quotes that header and 8 bytes of UDP), and only the
 * Ethernet header is written again, before it. The frame then ends keep
 * bytes after them.
 */
static __always_inline int reply_grow(struct xdp_md *ctx, const struct packet *p, __u32 grow,
				      __u32 keep)
{
	if (eth_push(ctx, p->l3_off, grow, NULL))
		return -1;
	return reply_trim(ctx, p->l3_off + grow + keep) ? -1 : 0;
}

struct icmp4_reply {
	struct iphdr ip;
	struct icmphdr icmp;
};

#define ICMP4_QUOTED_MAX (60 + sizeof(struct udphdr))

/* Destination unreachable (port unreachable, or fragmentation needed with
 * the MTU that fits), quoting the request's IP header and the first 8
 * bytes after it (UDP's header; TCP's ports and sequence number). */
static __always_inline int reply_icmp4(struct xdp_md *ctx, const struct packet *p, __u8 code,
				       __u16 mtu)
{
	__u32 l3 = p->l3_off, quoted = p->l4_off - p->l3_off + sizeof(struct udphdr);
	__u8 body[sizeof(struct icmphdr) + ICMP4_QUOTED_MAX] = {};
	struct icmp4_reply *r;
	void *data, *end;

	if (quoted > ICMP4_QUOTED_MAX || reply_grow(ctx, p, sizeof(*r), quoted))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	r = data + l3;
	if ((void *)(r + 1) > end)
		return XDP_DROP;
	__builtin_memset(r, 0, sizeof(*r));
	reply_ipv4_header(&r->ip, p, sizeof(*r) + quoted, IPPROTO_ICMP, 0);
	r->icmp.type = ICMP_DEST_UNREACH;
	r->icmp.code = code;
	r->icmp.un.frag.mtu = bpf_htons(mtu);
	/* The body's length varies with the quoted header's options: summed
	 * from a zero-padded copy of constant size (zeros add nothing). */
	if (bpf_xdp_load_bytes(ctx, l3 + sizeof(r->ip), body, sizeof(r->icmp) + quoted))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	r = data + l3;
	if ((void *)(r + 1) > end)
		return XDP_DROP;
	r->icmp.checksum = csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)body, sizeof(body), 0));
	return XDP_TX;
}

struct icmp6_reply {
	struct ipv6hdr ip;
	struct icmp6hdr icmp;
};

#define ICMP6_QUOTED (sizeof(struct ipv6hdr) + sizeof(struct udphdr))

/* Port unreachable, or packet too big (type 2) with the MTU that fits. */
static __always_inline int reply_icmp6(struct xdp_md *ctx, const struct packet *p, __u8 type,
				       __u8 code, __u32 mtu)
{
	__u32 l3 = p->l3_off, len = sizeof(struct icmp6hdr) + ICMP6_QUOTED;
	struct icmp6_reply *r;
	void *data, *end;
	__s64 sum;

	if (reply_grow(ctx, p, sizeof(*r), ICMP6_QUOTED))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	r = data + l3;
	if ((void *)(r + 1) + ICMP6_QUOTED > end)
		return XDP_DROP;
	__builtin_memset(r, 0, sizeof(*r));
	reply_ipv6_header(&r->ip, p, len, IPPROTO_ICMPV6);
	r->icmp.icmp6_type = type;
	r->icmp.icmp6_code = code;
	r->icmp.icmp6_dataun.un_data32[0] = bpf_htonl(mtu);
	sum = reply_pseudo6(&r->ip, len, IPPROTO_ICMPV6);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&r->icmp, len, sum);
	r->icmp.icmp6_cksum = csum_fold(sum);
	return XDP_TX;
}

/* The refuse action's reply for the packet, or XDP_DROP. A global
 * function: verified once, not on every path that refuses. */
__noinline int weir_reply(struct xdp_md *ctx, const struct packet *p, __u64 now)
{
	struct weir_limiter *l;

	if (!ctx || !p)
		return XDP_DROP;
	l = reply_limiter(p);
	if (!l || !reply_allowed(&l->next_ns, p->refuse_interval_ns, now))
		return XDP_DROP;
	if (p->key.proto == IPPROTO_TCP) {
		/* a RST is never answered, or two balancers could ping-pong */
		if (p->tcp_flags & TCP_FLAG_RST)
			return XDP_DROP;
		return p->key.family == WEIR_AF_INET ? reply_rst4(ctx, p) : reply_rst6(ctx, p);
	}
	return p->key.family == WEIR_AF_INET
		       ? reply_icmp4(ctx, p, ICMP_PORT_UNREACH, 0)
		       : reply_icmp6(ctx, p, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
}

#define REPLY_TOO_BIG_INTERVAL_NS 10000 /* 100,000 a second per CPU at most */
#define ICMP_FRAG_NEEDED 4
#define IPV6_MIN_MTU 1280

/* A datagram too big to encapsulate: "fragmentation needed" (IPv4 with
 * DF) or "packet too big" (IPv6), so the client's path MTU discovery
 * lowers its size; paced per service and CPU like refusals, but on a pace
 * of its own: a flood of big datagrams must not use up the refusals'
 * replies, nor refusals these. A global function, as weir_reply. */
__noinline int weir_reply_too_big(struct xdp_md *ctx, const struct packet *p, __u64 now)
{
	struct weir_limiter *l;

	/* IPv4 without DF gets no answer: nor does it spend the pace the
	 * datagrams that get one need */
	if (!ctx || !p || (p->key.family == WEIR_AF_INET && !p->df))
		return XDP_DROP;
	l = reply_limiter(p);
	if (!l || !reply_allowed(&l->too_big_next_ns, REPLY_TOO_BIG_INTERVAL_NS, now))
		return XDP_DROP;
	if (p->key.family == WEIR_AF_INET)
		return reply_icmp4(ctx, p, ICMP_FRAG_NEEDED, p->mtu);
	return reply_icmp6(ctx, p, ICMPV6_PKT_TOOBIG, 0,
			   p->mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : p->mtu);
}

#endif
