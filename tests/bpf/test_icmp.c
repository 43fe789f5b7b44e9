// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ICMP errors about a stream (fragmentation needed, packet too big,
 * unreachable) reach the stream's backend, which sent the datagram they
 * quote: path MTU discovery works under DSR. Anything else ICMP passes. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/ip.h>

#include "tests.h"

#define BACKEND 7
#define ROUTER4 "198.19.9.1"
#define ROUTER6 "2001:db8:9::1"

/* The reply the backend sent for the client's stream s (VIP -> client). */
static struct pkt_spec reply_of(const struct pkt_spec *s)
{
	struct pkt_spec r = *s;

	r.src = s->dst;
	r.dst = s->src;
	r.sport = s->dport;
	r.dport = s->sport;
	r.tcp_flags = PKT_ACK;
	return r;
}

/* A router on the way to the client tells the VIP about the reply. */
static struct pkt_spec error_about(const struct pkt_spec *reply, __u8 type, __u8 code)
{
	struct pkt_spec e = {
		.family = reply->family,
		.proto = reply->family == WEIR_AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.src = reply->family == WEIR_AF_INET6 ? ROUTER6 : ROUTER4,
		.dst = reply->src,
		.quote = reply,
		.icmp_type = type,
		.icmp_code = code,
		.icmp_mtu = 1400,
	};

	return e;
}

static void check_steered(struct lb *lb, struct pkt_spec *s, __u8 type, __u8 code)
{
	struct pkt_spec reply = reply_of(s), err = error_about(&reply, type, code);
	struct weir_stream before, after;
	struct pkt in, out;

	lb_scene_for(lb, s, BACKEND);
	assert_int_equal(lb_send(lb, s, &out), XDP_TX);
	assert_int_equal(lb_stream(lb, s, &before), 0);
	pkt_build(&in, &err);
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	assert_forwarded(&in, &out, BACKEND);
	assert_int_equal(lb_service_counters(lb, SVC_ID).icmp_forwarded, 1);
	assert_int_equal(lb_stream(lb, s, &after), 0);
	assert_int_equal(after.packets, before.packets);
	assert_int_equal(lb_stream_count(lb), 1);
}

static void frag_needed_reaches_backend(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	check_steered(*state, &s, 3, 4);
}

static void frag_needed_udp_with_ip_options(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	s.proto = IPPROTO_UDP;
	s.ip_options_len = 12;
	check_steered(*state, &s, 3, 4);
}

static void packet_too_big_reaches_backend(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	lb_to_ipv6(&s);
	check_steered(*state, &s, 2, 0);
}

static void unreachable_ipv6_reaches_backend(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	s.proto = IPPROTO_UDP;
	check_steered(*state, &s, 1, 4);
}

/* No stream, or not an error: passed to the host, which decides. */
static void check_passed_icmp(struct lb *lb, const struct pkt_spec *err, __u32 reason)
{
	struct pkt in, out;

	pkt_build(&in, err);
	assert_int_equal(lb_run(lb, &in, &out), XDP_PASS);
	assert_untouched(&in, &out);
	assert_int_equal(lb_reason(lb, reason), 1);
	assert_int_equal(lb_service_counters(lb, SVC_ID).icmp_forwarded, 0);
}

static void error_of_no_stream_passes(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec reply = reply_of(&s), err = error_about(&reply, 3, 4);

	lb_scene_for(*state, &s, BACKEND);
	check_passed_icmp(*state, &err, WEIR_DROP_ICMP_NO_STREAM);
	assert_int_equal(lb_stream_count(*state), 0);
}

static void time_exceeded_passes(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec reply = reply_of(&s), err = error_about(&reply, 11, 0);
	struct pkt out;

	lb_scene_for(*state, &s, BACKEND);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	check_passed_icmp(*state, &err, WEIR_DROP_NOT_SERVICE);
}

/* The quoted datagram cut before its ports is not steered. */
static void truncated_quote_passes(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec reply = reply_of(&s), err = error_about(&reply, 3, 4);
	struct pkt in, out;
	struct iphdr *ip;

	lb_scene_for(*state, &s, BACKEND);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	pkt_build(&in, &err);
	in.len -= 6; /* keeps 2 bytes of the quoted L4 header */
	ip = (struct iphdr *)(in.data + in.l3_off);
	ip->tot_len = htons(in.len - in.l3_off);
	pkt_ipv4_csum(&in);
	assert_int_equal(lb_run(*state, &in, &out), XDP_PASS);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TRUNCATED), 1);
}

/* The error's datagram ends before the quoted ports, which the frame
 * still holds as padding: what lies past the datagram is not read, the
 * error is malformed and passes. */
static void check_quote_past_datagram(struct lb *lb, struct pkt_spec *s)
{
	struct pkt_spec reply = reply_of(s), err = error_about(&reply, 3, 4);
	struct pkt in, out;

	if (s->family == WEIR_AF_INET6)
		err = error_about(&reply, 2, 0);
	lb_scene_for(lb, s, BACKEND);
	assert_int_equal(lb_send(lb, s, &out), XDP_TX);
	pkt_build(&in, &err);
	if (s->family == WEIR_AF_INET6) {
		in.data[in.l3_off + 5] -= 6; /* payload length: 2 bytes of the quoted L4 header */
	} else {
		in.data[in.l3_off + 3] -= 6; /* total length, likewise */
		pkt_ipv4_csum(&in);
	}
	assert_int_equal(lb_run(lb, &in, &out), XDP_PASS);
	assert_untouched(&in, &out);
	assert_int_equal(lb_reason(lb, WEIR_DROP_MALFORMED), 1);
	assert_int_equal(lb_service_counters(lb, SVC_ID).icmp_forwarded, 0);
}

static void quote_past_datagram_passes(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);

	check_quote_past_datagram(*state, &s);
}

static void quote_past_datagram_passes_ipv6(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);

	lb_to_ipv6(&s);
	s.proto = IPPROTO_UDP;
	check_quote_past_datagram(*state, &s);
}

/* An error quoting the VIP's datagram but addressed elsewhere is not the
 * VIP's: it is not sent to a backend, which does not hold that address. */
static void error_to_another_address_passes(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec reply = reply_of(&s), err = error_about(&reply, 3, 4);
	struct pkt out;

	lb_scene_for(*state, &s, BACKEND);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	err.dst = "198.18.0.99";
	check_passed_icmp(*state, &err, WEIR_DROP_NOT_SERVICE);
}

static const struct CMUnitTest tests[] = {
	lb_test(frag_needed_reaches_backend),	  lb_test(frag_needed_udp_with_ip_options),
	lb_test(packet_too_big_reaches_backend),  lb_test(unreachable_ipv6_reaches_backend),
	lb_test(error_of_no_stream_passes),	  lb_test(time_exceeded_passes),
	lb_test(truncated_quote_passes),	  lb_test(quote_past_datagram_passes),
	lb_test(quote_past_datagram_passes_ipv6), lb_test(error_to_another_address_passes),
};

const struct test_group icmp_group = { "icmp", tests, ARRAY_SIZE(tests) };
