// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* PIE in the data plane: new streams refused with the probability the
 * controller wrote, spread by the per-CPU de-randomisation; held while the
 * controller says so; by priority; never a running stream; capacity
 * decided first; the refusal answered like any other. */
#include <sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tests.h"
#include "weir.skel.h"

#define BACKEND 7
#define T0 (1000ULL << WEIR_EPOCH_SHIFT)
#define PROB(pct) ((__u32)(((1ULL << 32) * (pct) + 50) / 100))
#define PROB_ALL 0xffffffffU

/* The de-randomisation sum is per CPU: the whole test runs on one. */
static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static struct weir_service_key pie_scene(struct lb *lb)
{
	static const __u32 ids[] = { BACKEND };
	struct weir_service_key key;
	struct weir_service svc;

	pin_cpu0();
	lb_set_time(lb, T0);
	key = lb_scene(lb, ids, 1);
	svc = lb_get_service(lb, &key);
	svc.flags |= WEIR_SERVICE_PIE;
	lb_update_service(lb, &key, &svc);
	return key;
}

static void set_prob(struct lb *lb, __u32 prob, __u32 hold)
{
	struct weir_admission adm = { .hold = hold };
	__u32 id = SVC_ID, p;

	for (p = 0; p < WEIR_PRIORITIES; p++)
		adm.refuse_prob[p] = prob;
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(lb->skel->maps.weir_admission), &id, &adm, BPF_ANY),
		0);
}

static __u32 syn(struct lb *lb, __u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, PKT_SYN);
	struct pkt out;

	return lb_send(lb, &s, &out);
}

static void zero_admits_all(void **state)
{
	int i;

	pie_scene(*state);
	set_prob(*state, 0, 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(syn(*state, 20000 + i), XDP_TX);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PIE), 0);
}

/* At 10%: never before the sum reaches 0.85 (8 streams pass after each
 * refusal), always once it reaches 8.5 (at most 85 in a cycle). */
static void ten_percent_spread(void **state)
{
	int i, last = -1, refused = 0, gap_min = 1000, gap_max = 0;

	pie_scene(*state);
	set_prob(*state, PROB(10), 0);
	for (i = 0; i < 3000; i++) {
		if (syn(*state, 10000 + i) == XDP_TX)
			continue;
		refused++;
		if (last >= 0) {
			gap_min = i - last < gap_min ? i - last : gap_min;
			gap_max = i - last > gap_max ? i - last : gap_max;
		}
		last = i;
	}
	assert_true(gap_min >= 9);
	assert_true(gap_max <= 85);
	/* 3000 / 18.0 expected (sch_pie's de-randomisation refuses fewer than p) */
	assert_in_range(refused, 120, 230);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PIE), refused);
	assert_int_equal(lb_service_reason(*state, SVC_ID, WEIR_DROP_PIE), refused);
	assert_int_equal(lb_stream_count(*state), 3000 - refused);
}

static void all_refused_at_one(void **state)
{
	int i;

	pie_scene(*state);
	set_prob(*state, PROB_ALL, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(syn(*state, 20000 + i), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PIE), 100);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 0);
	assert_int_equal(lb_backend_streams(*state, BACKEND), 0);
	assert_int_equal(lb_class_stats(*state, SVC_ID).refused, 100);
}

/* Held (burst allowance, low delay): nothing refused whatever p is. */
static void hold_admits(void **state)
{
	int i;

	pie_scene(*state);
	set_prob(*state, PROB_ALL, 1);
	for (i = 0; i < 50; i++)
		assert_int_equal(syn(*state, 20000 + i), XDP_TX);
	set_prob(*state, PROB_ALL, 0);
	assert_int_equal(syn(*state, 20100), XDP_DROP);
}

/* Without the service's flag the map is not even looked at. */
static void off_without_flag(void **state)
{
	struct weir_service_key key = pie_scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	int i;

	svc.flags &= ~WEIR_SERVICE_PIE;
	lb_update_service(*state, &key, &svc);
	set_prob(*state, PROB_ALL, 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(syn(*state, 20000 + i), XDP_TX);
}

/* A running stream is never refused by PIE, only new ones. */
static void running_streams_pass(void **state)
{
	struct pkt_spec s = lb_client_tcp(30000, PKT_SYN);
	struct pkt out;
	int i;

	pie_scene(*state);
	set_prob(*state, 0, 0);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	set_prob(*state, PROB_ALL, 0);
	s = lb_client_tcp(30000, PKT_ACK);
	for (i = 0; i < 20; i++)
		assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(syn(*state, 30001), XDP_DROP);
}

/* Each priority sees its own probability: 7 (exempt) none. */
static void by_priority(void **state)
{
	struct weir_admission adm = { 0 };
	__u32 id = SVC_ID;
	int i;

	pie_scene(*state);
	adm.refuse_prob[0] = PROB_ALL;
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(((struct lb *)*state)->skel->maps.weir_admission),
				    &id, &adm, BPF_ANY),
		0);
	for (i = 0; i < 10; i++)
		assert_int_equal(syn(*state, 20000 + i), XDP_DROP);
	lb_set_class(*state, SVC_ID, SVC_ID, 0, 7, WEIR_RATE_UNLIMITED);
	for (i = 0; i < 10; i++)
		assert_int_equal(syn(*state, 21000 + i), XDP_TX);
}

/* A full service says so: capacity is decided before PIE. */
static void capacity_first(void **state)
{
	struct weir_service_key key = pie_scene(*state);

	lb_set_limits(*state, &key, 0, ~0ULL);
	set_prob(*state, PROB_ALL, 0);
	assert_int_equal(syn(*state, 20000), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 1);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PIE), 0);
}

/* refuse reset: the client learns at once, by a RST. */
static void refused_with_reset(void **state)
{
	struct weir_service_key key = pie_scene(*state);
	struct weir_service svc = lb_get_service(*state, &key);
	struct pkt_spec s = lb_client_tcp(20000, PKT_SYN);
	struct pkt out;

	svc.refuse = WEIR_REFUSE_RESET;
	svc.refuse_interval_ns = 1000;
	lb_update_service(*state, &key, &svc);
	set_prob(*state, PROB_ALL, 0);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_true(out.data[out.len - 20 + 13] & 0x04); /* RST */
	assert_int_equal(lb_reason(*state, WEIR_DROP_PIE), 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	assert_int_equal(lb_stream_count(*state), 0);
}

static const struct CMUnitTest tests[] = {
	lb_test(zero_admits_all), lb_test(ten_percent_spread), lb_test(all_refused_at_one),
	lb_test(hold_admits),	  lb_test(off_without_flag),   lb_test(running_streams_pass),
	lb_test(by_priority),	  lb_test(capacity_first),     lb_test(refused_with_reset),
};

const struct test_group pie_group = { "pie", tests, ARRAY_SIZE(tests) };
