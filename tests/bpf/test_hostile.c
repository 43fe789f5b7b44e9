// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hostile packets: the compiled balancer, configured with seven services
 * (TCP and UDP, IPv4 and IPv6, stream and rate limits, preemption, class
 * rules with policing, refusals answered with RST / ICMP / ICMPv6, Maglev,
 * a service without backends), takes a million random and mutated frames
 * through BPF_PROG_TEST_RUN, and every single one is checked.
 *
 * Generators (a seeded splitmix64; the seed is printed, WEIR_HOSTILE_SEED
 * replays it, WEIR_HOSTILE_PACKETS shortens the run): well-formed frames of
 * every kind (SYN, ACK, FIN, RST, data, every TCP flag byte, UDP; 0-2
 * VLAN tags; IPv4 options, TCP options; IPv6 extension headers; IPv4 and
 * IPv6 fragments, first and later; ICMP/ICMPv6 errors quoting a stream,
 * and other ICMP; traffic for no service, non-IP, multicast; 9000-byte
 * frames), then mutations of them (cuts at every header boundary and at
 * random lengths, byte flips, bad IHL / total length / payload length /
 * version / TCP offset / UDP length, Ethernet padding, random bytes).
 *
 * Every packet, whatever it is:
 *  1. the verdict is XDP_PASS, XDP_DROP or XDP_TX;
 *  2. XDP_PASS leaves the frame byte-identical;
 *  3. XDP_TX is a forward (only the MACs changed: our MAC becomes the
 *     source, the destination is a backend of the service whose VIP,
 *     port and protocol the packet is addressed to) or a refusal reply
 *     (RST, ICMP / ICMPv6 port unreachable) back to the packet's source,
 *     its IP and L4 checksums valid, its IP lengths those of the frame;
 *  4. a packet not forwarded is counted under exactly one reason of
 *     weir_stats, a forwarded one under none (read after every packet);
 *  5. what the frame's bytes alone decide is decided so: a frame that is
 *     truncated or malformed, not unicast, not IP, a fragment, with IPv6
 *     extension headers, or for no service passes untouched with that
 *     reason; a later packet of a recorded stream follows its backend;
 *  6. nothing else changes (every 65,536 packets and at the end): each
 *     stream entry is addressed to a configured service and pinned to one
 *     of its backends and classes; the table holds no more entries than
 *     SYNs and UDP datagrams forwarded to services; the class, service and
 *     backend counts are exactly what the entries say they are; the
 *     configuration maps are as written.
 *
 * Fragments: every IP fragment, first or later, passes untouched and is
 * counted `fragment` (the quoted datagram of an ICMP error too); an IPv6
 * fragment carries a Fragment extension header and is counted `ipv6_ext`,
 * as is every IPv6 packet with extension headers.
 * ICMP errors (IPv4 destination unreachable, ICMPv6 destination
 * unreachable and packet too big) addressed to a VIP and quoting, within
 * the datagram, a TCP or UDP datagram the VIP sent: when the stream it
 * answers is recorded the error is forwarded to that stream's backend;
 * otherwise it passes, counted `icmp_no_stream`. Other ICMP, and errors
 * about no service, pass as `not_service`.
 *
 * The balancer's clock is the test's (0-20 us a packet: some ten epochs
 * a million packets), the run is pinned to one CPU (the reply pacing is
 * per CPU), and between checks the test releases epochs idle past
 * pause-after as the controller would: the same seed gives the same run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "core/maglev.h"
#include "tests.h"
#include "weir/counts.h"
#include "weir/csum.h"
#include "weir.skel.h"

#define PACKETS 1000000
#define CHECK_EVERY 65536
#define FRAME_MAX (9216 + 64) /* a jumbo frame and what a reply adds */
#define JUMBO_PAYLOAD 8900
#define T0 (1000ULL << WEIR_EPOCH_SHIFT)
#define STEP_NS 20000
#define IDLE_EPOCHS 5 /* past the shortest pause-after */
#define MAGLEV_TABLE_SIZE 251
#define ROUTER4 "198.19.9.1"
#define ROUTER6 "2001:db8:9::1"
#define NONE (~0ULL)
#define UNLIMITED WEIR_RATE_UNLIMITED

#define AF4 WEIR_AF_INET
#define AF6 WEIR_AF_INET6
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define RR WEIR_STEER_ROUND_ROBIN
#define MAGLEV WEIR_STEER_MAGLEV
#define DROP WEIR_REFUSE_DROP
#define RESET WEIR_REFUSE_RESET

/* ------------------------------------------------------------------ */
/* The scene                                                          */

struct svc_def {
	const char *name;
	__u32 id;
	__u8 family, proto;
	const char *vip;
	__u16 port;
	__u8 steering, refuse, pause_epochs;
	__u64 limit_streams, limit_rate; /* NONE: no limit */
	__u32 backends[3];
	__u8 n_backends;
};

static const struct svc_def services[] = {
	{ "web4", 3, AF4, TCP, "198.18.0.10", 80, RR, DROP, 28, NONE, NONE, { 10, 11, 12 }, 3 },
	/* preemption: a client rule gives 198.19.7.0/24 priority 7 */
	{ "live4", 4, AF4, TCP, "198.18.0.10", 9000, RR, RESET, 4, 12, NONE, { 20, 21 }, 2 },
	/* mins of 1 Mbit/s in 10 Mbit/s; DSCP and client rules, policed */
	{ "dns4", 5, AF4, UDP, "198.18.0.11", 53, RR, RESET, 4, 16, 10000000, { 30, 31 }, 2 },
	{ "web6",
	  6,
	  AF6,
	  TCP,
	  "2001:db8::10",
	  80,
	  MAGLEV,
	  DROP,
	  28,
	  NONE,
	  NONE,
	  { 40, 41, 42 },
	  3 },
	/* a client rule, policed */
	{ "quic6", 7, AF6, UDP, "2001:db8::10", 443, RR, RESET, 4, 24, NONE, { 50, 51 }, 2 },
	/* a port rule */
	{ "tcp6", 8, AF6, TCP, "2001:db8::20", 8080, RR, RESET, 28, 6, NONE, { 60 }, 1 },
	/* no backend: every new stream refused, and answered */
	{ "dead4", 9, AF4, UDP, "198.18.0.12", 5000, RR, RESET, 28, NONE, NONE, { 0 }, 0 },
};

#define N_SERVICES ARRAY_SIZE(services)

struct class_def {
	__u32 id, service_id;
	__u64 min_bps;
	__u8 priority;
	__u64 rate_bps;
};

/* A service's default class has its id. */
static const struct class_def classes[] = {
	{ 3, 3, 0, 0, UNLIMITED },    { 4, 4, 0, 1, UNLIMITED },     { 104, 4, 0, 7, UNLIMITED },
	{ 5, 5, 1000000, 0, 256000 }, { 105, 5, 1000000, 5, 64000 }, { 106, 5, 1000000, 2, 128000 },
	{ 6, 6, 0, 0, UNLIMITED },    { 7, 7, 0, 0, 256000 },	     { 107, 7, 0, 3, 64000 },
	{ 8, 8, 0, 0, UNLIMITED },    { 108, 8, 0, 0, 64000 },	     { 9, 9, 0, 0, UNLIMITED },
};

#define N_CLASSES ARRAY_SIZE(classes)

struct scene_svc {
	const struct svc_def *def;
	__u8 vip[16];
	struct weir_service_key key;
	struct weir_service value; /* as written, to compare at the end */
};

/* ------------------------------------------------------------------ */
/* Frames and what the generators decide about them                   */

struct frame {
	__u32 len;
	__u32 l3, l4; /* offsets of the IP and L4 headers as built */
	__u32 cuts[16]; /* lengths at which a header ends */
	__u32 n_cuts;
	__u8 data[FRAME_MAX];
};

struct shape {
	__u8 mac_dst[6];
	__u16 ethertype; /* 0: the family's */
	__u8 tags; /* VLAN tags, 0-2 */
	__u8 family, proto;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u8 tcp_flags, tcp_options;
	__u8 ip_options, dscp;
	__u8 ext[3], n_ext; /* IPv6 extension headers, in order */
	__u16 frag; /* IPv4: MF | offset; IPv6: the Fragment header's field */
	__u16 payload;
	/* ICMP: type and code; an error quotes what the VIP sent */
	__u8 icmp_type, icmp_code, quote;
	__u8 q_proto, q_options, q_l4;
	__u8 q_src[16], q_dst[16];
	__u16 q_sport, q_dport;
};

#define FRAG_MF 0x2000

struct tally {
	__u64 forwarded, icmp_forwarded, passed, dropped, refused_runs;
	__u64 replies[4]; /* rst4, rst6, icmp4, icmp6 */
	__u64 opened; /* bare SYNs and UDP datagrams forwarded to services */
	__u64 mutated;
	__u64 resumed, preempted; /* streams, from the class stats */
};

struct hostile {
	struct lb *lb;
	__u64 seed, rng;
	__u64 index; /* the packet being run: what a failure names */
	__u64 now;
	__u32 linear; /* what the program sees of a long frame */
	__u64 reasons[WEIR_DROP_MAX];
	struct scene_svc svc[N_SERVICES];
	struct tally t;
	struct weir_stream_key *keys;
	struct weir_stream *values;
	int dump_max;
	cpu_set_t cpus; /* the affinity before the run */
	struct frame in, out;
};

#define expect(h, cond, ...)                                 \
	do {                                                 \
		if (!(cond))                                 \
			hostile_fail(h, #cond, __VA_ARGS__); \
	} while (0)

static void dump_frame(const char *what, const struct frame *f)
{
	__u32 i;

	fprintf(stderr, "%s (%u bytes):", what, f->len);
	for (i = 0; i < f->len && i < 160; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", f->data[i]);
	fprintf(stderr, "\n");
}

static void __attribute__((format(printf, 3, 4)))
hostile_fail(struct hostile *h, const char *cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dump_frame("in", &h->in);
	dump_frame("out", &h->out);
	fail_msg("seed %llu packet %llu: %s (%s); replay: WEIR_HOSTILE_SEED=%llu",
		 (unsigned long long)h->seed, (unsigned long long)h->index, msg, cond,
		 (unsigned long long)h->seed);
}

/* ------------------------------------------------------------------ */
/* Randomness: splitmix64, seeded                                     */

static __u64 next_u64(struct hostile *h)
{
	__u64 z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 below(struct hostile *h, __u32 n)
{
	return (__u32)(next_u64(h) % n);
}

static int chance(struct hostile *h, __u32 percent)
{
	return below(h, 100) < percent;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

static __u32 get32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static __u32 addr_len(__u8 family)
{
	return family == AF6 ? 16 : 4;
}

/* ------------------------------------------------------------------ */
/* Checksums                                                          */

/* ------------------------------------------------------------------ */
/* Building a frame from a shape                                      */

static void add_cut(struct frame *f, __u32 len)
{
	if (f->n_cuts < ARRAY_SIZE(f->cuts))
		f->cuts[f->n_cuts++] = len;
}

static __u32 put_eth(struct frame *f, const struct shape *s)
{
	__u16 type = s->ethertype ? s->ethertype : s->family == AF6 ? 0x86dd : 0x0800;
	__u32 off = 12, i;

	memcpy(f->data, s->mac_dst, 6);
	memcpy(f->data + 6, pkt_client_mac, 6);
	add_cut(f, 12);
	for (i = 0; i < s->tags; i++) {
		put16(f->data + off, i == 0 && s->tags == 2 ? 0x88a8 : 0x8100);
		put16(f->data + off + 2, 100 + i);
		off += 4;
		add_cut(f, off);
	}
	put16(f->data + off, type);
	add_cut(f, off + 2);
	return off + 2;
}

static int frag_later(const struct shape *s)
{
	__u16 offset = s->family == AF6 ? s->frag >> 3 : s->frag & 0x1fff;

	return offset != 0;
}

static __u32 quote_len(const struct shape *s)
{
	return (s->family == AF6 ? 40 : 20 + s->q_options) + s->q_l4;
}

/* The L4 bytes the IP header counts: header, quote, payload. */
static __u32 l4_len(const struct shape *s)
{
	if (frag_later(s))
		return s->payload + 8;
	if (s->proto == TCP)
		return 20 + s->tcp_options + s->payload;
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)
		return 8 + (s->quote ? quote_len(s) : 0) + s->payload;
	return 8 + s->payload;
}

static __u32 put_ipv4(struct frame *f, const struct shape *s, __u32 off, __u32 l4)
{
	__u8 *ip = f->data + off;
	__u32 hlen = 20 + s->ip_options;

	ip[0] = 0x40 | hlen / 4;
	ip[1] = s->dscp << 2;
	put16(ip + 2, hlen + l4);
	put16(ip + 4, 0x1234);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, s->src, 4);
	memcpy(ip + 16, s->dst, 4);
	memset(ip + 20, 1, s->ip_options); /* NOPs */
	put16(ip + 10, weir_csum(ip, hlen, 0));
	add_cut(f, off + 20);
	add_cut(f, off + hlen);
	return off + hlen;
}

/* Extension headers of 8 bytes each; a Fragment header holds s->frag. */
static __u32 put_ipv6(struct frame *f, const struct shape *s, __u32 off, __u32 l4)
{
	__u8 *ip = f->data + off, *ext = ip + 40;
	__u32 i;

	ip[0] = 0x60 | s->dscp >> 2;
	ip[1] = (s->dscp & 3) << 6;
	put16(ip + 4, 8 * s->n_ext + l4);
	ip[6] = s->n_ext ? s->ext[0] : s->proto;
	ip[7] = 64;
	memcpy(ip + 8, s->src, 16);
	memcpy(ip + 24, s->dst, 16);
	add_cut(f, off + 40);
	for (i = 0; i < s->n_ext; i++, ext += 8) {
		memset(ext, 0, 8);
		ext[0] = i + 1 < s->n_ext ? s->ext[i + 1] : s->proto;
		if (s->ext[i] == 44) {
			put16(ext + 2, s->frag);
			put16(ext + 6, 0x4321);
		} else if (s->ext[i] == 0 || s->ext[i] == 60) {
			ext[2] = 1; /* PadN of 4 */
			ext[3] = 4;
		}
		add_cut(f, off + 40 + 8 * (i + 1));
	}
	return off + 40 + 8 * s->n_ext;
}

/* The datagram an ICMP error quotes: its IP header and s->q_l4 bytes. */
static void put_quote(__u8 *q, const struct shape *s)
{
	__u32 hlen = s->family == AF6 ? 40 : 20 + s->q_options;
	__u8 *l4 = q + hlen;

	if (s->family == AF6) {
		q[0] = 0x60;
		put16(q + 4, 20 + 100);
		q[6] = s->q_proto;
		q[7] = 63;
		memcpy(q + 8, s->q_src, 16);
		memcpy(q + 24, s->q_dst, 16);
	} else {
		q[0] = 0x40 | hlen / 4;
		put16(q + 2, hlen + 20 + 100);
		q[8] = 63;
		q[9] = s->q_proto;
		memcpy(q + 12, s->q_src, 4);
		memcpy(q + 16, s->q_dst, 4);
		memset(q + 20, 1, s->q_options);
		put16(q + 10, weir_csum(q, hlen, 0));
	}
	memset(l4, 0x77, s->q_l4);
	put16(l4, s->q_sport);
	put16(l4 + 2, s->q_dport);
	if (s->q_proto == UDP)
		put16(l4 + 4, 8 + 100);
}

static void put_l4(struct frame *f, const struct shape *s, __u32 off)
{
	__u8 *l4 = f->data + off;
	__u32 i, hlen = 8;

	memset(l4, 0, 8);
	if (!frag_later(s) && s->proto == TCP) {
		hlen = 20 + s->tcp_options;
		memset(l4, 0, hlen);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, 0x0102);
		put16(l4 + 6, 0x0304);
		if (s->tcp_flags & PKT_ACK) {
			put16(l4 + 8, 0x0a0b);
			put16(l4 + 10, 0x0c0d);
		}
		l4[12] = (hlen / 4) << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		memset(l4 + 20, 1, s->tcp_options);
	} else if (!frag_later(s) && s->proto == UDP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, 8 + s->payload);
	} else if (!frag_later(s) && (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)) {
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 6, 1400); /* the MTU of "fragmentation needed", "too big" */
		if (s->quote) {
			put_quote(l4 + 8, s);
			hlen += quote_len(s);
		}
	}
	add_cut(f, off + hlen);
	for (i = 0; i < s->payload; i++)
		l4[hlen + i] = (__u8)(i * 7 + s->sport);
}

/* The L4 checksum of a whole (unfragmented) datagram. */
static void put_l4_csum(struct frame *f, const struct shape *s)
{
	__u8 *l4 = f->data + f->l4;
	__u32 len = f->len - f->l4, sum = 0, at;

	if (s->frag || s->n_ext ||
	    (s->proto != TCP && s->proto != UDP && s->proto != IPPROTO_ICMP &&
	     s->proto != IPPROTO_ICMPV6))
		return;
	at = s->proto == TCP ? 16 : s->proto == UDP ? 6 : 2;
	if (s->proto != IPPROTO_ICMP)
		sum = weir_csum_pseudo(s->src, s->dst, addr_len(s->family), s->proto, len);
	put16(l4 + at, weir_csum(l4, len, sum));
}

static void frame_build(struct frame *f, const struct shape *s)
{
	__u32 l4 = l4_len(s), off;

	f->n_cuts = 0;
	off = put_eth(f, s);
	f->l3 = off;
	off = s->family == AF6 ? put_ipv6(f, s, off, l4) : put_ipv4(f, s, off, l4);
	f->l4 = off;
	put_l4(f, s, off);
	f->len = off + l4;
	put_l4_csum(f, s);
}

/* ------------------------------------------------------------------ */
/* Well-formed frames of every kind                                   */

/* A client of the pool (so streams see their later packets): nets 0, 7
 * (live4's priority-7 rule) and 8 (dns4's and quic6's rules), 4 hosts,
 * 16 ports; now and then one from anywhere. */
static void pool_client(struct hostile *h, __u8 family, __u8 addr[16], __u16 *port)
{
	static const __u8 nets[] = { 0, 7, 8 };
	static const __u8 prefix6[] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00 };
	__u8 net = nets[below(h, 3)], host = 1 + below(h, 4);

	memset(addr, 0, 16);
	*port = 1024 + below(h, 16);
	if (chance(h, 6)) {
		net = below(h, 256);
		host = below(h, 256);
		*port = 1024 + below(h, 60000);
	}
	if (family == AF4) {
		memcpy(addr, (const __u8[]){ 198, 19, net, host }, 4);
		return;
	}
	memcpy(addr, prefix6, sizeof(prefix6));
	addr[7] = net;
	addr[15] = host;
}

static __u8 tcp_flags(struct hostile *h)
{
	static const __u8 usual[] = {
		PKT_SYN, PKT_SYN,	    PKT_ACK,	       PKT_ACK | PKT_PSH, PKT_FIN | PKT_ACK,
		PKT_RST, PKT_RST | PKT_ACK, PKT_SYN | PKT_ACK, PKT_ACK,		  PKT_ACK | PKT_PSH,
	};

	return chance(h, 20) ? below(h, 256) : usual[below(h, ARRAY_SIZE(usual))];
}

/* A segment or datagram of a pool client to the service. */
static void gen_base(struct hostile *h, struct shape *s, const struct scene_svc *sv)
{
	__u32 r = below(h, 100);

	memset(s, 0, sizeof(*s));
	memcpy(s->mac_dst, pkt_lb_mac, 6);
	s->tags = r < 80 ? 0 : r < 95 ? 1 : 2;
	s->family = sv->def->family;
	s->proto = sv->def->proto;
	pool_client(h, s->family, s->src, &s->sport);
	memcpy(s->dst, sv->vip, 16);
	s->dport = sv->def->port;
	s->tcp_flags = tcp_flags(h);
	s->tcp_options = chance(h, 15) ? 4 * (1 + below(h, 10)) : 0;
	if (s->family == AF4 && chance(h, 15))
		s->ip_options = 4 * (1 + below(h, 10));
	s->dscp = chance(h, 15) ? 46 : chance(h, 5) ? below(h, 64) : 0;
	s->payload = chance(h, 40) ? 0 : below(h, 1400);
}

static const __u8 *router(__u8 family)
{
	static __u8 r4[16], r6[16];

	if (!r4[0]) {
		pkt_set_addr(r4, AF4, ROUTER4);
		pkt_set_addr(r6, AF6, ROUTER6);
	}
	return family == AF6 ? r6 : r4;
}

/* A router tells the VIP that the reply it sent to the client failed. */
static void make_icmp_error(struct hostile *h, struct shape *s)
{
	s->q_proto = s->proto;
	memcpy(s->q_src, s->dst, 16);
	memcpy(s->q_dst, s->src, 16);
	s->q_sport = s->dport;
	s->q_dport = s->sport;
	s->q_options = s->family == AF4 && chance(h, 20) ? 4 * (1 + below(h, 10)) : 0;
	s->q_l4 = chance(h, 70) ? 8 : 20;
	memcpy(s->src, router(s->family), 16);
	s->quote = 1;
	s->payload = 0;
	if (s->family == AF4) {
		s->proto = IPPROTO_ICMP;
		s->icmp_type = 3;
		s->icmp_code = chance(h, 60) ? 4 : below(h, 16);
		return;
	}
	s->proto = IPPROTO_ICMPV6;
	s->icmp_type = chance(h, 50) ? 2 : 1;
	s->icmp_code = s->icmp_type == 1 ? below(h, 7) : 0;
}

/* Echo, time exceeded (quoting a stream too), redirect, ...: not ours. */
static void make_icmp_other(struct hostile *h, struct shape *s)
{
	static const __u8 types4[] = { 0, 8, 11, 5, 12 }, types6[] = { 128, 129, 3, 4, 135 };

	make_icmp_error(h, s);
	s->icmp_type = s->family == AF6 ? types6[below(h, 5)] : types4[below(h, 5)];
	s->quote =
		s->icmp_type == 11 || s->icmp_type == 3 || s->icmp_type == 12 || s->icmp_type == 4;
	s->icmp_code = below(h, 4);
}

/* First (offset 0, more fragments) or later (offset > 0). */
static void make_fragment(struct hostile *h, struct shape *s)
{
	__u16 offset = chance(h, 50) ? 0 : 1 + below(h, 1000);
	__u16 more = offset == 0 || chance(h, 50);

	if (s->family == AF4) {
		s->frag = (more ? FRAG_MF : 0) | offset;
		return;
	}
	s->frag = offset << 3 | more;
	s->ext[0] = 44;
	s->n_ext = 1;
}

/* IPv6: 1-3 extension headers; IPv4: the longest options. */
static void make_extensions(struct hostile *h, struct shape *s)
{
	static const __u8 kinds[] = { 0, 43, 60, 44 };
	__u32 i;

	if (s->family == AF4) {
		s->ip_options = 40;
		return;
	}
	s->n_ext = 1 + below(h, 3);
	for (i = 0; i < s->n_ext; i++)
		s->ext[i] = kinds[below(h, ARRAY_SIZE(kinds))];
}

/* Another port, address or protocol: no service, or another one. */
static void make_elsewhere(struct hostile *h, struct shape *s)
{
	static const __u8 protos[] = { TCP, UDP, 47, 132, 0, 50 };

	switch (below(h, 3)) {
	case 0:
		s->dport += 1 + below(h, 100);
		break;
	case 1:
		s->dst[addr_len(s->family) - 1] ^= 1 + below(h, 255);
		break;
	default:
		s->proto = protos[below(h, ARRAY_SIZE(protos))];
	}
}

static void make_not_ip(struct hostile *h, struct shape *s)
{
	static const __u16 types[] = { 0x0806, 0x88cc, 0x8847, 0x88b5 };

	s->ethertype = types[below(h, ARRAY_SIZE(types))];
}

static void make_multicast(struct hostile *h, struct shape *s)
{
	static const __u8 macs[][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
	};

	memcpy(s->mac_dst, macs[below(h, ARRAY_SIZE(macs))], 6);
}

static void gen_valid(struct hostile *h, struct shape *s)
{
	const struct scene_svc *sv = &h->svc[below(h, N_SERVICES)];
	__u32 r = below(h, 100);

	gen_base(h, s, sv);
	if (r < 60)
		return;
	if (r < 70)
		make_icmp_error(h, s);
	else if (r < 73)
		make_icmp_other(h, s);
	else if (r < 79)
		make_fragment(h, s);
	else if (r < 83)
		make_extensions(h, s);
	else if (r < 91)
		make_elsewhere(h, s);
	else if (r < 93)
		make_not_ip(h, s);
	else if (r < 95)
		make_multicast(h, s);
	else
		s->payload = JUMBO_PAYLOAD;
}

/* ------------------------------------------------------------------ */
/* Mutations                                                          */

/* A byte near the headers more often than anywhere. */
static __u32 some_offset(struct hostile *h, const struct frame *f)
{
	__u32 near = f->l4 + 48 < f->len ? f->l4 + 48 : f->len;

	return chance(h, 75) && near ? below(h, near) : below(h, f->len);
}

static void mutate_ip_field(struct hostile *h, struct frame *f, __u32 kind)
{
	__u8 *ip = f->data + f->l3;
	int v6 = (ip[0] >> 4) == 6;
	__u32 at = v6 ? 4 : 2;
	__u16 len;

	if (f->l3 + 40 > f->len)
		return;
	if (kind == 0) { /* IHL */
		ip[0] = (ip[0] & 0xf0) | below(h, 16);
		return;
	}
	if (kind == 1) { /* version */
		ip[0] = (ip[0] & 0x0f) | below(h, 16) << 4;
		return;
	}
	/* total length (IPv4) or payload length (IPv6): off by a little, or anything */
	len = get16(ip + at);
	put16(ip + at, chance(h, 50) ? len + below(h, 64) - 32 : below(h, 65536));
}

static void mutate_l4_field(struct hostile *h, struct frame *f)
{
	__u8 *l4 = f->data + f->l4;

	if (f->l4 + 14 > f->len)
		return;
	if (chance(h, 50))
		l4[12] = (l4[12] & 0x0f) | below(h, 16) << 4; /* TCP data offset */
	else
		put16(l4 + 4, below(h, 2) ? below(h, 65536) : get16(l4 + 4) + below(h, 16) - 8);
}

/* A cut at a header boundary (or a byte either side); with consistent,
 * the IP header's length is cut to match, so the datagram is short
 * rather than the frame. */
static void mutate_cut(struct hostile *h, struct frame *f, int consistent)
{
	__u32 len = f->cuts[below(h, f->n_cuts)] + below(h, 3) - 1;
	__u8 *ip = f->data + f->l3;

	if (len >= f->len)
		return;
	f->len = len;
	if (!consistent || f->l3 + 40 > len)
		return;
	if ((ip[0] >> 4) == 6)
		put16(ip + 4, len - f->l3 - 40);
	else
		put16(ip + 2, len - f->l3);
}

static void mutate_random_bytes(struct hostile *h, struct frame *f)
{
	__u32 keep = chance(h, 50) ? 0 : below(h, f->len + 1), i;

	f->len = chance(h, 50) ? below(h, 600) : f->len;
	for (i = keep; i < f->len; i++)
		f->data[i] = (__u8)next_u64(h);
}

static void mutate_once(struct hostile *h, struct frame *f)
{
	__u32 i, n;

	switch (below(h, 11)) {
	case 0:
		mutate_cut(h, f, 0);
		break;
	case 1:
		mutate_cut(h, f, 1);
		break;
	case 2:
		f->len = below(h, f->len + 1);
		break;
	case 3:
	case 4:
		for (i = 0, n = 1 + below(h, 8); i < n && f->len; i++)
			f->data[some_offset(h, f)] ^=
				chance(h, 50) ? 1 << below(h, 8) : (__u8)next_u64(h);
		break;
	case 5:
	case 6:
	case 7:
		mutate_ip_field(h, f, below(h, 3));
		break;
	case 8:
		mutate_l4_field(h, f);
		break;
	case 9: /* Ethernet padding, or trailing junk */
		for (n = below(h, 64), i = 0; i < n && f->len < FRAME_MAX - 64; i++)
			f->data[f->len++] = (__u8)next_u64(h);
		break;
	default:
		mutate_random_bytes(h, f);
	}
}

/* ------------------------------------------------------------------ */
/* What the frame's bytes alone decide                                */

/* A frame as the rules read it: the reason it passes whatever the state
 * (WEIR_DROP_NONE when it reaches a service), the service, and the
 * stream it belongs to (an ICMP error: the one it quotes, reversed). */
struct view {
	__u32 reason;
	const struct scene_svc *svc;
	struct weir_stream_key key;
	__u32 l3, l4, l4_len;
	int icmp_error;
	__u8 tcp_flags;
	__u32 tcp_seq, tcp_ack, tcp_payload;
};

static int bad(__u32 reason)
{
	return reason == WEIR_DROP_TRUNCATED || reason == WEIR_DROP_MALFORMED;
}

static __u32 view_ipv4(const __u8 *d, __u32 len, struct view *v)
{
	const __u8 *ip = d + v->l3;
	__u32 hlen = (ip[0] & 15) * 4, total;

	if (v->l3 + 20 > len)
		return WEIR_DROP_TRUNCATED;
	if (ip[0] >> 4 != 4 || hlen < 20)
		return WEIR_DROP_MALFORMED;
	if (v->l3 + hlen > len)
		return WEIR_DROP_TRUNCATED;
	total = get16(ip + 2);
	if (total < hlen)
		return WEIR_DROP_MALFORMED;
	if (total > len - v->l3)
		return WEIR_DROP_TRUNCATED;
	if (get16(ip + 6) & 0x3fff)
		return WEIR_DROP_FRAGMENT;
	v->key.family = AF4;
	v->key.proto = ip[9];
	memcpy(v->key.src, ip + 12, 4);
	memcpy(v->key.dst, ip + 16, 4);
	v->l4 = v->l3 + hlen;
	v->l4_len = total - hlen;
	return WEIR_DROP_NONE;
}

static int ipv6_extension(__u8 next)
{
	return next == 0 || next == 43 || next == 44 || next == 50 || next == 51 || next == 60 ||
	       next == 135;
}

static __u32 view_ipv6(const __u8 *d, __u32 len, struct view *v)
{
	const __u8 *ip = d + v->l3;

	if (v->l3 + 40 > len)
		return WEIR_DROP_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return WEIR_DROP_MALFORMED;
	if (get16(ip + 4) > len - v->l3 - 40)
		return WEIR_DROP_TRUNCATED;
	if (ipv6_extension(ip[6]))
		return WEIR_DROP_IPV6_EXT;
	v->key.family = AF6;
	v->key.proto = ip[6];
	memcpy(v->key.src, ip + 8, 16);
	memcpy(v->key.dst, ip + 24, 16);
	v->l4 = v->l3 + 40;
	v->l4_len = get16(ip + 4);
	return WEIR_DROP_NONE;
}

static __u32 view_tcp(const __u8 *d, __u32 len, struct view *v)
{
	const __u8 *tcp = d + v->l4;
	__u32 hlen = (tcp[12] >> 4) * 4;

	if (v->l4 + 20 > len)
		return WEIR_DROP_TRUNCATED;
	if (v->l4_len < 20 || hlen < 20 || hlen > v->l4_len)
		return WEIR_DROP_MALFORMED;
	v->key.sport = htons(get16(tcp));
	v->key.dport = htons(get16(tcp + 2));
	v->tcp_seq = get32(tcp + 4);
	v->tcp_ack = get32(tcp + 8);
	v->tcp_flags = tcp[13];
	v->tcp_payload = v->l4_len - hlen;
	return WEIR_DROP_NONE;
}

static __u32 view_udp(const __u8 *d, __u32 len, struct view *v)
{
	const __u8 *udp = d + v->l4;

	if (v->l4 + 8 > len)
		return WEIR_DROP_TRUNCATED;
	if (v->l4_len < 8 || get16(udp + 4) < 8 || get16(udp + 4) > v->l4_len)
		return WEIR_DROP_MALFORMED;
	v->key.sport = htons(get16(udp));
	v->key.dport = htons(get16(udp + 2));
	return WEIR_DROP_NONE;
}

/*
 * An error about a stream: destination unreachable (ICMPv6: also packet
 * too big), its quote a datagram of the VIP it is addressed to, read
 * within the error's datagram only.
 */
static __u32 view_icmp_error(const __u8 *d, __u32 len, struct view *v)
{
	const __u8 *icmp = d + v->l4, *in = icmp + 8;
	__u32 end = v->l4 + v->l4_len < len ? v->l4 + v->l4_len : len, at = v->l4 + 8, hlen;
	int v6 = v->key.family == AF6;
	__u8 proto;

	if (v->l4 + 8 > end)
		return WEIR_DROP_TRUNCATED;
	if (v6 ? icmp[0] != 1 && icmp[0] != 2 : icmp[0] != 3)
		return WEIR_DROP_NOT_SERVICE;
	if (at + (v6 ? 40 : 20) > end)
		return WEIR_DROP_TRUNCATED;
	hlen = v6 ? 40 : (in[0] & 15) * 4;
	if (in[0] >> 4 != (v6 ? 6 : 4) || hlen < 20)
		return WEIR_DROP_MALFORMED;
	if (!v6 && (get16(in + 6) & 0x1fff))
		return WEIR_DROP_FRAGMENT;
	if (at + hlen + 4 > end)
		return WEIR_DROP_TRUNCATED;
	proto = in[v6 ? 6 : 9];
	if (proto != TCP && proto != UDP)
		return WEIR_DROP_NOT_SERVICE;
	/* sent by the VIP the error is addressed to */
	if (memcmp(in + (v6 ? 8 : 12), v->key.dst, addr_len(v->key.family)))
		return WEIR_DROP_NOT_SERVICE;
	memcpy(v->key.src, in + (v6 ? 24 : 16), addr_len(v->key.family));
	v->key.proto = proto;
	v->key.sport = htons(get16(in + hlen + 2));
	v->key.dport = htons(get16(in + hlen));
	v->icmp_error = 1;
	return WEIR_DROP_NONE;
}

static const struct scene_svc *service_of(const struct hostile *h, const struct weir_stream_key *k)
{
	size_t i;

	for (i = 0; i < N_SERVICES; i++) {
		const struct scene_svc *sv = &h->svc[i];

		if (sv->def->family == k->family && sv->def->proto == k->proto &&
		    htons(sv->def->port) == k->dport &&
		    !memcmp(sv->vip, k->dst, addr_len(k->family)))
			return sv;
	}
	return NULL;
}

static __u32 view_l4(const struct hostile *h, const __u8 *d, __u32 len, struct view *v)
{
	__u32 r = WEIR_DROP_NOT_SERVICE;

	if (v->key.proto == TCP)
		r = view_tcp(d, len, v);
	else if (v->key.proto == UDP)
		r = view_udp(d, len, v);
	else if (v->key.proto == (v->key.family == AF6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		r = view_icmp_error(d, len, v);
	if (r)
		return r;
	v->svc = service_of(h, &v->key);
	return v->svc ? WEIR_DROP_NONE : WEIR_DROP_NOT_SERVICE;
}

static void view_of(const struct hostile *h, const struct frame *f, struct view *v)
{
	const __u8 *d = f->data;
	__u32 len = f->len < h->linear ? f->len : h->linear;
	__u16 type;

	memset(v, 0, sizeof(*v));
	v->l3 = 14;
	if (d[0] & 1) {
		v->reason = WEIR_DROP_NOT_UNICAST;
		return;
	}
	type = get16(d + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18) {
			v->reason = WEIR_DROP_TRUNCATED;
			return;
		}
		type = get16(d + 16);
		v->l3 = 18;
	}
	if (type == 0x0800)
		v->reason = view_ipv4(d, len, v);
	else if (type == 0x86dd)
		v->reason = view_ipv6(d, len, v);
	else
		v->reason = WEIR_DROP_NOT_IP;
	if (!v->reason)
		v->reason = view_l4(h, d, len, v);
}

/* ------------------------------------------------------------------ */
/* Checks on one packet                                               */

static const char *const reason_names[] = WEIR_DROP_NAMES;

static int bare_syn(const struct view *v)
{
	return v->key.proto == TCP && (v->tcp_flags & (PKT_SYN | PKT_ACK)) == PKT_SYN;
}

static int ended(const struct weir_stream *s)
{
	return s->state == WEIR_STATE_CLOSING || s->state == WEIR_STATE_PREEMPTED;
}

/* The one reason the packet was counted under, or WEIR_DROP_NONE. */
static __u32 counted_reason(struct hostile *h, const __u64 *after)
{
	__u32 r, found = WEIR_DROP_NONE, n = 0;

	for (r = 0; r < WEIR_DROP_MAX; r++) {
		if (after[r] == h->reasons[r])
			continue;
		expect(h, r != WEIR_DROP_NONE && after[r] == h->reasons[r] + 1,
		       "reason %s went from %llu to %llu", reason_names[r],
		       (unsigned long long)h->reasons[r], (unsigned long long)after[r]);
		found = r;
		n++;
	}
	expect(h, n <= 1, "counted under %u reasons", n);
	return found;
}

static __u32 backend_of(const struct frame *f)
{
	static const __u8 prefix[4] = { 0x02, 0x42, 0x00, 0x00 };

	return memcmp(f->data, prefix, 4) ? ~0U : (__u32)(f->data[4] << 8 | f->data[5]);
}

static int serves(const struct scene_svc *sv, __u32 backend)
{
	__u32 i;

	for (i = 0; i < sv->def->n_backends; i++)
		if (sv->def->backends[i] == backend)
			return 1;
	return 0;
}

/* Only the MACs changed: ours is the source, a backend's of the service
 * the destination. */
static void check_forward(struct hostile *h, const struct view *v)
{
	const struct frame *in = &h->in, *out = &h->out;

	expect(h, !v->reason && v->svc, "forwarded a frame that is %s", reason_names[v->reason]);
	expect(h, out->len == in->len, "forwarded %u bytes of %u", out->len, in->len);
	expect(h, !memcmp(out->data + 6, in->data, 6), "forwarded from another MAC than ours");
	expect(h, !memcmp(out->data + 12, in->data + 12, in->len - 12),
	       "forwarded with bytes past the MACs changed");
	expect(h, serves(v->svc, backend_of(out)),
	       "forwarded to %02x:%02x:%02x:%02x:%02x:%02x, "
	       "no backend of %s",
	       out->data[0], out->data[1], out->data[2], out->data[3], out->data[4], out->data[5],
	       v->svc->def->name);
	h->t.forwarded++;
	if (!v->icmp_error && (v->key.proto == UDP || bare_syn(v)))
		h->t.opened++;
}

/* RFC 793: a RST answers an ACK with its ack number, anything else with
 * an ACK of what it carried. */
static void check_rst(struct hostile *h, const struct view *v, const __u8 *ip, __u32 hlen)
{
	const __u8 *tcp = ip + hlen;
	__u32 len = v->tcp_payload + !!(v->tcp_flags & PKT_SYN) + !!(v->tcp_flags & PKT_FIN);
	__u32 sum = weir_csum_pseudo(ip + (hlen == 40 ? 8 : 12), ip + (hlen == 40 ? 24 : 16),
				     addr_len(v->key.family), TCP, 20);

	expect(h, get16(ip + (hlen == 40 ? 4 : 2)) == (hlen == 40 ? 20 : 40), "RST of %u bytes",
	       get16(ip + (hlen == 40 ? 4 : 2)));
	expect(h, get16(tcp) == ntohs(v->key.dport) && get16(tcp + 2) == ntohs(v->key.sport),
	       "RST ports not swapped");
	expect(h, tcp[12] == 5 << 4, "RST data offset %u", tcp[12] >> 4);
	if (v->tcp_flags & PKT_ACK)
		expect(h, tcp[13] == PKT_RST && get32(tcp + 4) == v->tcp_ack,
		       "RST to an ACK: flags %#x seq %u", tcp[13], get32(tcp + 4));
	else
		expect(h, tcp[13] == (PKT_RST | PKT_ACK) && get32(tcp + 8) == v->tcp_seq + len,
		       "RST to a non-ACK: flags %#x ack %u", tcp[13], get32(tcp + 8));
	expect(h, weir_csum(tcp, 20, sum) == 0, "RST with a bad TCP checksum");
}

/* Port unreachable quoting the refused datagram's IP header and 8 bytes. */
static void check_unreachable(struct hostile *h, const struct view *v, const __u8 *ip, __u32 hlen)
{
	const __u8 *icmp = ip + hlen;
	int v6 = v->key.family == AF6;
	__u32 quoted = v6 ? 48 : v->l4 - v->l3 + 8, len = 8 + quoted;
	__u32 sum = v6 ? weir_csum_pseudo(ip + 8, ip + 24, 16, IPPROTO_ICMPV6, len) : 0;

	expect(h, get16(ip + (v6 ? 4 : 2)) == (v6 ? 0 : hlen) + len, "ICMP reply of %u bytes",
	       get16(ip + (v6 ? 4 : 2)));
	expect(h, icmp[0] == (v6 ? 1 : 3) && icmp[1] == (v6 ? 4 : 3), "ICMP reply type %u code %u",
	       icmp[0], icmp[1]);
	expect(h, weir_csum(icmp, len, sum) == 0, "ICMP reply with a bad checksum");
	expect(h, !memcmp(icmp + 8, h->in.data + v->l3, quoted), "ICMP reply quotes other bytes");
}

/* The reply's IP header: from the VIP back to the client, its checksum
 * (IPv4) valid, its length the frame's. Returns the header's length.
 * A frame longer than the program sees (several buffers: only
 * BPF_PROG_TEST_RUN gives a program without multi-buffer support one)
 * keeps its unseen tail after a reply: only its headers are checked. */
static __u32 check_reply_ip(struct hostile *h, const struct view *v, const __u8 *ip, __u8 proto)
{
	int v6 = v->key.family == AF6, whole = h->in.len <= h->linear;
	__u32 alen = addr_len(v->key.family), hlen = v6 ? 40 : 20, end;
	const __u8 *src = ip + (v6 ? 8 : 12), *in_ip = h->in.data + v->l3;

	expect(h, h->out.len >= v->l3 + hlen, "reply of %u bytes", h->out.len);
	expect(h,
	       !memcmp(src, in_ip + (v6 ? 24 : 16), alen) &&
		       !memcmp(src + alen, in_ip + (v6 ? 8 : 12), alen),
	       "reply not from the VIP to the client");
	if (v6) {
		expect(h, ip[0] >> 4 == 6 && ip[6] == proto, "reply IPv6 header %#x next %u", ip[0],
		       ip[6]);
		end = v->l3 + 40 + get16(ip + 4);
	} else {
		expect(h, ip[0] == 0x45 && ip[9] == proto, "reply IPv4 header %#x proto %u", ip[0],
		       ip[9]);
		expect(h, weir_csum(ip, 20, 0) == 0, "reply with a bad IPv4 checksum");
		end = v->l3 + get16(ip + 2);
	}
	expect(h, whole ? h->out.len == end : h->out.len >= end,
	       "reply of %u bytes, its IP header "
	       "says %u",
	       h->out.len, end);
	return hlen;
}

static void check_reply(struct hostile *h, const struct view *v, __u32 reason)
{
	const struct frame *in = &h->in, *out = &h->out;
	__u8 proto = v->key.proto == TCP    ? TCP
		     : v->key.family == AF6 ? IPPROTO_ICMPV6
					    : IPPROTO_ICMP;
	const __u8 *ip = out->data + v->l3;
	__u32 hlen;

	expect(h, !v->reason && v->svc && !v->icmp_error, "a reply to a frame that is %s",
	       reason_names[v->reason]);
	expect(h, WEIR_DROP_IS_REFUSAL(reason) && v->svc->def->refuse == RESET,
	       "a reply for %s on %s", reason_names[reason], v->svc->def->name);
	expect(h, !(v->key.proto == TCP && (v->tcp_flags & PKT_RST)), "a RST answered");
	expect(h, !memcmp(out->data, in->data + 6, 6) && !memcmp(out->data + 6, in->data, 6),
	       "reply not sent back where the packet came from");
	expect(h, !memcmp(out->data + 12, in->data + 12, v->l3 - 12), "reply with another tag");
	hlen = check_reply_ip(h, v, ip, proto);
	if (v->key.proto == TCP)
		check_rst(h, v, ip, hlen);
	else
		check_unreachable(h, v, ip, hlen);
	h->t.replies[(v->key.proto == UDP) * 2 + (v->key.family == AF6)]++;
}

/* The stream table after a forward: a datagram or a SYN is recorded on
 * the backend it went to, a RST took its entry away. */
static void check_recorded(struct hostile *h, const struct view *v)
{
	struct weir_stream after;
	int found = !bpf_map_lookup_elem(h->lb->streams, &v->key, &after);

	if (v->key.proto == TCP && (v->tcp_flags & PKT_RST))
		expect(h, !found, "a forwarded RST left its entry");
	else if (v->key.proto == UDP || bare_syn(v))
		expect(h, found && after.backend_id == backend_of(&h->out),
		       "a forwarded %s opened no entry on its backend",
		       bare_syn(v) ? "SYN" : "datagram");
}

/* What a reason says of the packet and its service. */
static void check_reason(struct hostile *h, const struct view *v, __u32 reason,
			 const struct weir_stream *before)
{
	const struct svc_def *d = v->svc->def;
	int reopen = before && ended(before) && bare_syn(v);

	expect(h,
	       reason != WEIR_DROP_STRAY_RST || ((v->tcp_flags & PKT_RST) && (!before || reopen)),
	       "stray_rst of no RST, or of a recorded stream");
	expect(h, reason != WEIR_DROP_NO_STREAM || (v->key.proto == TCP && !bare_syn(v) && !before),
	       "no_stream for a SYN, a datagram or a recorded stream");
	expect(h, reason != WEIR_DROP_NO_BACKEND || !d->n_backends, "no_backend on %s", d->name);
	expect(h, reason != WEIR_DROP_POLICED || before, "policed without a stream");
	expect(h, reason != WEIR_DROP_CAPACITY || d->limit_streams != NONE, "capacity on %s",
	       d->name);
	expect(h, reason != WEIR_DROP_MIN_UNMET || d->limit_rate != NONE, "min_unmet on %s",
	       d->name);
	expect(h, reason != WEIR_DROP_PREEMPTED || (before && d->id == 4), "preempted on %s",
	       d->name);
}

/* What the bytes, the state before and the verdict say together. */
static void check_rules(struct hostile *h, const struct view *v, __u32 verdict, __u32 reason,
			const struct weir_stream *before)
{
	const char *name = v->svc ? v->svc->def->name : "-";

	if (v->reason) {
		expect(h, verdict == XDP_PASS, "verdict %u for a frame that is %s", verdict,
		       reason_names[v->reason]);
		expect(h, reason == v->reason || (bad(reason) && bad(v->reason)),
		       "counted %s for a frame that is %s", reason_names[reason],
		       reason_names[v->reason]);
		return;
	}
	if (v->icmp_error) {
		expect(h,
		       before ? verdict == XDP_TX && backend_of(&h->out) == before->backend_id
			      : verdict == XDP_PASS && reason == WEIR_DROP_ICMP_NO_STREAM,
		       "ICMP error about %s stream of %s: verdict %u, %s", before ? "a" : "no",
		       name, verdict, reason_names[reason]);
		h->t.icmp_forwarded += !!before;
		return;
	}
	expect(h, verdict != XDP_PASS, "a packet for %s passed (%s)", name, reason_names[reason]);
	check_reason(h, v, reason, before);
	if (verdict != XDP_TX || reason)
		return;
	/* only a SYN opens a TCP stream; Maglev sends the others statelessly */
	expect(h, before || v->key.proto == UDP || bare_syn(v) || v->svc->def->steering == MAGLEV,
	       "a TCP segment of no stream forwarded");
	if (before && !(ended(before) && bare_syn(v)))
		expect(h, backend_of(&h->out) == before->backend_id,
		       "a packet of a stream of backend %u went to %u", before->backend_id,
		       backend_of(&h->out));
	check_recorded(h, v);
}

static void check_packet(struct hostile *h, const struct view *v, __u32 verdict, const __u64 *after,
			 const struct weir_stream *before)
{
	__u32 reason = counted_reason(h, after);

	expect(h, verdict == XDP_PASS || verdict == XDP_DROP || verdict == XDP_TX, "verdict %u",
	       verdict);
	if (verdict == XDP_PASS) {
		expect(h, h->out.len == h->in.len && !memcmp(h->out.data, h->in.data, h->in.len),
		       "passed, but changed (%u bytes out)", h->out.len);
		expect(h, reason && !WEIR_DROP_IS_DROP(reason), "passed, counted %s",
		       reason_names[reason]);
		h->t.passed++;
	} else if (verdict == XDP_DROP) {
		expect(h, reason && WEIR_DROP_IS_DROP(reason), "dropped, counted %s",
		       reason_names[reason]);
		h->t.dropped++;
	} else if (!reason) {
		check_forward(h, v);
	} else {
		check_reply(h, v, reason);
	}
	check_rules(h, v, verdict, reason, before);
}

/* Runs h->in, the packet h->index, and checks it. */
static void run_packet(struct hostile *h)
{
	struct weir_stream before;
	__u64 after[WEIR_DROP_MAX];
	__u32 verdict = 0;
	struct view v = { .reason = WEIR_DROP_TRUNCATED };
	int known = 0, err;

	h->out.len = 0;
	if (h->in.len >= ETH_HLEN)
		view_of(h, &h->in, &v);
	if (!v.reason)
		known = !bpf_map_lookup_elem(h->lb->streams, &v.key, &before);
	h->now += below(h, STEP_NS);
	lb_set_time(h->lb, h->now);
	err = lb_run_frame(h->lb, h->in.data, h->in.len, h->out.data, sizeof(h->out.data),
			   &h->out.len, &verdict);
	lb_reasons(h->lb, after);
	if (err) {
		/* the kernel takes no frame shorter than an Ethernet header */
		expect(h, h->in.len < ETH_HLEN && err == -EINVAL, "run refused: %s",
		       strerror(-err));
		expect(h, !memcmp(after, h->reasons, sizeof(after)), "a refused run counted");
		h->t.refused_runs++;
		return;
	}
	expect(h, h->in.len >= ETH_HLEN, "a frame of %u bytes was run", h->in.len);
	check_packet(h, &v, verdict, after, known ? &before : NULL);
	memcpy(h->reasons, after, sizeof(after));
}

/* ------------------------------------------------------------------ */
/* Nothing else changes: the stream table against the counts          */

#define MAX_BACKEND_ID 64

struct ledger {
	__u64 states[WEIR_STATE_MAX];
	struct weir_class_counts counts[N_CLASSES];
	__u64 active[N_CLASSES], paused[N_CLASSES];
	__u32 slots[N_CLASSES][WEIR_EPOCH_SLOTS];
	__u64 backend_streams[MAX_BACKEND_ID];
};

static int class_index(__u32 id)
{
	size_t i;

	for (i = 0; i < N_CLASSES; i++)
		if (classes[i].id == id)
			return (int)i;
	return -1;
}

/* One entry: where it is addressed and pinned, and what it counts in. */
static void ledger_add(struct hostile *h, struct ledger *l, const struct weir_stream_key *k,
		       const struct weir_stream *s)
{
	const struct scene_svc *sv = service_of(h, k);
	int ci = class_index(s->class_id), counted, released;
	__u64 slot;

	expect(h, sv && s->service_id == sv->def->id, "an entry for service %u addressed to %s",
	       s->service_id, sv ? sv->def->name : "no service");
	expect(h, serves(sv, s->backend_id), "an entry of %s pinned to backend %u", sv->def->name,
	       s->backend_id);
	expect(h, ci >= 0 && classes[ci].service_id == sv->def->id, "an entry of %s in class %u",
	       sv->def->name, s->class_id);
	expect(h, s->state < WEIR_STATE_MAX, "an entry in state %u", s->state);
	l->states[s->state]++;
	slot = l->counts[ci].epochs[s->epoch % WEIR_EPOCH_SLOTS];
	counted = s->state == WEIR_STATE_ACTIVE || s->state == WEIR_STATE_PROVISIONAL;
	released = WEIR_SLOT_TAG(slot) != s->epoch;
	if (counted && !released) {
		l->active[ci]++;
		l->slots[ci][s->epoch % WEIR_EPOCH_SLOTS]++;
	}
	if ((counted && released) || s->state == WEIR_STATE_PAUSED ||
	    s->state == WEIR_STATE_REFUSED)
		l->paused[ci]++;
	if (!ended(s))
		l->backend_streams[s->backend_id]++;
}

static void check_class_counts(struct hostile *h, const struct ledger *l, int ci)
{
	const struct weir_class_counts *cc = &l->counts[ci];
	__u32 j;

	expect(h, cc->active == l->active[ci] && cc->paused == l->paused[ci],
	       "class %u counts %llu active, %llu paused; its entries say %llu, %llu",
	       classes[ci].id, (unsigned long long)cc->active, (unsigned long long)cc->paused,
	       (unsigned long long)l->active[ci], (unsigned long long)l->paused[ci]);
	for (j = 0; j < WEIR_EPOCH_SLOTS; j++)
		expect(h,
		       (WEIR_SLOT_TAG(cc->epochs[j]) & WEIR_SLOT_RELEASED) ||
			       WEIR_SLOT_COUNT(cc->epochs[j]) == l->slots[ci][j],
		       "class %u slot %u counts %u, its entries say %u", classes[ci].id, j,
		       WEIR_SLOT_COUNT(cc->epochs[j]), l->slots[ci][j]);
}

static void check_service_counts(struct hostile *h, const struct ledger *l, const struct svc_def *d)
{
	struct weir_service_counts sc = lb_service_counts(h->lb, d->id);
	__u64 streams = 0, committed = 0, pending = 0, pending_bps = 0;
	size_t i;

	for (i = 0; i < N_CLASSES; i++) {
		if (classes[i].service_id != d->id)
			continue;
		streams += l->counts[i].active;
		committed += l->counts[i].active * classes[i].min_bps;
		pending += l->counts[i].preempt_pending;
		pending_bps += l->counts[i].preempt_pending * classes[i].min_bps;
	}
	expect(h, sc.streams == streams && sc.committed_bps == committed,
	       "%s counts %llu streams, %llu bit/s; its classes %llu, %llu", d->name,
	       (unsigned long long)sc.streams, (unsigned long long)sc.committed_bps,
	       (unsigned long long)streams, (unsigned long long)committed);
	expect(h, sc.preempt_streams == pending && sc.preempt_bps == pending_bps,
	       "%s has %llu preemptions pending, its classes %llu", d->name,
	       (unsigned long long)sc.preempt_streams, (unsigned long long)pending);
	/* admission keeps streams less those promised away within the limits */
	expect(h,
	       (d->limit_streams == NONE || sc.streams <= d->limit_streams + sc.preempt_streams) &&
		       (d->limit_rate == NONE ||
			sc.committed_bps <= d->limit_rate + sc.preempt_bps),
	       "%s over its limits: %llu streams (%llu promised away), %llu bit/s", d->name,
	       (unsigned long long)sc.streams, (unsigned long long)sc.preempt_streams,
	       (unsigned long long)sc.committed_bps);
}

static const struct ledger *check_ledger(struct hostile *h)
{
	static struct ledger l;
	int n, i;
	size_t s, b;

	memset(&l, 0, sizeof(l));
	for (s = 0; s < N_CLASSES; s++)
		l.counts[s] = lb_class_counts(h->lb, classes[s].id);
	n = lb_stream_dump(h->lb, &h->keys, &h->values, &h->dump_max);
	expect(h, (__u64)n <= h->t.opened, "%d entries from %llu streams opened", n,
	       (unsigned long long)h->t.opened);
	for (i = 0; i < n; i++)
		ledger_add(h, &l, &h->keys[i], &h->values[i]);
	for (s = 0; s < N_CLASSES; s++)
		check_class_counts(h, &l, (int)s);
	for (s = 0; s < N_SERVICES; s++) {
		check_service_counts(h, &l, &services[s]);
		for (b = 0; b < services[s].n_backends; b++) {
			__u32 id = services[s].backends[b];

			expect(h, lb_backend_streams(h->lb, id) == l.backend_streams[id],
			       "backend %u counts %llu streams, the entries %llu", id,
			       (unsigned long long)lb_backend_streams(h->lb, id),
			       (unsigned long long)l.backend_streams[id]);
		}
	}
	return &l;
}

/* The controller's part: epochs idle past a service's pause-after are
 * released, their streams paused, and promises of preemption their class
 * can no longer keep taken back. */
static void release_idle_epochs(struct hostile *h)
{
	__u32 now = weir_epoch_of(h->now), e;
	size_t i, s;

	for (i = 0; i < N_CLASSES; i++) {
		for (s = 0; services[s].id != classes[i].service_id; s++)
			;
		for (e = now - WEIR_EPOCH_SLOTS + 1; e + services[s].pause_epochs <= now; e++)
			lb_release_epoch(h->lb, classes[i].id, e);
	}
	for (i = 0; i < N_CLASSES; i++)
		lb_settle_preemptions(h->lb, classes[i].id);
}

/* ------------------------------------------------------------------ */
/* The scene, as a controller writes it                               */

static void backend_addr(const struct svc_def *d, __u32 id, char *out, size_t size)
{
	if (d->family == AF6)
		snprintf(out, size, "2001:db8:2::%x", id);
	else
		snprintf(out, size, "198.18.1.%u", id);
}

static void add_service(struct hostile *h, struct scene_svc *sv, const struct svc_def *d)
{
	struct weir_service svc;
	char addr[64];
	int i;

	sv->def = d;
	pkt_set_addr(sv->vip, d->family, d->vip);
	sv->key = lb_service_key(d->family, d->vip, d->port, d->proto);
	lb_add_service(h->lb, &sv->key, d->id);
	for (i = 0; i < d->n_backends; i++) {
		backend_addr(d, d->backends[i], addr, sizeof(addr));
		lb_add_backend(h->lb, d->backends[i], d->id, d->family, addr);
	}
	if (d->n_backends)
		lb_set_slots(h->lb, &sv->key, d->backends, d->n_backends);
	svc = lb_get_service(h->lb, &sv->key);
	svc.steering = d->steering;
	svc.refuse = d->refuse;
	svc.pause_epochs = d->pause_epochs;
	for (i = 0; i < WEIR_PRIORITIES; i++) {
		svc.limit_streams[i] = d->limit_streams;
		svc.limit_rate[i] = d->limit_rate;
	}
	lb_update_service(h->lb, &sv->key, &svc);
}

/* web6's Maglev table (table 0), keyed by the backends' addresses. */
static void add_maglev(struct hostile *h, const struct scene_svc *sv)
{
	static __u32 table[MAGLEV_TABLE_SIZE];
	const struct svc_def *d = sv->def;
	__u8 keys[3][MAGLEV_ADDR_KEY_MAX], addr[16];
	struct maglev_backend mb[3];
	void *scratch = malloc(maglev_scratch_size(d->n_backends));
	int fd = bpf_map__fd(h->lb->skel->maps.weir_maglev);
	struct weir_service svc;
	char text[64];
	__u32 i;

	for (i = 0; i < d->n_backends; i++) {
		backend_addr(d, d->backends[i], text, sizeof(text));
		pkt_set_addr(addr, d->family, text);
		mb[i] = (struct maglev_backend){ .key = keys[i], .weight = 1 };
		mb[i].key_len = maglev_addr_key(d->family, addr, keys[i]);
	}
	assert_int_equal(maglev_build(mb, d->n_backends, MAGLEV_TABLE_SIZE, table, scratch), 0);
	free(scratch);
	for (i = 0; i < MAGLEV_TABLE_SIZE; i++) {
		struct weir_maglev_entry e = { .backend_id = d->backends[table[i]] };

		assert_int_equal(bpf_map_update_elem(fd, &i, &e, BPF_ANY), 0);
	}
	svc = lb_get_service(h->lb, &sv->key);
	svc.maglev_table = 0;
	svc.maglev_size = MAGLEV_TABLE_SIZE;
	lb_update_service(h->lb, &sv->key, &svc);
}

/* live4 preempts its default class for 198.19.7.0/24; dns4 classes by
 * DSCP 46 and 198.19.8.0/24, quic6 by 2001:db8:1:8::/64, tcp6 by port. */
static void add_rules(struct hostile *h)
{
	struct weir_rule gold = { .class_id = 104 },
			 voice = { .kind = WEIR_RULE_DSCP, .dscp = 46, .class_id = 105 };
	struct weir_rule net8 = { .class_id = 106 }, net8v6 = { .class_id = 107 };
	struct weir_rule ports = {
		.kind = WEIR_RULE_PORTS, .port_lo = 8000, .port_hi = 8099, .class_id = 108
	};
	struct weir_service svc = lb_get_service(h->lb, &h->svc[1].key);

	svc.flags |= WEIR_SERVICE_PREEMPT;
	svc.victims[0] = 4;
	lb_update_service(h->lb, &h->svc[1].key, &svc);
	lb_class_preemptable(h->lb, 4);
	lb_rule_prefix(&gold, AF4, "198.19.7.0", 24);
	lb_add_rule(h->lb, &h->svc[1].key, &gold);
	lb_add_rule(h->lb, &h->svc[2].key, &voice);
	lb_rule_prefix(&net8, AF4, "198.19.8.0", 24);
	lb_add_rule(h->lb, &h->svc[2].key, &net8);
	lb_rule_prefix(&net8v6, AF6, "2001:db8:1:8::", 64);
	lb_add_rule(h->lb, &h->svc[4].key, &net8v6);
	lb_add_rule(h->lb, &h->svc[5].key, &ports);
}

/* What the program only reads: services, backends, classes, rules. */
struct config {
	struct weir_service services[N_SERVICES];
	struct weir_backend backends[MAX_BACKEND_ID];
	struct weir_class classes[N_CLASSES];
	struct weir_rule rules[N_SERVICES][2];
};

static void read_config(struct hostile *h, struct config *c)
{
	__u32 i, j, index;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_SERVICES; i++) {
		c->services[i] = lb_get_service(h->lb, &h->svc[i].key);
		for (j = 0; j < 2; j++) {
			index = services[i].id * WEIR_MAX_RULES + j;
			assert_int_equal(bpf_map_lookup_elem(h->lb->rules, &index, &c->rules[i][j]),
					 0);
		}
	}
	for (i = 0; i < MAX_BACKEND_ID; i++)
		assert_int_equal(bpf_map_lookup_elem(h->lb->backends, &i, &c->backends[i]), 0);
	for (i = 0; i < N_CLASSES; i++)
		assert_int_equal(
			bpf_map_lookup_elem(h->lb->classes, &classes[i].id, &c->classes[i]), 0);
}

static void scene(struct hostile *h)
{
	size_t i;

	for (i = 0; i < N_SERVICES; i++)
		add_service(h, &h->svc[i], &services[i]);
	for (i = 0; i < N_CLASSES; i++)
		lb_set_class(h->lb, classes[i].id, classes[i].service_id, classes[i].min_bps,
			     classes[i].priority, classes[i].rate_bps);
	add_rules(h);
	add_maglev(h, &h->svc[3]);
}

/* ------------------------------------------------------------------ */
/* Runs                                                               */

static struct hostile hostile;
static struct config config_written;

static __u64 env_u64(const char *name, __u64 fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : fallback;
}

/* One CPU for the whole run: replies are paced per CPU, and a run must
 * replay exactly. */
static void pin_cpu(cpu_set_t *old)
{
	cpu_set_t one;

	assert_int_equal(sched_getaffinity(0, sizeof(*old), old), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
}

/*
 * A program without multi-buffer support sees the first part of a frame
 * longer than a page, the rest being fragments it cannot read: a 9000-byte
 * frame's datagram is truncated as far as it can tell. How much it sees
 * depends on the kernel (a page less head- and tailroom): found here by
 * the longest IPv4 datagram of a long frame it does not call truncated.
 */
static __u32 probe_linear(struct hostile *h)
{
	struct shape s;
	__u32 lo = 60, hi = JUMBO_PAYLOAD, mid, verdict, len;
	__u64 before, after;

	gen_base(h, &s, &h->svc[0]);
	s.tags = 0;
	s.ip_options = 0;
	s.proto = UDP;
	s.dport = 9; /* no service */
	s.payload = JUMBO_PAYLOAD;
	frame_build(&h->in, &s);
	while (lo + 1 < hi) {
		mid = (lo + hi) / 2;
		put16(h->in.data + 14 + 2, mid);
		before = lb_reason(h->lb, WEIR_DROP_TRUNCATED);
		assert_int_equal(lb_run_frame(h->lb, h->in.data, h->in.len, h->out.data,
					      sizeof(h->out.data), &len, &verdict),
				 0);
		after = lb_reason(h->lb, WEIR_DROP_TRUNCATED);
		*(after > before ? &hi : &lo) = mid;
	}
	return 14 + lo;
}

static struct hostile *hostile_start(struct lb *lb, const char *what)
{
	struct hostile *h = &hostile;
	struct timespec ts;

	free(h->keys);
	free(h->values);
	memset(h, 0, sizeof(*h));
	clock_gettime(CLOCK_REALTIME, &ts);
	h->lb = lb;
	h->seed = env_u64("WEIR_HOSTILE_SEED", (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	h->rng = h->seed;
	printf("hostile %s: seed %llu (WEIR_HOSTILE_SEED=%llu replays it)\n", what,
	       (unsigned long long)h->seed, (unsigned long long)h->seed);
	scene(h);
	read_config(h, &config_written);
	h->linear = probe_linear(h);
	printf("  the program sees %u bytes of a long frame\n", h->linear);
	fflush(stdout);
	h->now = T0;
	lb_reasons(lb, h->reasons);
	pin_cpu(&h->cpus);
	return h;
}

/* The services' and backends' counters add up to what the test saw. */
static void check_counters(struct hostile *h)
{
	__u64 packets = 0, icmp = 0, replies = 0, refused = 0, refusals = 0;
	size_t i, b;
	__u32 r;

	for (i = 0; i < N_SERVICES; i++) {
		struct weir_counters c = lb_service_counters(h->lb, services[i].id);

		icmp += c.icmp_forwarded;
		replies += c.replies;
		refused += c.refused;
		for (b = 0; b < services[i].n_backends; b++)
			packets += lb_backend_counters(h->lb, services[i].backends[b]).packets;
	}
	for (r = 0; r < WEIR_DROP_MAX; r++)
		refusals += WEIR_DROP_IS_REFUSAL(r) ? h->reasons[r] : 0;
	expect(h, packets + icmp == h->t.forwarded && icmp == h->t.icmp_forwarded,
	       "backends counted %llu packets and services %llu ICMP errors of %llu forwarded",
	       (unsigned long long)packets, (unsigned long long)icmp,
	       (unsigned long long)h->t.forwarded);
	expect(h, replies == h->t.replies[0] + h->t.replies[1] + h->t.replies[2] + h->t.replies[3],
	       "services counted %llu replies", (unsigned long long)replies);
	expect(h, refused == refusals, "services counted %llu refusals of %llu",
	       (unsigned long long)refused, (unsigned long long)refusals);
}

/* The configuration is as written, and the counts as the entries say. */
static void hostile_finish(struct hostile *h)
{
	static const char *const states[] = WEIR_STATE_NAMES;
	static struct config now;
	const struct ledger *l;
	__u32 r;

	assert_int_equal(sched_setaffinity(0, sizeof(h->cpus), &h->cpus), 0);
	l = check_ledger(h);
	check_counters(h);
	read_config(h, &now);
	expect(h, !memcmp(&now, &config_written, sizeof(now)), "the configuration maps changed");
	printf("  forwarded %llu (ICMP errors %llu), replies %llu RST4 %llu RST6 %llu ICMP "
	       "%llu ICMPv6, passed %llu, dropped %llu, refused by the kernel %llu\n  reasons:",
	       (unsigned long long)h->t.forwarded, (unsigned long long)h->t.icmp_forwarded,
	       (unsigned long long)h->t.replies[0], (unsigned long long)h->t.replies[1],
	       (unsigned long long)h->t.replies[2], (unsigned long long)h->t.replies[3],
	       (unsigned long long)h->t.passed, (unsigned long long)h->t.dropped,
	       (unsigned long long)h->t.refused_runs);
	for (r = 1; r < WEIR_DROP_MAX; r++)
		if (h->reasons[r])
			printf(" %s %llu", reason_names[r], (unsigned long long)h->reasons[r]);
	printf("\n  stream entries:");
	for (r = 0; r < WEIR_STATE_MAX; r++)
		printf(" %s %llu", states[r], (unsigned long long)l->states[r]);
	for (r = 0; r < N_CLASSES; r++) {
		struct weir_class_stats cs = lb_class_stats(h->lb, classes[r].id);

		h->t.resumed += cs.resumed;
		h->t.preempted += cs.preempted;
	}
	printf("; streams resumed %llu, preempted %llu\n", (unsigned long long)h->t.resumed,
	       (unsigned long long)h->t.preempted);
	fflush(stdout);
}

/* Every reason the scene can produce was produced, every reply sent. */
static void check_coverage(struct hostile *h)
{
	static const __u32 reasons[] = {
		WEIR_DROP_NOT_UNICAST, WEIR_DROP_NOT_IP,	 WEIR_DROP_NOT_SERVICE,
		WEIR_DROP_TRUNCATED,   WEIR_DROP_MALFORMED,	 WEIR_DROP_FRAGMENT,
		WEIR_DROP_IPV6_EXT,    WEIR_DROP_ICMP_NO_STREAM, WEIR_DROP_NO_BACKEND,
		WEIR_DROP_STRAY_RST,   WEIR_DROP_NO_STREAM,	 WEIR_DROP_CAPACITY,
		WEIR_DROP_MIN_UNMET,   WEIR_DROP_PREEMPTED,	 WEIR_DROP_POLICED,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		expect(h, h->reasons[reasons[i]], "no packet counted %s", reason_names[reasons[i]]);
	for (i = 0; i < ARRAY_SIZE(h->t.replies); i++)
		expect(h, h->t.replies[i], "no reply of kind %zu", i);
	expect(h, h->t.icmp_forwarded && h->t.refused_runs,
	       "no ICMP error forwarded, or no "
	       "frame too short to run");
	expect(h, h->t.resumed && h->t.preempted, "no stream resumed, or none preempted");
}

static void run_shape(struct hostile *h, const struct shape *s)
{
	frame_build(&h->in, s);
	run_packet(h);
	h->index++;
}

/* Every TCP flag byte, untagged and tagged, to every TCP service; then
 * every cut of frames of each kind, to every service: a frame of every
 * length from 0 bytes to whole, and the datagram cut at each boundary. */
static void every_flag_and_cut(void **state)
{
	struct hostile *h = hostile_start(*state, "sweep");
	void (*const kinds[])(struct hostile *, struct shape *) = {
		NULL,
		make_icmp_error,
		make_fragment,
		make_extensions,
	};
	struct shape s;
	size_t i, k;
	__u32 flags, len, cut, tags;

	for (i = 0; i < N_SERVICES; i++)
		for (flags = 0; flags < 256 && services[i].proto == TCP; flags++)
			for (tags = 0; tags < 2; tags++) {
				gen_base(h, &s, &h->svc[i]);
				s.tcp_flags = flags;
				s.tags = tags;
				run_shape(h, &s);
			}
	for (i = 0; i < N_SERVICES; i++)
		for (k = 0; k < ARRAY_SIZE(kinds); k++) {
			struct frame whole;

			gen_base(h, &s, &h->svc[i]);
			s.tcp_flags = PKT_SYN;
			s.payload = 16;
			if (kinds[k])
				kinds[k](h, &s);
			frame_build(&whole, &s);
			for (len = 0; len <= whole.len; len++) {
				h->in = whole;
				h->in.len = len;
				run_packet(h);
				h->index++;
			}
			for (cut = 0; cut < whole.n_cuts; cut++) {
				h->in = whole;
				mutate_cut(h, &h->in, 1);
				run_packet(h);
				h->index++;
			}
		}
	printf("  %llu packets\n", (unsigned long long)h->index);
	hostile_finish(h);
}

static void million_packets(void **state)
{
	struct hostile *h = hostile_start(*state, "random");
	__u64 packets = env_u64("WEIR_HOSTILE_PACKETS", PACKETS), n;
	struct timespec t0, t1;
	struct shape s;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (h->index = 0; h->index < packets; h->index++) {
		gen_valid(h, &s);
		frame_build(&h->in, &s);
		if (chance(h, 50)) {
			for (n = chance(h, 30) ? 2 + below(h, 2) : 1; n; n--)
				mutate_once(h, &h->in);
			h->t.mutated++;
		}
		run_packet(h);
		if ((h->index + 1) % CHECK_EVERY == 0) {
			check_ledger(h);
			/* every other time, all is idle for a while: streams
			 * pause, and their next packets resume them */
			if ((h->index + 1) / CHECK_EVERY % 2)
				h->now += IDLE_EPOCHS * WEIR_EPOCH_NS;
			release_idle_epochs(h);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %llu packets (%llu mutated) in %.1f s: %.0f packets/s, each checked\n",
	       (unsigned long long)packets, (unsigned long long)h->t.mutated, secs, packets / secs);
	hostile_finish(h);
	if (packets >= PACKETS)
		check_coverage(h);
}

static const struct CMUnitTest tests[] = {
	lb_test(every_flag_and_cut),
	lb_test(million_packets),
};

const struct test_group hostile_group = { "hostile", tests, ARRAY_SIZE(tests) };
