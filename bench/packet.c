// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet cost of the compiled balancer under BPF_PROG_TEST_RUN, next to
 * the floors of bench/floor.bpf.c measured the same way in the same round.
 *
 * Two methods, each used for weir and its baseline alike:
 * - repeat: one packet run REPEAT times in the kernel, timed by the kernel
 *   (opts.duration: the mean of the runs, the syscall left out, which at
 *   about 16 ns a packet would otherwise land on both sides and flatter
 *   every ratio). For paths where the same packet takes the same path
 *   every time and is not rewritten into another (established, pass,
 *   dropped).
 * - distinct: one run per packet over many distinct packets (the 5-tuple
 *   changes every time), timed by the kernel (opts.duration, so syscall
 *   overhead is left out). For new streams, where every run must be a real
 *   miss and insert, and for established streams spread over a full table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "weir/abi.h"
#include "weir.skel.h"
#include "floor.skel.h"
#include "packet.h"
#include "bench.h"

#define REPEAT 1000000
#define DISTINCT 300000 /* two runs a round stay below the table size */
#define FULL_TABLE 65536
#define COLD_STREAMS 1000000
#define COLD_TABLE 1310720 /* room so the 1M entries are not evicted */
#define CLIENT4 "198.18.0.2"
#define CLIENT6 "2001:db8::2"
#define VIP4 "198.18.1.100"
#define VIP6 "2001:db8:1::100"

struct scene {
	struct weir_bpf *lb;
	struct floor_bpf *floor;
	int prog, pass, swap, lookup;
};

/* What a service asks of the data plane beyond forwarding. */
struct service_spec {
	__u64 rate_bps; /* its default class's allocation; 0: not policed */
	__u64 limit_streams; /* admission limit (every priority); 0: none */
	__u8 n_rules; /* class rules that do not match, checked before the default */
	bool full; /* no room: every new stream is refused */
	bool reset; /* refuse with a RST */
	bool pie; /* PIE refuses every new stream (p = 1) */
	bool ipip; /* forwarded in IP-in-IP */
};

/* The service's default class, id = service id (the controller's ids are
 * its own, but any id does for the data plane). */
static int set_class(struct scene *s, __u32 id, const struct service_spec *spec)
{
	struct weir_class cls = { .fill = WEIR_RATE_UNLIMITED,
				  .depth = WEIR_RATE_UNLIMITED,
				  .service_id = id,
				  .flags = WEIR_CLASS_IN_USE };
	__u64 bytes = spec->rate_bps / 8;

	if (spec->rate_bps) {
		cls.fill = (__u64)(((unsigned __int128)bytes << WEIR_TOKEN_SHIFT) / 1000000000ULL);
		cls.depth = (bytes / 100) << WEIR_TOKEN_SHIFT; /* 10 ms */
		cls.full_ns = cls.depth / cls.fill + 1;
	}
	return bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_classes), &id, &cls, 0);
}

/* Rules of another client prefix: every new stream checks them all. */
static int set_rules(struct scene *s, __u32 id, __u8 n)
{
	struct weir_rule r = {
		.kind = WEIR_RULE_CIDR, .family = WEIR_AF_INET, .prefix_len = 24, .class_id = id
	};
	__u32 i, index;

	/* 198.19.99.0/24, masked, as the controller writes it */
	r.addr[0] = 0x006313c6ULL; /* bytes c6 13 63 00 */
	r.mask[0] = 0x00ffffffULL;
	for (i = 0; i < n; i++) {
		index = id * WEIR_MAX_RULES + i;
		if (bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_rules), &index, &r, 0))
			return -errno;
	}
	return 0;
}

/* p = 1 at every priority: the controller's write when PIE refuses all. */
static int set_pie(struct scene *s, __u32 id)
{
	struct weir_admission adm = { 0 };
	int i;

	for (i = 0; i < WEIR_PRIORITIES; i++)
		adm.refuse_prob[i] = 0xffffffffU;
	return bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_admission), &id, &adm, 0) ? -errno
											  : 0;
}

static int use_port(struct scene *s, __u16 port)
{
	int fd = bpf_map__fd(s->lb->maps.weir_ports);
	__u32 word = port >> 5, bits = 0;

	bpf_map_lookup_elem(fd, &word, &bits);
	bits |= 1U << (port & 31);
	return bpf_map_update_elem(fd, &word, &bits, 0) ? -errno : 0;
}

static void service_value(struct weir_service *val, __u32 id, __u32 n_backends,
			  const struct service_spec *spec)
{
	int i;

	memset(val, 0, sizeof(*val));
	val->id = id;
	val->slot_count = n_backends;
	val->idle_timeout_ns = ~0ULL;
	val->default_class = id;
	val->pause_epochs = 28;
	val->handshake_epochs = 3;
	val->n_rules = spec->n_rules;
	val->refuse = spec->reset ? WEIR_REFUSE_RESET : WEIR_REFUSE_DROP;
	val->refuse_interval_ns = 1; /* the pace never holds a reply back here */
	val->flags = spec->pie ? WEIR_SERVICE_PIE : 0;
	for (i = 0; i < WEIR_PRIORITIES; i++) {
		val->limit_streams[i] = spec->limit_streams ? spec->limit_streams : ~0ULL;
		val->limit_rate[i] = ~0ULL;
		if (spec->full)
			val->limit_streams[i] = 0;
	}
	for (i = 0; i < WEIR_VICTIMS; i++)
		val->victims[i] = WEIR_CLASS_NONE;
}

static int set_service(struct scene *s, const char *vip, __u16 port, __u32 id, __u32 first_backend,
		       __u32 n_backends, const struct service_spec *spec)
{
	struct weir_service_key key = { .port = htons(port), .proto = IPPROTO_TCP };
	struct weir_service val;
	__u32 i;
	int err;

	service_value(&val, id, n_backends, spec);
	key.family = strchr(vip, ':') ? WEIR_AF_INET6 : WEIR_AF_INET;
	pkt_set_addr(key.addr, key.family, vip);
	err = set_class(s, id, spec);
	if (!err)
		err = set_rules(s, id, spec->n_rules);
	if (err)
		return err;
	for (i = 0; i < n_backends; i++) {
		struct weir_backend be = { .flags = WEIR_BACKEND_IN_USE | WEIR_BACKEND_MAC_VALID,
					   .service_id = id,
					   .family = key.family,
					   .mac = { 0x02, 0, 0, 0, 0, first_backend + i } };
		__u32 bid = first_backend + i, slot = id * WEIR_MAX_SLOTS + i;

		if (spec->ipip) {
			be.flags |= WEIR_BACKEND_IPIP;
			pkt_set_addr(be.addr, key.family,
				     key.family == WEIR_AF_INET ? "198.18.2.11" : "2001:db8:2::11");
			pkt_set_addr(be.encap_source, key.family,
				     key.family == WEIR_AF_INET ? "198.19.254.0" : "2001:db8:ff::");
			be.encap_prefix_len = key.family == WEIR_AF_INET ? 24 : 64;
			be.encap_mtu = 9000;
		}

		if (bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_backends), &bid, &be, 0) ||
		    bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_slots), &slot, &bid, 0))
			return -errno;
	}
	err = use_port(s, port);
	if (!err && spec->pie)
		err = set_pie(s, id);
	return err ? err
		   : bpf_map_update_elem(bpf_map__fd(s->lb->maps.weir_services), &key, &val, 0);
}

static int scene_open(struct scene *s, __u32 streams)
{
	static const struct service_spec plain = {}, policed = { .rate_bps = 40000000000ULL };
	static const struct service_spec admitted = { .limit_streams = 1ULL << 40, .n_rules = 4 };
	static const struct service_spec full = { .full = true, .reset = true };
	static const struct service_spec pie = { .limit_streams = 1ULL << 40, .pie = true };
	static const struct service_spec ipip = { .ipip = true };
	int err;

	memset(s, 0, sizeof(*s));
	s->lb = weir_bpf__open();
	s->floor = floor_bpf__open_and_load();
	if (!s->lb || !s->floor)
		return -ENOENT;
	bpf_map__set_max_entries(s->lb->maps.weir_streams, streams);
	err = weir_bpf__load(s->lb);
	if (!err)
		err = set_service(s, VIP4, 80, 0, 0, 3, &plain);
	if (!err)
		err = set_service(s, VIP6, 80, 1, 3, 3, &plain);
	if (!err)
		err = set_service(s, VIP4, 81, 2, 6, 0, &plain); /* no usable backend */
	if (!err)
		err = set_service(s, VIP4, 82, 3, 6, 3, &policed);
	if (!err)
		err = set_service(s, VIP4, 83, 4, 9, 3, &admitted);
	if (!err)
		err = set_service(s, VIP4, 84, 5, 12, 3, &full);
	if (!err)
		err = set_service(s, VIP4, 85, 6, 15, 3, &pie);
	if (!err)
		err = set_service(s, VIP4, 86, 7, 18, 3, &ipip);
	s->prog = bpf_program__fd(s->lb->progs.weir_xdp);
	s->pass = bpf_program__fd(s->floor->progs.floor_pass);
	s->swap = bpf_program__fd(s->floor->progs.floor_mac_swap);
	s->lookup = bpf_program__fd(s->floor->progs.floor_parse_lookup);
	return err;
}

static void scene_close(struct scene *s)
{
	weir_bpf__destroy(s->lb);
	floor_bpf__destroy(s->floor);
}

static void build(struct pkt *p, const char *src, const char *dst, __u16 sport, __u16 dport,
		  __u8 flags)
{
	struct pkt_spec spec = {
		.family = strchr(dst, ':') ? WEIR_AF_INET6 : WEIR_AF_INET,
		.proto = IPPROTO_TCP,
		.src = src,
		.dst = dst,
		.sport = sport,
		.dport = dport,
		.tcp_flags = flags,
		.payload_len = 64,
	};

	pkt_build(p, &spec);
}

static __u64 reason_count(struct scene *s, __u32 reason)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 v[ncpu > 0 ? ncpu : 1], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->lb->maps.weir_stats), &reason, v))
		return 0;
	for (i = 0; i < ncpu; i++)
		sum += v[i];
	return sum;
}

static __u32 run_once(int prog, const struct pkt *p, __u32 *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data, .data_size_in = p->len, .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &o))
		return ~0U;
	if (duration)
		*duration = o.duration;
	return o.retval;
}

/* The kernel's mean ns per run of p, repeated; a verdict other than want
 * is counted in *unexpected (the figure would time another path). */
static double ns_repeat(int prog, const struct pkt *p, __u32 want, __u32 *unexpected)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data, .data_size_in = p->len,
		    .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog, &o))
		return -1;
	if (o.retval != want)
		(*unexpected)++;
	return o.duration;
}

/* The i-th client of a run: the source port and the low bytes of the
 * source address change, so every 5-tuple is one the table has not seen
 * (run picks the address range, keeping runs apart). */
static void vary_source(struct pkt *p, __u32 run, __u32 i)
{
	__u8 *ip = p->data + p->l3_off;
	__u16 sport = htons(1024 + i % 50000);
	__u32 host = run * 64 + i / 50000;

	if ((ip[0] >> 4) == 4) {
		ip[12 + 2] = 128 + ((host >> 8) & 0x3f);
		ip[12 + 3] = host & 0xff;
		pkt_ipv4_csum(p);
	} else {
		ip[8 + 14] = host >> 8;
		ip[8 + 15] = host & 0xff;
	}
	memcpy(p->data + p->l4_off, &sport, sizeof(sport));
}

/* Mean kernel-timed ns per packet over n distinct packets, visited in a
 * scattered order (a stride coprime with n) so consecutive packets touch
 * unrelated table entries. *unexpected counts verdicts other than want. */
static double ns_distinct(int prog, const struct pkt *tmpl, __u32 n, __u32 run, __u32 want,
			  __u32 *unexpected)
{
	struct pkt p = *tmpl;
	double total = 0;
	__u32 i, d = 0;

	for (i = 0; i < n; i++) {
		vary_source(&p, run, (__u32)(((__u64)i * 7919) % n));
		if (run_once(prog, &p, &d) != want)
			(*unexpected)++;
		total += d;
	}
	return total / n;
}

struct packet_results {
	struct series pass, swap, lookup, lookup6, swap_distinct;
	struct series est4, est6, new4, new6, new_full, pass4, pass6, refused;
	struct series est_policed, new_admitted, refused_rst, refused_pie, new_ipip;
	__u32 unexpected;
};

static void measure_floors(struct scene *s, struct packet_results *r, const struct pkt *syn4,
			   const struct pkt *ack4, const struct pkt *ack6, int round)
{
	series_add(&r->pass, ns_repeat(s->pass, ack4, XDP_PASS, &r->unexpected));
	series_add(&r->swap, ns_repeat(s->swap, ack4, XDP_TX, &r->unexpected));
	series_add(&r->lookup, ns_repeat(s->lookup, ack4, XDP_TX, &r->unexpected));
	series_add(&r->lookup6, ns_repeat(s->lookup, ack6, XDP_TX, &r->unexpected));
	series_add(&r->swap_distinct,
		   ns_distinct(s->swap, syn4, DISTINCT, 40 + round, XDP_TX, &r->unexpected));
}

static void measure_weir(struct scene *s, struct packet_results *r, int round)
{
	struct pkt syn4, syn6, ack4, ack6, other4, other6, refused, syn82, ack82, syn83, syn84;
	struct pkt syn85;

	build(&syn4, CLIENT4, VIP4, 40000, 80, PKT_SYN);
	build(&syn6, CLIENT6, VIP6, 40000, 80, PKT_SYN);
	build(&ack4, CLIENT4, VIP4, 40000, 80, PKT_ACK);
	build(&ack6, CLIENT6, VIP6, 40000, 80, PKT_ACK);
	build(&other4, CLIENT4, VIP4, 40000, 8080, PKT_ACK);
	build(&other6, CLIENT6, VIP6, 40000, 8080, PKT_ACK);
	build(&refused, CLIENT4, VIP4, 40000, 81, PKT_SYN);
	build(&syn82, CLIENT4, VIP4, 40000, 82, PKT_SYN);
	build(&ack82, CLIENT4, VIP4, 40000, 82, PKT_ACK);
	build(&syn83, CLIENT4, VIP4, 40000, 83, PKT_SYN);
	build(&syn84, CLIENT4, VIP4, 40000, 84, PKT_SYN);
	build(&syn85, CLIENT4, VIP4, 40000, 85, PKT_SYN);
	run_once(s->prog, &syn4, NULL); /* open the established streams */
	run_once(s->prog, &syn6, NULL);
	run_once(s->prog, &syn82, NULL);
	run_once(s->prog, &ack82, NULL); /* handshake done: active, policed */
	measure_floors(s, r, &syn4, &ack4, &ack6, round);
	series_add(&r->est4, ns_repeat(s->prog, &ack4, XDP_TX, &r->unexpected));
	series_add(&r->est6, ns_repeat(s->prog, &ack6, XDP_TX, &r->unexpected));
	series_add(&r->pass4, ns_repeat(s->prog, &other4, XDP_PASS, &r->unexpected));
	series_add(&r->pass6, ns_repeat(s->prog, &other6, XDP_PASS, &r->unexpected));
	series_add(&r->refused, ns_repeat(s->prog, &refused, XDP_DROP, &r->unexpected));
	series_add(&r->refused_pie, ns_repeat(s->prog, &syn85, XDP_DROP, &r->unexpected));
	series_add(&r->est_policed, ns_repeat(s->prog, &ack82, XDP_TX, &r->unexpected));
	series_add(&r->new4, ns_distinct(s->prog, &syn4, DISTINCT, round, XDP_TX, &r->unexpected));
	series_add(&r->new6, ns_distinct(s->prog, &syn6, DISTINCT, round, XDP_TX, &r->unexpected));
}

/* Fills the stream table with COLD_STREAMS established streams of VIP4:80
 * by batch update, as vary_source(run) would make them. */
static int fill_streams(struct scene *s, const struct pkt *tmpl, __u32 run)
{
	struct weir_stream_key *keys = calloc(COLD_STREAMS, sizeof(*keys));
	struct weir_stream *vals = calloc(COLD_STREAMS, sizeof(*vals));
	struct pkt p = *tmpl;
	__u32 i, count = COLD_STREAMS;
	int err = -ENOMEM;

	if (!keys || !vals)
		goto out;
	for (i = 0; i < COLD_STREAMS; i++) {
		const __u8 *ip;

		vary_source(&p, run, i);
		ip = p.data + p.l3_off;
		keys[i].family = WEIR_AF_INET;
		keys[i].proto = IPPROTO_TCP;
		memcpy(keys[i].src, ip + 12, 4);
		memcpy(keys[i].dst, ip + 16, 4);
		memcpy(&keys[i].sport, p.data + p.l4_off, 2);
		memcpy(&keys[i].dport, p.data + p.l4_off + 2, 2);
		vals[i].backend_id = i % 3;
	}
	err = bpf_map_update_batch(bpf_map__fd(s->lb->maps.weir_streams), keys, vals, &count, NULL);
out:
	free(keys);
	free(vals);
	return err;
}

/* Established packets spread over a full table: cache-cold lookups. */
static int measure_cold(int rounds, struct series *cold, struct series *floor, __u64 *misses)
{
	struct scene s;
	struct pkt ack4;
	__u32 unexpected = 0;
	__u64 before;
	int r, err;

	err = scene_open(&s, COLD_TABLE);
	build(&ack4, CLIENT4, VIP4, 40000, 80, PKT_ACK);
	if (!err)
		err = fill_streams(&s, &ack4, 99);
	if (err) {
		fprintf(stderr, "bench: cannot fill %d streams: %s\n", COLD_STREAMS,
			strerror(-err));
		scene_close(&s);
		return err;
	}
	before = reason_count(&s, WEIR_DROP_NO_STREAM);
	for (r = 0; r < rounds; r++) {
		series_add(floor,
			   ns_distinct(s.swap, &ack4, COLD_STREAMS, 99, XDP_TX, &unexpected));
		series_add(cold, ns_distinct(s.prog, &ack4, COLD_STREAMS, 99, XDP_TX, &unexpected));
	}
	/* an ACK that finds no entry opens nothing: it is dropped as no_stream */
	*misses = reason_count(&s, WEIR_DROP_NO_STREAM) - before;
	scene_close(&s);
	return unexpected ? -EPROTO : 0;
}

/* New streams of a service with 4 class rules (none matches) and a stream
 * limit, into a fresh table as the plain service's new streams are: the
 * cost of classification and admission, and nothing else. */
/* New streams to VIP4:dport in a fresh, empty table of their own, as
 * the plain new-stream row's (run keeps the sources apart). */
static int measure_new_fresh(struct series *out, __u16 dport, __u32 run, __u32 *unexpected)
{
	struct scene s;
	struct pkt syn;
	int err = scene_open(&s, WEIR_STREAMS_DEFAULT);

	build(&syn, CLIENT4, VIP4, 40000, dport, PKT_SYN);
	if (!err)
		series_add(out, ns_distinct(s.prog, &syn, DISTINCT, run, XDP_TX, unexpected));
	scene_close(&s);
	return err;
}

static int measure_admitted(struct packet_results *r, int round)
{
	int err = measure_new_fresh(&r->new_admitted, 83, 20 + round, &r->unexpected);

	/* ipip too: after the plain rows it would insert into a fuller table */
	return err ? err : measure_new_fresh(&r->new_ipip, 86, 100 + round, &r->unexpected);
}

/* New streams into a table that is already full: the LRU evicts on every
 * insert, the steady state of a busy balancer whose table is too small.
 * And refusals answered with a RST: a RST rewrites the packet, so one run
 * each (distinct, never repeat), in this table of 65536 entries so each
 * miss costs a lookup, not a trip to memory of a 1M-entry table's
 * buckets (the first-round rows show what that trip costs). */
static int measure_full_table(struct packet_results *r, int round)
{
	struct scene s;
	struct pkt syn4, syn84;
	__u32 unexpected = 0;
	int err = scene_open(&s, FULL_TABLE);

	build(&syn4, CLIENT4, VIP4, 40000, 80, PKT_SYN);
	build(&syn84, CLIENT4, VIP4, 40000, 84, PKT_SYN);
	if (!err) {
		ns_distinct(s.prog, &syn4, FULL_TABLE, 60 + round, XDP_TX, &unexpected);
		series_add(&r->new_full,
			   ns_distinct(s.prog, &syn4, DISTINCT, 80 + round, XDP_TX, &unexpected));
		series_add(&r->refused_rst,
			   ns_distinct(s.prog, &syn84, DISTINCT, 30 + round, XDP_TX, &unexpected));
		if (reason_count(&s, WEIR_DROP_CAPACITY) != DISTINCT)
			unexpected++;
	}
	scene_close(&s);
	r->unexpected += unexpected;
	return err;
}

#define FLOOR_SWAP "floor: MAC swap + XDP_TX"
#define FLOOR_SWAP_DISTINCT "floor: MAC swap + XDP_TX, distinct packets"
#define FLOOR_LOOKUP "floor: parse + 1 hash lookup + XDP_TX"

static void row(json_object *rows, const char *name, const struct series *v, const char *bname,
		const struct series *b, double limit, const char *target, const char *note)
{
	struct row r = { "packet", name, "ns/packet", v, bname, b, target, -1, note };

	if (limit > 0)
		r.met = series_median(v) / series_median(b) <= limit;
	rows_add(rows, &r);
}

static void report_floors(json_object *rows, const struct packet_results *r)
{
	row(rows, "floor: XDP_PASS", &r->pass, FLOOR_SWAP, &r->swap, 0, NULL, "repeat 1000000");
	row(rows, FLOOR_SWAP, &r->swap, FLOOR_SWAP, &r->swap, 0, NULL, "repeat 1000000");
	row(rows, FLOOR_LOOKUP, &r->lookup, FLOOR_SWAP, &r->swap, 0, NULL,
	    "IPv4; the 5-tuple lookup misses, as weir's service lookup does on the pass path");
	row(rows, FLOOR_LOOKUP " (IPv6)", &r->lookup6, FLOOR_SWAP, &r->swap, 0, NULL, NULL);
	row(rows, FLOOR_SWAP_DISTINCT, &r->swap_distinct, FLOOR_SWAP, &r->swap, 0, NULL,
	    "300000 packets, one run each, kernel-timed: the baseline of the distinct method");
}

static void report_weir(json_object *rows, const struct packet_results *r)
{
	row(rows, "established TCP IPv4 (hot)", &r->est4, FLOOR_SWAP, &r->swap, 0, "report",
	    "not policed (class without a rate)");
	row(rows, "established TCP IPv6 (hot)", &r->est6, FLOOR_SWAP, &r->swap, 0, "report", NULL);
	row(rows, "new stream TCP IPv4 (miss + steer + insert)", &r->new4, FLOOR_SWAP_DISTINCT,
	    &r->swap_distinct, 0, "report",
	    "300000 distinct SYNs a round into a fresh 1M-entry table, each a real miss and "
	    "insert (the bucket of each a trip to memory)");
	row(rows, "new stream TCP IPv6 (miss + steer + insert)", &r->new6, FLOOR_SWAP_DISTINCT,
	    &r->swap_distinct, 0, "report", NULL);
	row(rows, "new stream TCP IPv4, ipip (miss + steer + insert + encapsulate)", &r->new_ipip,
	    "new stream TCP IPv4 (miss + steer + insert)", &r->new4, 0, "report",
	    "the same new streams forwarded in IPv4-in-IPv4 instead of DSR: the outer header, "
	    "its checksum and the stream's hash for the outer source");
	row(rows, "new stream TCP IPv4 into a full table (every insert evicts)", &r->new_full,
	    FLOOR_SWAP_DISTINCT, &r->swap_distinct, 0, "report",
	    "65536-entry table filled first, then 300000 distinct SYNs");
	row(rows, "pass: no service, IPv4", &r->pass4, FLOOR_LOOKUP, &r->lookup, 1.2, "<= 1.2x",
	    NULL);
	row(rows, "pass: no service, IPv6", &r->pass6, FLOOR_LOOKUP " (IPv6)", &r->lookup6, 1.2,
	    "<= 1.2x", NULL);
	row(rows, "refused new stream (no usable backend: XDP_DROP)", &r->refused, FLOOR_SWAP,
	    &r->swap, 0, NULL, NULL);
	row(rows, "established TCP IPv4, policed (token bucket at its class rate)", &r->est_policed,
	    FLOOR_SWAP, &r->swap, 4.5, "<= 4.5x",
	    "class rate 40 Gbit/s: every packet refills and takes from its bucket, none is "
	    "dropped");
	row(rows, "new stream TCP IPv4, 4 class rules + admission limit", &r->new_admitted,
	    FLOOR_SWAP_DISTINCT, &r->swap_distinct, 0, "report",
	    "4 CIDR rules that do not match, then the default class; a stream limit to check; "
	    "what they cost is the next row's ratio");
	row(rows, "new stream TCP IPv4, 4 class rules + admission (vs no rules, no limit)",
	    &r->new_admitted, "new stream TCP IPv4 (miss + steer + insert)", &r->new4, 1.1,
	    "<= 1.1x", "the same run's new stream of a service without rules or capacity");
	row(rows, "refused new stream by PIE (XDP_DROP)", &r->refused_pie, FLOOR_SWAP, &r->swap, 0,
	    "report",
	    "p = 1 at every priority: classified, capacity read, the per-CPU de-randomisation "
	    "sum, a random draw, refused; no atomic, no table entry");
	row(rows, "refused new stream, answered with a RST", &r->refused_rst, FLOOR_SWAP_DISTINCT,
	    &r->swap_distinct, 3, "<= 3x",
	    "a service with no room and refuse reset; the RST written over the SYN (XDP_TX); "
	    "one run per packet (a rewritten packet cannot be repeated), 65536-entry table");
}

int bench_packet(int rounds, const char *out)
{
	struct packet_results *r = calloc(1, sizeof(*r));
	struct series cold = {}, cold_floor = {};
	json_object *rows = json_object_new_array();
	struct scene s;
	char note[160];
	__u64 misses = 0;
	int i, err;

	err = r ? 0 : -ENOMEM;
	for (i = 0; !err && i < rounds; i++) {
		fprintf(stderr, "packet: round %d/%d\n", i + 1, rounds);
		/* A fresh, empty stream table a round: new streams insert
		 * without evicting; the full-table row measures eviction. */
		err = scene_open(&s, WEIR_STREAMS_DEFAULT);
		if (!err)
			measure_weir(&s, r, i);
		scene_close(&s);
		if (!err)
			err = measure_full_table(r, i);
		if (!err)
			err = measure_admitted(r, i);
	}
	/* a figure of a run that took another path is not written */
	if (!err && r && r->unexpected) {
		fprintf(stderr, "bench: %u runs gave an unexpected verdict\n", r->unexpected);
		err = -EPROTO;
	}
	if (!err) {
		report_floors(rows, r);
		report_weir(rows, r);
		fprintf(stderr, "packet: 1M streams, cache-cold\n");
		err = measure_cold(rounds, &cold, &cold_floor, &misses);
	}
	if (!err) {
		snprintf(note, sizeof(note),
			 "1000000 streams in a 1310720-entry table, visited "
			 "scattered, one run each; %llu of %d lookups missed",
			 (unsigned long long)misses, COLD_STREAMS * rounds);
		row(rows, "floor: MAC swap, same 1M distinct packets", &cold_floor, FLOOR_SWAP,
		    &r->swap, 0, NULL, NULL);
		row(rows, "established TCP IPv4, 1M streams (cache-cold)", &cold,
		    "floor: MAC swap, same 1M distinct packets", &cold_floor, 0,
		    "report (reference balancer ~13x)", note);
		err = rows_write(rows, out);
	}
	json_object_put(rows);
	free(r);
	return err;
}

/*
 * Throughput with BPF_F_TEST_XDP_LIVE_FRAMES: the kernel runs the program
 * over REPEAT frames in batches as if they arrived on IFNAME, and really
 * transmits what it returns XDP_TX for. Run inside a namespace holding a
 * veth pair (bench/run.sh makes one), the peer with an XDP_PASS program so
 * it receives the frames.
 */
#define LIVE_REPEAT 5000000

static double live_mpps(int prog, const struct pkt *p, int ifindex)
{
	struct xdp_md ctx = { .data_end = p->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data, .data_size_in = p->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = LIVE_REPEAT,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	double t0 = now_seconds();

	if (bpf_prog_test_run_opts(prog, &o)) {
		fprintf(stderr, "bench: live frames: %s\n", strerror(errno));
		return -1;
	}
	return LIVE_REPEAT / (now_seconds() - t0) / 1e6;
}

int bench_live(int rounds, const char *ifname, const char *out)
{
	struct series weir = {}, floor = {};
	json_object *rows = json_object_new_array();
	struct pkt syn4, ack4;
	int ifindex = if_nametoindex(ifname), i, err;
	struct scene s;
	struct row r = { "throughput",
			 "established TCP IPv4, live frames, XDP_TX on veth",
			 "Mpps",
			 &weir,
			 "floor: MAC swap + XDP_TX, live frames",
			 &floor,
			 ">= 0.7x",
			 -1,
			 "BPF_F_TEST_XDP_LIVE_FRAMES, 5000000 frames a run, batches of 64" };

	if (!ifindex) {
		fprintf(stderr, "bench: no interface %s\n", ifname);
		return -ENODEV;
	}
	err = scene_open(&s, WEIR_STREAMS_DEFAULT);
	build(&syn4, CLIENT4, VIP4, 40000, 80, PKT_SYN);
	build(&ack4, CLIENT4, VIP4, 40000, 80, PKT_ACK);
	run_once(s.prog, &syn4, NULL);
	for (i = 0; !err && i < rounds; i++) {
		fprintf(stderr, "live: round %d/%d\n", i + 1, rounds);
		series_add(&floor, live_mpps(s.swap, &ack4, ifindex));
		series_add(&weir, live_mpps(s.prog, &ack4, ifindex));
	}
	scene_close(&s);
	if (!err && series_min(&weir) > 0 && series_min(&floor) > 0) {
		struct row f = {
			"throughput", r.baseline_name, "Mpps", &floor, NULL, NULL, NULL, -1, NULL
		};

		r.met = series_median(&weir) / series_median(&floor) >= 0.7;
		rows_add(rows, &f);
		rows_add(rows, &r);
		err = rows_write(rows, out);
	} else if (!err) {
		err = -EIO;
	}
	json_object_put(rows);
	return err;
}
