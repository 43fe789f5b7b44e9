// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Frames for the BPF tests; see packet.h. Fields are written through the
 * kernel's own header structs so the layout cannot drift from what the
 * balancer parses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "weir/abi.h"
#include "weir/csum.h"
#include "packet.h"

#define VLAN_HLEN 4
#define HBH_LEN 8

const __u8 pkt_client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const __u8 pkt_lb_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

void pkt_set_addr(__u8 out[16], __u8 family, const char *text)
{
	int af = family == WEIR_AF_INET6 ? AF_INET6 : AF_INET;

	memset(out, 0, 16);
	assert_int_equal(inet_pton(af, text, out), 1);
}

static __be32 ipv4_addr(const char *text)
{
	__u8 addr[16];
	__be32 out;

	pkt_set_addr(addr, WEIR_AF_INET, text);
	memcpy(&out, addr, sizeof(out));
	return out;
}

static __u32 l4_header_len(__u8 proto)
{
	if (proto == IPPROTO_TCP)
		return sizeof(struct tcphdr);
	if (proto == IPPROTO_UDP)
		return sizeof(struct udphdr);
	return 8; /* ICMP echo: type, code, checksum, id, sequence */
}

static __u32 put_eth(struct pkt *p, const struct pkt_spec *s)
{
	struct ethhdr *eth = (struct ethhdr *)p->data;
	__be16 type = htons(s->family == WEIR_AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
	__be16 tci = htons(s->vlan_id);

	memcpy(eth->h_dest, pkt_lb_mac, ETH_ALEN);
	memcpy(eth->h_source, pkt_client_mac, ETH_ALEN);
	if (!s->vlan_id) {
		eth->h_proto = type;
		return ETH_HLEN;
	}
	eth->h_proto = htons(ETH_P_8021Q);
	memcpy(p->data + ETH_HLEN, &tci, 2);
	memcpy(p->data + ETH_HLEN + 2, &type, 2);
	return ETH_HLEN + VLAN_HLEN;
}

void pkt_ipv4_csum(struct pkt *p)
{
	struct iphdr *ip = (struct iphdr *)(p->data + p->l3_off);

	ip->check = 0;
	ip->check = htons(weir_csum(ip, ip->ihl * 4, 0));
}

static __u32 put_ipv4(struct pkt *p, const struct pkt_spec *s, __u32 l4_len)
{
	struct iphdr *ip = (struct iphdr *)(p->data + p->l3_off);
	__u32 hlen = sizeof(*ip) + s->ip_options_len;

	ip->version = 4;
	ip->ihl = hlen / 4;
	ip->tot_len = htons(hlen + l4_len);
	ip->id = htons(0x1234);
	ip->frag_off = htons(s->frag_off);
	ip->ttl = 64;
	ip->protocol = s->proto;
	ip->saddr = ipv4_addr(s->src);
	ip->daddr = ipv4_addr(s->dst);
	memset(ip + 1, 1, s->ip_options_len); /* IPOPT_NOOP */
	return hlen;
}

static __u32 put_ipv6(struct pkt *p, const struct pkt_spec *s, __u32 l4_len)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)(p->data + p->l3_off);
	__u8 *hbh = (__u8 *)(ip6 + 1);

	ip6->version = 6;
	ip6->payload_len = htons(l4_len + (s->hop_by_hop ? HBH_LEN : 0));
	ip6->nexthdr = s->hop_by_hop ? 0 : s->proto;
	ip6->hop_limit = 64;
	pkt_set_addr(ip6->saddr.s6_addr, WEIR_AF_INET6, s->src);
	pkt_set_addr(ip6->daddr.s6_addr, WEIR_AF_INET6, s->dst);
	if (!s->hop_by_hop)
		return sizeof(*ip6);
	/* next header, length 0 (8 bytes), one PadN option of 4 zero bytes */
	hbh[0] = s->proto;
	hbh[2] = 1;
	hbh[3] = 4;
	return sizeof(*ip6) + HBH_LEN;
}

static void put_l4(struct pkt *p, const struct pkt_spec *s)
{
	__u8 *l4 = p->data + p->l4_off;
	struct tcphdr *tcp = (struct tcphdr *)l4;
	struct udphdr *udp = (struct udphdr *)l4;

	if (s->proto == IPPROTO_TCP) {
		tcp->source = htons(s->sport);
		tcp->dest = htons(s->dport);
		tcp->seq = htonl(0x01020304);
		tcp->ack_seq = s->tcp_flags & PKT_ACK ? htonl(0x0a0b0c0d) : 0;
		l4[12] = 5 << 4; /* doff */
		l4[13] = s->tcp_flags;
		tcp->window = htons(65535);
	} else if (s->proto == IPPROTO_UDP) {
		udp->source = htons(s->sport);
		udp->dest = htons(s->dport);
		udp->len = htons(p->len - p->l4_off);
	} else if (s->quote) {
		__be16 mtu = htons(s->icmp_mtu);

		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		memcpy(l4 + 6, &mtu, 2); /* both v4 frag-needed and v6 too-big */
	} else {
		l4[0] = s->family == WEIR_AF_INET6 ? 128 : 8; /* echo request */
	}
}

/* What an ICMP error quotes: the datagram's IP header and 8 L4 bytes. */
static __u32 quoted_bytes(const struct pkt_spec *s, __u8 *out)
{
	struct pkt q;
	__u32 len;

	pkt_build(&q, s);
	len = q.l4_off - q.l3_off + 8;
	memcpy(out, q.data + q.l3_off, len);
	return len;
}

/* The pseudo-header sum covers the addresses, protocol and L4 length. */
static __u32 pseudo_sum(const struct pkt *p, const struct pkt_spec *s)
{
	__u32 len = p->len - p->l4_off;
	__u8 src[16], dst[16];

	pkt_set_addr(src, s->family, s->src);
	pkt_set_addr(dst, s->family, s->dst);
	return weir_csum_pseudo(src, dst, s->family == WEIR_AF_INET6 ? 16 : 4, s->proto, len);
}

static void put_l4_csum(struct pkt *p, const struct pkt_spec *s)
{
	__u8 *l4 = p->data + p->l4_off;
	__u32 len = p->len - p->l4_off;
	__u32 sum = 0;
	size_t at = 2; /* ICMP */
	__u16 csum;

	if (s->proto == IPPROTO_TCP)
		at = offsetof(struct tcphdr, check);
	else if (s->proto == IPPROTO_UDP)
		at = offsetof(struct udphdr, check);
	if (s->proto != IPPROTO_ICMP)
		sum = pseudo_sum(p, s);
	csum = htons(weir_csum(l4, len, sum));
	memcpy(l4 + at, &csum, 2);
}

void pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	__u8 quoted[PKT_MAX];
	__u32 quoted_len = s->quote ? quoted_bytes(s->quote, quoted) : 0;
	__u32 l4_len = l4_header_len(s->proto) + s->payload_len + quoted_len;
	__u32 i;

	memset(p, 0, sizeof(*p));
	p->l3_off = put_eth(p, s);
	if (s->family == WEIR_AF_INET6)
		p->l4_off = p->l3_off + put_ipv6(p, s, l4_len);
	else
		p->l4_off = p->l3_off + put_ipv4(p, s, l4_len);
	p->l4_end = p->l4_off + l4_header_len(s->proto);
	p->len = p->l4_off + l4_len;
	assert_true(p->len <= PKT_MAX);
	for (i = p->l4_end; i < p->len; i++)
		p->data[i] = (__u8)(i ^ 0x5a); /* payload bytes that differ */
	memcpy(p->data + p->l4_end, quoted, quoted_len);
	put_l4(p, s);
	put_l4_csum(p, s);
	if (s->family != WEIR_AF_INET6)
		pkt_ipv4_csum(p);
}

/* An ARP request, broadcast as a client would send it. */
void pkt_build_arp(struct pkt *p, const char *sender, const char *target)
{
	static const __u8 arp_head[8] = { 0, 1, 0x08, 0, 6, 4, 0, 1 };
	__u8 *arp = p->data + ETH_HLEN;
	struct ethhdr *eth = (struct ethhdr *)p->data;
	__be32 addr;

	memset(p, 0, sizeof(*p));
	memset(eth->h_dest, 0xff, ETH_ALEN);
	memcpy(eth->h_source, pkt_client_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_ARP);
	memcpy(arp, arp_head, sizeof(arp_head));
	memcpy(arp + 8, pkt_client_mac, ETH_ALEN);
	addr = ipv4_addr(sender);
	memcpy(arp + 14, &addr, 4);
	addr = ipv4_addr(target);
	memcpy(arp + 24, &addr, 4);
	p->l3_off = ETH_HLEN;
	p->len = 60; /* padded to the Ethernet minimum, as on the wire */
}
