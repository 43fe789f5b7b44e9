/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The stream table: the first packet of a stream decides its backend,
 * every later one follows the entry. */
#ifndef WEIR_BPF_STREAM_H
#define WEIR_BPF_STREAM_H

static __always_inline struct weir_stream *stream_lookup(const struct packet *p)
{
	return bpf_map_lookup_elem(&weir_streams, &p->key);
}

/* A bare SYN on a closing entry is the client reusing its port for a new
 * connection: steer it afresh rather than to the old backend. */
static __always_inline int stream_is_reopened(const struct weir_stream *s, const struct packet *p)
{
	return (s->flags & WEIR_STREAM_CLOSING) &&
	       (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

static __always_inline int stream_is_tcp_rst(const struct packet *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & TCP_FLAG_RST);
}

static __always_inline int stream_is_tcp_fin(const struct packet *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & TCP_FLAG_FIN);
}

/* Records a new stream; a FIN opens it closing. */
static __always_inline int stream_open(const struct packet *p, __u32 service_id, __u32 backend_id,
				       __u64 now)
{
	struct weir_stream s = {
		.backend_id = backend_id,
		.service_id = service_id,
		.first_seen_ns = now,
		.last_seen_ns = now,
		.packets = 1,
		.bytes = p->len,
	};

	if (stream_is_tcp_fin(p))
		s.flags = WEIR_STREAM_CLOSING;
	if (bpf_map_update_elem(&weir_streams, &p->key, &s, BPF_ANY))
		return -WEIR_DROP_STREAM_TABLE;
	return 0;
}

/* A RST of a stream we no longer steer (never seen, or its backend was
 * deleted) would reach a backend that does not know the connection: drop
 * it, and the entry with it, rather than open a stream for it. */
static __always_inline int stream_stray_rst(const struct packet *p, const struct weir_stream *s)
{
	if (s)
		bpf_map_delete_elem(&weir_streams, &p->key);
	return -WEIR_DROP_STRAY_RST;
}

/* Counts a packet on its stream; returns 1 when the packet ended it. RST
 * removes the entry at once; FIN marks it closing (see abi.h for why the
 * entry outlives it) and the controller removes it after the linger. */
static __always_inline int stream_track(const struct packet *p, struct weir_stream *s, __u64 now)
{
	int was_closing = s->flags & WEIR_STREAM_CLOSING;

	s->last_seen_ns = now;
	s->packets += 1;
	s->bytes += p->len;
	if (stream_is_tcp_rst(p)) {
		bpf_map_delete_elem(&weir_streams, &p->key);
		return !was_closing;
	}
	if (stream_is_tcp_fin(p) && !was_closing) {
		s->flags |= WEIR_STREAM_CLOSING;
		return 1;
	}
	return 0;
}

#endif
