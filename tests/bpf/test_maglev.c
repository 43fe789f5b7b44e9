// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Maglev steering: two balancers whose tables two controllers built (the
 * backends listed in another order, under other local ids) pick the same
 * backend for 10,000 5-tuples; a segment of a stream one of them never
 * saw goes statelessly where the other sent its SYN; weights hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "core/maglev.h"
#include "tests.h"
#include "weir.skel.h"

#define TUPLES 10000
#define SIZE 65537

static const char *const addrs[] = { "198.18.0.11", "198.18.0.12", "198.18.0.13" };

/* A maglev service whose backends (ids[i] at addrs[order[i]]) are built
 * into table 0 as the controller does: keys from the addresses. */
static void maglev_scene(struct lb *lb, const __u32 *ids, const int *order, const __u32 *weights)
{
	static __u32 table[SIZE];
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct maglev_backend mb[3];
	__u8 keys[3][MAGLEV_ADDR_KEY_MAX], addr[16];
	struct weir_service svc;
	void *scratch = malloc(maglev_scratch_size(3));
	int fd = bpf_map__fd(lb->skel->maps.weir_maglev);
	__u32 i;

	lb_add_service(lb, &key, SVC_ID);
	for (i = 0; i < 3; i++) {
		lb_add_backend(lb, ids[i], SVC_ID, WEIR_AF_INET, addrs[order[i]]);
		memset(addr, 0, sizeof(addr));
		pkt_set_addr(addr, WEIR_AF_INET, addrs[order[i]]);
		mb[i] = (struct maglev_backend){ .key = keys[i],
						 .key_len = maglev_addr_key(WEIR_AF_INET, addr,
									    keys[i]),
						 .weight = weights[order[i]] };
	}
	assert_int_equal(maglev_build(mb, 3, SIZE, table, scratch), 0);
	free(scratch);
	for (i = 0; i < SIZE; i++) {
		struct weir_maglev_entry e = { .backend_id = ids[table[i]] };

		assert_int_equal(bpf_map_update_elem(fd, &i, &e, BPF_ANY), 0);
	}
	svc = lb_get_service(lb, &key);
	svc.steering = WEIR_STEER_MAGLEV;
	svc.maglev_table = 0;
	svc.maglev_size = SIZE;
	svc.slot_count = 3;
	lb_update_service(lb, &key, &svc);
}

/* The address index the packet went to, through the instance's ids. */
static int picked(const struct pkt *out, const __u32 *ids, const int *order)
{
	__u32 id = lb_backend_of(out);
	int i;

	for (i = 0; i < 3; i++)
		if (ids[i] == id)
			return order[i];
	fail_msg("packet sent to no backend of the scene (id %u)", id);
	return -1;
}

static struct pkt_spec tuple(int i, __u8 flags)
{
	static char src[32];
	struct pkt_spec s = lb_client_tcp(1024 + i % 50000, flags);

	snprintf(src, sizeof(src), "198.19.%d.%d", i / 250, 1 + i % 250);
	s.src = src;
	return s;
}

static void two_hosts_agree(void **state)
{
	static const __u32 ids_a[] = { 4, 5, 6 }, ids_b[] = { 9, 7, 8 }, equal[] = { 1, 1, 1 };
	static const int order_a[] = { 0, 1, 2 }, order_b[] = { 2, 0, 1 };
	struct lb *a = *state, *b;
	int i, hits[3] = { 0 };
	struct pkt in, out_a, out_b;
	void *other = NULL;

	assert_int_equal(lb_setup(&other), 0);
	b = other;
	maglev_scene(a, ids_a, order_a, equal);
	maglev_scene(b, ids_b, order_b, equal);
	for (i = 0; i < TUPLES; i++) {
		struct pkt_spec s = tuple(i, PKT_SYN);
		int pa, pb;

		pkt_build(&in, &s);
		assert_int_equal(lb_run(a, &in, &out_a), XDP_TX);
		assert_int_equal(lb_run(b, &in, &out_b), XDP_TX);
		pa = picked(&out_a, ids_a, order_a);
		pb = picked(&out_b, ids_b, order_b);
		assert_int_equal(pa, pb);
		hits[pa]++;
	}
	/* equal weights: a third each, to within 3% of the tuples */
	for (i = 0; i < 3; i++)
		assert_in_range(hits[i], TUPLES / 3 - 300, TUPLES / 3 + 300);
	lb_teardown(&other);
}

/* ECMP moves a stream to the other host mid-way: its ACK, which that host
 * has no entry for, goes to the same backend, and opens nothing there. */
static void unseen_segment_follows(void **state)
{
	static const __u32 ids_a[] = { 4, 5, 6 }, ids_b[] = { 9, 7, 8 }, equal[] = { 1, 1, 1 };
	static const int order_a[] = { 0, 1, 2 }, order_b[] = { 2, 0, 1 };
	struct lb *a = *state, *b;
	struct pkt in, out_a, out_b;
	void *other = NULL;
	int i;

	assert_int_equal(lb_setup(&other), 0);
	b = other;
	maglev_scene(a, ids_a, order_a, equal);
	maglev_scene(b, ids_b, order_b, equal);
	for (i = 0; i < 200; i++) {
		struct pkt_spec syn = tuple(i, PKT_SYN), ack = tuple(i, PKT_ACK);

		pkt_build(&in, &syn);
		assert_int_equal(lb_run(a, &in, &out_a), XDP_TX);
		pkt_build(&in, &ack);
		assert_int_equal(lb_run(b, &in, &out_b), XDP_TX);
		assert_int_equal(picked(&out_a, ids_a, order_a), picked(&out_b, ids_b, order_b));
	}
	assert_int_equal(lb_stream_count(b), 0);
	lb_teardown(&other);
}

/* Weights 1:2:3 give shares of 1/6, 2/6, 3/6 of new streams. */
static void weights_hold(void **state)
{
	static const __u32 ids[] = { 4, 5, 6 }, weights[] = { 1, 2, 3 };
	static const int order[] = { 0, 1, 2 };
	struct pkt in, out;
	int i, hits[3] = { 0 };

	maglev_scene(*state, ids, order, weights);
	for (i = 0; i < 6000; i++) {
		struct pkt_spec s = tuple(i, PKT_SYN);

		pkt_build(&in, &s);
		assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
		hits[picked(&out, ids, order)]++;
	}
	assert_in_range(hits[0], 1000 - 150, 1000 + 150);
	assert_in_range(hits[1], 2000 - 200, 2000 + 200);
	assert_in_range(hits[2], 3000 - 200, 3000 + 200);
}

static const struct CMUnitTest tests[] = {
	lb_test(two_hosts_agree),
	lb_test(unseen_segment_follows),
	lb_test(weights_hold),
};

const struct test_group maglev_group = { "maglev", tests, ARRAY_SIZE(tests) };
