// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-backend counters: packets, and bytes as whole frame lengths; per
 * class: packets, and IP bytes (what rates count; a service's packets and
 * bytes are its classes'); per service: streams opened and ended. Each on
 * the right id and nowhere else. */
#include <string.h>

#include "tests.h"

#define OTHER_SVC 5

static __u32 send_len(struct lb *lb, struct pkt_spec *s)
{
	struct pkt in, out;

	pkt_build(&in, s);
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	return in.len;
}

static void assert_counters(struct weir_counters c, __u64 packets, __u64 bytes, __u64 opened,
			    __u64 ended)
{
	assert_int_equal(c.packets, packets);
	assert_int_equal(c.bytes, bytes);
	assert_int_equal(c.new_streams, opened);
	assert_int_equal(c.ended_streams, ended);
	assert_int_equal(c.refused, 0);
}

static void counts_packets_and_bytes(void **state)
{
	static const __u32 ids[] = { 7, 8 };
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_stream stream;
	__u64 bytes = 0;

	lb_scene(*state, ids, ARRAY_SIZE(ids));
	bytes += send_len(*state, &s);
	s.tcp_flags = PKT_ACK | PKT_PSH;
	s.payload_len = 100;
	bytes += send_len(*state, &s);
	s.vlan_id = 100; /* the tag's 4 bytes count too */
	s.payload_len = 7;
	bytes += send_len(*state, &s);
	s.tcp_flags = PKT_FIN | PKT_ACK;
	s.payload_len = 0;
	bytes += send_len(*state, &s);
	assert_int_equal(bytes, 54 + 154 + 65 + 58);

	assert_counters(lb_service_counters(*state, SVC_ID), 0, 0, 1, 1);
	assert_counters(lb_backend_counters(*state, 7), 4, bytes, 1, 1);
	assert_counters(lb_backend_counters(*state, 8), 0, 0, 0, 0);
	assert_int_equal(lb_stream(*state, &s, &stream), 0);
	assert_int_equal(stream.packets, 4);
	/* the stream and its class count IP bytes: the frames less their
	 * Ethernet headers, the last two tagged */
	assert_int_equal(stream.bytes, bytes - 4 * 14 - 2 * 4);
	assert_int_equal(lb_class_stats(*state, SVC_ID).packets, 4);
	assert_int_equal(lb_class_stats(*state, SVC_ID).bytes, stream.bytes);
}

/* Two services on the same VIP: each packet lands on its own service's and backend's
 * counters only. */
static void counts_per_service(void **state)
{
	struct pkt_spec web = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec dns = lb_client_tcp(40000, 0);
	__u64 web_bytes, dns_bytes;

	dns.proto = IPPROTO_UDP;
	dns.dport = 53;
	dns.payload_len = 40;
	lb_scene(*state, (const __u32[]){ 7 }, 1);
	lb_service_for(*state, &dns, OTHER_SVC, 9);
	web_bytes = send_len(*state, &web);
	dns_bytes = send_len(*state, &dns) * 2;
	send_len(*state, &dns);

	assert_counters(lb_service_counters(*state, SVC_ID), 0, 0, 1, 0);
	assert_counters(lb_backend_counters(*state, 7), 1, web_bytes, 1, 0);
	assert_counters(lb_service_counters(*state, OTHER_SVC), 0, 0, 1, 0);
	assert_counters(lb_backend_counters(*state, 9), 2, dns_bytes, 1, 0);
	assert_int_equal(lb_class_stats(*state, SVC_ID).packets, 1);
	assert_int_equal(lb_class_stats(*state, OTHER_SVC).packets, 2);
	assert_int_equal(lb_class_stats(*state, OTHER_SVC).bytes, dns_bytes - 2 * 14);
}

static const struct CMUnitTest tests[] = {
	lb_test(counts_packets_and_bytes),
	lb_test(counts_per_service),
};

const struct test_group counters_group = { "counters", tests, ARRAY_SIZE(tests) };
