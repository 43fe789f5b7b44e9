// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stream classes -> per-stream rates and per-priority admission limits.
 * The rates are an exact weighted water-fill over the capacity left after
 * every running stream's min; see NOTES.md for the formulas. */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"

/* A rate times a stream count passes 64 bits (10^12 bit/s times 10^7
 * streams); with the bounds in alloc.h every product stays below 2^110. */
__extension__ typedef unsigned __int128 u128;

/* Whether entry a sorts before entry b (a strict total order). */
typedef bool (*before_fn)(const void *ctx, size_t a, size_t b);

/* The share pass this water-fill is for: the weighted classes, or the min-0
 * classes that split what is left equally per stream. */
struct fill {
	const struct alloc_service *svc;
	struct alloc_class *classes;
	bool equal;
};

static u128 min128(u128 a, u128 b)
{
	return a < b ? a : b;
}

static uint64_t saturate64(u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static bool class_valid(const struct alloc_class *c)
{
	if (c->priority > ALLOC_PRIORITY_MAX)
		return false;
	if (c->min > ALLOC_RATE_MAX || c->max > ALLOC_RATE_MAX)
		return false;
	if (c->max && c->min > c->max)
		return false;
	return c->running <= ALLOC_COUNT_MAX && c->paused <= ALLOC_COUNT_MAX &&
	       c->asking <= ALLOC_COUNT_MAX;
}

/* The total bound is what keeps the equal-share pass's sums small. */
static bool classes_valid(const struct alloc_class *classes, size_t n)
{
	u128 running = 0;
	size_t i;

	if (n && !classes)
		return false;
	for (i = 0; i < n; i++) {
		if (!class_valid(&classes[i]))
			return false;
		running += classes[i].running;
	}
	return running <= ALLOC_COUNT_MAX;
}

static bool service_valid(const struct alloc_service *svc)
{
	return svc && svc->share <= ALLOC_SHARE_PRIORITY && svc->reserve_permille <= 1000 &&
	       svc->capacity_rate <= ALLOC_RATE_MAX;
}

/* Heap order: a parent never sorts before its children, so the root is the
 * entry that sorts last. */
static void sift_down(size_t *v, size_t root, size_t len, before_fn before, const void *ctx)
{
	for (;;) {
		size_t child = 2 * root + 1, t;

		if (child >= len)
			return;
		if (child + 1 < len && before(ctx, v[child], v[child + 1]))
			child++;
		if (!before(ctx, v[root], v[child]))
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

/* Heapsort: O(len log len) and no allocation, which qsort does not promise. */
static void sort_indexes(size_t *v, size_t len, before_fn before, const void *ctx)
{
	size_t i, t;

	if (len < 2)
		return;
	for (i = len / 2; i-- > 0;)
		sift_down(v, i, len, before, ctx);
	for (i = len - 1; i > 0; i--) {
		t = v[0];
		v[0] = v[i];
		v[i] = t;
		sift_down(v, 0, i, before, ctx);
	}
}

static u128 share_weight(const struct alloc_service *svc, const struct alloc_class *c)
{
	if (svc->share == ALLOC_SHARE_PRIORITY)
		return (u128)c->min * (c->priority + 1U);
	return c->min;
}

static u128 fill_weight(const struct fill *f, const struct alloc_class *c)
{
	return f->equal ? 1 : share_weight(f->svc, c);
}

/* Orders classes by the water level at which they reach their max,
 * (max - min) / w, compared as cross products; unlimited ones last. */
static bool caps_before(const void *ctx, size_t a, size_t b)
{
	const struct fill *f = ctx;
	const struct alloc_class *ca = &f->classes[a], *cb = &f->classes[b];
	u128 la, lb;

	if (!ca->max || !cb->max) {
		if (!ca->max != !cb->max)
			return !cb->max;
		return a < b;
	}
	la = (u128)(ca->max - ca->min) * fill_weight(f, cb);
	lb = (u128)(cb->max - cb->min) * fill_weight(f, ca);
	if (la != lb)
		return la < lb;
	return a < b;
}

/*
 * Share left among the classes idx[0..m) (all running, all of positive
 * weight): each stream gets min + lambda * w, capped at max, with lambda as
 * high as left allows. Walking the classes in the order they cap, class k
 * caps when the uncapped ones (total weight sum_w) fit at its breakpoint
 * lambda_k = h_k / w_k, i.e. h_k * sum_w <= left * w_k. The first one that
 * does not cap fixes lambda = left / sum_w for itself and every later one.
 * Returns what is left when every class capped, else 0: the rounding, under
 * one bit/s per stream, is not passed on.
 */
static u128 water_fill(const struct fill *f, size_t *idx, size_t m, u128 left)
{
	u128 sum_w = 0, w;
	size_t k;

	for (k = 0; k < m; k++)
		sum_w += f->classes[idx[k]].running * fill_weight(f, &f->classes[idx[k]]);
	sort_indexes(idx, m, caps_before, f);
	for (k = 0; k < m; k++) {
		struct alloc_class *c = &f->classes[idx[k]];
		u128 headroom;

		if (!c->max)
			break;
		headroom = c->max - c->min;
		w = fill_weight(f, c);
		if (headroom * sum_w > left * w)
			break;
		c->rate = c->max;
		left -= c->running * headroom;
		sum_w -= c->running * w;
	}
	if (k == m)
		return left;
	for (; k < m; k++) {
		struct alloc_class *c = &f->classes[idx[k]];

		c->rate = c->min + (uint64_t)(fill_weight(f, c) * left / sum_w);
	}
	return 0;
}

/* Indexes of the running classes whose min is (or is not) zero. */
static size_t pick_running(const struct alloc_class *classes, size_t n, bool min_zero, size_t *idx)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (classes[i].running && (classes[i].min == 0) == min_zero)
			idx[m++] = i;
	return m;
}

/* Weighted classes first; only what they cannot use (all at their max)
 * goes to the min-0 classes, equally per stream. */
static void share_left(const struct alloc_service *svc, struct alloc_class *classes, size_t n,
		       size_t *scratch, u128 left)
{
	struct fill f = { .svc = svc, .classes = classes, .equal = false };
	size_t m;

	m = pick_running(classes, n, false, scratch);
	left = water_fill(&f, scratch, m, left);
	f.equal = true;
	m = pick_running(classes, n, true, scratch);
	water_fill(&f, scratch, m, left);
}

static u128 committed_min(const struct alloc_class *classes, size_t n)
{
	u128 sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (u128)classes[i].running * classes[i].min;
	return sum;
}

/* No rate capacity: nothing to share, so nothing to police below max. */
static void give_max(struct alloc_class *classes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (classes[i].running)
			classes[i].rate = classes[i].max ? classes[i].max : ALLOC_UNLIMITED;
}

/* The operator lowered the capacity below the committed mins: everyone
 * shrinks by the same factor rather than some streams losing everything. */
static void scale_down(struct alloc_class *classes, size_t n, uint64_t capacity, u128 committed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (classes[i].running)
			classes[i].rate = (uint64_t)(classes[i].min * (u128)capacity / committed);
}

/* At its max and using nearly all of it: would use more if it could. */
static bool hungry(const struct alloc_class *c)
{
	return c->running && c->max && c->rate == c->max && (u128)c->used * 10 >= (u128)c->rate * 9;
}

/*
 * Idle is what the base allocations leave unused, counted with min(used,
 * rate) so that a burst in use does not make itself look idle (which would
 * make the next burst grow and the one after shrink). Shared by weight among
 * the hungry streams, or equally if none of them has a weight.
 */
static void give_burst(const struct alloc_service *svc, struct alloc_class *classes, size_t n)
{
	u128 busy = 0, idle, sum_w = 0, streams = 0, share;
	size_t i;

	for (i = 0; i < n; i++)
		busy += classes[i].running * min128(classes[i].used, classes[i].rate);
	idle = svc->capacity_rate > busy ? svc->capacity_rate - busy : 0;
	for (i = 0; i < n; i++) {
		if (!hungry(&classes[i]))
			continue;
		sum_w += classes[i].running * share_weight(svc, &classes[i]);
		streams += classes[i].running;
	}
	if (!idle || !streams)
		return;
	for (i = 0; i < n; i++) {
		struct alloc_class *c = &classes[i];

		if (!hungry(c))
			continue;
		share = sum_w ? share_weight(svc, c) * idle / sum_w : idle / streams;
		share = min128(share, svc->capacity_rate - c->rate);
		c->burst = (uint64_t)share;
		c->rate += c->burst;
	}
}

/*
 * Trunk reservation: what priority p may fill is the capacity less the room
 * kept back for the priorities above it, which grows with its distance from
 * the top priority in use. No capacity, no limit.
 */
static uint64_t limit_at(uint64_t capacity, uint32_t permille, unsigned int distance)
{
	if (!capacity)
		return UINT64_MAX;
	return capacity -
	       (uint64_t)((u128)capacity * permille * distance / (1000U * ALLOC_PRIORITY_MAX));
}

static uint8_t top_priority(const struct alloc_class *classes, size_t n)
{
	uint8_t top = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (classes[i].priority > top)
			top = classes[i].priority;
	return top;
}

static void fill_limits(const struct alloc_service *svc, const struct alloc_class *classes,
			size_t n, struct alloc_limits *out)
{
	uint8_t top = top_priority(classes, n);
	unsigned int p, distance;

	for (p = 0; p < ALLOC_PRIORITIES; p++) {
		distance = p < top ? top - p : 0;
		out->streams[p] = limit_at(svc->capacity_streams, svc->reserve_permille, distance);
		out->rate[p] = limit_at(svc->capacity_rate, svc->reserve_permille, distance);
	}
}

int alloc_compute_limits(const struct alloc_service *svc, const struct alloc_class *classes,
			 size_t n, struct alloc_limits *out)
{
	if (!out || !service_valid(svc) || !classes_valid(classes, n))
		return -EINVAL;
	fill_limits(svc, classes, n, out);
	return 0;
}

int alloc_compute(const struct alloc_service *svc, struct alloc_class *classes, size_t n,
		  size_t *scratch, struct alloc_limits *out)
{
	u128 committed;
	size_t i;

	if (!out || (n && !scratch) || !service_valid(svc) || !classes_valid(classes, n))
		return -EINVAL;
	fill_limits(svc, classes, n, out);
	for (i = 0; i < n; i++) {
		classes[i].rate = 0;
		classes[i].burst = 0;
	}
	if (!svc->capacity_rate) {
		give_max(classes, n);
		return 0;
	}
	committed = committed_min(classes, n);
	if (committed > svc->capacity_rate)
		scale_down(classes, n, svc->capacity_rate, committed);
	else
		share_left(svc, classes, n, scratch, svc->capacity_rate - committed);
	if (svc->burst)
		give_burst(svc, classes, n);
	return 0;
}

void alloc_committed(const struct alloc_class *classes, size_t n, uint64_t *streams_now,
		     uint64_t *committed)
{
	u128 streams = 0;
	size_t i;

	for (i = 0; classes && i < n; i++)
		streams += classes[i].running;
	if (streams_now)
		*streams_now = saturate64(streams);
	if (committed)
		*committed = saturate64(classes ? committed_min(classes, n) : 0);
}

int alloc_admit(const struct alloc_limits *l, uint64_t streams_now, uint64_t committed_min,
		uint64_t min, uint8_t priority)
{
	if (!l || priority > ALLOC_PRIORITY_MAX)
		return -EINVAL;
	if (streams_now >= l->streams[priority])
		return ALLOC_REFUSE_CAPACITY;
	/* committed_min + min <= rate[p], without the sum overflowing */
	if (min > l->rate[priority] || committed_min > l->rate[priority] - min)
		return ALLOC_REFUSE_MIN_UNMET;
	return 0;
}

/* Highest priority first; within one, class order. */
static bool asks_before(const void *ctx, size_t a, size_t b)
{
	const struct alloc_class *classes = ctx;

	if (classes[a].priority != classes[b].priority)
		return classes[a].priority > classes[b].priority;
	return a < b;
}

/* How many of count streams of (min, priority) alloc_admit() takes one
 * after the other: k of them fit while streams + k <= streams[p] and
 * committed + k * min <= rate[p]. */
static u128 fit_count(const struct alloc_limits *l, uint8_t priority, u128 streams, u128 committed,
		      uint64_t min, uint64_t count)
{
	u128 k = count;

	if (streams >= l->streams[priority] || committed > l->rate[priority])
		return 0;
	k = min128(k, l->streams[priority] - streams);
	if (min)
		k = min128(k, (l->rate[priority] - committed) / min);
	return k;
}

int alloc_admit_asking(const struct alloc_class *classes, size_t n, const struct alloc_limits *l,
		       size_t *scratch, uint64_t *admitted)
{
	u128 streams = 0, committed, got;
	size_t i, k;

	if (!l || (n && (!scratch || !admitted)) || !classes_valid(classes, n))
		return -EINVAL;
	committed = committed_min(classes, n);
	for (i = 0; i < n; i++) {
		streams += classes[i].running;
		scratch[i] = i;
		admitted[i] = 0;
	}
	sort_indexes(scratch, n, asks_before, classes);
	for (k = 0; k < n; k++) {
		const struct alloc_class *c = &classes[scratch[k]];

		got = fit_count(l, c->priority, streams, committed, c->min, c->asking);
		admitted[scratch[k]] = (uint64_t)got;
		streams += got;
		committed += got * c->min;
	}
	return 0;
}

uint64_t alloc_grant(const struct alloc_service *svc, const struct alloc_class *classes, size_t n,
		     uint64_t min, uint64_t max, uint8_t priority, struct alloc_class *work,
		     size_t *scratch, int *reason)
{
	struct alloc_class added = { .min = min, .max = max, .priority = priority, .running = 1 };
	struct alloc_limits limits;
	uint64_t streams_now, committed;
	int ret;

	if (!reason)
		return 0;
	*reason = -EINVAL;
	if (!work || !scratch || !class_valid(&added))
		return 0;
	ret = alloc_compute_limits(svc, classes, n, &limits);
	if (ret)
		return 0;
	alloc_committed(classes, n, &streams_now, &committed);
	*reason = alloc_admit(&limits, streams_now, committed, min, priority);
	if (*reason)
		return 0;
	if (n)
		memcpy(work, classes, n * sizeof(*work));
	work[n] = added;
	ret = alloc_compute(svc, work, n + 1, scratch, &limits);
	if (ret) {
		/* one stream more than ALLOC_COUNT_MAX */
		*reason = ret;
		return 0;
	}
	return work[n].rate;
}

static bool victim_before(const struct alloc_class *classes, uint32_t a, uint32_t b)
{
	if (classes[a].priority != classes[b].priority)
		return classes[a].priority < classes[b].priority;
	if (classes[a].min != classes[b].min)
		return classes[a].min > classes[b].min;
	return a < b;
}

static void swap32(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

/* Same heap order as sift_down(): the root is the worst victim kept. */
static void victim_sift_down(const struct alloc_class *classes, uint32_t *v, size_t root,
			     size_t len)
{
	for (;;) {
		size_t child = 2 * root + 1;

		if (child >= len)
			return;
		if (child + 1 < len && victim_before(classes, v[child], v[child + 1]))
			child++;
		if (!victim_before(classes, v[root], v[child]))
			return;
		swap32(&v[root], &v[child]);
		root = child;
	}
}

static void victim_sift_up(const struct alloc_class *classes, uint32_t *v, size_t node)
{
	while (node && victim_before(classes, v[(node - 1) / 2], v[node])) {
		swap32(&v[(node - 1) / 2], &v[node]);
		node = (node - 1) / 2;
	}
}

/* A bounded heap keeps the best max candidates seen so far, its root the
 * first to drop; sorting it at the end gives them in order. */
size_t alloc_victims(const struct alloc_class *classes, size_t n, uint8_t below_priority,
		     uint32_t *out, size_t max)
{
	size_t kept = 0, i;

	if (!classes || !out || !max)
		return 0;
	for (i = 0; i < n && i <= UINT32_MAX; i++) {
		if (!classes[i].running || classes[i].priority >= below_priority)
			continue;
		if (kept < max) {
			out[kept] = (uint32_t)i;
			victim_sift_up(classes, out, kept++);
		} else if (victim_before(classes, (uint32_t)i, out[0])) {
			out[0] = (uint32_t)i;
			victim_sift_down(classes, out, 0, kept);
		}
	}
	for (i = kept; i > 1; i--) {
		swap32(&out[0], &out[i - 1]);
		victim_sift_down(classes, out, 0, i - 1);
	}
	return kept;
}

/* Streams of v that still help: one per missing stream slot, or enough
 * mins to cover the missing rate, whichever is more; no more than it runs. */
static uint64_t streams_helping(const struct alloc_class *v, u128 need_streams, u128 need_rate)
{
	u128 k = need_streams, for_rate;

	if (v->min && need_rate) {
		for_rate = (need_rate + v->min - 1) / v->min;
		if (for_rate > k)
			k = for_rate;
	}
	return (uint64_t)min128(k, v->running);
}

int alloc_preempt(const struct alloc_limits *l, uint64_t streams_now, uint64_t committed_min,
		  uint64_t min, uint8_t priority, const struct alloc_class *classes, size_t n,
		  const uint32_t *victims, size_t n_victims, uint64_t *take)
{
	u128 need_streams = 0, need_rate = 0, k;
	size_t i;

	if (!l || priority > ALLOC_PRIORITY_MAX || (n_victims && (!classes || !victims || !take)))
		return -EINVAL;
	for (i = 0; i < n_victims; i++)
		if (victims[i] >= n)
			return -EINVAL;
	for (i = 0; i < n_victims; i++)
		take[i] = 0;
	if ((u128)streams_now + 1 > l->streams[priority])
		need_streams = (u128)streams_now + 1 - l->streams[priority];
	if ((u128)committed_min + min > l->rate[priority])
		need_rate = (u128)committed_min + min - l->rate[priority];
	for (i = 0; i < n_victims && (need_streams || need_rate); i++) {
		const struct alloc_class *v = &classes[victims[i]];

		if (v->priority >= priority)
			continue;
		take[i] = streams_helping(v, need_streams, need_rate);
		k = take[i];
		need_streams -= min128(need_streams, k);
		need_rate -= min128(need_rate, k * v->min);
	}
	if (!need_streams && !need_rate)
		return 0;
	for (i = 0; i < n_victims; i++)
		take[i] = 0;
	return -ENOSPC;
}
