// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the balancer does not steer goes to the kernel untouched, with the
 * reason counted: traffic for no service, frames cut short, and headers the
 * balancer deliberately does not parse. */
#include <string.h>

#include "tests.h"

#define BACKEND 7

/* XDP_PASS, not a byte changed, exactly one count of reason, nothing
 * opened or counted for the service. */
static void check_passed(struct lb *lb, const struct pkt *in, __u32 reason)
{
	struct weir_counters svc;
	struct pkt out;

	assert_int_equal(lb_run(lb, in, &out), XDP_PASS);
	assert_untouched(in, &out);
	assert_only_reason(lb, reason, 1);
	assert_int_equal(lb_stream_count(lb), 0);
	svc = lb_service_counters(lb, SVC_ID);
	assert_int_equal(svc.packets + svc.new_streams + svc.refused, 0);
}

/* The service exists and would take s, so only what a test changes in s
 * can make the balancer pass it. */
static struct pkt_spec scene(struct lb *lb)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	lb_scene_for(lb, &s, BACKEND);
	return s;
}

static void pass_spec(struct lb *lb, const struct pkt_spec *s, __u32 reason)
{
	struct pkt in;

	pkt_build(&in, s);
	check_passed(lb, &in, reason);
}

static void pass_other_port(void **state)
{
	struct pkt_spec s = scene(*state);

	s.dport = 81;
	pass_spec(*state, &s, WEIR_DROP_NOT_SERVICE);
}

static void pass_other_vip(void **state)
{
	struct pkt_spec s = scene(*state);

	s.dst = "198.18.0.11";
	pass_spec(*state, &s, WEIR_DROP_NOT_SERVICE);
}

static void pass_other_proto_same_port(void **state)
{
	struct pkt_spec s = scene(*state);

	s.proto = IPPROTO_UDP;
	pass_spec(*state, &s, WEIR_DROP_NOT_SERVICE);
}

static void pass_icmp(void **state)
{
	struct pkt_spec s = scene(*state);

	s.proto = IPPROTO_ICMP;
	pass_spec(*state, &s, WEIR_DROP_NOT_SERVICE);
}

static void pass_icmpv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	lb_scene_for(*state, &s, BACKEND);
	s.proto = IPPROTO_ICMPV6;
	pass_spec(*state, &s, WEIR_DROP_NOT_SERVICE);
}

/* A broadcast ARP request: its destination MAC is not ours to forward. */
static void pass_arp_broadcast(void **state)
{
	struct pkt in;

	scene(*state);
	pkt_build_arp(&in, CLIENT4, VIP4);
	check_passed(*state, &in, WEIR_DROP_NOT_UNICAST);
}

/* A unicast ARP frame (a reply, or a request re-checking a known MAC). */
static void pass_arp_unicast(void **state)
{
	struct pkt in;

	scene(*state);
	pkt_build_arp(&in, CLIENT4, VIP4);
	memcpy(in.data, pkt_lb_mac, 6);
	check_passed(*state, &in, WEIR_DROP_NOT_IP);
}

/* A service packet sent to a multicast MAC must not be forwarded: DSR
 * would make the multicast address the frame's source. */
static void pass_multicast_mac(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	pkt_build(&in, &s);
	memcpy(in.data, (const __u8[]){ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, 6);
	check_passed(*state, &in, WEIR_DROP_NOT_UNICAST);
}

/*
 * Every length from the end of the Ethernet header up to one byte short of
 * the full L4 header: each header boundary and each byte inside the VLAN
 * tag, the IP header (options included) and the TCP/UDP header. Frames
 * shorter than ETH_HLEN cannot be tested: BPF_PROG_TEST_RUN refuses them.
 * The whole frame must then go out, or the test proved nothing.
 */
static void check_truncations(struct lb *lb, struct pkt_spec *s)
{
	struct pkt in, cut, out;
	__u32 len;

	lb_scene_for(lb, s, BACKEND);
	pkt_build(&in, s);
	for (len = 14; len < in.l4_end; len++) {
		cut = in;
		cut.len = len;
		assert_int_equal(lb_run(lb, &cut, &out), XDP_PASS);
		assert_untouched(&cut, &out);
		assert_only_reason(lb, WEIR_DROP_TRUNCATED, len - 13);
		assert_int_equal(lb_stream_count(lb), 0);
	}
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	assert_forwarded(&in, &out, BACKEND);
}

static void truncated_tcp_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	check_truncations(*state, &s);
}

static void truncated_tcp_ipv4_options_vlan(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	s.vlan_id = 100;
	s.ip_options_len = 12;
	check_truncations(*state, &s);
}

static void truncated_udp_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	s.proto = IPPROTO_UDP;
	check_truncations(*state, &s);
}

static void truncated_tcp_ipv6_vlan(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	lb_to_ipv6(&s);
	s.vlan_id = 100;
	check_truncations(*state, &s);
}

static void truncated_udp_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	s.proto = IPPROTO_UDP;
	check_truncations(*state, &s);
}

/* ihl 0..4 claims a header shorter than the fixed one. The options keep
 * a parser that took ihl 4 at its word from finding doff < 5 by chance and
 * reporting MALFORMED for the wrong reason. */
static void malformed_ipv4_ihl(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in, out;
	__u8 ihl;

	s.ip_options_len = 8;
	for (ihl = 0; ihl < 5; ihl++) {
		pkt_build(&in, &s);
		in.data[in.l3_off] = 0x40 | ihl;
		pkt_ipv4_csum(&in);
		assert_int_equal(lb_run(*state, &in, &out), XDP_PASS);
		assert_untouched(&in, &out);
	}
	assert_only_reason(*state, WEIR_DROP_MALFORMED, 5);
	assert_int_equal(lb_stream_count(*state), 0);
}

static void malformed_tcp_doff(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	pkt_build(&in, &s);
	in.data[in.l4_off + 12] = 4 << 4;
	check_passed(*state, &in, WEIR_DROP_MALFORMED);
}

static void fragment_first(void **state)
{
	struct pkt_spec s = scene(*state);

	s.frag_off = 0x2000; /* MF, offset 0: ports present, rest elsewhere */
	pass_spec(*state, &s, WEIR_DROP_FRAGMENT);
}

static void fragment_later(void **state)
{
	struct pkt_spec s = scene(*state);

	s.frag_off = 185; /* offset 1480 bytes, last fragment */
	pass_spec(*state, &s, WEIR_DROP_FRAGMENT);
}

static void ipv6_hop_by_hop(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	lb_to_ipv6(&s);
	lb_scene_for(*state, &s, BACKEND);
	s.hop_by_hop = true;
	pass_spec(*state, &s, WEIR_DROP_IPV6_EXT);
}

static void set_be16(struct pkt *p, __u32 off, __u16 v)
{
	p->data[off] = v >> 8;
	p->data[off + 1] = v & 0xff;
}

/* The IPv4 total length claims more than the frame holds. */
static void truncated_ipv4_total_length(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	s.payload_len = 10;
	pkt_build(&in, &s);
	set_be16(&in, in.l3_off + 2, 20 + 20 + 100);
	pkt_ipv4_csum(&in);
	check_passed(*state, &in, WEIR_DROP_TRUNCATED);
}

/* The datagram ends before the TCP header: the header lies in padding. */
static void malformed_ipv4_total_length(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	pkt_build(&in, &s);
	set_be16(&in, in.l3_off + 2, 20);
	pkt_ipv4_csum(&in);
	check_passed(*state, &in, WEIR_DROP_MALFORMED);
}

/* IPv6 under the IPv4 EtherType. */
static void malformed_ip_version(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	pkt_build(&in, &s);
	in.data[in.l3_off] = 0x65;
	pkt_ipv4_csum(&in);
	check_passed(*state, &in, WEIR_DROP_MALFORMED);
}

/* doff 15 (60 bytes) with a 20-byte TCP header and no payload. */
static void malformed_tcp_doff_past_datagram(void **state)
{
	struct pkt_spec s = scene(*state);
	struct pkt in;

	pkt_build(&in, &s);
	in.data[in.l4_off + 12] = 15 << 4;
	check_passed(*state, &in, WEIR_DROP_MALFORMED);
}

static void truncated_ipv6_payload_length(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt in;

	s.family = WEIR_AF_INET6;
	s.src = CLIENT6;
	s.dst = VIP6;
	lb_scene_for(*state, &s, BACKEND);
	pkt_build(&in, &s);
	set_be16(&in, in.l3_off + 4, 20 + 200);
	check_passed(*state, &in, WEIR_DROP_TRUNCATED);
}

static void malformed_udp_length(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);
	struct pkt in;

	s.proto = IPPROTO_UDP;
	lb_scene_for(*state, &s, BACKEND);
	pkt_build(&in, &s);
	set_be16(&in, in.l4_off + 4, 7);
	check_passed(*state, &in, WEIR_DROP_MALFORMED);
}

static const struct CMUnitTest tests[] = {
	lb_test(pass_other_port),
	lb_test(pass_other_vip),
	lb_test(pass_other_proto_same_port),
	lb_test(pass_icmp),
	lb_test(pass_icmpv6),
	lb_test(pass_arp_broadcast),
	lb_test(pass_arp_unicast),
	lb_test(pass_multicast_mac),
	lb_test(truncated_ipv4_total_length),
	lb_test(malformed_ipv4_total_length),
	lb_test(malformed_ip_version),
	lb_test(malformed_tcp_doff_past_datagram),
	lb_test(truncated_ipv6_payload_length),
	lb_test(malformed_udp_length),
	lb_test(truncated_tcp_ipv4),
	lb_test(truncated_tcp_ipv4_options_vlan),
	lb_test(truncated_udp_ipv4),
	lb_test(truncated_tcp_ipv6_vlan),
	lb_test(truncated_udp_ipv6),
	lb_test(malformed_ipv4_ihl),
	lb_test(malformed_tcp_doff),
	lb_test(fragment_first),
	lb_test(fragment_later),
	lb_test(ipv6_hop_by_hop),
};

const struct test_group pass_group = { "pass", tests, ARRAY_SIZE(tests) };
