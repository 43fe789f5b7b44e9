// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The first packet of a stream to a service leaves XDP_TX towards the
 * chosen backend with only the two MACs rewritten (DSR). */
#include <string.h>

#include "tests.h"

#define BACKEND 7

/* Runs s against a service for its own destination and checks the frame,
 * the stream it opened and the counters it touched. */
static void check_forward(struct lb *lb, const struct pkt_spec *s)
{
	struct weir_counters svc, be;
	struct weir_stream stream;
	struct pkt in, out;

	lb_scene_for(lb, s, BACKEND);
	pkt_build(&in, s);
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	assert_forwarded(&in, &out, BACKEND);
	assert_only_reason(lb, WEIR_DROP_NONE, 0);

	assert_int_equal(lb_stream(lb, s, &stream), 0);
	assert_int_equal(stream.backend_id, BACKEND);
	assert_int_equal(stream.service_id, SVC_ID);
	assert_int_equal(stream.packets, 1);
	assert_int_equal(stream.bytes, in.len - in.l3_off); /* IP bytes: what rates count */
	assert_int_equal(stream.class_id, SVC_ID);
	assert_int_equal(stream.state,
			 s->proto == IPPROTO_TCP ? WEIR_STATE_PROVISIONAL : WEIR_STATE_ACTIVE);

	svc = lb_service_counters(lb, SVC_ID);
	be = lb_backend_counters(lb, BACKEND);
	assert_int_equal(svc.new_streams, 1);
	assert_int_equal(be.new_streams, 1);
	assert_int_equal(be.bytes, in.len); /* frame length, tag included */
}

static void forward_tcp_syn_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	check_forward(*state, &s);
}

static void forward_tcp_syn_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	lb_to_ipv6(&s);
	check_forward(*state, &s);
}

static void forward_udp_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	s.proto = IPPROTO_UDP;
	s.dport = 53;
	s.payload_len = 32;
	check_forward(*state, &s);
}

static void forward_udp_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	s.proto = IPPROTO_UDP;
	s.dport = 53;
	s.payload_len = 32;
	check_forward(*state, &s);
}

/* The tag stays where it was: assert_forwarded compares every byte after
 * the MACs, and this spells out the tag for whoever reads a failure. */
static void check_vlan(struct lb *lb, struct pkt_spec *s)
{
	static const __u8 tag[4] = { 0x81, 0x00, 0x00, 0x64 }; /* 802.1Q, VID 100 */
	struct pkt in, out;

	s->vlan_id = 100;
	check_forward(lb, s);
	pkt_build(&in, s);
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	assert_memory_equal(out.data + 12, tag, sizeof(tag));
}

static void forward_vlan_tcp_ipv4(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	check_vlan(*state, &s);
}

static void forward_vlan_udp_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	s.proto = IPPROTO_UDP;
	s.dport = 53;
	check_vlan(*state, &s);
}

/* IPv4 options move the L4 header; the ports must still be found. */
static void forward_ipv4_options(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	s.ip_options_len = 8;
	check_forward(*state, &s);
}

/* DF alone is not a fragment. */
static void forward_ipv4_dont_fragment(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	s.frag_off = 0x4000;
	check_forward(*state, &s);
}

static const struct CMUnitTest tests[] = {
	lb_test(forward_tcp_syn_ipv4),	lb_test(forward_tcp_syn_ipv6),
	lb_test(forward_udp_ipv4),	lb_test(forward_udp_ipv6),
	lb_test(forward_vlan_tcp_ipv4), lb_test(forward_vlan_udp_ipv6),
	lb_test(forward_ipv4_options),	lb_test(forward_ipv4_dont_fragment),
};

const struct test_group forward_group = { "forward", tests, ARRAY_SIZE(tests) };
