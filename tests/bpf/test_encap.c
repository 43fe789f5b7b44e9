// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* IP-in-IP forwarding, field by field: the outer IPv4 / IPv6 header, its
 * checksum, a per-stream outer source inside the service's prefix (the
 * same for every packet of a stream, many over many streams), VLAN tags
 * kept; a datagram too big to encapsulate answered with "fragmentation
 * needed" / "packet too big" carrying the MTU that fits, or dropped
 * without DF; every case counted. */
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <string.h>
#include <bpf/bpf.h>

#include "tests.h"
#include "weir/csum.h"
#include "weir/hash.h"

#define BACKEND 7
#define REMOTE4 "198.18.2.11"
#define REMOTE6 "2001:db8:2::11"
#define IP_DF 0x4000

/* The scene's backend, made an IP-in-IP one behind a next hop. */
static void ipip_backend(struct lb *lb, __u8 family, const char *addr, const char *prefix,
			 __u8 prefix_len, __u16 mtu)
{
	struct weir_backend be;
	__u32 id = BACKEND;

	assert_int_equal(bpf_map_lookup_elem(lb->backends, &id, &be), 0);
	memset(be.addr, 0, sizeof(be.addr));
	pkt_set_addr(be.addr, family, addr);
	be.family = family;
	be.flags |= WEIR_BACKEND_IPIP;
	memset(be.encap_source, 0, sizeof(be.encap_source));
	pkt_set_addr(be.encap_source, family, prefix);
	be.encap_prefix_len = prefix_len;
	be.encap_mtu = mtu;
	assert_int_equal(bpf_map_update_elem(lb->backends, &id, &be, BPF_ANY), 0);
}

static void scene4(struct lb *lb, __u16 mtu)
{
	static const __u32 ids[] = { BACKEND };

	lb_scene(lb, ids, 1);
	ipip_backend(lb, WEIR_AF_INET, REMOTE4, "198.19.254.0", 24, mtu);
}

/* Outer IPv4 of a forwarded frame; returns its source. */
static __u32 check_outer4(const struct pkt *in, const struct pkt *out)
{
	const struct iphdr *inner = (const void *)(in->data + in->l3_off);
	const struct iphdr *ip = (const void *)(out->data + in->l3_off);
	__u32 dst, src;
	__u8 mac[6];

	lb_backend_mac(BACKEND, mac);
	assert_memory_equal(out->data, mac, 6);
	assert_memory_equal(out->data + 6, in->data, 6); /* from us */
	assert_memory_equal(out->data + 12, in->data + 12, in->l3_off - 12); /* type, tags */
	assert_int_equal(out->len, in->len + 20);
	assert_int_equal(ip->version, 4);
	assert_int_equal(ip->ihl, 5);
	assert_int_equal(ip->protocol, 4);
	assert_int_equal(ip->ttl, 64);
	assert_int_equal(ntohs(ip->tot_len), ntohs(inner->tot_len) + 20);
	assert_int_equal(ip->frag_off & htons(IP_DF), inner->frag_off & htons(IP_DF));
	assert_int_equal(ip->tos >> 2, inner->tos >> 2);
	assert_int_equal(weir_csum(ip, sizeof(*ip), 0), 0);
	assert_int_equal(inet_pton(AF_INET, REMOTE4, &dst), 1);
	assert_int_equal(ip->daddr, dst);
	src = ntohl(ip->saddr);
	assert_int_equal(src >> 8, (198U << 16) | (19 << 8) | 254); /* 198.19.254.0/24 */
	/* the client's datagram, whole, after it */
	assert_memory_equal(out->data + in->l3_off + 20, in->data + in->l3_off,
			    in->len - in->l3_off);
	return src;
}

static void encap_ipv4(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	struct weir_stream_key key = lb_stream_key(&syn);
	struct weir_stream st;
	struct pkt in, out;
	__u32 first, again;

	scene4(*state, 1500);
	syn.frag_off = IP_DF;
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	first = check_outer4(&in, &out);
	ack.payload_len = 200;
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	again = check_outer4(&in, &out);
	assert_int_equal(first, again); /* one outer source per stream */
	assert_int_equal(lb_backend_counters(*state, BACKEND).packets, 2);
	/* the stream's hash, computed when it opened, is in its entry */
	assert_int_equal(lb_stream(*state, &ack, &st), 0);
	assert_int_equal(st.hash, weir_hash_stream(&key));
	/* an entry an older build opened has none: the same source still */
	st.hash = 0;
	assert_int_equal(bpf_map_update_elem(((struct lb *)*state)->streams, &key, &st, BPF_EXIST),
			 0);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	assert_int_equal(check_outer4(&in, &out), first);
	assert_int_equal(lb_stream(*state, &ack, &st), 0);
	assert_int_equal(st.hash, weir_hash_stream(&key));
}

/* Many streams, many outer sources: the backend's NIC spreads them. */
static void sources_spread(void **state)
{
	__u8 seen[256] = { 0 };
	struct pkt in, out;
	int i, distinct = 0;

	scene4(*state, 1500);
	for (i = 0; i < 200; i++) {
		struct pkt_spec syn = lb_client_tcp(20000 + i, PKT_SYN);
		__u32 src;

		pkt_build(&in, &syn);
		assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
		src = check_outer4(&in, &out);
		distinct += !seen[src & 0xff];
		seen[src & 0xff] = 1;
	}
	assert_true(distinct >= 100);
}

static void encap_vlan(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN);
	struct pkt in, out;

	scene4(*state, 1500);
	syn.vlan_id = 42;
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	check_outer4(&in, &out);
}

static void encap_ipv6(void **state)
{
	static const __u32 ids[] = { BACKEND };
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN);
	const struct ipv6hdr *ip, *inner;
	struct in6_addr dst;
	struct pkt in, out;
	__u8 mac[6];

	lb_to_ipv6(&syn);
	lb_scene_for(*state, &syn, BACKEND);
	(void)ids;
	ipip_backend(*state, WEIR_AF_INET6, REMOTE6, "2001:db8:ff::", 64, 1500);
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	inner = (const void *)(in.data + in.l3_off);
	lb_backend_mac(BACKEND, mac);
	assert_memory_equal(out.data, mac, 6);
	assert_int_equal(out.len, in.len + 40);
	assert_int_equal(ip->version, 6);
	assert_int_equal(ip->nexthdr, 41);
	assert_int_equal(ip->hop_limit, 64);
	assert_int_equal(ntohs(ip->payload_len), ntohs(inner->payload_len) + 40);
	assert_int_equal(inet_pton(AF_INET6, REMOTE6, &dst), 1);
	assert_memory_equal(&ip->daddr, &dst, 16);
	/* 2001:db8:ff::/64: the prefix kept, the host bits from the hash */
	assert_memory_equal(&ip->saddr, "\x20\x01\x0d\xb8\x00\xff\x00\x00", 8);
	assert_memory_equal(out.data + in.l3_off + 40, in.data + in.l3_off, in.len - in.l3_off);
}

/* Too big with DF: "fragmentation needed", MTU 300 - 20, from the VIP. */
static void too_big_ipv4(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	const struct iphdr *ip;
	const struct icmphdr *icmp;
	struct weir_stream st;
	struct pkt in, out;

	scene4(*state, 300);
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ack.payload_len = 300;
	ack.frag_off = IP_DF;
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	icmp = (const void *)(ip + 1);
	assert_int_equal(ip->protocol, IPPROTO_ICMP);
	assert_memory_equal(&ip->daddr, in.data + in.l3_off + 12, 4); /* to the client */
	assert_memory_equal(&ip->saddr, in.data + in.l3_off + 16, 4); /* from the VIP */
	assert_int_equal(weir_csum(ip, sizeof(*ip), 0), 0);
	assert_int_equal(icmp->type, ICMP_DEST_UNREACH);
	assert_int_equal(icmp->code, ICMP_FRAG_NEEDED);
	assert_int_equal(ntohs(icmp->un.frag.mtu), 280);
	assert_int_equal(weir_csum(icmp, ntohs(ip->tot_len) - sizeof(*ip), 0), 0);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TOO_BIG), 1);
	/* not counted as forwarded */
	assert_int_equal(lb_backend_counters(*state, BACKEND).packets, 1);
	/* without DF: dropped, counted */
	ack.frag_off = 0;
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TOO_BIG), 2);
	/* nor is one of a closing stream */
	syn.tcp_flags = PKT_FIN | PKT_ACK;
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX);
	assert_int_equal(lb_send(*state, &ack, &out), XDP_DROP);
	assert_int_equal(lb_stream(*state, &ack, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_CLOSING);
	assert_int_equal(st.packets, 2);
	assert_int_equal(lb_backend_counters(*state, BACKEND).packets, 2);
}

/* IPv6: "packet too big", never below the IPv6 minimum of 1280. */
static void too_big_ipv6(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	const struct ipv6hdr *ip;
	const struct icmp6hdr *icmp;
	struct pkt in, out;

	lb_to_ipv6(&syn);
	lb_to_ipv6(&ack);
	lb_scene_for(*state, &syn, BACKEND);
	ipip_backend(*state, WEIR_AF_INET6, REMOTE6, "2001:db8:ff::", 64, 300);
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ack.payload_len = 300;
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	ip = (const void *)(out.data + in.l3_off);
	icmp = (const void *)(ip + 1);
	assert_int_equal(ip->nexthdr, IPPROTO_ICMPV6);
	assert_int_equal(icmp->icmp6_type, ICMPV6_PKT_TOOBIG);
	assert_int_equal(ntohl(icmp->icmp6_mtu), 1280);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TOO_BIG), 1);
}

/* "Too big" replies and refusal replies are paced apart: a service whose
 * one refusal reply a second is spent still answers a big datagram. */
static void too_big_paced_apart(void **state)
{
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	struct pkt out;
	struct weir_service svc;

	scene4(*state, 300);
	lb_set_limits(*state, &key, 1, ~0ULL);
	svc = lb_get_service(*state, &key);
	svc.refuse = WEIR_REFUSE_RESET;
	svc.refuse_interval_ns = 1000000000U;
	lb_update_service(*state, &key, &svc);
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX);
	syn.sport = 40001;
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX); /* refused: our RST */
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	ack.payload_len = 300;
	ack.frag_off = IP_DF;
	assert_int_equal(lb_send(*state, &ack, &out), XDP_TX);
	assert_int_equal(out.data[out.l3_off + 9], IPPROTO_ICMP);
	syn.sport = 40002;
	assert_int_equal(lb_send(*state, &syn, &out), XDP_DROP); /* the refusals' pace */
}

/* A first packet too big to encapsulate (a SYN with data) opens its
 * stream but is not counted as forwarded: packets and bytes are what
 * left. */
static void too_big_first_packet(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN);
	struct weir_counters be;
	struct pkt out;

	scene4(*state, 300);
	syn.payload_len = 300;
	syn.frag_off = IP_DF;
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX);
	assert_int_equal(out.data[out.l3_off + 9], IPPROTO_ICMP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TOO_BIG), 1);
	be = lb_backend_counters(*state, BACKEND);
	assert_int_equal(be.new_streams, 1);
	assert_int_equal(be.packets, 0);
	assert_int_equal(be.bytes, 0);
}

/* Too-big IPv4 datagrams without DF get no answer, and leave the pace to
 * the next one with DF, at the same instant: 10,001 of them would use up
 * its burst (one reply each 10 us, 100 ms of them at once). */
static void too_big_without_df_spends_no_pace(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	struct pkt out;
	int i;

	scene4(*state, 300);
	lb_set_time(*state, 5000000000ULL);
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX);
	ack.payload_len = 300;
	for (i = 0; i < 10001; i++)
		assert_int_equal(lb_send(*state, &ack, &out), XDP_DROP);
	ack.frag_off = IP_DF;
	assert_int_equal(lb_send(*state, &ack, &out), XDP_TX);
	assert_int_equal(out.data[out.l3_off + 9], IPPROTO_ICMP);
}

/* Packets of a policed stream until one is policed, all at time t. */
static int send_until_policed(struct lb *lb, struct pkt_spec *s, __u64 t)
{
	struct pkt out;
	int sent = 0;

	lb_set_time(lb, t);
	while (lb_send(lb, s, &out) == XDP_TX)
		sent++;
	return sent;
}

/* A datagram too big to encapsulate still took its refill: 5 ms at
 * 1 Mbyte/s refill 5000 bytes once, less its 340, so 18 datagrams of 250
 * bytes pass after it, not 38. */
static void too_big_refills_once(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	struct pkt_spec big = ack;
	struct pkt out;
	__u64 t0 = 1000ULL << WEIR_EPOCH_SHIFT;

	scene4(*state, 300);
	lb_set_class(*state, SVC_ID, SVC_ID, 0, 0, 8000000); /* 10000-byte bucket */
	lb_set_time(*state, t0);
	assert_int_equal(lb_send(*state, &syn, &out), XDP_TX);
	ack.payload_len = 250 - 40;
	assert_int_equal(send_until_policed(*state, &ack, t0), 40);
	big.payload_len = 340 - 40;
	lb_set_time(*state, t0 + 5000000);
	assert_int_equal(lb_send(*state, &big, &out), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_TOO_BIG), 1);
	assert_int_equal(send_until_policed(*state, &ack, t0 + 5000000), 18);
}

static const struct CMUnitTest tests[] = {
	lb_test(encap_ipv4),	       lb_test(sources_spread),
	lb_test(encap_vlan),	       lb_test(encap_ipv6),
	lb_test(too_big_ipv4),	       lb_test(too_big_ipv6),
	lb_test(too_big_paced_apart),  lb_test(too_big_refills_once),
	lb_test(too_big_first_packet), lb_test(too_big_without_df_spends_no_pace),
};

const struct test_group encap_group = { "encap", tests, ARRAY_SIZE(tests) };
