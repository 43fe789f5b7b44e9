// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * weir's XDP balancer. The entry point only dispatches and counts: helpers
 * return a verdict or a negative WEIR_DROP_* reason, and weir_xdp() turns a
 * reason into XDP_PASS or XDP_DROP (or, for a refused stream, the
 * service's refuse action) and a count in weir_stats.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "weir/abi.h"
#include "weir/counts.h"
#include "weir/hash.h"
#include "weir/pie.h"

#include "lib/maps.h"
#include "lib/eth.h"
#include "lib/csum.h"
#include "lib/clock.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/steer.h"
#include "lib/admit.h"
#include "lib/classify.h"
#include "lib/police.h"
#include "lib/stream.h"
#include "lib/reply.h"
#include "lib/encap.h"
#include "lib/fwd.h"

static __always_inline struct weir_service *service_lookup(const struct packet *p)
{
	struct weir_service_key key = {
		.port = p->key.dport,
		.proto = p->key.proto,
		.family = p->key.family,
	};

	__builtin_memcpy(key.addr, p->key.dst, sizeof(key.addr));
	return bpf_map_lookup_elem(&weir_services, &key);
}

static __always_inline int balance_new(struct xdp_md *ctx, struct packet *p,
				       const struct weir_service *svc, __u64 now)
{
	__u32 picked = weir_classify(svc, p, now), backend_id, epoch;
	__u32 class_id = picked & 0xffff, grant = picked >> 16;
	struct weir_backend *be = NULL;
	int ret;

	p->class_id = class_id;
	if (svc->flags & WEIR_SERVICE_PAUSED)
		return -WEIR_DROP_SERVICE_PAUSED;
	/* a grant's place was taken when it was granted */
	ret = grant ? 0 : weir_admit(svc, class_id);
	if (ret)
		return ret;
	ret = steer_pick(svc, svc->steering == WEIR_STEER_MAGLEV ? stream_hash(p) : 0, &backend_id,
			 &be);
	if (ret)
		goto unadmit;
	if (be->flags & WEIR_BACKEND_IPIP)
		stream_hash(p); /* for every packet's outer header: into the entry */
	epoch = stream_first_epoch(svc, p, now);
	ret = weir_enter(svc->id, class_id, epoch);
	if (ret)
		goto unsteer;
	ret = stream_open(p, class_id, backend_id, epoch, grant, now);
	if (ret)
		goto unenter;
	ret = fwd(ctx, p, be);
	stats_count_opened(svc->id, backend_id, class_id, p->len, p->ip_len, ret == XDP_TX);
	return ret;
unenter:
	weir_leave(class_id, epoch);
unsteer:
	steer_give_back(backend_id);
unadmit:
	weir_unadmit(svc->id, class_id, grant);
	return ret;
}

/* An ICMP error about a stream goes where the stream goes: under DSR the
 * backend sent the datagram it quotes, and only the backend can act on
 * it (path MTU discovery). It changes nothing of the stream. */
static __always_inline int balance_icmp_error(struct xdp_md *ctx, struct packet *p,
					      const struct weir_service *svc)
{
	struct weir_stream *s = stream_lookup(p);
	struct weir_counters *counters;
	struct weir_backend *be;

	be = s ? steer_backend(s->backend_id, svc->id) : NULL;
	if (!be)
		return -WEIR_DROP_ICMP_NO_STREAM;
	p->hash = s->hash;
	counters = stats_service(svc->id);
	if (counters)
		counters->icmp_forwarded += 1;
	return fwd(ctx, p, be);
}

/* --fallback pass: with no usable backend, new streams go to the local
 * stack; so does any TCP segment of no stream, since the connections the
 * local stack took keep sending after backends return (and it answers
 * the ones it does not know with a RST). */
static __always_inline int fallback_passes(const struct weir_service *svc, const struct packet *p)
{
	if (!(svc->flags & WEIR_SERVICE_FALLBACK_PASS))
		return 0;
	return svc->slot_count == 0 || (p->key.proto == IPPROTO_TCP && !stream_is_bare_syn(p));
}

/* Maglev: a segment of a TCP stream this host has not seen (ECMP moved
 * it here, or this host restarted) goes where every host sends it, its
 * hash's backend; it opens no entry and takes no place, so spoofed
 * segments cannot fill the table or the capacity. */
static __always_inline int balance_stateless(struct xdp_md *ctx, struct packet *p,
					     const struct weir_service *svc)
{
	struct weir_backend *be;
	__u32 backend_id;
	int ret;

	if (!svc->slot_count || steer_maglev(svc, stream_hash(p), 0, &backend_id))
		return -WEIR_DROP_NO_STREAM;
	be = steer_backend(backend_id, svc->id);
	if (!be)
		return -WEIR_DROP_NO_STREAM;
	ret = fwd(ctx, p, be);
	if (ret == XDP_TX)
		stats_count_forward(svc->id, backend_id, p->len, 0);
	return ret;
}

/* Only a SYN opens a TCP stream: any other segment of no stream would
 * otherwise take a table entry and a backend (spoofed ACKs could flush
 * the table and re-steer live streams). */
static __always_inline int balance_miss(struct xdp_md *ctx, struct packet *p,
					const struct weir_service *svc, struct weir_stream *s,
					__u64 now)
{
	if (s)
		weir_forget(svc, s);
	if (fallback_passes(svc, p))
		return -WEIR_DROP_FALLBACK;
	if (p->key.proto == IPPROTO_TCP && !stream_is_bare_syn(p) &&
	    svc->steering == WEIR_STEER_MAGLEV && !s)
		return balance_stateless(ctx, p, svc);
	if (p->key.proto == IPPROTO_TCP) {
		/* A RST of a stream we no longer steer (never seen, or its
		 * backend was deleted) would reach a backend that does not
		 * know the connection: it opens nothing. */
		if (p->tcp_flags & TCP_FLAG_RST)
			return -WEIR_DROP_STRAY_RST;
		if (!stream_is_bare_syn(p))
			return -WEIR_DROP_NO_STREAM;
	}
	return balance_new(ctx, p, svc, now);
}

/* The packet's bucket: its class's rate. */
static __always_inline int balance_police(struct weir_stream *s, const struct weir_class *cls,
					  const struct packet *p, __u64 now)
{
	if (!cls || !police(s, cls, p->ip_len, now))
		return 0;
	s->policed += 1;
	stats_class_policed(s->class_id, p->ip_len);
	return -WEIR_DROP_POLICED;
}

/* A preemption waiting on the stream's class must see its next packet;
 * only classes of services that preempt are ever looked at. */
static __always_inline int class_preempt_waits(const struct weir_class *cls, __u32 class_id)
{
	struct weir_class_counts *cc;

	if (!(cls->flags & WEIR_CLASS_PREEMPTABLE))
		return 0;
	cc = bpf_map_lookup_elem(&weir_class_counts, &class_id);
	return !cc || weir_read(&cc->preempt_pending);
}

/* Forwards a packet of a stream with nothing to account: policed by its
 * class (if given), counted. */
static __always_inline int balance_forward(struct xdp_md *ctx, struct packet *p,
					   struct weir_stream *s, const struct weir_class *cls,
					   const struct weir_backend *be, __u64 now, int ended)
{
	int ret;

	/* the last segment of a stream is never policed away */
	if (!ended && balance_police(s, cls, p, now))
		return -WEIR_DROP_POLICED;
	p->hash = s->hash;
	ret = fwd(ctx, p, be);
	if (ret != XDP_TX)
		return ret; /* too big to encapsulate: not forwarded, not counted */
	stream_count(s, p, now);
	stats_count_forward(s->service_id, s->backend_id, p->len, ended);
	stats_class_packet(stats_class(s->class_id), p->ip_len);
	return ret;
}

/* An ended stream (closing, preempted) follows its backend for the last
 * ACKs, unpoliced, or is refused. */
static __always_inline int balance_ended(struct xdp_md *ctx, struct packet *p,
					 struct weir_stream *s, const struct weir_backend *be,
					 __u64 now)
{
	if (s->state == WEIR_STATE_PREEMPTED) {
		/* refused like every packet of the stream, a RST too (never
		 * answered, so no reply either) */
		p->class_id = s->class_id;
		return -WEIR_DROP_PREEMPTED;
	}
	return balance_forward(ctx, p, s, NULL, be, now, 0);
}

/*
 * Most packets belong to an active stream in the epoch it is counted in,
 * neither ending nor awaited by a preemption: nothing to account, no
 * service lookup (the stream names its service), one hash lookup in all.
 * Anything else goes the long way (BALANCE_SLOW).
 */
#define BALANCE_SLOW (-1000)

static __always_inline int balance_fast(struct xdp_md *ctx, struct packet *p, struct weir_stream *s,
					__u64 now)
{
	__u32 class_id = s->class_id;
	const struct weir_backend *be;
	const struct weir_class *cls;

	if (s->state != WEIR_STATE_ACTIVE || s->epoch != weir_epoch_of(now) ||
	    stream_is_tcp_fin(p) || stream_is_tcp_rst(p))
		return BALANCE_SLOW;
	cls = bpf_map_lookup_elem(&weir_classes, &class_id);
	if (!cls || class_preempt_waits(cls, class_id))
		return BALANCE_SLOW;
	be = steer_backend(s->backend_id, s->service_id);
	if (!be)
		return BALANCE_SLOW;
	p->class_id = class_id;
	p->service_id = s->service_id;
	return balance_forward(ctx, p, s, cls, be, now, 0);
}

static __always_inline int balance_known(struct xdp_md *ctx, struct packet *p,
					 const struct weir_service *svc, struct weir_stream *s,
					 const struct weir_backend *be, __u64 now)
{
	__u32 class_id;
	int ret = 0;

	if (stream_has_ended(s))
		return balance_ended(ctx, p, s, be, now);
	p->class_id = s->class_id;
	ret = weir_account(svc, s, p, now);
	if (ret < 0) {
		s->last_seen_ns = now;
		return ret;
	}
	class_id = s->class_id;
	return balance_forward(ctx, p, s, bpf_map_lookup_elem(&weir_classes, &class_id), be, now,
			       ret);
}

/* A port no service listens on: the packet is not ours (one array
 * lookup, before any hash lookup). */
static __always_inline int port_in_use(const struct packet *p)
{
	__u16 port = bpf_ntohs(p->key.dport);
	__u32 word = WEIR_PORT_WORD(p->key.proto == IPPROTO_UDP, port);
	__u32 *bits = bpf_map_lookup_elem(&weir_ports, &word);

	return bits && (*bits & WEIR_PORT_BIT(port));
}

static __always_inline int balance(struct xdp_md *ctx, struct packet *p)
{
	struct weir_backend *be = NULL;
	struct weir_service *svc;
	struct weir_stream *s = NULL;
	__u64 now = 0;
	int ret;

	if (!port_in_use(p))
		return -WEIR_DROP_NOT_SERVICE;
	if (!p->icmp_error) {
		now = clock_now();
		s = stream_lookup(p);
		if (s && (ret = balance_fast(ctx, p, s, now)) != BALANCE_SLOW)
			return ret;
	}
	svc = service_lookup(p);
	if (!svc)
		return -WEIR_DROP_NOT_SERVICE;
	p->service_id = svc->id;
	p->refuse = svc->refuse;
	p->refuse_interval_ns = svc->refuse_interval_ns;
	p->has_service = 1;
	if (p->icmp_error)
		return balance_icmp_error(ctx, p, svc);
	if (s && !stream_is_reopened(s, p))
		be = steer_backend(s->backend_id, svc->id);
	ret = be ? balance_known(ctx, p, svc, s, be, now) : balance_miss(ctx, p, svc, s, now);
	/* A RST takes its stream's entry away, whatever became of the packet
	 * (forwarded, refused, or its backend gone). */
	if (s && stream_is_tcp_rst(p))
		bpf_map_delete_elem(&weir_streams, &p->key);
	return ret;
}

/* A refused stream: counted on its service by reason, and answered when
 * the service says so. */
static __always_inline int refuse(struct xdp_md *ctx, struct packet *p, __u32 reason)
{
	int verdict = XDP_DROP;

	if (p->refuse == WEIR_REFUSE_RESET)
		verdict = weir_reply(ctx, p, clock_now());
	stats_count_refused(p, reason, verdict == XDP_TX);
	return verdict;
}

SEC("xdp")
int weir_xdp(struct xdp_md *ctx)
{
	struct packet p = {};
	int ret;

#ifdef WEIR_BPF_VARIANT
	/* another build, different in its instructions only: the upgrade
	 * test's "newer" program */
	volatile __u32 variant = WEIR_BPF_VARIANT;
	(void)variant;
#endif
	ret = parse_packet(ctx, &p);
	if (!ret)
		ret = balance(ctx, &p);
	if (ret >= 0)
		return ret;
	stats_count_reason(-ret);
	if (WEIR_DROP_IS_REFUSAL(-ret) && p.has_service)
		return refuse(ctx, &p, -ret);
	if (ret == -WEIR_DROP_TOO_BIG)
		return weir_reply_too_big(ctx, &p, clock_now());
	return WEIR_DROP_IS_DROP(-ret) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
