// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Policing, pausing and preemption of running streams, on a clock the
 * test drives: a long packet train through a stream's bucket forwards the
 * class's rate; a paused stream resumes when its min fits again; a
 * preempted one is refused. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "tests.h"

#define BACKEND 7
#define T0 (1000ULL << WEIR_EPOCH_SHIFT)
#define MS 1000000ULL
#define SEC 1000000000ULL
#define IP_BYTES 480 /* a whole frame fits the builder's 512 bytes */

static struct pkt_spec udp_stream(__u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, 0);

	s.proto = IPPROTO_UDP;
	s.payload_len = IP_BYTES - 20 - 8;
	return s;
}

static void scene(struct lb *lb)
{
	static const __u32 ids[] = { BACKEND };

	lb_set_time(lb, T0);
	lb_scene(lb, ids, 1);
}

/* A UDP service of its own (id SVC_ID + 1, its default class the same id). */
#define UDP_SVC (SVC_ID + 1)

static void udp_scene(struct lb *lb, const struct pkt_spec *s)
{
	lb_set_time(lb, T0);
	lb_service_for(lb, s, UDP_SVC, BACKEND);
}

/* Sends a packet every gap_ns for dur_ns from t; returns IP bytes forwarded. */
static __u64 train(struct lb *lb, const struct pkt_spec *s, __u64 t, __u64 dur_ns, __u64 gap_ns)
{
	struct pkt in, out;
	__u64 sent = 0, at;

	pkt_build(&in, s);
	for (at = 0; at < dur_ns; at += gap_ns) {
		lb_set_time(lb, t + at);
		if (lb_run(lb, &in, &out) == XDP_TX)
			sent += in.len - in.l3_off;
	}
	return sent;
}

static void assert_near(double got, double want, double tolerance)
{
	print_message("  forwarded %.0f bytes, the rate allows %.0f (%.2f%%)\n", got, want,
		      100.0 * (got - want) / want);
	assert_true(got >= want * (1 - tolerance) && got <= want * (1 + tolerance));
}

/* 2 Mbyte/s offered for 10 s into a class of 8 Mbit/s: 1 Mbyte/s passes,
 * within 2%, and the rest is counted policed. */
static void polices_at_class_rate(void **state)
{
	struct pkt_spec s = udp_stream(40000);
	struct weir_class_stats cs;
	struct weir_stream st;
	__u64 sent;

	udp_scene(*state, &s);
	lb_set_class(*state, UDP_SVC, UDP_SVC, 0, 0, 8000000);
	sent = train(*state, &s, T0, 10 * SEC, 240000);
	assert_near(sent, 10.0 * 1000000, 0.02);
	cs = lb_class_stats(*state, UDP_SVC);
	assert_int_equal(cs.bytes, sent);
	assert_true(cs.policed_packets > 0);
	assert_int_equal(cs.policed_bytes + cs.bytes, ((10 * SEC + 239999) / 240000) * IP_BYTES);
	assert_int_equal(lb_reason(*state, WEIR_DROP_POLICED), cs.policed_packets);
	/* what `weir stream list` shows as POLICED */
	assert_int_equal(lb_stream(*state, &s, &st), 0);
	assert_int_equal(st.policed, cs.policed_packets);
}

/* A new allocation applies from the next packet of every stream: no
 * stream entry is touched. */
static void rate_change_applies_at_once(void **state)
{
	struct pkt_spec s = udp_stream(40000);
	__u64 sent;

	udp_scene(*state, &s);
	lb_set_class(*state, UDP_SVC, UDP_SVC, 0, 0, 8000000);
	sent = train(*state, &s, T0, 5 * SEC, 240000);
	lb_set_class(*state, UDP_SVC, UDP_SVC, 0, 0, 4000000);
	sent += train(*state, &s, T0 + 5 * SEC, 5 * SEC, 240000);
	assert_near(sent, 5.0 * 1000000 + 5.0 * 500000, 0.02);
}

/* Streams below their rate are not touched. */
static void below_rate_untouched(void **state)
{
	struct pkt_spec s = udp_stream(40000);

	udp_scene(*state, &s);
	lb_set_class(*state, UDP_SVC, UDP_SVC, 0, 0, 8000000);
	assert_int_equal(train(*state, &s, T0, 2 * SEC, 1 * MS), 2000ULL * IP_BYTES);
	assert_int_equal(lb_reason(*state, WEIR_DROP_POLICED), 0);
}

static __u32 send_at(struct lb *lb, const struct pkt_spec *s, __u64 t)
{
	struct pkt out;

	lb_set_time(lb, t);
	return lb_send(lb, s, &out);
}

/* Idle past pause-after, a stream's slot is released (its share goes
 * back); its next packet resumes it while its min fits, and is refused
 * while not, until room comes back. */
static void paused_resumes_when_room(void **state)
{
	struct pkt_spec a = udp_stream(40000), b = lb_client_tcp(41000, PKT_SYN);
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct weir_service_key ukey = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_UDP);
	struct weir_service svc;
	struct weir_stream st;
	__u64 t1;

	scene(*state);
	/* one service for both protocols would need two keys: UDP gets its own
	 * service sharing the class and counts of id SVC_ID */
	svc = lb_get_service(*state, &key);
	assert_int_equal(bpf_map_update_elem(((struct lb *)*state)->services, &ukey, &svc, BPF_ANY),
			 0);
	lb_use_port(*state, IPPROTO_UDP, VIP_PORT);
	lb_set_limits(*state, &key, 1, ~0ULL);
	lb_set_limits(*state, &ukey, 1, ~0ULL);
	svc = lb_get_service(*state, &ukey);
	t1 = T0 + (__u64)svc.pause_epochs * WEIR_EPOCH_NS;
	assert_int_equal(send_at(*state, &a, T0), XDP_TX);
	assert_int_equal(lb_release_epoch(*state, SVC_ID, T0 >> WEIR_EPOCH_SHIFT), 1);
	assert_int_equal(lb_class_counts(*state, SVC_ID).paused, 1);
	assert_int_equal(send_at(*state, &b, t1), XDP_TX); /* its share was free */
	assert_int_equal(send_at(*state, &a, t1), XDP_DROP);
	assert_int_equal(lb_stream(*state, &a, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_REFUSED);
	assert_int_equal(st.backend_id, BACKEND); /* its backend kept */
	b.tcp_flags = PKT_FIN | PKT_ACK;
	assert_int_equal(send_at(*state, &b, t1), XDP_TX);
	assert_int_equal(send_at(*state, &a, t1), XDP_TX);
	assert_int_equal(lb_stream(*state, &a, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_ACTIVE);
	assert_int_equal(st.epoch, t1 >> WEIR_EPOCH_SHIFT);
	assert_int_equal(lb_class_counts(*state, SVC_ID).paused, 0);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 1);
	assert_int_equal(lb_class_stats(*state, SVC_ID).resumed, 1);
}

#define GOLD 40

/* At full capacity a priority-7 stream takes the place of a priority-1
 * one: admitted at once; the next packet of one of the lower class's
 * streams is refused, and every one after it. */
/* Room for two streams; 198.19.7.0/24 (class GOLD, priority 7) preempts
 * the default class (priority 1). */
static struct weir_service preempting_scene(struct lb *lb)
{
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct weir_rule gold = { .class_id = GOLD };
	struct weir_service svc;

	scene(lb);
	lb_rule_prefix(&gold, WEIR_AF_INET, "198.19.7.0", 24);
	lb_set_class(lb, SVC_ID, SVC_ID, 1000000, 1, WEIR_RATE_UNLIMITED);
	lb_set_class(lb, GOLD, SVC_ID, 1000000, 7, WEIR_RATE_UNLIMITED);
	lb_class_preemptable(lb, SVC_ID);
	lb_add_rule(lb, &key, &gold);
	lb_set_limits(lb, &key, 2, ~0ULL);
	svc = lb_get_service(lb, &key);
	svc.flags |= WEIR_SERVICE_PREEMPT;
	svc.victims[0] = SVC_ID;
	lb_update_service(lb, &key, &svc);
	return svc;
}

static void preempted_is_refused(void **state)
{
	struct pkt_spec lo1 = lb_client_tcp(40000, PKT_SYN), lo2 = lb_client_tcp(40001, PKT_SYN);
	struct pkt_spec hi = lb_client_tcp(50000, PKT_SYN);
	struct weir_stream st;

	preempting_scene(*state);
	hi.src = "198.19.7.1";
	assert_int_equal(send_at(*state, &lo1, T0), XDP_TX);
	assert_int_equal(send_at(*state, &lo2, T0), XDP_TX);
	assert_int_equal(send_at(*state, &hi, T0), XDP_TX);
	assert_int_equal(lb_class_counts(*state, SVC_ID).preempt_pending, 1);
	assert_int_equal(lb_service_counts(*state, SVC_ID).preempt_streams, 1);
	lo1.tcp_flags = PKT_ACK;
	assert_int_equal(send_at(*state, &lo1, T0), XDP_DROP);
	assert_int_equal(lb_stream(*state, &lo1, &st), 0);
	assert_int_equal(st.state, WEIR_STATE_PREEMPTED);
	assert_int_equal(send_at(*state, &lo1, T0), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PREEMPTED), 2);
	assert_int_equal(lb_class_stats(*state, SVC_ID).preempted, 1);
	lo2.tcp_flags = PKT_ACK;
	assert_int_equal(send_at(*state, &lo2, T0), XDP_TX);
	assert_int_equal(lb_class_counts(*state, SVC_ID).preempt_pending, 0);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 1);
	assert_int_equal(lb_class_counts(*state, GOLD).active, 1);
	assert_int_equal(lb_service_counts(*state, SVC_ID).streams, 2);
	assert_int_equal(lb_service_counts(*state, SVC_ID).preempt_streams, 0);
	assert_int_equal(lb_backend_streams(*state, BACKEND), 2);
	/* a new SYN on the preempted 5-tuple is a new stream, refused: full */
	lo1.tcp_flags = PKT_SYN;
	assert_int_equal(send_at(*state, &lo1, T0), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_CAPACITY), 1);
}

/* The client's RST after its stream was preempted (the answer to our
 * RST) takes the entry away. Like every packet of a preempted stream it
 * is refused and counted `preempted`, and never answered: a drop with no
 * reason counted would break weir_stats' sums. */
static void preempted_rst_counted(void **state)
{
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct pkt_spec lo1 = lb_client_tcp(40000, PKT_SYN), lo2 = lb_client_tcp(40001, PKT_SYN);
	struct pkt_spec hi = lb_client_tcp(50000, PKT_SYN);
	struct weir_service svc = preempting_scene(*state);
	struct weir_stream st;

	svc.refuse = WEIR_REFUSE_RESET;
	lb_update_service(*state, &key, &svc);
	hi.src = "198.19.7.1";
	assert_int_equal(send_at(*state, &lo1, T0), XDP_TX);
	assert_int_equal(send_at(*state, &lo2, T0), XDP_TX);
	assert_int_equal(send_at(*state, &hi, T0), XDP_TX);
	lo1.tcp_flags = PKT_ACK;
	assert_int_equal(send_at(*state, &lo1, T0), XDP_TX); /* refused: our RST */
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	lo1.tcp_flags = PKT_RST;
	assert_int_equal(send_at(*state, &lo1, T0), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_PREEMPTED), 2);
	assert_int_equal(lb_service_reason(*state, SVC_ID, WEIR_DROP_PREEMPTED), 2);
	assert_int_equal(lb_service_counters(*state, SVC_ID).replies, 1);
	assert_int_equal(lb_stream(*state, &lo1, &st), -ENOENT);
	assert_int_equal(lb_class_counts(*state, SVC_ID).active, 1); /* lo2 */
}

/* Preemption only takes from strictly lower priorities. */
static void no_preemption_of_equals(void **state)
{
	struct weir_service_key key = lb_service_key(WEIR_AF_INET, VIP4, VIP_PORT, IPPROTO_TCP);
	struct pkt_spec a = lb_client_tcp(40000, PKT_SYN), b = lb_client_tcp(40001, PKT_SYN);
	struct weir_service svc;

	scene(*state);
	lb_set_limits(*state, &key, 1, ~0ULL);
	svc = lb_get_service(*state, &key);
	svc.flags |= WEIR_SERVICE_PREEMPT;
	svc.victims[0] = SVC_ID;
	lb_update_service(*state, &key, &svc);
	assert_int_equal(send_at(*state, &a, T0), XDP_TX);
	assert_int_equal(send_at(*state, &b, T0), XDP_DROP);
	assert_int_equal(lb_class_counts(*state, SVC_ID).preempt_pending, 0);
	assert_int_equal(lb_service_counts(*state, SVC_ID).preempt_streams, 0);
}

static const struct CMUnitTest tests[] = {
	lb_test(polices_at_class_rate),	  lb_test(rate_change_applies_at_once),
	lb_test(below_rate_untouched),	  lb_test(paused_resumes_when_room),
	lb_test(preempted_is_refused),	  lb_test(preempted_rst_counted),
	lb_test(no_preemption_of_equals),
};

const struct test_group police_group = { "police", tests, ARRAY_SIZE(tests) };
