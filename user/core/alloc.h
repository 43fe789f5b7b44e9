/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rate allocation and admission for a service's stream classes: the rate
 * each running stream may use, and the per-priority limits the data plane
 * checks before admitting a new stream. Follows the Stanza stream balancer:
 * running streams are served first, then new streams highest priority first;
 * capacity left over is shared in proportion to min; a stream whose min
 * cannot be met gets zero. Adds what Stanza lists as missing: exact
 * water-filling, priority-weighted shares, preemption and best-effort burst.
 *
 * Works on classes (counts), never on single streams: a recompute costs
 * O(classes log classes) whatever the number of streams. Pure: no I/O, no
 * allocation, no globals; scratch space comes from the caller.
 */
#ifndef WEIR_ALLOC_H
#define WEIR_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/abi.h"

#define ALLOC_PRIORITIES 8
/* The data plane's limits are indexed by the same priorities. */
_Static_assert(ALLOC_PRIORITIES == WEIR_PRIORITIES, "alloc: priorities");
#define ALLOC_PRIORITY_MAX (ALLOC_PRIORITIES - 1) /* 7 is the highest */
#define ALLOC_UNLIMITED UINT64_MAX /* a rate with no limit: no policing */

/* Inputs above these are refused with -EINVAL: within them every product
 * fits the 128-bit intermediates, so every result is exact. */
#define ALLOC_RATE_MAX (1ULL << 50) /* bit/s (about 1.1 Pbit/s) */
#define ALLOC_COUNT_MAX (1ULL << 32) /* streams, per class and in total */

/* alloc_admit() verdicts besides 0 (admitted). */
#define ALLOC_REFUSE_CAPACITY 1 /* the stream count is full */
#define ALLOC_REFUSE_MIN_UNMET 2 /* the stream's min does not fit in the rate left */

enum alloc_share {
	ALLOC_SHARE_MIN = 0, /* leftover shared in proportion to min */
	ALLOC_SHARE_PRIORITY = 1, /* ... to min * (priority + 1) */
};

struct alloc_service {
	uint64_t capacity_streams; /* concurrent streams; 0: no limit */
	uint64_t capacity_rate; /* bit/s, at most ALLOC_RATE_MAX; 0: no rate capacity */
	uint8_t share; /* enum alloc_share */
	bool burst; /* streams at their max may use idle capacity above it */
	/* Trunk reservation, 0-1000: the room kept back from priority p for
	 * the priorities above it is capacity * reserve_permille / 1000 times
	 * (pmax - p) / 7, pmax the highest priority among the classes. */
	uint32_t reserve_permille;
};

struct alloc_class {
	/* Inputs. Every stream of a class has the same min, max and priority. */
	uint64_t min; /* bit/s each stream needs to be worth admitting */
	uint64_t max; /* bit/s each stream can use; 0: unlimited; else min <= max */
	uint8_t priority; /* 0-7, 7 highest */
	uint64_t running; /* admitted streams, counted now */
	uint64_t paused; /* streams whose share was released: they count for nothing */
	uint64_t asking; /* new streams of this class refused in the last interval */
	uint64_t used; /* measured bit/s per running stream over the last interval */
	/* Outputs of alloc_compute(). */
	uint64_t rate; /* bit/s each running stream may use now, burst included;
			* ALLOC_UNLIMITED: no policing; 0 when running is 0 */
	uint64_t burst; /* the part of rate above the base allocation (rule 6) */
};

struct alloc_limits {
	/* A new stream of priority p is admitted while
	 *   streams_now + 1 <= streams[p]   (UINT64_MAX when capacity_streams is 0)
	 *   committed_min + its min <= rate[p]   (UINT64_MAX when capacity_rate is 0)
	 * streams_now and committed_min count running streams only. */
	uint64_t streams[ALLOC_PRIORITIES];
	uint64_t rate[ALLOC_PRIORITIES];
};

/*
 * Fill in every class's rate and burst and the admission limits. scratch
 * holds n entries (the classes are sorted through it, not moved). Classes
 * with no running stream get rate 0. Returns 0, or -EINVAL for a NULL
 * argument or an input out of range (see the fields); nothing is written then.
 */
int alloc_compute(const struct alloc_service *svc, struct alloc_class *classes, size_t n,
		  size_t *scratch, struct alloc_limits *out);

/* The admission limits alone (alloc_compute() fills them too). */
int alloc_compute_limits(const struct alloc_service *svc, const struct alloc_class *classes,
			 size_t n, struct alloc_limits *out);

/* Running streams and the sum of their mins, saturating at UINT64_MAX: the
 * streams_now and committed_min of alloc_admit(). */
void alloc_committed(const struct alloc_class *classes, size_t n, uint64_t *streams_now,
		     uint64_t *committed_min);

/*
 * The admission rule the data plane applies, mirrored so that tests and the
 * controller's `stream request` use the same rule: 0 admitted, or
 * ALLOC_REFUSE_CAPACITY (stream count; checked first) or
 * ALLOC_REFUSE_MIN_UNMET (rate); -EINVAL for a NULL l or a priority above 7.
 */
int alloc_admit(const struct alloc_limits *l, uint64_t streams_now, uint64_t committed_min,
		uint64_t min, uint8_t priority);

/*
 * Stanza's order for a batch of new streams: the asking streams of every
 * class, highest priority first (ties: lower class index first), each
 * admitted as alloc_admit() would with the streams admitted before it
 * counted. Writes the number admitted per class to admitted[] (n entries);
 * scratch holds n entries. Returns 0 or -EINVAL.
 */
int alloc_admit_asking(const struct alloc_class *classes, size_t n, const struct alloc_limits *l,
		       size_t *scratch, uint64_t *admitted);

/*
 * What one more stream of (min, max, priority) would be granted now: the
 * limits of the current classes must admit it (alloc_admit()), then the
 * allocation is computed with it added as a class of its own with one
 * running stream and nothing used. classes is not changed; work (n + 1
 * entries) receives that allocation, the new stream last; scratch holds
 * n + 1 entries. Returns the new stream's rate, ALLOC_UNLIMITED without a
 * rate capacity and max 0, or 0. *reason is 0 (admitted; a min-0 stream can
 * be admitted with rate 0), ALLOC_REFUSE_CAPACITY, ALLOC_REFUSE_MIN_UNMET,
 * or -EINVAL.
 */
uint64_t alloc_grant(const struct alloc_service *svc, const struct alloc_class *classes, size_t n,
		     uint64_t min, uint64_t max, uint8_t priority, struct alloc_class *work,
		     size_t *scratch, int *reason);

/*
 * Preemption candidates: indexes of the classes with running streams and a
 * priority below below_priority, lowest priority first, then larger min
 * first (it frees more), then lower index; at most max of them, written to
 * out. Returns how many were written. O(n log max), no scratch.
 */
size_t alloc_victims(const struct alloc_class *classes, size_t n, uint8_t below_priority,
		     uint32_t *out, size_t max);

/*
 * How many streams of which victims (class indexes, in the order given,
 * normally from alloc_victims()) must be preempted so that a new stream of (min,
 * priority) passes alloc_admit() against l. Takes from each victim in turn
 * only the streams that still help (one per missing stream slot, or enough
 * mins to cover the missing rate), no more than it runs, and stops as soon
 * as both conditions hold; victims of the new stream's priority or above are
 * skipped. Writes the count per victim to take[] (n_victims entries).
 * Returns 0 (all zero when it is admitted already), -ENOSPC when even every
 * victim would not make room (take[] all zero), -EINVAL for bad arguments
 * or a victim index not below n.
 */
int alloc_preempt(const struct alloc_limits *l, uint64_t streams_now, uint64_t committed_min,
		  uint64_t min, uint8_t priority, const struct alloc_class *classes, size_t n,
		  const uint32_t *victims, size_t n_victims, uint64_t *take);

#endif
