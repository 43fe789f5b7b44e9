// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Admission in the data plane: exact at capacity (also from two CPUs at
 * once), the reserve kept for higher priorities, min rates, backends at
 * their max-streams, places given back at the end, classes by rule and
 * by grant, provisional places of unconfirmed handshakes. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <linux/ip.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "tests.h"

#define BACKEND 7
#define T0 (1000ULL << WEIR_EPOCH_SHIFT) /* a clock far from 0 */
#define SEC 1000000000ULL

static struct weir_service_key scene(struct lb *lb)
{
	static const __u32 ids[] = { BACKEND };

	lb_set_time(lb, T0);
	return lb_scene(lb, ids, 1);
}

static __u32 syn(struct lb *lb, __u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, PKT_SYN);
	struct pkt out;

	return lb_send(lb, &s, &out);
}

static __u32 send_flags(struct lb *lb, __u16 sport, __u8 flags)
{
	struct pkt_spec s = lb_client_tcp(sport, flags);
	struct pkt out;

	return lb_send(lb, &s, &out);
}

static void capacity_exact(void **state)
{
	struct weir_service_key key = scene(*state);
	int i;

	lb_set_limits(*state, &key, 4, ~0ULL);
	for (i = 0; i < 4; i++)
		assert_int_equal(syn(*state, 40000 + i), XDP_TX);
	assert_int_equal(syn(*state, 40004), XDP_DROP);
	assert_int_equal(syn(*state, 40005), XDP_DROP);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 4);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 4);
	assert_int_equal(lb_backend_streams(*state, BACKEND), 4);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 2);
	assert_int_equal(lb_service_reason(*state, SVC_ID, WEIR_DROP_CAPACITY), 2);
	assert_int_equal(lb_service_counters(*state, SVC_ID).refused, 2);
	assert_int_equal(lb_class_stats(*state, SVC_ID).admitted, 4);
	assert_int_equal(lb_class_stats(*state, SVC_ID).refused, 2);
	assert_int_equal(lb_stream_count(*state), 4);
	/* one ends (FIN): its place is free for the next */
	assert_int_equal(send_flags(*state, 40000, PKT_FIN | PKT_ACK), XDP_TX);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 3);
	assert_int_equal(lb_backend_streams(*state, BACKEND), 3);
	assert_int_equal(syn(*state, 40006), XDP_TX);
	/* a RST ends one too */
	assert_int_equal(send_flags(*state, 40001, PKT_RST), XDP_TX);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 3);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 3);
}

/* Two CPUs send distinct SYNs at once; exactly the capacity is admitted. */
#define RACE_CAPACITY 1000
#define RACE_SYNS 3000

struct racer {
	struct lb *lb;
	pthread_barrier_t *start;
	int cpu;
	int admitted;
	int runs_failed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	cpu_set_t set;
	struct pkt in, out;
	int i;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		r->runs_failed = -1;
	pthread_barrier_wait(r->start); /* both at once, or there is no race */
	if (r->runs_failed)
		return NULL;
	for (i = 0; i < RACE_SYNS; i++) {
		struct pkt_spec s = lb_client_tcp(1024 + i, PKT_SYN);
		char src[32];

		snprintf(src, sizeof(src), "198.19.%d.%d", 10 + r->cpu, 1 + i % 200);
		s.src = src;
		s.sport = 1024 + i;
		pkt_build(&in, &s);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data, .data_size_in = in.len,
			    .data_out = out.data, .data_size_out = sizeof(out.data), .repeat = 1);
		if (bpf_prog_test_run_opts(r->lb->prog, &opts))
			r->runs_failed++;
		else if (opts.retval == XDP_TX)
			r->admitted++;
	}
	return NULL;
}

static void capacity_exact_two_cpus(void **state)
{
	struct weir_service_key key = scene(*state);
	pthread_barrier_t start;
	struct racer r[2] = { { .lb = *state, .start = &start, .cpu = 0 },
			      { .lb = *state, .start = &start, .cpu = 1 } };
	pthread_t t[2];
	int i;

	pthread_barrier_init(&start, NULL, 2);
	assert_true(sysconf(_SC_NPROCESSORS_ONLN) >= 2);
	lb_set_limits(*state, &key, RACE_CAPACITY, ~0ULL);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(r[0].runs_failed, 0);
	assert_int_equal(r[1].runs_failed, 0);
	print_message("  cpu0 admitted %d, cpu1 admitted %d\n", r[0].admitted, r[1].admitted);
	assert_true(r[0].admitted > 0 && r[1].admitted > 0);
	assert_int_equal(r[0].admitted + r[1].admitted, RACE_CAPACITY);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, RACE_CAPACITY);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, RACE_CAPACITY);
	assert_int_equal(lb_stream_count(*state), RACE_CAPACITY);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 2 * RACE_SYNS - RACE_CAPACITY);
}

/* A rate capacity: the fourth 3 Mbit/s stream does not fit in 10. */
static void min_unmet(void **state)
{
	struct weir_service_key key = scene(*state);
	int i;

	lb_set_class(*state, SVC_ID, SVC_ID, 3000000, 0, WEIR_RATE_UNLIMITED);
	lb_set_limits(*state, &key, ~0ULL, 10000000);
	for (i = 0; i < 3; i++)
		assert_int_equal(syn(*state, 40000 + i), XDP_TX);
	assert_int_equal(syn(*state, 40003), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_MIN_UNMET), 1);
	assert_int_equal(lb_service_counts(*state, SVC_ID).committed_bps, 9000000);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 3);
}

#define GOLD 40 /* class id of the priority-7 rule */
#define GOLD_CLIENT "198.19.7.1"

static void gold_rule(struct lb *lb, const struct weir_service_key *key)
{
	struct weir_rule r = { .class_id = GOLD };

	lb_rule_prefix(&r, WEIR_AF_INET, "198.19.7.0", 24);
	lb_set_class(lb, GOLD, SVC_ID, 0, 7, WEIR_RATE_UNLIMITED);
	lb_add_rule(lb, key, &r);
}

static __u32 gold_syn(struct lb *lb, __u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, PKT_SYN);
	struct pkt out;

	s.src = GOLD_CLIENT;
	return lb_send(lb, &s, &out);
}

/* The reserve: priority 0 stops one short of capacity, priority 7 gets the
 * last place (trunk reservation, as the allocator's limits say). */
static void reserve_for_priority(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc;
	struct pkt_spec s = lb_client_tcp(50000, PKT_SYN);
	struct weir_stream st;
	int i;

	gold_rule(*state, &key);
	lb_set_limits(*state, &key, 4, ~0ULL);
	svc = lb_get_service(*state, &key);
	svc.limit_streams[0] = 3;
	lb_update_service(*state, &key, &svc);
	for (i = 0; i < 5; i++)
		assert_int_equal(syn(*state, 40000 + i), i < 3 ? XDP_TX : XDP_DROP);
	assert_int_equal(gold_syn(*state, 50000), XDP_TX);
	assert_int_equal(gold_syn(*state, 50001), XDP_DROP);
	s.src = GOLD_CLIENT;
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.class_id, GOLD);
	assert_int_equal(lb_class_counts(*state, GOLD).active, 1);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 3);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 3);
}

/* The first rule that matches gives the class: a port range, a DSCP. */
static void rules_in_order(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_rule ports = {
		.kind = WEIR_RULE_PORTS, .port_lo = 70, .port_hi = 90, .class_id = 41
	};
	struct weir_rule dscp = { .kind = WEIR_RULE_DSCP, .dscp = 46, .class_id = 42 };
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_stream st;
	struct pkt in, out;
	struct iphdr *ip;

	lb_set_class(*state, 41, SVC_ID, 0, 1, WEIR_RATE_UNLIMITED);
	lb_set_class(*state, 42, SVC_ID, 0, 2, WEIR_RATE_UNLIMITED);
	lb_add_rule(*state, &key, &dscp);
	lb_add_rule(*state, &key, &ports);
	/* DSCP 46 (EF): the first rule */
	pkt_build(&in, &s);
	ip = (struct iphdr *)(in.data + in.l3_off);
	ip->tos = 46 << 2;
	pkt_ipv4_csum(&in);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.class_id, 42);
	/* no DSCP: the port range (VIP_PORT 80) */
	s.sport = 40001;
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.class_id, 41);
}

/* A backend at its max-streams is passed over; when all are, the stream
 * is refused and its service place given back. */
static void backend_full(void **state)
{
	static const __u32 ids[] = { 7, 8 };
	struct weir_service_key key;
	struct weir_backend be;
	__u32 id;
	int i;

	lb_set_time(*state, T0);
	key = lb_scene(*state, ids, 2);
	(void)key;
	for (i = 0; i < 2; i++) {
		id = ids[i];
		assert_int_equal(bpf_map_lookup_elem(((struct lb *)*state)->backends, &id, &be), 0);
		be.max_streams = 1;
		assert_int_equal(
			bpf_map_update_elem(((struct lb *)*state)->backends, &id, &be, BPF_ANY), 0);
	}
	assert_int_equal(syn(*state, 40000), XDP_TX);
	assert_int_equal(syn(*state, 40001), XDP_TX);
	assert_int_equal(lb_backend_streams(*state, 7), 1);
	assert_int_equal(lb_backend_streams(*state, 8), 1);
	assert_int_equal(syn(*state, 40002), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_BACKEND_FULL), 1);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 2);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 2);
	assert_int_equal(lb_stream_count(*state), 2);
}

/* A paused service takes no new stream: it is refused like one over
 * capacity (counted on the service by reason, answered by the refuse
 * action); its running streams go on. */
static void paused_service_refuses(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	struct pkt_spec s = lb_client_tcp(40001, PKT_SYN);
	struct pkt out;

	assert_int_equal(syn(*state, 40000), XDP_TX);
	assert_int_equal(send_flags(*state, 40000, PKT_ACK), XDP_TX);
	svc.flags |= WEIR_SERVICE_PAUSED;
	svc.refuse = WEIR_REFUSE_RESET;
	lb_update_service(*state, &key, &svc);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(out.data[out.l4_off + 13], PKT_RST | PKT_ACK);
	assert_int_equal(lb_reason(*state, WEIR_DROP_SERVICE_PAUSED), 1);
	assert_int_equal(lb_service_reason(*state, SVC_ID, WEIR_DROP_SERVICE_PAUSED), 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).refused, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	assert_int_equal(lb_class_stats(*state, SVC_ID).refused, 1);
	assert_int_equal(lb_stream_count(*state), 1);
	assert_int_equal(send_flags(*state, 40000, PKT_ACK | PKT_PSH), XDP_TX);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 1);
}

/* A SYN holds a provisional place, in an epoch released when its
 * handshake timeout passes; the ACK moves it to the current epoch. */
static void provisional_until_ack(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	__u32 e0 = T0 >> WEIR_EPOCH_SHIFT, first = e0 - svc.pause_epochs + svc.handshake_epochs;
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_stream st;

	assert_int_equal(syn(*state, 40000), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_PROVISIONAL);
	assert_int_equal(st.epoch, first);
	assert_int_equal(lb_class_counts(*state, SVC_ID).epochs[first % WEIR_EPOCH_SLOTS],
			 ((__u64)first << 32) | 1);
	lb_set_time(*state, T0 + 2 * WEIR_EPOCH_NS);
	assert_int_equal(send_flags(*state, 40000, PKT_ACK), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_ACTIVE);
	assert_int_equal(st.epoch, e0 + 2);
	assert_int_equal(lb_class_counts(*state, SVC_ID).epochs[first % WEIR_EPOCH_SLOTS],
			 (__u64)first << 32);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 1);
}

/* Spoofed SYNs: the release of their epoch gives their places back. */
static void provisional_released(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	__u32 e0 = T0 >> WEIR_EPOCH_SHIFT, first = e0 - svc.pause_epochs + svc.handshake_epochs;
	int i;

	lb_set_limits(*state, &key, 3, ~0ULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(syn(*state, 40000 + i), XDP_TX);
	assert_int_equal(syn(*state, 40003), XDP_DROP);
	/* the controller releases that epoch once the handshake timeout passed */
	lb_set_time(*state, T0 + svc.handshake_epochs * WEIR_EPOCH_NS);
	assert_int_equal(lb_release_epoch(*state, SVC_ID, first), 3);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 0);
	assert_int_equal(syn(*state, 40004), XDP_TX);
	/* a late ACK of a released SYN takes a place again if there is one */
	assert_int_equal(send_flags(*state, 40000, PKT_ACK), XDP_TX);
	assert_int_equal(lb_class_counts(*state, SVC_ID).paused, 2);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 2);
}

/* A grant binds the client's next stream to its class, in the place it
 * reserved: no admission check, even with the service full. */
static void grant_binds(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc;
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_stream st;
	struct weir_grant g;
	struct pkt out;

	lb_set_class(*state, 43, SVC_ID, 1000000, 3, WEIR_RATE_UNLIMITED);
	lb_set_limits(*state, &key, 1, ~0ULL);
	svc = lb_get_service(*state, &key);
	svc.flags |= WEIR_SERVICE_REQUESTS;
	lb_update_service(*state, &key, &svc);
	lb_grant(*state, 5, SVC_ID, 43, CLIENT4, T0 + 30 * SEC);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.class_id, 43);
	assert_int_equal(st.grant, 6);
	g = lb_get_grant(*state, 5);
	assert_int_equal(g.state, WEIR_GRANT_BOUND);
	assert_int_equal(g.stream.sport, htons(40000));
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 1);
	/* bound once: the next stream of that client is admitted as any */
	s.sport = 40001;
	assert_int_equal(lb_send(*state, &s, &out), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 1);
}

static void grant_expired_not_bound(void **state)
{
	struct weir_service_key key = scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct weir_stream st;
	struct pkt out;

	lb_set_class(*state, 43, SVC_ID, 0, 3, WEIR_RATE_UNLIMITED);
	svc.flags |= WEIR_SERVICE_REQUESTS;
	lb_update_service(*state, &key, &svc);
	lb_grant(*state, 5, SVC_ID, 43, CLIENT4, T0 - 1);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.class_id, SVC_ID);
	assert_int_equal(lb_get_grant(*state, 5).state, WEIR_GRANT_GRANTED);
}

static const struct CMUnitTest tests[] = {
	lb_test(capacity_exact),	  lb_test(capacity_exact_two_cpus), lb_test(min_unmet),
	lb_test(reserve_for_priority),	  lb_test(rules_in_order),	    lb_test(backend_full),
	lb_test(provisional_until_ack),	  lb_test(provisional_released),    lb_test(grant_binds),
	lb_test(grant_expired_not_bound), lb_test(paused_service_refuses),
};

const struct test_group admit_group = { "admit", tests, ARRAY_SIZE(tests) };
