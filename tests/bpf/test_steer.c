// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* New streams walk the service's slot table with one shared cursor, so the
 * shares are exact, not just close; no usable backend means a drop. */
#include <string.h>

#include "core/slots.h"
#include "tests.h"

#define STREAMS 300

/* Sends STREAMS SYNs from distinct ports; counts them by the backend
 * their output frame names. */
static void send_new_streams(struct lb *lb, __u32 *hits, __u32 max_id)
{
	struct pkt_spec s;
	struct pkt out;
	__u32 i, id;

	for (i = 0; i < STREAMS; i++) {
		s = lb_client_tcp(10000 + i, PKT_SYN);
		assert_int_equal(lb_send(lb, &s, &out), XDP_TX);
		id = lb_backend_of(&out);
		assert_true(id < max_id);
		hits[id]++;
	}
}

static void check_shares(struct lb *lb, const __u32 *ids, const __u32 *want, size_t n)
{
	__u32 hits[16] = { 0 };
	size_t i;

	send_new_streams(lb, hits, ARRAY_SIZE(hits));
	for (i = 0; i < n; i++) {
		assert_int_equal(hits[ids[i]], want[i]);
		assert_int_equal(lb_backend_counters(lb, ids[i]).new_streams, want[i]);
		assert_int_equal(lb_backend_counters(lb, ids[i]).packets, want[i]);
	}
	assert_int_equal(lb_service_counters(lb, SVC_ID).new_streams, STREAMS);
	assert_int_equal(lb_stream_count(lb), STREAMS);
}

static void round_robin_exact(void **state)
{
	static const __u32 ids[] = { 7, 8, 9 };
	static const __u32 want[] = { 100, 100, 100 };

	lb_scene(*state, ids, ARRAY_SIZE(ids));
	check_shares(*state, ids, want, ARRAY_SIZE(ids));
}

/* Weights 1:2:3 expanded by the controller's own slots_build(). */
static void weighted_exact(void **state)
{
	static const __u32 ids[] = { 7, 8, 9 };
	static const __u32 weights[] = { 1, 2, 3 };
	static const __u32 want[] = { 50, 100, 150 };
	struct weir_service_key key = lb_scene(*state, ids, ARRAY_SIZE(ids));
	__u32 slots[WEIR_MAX_SLOTS];
	int i, count = slots_build(weights, ARRAY_SIZE(weights), slots, WEIR_MAX_SLOTS);

	assert_int_equal(count, 6);
	for (i = 0; i < count; i++)
		slots[i] = ids[slots[i]];
	lb_set_slots(*state, &key, slots, count);
	check_shares(*state, ids, want, ARRAY_SIZE(ids));
}

static void check_refused(struct lb *lb)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_SYN);
	struct pkt out;

	assert_int_equal(lb_send(lb, &s, &out), XDP_DROP);
	assert_only_reason(lb, WEIR_DROP_NO_BACKEND, 1);
	assert_int_equal(lb_service_counters(lb, SVC_ID).refused, 1);
	assert_int_equal(lb_service_counters(lb, SVC_ID).packets, 0);
	assert_int_equal(lb_stream_count(lb), 0);
}

static void no_slots_drops(void **state)
{
	lb_scene(*state, NULL, 0);
	check_refused(*state);
}

/* A slot may name a backend deleted since the table was written. */
static void slot_to_deleted_backend_drops(void **state)
{
	static const __u32 ids[] = { 7 };

	lb_scene(*state, ids, ARRAY_SIZE(ids));
	lb_set_backend_flags(*state, 7, 0);
	check_refused(*state);
}

/* A backend id whose entry belongs to another service is not usable. */
static void slot_to_other_service_backend_drops(void **state)
{
	static const __u32 ids[] = { 7 };

	lb_scene(*state, ids, ARRAY_SIZE(ids));
	lb_add_backend(*state, 7, SVC_ID + 1, WEIR_AF_INET, "198.18.1.7");
	check_refused(*state);
}

static void set_fallback_pass(struct lb *lb, const struct weir_service_key *key)
{
	struct weir_service svc = lb_get_service(lb, key);

	svc.flags |= WEIR_SERVICE_FALLBACK_PASS;
	lb_update_service(lb, key, &svc);
}

/* fallback pass: with no usable backend, new streams and segments of no
 * stream go to the local stack untouched, and open nothing. */
static void fallback_pass_without_backends(void **state)
{
	struct weir_service_key key = lb_scene(*state, NULL, 0);
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40000, PKT_ACK);
	struct pkt in, out;

	set_fallback_pass(*state, &key);
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_PASS);
	assert_untouched(&in, &out);
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_PASS);
	assert_untouched(&in, &out);
	assert_only_reason(*state, WEIR_DROP_FALLBACK, 2);
	assert_int_equal(lb_service_counters(*state, SVC_ID).refused, 0);
	assert_int_equal(lb_stream_count(*state), 0);
}

/* With backends again, SYNs are balanced; a segment of no stream (a
 * connection the local stack took meanwhile) still passes. */
static void fallback_pass_with_backends(void **state)
{
	static const __u32 ids[] = { 7 };
	struct weir_service_key key = lb_scene(*state, ids, ARRAY_SIZE(ids));
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN), ack = lb_client_tcp(40001, PKT_ACK);
	struct pkt in, out;

	set_fallback_pass(*state, &key);
	pkt_build(&in, &syn);
	assert_int_equal(lb_run(*state, &in, &out), XDP_TX);
	assert_forwarded(&in, &out, 7);
	pkt_build(&in, &ack);
	assert_int_equal(lb_run(*state, &in, &out), XDP_PASS);
	assert_untouched(&in, &out);
	assert_only_reason(*state, WEIR_DROP_FALLBACK, 1);
}

static const struct CMUnitTest tests[] = {
	lb_test(fallback_pass_without_backends),
	lb_test(fallback_pass_with_backends),
	lb_test(round_robin_exact),
	lb_test(weighted_exact),
	lb_test(no_slots_drops),
	lb_test(slot_to_deleted_backend_drops),
	lb_test(slot_to_other_service_backend_drops),
};

const struct test_group steer_group = { "steer", tests, ARRAY_SIZE(tests) };
