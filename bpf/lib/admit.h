/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Admission of a new (or resuming) stream, exact across CPUs: the
 * service's stream count and committed min are taken with atomics and
 * given back when over the limit for the stream's priority (capacity minus
 * the reserve kept for higher priorities), so a SYN burst can never
 * overfill. A cheap read comes first: a flood of refusals takes no atomic.
 */
#ifndef WEIR_BPF_ADMIT_H
#define WEIR_BPF_ADMIT_H

/* The counts a stream's admission and accounting touch. */
struct admit_ctx {
	const struct weir_class *cls;
	struct weir_class_counts *cc;
	struct weir_service_counts *sc;
	__u32 class_id;
};

static __always_inline int admit_lookup(__u32 service_id, __u32 class_id, struct admit_ctx *a)
{
	a->class_id = class_id;
	a->cls = bpf_map_lookup_elem(&weir_classes, &class_id);
	a->cc = bpf_map_lookup_elem(&weir_class_counts, &class_id);
	a->sc = bpf_map_lookup_elem(&weir_service_counts, &service_id);
	if (!a->cls || !a->cc || !a->sc || !(a->cls->flags & WEIR_CLASS_IN_USE) ||
	    a->cls->service_id != service_id)
		return -WEIR_DROP_NO_BACKEND; /* no class: the service is not set up */
	return 0;
}

/* n counted streams stop counting (ended, or their place given back).
 * Unlike the controller, the data plane counts every change of an active
 * count (counted_out) for the controller's reconciliation. */
static __always_inline void admit_uncount(const struct admit_ctx *a, __u64 n)
{
	weir_uncount(a->sc, a->cc, a->cls->min_bps, n);
	stats_class_counted(a->class_id, 0, n);
}

/* n counted streams are paused: their share is released, they stay. */
static __always_inline void admit_release(const struct admit_ctx *a, __u64 n)
{
	weir_release(a->sc, a->cc, a->cls->min_bps, n);
	stats_class_counted(a->class_id, 0, n);
}

/* Streams and committed rate as admission sees them: places promised to a
 * preemption are free already. */
static __always_inline int admit_fits(const struct weir_service *svc, const struct admit_ctx *a,
				      __u64 streams, __u64 committed)
{
	__u8 prio = a->cls->priority & (WEIR_PRIORITIES - 1);
	__u64 min = a->cls->min_bps;

	streams -= weir_read(&a->sc->preempt_streams);
	committed -= weir_read(&a->sc->preempt_bps);
	if (streams > svc->limit_streams[prio])
		return -WEIR_DROP_CAPACITY;
	if (min > svc->limit_rate[prio] || committed > svc->limit_rate[prio] - min)
		return -WEIR_DROP_MIN_UNMET;
	return 0;
}

/* Takes a place: the service's counts and the class's active count. */
static __always_inline int admit_take(const struct weir_service *svc, const struct admit_ctx *a)
{
	__u64 min = a->cls->min_bps, streams, committed;
	int ret;

	ret = admit_fits(svc, a, weir_read(&a->sc->streams) + 1, weir_read(&a->sc->committed_bps));
	if (ret)
		return ret;
	streams = __sync_fetch_and_add(&a->sc->streams, 1) + 1;
	committed = __sync_fetch_and_add(&a->sc->committed_bps, min);
	ret = admit_fits(svc, a, streams, committed);
	if (ret) {
		__sync_fetch_and_sub(&a->sc->streams, 1);
		__sync_fetch_and_sub(&a->sc->committed_bps, min);
		return ret;
	}
	__sync_fetch_and_add(&a->cc->active, 1);
	stats_class_counted(a->class_id, 1, 0);
	return 0;
}

/* One stream of a lower-priority class gives its place: it is promised
 * now (the new stream counts as admitted) and settled when that class's
 * next counted stream sends (weir_take_preemption). */
static __always_inline int admit_promise(const struct admit_ctx *a, __u16 victim)
{
	struct weir_class_counts *vc;
	struct weir_class *v;
	__u32 id = victim;

	v = bpf_map_lookup_elem(&weir_classes, &id);
	vc = bpf_map_lookup_elem(&weir_class_counts, &id);
	if (!v || !vc || v->service_id != a->cls->service_id || v->priority >= a->cls->priority)
		return 0;
	if (weir_read(&vc->active) <= weir_read(&vc->preempt_pending))
		return 0;
	__sync_fetch_and_add(&vc->preempt_pending, 1);
	__sync_fetch_and_add(&a->sc->preempt_streams, 1);
	__sync_fetch_and_add(&a->sc->preempt_bps, v->min_bps);
	return 1;
}

/* A promise the stream could not use after all is taken back, unless the
 * victim settled it meanwhile (then its place is simply free). */
static __always_inline void admit_unpromise(const struct admit_ctx *a, __u16 victim)
{
	struct weir_class_counts *vc;
	struct weir_class *v;
	__u32 id = victim;

	v = bpf_map_lookup_elem(&weir_classes, &id);
	vc = bpf_map_lookup_elem(&weir_class_counts, &id);
	if (v && vc)
		weir_take_preemption(a->sc, vc, v->min_bps);
}

/* --preempt: while the stream does not fit, promise places of the lowest
 * priority classes below it, one stream at a time, at most WEIR_VICTIMS;
 * if that is not enough, every promise is taken back. */
static __always_inline int admit_preempt(const struct weir_service *svc, const struct admit_ctx *a,
					 int refused)
{
	__u16 promised[WEIR_VICTIMS];
	int i, v = 0, n = 0;

	for (i = 0; i < 2 * WEIR_VICTIMS && refused && v < WEIR_VICTIMS; i++) {
		__u16 victim = svc->victims[v & (WEIR_VICTIMS - 1)];

		if (victim == WEIR_CLASS_NONE || n >= WEIR_VICTIMS)
			break;
		if (!admit_promise(a, victim)) {
			v++; /* that class has nothing left to give */
			continue;
		}
		promised[n++ & (WEIR_VICTIMS - 1)] = victim;
		refused = admit_take(svc, a);
	}
	for (i = 0; i < WEIR_VICTIMS && refused; i++)
		if (i < n)
			admit_unpromise(a, promised[i]);
	return refused;
}

static __always_inline int admit_new(const struct weir_service *svc, const struct admit_ctx *a)
{
	int ret = admit_take(svc, a);

	if (ret && (svc->flags & WEIR_SERVICE_PREEMPT))
		ret = admit_preempt(svc, a, ret);
	return ret;
}

/* PIE's early refusal of a new stream of this priority, spread evenly by
 * the per-CPU sum (struct weir_pie). Running and resuming streams never
 * come here. */
static __always_inline int admit_pie_refuses(__u32 service_id, __u8 priority)
{
	struct weir_admission *adm = bpf_map_lookup_elem(&weir_admission, &service_id);
	struct weir_pie *pie = bpf_map_lookup_elem(&weir_pie, &service_id);
	__u32 prob;

	if (!adm || !pie || *(volatile __u32 *)&adm->hold)
		return 0;
	prob = *(volatile __u32 *)&adm->refuse_prob[priority & (WEIR_PRIORITIES - 1)];
	return weir_pie_refuses(&pie->sum, prob, prob ? bpf_get_prandom_u32() : 0);
}

/* Capacity is decided before PIE (a full service says so, whatever p is),
 * on a plain read: the atomic take comes after PIE let the stream in. */
static __always_inline int admit_pie(const struct weir_service *svc, const struct admit_ctx *a)
{
	int ret;

	if (!(svc->flags & WEIR_SERVICE_PIE))
		return 0;
	ret = admit_fits(svc, a, weir_read(&a->sc->streams) + 1, weir_read(&a->sc->committed_bps));
	if (ret && !(svc->flags & WEIR_SERVICE_PREEMPT))
		return ret;
	return admit_pie_refuses(svc->id, a->cls->priority) ? -WEIR_DROP_PIE : 0;
}

/* A new stream of the class takes a place: 0, or the reason it may not. A
 * global function, verified once: its loops would otherwise multiply the
 * paths of every caller past the verifier's limit. */
__noinline int weir_admit(const struct weir_service *svc, __u32 class_id)
{
	struct admit_ctx a;
	int ret;

	if (!svc)
		return -WEIR_DROP_NO_BACKEND;
	ret = admit_lookup(svc->id, class_id, &a);
	if (!ret)
		ret = admit_pie(svc, &a);
	return ret ? ret : admit_new(svc, &a);
}

#endif
