/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The stream table: the first packet of a stream decides its admission,
 * class and backend; every later one follows the entry. A counted stream
 * (ACTIVE, PROVISIONAL) holds a place in its class and service, and sits
 * in the epoch slot of its last packet; the controller releases slots idle
 * past pause-after, which pauses their streams without touching an entry.
 * The accounting lives in global functions (weir_*), each verified once.
 */
#ifndef WEIR_BPF_STREAM_H
#define WEIR_BPF_STREAM_H

static __always_inline struct weir_stream *stream_lookup(const struct packet *p)
{
	return bpf_map_lookup_elem(&weir_streams, &p->key);
}

static __always_inline int stream_is_bare_syn(const struct packet *p)
{
	return (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

static __always_inline int stream_has_ended(const struct weir_stream *s)
{
	return s->state == WEIR_STATE_CLOSING || s->state == WEIR_STATE_PREEMPTED;
}

/* A bare SYN on an ended entry (closing, preempted) is the client reusing
 * its port for a new connection: steer it afresh. */
static __always_inline int stream_is_reopened(const struct weir_stream *s, const struct packet *p)
{
	return stream_has_ended(s) && p->key.proto == IPPROTO_TCP && stream_is_bare_syn(p);
}

static __always_inline int stream_is_tcp_rst(const struct packet *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & TCP_FLAG_RST);
}

static __always_inline int stream_is_tcp_fin(const struct packet *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & TCP_FLAG_FIN);
}

static __always_inline int stream_is_counted(const struct weir_stream *s)
{
	return s->state == WEIR_STATE_ACTIVE || s->state == WEIR_STATE_PROVISIONAL;
}

/*
 * The epoch a new stream is counted in. A TCP stream admitted on its SYN
 * is provisional: it goes in an epoch old enough to be released when its
 * handshake timeout passes, unless the client's ACK moves it to the
 * current one first. So spoofed SYNs hold a place for seconds, not for the
 * idle timeout.
 */
static __always_inline __u32 stream_first_epoch(const struct weir_service *svc,
						const struct packet *p, __u64 now)
{
	__u32 e = weir_epoch_of(now), wait = svc->handshake_epochs;

	if (p->key.proto != IPPROTO_TCP)
		return e;
	if (wait > svc->pause_epochs)
		wait = svc->pause_epochs;
	return e - svc->pause_epochs + wait;
}

/* The stream's hash, computed once: maglev steers by it and every
 * IP-in-IP outer header carries it. The entry keeps it. */
static __always_inline __u32 stream_hash(struct packet *p)
{
	if (!p->hash)
		p->hash = weir_hash_stream(&p->key);
	return p->hash;
}

/* Records a new stream, counted in epoch, its bucket full. */
static __always_inline int stream_open(const struct packet *p, __u32 class_id, __u32 backend_id,
				       __u32 epoch, __u16 grant, __u64 now)
{
	struct weir_class *cls = bpf_map_lookup_elem(&weir_classes, &class_id);
	struct weir_stream s = {
		.backend_id = backend_id,
		.service_id = p->service_id,
		.class_id = class_id,
		.state = p->key.proto == IPPROTO_TCP ? WEIR_STATE_PROVISIONAL : WEIR_STATE_ACTIVE,
		.grant = grant,
		.epoch = epoch,
		.first_seen_ns = now,
		.last_seen_ns = now,
		.packets = 1,
		.bytes = p->ip_len,
		.hash = p->hash,
	};

	if (cls)
		s.tokens = cls->depth;
	if (bpf_map_update_elem(&weir_streams, &p->key, &s, BPF_ANY))
		return -WEIR_DROP_STREAM_TABLE;
	return 0;
}

/* Counts a stream into an epoch slot; a slot the controller never
 * released (it was away a whole turn of the ring) is released here. */
static __always_inline int stream_enter(const struct admit_ctx *a, __u32 epoch)
{
	__u32 stale;

	if (!weir_slot_enter(a->cc, epoch, &stale))
		return -WEIR_DROP_CONTENDED;
	if (stale)
		admit_release(a, stale);
	return 0;
}

/* A counted stream stops counting. Returns 1 when it still was (and gave
 * its place back, settling a pending preemption if one waits), 0 when its
 * slot had been released (it was paused already). */
static __always_inline int stream_uncount(const struct weir_stream *s, const struct admit_ctx *a)
{
	if (weir_slot_leave(a->cc, s->epoch) <= 0)
		return 0;
	weir_take_preemption(a->sc, a->cc, a->cls->min_bps);
	admit_uncount(a, 1);
	return 1;
}

/* The stream ended (FIN, RST, its backend gone): its place and its
 * backend's are given back. */
static __always_inline void stream_end(struct weir_stream *s, const struct admit_ctx *a)
{
	if (!stream_is_counted(s) || !stream_uncount(s, a))
		__sync_fetch_and_sub(&a->cc->paused, 1);
	steer_give_back(s->backend_id);
	s->state = WEIR_STATE_CLOSING;
}

/* A paused (or refused) stream sends again: it is admitted as a new one
 * would be, on its old backend. 1 resumed, or the reason it may not. */
static __always_inline int stream_resume(const struct weir_service *svc, struct weir_stream *s,
					 const struct admit_ctx *a, __u64 now)
{
	__u32 e = weir_epoch_of(now);
	int ret = admit_new(svc, a);

	if (!ret) {
		ret = stream_enter(a, e);
		if (ret)
			admit_uncount(a, 1);
	}
	if (ret) {
		s->state = WEIR_STATE_REFUSED;
		return ret;
	}
	__sync_fetch_and_sub(&a->cc->paused, 1);
	s->state = WEIR_STATE_ACTIVE;
	s->epoch = e;
	return 1;
}

/* A counted stream sends in a new epoch (or its handshake is confirmed):
 * it moves to the current slot, or learns that its slot was released
 * (it is paused). */
static __always_inline void stream_move(struct weir_stream *s, const struct admit_ctx *a, __u64 now)
{
	__u32 e = weir_epoch_of(now);
	int was = weir_slot_leave(a->cc, s->epoch);

	if (was < 0)
		return; /* contended: it stays where it is, and tries again */
	if (was == 0) {
		s->state = WEIR_STATE_PAUSED;
		return;
	}
	if (stream_enter(a, e)) {
		/* no slot: it gives its place back rather than count nowhere */
		admit_release(a, 1);
		s->state = WEIR_STATE_PAUSED;
		return;
	}
	s->epoch = e;
}

/* A preemption waits on the class: this counted stream is the one. */
static __always_inline int stream_preempted(struct weir_stream *s, const struct admit_ctx *a)
{
	__u32 stale;

	if (!weir_read(&a->cc->preempt_pending))
		return 0;
	if (weir_slot_leave(a->cc, s->epoch) != 1)
		return 0;
	if (!weir_take_preemption(a->sc, a->cc, a->cls->min_bps)) {
		/* another stream took it first: this one counts on */
		if (!weir_slot_enter(a->cc, s->epoch, &stale))
			admit_release(a, 1);
		return 0;
	}
	admit_uncount(a, 1);
	steer_give_back(s->backend_id);
	s->state = WEIR_STATE_PREEMPTED;
	return 1;
}

/*
 * The accounting of a packet of a stream with a place (or that had one):
 * epoch moves, the handshake's confirmation, resumption, preemption and
 * the end. Returns 0 to forward, 1 when it ended the stream, or a negative
 * reason to refuse the packet. A global function, verified once.
 */
__noinline int weir_account(const struct weir_service *svc, struct weir_stream *s,
			    const struct packet *p, __u64 now)
{
	struct admit_ctx a;
	int ends, ret;

	if (!svc || !s || !p || admit_lookup(svc->id, s->class_id, &a))
		return -WEIR_DROP_NO_STREAM; /* its class went with its service */
	ends = stream_is_tcp_fin(p) || stream_is_tcp_rst(p);
	if (stream_is_counted(s) && (svc->flags & WEIR_SERVICE_PREEMPT) && !ends &&
	    stream_preempted(s, &a)) {
		stats_class_preempted(a.class_id);
		return -WEIR_DROP_PREEMPTED;
	}
	if (ends) {
		stream_end(s, &a);
		return 1;
	}
	if (s->state == WEIR_STATE_PROVISIONAL && (p->tcp_flags & TCP_FLAG_ACK)) {
		s->state = WEIR_STATE_ACTIVE;
		stream_move(s, &a, now);
	} else if (s->state == WEIR_STATE_ACTIVE && s->epoch != weir_epoch_of(now)) {
		stream_move(s, &a, now);
	}
	if (stream_is_counted(s))
		return 0;
	ret = stream_resume(svc, s, &a, now);
	if (ret > 0)
		stats_class_resumed(a.class_id);
	return ret < 0 ? ret : 0;
}

/* A new stream with its place and backend is counted in epoch. */
__noinline int weir_enter(__u32 service_id, __u32 class_id, __u32 epoch)
{
	struct admit_ctx a;

	if (admit_lookup(service_id, class_id, &a))
		return -WEIR_DROP_NO_BACKEND;
	return stream_enter(&a, epoch);
}

/* A new stream's slot, taken back: its entry could not be written. */
__noinline int weir_leave(__u32 class_id, __u32 epoch)
{
	struct weir_class_counts *cc = bpf_map_lookup_elem(&weir_class_counts, &class_id);

	return cc ? weir_slot_leave(cc, epoch) : 0;
}

/* A new stream could not go on after all: its place is given back, or its
 * grant waits for the client's next try. */
__noinline int weir_unadmit(__u32 service_id, __u32 class_id, __u32 grant)
{
	__u32 slot = grant - 1;
	struct admit_ctx a;
	struct weir_grant *g;

	if (grant) {
		g = bpf_map_lookup_elem(&weir_grants, &slot);
		if (g)
			__sync_val_compare_and_swap(&g->state, WEIR_GRANT_BOUND,
						    WEIR_GRANT_GRANTED);
		return 0;
	}
	if (!admit_lookup(service_id, class_id, &a))
		admit_uncount(&a, 1);
	return 0;
}

/* An entry whose backend is gone ends here, giving its place back, before
 * a SYN re-steers the 5-tuple or a RST takes the entry away. */
__noinline int weir_forget(const struct weir_service *svc, struct weir_stream *s)
{
	struct admit_ctx a;

	if (!svc || !s || stream_has_ended(s) || s->service_id != svc->id ||
	    admit_lookup(svc->id, s->class_id, &a))
		return 0;
	stream_end(s, &a);
	return 0;
}

/* Counts a forwarded packet on its stream, and keeps a hash forwarding
 * computed (an entry an older build opened has none). */
static __always_inline void stream_count(struct weir_stream *s, const struct packet *p, __u64 now)
{
	s->last_seen_ns = now;
	s->packets += 1;
	s->bytes += p->ip_len;
	s->hash = p->hash;
}

#endif
