// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fixtures for the BPF tests; see fixture.h. Every map access asserts
 * success, so a test fails where the setup went wrong, not later. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "weir.skel.h"
#include "fixture.h"

int lb_setup(void **state)
{
	struct lb *lb = calloc(1, sizeof(*lb));

	if (!lb)
		return -1;
	lb->skel = weir_bpf__open_and_load();
	if (!lb->skel) {
		fprintf(stderr, "weir_bpf__open_and_load: %s\n", strerror(errno));
		free(lb);
		return -1;
	}
	lb->prog = bpf_program__fd(lb->skel->progs.weir_xdp);
	lb->services = bpf_map__fd(lb->skel->maps.weir_services);
	lb->backends = bpf_map__fd(lb->skel->maps.weir_backends);
	lb->slots = bpf_map__fd(lb->skel->maps.weir_slots);
	lb->streams = bpf_map__fd(lb->skel->maps.weir_streams);
	lb->service_stats = bpf_map__fd(lb->skel->maps.weir_service_stats);
	lb->backend_stats = bpf_map__fd(lb->skel->maps.weir_backend_stats);
	lb->stats = bpf_map__fd(lb->skel->maps.weir_stats);
	lb->classes = bpf_map__fd(lb->skel->maps.weir_classes);
	lb->class_counts = bpf_map__fd(lb->skel->maps.weir_class_counts);
	lb->class_stats = bpf_map__fd(lb->skel->maps.weir_class_stats);
	lb->service_counts = bpf_map__fd(lb->skel->maps.weir_service_counts);
	lb->backend_counts = bpf_map__fd(lb->skel->maps.weir_backend_counts);
	lb->service_reasons = bpf_map__fd(lb->skel->maps.weir_service_reasons);
	lb->grants = bpf_map__fd(lb->skel->maps.weir_grants);
	lb->requests = bpf_map__fd(lb->skel->maps.weir_requests);
	lb->rules = bpf_map__fd(lb->skel->maps.weir_rules);
	*state = lb;
	return 0;
}

int lb_teardown(void **state)
{
	struct lb *lb = *state;

	weir_bpf__destroy(lb->skel);
	free(lb);
	return 0;
}

struct weir_service_key lb_service_key(__u8 family, const char *addr, __u16 port, __u8 proto)
{
	struct weir_service_key key = {
		.port = htons(port),
		.proto = proto,
		.family = family,
	};

	pkt_set_addr(key.addr, family, addr);
	return key;
}

/* A service as the controller writes one without capacity: no limits, its
 * default class (id = service id) unpoliced, pause after 30 s. */
void lb_service_value(struct weir_service *svc, __u32 id)
{
	size_t i;

	memset(svc, 0, sizeof(*svc));
	svc->id = id;
	svc->default_class = id;
	svc->pause_epochs = 28;
	svc->handshake_epochs = 3;
	svc->refuse_interval_ns = 1000000;
	svc->idle_timeout_ns = 900ULL * 1000000000ULL;
	for (i = 0; i < WEIR_PRIORITIES; i++)
		svc->limit_streams[i] = svc->limit_rate[i] = ~0ULL;
	for (i = 0; i < WEIR_VICTIMS; i++)
		svc->victims[i] = WEIR_CLASS_NONE;
}

void lb_set_class(struct lb *lb, __u32 class_id, __u32 service_id, __u64 min_bps, __u8 priority,
		  __u64 rate_bps)
{
	struct weir_class cls = {
		.fill = WEIR_RATE_UNLIMITED,
		.depth = WEIR_RATE_UNLIMITED,
		.min_bps = min_bps,
		.service_id = service_id,
		.priority = priority,
		.flags = WEIR_CLASS_IN_USE,
	};

	if (rate_bps != WEIR_RATE_UNLIMITED) {
		__u64 bytes = rate_bps / 8, depth = bytes / 100; /* 10 ms */

		if (depth < 3000)
			depth = 3000;
		cls.fill = (__u64)(((unsigned __int128)bytes << WEIR_TOKEN_SHIFT) / 1000000000ULL);
		cls.depth = depth << WEIR_TOKEN_SHIFT;
		cls.full_ns = cls.depth / cls.fill + 1;
	}
	assert_int_equal(bpf_map_update_elem(lb->classes, &class_id, &cls, BPF_ANY), 0);
}

void lb_add_service(struct lb *lb, const struct weir_service_key *key, __u32 id)
{
	struct weir_service svc;

	lb_service_value(&svc, id);
	lb_set_class(lb, id, id, 0, 0, WEIR_RATE_UNLIMITED);
	assert_int_equal(bpf_map_update_elem(lb->services, key, &svc, BPF_NOEXIST), 0);
	lb_use_port(lb, key->proto, ntohs(key->port));
}

void lb_update_service(struct lb *lb, const struct weir_service_key *key,
		       const struct weir_service *svc)
{
	assert_int_equal(bpf_map_update_elem(lb->services, key, svc, BPF_EXIST), 0);
}

struct weir_service lb_get_service(struct lb *lb, const struct weir_service_key *key)
{
	struct weir_service svc;

	assert_int_equal(bpf_map_lookup_elem(lb->services, key, &svc), 0);
	return svc;
}

/* Slots first, then the count: the order the controller must use so the
 * balancer never reads a slot that is not written yet. */
void lb_set_slots(struct lb *lb, const struct weir_service_key *key, const __u32 *backend_ids,
		  __u16 count)
{
	struct weir_service svc;
	__u32 i, index;

	assert_int_equal(bpf_map_lookup_elem(lb->services, key, &svc), 0);
	for (i = 0; i < count; i++) {
		index = svc.id * WEIR_MAX_SLOTS + i;
		assert_int_equal(bpf_map_update_elem(lb->slots, &index, &backend_ids[i], BPF_ANY),
				 0);
	}
	svc.slot_count = count;
	assert_int_equal(bpf_map_update_elem(lb->services, key, &svc, BPF_EXIST), 0);
}

/* Backend MACs encode the id, so an output frame names its backend. */
void lb_backend_mac(__u32 id, __u8 mac[6])
{
	const __u8 base[6] = { 0x02, 0x42, 0x00, 0x00, id >> 8, id & 0xff };

	memcpy(mac, base, sizeof(base));
}

__u32 lb_backend_of(const struct pkt *out)
{
	__u8 mac[6];
	__u32 id = (out->data[4] << 8) | out->data[5];

	lb_backend_mac(id, mac);
	return memcmp(out->data, mac, sizeof(mac)) ? UINT32_MAX : id;
}

void lb_add_backend(struct lb *lb, __u32 id, __u32 service_id, __u8 family, const char *addr)
{
	struct weir_backend be = {
		.family = family,
		.flags = WEIR_BACKEND_IN_USE | WEIR_BACKEND_MAC_VALID,
		.service_id = service_id,
	};

	pkt_set_addr(be.addr, family, addr);
	lb_backend_mac(id, be.mac);
	assert_int_equal(bpf_map_update_elem(lb->backends, &id, &be, BPF_ANY), 0);
}

void lb_set_backend_flags(struct lb *lb, __u32 id, __u8 flags)
{
	struct weir_backend be;

	assert_int_equal(bpf_map_lookup_elem(lb->backends, &id, &be), 0);
	be.flags = flags;
	assert_int_equal(bpf_map_update_elem(lb->backends, &id, &be, BPF_ANY), 0);
}

struct weir_service_key lb_scene(struct lb *lb, const __u32 *ids, __u16 n)
{
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	char addr[INET_ADDRSTRLEN];
	__u16 i;

	lb_add_service(lb, &key, SVC_ID);
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "198.18.1.%u", ids[i] & 0xff);
		lb_add_backend(lb, ids[i], SVC_ID, WEIR_AF_INET, addr);
	}
	lb_set_slots(lb, &key, ids, n);
	return key;
}

struct weir_service_key lb_service_for(struct lb *lb, const struct pkt_spec *s, __u32 service_id,
				       __u32 backend_id)
{
	struct weir_service_key key = lb_service_key(s->family, s->dst, s->dport, s->proto);
	char addr[INET6_ADDRSTRLEN];

	if (s->family == WEIR_AF_INET6)
		snprintf(addr, sizeof(addr), "2001:db8:2::%x", backend_id);
	else
		snprintf(addr, sizeof(addr), "198.18.1.%u", backend_id & 0xff);
	lb_add_service(lb, &key, service_id);
	lb_add_backend(lb, backend_id, service_id, s->family, addr);
	lb_set_slots(lb, &key, &backend_id, 1);
	return key;
}

struct weir_service_key lb_scene_for(struct lb *lb, const struct pkt_spec *s, __u32 backend_id)
{
	return lb_service_for(lb, s, SVC_ID, backend_id);
}

struct pkt_spec lb_client_tcp(__u16 sport, __u8 flags)
{
	struct pkt_spec s = {
		.family = WEIR_AF_INET,
		.proto = IPPROTO_TCP,
		.src = CLIENT4,
		.dst = VIP4,
		.sport = sport,
		.dport = VIP_PORT,
		.tcp_flags = flags,
	};

	return s;
}

void lb_to_ipv6(struct pkt_spec *s)
{
	s->family = WEIR_AF_INET6;
	s->src = CLIENT6;
	s->dst = VIP6;
}

__u32 lb_run(struct lb *lb, const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out->data, .data_size_out = sizeof(out->data), .repeat = 1);

	memset(out, 0, sizeof(*out));
	assert_int_equal(bpf_prog_test_run_opts(lb->prog, &opts), 0);
	out->len = opts.data_size_out;
	out->l3_off = in->l3_off;
	out->l4_off = in->l4_off;
	out->l4_end = in->l4_end;
	return opts.retval;
}

int lb_run_frame(struct lb *lb, const void *in, __u32 in_len, void *out, __u32 out_size,
		 __u32 *out_len, __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = in_len, .data_out = out,
		    .data_size_out = out_size, .repeat = 1);

	if (bpf_prog_test_run_opts(lb->prog, &opts))
		return -errno;
	*out_len = opts.data_size_out;
	*verdict = opts.retval;
	return 0;
}

__u32 lb_send(struct lb *lb, const struct pkt_spec *s, struct pkt *out)
{
	struct pkt in;

	pkt_build(&in, s);
	return lb_run(lb, &in, out);
}

/* Per-CPU values: one per possible CPU, each rounded up to 8 bytes. */
static void read_percpu(int fd, __u32 key, void *values, size_t value_size)
{
	int cpus = libbpf_num_possible_cpus();

	assert_true(cpus > 0);
	memset(values, 0, cpus * value_size);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, values), 0);
}

__u64 lb_reason(struct lb *lb, __u32 reason)
{
	int cpus = libbpf_num_possible_cpus();
	__u64 *values = calloc(cpus, sizeof(*values));
	__u64 sum = 0;
	int i;

	assert_non_null(values);
	read_percpu(lb->stats, reason, values, sizeof(*values));
	for (i = 0; i < cpus; i++)
		sum += values[i];
	free(values);
	return sum;
}

void lb_reasons(struct lb *lb, __u64 counts[WEIR_DROP_MAX])
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int cpus = libbpf_num_possible_cpus();
	__u64 *values = calloc((size_t)cpus * WEIR_DROP_MAX, sizeof(*values));
	__u32 keys[WEIR_DROP_MAX], count = WEIR_DROP_MAX, next;
	int err, i, c;

	assert_non_null(values);
	/* a batch of every key either ends the array (ENOENT) or not */
	err = bpf_map_lookup_batch(lb->stats, NULL, &next, keys, values, &count, &opts);
	assert_true(!err || errno == ENOENT);
	assert_int_equal(count, WEIR_DROP_MAX);
	memset(counts, 0, WEIR_DROP_MAX * sizeof(counts[0]));
	for (i = 0; i < WEIR_DROP_MAX; i++)
		for (c = 0; c < cpus; c++)
			counts[keys[i]] += values[(size_t)i * cpus + c];
	free(values);
}

static struct weir_counters sum_counters(int fd, __u32 id)
{
	int cpus = libbpf_num_possible_cpus();
	struct weir_counters *values = calloc(cpus, sizeof(*values));
	struct weir_counters sum = { 0 };
	int i;

	assert_non_null(values);
	read_percpu(fd, id, values, sizeof(*values));
	for (i = 0; i < cpus; i++) {
		sum.packets += values[i].packets;
		sum.bytes += values[i].bytes;
		sum.new_streams += values[i].new_streams;
		sum.ended_streams += values[i].ended_streams;
		sum.refused += values[i].refused;
		sum.icmp_forwarded += values[i].icmp_forwarded;
		sum.replies += values[i].replies;
	}
	free(values);
	return sum;
}

struct weir_counters lb_service_counters(struct lb *lb, __u32 id)
{
	return sum_counters(lb->service_stats, id);
}

struct weir_counters lb_backend_counters(struct lb *lb, __u32 id)
{
	return sum_counters(lb->backend_stats, id);
}

/* The stream key is the 5-tuple as the client sent it. */
struct weir_stream_key lb_stream_key(const struct pkt_spec *s)
{
	struct weir_stream_key key = {
		.sport = htons(s->sport),
		.dport = htons(s->dport),
		.proto = s->proto,
		.family = s->family,
	};

	pkt_set_addr(key.src, s->family, s->src);
	pkt_set_addr(key.dst, s->family, s->dst);
	return key;
}

int lb_stream(struct lb *lb, const struct pkt_spec *s, struct weir_stream *out)
{
	struct weir_stream_key key = lb_stream_key(s);

	return bpf_map_lookup_elem(lb->streams, &key, out) ? -errno : 0;
}

int lb_stream_count(struct lb *lb)
{
	struct weir_stream_key key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(lb->streams, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

#define DUMP_BATCH 4096

int lb_stream_dump(struct lb *lb, struct weir_stream_key **keys, struct weir_stream **values,
		   int *max)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in_batch = 0, out_batch = 0; /* a hash map's batch token: its bucket */
	int n = 0, err = 0, first = 1;

	while (!err) {
		__u32 count = DUMP_BATCH;

		if (n + DUMP_BATCH > *max) {
			*max = (n + DUMP_BATCH) * 2;
			*keys = realloc(*keys, *max * sizeof(**keys));
			*values = realloc(*values, *max * sizeof(**values));
			assert_true(*keys && *values);
		}
		err = bpf_map_lookup_batch(lb->streams, first ? NULL : &in_batch, &out_batch,
					   *keys + n, *values + n, &count, &opts);
		assert_true(!err || errno == ENOENT); /* ENOENT: the last batch */
		n += count;
		in_batch = out_batch;
		first = 0;
	}
	return n;
}

/* XDP_TX with the backend's MAC as destination, our own (the frame's old
 * destination) as source, and not one other byte changed. */
void assert_forwarded(const struct pkt *in, const struct pkt *out, __u32 backend_id)
{
	__u8 want[PKT_MAX];

	memcpy(want, in->data, in->len);
	lb_backend_mac(backend_id, want);
	memcpy(want + 6, in->data, 6);
	assert_int_equal(out->len, in->len);
	assert_memory_equal(out->data, want, in->len);
}

void assert_untouched(const struct pkt *in, const struct pkt *out)
{
	assert_int_equal(out->len, in->len);
	assert_memory_equal(out->data, in->data, in->len);
}

void assert_only_reason(struct lb *lb, __u32 reason, __u64 count)
{
	__u32 r;

	for (r = 0; r < WEIR_DROP_MAX; r++)
		assert_int_equal(lb_reason(lb, r), r == reason ? count : 0);
}

struct weir_service_counts lb_service_counts(struct lb *lb, __u32 id)
{
	struct weir_service_counts v;

	assert_int_equal(bpf_map_lookup_elem(lb->service_counts, &id, &v), 0);
	return v;
}

struct weir_class_counts lb_class_counts(struct lb *lb, __u32 id)
{
	struct weir_class_counts v;

	assert_int_equal(bpf_map_lookup_elem(lb->class_counts, &id, &v), 0);
	return v;
}

__u64 lb_backend_streams(struct lb *lb, __u32 id)
{
	struct weir_backend_counts v;

	assert_int_equal(bpf_map_lookup_elem(lb->backend_counts, &id, &v), 0);
	return v.streams;
}

__u64 lb_service_reason(struct lb *lb, __u32 service_id, __u32 reason)
{
	int cpus = libbpf_num_possible_cpus(), i;
	__u32 key = service_id * WEIR_REASONS_PER_SERVICE + reason;
	__u64 values[cpus], sum = 0;

	read_percpu(lb->service_reasons, key, values, sizeof(values[0]));
	for (i = 0; i < cpus; i++)
		sum += values[i];
	return sum;
}

struct weir_class_stats lb_class_stats(struct lb *lb, __u32 id)
{
	int cpus = libbpf_num_possible_cpus(), i;
	struct weir_class_stats values[cpus], sum = { 0 };

	read_percpu(lb->class_stats, id, values, sizeof(values[0]));
	for (i = 0; i < cpus; i++) {
		sum.packets += values[i].packets;
		sum.bytes += values[i].bytes;
		sum.policed_packets += values[i].policed_packets;
		sum.policed_bytes += values[i].policed_bytes;
		sum.admitted += values[i].admitted;
		sum.refused += values[i].refused;
		sum.preempted += values[i].preempted;
		sum.resumed += values[i].resumed;
	}
	return sum;
}

/* Every priority gets the same limits (~0: none). */
void lb_set_limits(struct lb *lb, const struct weir_service_key *key, __u64 streams, __u64 rate)
{
	struct weir_service svc = lb_get_service(lb, key);
	int i;

	for (i = 0; i < WEIR_PRIORITIES; i++) {
		svc.limit_streams[i] = streams;
		svc.limit_rate[i] = rate;
	}
	lb_update_service(lb, key, &svc);
}

void lb_set_time(struct lb *lb, __u64 ns)
{
	lb->skel->bss->weir_test_now_ns = ns;
}

void lb_add_rule(struct lb *lb, const struct weir_service_key *key, const struct weir_rule *rule)
{
	struct weir_service svc = lb_get_service(lb, key);
	__u32 index = svc.id * WEIR_MAX_RULES + svc.n_rules;

	assert_int_equal(bpf_map_update_elem(lb->rules, &index, rule, BPF_ANY), 0);
	svc.n_rules++;
	lb_update_service(lb, key, &svc);
}

/* What the controller does once an epoch is idle past pause-after: the
 * slot's streams are paused, their share given back. */
__u32 lb_release_epoch(struct lb *lb, __u32 class_id, __u32 epoch)
{
	struct weir_class_counts cc = lb_class_counts(lb, class_id);
	__u64 *slot = &cc.epochs[epoch % WEIR_EPOCH_SLOTS], min;
	struct weir_service_counts sc;
	struct weir_class cls;
	__u32 n;

	if ((__u32)(*slot >> 32) != epoch)
		return 0;
	n = (__u32)*slot;
	*slot = (__u64)(epoch | WEIR_SLOT_RELEASED) << 32;
	assert_int_equal(bpf_map_lookup_elem(lb->classes, &class_id, &cls), 0);
	min = cls.min_bps;
	sc = lb_service_counts(lb, cls.service_id);
	cc.active -= n;
	cc.paused += n;
	sc.streams -= n;
	sc.committed_bps -= n * min;
	assert_int_equal(bpf_map_update_elem(lb->class_counts, &class_id, &cc, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(lb->service_counts, &cls.service_id, &sc, BPF_ANY), 0);
	return n;
}

/* What the controller does after releasing epochs: promises of
 * preemption a class can no longer keep (more of them than it has counted
 * streams) are taken back. Returns how many. */
__u64 lb_settle_preemptions(struct lb *lb, __u32 class_id)
{
	struct weir_class_counts cc = lb_class_counts(lb, class_id);
	struct weir_service_counts sc;
	struct weir_class cls;
	__u64 n;

	if (cc.preempt_pending <= cc.active)
		return 0;
	n = cc.preempt_pending - cc.active;
	assert_int_equal(bpf_map_lookup_elem(lb->classes, &class_id, &cls), 0);
	sc = lb_service_counts(lb, cls.service_id);
	cc.preempt_pending -= n;
	sc.preempt_streams -= n;
	sc.preempt_bps -= n * cls.min_bps;
	assert_int_equal(bpf_map_update_elem(lb->class_counts, &class_id, &cc, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(lb->service_counts, &cls.service_id, &sc, BPF_ANY), 0);
	return n;
}

/* A grant as the controller makes one: its place counted, the client
 * looked up on any port. */
void lb_grant(struct lb *lb, __u32 slot, __u32 service_id, __u32 class_id, const char *client,
	      __u64 expires_ns)
{
	struct weir_request_key key = { .family = WEIR_AF_INET, .service_id = service_id };
	struct weir_grant g = {
		.state = WEIR_GRANT_GRANTED,
		.service_id = service_id,
		.class_id = class_id,
		.expires_ns = expires_ns,
	};
	struct weir_service_counts sc = lb_service_counts(lb, service_id);
	struct weir_class_counts cc = lb_class_counts(lb, class_id);

	pkt_set_addr(key.addr, WEIR_AF_INET, client);
	assert_int_equal(bpf_map_update_elem(lb->grants, &slot, &g, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(lb->requests, &key, &slot, BPF_ANY), 0);
	sc.streams++;
	cc.active++;
	assert_int_equal(bpf_map_update_elem(lb->class_counts, &class_id, &cc, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(lb->service_counts, &service_id, &sc, BPF_ANY), 0);
}

struct weir_grant lb_get_grant(struct lb *lb, __u32 slot)
{
	struct weir_grant g;

	assert_int_equal(bpf_map_lookup_elem(lb->grants, &slot, &g), 0);
	return g;
}

/* A CIDR rule as the controller writes it: the prefix masked, its mask. */
void lb_rule_prefix(struct weir_rule *r, __u8 family, const char *addr, __u8 prefix_len)
{
	__u8 bytes[16], mask[16] = { 0 };
	unsigned int i, bits = prefix_len;

	pkt_set_addr(bytes, family, addr);
	for (i = 0; i < 16 && bits; i++) {
		mask[i] = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		bits -= bits >= 8 ? 8 : bits;
	}
	for (i = 0; i < 16; i++)
		bytes[i] &= mask[i];
	r->kind = WEIR_RULE_CIDR;
	r->family = family;
	r->prefix_len = prefix_len;
	memcpy(r->addr, bytes, sizeof(r->addr));
	memcpy(r->mask, mask, sizeof(r->mask));
}

/* The (protocol, port) bit the controller sets for a service. */
void lb_use_port(struct lb *lb, __u8 proto, __u16 port)
{
	__u32 word = WEIR_PORT_WORD(proto == IPPROTO_UDP, port), bits = 0;
	int fd = bpf_map__fd(lb->skel->maps.weir_ports);

	assert_int_equal(bpf_map_lookup_elem(fd, &word, &bits), 0);
	bits |= WEIR_PORT_BIT(port);
	assert_int_equal(bpf_map_update_elem(fd, &word, &bits, BPF_ANY), 0);
}

void lb_class_preemptable(struct lb *lb, __u32 class_id)
{
	struct weir_class cls;

	assert_int_equal(bpf_map_lookup_elem(lb->classes, &class_id, &cls), 0);
	cls.flags |= WEIR_CLASS_PREEMPTABLE;
	assert_int_equal(bpf_map_update_elem(lb->classes, &class_id, &cls, BPF_ANY), 0);
}
