// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Streams: the first packet picks the backend and every later packet
 * follows the entry, whatever the slot table says now; RST ends a stream
 * at once, FIN leaves it closing; a deleted backend's streams move. */
#include <errno.h>
#include <string.h>

#include "tests.h"

#define FIRST 7
#define SECOND 8

static const __u32 both[] = { FIRST, SECOND };

/* Sends one packet of the stream from sport; returns the backend its
 * output frame was sent to. */
static __u32 send_to(struct lb *lb, __u16 sport, __u8 flags)
{
	struct pkt_spec s = lb_client_tcp(sport, flags);
	struct pkt in, out;
	__u32 id;

	pkt_build(&in, &s);
	assert_int_equal(lb_run(lb, &in, &out), XDP_TX);
	id = lb_backend_of(&out);
	assert_forwarded(&in, &out, id);
	return id;
}

static struct weir_stream stream_of(struct lb *lb, __u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, 0);
	struct weir_stream stream;

	assert_int_equal(lb_stream(lb, &s, &stream), 0);
	return stream;
}

static int stream_gone(struct lb *lb, __u16 sport)
{
	struct pkt_spec s = lb_client_tcp(sport, 0);
	struct weir_stream stream;

	return lb_stream(lb, &s, &stream) == -ENOENT;
}

static void stays_after_weights_change(void **state)
{
	struct weir_service_key key = lb_scene(*state, both, 1);
	static const __u32 only_second[] = { SECOND };

	lb_add_backend(*state, SECOND, SVC_ID, WEIR_AF_INET, "198.18.1.8");
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	lb_set_slots(*state, &key, only_second, 1);
	assert_int_equal(send_to(*state, 40000, PKT_ACK), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_ACK | PKT_PSH), FIRST);
	assert_int_equal(send_to(*state, 40001, PKT_SYN), SECOND);
	assert_int_equal(stream_of(*state, 40000).packets, 3);
	assert_int_equal(lb_backend_counters(*state, FIRST).packets, 3);
	assert_int_equal(lb_backend_counters(*state, SECOND).new_streams, 1);
}

static void rst_removes_stream(void **state)
{
	lb_scene(*state, both, 2);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_RST | PKT_ACK), FIRST);
	assert_true(stream_gone(*state, 40000));
	assert_int_equal(lb_backend_counters(*state, FIRST).ended_streams, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).ended_streams, 1);
}

static void fin_leaves_closing_stream(void **state)
{
	lb_scene(*state, both, 2);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_FIN | PKT_ACK), FIRST);
	assert_int_equal(stream_of(*state, 40000).state, WEIR_STATE_CLOSING);
	assert_int_equal(lb_backend_counters(*state, FIRST).ended_streams, 1);

	/* a retransmitted FIN ends nothing more; the last ACK still reaches
	 * the backend that holds the connection */
	assert_int_equal(send_to(*state, 40000, PKT_FIN | PKT_ACK), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_ACK), FIRST);
	assert_int_equal(stream_of(*state, 40000).state, WEIR_STATE_CLOSING);
	assert_int_equal(stream_of(*state, 40000).packets, 4);
	assert_int_equal(lb_class_stats(*state, SVC_ID).packets, 4); /* the service's too */
	assert_int_equal(lb_backend_counters(*state, FIRST).ended_streams, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).ended_streams, 1);

	/* a RST after the FIN removes the entry but ended it already */
	assert_int_equal(send_to(*state, 40000, PKT_RST), FIRST);
	assert_true(stream_gone(*state, 40000));
	assert_int_equal(lb_service_counters(*state, SVC_ID).ended_streams, 1);
}

/* The client reused its port: a bare SYN on a closing entry is a new
 * stream, steered afresh (the cursor now points at SECOND). */
static void syn_on_closing_is_new_stream(void **state)
{
	struct weir_stream stream;

	lb_scene(*state, both, 2);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_FIN | PKT_ACK), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), SECOND);
	stream = stream_of(*state, 40000);
	assert_int_equal(stream.backend_id, SECOND);
	assert_int_equal(stream.state, WEIR_STATE_PROVISIONAL);
	assert_int_equal(stream.packets, 1);
	assert_int_equal(lb_service_counters(*state, SVC_ID).new_streams, 2);
	assert_int_equal(lb_backend_counters(*state, SECOND).new_streams, 1);
}

/* SYN+ACK or a plain ACK on a closing entry belong to the old connection. */
static void non_syn_on_closing_stays(void **state)
{
	lb_scene(*state, both, 2);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_FIN | PKT_ACK), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_SYN | PKT_ACK), FIRST);
	assert_int_equal(lb_service_counters(*state, SVC_ID).new_streams, 1);
}

/* A stream on an open entry keeps its backend even for a repeated SYN. */
static void syn_retransmit_stays(void **state)
{
	lb_scene(*state, both, 2);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	assert_int_equal(lb_service_counters(*state, SVC_ID).new_streams, 1);
}

/* A deleted backend's stream has no backend that knows its connection:
 * its segments are dropped until the client opens a new one, which the
 * slot table steers afresh. */
static void deleted_backend_stream_moves_on_syn(void **state)
{
	struct weir_service_key key = lb_scene(*state, both, 2);
	static const __u32 only_second[] = { SECOND };
	struct pkt_spec s = lb_client_tcp(40000, PKT_ACK);
	struct pkt out;

	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	lb_set_backend_flags(*state, FIRST, 0);
	lb_set_slots(*state, &key, only_second, 1);
	assert_int_equal(lb_send(*state, &s, &out), XDP_DROP);
	assert_only_reason(*state, WEIR_DROP_NO_STREAM, 1);
	assert_int_equal(stream_of(*state, 40000).backend_id, FIRST);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), SECOND);
	assert_int_equal(stream_of(*state, 40000).backend_id, SECOND);
	assert_int_equal(send_to(*state, 40000, PKT_ACK), SECOND);
	assert_int_equal(lb_backend_counters(*state, SECOND).packets, 2);
}

/* A backend whose MAC is not known (say, adopted after a restart before
 * the neighbour table answered) gets nothing: no new stream, and its
 * streams' segments are not sent to an all-zero MAC. */
static void backend_without_mac_gets_nothing(void **state)
{
	struct pkt_spec syn = lb_client_tcp(40000, PKT_SYN);
	struct pkt_spec ack = lb_client_tcp(40001, PKT_ACK);
	struct pkt out;

	lb_scene(*state, both, 1);
	assert_int_equal(send_to(*state, 40001, PKT_SYN), FIRST);
	lb_set_backend_flags(*state, FIRST, WEIR_BACKEND_IN_USE);
	assert_int_equal(lb_send(*state, &syn, &out), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_NO_BACKEND), 1);
	assert_int_equal(lb_send(*state, &ack, &out), XDP_DROP);
	assert_int_equal(lb_reason(*state, WEIR_DROP_NO_STREAM), 1);
}

/* Only a bare SYN opens a TCP stream: spoofed ACKs, FINs, SYN+ACKs or data
 * of no stream are dropped and counted, take no entry and leave the
 * rotation where it was. */
static void only_syn_opens(void **state)
{
	static const __u8 flags[] = {
		PKT_ACK, PKT_FIN | PKT_ACK, PKT_SYN | PKT_ACK, PKT_ACK | PKT_PSH, 0, PKT_FIN
	};
	struct pkt_spec s;
	struct pkt out;
	size_t i;

	lb_scene(*state, both, 2);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		s = lb_client_tcp(41000 + i, flags[i]);
		assert_int_equal(lb_send(*state, &s, &out), XDP_DROP);
	}
	assert_only_reason(*state, WEIR_DROP_NO_STREAM, ARRAY_SIZE(flags));
	assert_int_equal(lb_stream_count(*state), 0);
	assert_int_equal(lb_service_counters(*state, SVC_ID).new_streams, 0);
	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
}

/* UDP has no handshake: its first datagram opens the stream. */
static void udp_first_datagram_opens(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, 0);
	struct pkt out;

	s.proto = IPPROTO_UDP;
	lb_scene_for(*state, &s, FIRST);
	assert_int_equal(lb_send(*state, &s, &out), XDP_TX);
	assert_int_equal(lb_stream_count(*state), 1);
}

/* A RST whose stream's backend was deleted reaches no backend that knows
 * the connection: it is dropped as stray and takes the entry with it,
 * rather than naming the dead backend until the controller's sweep. */
static void rst_on_moved_stream_removes_it(void **state)
{
	struct weir_service_key key = lb_scene(*state, both, 2);
	static const __u32 only_second[] = { SECOND };
	struct pkt_spec s = lb_client_tcp(40000, PKT_RST);
	struct pkt in, out;

	assert_int_equal(send_to(*state, 40000, PKT_SYN), FIRST);
	lb_set_backend_flags(*state, FIRST, 0);
	lb_set_slots(*state, &key, only_second, 1);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_DROP);
	assert_true(stream_gone(*state, 40000));
	assert_only_reason(*state, WEIR_DROP_STRAY_RST, 1);
}

/* A RST of no recorded stream is dropped and opens nothing. */
static void rst_first_dropped(void **state)
{
	struct pkt_spec s = lb_client_tcp(40000, PKT_RST);
	struct pkt in, out;

	lb_scene(*state, both, 2);
	pkt_build(&in, &s);
	assert_int_equal(lb_run(*state, &in, &out), XDP_DROP);
	assert_true(stream_gone(*state, 40000));
	assert_only_reason(*state, WEIR_DROP_STRAY_RST, 1);
	assert_int_equal(send_to(*state, 40001, PKT_SYN), FIRST);
}

static const struct CMUnitTest tests[] = {
	lb_test(stays_after_weights_change),
	lb_test(rst_removes_stream),
	lb_test(fin_leaves_closing_stream),
	lb_test(syn_on_closing_is_new_stream),
	lb_test(non_syn_on_closing_stays),
	lb_test(syn_retransmit_stays),
	lb_test(deleted_backend_stream_moves_on_syn),
	lb_test(backend_without_mac_gets_nothing),
	lb_test(only_syn_opens),
	lb_test(udp_first_datagram_opens),
	lb_test(rst_on_moved_stream_removes_it),
	lb_test(rst_first_dropped),
};

const struct test_group stream_group = { "stream", tests, ARRAY_SIZE(tests) };
