// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Refusal replies (--refuse reset), field by field: a TCP RST from the VIP
 * (RFC 793's sequence rules), ICMP / ICMPv6 port unreachable for UDP
 * quoting the refused datagram, checksums valid, the VLAN tag kept, and
 * the pace per service. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "tests.h"
#include "weir/csum.h"

#define BACKEND 7
#define T0 (1000ULL << WEIR_EPOCH_SHIFT)

/* A service that refuses everything new (no room), with replies. */
static struct weir_service_key refusing(struct lb *lb, const struct pkt_spec *s, __u32 interval)
{
	struct weir_service_key key;
	struct weir_service svc;

	lb_set_time(lb, T0);
	key = lb_scene_for(lb, s, BACKEND);
	lb_set_limits(lb, &key, 0, ~0ULL);
	svc = lb_get_service(lb, &key);
	svc.refuse = WEIR_REFUSE_RESET;
	svc.refuse_interval_ns = interval;
	lb_update_service(lb, &key, &svc);
	return key;
}

static void assert_eth_back(const struct pkt *in, const struct pkt *out)
{
	assert_memory_equal(out->data, in->data + 6, 6); /* to the client */
	assert_memory_equal(out->data + 6, in->data, 6); /* from us */
	assert_memory_equal(out->data + 12, in->data + 12, in->l3_off - 12); /* tag, type */
}

static void check_rst4(const struct pkt *in, const struct pkt *out, __u32 seq, __u32 ack,
		       __u8 flags)
{
	const struct iphdr *ip = (const void *)(out->data + in->l3_off), *rq;
	const struct tcphdr *tcp = (const void *)(ip + 1), *rt;

	rq = (const void *)(in->data + in->l3_off);
	rt = (const void *)(in->data + in->l4_off);
	assert_int_equal(out->len, in->l3_off + 40);
	assert_eth_back(in, out);
	assert_int_equal(ip->version, 4);
	assert_int_equal(ip->ihl, 5);
	assert_int_equal(ntohs(ip->tot_len), 40);
	assert_int_equal(ip->protocol, IPPROTO_TCP);
	assert_int_equal(ip->ttl, 64);
	assert_int_equal(ip->saddr, rq->daddr);
	assert_int_equal(ip->daddr, rq->saddr);
	assert_int_equal(weir_csum(ip, 20, 0), 0);
	assert_int_equal(tcp->source, rt->dest);
	assert_int_equal(tcp->dest, rt->source);
	assert_int_equal(tcp->doff, 5);
	assert_int_equal(((const __u8 *)tcp)[13], flags);
	assert_int_equal(ntohl(tcp->seq), seq);
	assert_int_equal(ntohl(tcp->ack_seq), ack);
	assert_int_equal(
		weir_csum(tcp, 20, weir_csum_pseudo(&ip->saddr, &ip->daddr, 4, IPPROTO_TCP, 20)),
		0);
}

/* A refused SYN: RST+ACK, sequence 0, acknowledging the SYN. */
static void rst_for_syn_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt in, out;

	refusing(*state, &s, 1000000);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	check_rst4(&in, &out, 0, 0x01020304 + 1, PKT_RST | PKT_ACK);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 1);
}

/* The SYN carried data and options: the RST still acknowledges it all,
 * and drops both. */
static void rst_for_syn_with_data_and_options(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt in, out;

	s.payload_len = 100;
	s.ip_options_len = 8;
	s.vlan_id = 12;
	refusing(*state, &s, 1000000);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	check_rst4(&in, &out, 0, 0x01020304 + 1 + 100, PKT_RST | PKT_ACK);
}

/* A segment with an ACK gets a RST with its ack number as sequence. */
static void rst_for_ack(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_service_key key;
	struct weir_service svc;
	struct pkt in, out;

	lb_set_time(*state, T0);
	key = lb_scene_for(*state, &s, BACKEND);
	svc = lb_get_service(*state, &key);
	svc.refuse = WEIR_REFUSE_RESET;
	svc.refuse_interval_ns = 1000000;
	lb_update_service(*state, &key, &svc);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	s.tcp_flags = PKT_ACK;
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX); /* handshake done */
	/* pause it, fill the service: its next segment is refused */
	lb_set_time(*state, T0 + (__u64)svc.pause_epochs * WEIR_EPOCH_NS);
	lb_release_epoch(*state, SVC_ID, T0 >> WEIR_EPOCH_SHIFT);
	lb_set_limits(*state, &key, 0, ~0ULL);
	s.tcp_flags = PKT_ACK | PKT_PSH;
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	check_rst4(&in, &out, 0x0a0b0c0d, 0, PKT_RST);
}

static void rst_for_syn_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	const struct ipv6hdr *ip, *rq;
	const struct tcphdr *tcp;
	struct pkt in, out;

	lb_to_ipv6(&s);
	refusing(*state, &s, 1000000);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	rq = (const void *)(in.data + in.l3_off);
	tcp = (const void *)(ip + 1);
	assert_int_equal(out.len, in.l3_off + 60);
	assert_eth_back(&in, &out);
	assert_int_equal(ip->version, 6);
	assert_int_equal(ntohs(ip->payload_len), 20);
	assert_int_equal(ip->nexthdr, IPPROTO_TCP);
	assert_memory_equal(&ip->saddr, &rq->daddr, 16);
	assert_memory_equal(&ip->daddr, &rq->saddr, 16);
	assert_int_equal(((const __u8 *)tcp)[13], PKT_RST | PKT_ACK);
	assert_int_equal(ntohl(tcp->ack_seq), 0x01020304 + 1);
	assert_int_equal(
		weir_csum(tcp, 20, weir_csum_pseudo(&ip->saddr, &ip->daddr, 16, IPPROTO_TCP, 20)),
		0);
}

static struct pkt_spec udp(void)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	s.proto = IPPROTO_UDP;
	s.dport = 53;
	s.payload_len = 64;
	return s;
}

/* Port unreachable, quoting the refused datagram's IP header and 8 bytes
 * of its UDP header: a connected socket sees ECONNREFUSED. */
static void check_icmp4(struct lb *lb, struct pkt_spec *s)
{
	const struct iphdr *ip, *rq;
	const struct icmphdr *icmp;
	struct pkt in, out;
	__u32 quoted;

	refusing(lb, s, 1000000);
	pkt_build(&in, s);
	quoted = in.l4_off - in.l3_off + 8;
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	rq = (const void *)(in.data + in.l3_off);
	icmp = (const void *)(ip + 1);
	assert_int_equal(out.len, in.l3_off + 28 + quoted);
	assert_eth_back(&in, &out);
	assert_int_equal(ip->version, 4);
	assert_int_equal(ip->ihl, 5);
	assert_int_equal(ntohs(ip->tot_len), 28 + quoted);
	assert_int_equal(ip->protocol, IPPROTO_ICMP);
	assert_int_equal(ip->saddr, rq->daddr);
	assert_int_equal(ip->daddr, rq->saddr);
	assert_int_equal(weir_csum(ip, 20, 0), 0);
	assert_int_equal(icmp->type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp->code, ICMP_PORT_UNREACH);
	assert_memory_equal(icmp + 1, in.data + in.l3_off, quoted);
	assert_int_equal(weir_csum(icmp, 8 + quoted, 0), 0);
}

static void icmp_for_udp_ipv4(void **state)
{
	struct pkt_spec s = udp();

	check_icmp4(*state, &s);
}

static void icmp_for_udp_ipv4_options_vlan(void **state)
{
	struct pkt_spec s = udp();

	s.ip_options_len = 12;
	s.vlan_id = 7;
	check_icmp4(*state, &s);
}

static void icmp_for_udp_ipv6(void **state)
{
	struct pkt_spec s = udp();
	const struct ipv6hdr *ip, *rq;
	const struct icmp6hdr *icmp;
	struct pkt in, out;

	lb_to_ipv6(&s);
	refusing(*state, &s, 1000000);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	rq = (const void *)(in.data + in.l3_off);
	icmp = (const void *)(ip + 1);
	assert_int_equal(out.len, in.l3_off + 40 + 8 + 48);
	assert_eth_back(&in, &out);
	assert_int_equal(ntohs(ip->payload_len), 56);
	assert_int_equal(ip->nexthdr, IPPROTO_ICMPV6);
	assert_memory_equal(&ip->saddr, &rq->daddr, 16);
	assert_memory_equal(&ip->daddr, &rq->saddr, 16);
	assert_int_equal(icmp->icmp6_type, ICMPV6_DEST_UNREACH);
	assert_int_equal(icmp->icmp6_code, ICMPV6_PORT_UNREACH);
	assert_memory_equal(icmp + 1, in.data + in.l3_off, 48);
	assert_int_equal(
		weir_csum(icmp, 56,
			  weir_csum_pseudo(&ip->saddr, &ip->daddr, 16, IPPROTO_ICMPV6, 56)),
		0);
}

/* One reply a second, after a burst of 100 ms worth: the rest are dropped
 * (still counted as refused). */
static void replies_paced(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt out;
	int i, replied = 0;

	refusing(*state, &s, 1000000000U);
	for (i = 0; i < 5; i++) {
		s.sport = 40000 + i;
		replied += lb_send(*state, &s, &out) == XDP_TX;
	}
	assert_int_equal(replied, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).refused, 5);
	lb_set_time(*state, T0 + 1000000000ULL);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
}

/* A refused RST is never answered. */
static void rst_not_answered(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_service_key key;
	struct weir_service svc;
	struct pkt out;

	refusing(*state, &s, 1000000);
	key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	svc = lb_get_service(*state, &key);
	svc.flags |= WEIR_SERVICE_PREEMPT;
	lb_update_service(*state, &key, &svc);
	s.tcp_flags = PKT_RST;
	assert_int_equal(lb_send(*state, &s, &out), XDP_DROP);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 0);
}

static const struct CMUnitTest tests[] = {
	lb_test(rst_for_syn_ipv4),  lb_test(rst_for_syn_with_data_and_options),
	lb_test(rst_for_ack),	    lb_test(rst_for_syn_ipv6),
	lb_test(icmp_for_udp_ipv4), lb_test(icmp_for_udp_ipv4_options_vlan),
	lb_test(icmp_for_udp_ipv6), lb_test(replies_paced),
	lb_test(rst_not_answered),
};

const struct test_group reply_group = { "reply", tests, ARRAY_SIZE(tests) };
