/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Header parsing. Each helper checks bounds where it uses the pointer and
 * returns 0 or a negative WEIR_DROP_* reason. */
#ifndef WEIR_BPF_PARSE_H
#define WEIR_BPF_PARSE_H

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMP 1
#define IPPROTO_ICMPV6 58
#define ICMP_DEST_UNREACH 3
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_TTL 64 /* of the IP headers the balancer writes: Linux's default */
#define IP_OFFSET 0x1FFF

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

struct cursor {
	void *pos;
	void *end;
	__u32 l3_off; /* where the IP header starts */
	__u32 l4_len; /* L4 bytes the IP header claims */
};

/* vmlinux.h need not carry the kernel's vlan_hdr, so spell the tag out. */
struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* What the balancer needs of a packet: its 5-tuple, TCP flags, lengths,
 * and where its headers are (a refusal reply is written over them). No
 * pointers: it is passed to the global functions (verified on their own),
 * which take plain memory. */
struct packet {
	struct weir_stream_key key;
	__u32 service_id; /* its service, once found ... */
	__u32 refuse_interval_ns; /* ... and what a refusal does */
	__u8 refuse;
	__u8 has_service;
	__u8 df; /* IPv4: don't fragment */
	__u8 pad;
	__u32 len; /* the frame */
	__u32 ip_len; /* the IP datagram: what rates count */
	__u32 tcp_seq, tcp_ack; /* host order */
	__u16 l3_off, l4_off;
	__u16 l4_payload; /* TCP payload bytes */
	__u16 class_id; /* its class, once known; WEIR_CLASS_NONE */
	__u8 tcp_flags;
	__u8 dscp;
	/* An ICMP error about a stream: key is that stream's, taken from the
	 * quoted datagram with source and destination swapped back. */
	__u8 icmp_error;
	__u16 mtu; /* WEIR_DROP_TOO_BIG: the largest datagram that fits */
	__u32 hash; /* its stream's weir_hash_stream(), once known; 0: not yet */
};

static __always_inline int parse_eth(struct cursor *c, struct packet *p, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_tag *vlan;

	if ((void *)(eth + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	/* DSR makes the frame's destination our MAC's source: only frames
	 * sent to us, never broadcast or multicast ones, may be forwarded. */
	if (eth->h_dest[0] & 1)
		return -WEIR_DROP_NOT_UNICAST;
	c->pos = eth + 1;
	c->l3_off = sizeof(*eth);
	*proto = eth->h_proto;
	if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
		return 0;
	/* One tag only: the tag stays in place, DSR rewrites MACs alone. */
	vlan = c->pos;
	if ((void *)(vlan + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	c->pos = vlan + 1;
	c->l3_off += sizeof(*vlan);
	*proto = vlan->encapsulated_proto;
	return 0;
}

/* The IP header's own length fields are checked against the frame: a
 * frame shorter than its datagram is truncated; a datagram too short for
 * its headers is malformed. Longer frames are fine (Ethernet padding). */
static __always_inline int parse_ipv4(struct cursor *c, struct packet *p)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, total;

	if ((void *)(ip + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (ip->version != 4 || ip->ihl < 5)
		return -WEIR_DROP_MALFORMED;
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end)
		return -WEIR_DROP_TRUNCATED;
	total = bpf_ntohs(ip->tot_len);
	if (total < hlen)
		return -WEIR_DROP_MALFORMED;
	if (total > p->len - c->l3_off)
		return -WEIR_DROP_TRUNCATED;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -WEIR_DROP_FRAGMENT;
	p->key.family = WEIR_AF_INET;
	p->key.proto = ip->protocol;
	__builtin_memcpy(p->key.src, &ip->saddr, 4);
	__builtin_memcpy(p->key.dst, &ip->daddr, 4);
	p->ip_len = total;
	p->dscp = ip->tos >> 2;
	p->df = !!(ip->frag_off & bpf_htons(IP_DF));
	c->pos += hlen;
	c->l4_len = total - hlen;
	return 0;
}

static __always_inline int ipv6_is_extension(__u8 next)
{
	/* hop-by-hop, routing, fragment, ESP, AH, destination options, mobility */
	return next == 0 || next == 43 || next == 44 || next == 50 || next == 51 || next == 60 ||
	       next == 135;
}

static __always_inline int parse_ipv6(struct cursor *c, struct packet *p)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (ip6->version != 6)
		return -WEIR_DROP_MALFORMED;
	if (bpf_ntohs(ip6->payload_len) > p->len - c->l3_off - sizeof(*ip6))
		return -WEIR_DROP_TRUNCATED;
	if (ipv6_is_extension(ip6->nexthdr))
		return -WEIR_DROP_IPV6_EXT;
	p->key.family = WEIR_AF_INET6;
	p->key.proto = ip6->nexthdr;
	__builtin_memcpy(p->key.src, &ip6->saddr, 16);
	__builtin_memcpy(p->key.dst, &ip6->daddr, 16);
	c->pos = ip6 + 1;
	c->l4_len = bpf_ntohs(ip6->payload_len);
	p->ip_len = c->l4_len + sizeof(*ip6);
	p->dscp = (ip6->priority << 2) | (ip6->flow_lbl[0] >> 6);
	return 0;
}

static __always_inline int parse_tcp(struct cursor *c, struct packet *p)
{
	struct tcphdr *tcp = c->pos;

	if ((void *)(tcp + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*tcp) || tcp->doff < 5 || tcp->doff * 4 > c->l4_len)
		return -WEIR_DROP_MALFORMED;
	p->key.sport = tcp->source;
	p->key.dport = tcp->dest;
	p->tcp_flags = ((__u8 *)tcp)[13];
	p->tcp_seq = bpf_ntohl(tcp->seq);
	p->tcp_ack = bpf_ntohl(tcp->ack_seq);
	p->l4_payload = c->l4_len - tcp->doff * 4;
	return 0;
}

static __always_inline int parse_udp(struct cursor *c, struct packet *p)
{
	struct udphdr *udp = c->pos;

	if ((void *)(udp + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*udp) || bpf_ntohs(udp->len) < sizeof(*udp) ||
	    bpf_ntohs(udp->len) > c->l4_len)
		return -WEIR_DROP_MALFORMED;
	p->key.sport = udp->source;
	p->key.dport = udp->dest;
	return 0;
}

/* The quoted datagram of an ICMP error went from the VIP (a backend's DSR
 * reply) to the client: its reversed 5-tuple is the client's stream. Only
 * the ports of its L4 header are read; RFC 792 quotes at least 8 bytes.
 * need: the error's bytes up to the ports' end, which must lie within its
 * datagram, not in the frame's padding past it. */
static __always_inline int parse_quoted_ports(struct cursor *c, struct packet *p, __be16 *ports,
					      __u32 need, __u8 proto)
{
	if ((void *)(ports + 2) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (need > c->l4_len)
		return -WEIR_DROP_MALFORMED;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -WEIR_DROP_NOT_SERVICE;
	p->key.proto = proto;
	p->key.sport = ports[1];
	p->key.dport = ports[0];
	p->icmp_error = 1;
	return 0;
}

/* An error is for the VIP that sent the datagram it quotes: addressed to
 * anything else, it is not a backend's to see (none holds that address).
 * Compared before the key's addresses become the quoted ones. */
static __always_inline int icmp_to_sender4(const struct packet *p, const struct iphdr *in)
{
	__u32 dst;

	__builtin_memcpy(&dst, p->key.dst, sizeof(dst));
	return dst == in->saddr;
}

static __always_inline int icmp_to_sender6(const struct packet *p, const struct ipv6hdr *in)
{
	__u64 dst[2], src[2];

	__builtin_memcpy(dst, p->key.dst, sizeof(dst));
	__builtin_memcpy(src, &in->saddr, sizeof(src));
	return dst[0] == src[0] && dst[1] == src[1];
}

/* Destination unreachable (fragmentation needed among them) about a
 * stream. Other ICMP is not ours: it passes. */
static __always_inline int parse_icmp4_error(struct cursor *c, struct packet *p)
{
	struct icmphdr *icmp = c->pos;
	struct iphdr *in;
	__u32 hlen;
	int ret, to_sender;

	if ((void *)(icmp + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*icmp))
		return -WEIR_DROP_MALFORMED;
	if (icmp->type != ICMP_DEST_UNREACH)
		return -WEIR_DROP_NOT_SERVICE;
	in = (void *)(icmp + 1);
	if ((void *)(in + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*icmp) + sizeof(*in))
		return -WEIR_DROP_MALFORMED;
	if (in->version != 4 || in->ihl < 5)
		return -WEIR_DROP_MALFORMED;
	if (in->frag_off & bpf_htons(IP_OFFSET))
		return -WEIR_DROP_FRAGMENT;
	hlen = in->ihl * 4;
	to_sender = icmp_to_sender4(p, in);
	__builtin_memcpy(p->key.src, &in->daddr, 4);
	__builtin_memcpy(p->key.dst, &in->saddr, 4);
	ret = parse_quoted_ports(c, p, (void *)in + hlen, sizeof(*icmp) + hlen + 4, in->protocol);
	return ret ? ret : to_sender ? 0 : -WEIR_DROP_NOT_SERVICE;
}

/* Destination unreachable and packet too big (path MTU) about a stream. */
static __always_inline int parse_icmp6_error(struct cursor *c, struct packet *p)
{
	struct icmp6hdr *icmp = c->pos;
	struct ipv6hdr *in;
	int ret, to_sender;

	if ((void *)(icmp + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*icmp))
		return -WEIR_DROP_MALFORMED;
	if (icmp->icmp6_type != ICMPV6_DEST_UNREACH && icmp->icmp6_type != ICMPV6_PKT_TOOBIG)
		return -WEIR_DROP_NOT_SERVICE;
	in = (void *)(icmp + 1);
	if ((void *)(in + 1) > c->end)
		return -WEIR_DROP_TRUNCATED;
	if (c->l4_len < sizeof(*icmp) + sizeof(*in))
		return -WEIR_DROP_MALFORMED;
	if (in->version != 6)
		return -WEIR_DROP_MALFORMED;
	to_sender = icmp_to_sender6(p, in);
	__builtin_memcpy(p->key.src, &in->daddr, 16);
	__builtin_memcpy(p->key.dst, &in->saddr, 16);
	ret = parse_quoted_ports(c, p, (void *)(in + 1), sizeof(*icmp) + sizeof(*in) + 4,
				 in->nexthdr);
	return ret ? ret : to_sender ? 0 : -WEIR_DROP_NOT_SERVICE;
}

static __always_inline int parse_l4(struct cursor *c, struct packet *p)
{
	if (p->key.proto == IPPROTO_TCP)
		return parse_tcp(c, p);
	if (p->key.proto == IPPROTO_UDP)
		return parse_udp(c, p);
	if (p->key.proto == IPPROTO_ICMP && p->key.family == WEIR_AF_INET)
		return parse_icmp4_error(c, p);
	if (p->key.proto == IPPROTO_ICMPV6 && p->key.family == WEIR_AF_INET6)
		return parse_icmp6_error(c, p);
	return -WEIR_DROP_NOT_SERVICE;
}

static __always_inline int parse_packet(struct xdp_md *ctx, struct packet *p)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__be16 proto;
	int ret;

	p->len = c.end - c.pos;
	p->class_id = WEIR_CLASS_NONE;
	ret = parse_eth(&c, p, &proto);
	if (ret)
		return ret;
	p->l3_off = c.l3_off;
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(&c, p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(&c, p);
	else
		return -WEIR_DROP_NOT_IP;
	if (ret)
		return ret;
	p->l4_off = c.pos - (void *)(long)ctx->data;
	return parse_l4(&c, p);
}

#endif
