// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Classes, allocation and pausing. A service's classes are the distinct
 * (min, max, priority) of its default, its rules and its grants. Every
 * update interval each service's classes are read (running and paused
 * counts from the shared counts, bytes from their counters), allocated
 * (user/core/alloc.c) and written back: a rate per class into weir_classes
 * and admission limits into the service's value. The cost is O(classes),
 * whatever the number of streams: no stream entry is ever touched. Once an
 * epoch, slots idle past pause-after are released, which pauses their
 * streams.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "weir/counts.h"
#include "core/alloc.h"
#include "core/array.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

#define NS_PER_SEC 1000000000ULL
#define FRAME_BYTES 1500 /* a full frame's IP bytes */
#define POLICE_MAX_BPS 100000000000ULL /* faster is not policed */

__extension__ typedef unsigned __int128 u128;

static struct weir_class_counts *counts_of(struct ctl *c, uint32_t id)
{
	return c->loader.mm.class_counts ? &c->loader.mm.class_counts[id] : NULL;
}

struct ctl_class *classes_find(struct ctl_service *svc, uint32_t id)
{
	size_t i;

	for (i = 0; i < svc->n_classes; i++)
		if (svc->classes[i].id == id)
			return &svc->classes[i];
	return NULL;
}

struct ctl_class *classes_find_tuple(struct ctl_service *svc, uint64_t min, uint64_t max,
				     uint8_t priority)
{
	size_t i;

	for (i = 0; i < svc->n_classes; i++) {
		struct ctl_class *cl = &svc->classes[i];

		if (cl->min_bps == min && cl->max_bps == max && cl->priority == priority)
			return cl;
	}
	return NULL;
}

/* A class of the old service stays while anything still names it or
 * counts in it. */
static bool class_alive(struct ctl *c, const struct ctl_class *cl)
{
	struct weir_class_counts *cc = counts_of(c, cl->id);

	return cl->grants || (cc && (weir_read(&cc->active) || weir_read(&cc->paused)));
}

/* The class of (min, max, priority): carried, or new (id to come). */
static struct ctl_class *class_need(struct ctl_service *ns, uint64_t min, uint64_t max,
				    uint8_t priority)
{
	struct ctl_class *cl = classes_find_tuple(ns, min, max, priority);

	if (!cl) {
		cl = &ns->classes[ns->n_classes++];
		memset(cl, 0, sizeof(*cl));
		cl->id = UINT32_MAX;
		cl->min_bps = min;
		cl->max_bps = max;
		cl->priority = priority;
	}
	cl->named = true;
	return cl;
}

/* A class leaves its service: its traffic stays in the service's totals. */
static void retire(struct ctl *c, struct ctl_service *svc, const struct ctl_class *cl)
{
	struct weir_class_stats st;

	classes_stats(c, cl->id, &st);
	svc->retired_packets += st.packets;
	svc->retired_bytes += st.bytes;
}

static void carry_classes(struct ctl *c, struct ctl_service *ns, const struct ctl_service *old,
			  struct id_pool *pool)
{
	size_t i;

	if (old) {
		ns->retired_packets = old->retired_packets;
		ns->retired_bytes = old->retired_bytes;
	}
	for (i = 0; old && i < old->n_classes; i++) {
		const struct ctl_class *oc = &old->classes[i];
		bool named = ns->cfg.stream_min == oc->min_bps &&
			     ns->cfg.stream_max == oc->max_bps && ns->cfg.priority == oc->priority;
		size_t r;

		for (r = 0; r < ns->cfg.n_classes && !named; r++)
			named = ns->cfg.classes[r].min_bps == oc->min_bps &&
				ns->cfg.classes[r].max_bps == oc->max_bps &&
				ns->cfg.classes[r].priority == oc->priority;
		if (!named && !class_alive(c, oc)) {
			retire(c, ns, oc);
			continue;
		}
		ns->classes[ns->n_classes] = *oc;
		ns->classes[ns->n_classes].named = false;
		ns->classes[ns->n_classes++].fresh = false;
		pool->used[oc->id] = true;
	}
}

int classes_build(struct ctl *c, struct ctl_service *ns, const struct ctl_service *old,
		  struct id_pool *pool)
{
	const struct weir_service_config *cfg = &ns->cfg;
	size_t cap = (old ? old->n_classes : 0) + cfg->n_classes + 1, r;

	ns->classes = calloc(cap, sizeof(*ns->classes));
	if (!ns->classes)
		return -ENOMEM;
	ns->n_classes = 0;
	carry_classes(c, ns, old, pool);
	ns->default_class =
		class_need(ns, cfg->stream_min, cfg->stream_max, cfg->priority) - ns->classes;
	for (r = 0; r < cfg->n_classes; r++)
		ns->rule_class[r] = class_need(ns, cfg->classes[r].min_bps, cfg->classes[r].max_bps,
					       cfg->classes[r].priority) -
				    ns->classes;
	if (old) {
		memcpy(ns->limit_streams, old->limit_streams, sizeof(ns->limit_streams));
		memcpy(ns->limit_rate, old->limit_rate, sizeof(ns->limit_rate));
	}
	return 0;
}

/* The admission limits depend on the capacity and the priorities in use,
 * not on what runs: known from the start, refreshed every update. */
static int classes_limits(struct ctl_service *svc)
{
	struct alloc_class *ac = calloc(svc->n_classes + 1, sizeof(*ac));
	struct alloc_service as;
	struct alloc_limits lim;
	int ret = -ENOMEM;

	if (ac) {
		classes_alloc_inputs(svc, &as, ac);
		ret = alloc_compute_limits(&as, ac, svc->n_classes, &lim);
	}
	if (!ret) {
		memcpy(svc->limit_streams, lim.streams, sizeof(lim.streams));
		memcpy(svc->limit_rate, lim.rate, sizeof(lim.rate));
	}
	free(ac);
	return ret;
}

/* default_class and rule_class[] hold indexes until the ids are known. */
int classes_assign(struct ctl_service *svc, struct id_pool *pool)
{
	size_t i;

	for (i = 0; i < svc->n_classes; i++) {
		struct ctl_class *cl = &svc->classes[i];

		if (cl->id != UINT32_MAX)
			continue;
		if (id_take(pool, &cl->id))
			return -ENOSPC;
		cl->fresh = true;
	}
	svc->default_class = svc->classes[svc->default_class].id;
	for (i = 0; i < svc->cfg.n_classes; i++)
		svc->rule_class[i] = svc->classes[svc->rule_class[i]].id;
	return classes_limits(svc);
}

/* Before the first update: what the class's first stream will get. */
static uint64_t first_rate(const struct ctl_service *svc, const struct ctl_class *cl)
{
	uint64_t max = cl->max_bps ? cl->max_bps : ALLOC_UNLIMITED;

	if (!svc->cfg.capacity_rate)
		return max;
	return cl->min_bps ? cl->min_bps
			   : (max < svc->cfg.capacity_rate ? max : svc->cfg.capacity_rate);
}

uint64_t classes_rate(const struct ctl_service *svc, const struct ctl_class *cl)
{
	return cl->seen_ns ? cl->rate_bps : first_rate(svc, cl);
}

/* The rate in the data plane's terms: a fill per ns in 2^-30 bytes, and
 * a depth of bucket-depth of it, at least two full frames. */
static void class_bucket(const struct ctl_service *svc, uint64_t rate_bps, struct weir_class *e)
{
	u128 bytes_per_sec = rate_bps / 8, depth;

	if (rate_bps == ALLOC_UNLIMITED || rate_bps > POLICE_MAX_BPS) {
		e->fill = e->depth = WEIR_RATE_UNLIMITED;
		e->full_ns = 0;
		return;
	}
	e->fill = (uint64_t)((bytes_per_sec << WEIR_TOKEN_SHIFT) / NS_PER_SEC);
	depth = bytes_per_sec * svc->cfg.bucket_depth_ns / NS_PER_SEC;
	if (depth < 2 * FRAME_BYTES)
		depth = 2 * FRAME_BYTES;
	e->depth = (uint64_t)(depth << WEIR_TOKEN_SHIFT);
	e->full_ns = e->fill ? e->depth / e->fill + 1 : UINT64_MAX;
}

void classes_reset_counts(struct ctl *c, uint32_t class_id)
{
	struct weir_class_counts *cc = counts_of(c, class_id);

	if (cc)
		memset(cc, 0, sizeof(*cc));
	dp_zero_percpu(c->loader.maps.class_stats, class_id, sizeof(struct weir_class_stats));
}

static void class_write(struct ctl *c, const struct ctl_service *svc, struct ctl_class *cl)
{
	struct weir_class *e = &c->loader.mm.classes[cl->id];
	struct weir_class want = {
		.min_bps = cl->min_bps,
		.max_bps = cl->max_bps,
		.service_id = svc->id,
		.priority = cl->priority,
		.flags = WEIR_CLASS_IN_USE | (svc->cfg.preempt ? WEIR_CLASS_PREEMPTABLE : 0),
	};

	class_bucket(svc, classes_rate(svc, cl), &want);
	if (cl->written && !memcmp(e, &want, sizeof(want)))
		return;
	/* rates first, then what makes the entry valid for a new stream */
	e->fill = want.fill;
	e->depth = want.depth;
	e->full_ns = want.full_ns;
	e->min_bps = want.min_bps;
	e->max_bps = want.max_bps;
	e->service_id = want.service_id;
	e->priority = want.priority;
	__atomic_store_n(&e->flags, want.flags, __ATOMIC_RELEASE);
	cl->written = true;
}

void classes_clear(struct ctl *c, uint32_t class_id)
{
	if (c->loader.mm.classes)
		memset(&c->loader.mm.classes[class_id], 0, sizeof(struct weir_class));
}

/* The prefix masked, with its mask, as the data plane compares them. */
static void rule_prefix(const struct weir_match *m, struct weir_rule *r)
{
	uint8_t mask[16] = { 0 }, addr[16];
	unsigned int i, bits = m->prefix_len;

	for (i = 0; i < 16 && bits; i++) {
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		bits -= bits >= 8 ? 8 : bits;
	}
	for (i = 0; i < 16; i++)
		addr[i] = m->addr.bytes[i] & mask[i];
	memcpy(r->addr, addr, sizeof(r->addr));
	memcpy(r->mask, mask, sizeof(r->mask));
}

static int write_rules(struct ctl *c, const struct ctl_service *svc)
{
	size_t i;

	for (i = 0; i < svc->cfg.n_classes; i++) {
		const struct weir_match *m = &svc->cfg.classes[i].match;
		uint32_t key = svc->id * WEIR_MAX_RULES + i;
		struct weir_rule r = {
			.kind = m->kind,
			.family = m->addr.family,
			.prefix_len = m->prefix_len,
			.dscp = m->dscp,
			.port_lo = m->port_lo,
			.port_hi = m->port_hi,
			.class_id = svc->rule_class[i],
		};

		rule_prefix(m, &r);
		if (bpf_map_update_elem(c->loader.maps.rules, &key, &r, BPF_ANY))
			return -errno;
	}
	return 0;
}

int classes_sync(struct ctl *c, struct ctl_service *svc)
{
	size_t i;
	int err;

	if (!c->loader.mm.classes)
		return -ENODEV;
	for (i = 0; i < svc->n_classes; i++) {
		struct ctl_class *cl = &svc->classes[i];

		if (cl->fresh) {
			classes_reset_counts(c, cl->id);
			cl->fresh = false;
		}
		class_write(c, svc, cl);
	}
	if (svc->rules_written)
		return 0;
	err = write_rules(c, svc);
	svc->rules_written = !err;
	return err;
}

/* After a restart: the classes the pinned maps hold, so their ids (which
 * streams name) and counts are kept. */
int classes_adopt(struct ctl *c)
{
	uint32_t id;
	size_t i;

	for (id = 0; c->loader.mm.classes && id < WEIR_MAX_CLASSES; id++) {
		const struct weir_class *e = &c->loader.mm.classes[id];
		struct ctl_service *svc = NULL;
		struct ctl_class *cl;

		if (!(e->flags & WEIR_CLASS_IN_USE))
			continue;
		for (i = 0; i < c->n_services && !svc; i++)
			if (c->services[i].id == e->service_id)
				svc = &c->services[i];
		if (!svc) {
			classes_clear(c, id); /* a leftover of a deleted service */
			id_hold(c, c->class_held_until, id);
			continue;
		}
		cl = array_push(&svc->classes, &svc->n_classes, sizeof(*cl));
		if (!cl)
			return -ENOMEM;
		*cl = (struct ctl_class){
			.id = id,
			.min_bps = e->min_bps,
			.max_bps = e->max_bps,
			.priority = e->priority,
		};
	}
	return 0;
}

/* ---- every update ---- */

/* Slots of epochs up to target hold streams idle past pause-after:
 * released, they are paused (their share back in the service's counts).
 * Every slot is looked at, so nothing is missed after a restart. */
static void release_idle(struct ctl *c, struct ctl_service *svc, uint32_t now_epoch)
{
	struct weir_service_counts *sc = &c->loader.mm.service_counts[svc->id];
	uint32_t pause = (uint32_t)((svc->cfg.pause_after_ns + WEIR_EPOCH_NS - 1) / WEIR_EPOCH_NS);
	uint32_t target = now_epoch - pause;
	size_t i, k;

	for (i = 0; i < svc->n_classes; i++) {
		struct weir_class_counts *cc = counts_of(c, svc->classes[i].id);

		for (k = 0; cc && k < WEIR_EPOCH_SLOTS; k++) {
			uint32_t tag = WEIR_SLOT_TAG(weir_read(&cc->epochs[k])), n;

			if ((tag & WEIR_SLOT_RELEASED) || (int32_t)(target - tag) < 0)
				continue;
			n = weir_slot_release(cc, tag);
			if (!n)
				continue;
			weir_release(sc, cc, svc->classes[i].min_bps, n);
			c->class_moved_out[svc->classes[i].id] += n;
		}
	}
	sc->released_epoch = target;
}

/* Promises of preemption a class can no longer keep (its streams paused
 * or ended meanwhile) are taken back: the place they held is free. */
static void settle_preemptions(struct ctl *c, struct ctl_service *svc)
{
	struct weir_service_counts *sc = &c->loader.mm.service_counts[svc->id];
	size_t i;

	for (i = 0; i < svc->n_classes; i++) {
		struct weir_class_counts *cc = counts_of(c, svc->classes[i].id);

		while (cc && weir_read(&cc->preempt_pending) > weir_read(&cc->active))
			if (!weir_take_preemption(sc, cc, svc->classes[i].min_bps))
				break;
	}
}

/* Adds one class's stats (summed over CPUs, or already summed: ncpu 1)
 * to sum. */
static void add_stats(const struct weir_class_stats *per_cpu, int ncpu,
		      struct weir_class_stats *sum)
{
	int i;

	for (i = 0; i < ncpu; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
		sum->policed_packets += per_cpu[i].policed_packets;
		sum->policed_bytes += per_cpu[i].policed_bytes;
		sum->admitted += per_cpu[i].admitted;
		sum->refused += per_cpu[i].refused;
		sum->preempted += per_cpu[i].preempted;
		sum->resumed += per_cpu[i].resumed;
		sum->counted_in += per_cpu[i].counted_in;
		sum->counted_out += per_cpu[i].counted_out;
	}
}

void classes_stats(struct ctl *c, uint32_t id, struct weir_class_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weir_class_stats per_cpu[ncpu > 0 ? ncpu : 1];

	memset(sum, 0, sizeof(*sum));
	if (ncpu > 0 && !bpf_map_lookup_elem(c->loader.maps.class_stats, &id, per_cpu))
		add_stats(per_cpu, ncpu, sum);
}

void classes_service_stats(struct ctl *c, const struct ctl_service *svc,
			   struct weir_class_stats *sum)
{
	struct weir_class_stats st;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < svc->n_classes; i++) {
		classes_stats(c, svc->classes[i].id, &st);
		add_stats(&st, 1, sum);
	}
}

/* Ids are handed out lowest first: the classes in use sit below this. */
static __u32 classes_span(const struct ctl *c)
{
	__u32 span = 0;
	size_t i, j;

	for (i = 0; i < c->n_services; i++)
		for (j = 0; j < c->services[i].n_classes; j++)
			if (c->services[i].classes[j].id >= span)
				span = c->services[i].classes[j].id + 1;
	return span;
}

/* The counters of every class in use in one batch lookup: a syscall an
 * update, not one a class. Returns the per-CPU values (ncpu a class, by
 * id) or NULL. */
static struct weir_class_stats *read_all_stats(struct ctl *c, int *ncpu)
{
	static struct weir_class_stats *values;
	static __u32 keys[WEIR_MAX_CLASSES];
	static int cpus;
	__u32 want = classes_span(c), count = want, out;
	int err;

	if (!values) {
		cpus = libbpf_num_possible_cpus();
		values = cpus > 0 ? calloc((size_t)cpus * WEIR_MAX_CLASSES, sizeof(*values)) : NULL;
	}
	if (!values || !want)
		return NULL;
	err = bpf_map_lookup_batch(c->loader.maps.class_stats, NULL, &out, keys, values, &count,
				   NULL);
	if ((err && errno != ENOENT) || count != want)
		return NULL;
	*ncpu = cpus;
	return values;
}

/* What the class's running streams used since the last update, per
 * stream, and how many of its new streams were refused (demand). */
static void class_measure(struct ctl *c, struct ctl_class *cl, uint64_t now,
			  const struct weir_class_stats *all, int ncpu)
{
	struct weir_class_counts *cc = counts_of(c, cl->id);
	struct weir_class_stats st = {};
	uint64_t dt = now - cl->seen_ns;

	if (all)
		add_stats(&all[(size_t)cl->id * ncpu], ncpu, &st);
	else
		classes_stats(c, cl->id, &st);
	cl->running = cc ? weir_read(&cc->active) : 0;
	cl->paused = cc ? weir_read(&cc->paused) : 0;
	if (cl->seen_ns && dt && cl->running && st.bytes >= cl->seen_bytes)
		cl->used_bps = (uint64_t)((u128)(st.bytes - cl->seen_bytes) * 8 * NS_PER_SEC / dt /
					  cl->running);
	else
		cl->used_bps = 0;
	cl->asking = st.refused >= cl->seen_refused ? st.refused - cl->seen_refused : 0;
	cl->seen_bytes = st.bytes;
	cl->seen_refused = st.refused;
	cl->seen_ns = now;
}

void classes_alloc_inputs(const struct ctl_service *svc, struct alloc_service *as,
			  struct alloc_class *ac)
{
	size_t i;

	as->capacity_streams = svc->cfg.capacity_streams;
	as->capacity_rate = svc->cfg.capacity_rate;
	as->share = svc->cfg.share;
	as->burst = svc->cfg.burst;
	as->reserve_permille = svc->cfg.priority_reserve;
	for (i = 0; i < svc->n_classes; i++) {
		const struct ctl_class *cl = &svc->classes[i];

		ac[i] = (struct alloc_class){
			.min = cl->min_bps,
			.max = cl->max_bps,
			.priority = cl->priority,
			.running = cl->running,
			.paused = cl->paused,
			.asking = cl->asking,
			.used = cl->used_bps,
		};
	}
}

/* An empty class has no allocation of its own: its first stream (which
 * may come before the next update) gets its min, or the spare capacity up
 * to its max. */
static uint64_t empty_rate(const struct ctl_service *svc, const struct ctl_class *cl,
			   uint64_t spare)
{
	uint64_t max = cl->max_bps ? cl->max_bps : ALLOC_UNLIMITED;

	if (!svc->cfg.capacity_rate)
		return max;
	if (spare > max)
		spare = max;
	return spare > cl->min_bps ? spare : cl->min_bps;
}

static void take_allocation(struct ctl_service *svc, const struct alloc_class *ac)
{
	uint64_t spare = svc->cfg.capacity_rate;
	size_t i;

	for (i = 0; i < svc->n_classes; i++) {
		u128 used = (u128)ac[i].running * (ac[i].rate - ac[i].burst);

		if (ac[i].running && ac[i].rate != ALLOC_UNLIMITED)
			spare = used >= spare ? 0 : spare - (uint64_t)used;
	}
	for (i = 0; i < svc->n_classes; i++) {
		struct ctl_class *cl = &svc->classes[i];

		cl->rate_bps = ac[i].running ? ac[i].rate : empty_rate(svc, cl, spare);
		cl->burst_bps = ac[i].running ? ac[i].burst : 0;
	}
}

static void take_victims(struct ctl_service *svc, const struct alloc_class *ac, bool *changed)
{
	uint32_t idx[WEIR_VICTIMS];
	uint16_t victims[WEIR_VICTIMS];
	size_t n = 0, i;

	if (svc->cfg.preempt)
		n = alloc_victims(ac, svc->n_classes, WEIR_PRIORITIES, idx, WEIR_VICTIMS);
	for (i = 0; i < WEIR_VICTIMS; i++)
		victims[i] = i < n ? svc->classes[idx[i]].id : WEIR_CLASS_NONE;
	if (memcmp(victims, svc->victims, sizeof(victims))) {
		memcpy(svc->victims, victims, sizeof(victims));
		*changed = true;
	}
}

static void allocate(struct ctl *c, struct ctl_service *svc)
{
	struct alloc_class *ac = calloc(svc->n_classes + 1, sizeof(*ac));
	size_t *scratch = calloc(svc->n_classes + 1, sizeof(*scratch));
	struct alloc_service as;
	struct alloc_limits lim;
	bool changed = false;
	size_t i;

	if (!ac || !scratch)
		goto out;
	classes_alloc_inputs(svc, &as, ac);
	if (alloc_compute(&as, ac, svc->n_classes, scratch, &lim)) {
		pr_warn("service %s: allocation refused its inputs\n", svc->cfg.name);
		goto out;
	}
	take_allocation(svc, ac);
	take_victims(svc, ac, &changed);
	changed |= memcmp(lim.streams, svc->limit_streams, sizeof(lim.streams)) ||
		   memcmp(lim.rate, svc->limit_rate, sizeof(lim.rate));
	memcpy(svc->limit_streams, lim.streams, sizeof(lim.streams));
	memcpy(svc->limit_rate, lim.rate, sizeof(lim.rate));
	if (changed)
		svc->dirty = true;
	for (i = 0; i < svc->n_classes; i++)
		class_write(c, svc, &svc->classes[i]);
out:
	free(ac);
	free(scratch);
}

/* Classes nobody names and no stream counts in any more go; their ids are
 * held until no stream entry names them. */
static void drop_unused(struct ctl *c, struct ctl_service *svc)
{
	size_t i = 0;

	while (i < svc->n_classes) {
		struct ctl_class *cl = &svc->classes[i];

		if (cl->named || class_alive(c, cl)) {
			i++;
			continue;
		}
		id_hold(c, c->class_held_until, cl->id);
		retire(c, svc, cl);
		classes_clear(c, cl->id);
		svc->classes[i] = svc->classes[--svc->n_classes];
	}
}

void classes_tick(struct ctl *c, uint64_t now)
{
	uint32_t epoch = weir_epoch_of(now);
	bool new_epoch = epoch != c->released_epoch;
	struct weir_class_stats *all;
	size_t i, j;
	int ncpu = 0;

	if (!c->loader.mm.classes)
		return;
	all = read_all_stats(c, &ncpu);
	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		if (new_epoch)
			release_idle(c, svc, epoch);
		settle_preemptions(c, svc);
		for (j = 0; j < svc->n_classes; j++)
			class_measure(c, &svc->classes[j], now, all, ncpu);
		allocate(c, svc);
		if (new_epoch)
			drop_unused(c, svc);
	}
	c->released_epoch = epoch;
}

/* A class for a grant's (min, max, priority), between two applies: an id
 * no state uses or holds, counts reset, written before anything names it.
 * Returns the class, or NULL when no id is free. */
struct ctl_class *classes_add(struct ctl *c, struct ctl_service *svc, uint64_t min, uint64_t max,
			      uint8_t priority)
{
	struct ctl_class *cl = classes_find_tuple(svc, min, max, priority);
	struct id_pool *pool;
	uint32_t id;
	size_t i, j;
	int ret;

	if (cl)
		return cl;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	id_pool_init(pool, c, c->class_held_until, WEIR_MAX_CLASSES);
	for (i = 0; i < c->n_services; i++)
		for (j = 0; j < c->services[i].n_classes; j++)
			pool->used[c->services[i].classes[j].id] = true;
	ret = id_take(pool, &id);
	free(pool);
	cl = ret ? NULL : array_push(&svc->classes, &svc->n_classes, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->id = id;
	cl->min_bps = min;
	cl->max_bps = max;
	cl->priority = priority;
	classes_reset_counts(c, cl->id);
	class_write(c, svc, cl);
	classes_limits(svc); /* a new priority may raise the top one */
	svc->dirty = true;
	return cl;
}
