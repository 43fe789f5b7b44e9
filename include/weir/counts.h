/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The shared counts admission depends on (weir_class_counts,
 * weir_service_counts, weir_backend_counts), changed by the data plane and
 * by the controller through the same functions: BPF atomics on one side,
 * the same __sync builtins on memory-mapped maps on the other. Every change
 * is one atomic operation or a bounded compare-and-swap loop, so the counts
 * stay exact across CPUs and across the two sides.
 */
#ifndef WEIR_COUNTS_H
#define WEIR_COUNTS_H

#include "weir/abi.h"

#ifdef __bpf__
#define WEIR_INLINE static __always_inline
#else
#define WEIR_INLINE static inline
#endif

#define WEIR_CAS_TRIES 16

#define WEIR_SLOT(tag, count) (((__u64)(tag) << 32) | (__u32)(count))
#define WEIR_SLOT_TAG(v) ((__u32)((v) >> 32))
#define WEIR_SLOT_COUNT(v) ((__u32)(v))

WEIR_INLINE __u64 weir_read(const __u64 *p)
{
	return *(const volatile __u64 *)p;
}

WEIR_INLINE __u32 weir_epoch_of(__u64 ns)
{
	return (__u32)(ns >> WEIR_EPOCH_SHIFT) & ~WEIR_SLOT_RELEASED;
}

WEIR_INLINE __u64 *weir_slot(struct weir_class_counts *cc, __u32 epoch)
{
	return &cc->epochs[epoch & (WEIR_EPOCH_SLOTS - 1)];
}

/*
 * Counts one stream into epoch e of its class. A slot still holding an
 * older epoch that nobody released (the controller was away for a whole
 * turn of the ring) is taken over: its count is written to *stale, for the
 * caller to release. Returns 1, or 0 when the slot stayed contended.
 */
WEIR_INLINE int weir_slot_enter(struct weir_class_counts *cc, __u32 e, __u32 *stale)
{
	__u64 *slot = weir_slot(cc, e);
	int i;

	*stale = 0;
	for (i = 0; i < WEIR_CAS_TRIES; i++) {
		__u64 old = weir_read(slot), new;
		__u32 tag = WEIR_SLOT_TAG(old);

		new = tag == e ? old + 1 : WEIR_SLOT(e, 1);
		if (__sync_val_compare_and_swap(slot, old, new) != old)
			continue;
		if (tag != e && !(tag & WEIR_SLOT_RELEASED))
			*stale = WEIR_SLOT_COUNT(old);
		return 1;
	}
	return 0;
}

/*
 * Takes one stream out of epoch e. Returns 1 when it was still counted
 * there, 0 when the slot was released meanwhile (the stream was paused: its
 * share is already given back), -1 when the slot stayed contended.
 */
WEIR_INLINE int weir_slot_leave(struct weir_class_counts *cc, __u32 e)
{
	__u64 *slot = weir_slot(cc, e);
	int i;

	for (i = 0; i < WEIR_CAS_TRIES; i++) {
		__u64 old = weir_read(slot);

		if (WEIR_SLOT_TAG(old) != e || !WEIR_SLOT_COUNT(old))
			return 0;
		if (__sync_val_compare_and_swap(slot, old, old - 1) == old)
			return 1;
	}
	return -1;
}

/* Marks epoch e released; returns how many streams it held. */
WEIR_INLINE __u32 weir_slot_release(struct weir_class_counts *cc, __u32 e)
{
	__u64 *slot = weir_slot(cc, e);
	int i;

	for (i = 0; i < WEIR_CAS_TRIES; i++) {
		__u64 old = weir_read(slot);

		if (WEIR_SLOT_TAG(old) != e)
			return 0;
		if (__sync_val_compare_and_swap(slot, old, WEIR_SLOT(e | WEIR_SLOT_RELEASED, 0)) ==
		    old)
			return WEIR_SLOT_COUNT(old);
	}
	return 0;
}

/* n streams of a class (min each) start counting. */
WEIR_INLINE void weir_count(struct weir_service_counts *sc, struct weir_class_counts *cc, __u64 min,
			    __u64 n)
{
	__sync_fetch_and_add(&cc->active, n);
	__sync_fetch_and_add(&sc->streams, n);
	__sync_fetch_and_add(&sc->committed_bps, n * min);
}

/* n streams stop counting (ended, or released). */
WEIR_INLINE void weir_uncount(struct weir_service_counts *sc, struct weir_class_counts *cc,
			      __u64 min, __u64 n)
{
	__sync_fetch_and_sub(&cc->active, n);
	__sync_fetch_and_sub(&sc->streams, n);
	__sync_fetch_and_sub(&sc->committed_bps, n * min);
}

/* n streams idle past pause-after: their share is released, they stay. */
WEIR_INLINE void weir_release(struct weir_service_counts *sc, struct weir_class_counts *cc,
			      __u64 min, __u64 n)
{
	weir_uncount(sc, cc, min, n);
	__sync_fetch_and_add(&cc->paused, n);
}

/*
 * A counted stream of the class is ending or sending: if a preemption
 * waits for one, this one is it. Returns 1 when it took the preemption
 * (the service's promise is settled; the caller uncounts the stream).
 */
WEIR_INLINE int weir_take_preemption(struct weir_service_counts *sc, struct weir_class_counts *cc,
				     __u64 min)
{
	int i;

	for (i = 0; i < WEIR_CAS_TRIES; i++) {
		__u64 old = weir_read(&cc->preempt_pending);

		if (!old)
			return 0;
		if (__sync_val_compare_and_swap(&cc->preempt_pending, old, old - 1) != old)
			continue;
		__sync_fetch_and_sub(&sc->preempt_streams, 1);
		__sync_fetch_and_sub(&sc->preempt_bps, min);
		return 1;
	}
	return 0;
}

#endif /* WEIR_COUNTS_H */
