// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Passes over the stream table with batch lookups: count active streams
 * per service and backend, and remove entries idle past their service's
 * timeout, closing past the linger, or orphaned by a deleted service or
 * backend. A pass over a large table takes long (1M streams: about half a
 * second here, the walk being bound by memory), so it runs in steps with a
 * time budget per update tick, carrying the batch position over; counts are
 * published when a pass completes.
 *
 * The pass also reconciles each class's active count with the streams that
 * count in it: an entry the kernel evicted from a full table (or any other
 * loss) leaves its place counted forever. The table changes while the pass
 * walks it, so the count it finds (X) is only known within what changed
 * meanwhile: with A0 the count when the pass began and IN/OUT the changes
 * since (the data plane's counters and the controller's own), the leak D =
 * A0 - T0 lies in [A0 - X - OUT, A0 - X + IN]. Only what is certain is
 * corrected: the lower bound when above 0, the upper bound when below. A
 * quiet class is corrected exactly; a busy one converges over passes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "weir/counts.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

#define SWEEP_BATCH 4096

struct sweep {
	bool in_pass, have_token;
	uint64_t pass; /* its number: c->sweep_passes_started when it began */
	struct weir_stream_key token;
	uint64_t active_by_service[WEIR_MAX_SERVICES];
	uint64_t active_by_backend[WEIR_MAX_BACKENDS];
	uint64_t total, closing, expired;
	/* reconciliation, by class id */
	bool watched[WEIR_MAX_CLASSES];
	uint64_t found[WEIR_MAX_CLASSES], a0[WEIR_MAX_CLASSES];
	uint64_t in0[WEIR_MAX_CLASSES], out0[WEIR_MAX_CLASSES];
	/* Which ids are in use, rebuilt at every step: the state may change
	 * between steps. */
	const struct ctl_service *by_service[WEIR_MAX_SERVICES];
	uint32_t backend_owner[WEIR_MAX_BACKENDS]; /* service id, or UINT32_MAX */
	struct weir_stream_key keys[SWEEP_BATCH];
	struct weir_stream vals[SWEEP_BATCH];
	struct weir_stream_key expired_keys[SWEEP_BATCH];
};

static void sweep_index(const struct ctl *c, struct sweep *s)
{
	size_t i, j;

	memset(s->by_service, 0, sizeof(s->by_service));
	memset(s->backend_owner, 0xff, sizeof(s->backend_owner));
	for (i = 0; i < c->n_services; i++) {
		s->by_service[c->services[i].id] = &c->services[i];
		for (j = 0; j < c->services[i].n_backends; j++)
			s->backend_owner[c->services[i].backends[j].id] = c->services[i].id;
	}
}

static uint64_t age_of(uint64_t now, const struct weir_stream *v)
{
	return v->last_seen_ns < now ? now - v->last_seen_ns : 0;
}

enum entry_verdict {
	ENTRY_KEEP,
	ENTRY_REMOVE, /* idle, closed past its linger, unconfirmed, or orphaned */
};

/* A provisional stream whose handshake never completed: its place went
 * back with its slot; its entry goes too, so spoofed SYNs do not fill the
 * table for the idle timeout. */
static bool handshake_expired(const struct ctl_service *svc, const struct weir_stream *v,
			      uint64_t now)
{
	return v->state == WEIR_STATE_PROVISIONAL &&
	       age_of(now, v) > svc->cfg.handshake_timeout_ns + WEIR_EPOCH_NS;
}

static enum entry_verdict classify(const struct sweep *s, const struct weir_stream *v, uint64_t now)
{
	const struct ctl_service *svc =
		v->service_id < WEIR_MAX_SERVICES ? s->by_service[v->service_id] : NULL;

	/* An id now owned by another service is a deleted backend's. */
	if (!svc || v->backend_id >= WEIR_MAX_BACKENDS ||
	    s->backend_owner[v->backend_id] != v->service_id)
		return ENTRY_REMOVE;
	if (v->state == WEIR_STATE_CLOSING)
		return age_of(now, v) > WEIR_CLOSING_TIMEOUT_NS ? ENTRY_REMOVE : ENTRY_KEEP;
	if (!svc->cfg.idle_timeout_ns)
		return ENTRY_KEEP; /* adopted, not configured yet */
	if (handshake_expired(svc, v, now) || age_of(now, v) > svc->cfg.idle_timeout_ns)
		return ENTRY_REMOVE;
	return ENTRY_KEEP;
}

static bool counted_state(uint8_t state)
{
	return state == WEIR_STATE_ACTIVE || state == WEIR_STATE_PROVISIONAL;
}

/* The entry says what its last packet saw; a counted stream whose epoch
 * slot was released since is paused, though its entry learns it only at
 * its next packet. */
uint8_t dp_stream_state(const struct ctl *c, const struct weir_stream *v)
{
	struct weir_class_counts *cc;

	if (!counted_state(v->state) || v->class_id >= WEIR_MAX_CLASSES ||
	    !c->loader.mm.class_counts)
		return v->state;
	cc = &c->loader.mm.class_counts[v->class_id];
	return WEIR_SLOT_TAG(weir_read(weir_slot(cc, v->epoch))) == v->epoch ? v->state
									     : WEIR_STATE_PAUSED;
}

/* A stream that counts in its class: counted state, its slot unreleased. */
static bool counts_now(const struct ctl *c, const struct weir_stream *v)
{
	return c->loader.mm.class_counts && v->class_id < WEIR_MAX_CLASSES &&
	       counted_state(dp_stream_state(c, v));
}

/* true: the entry is to be removed. */
static bool sweep_entry(const struct ctl *c, struct sweep *s, const struct weir_stream *v,
			uint64_t now)
{
	enum entry_verdict verdict = classify(s, v, now);

	s->total++;
	if (verdict == ENTRY_REMOVE)
		return true;
	if (v->state == WEIR_STATE_CLOSING) {
		s->closing++;
		return false;
	}
	if (v->state != WEIR_STATE_PREEMPTED) {
		s->active_by_service[v->service_id]++;
		s->active_by_backend[v->backend_id]++;
	}
	if (counts_now(c, v))
		s->found[v->class_id]++;
	return false;
}

/*
 * A removed stream that had not ended gives back what it held, with the
 * same atomics as the data plane: its place (or its paused count) in its
 * class and service, and its place on its backend.
 */
void dp_stream_end(struct ctl *c, const struct weir_stream *v)
{
	struct loader_mmaps *mm = &c->loader.mm;
	struct weir_class_counts *cc;
	struct weir_service_counts *sc;
	struct weir_class *cls;
	int counted;

	if (v->state == WEIR_STATE_CLOSING || v->state == WEIR_STATE_PREEMPTED || !mm->classes ||
	    v->class_id >= WEIR_MAX_CLASSES || v->service_id >= WEIR_MAX_SERVICES)
		return;
	cls = &mm->classes[v->class_id];
	cc = &mm->class_counts[v->class_id];
	sc = &mm->service_counts[v->service_id];
	if (!(cls->flags & WEIR_CLASS_IN_USE) || cls->service_id != v->service_id)
		return; /* its service went: its counts went with it */
	counted = (v->state == WEIR_STATE_ACTIVE || v->state == WEIR_STATE_PROVISIONAL) &&
		  weir_slot_leave(cc, v->epoch) == 1;
	if (counted) {
		weir_take_preemption(sc, cc, cls->min_bps);
		weir_uncount(sc, cc, cls->min_bps, 1);
		c->class_moved_out[v->class_id]++;
	} else {
		__sync_fetch_and_sub(&cc->paused, 1);
	}
	if (v->backend_id < WEIR_MAX_BACKENDS)
		__sync_fetch_and_sub(&mm->backend_counts[v->backend_id].streams, 1);
}

/* The data plane may have refreshed the entry since the batch read it (a
 * packet of an idle stream, a new stream on the same 5-tuple): judged again
 * on what it holds now, just before the delete. */
static void sweep_remove(struct ctl *c, struct sweep *s, const struct weir_stream_key *key,
			 uint64_t now)
{
	struct weir_stream v;

	if (bpf_map_lookup_elem(c->loader.maps.streams, key, &v))
		return; /* gone already */
	if (classify(s, &v, now) != ENTRY_REMOVE)
		return;
	if (bpf_map_delete_elem(c->loader.maps.streams, key))
		return;
	dp_stream_end(c, &v);
	s->expired++;
}

/* One batch: classify, delete what expired. 1: the pass is complete. */
static int sweep_batch(struct ctl *c, struct sweep *s, uint64_t now)
{
	__u32 i, count = SWEEP_BATCH, n_expired = 0;
	int err = bpf_map_lookup_batch(c->loader.maps.streams, s->have_token ? &s->token : NULL,
				       &s->token, s->keys, s->vals, &count, NULL);
	bool done = err && errno == ENOENT;

	if (err && !done)
		return -errno;
	s->have_token = true;
	for (i = 0; i < count; i++)
		if (sweep_entry(c, s, &s->vals[i], now))
			s->expired_keys[n_expired++] = s->keys[i];
	/* One by one: an entry the data plane removed meanwhile is no error,
	 * and a batch delete stops at the first missing key. */
	for (i = 0; i < n_expired; i++)
		sweep_remove(c, s, &s->expired_keys[i], ctl_now_ns());
	return done;
}

/* The class's changes so far: the data plane's and the controller's. */
static void class_moves(struct ctl *c, uint32_t id, uint64_t *in, uint64_t *out)
{
	struct weir_class_stats st;

	classes_stats(c, id, &st);
	*in = st.counted_in + c->class_moved_in[id];
	*out = st.counted_out + c->class_moved_out[id];
}

static void reconcile_begin(struct ctl *c, struct sweep *s)
{
	size_t i, j;

	memset(s->watched, 0, sizeof(s->watched));
	memset(s->found, 0, sizeof(s->found));
	for (i = 0; c->loader.mm.class_counts && i < c->n_services; i++) {
		for (j = 0; j < c->services[i].n_classes; j++) {
			uint32_t id = c->services[i].classes[j].id;

			s->watched[id] = true;
			s->a0[id] = weir_read(&c->loader.mm.class_counts[id].active);
			class_moves(c, id, &s->in0[id], &s->out0[id]);
		}
	}
}

/* Corrects a class's count (and its service's) by what is certainly
 * wrong; returns the correction applied (positive: places given back). */
static int64_t reconcile_class(struct ctl *c, struct sweep *s, uint32_t id)
{
	struct loader_mmaps *mm = &c->loader.mm;
	const struct weir_class *cls = &mm->classes[id];
	uint64_t in, out;
	int64_t low, high, fix = 0;

	if (!(cls->flags & WEIR_CLASS_IN_USE) || cls->service_id >= WEIR_MAX_SERVICES)
		return 0;
	class_moves(c, id, &in, &out);
	low = (int64_t)s->a0[id] - (int64_t)s->found[id] - (int64_t)(out - s->out0[id]);
	high = (int64_t)s->a0[id] - (int64_t)s->found[id] + (int64_t)(in - s->in0[id]);
	if (low > 0)
		fix = low;
	else if (high < 0)
		fix = high;
	if (fix > 0)
		weir_uncount(&mm->service_counts[cls->service_id], &mm->class_counts[id],
			     cls->min_bps, (uint64_t)fix);
	else if (fix < 0)
		weir_count(&mm->service_counts[cls->service_id], &mm->class_counts[id],
			   cls->min_bps, (uint64_t)-fix);
	return fix;
}

/* A pass logs this many corrected classes one by one, the rest in one
 * line: a table that lost streams of 4096 classes is one event. */
#define RECONCILE_LOG_MAX 8

static void reconcile_end(struct ctl *c, struct sweep *s)
{
	uint64_t more = 0, more_places = 0, places;
	uint32_t id, logged = 0;
	int64_t fix;

	for (id = 0; id < WEIR_MAX_CLASSES; id++) {
		if (!s->watched[id])
			continue;
		fix = reconcile_class(c, s, id);
		places = (uint64_t)(fix > 0 ? fix : -fix);
		c->reconciled += places;
		if (!fix)
			continue;
		if (logged++ < RECONCILE_LOG_MAX) {
			pr_info("class %u: its count was %s by %llu (streams lost from the table); "
				"corrected\n",
				id, fix > 0 ? "high" : "low", (unsigned long long)places);
		} else {
			more++;
			more_places += places;
		}
	}
	if (more)
		pr_info("%llu more classes' counts corrected, by %llu places in all\n",
			(unsigned long long)more, (unsigned long long)more_places);
}

static void sweep_publish(struct ctl *c, struct sweep *s)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		svc->active_streams = s->active_by_service[svc->id];
		for (j = 0; j < svc->n_backends; j++)
			svc->backends[j].active_streams = s->active_by_backend[svc->backends[j].id];
	}
	reconcile_end(c, s);
	c->total_streams = s->total;
	c->closing_streams = s->closing;
	c->sweep_passes_done = s->pass;
	if (s->expired)
		pr_debug("sweep: removed %lu of %lu streams\n", (unsigned long)s->expired,
			 (unsigned long)s->total);
}

static void sweep_begin(struct ctl *c, struct sweep *s)
{
	s->pass = ++c->sweep_passes_started;
	reconcile_begin(c, s);
	memset(s->active_by_service, 0, sizeof(s->active_by_service));
	memset(s->active_by_backend, 0, sizeof(s->active_by_backend));
	s->total = s->closing = s->expired = 0;
	s->have_token = false;
	s->in_pass = true;
}

int dp_sweep_step(struct ctl *c, uint64_t now, uint64_t budget_ns)
{
	struct sweep *s = c->sweep;
	int ret = 0;

	if (!s) {
		s = c->sweep = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
	}
	if (!s->in_pass)
		sweep_begin(c, s);
	sweep_index(c, s);
	while (ret == 0) {
		ret = sweep_batch(c, s, now);
		if (ret == 0 && ctl_now_ns() - now >= budget_ns)
			return 0;
	}
	s->in_pass = false;
	if (ret < 0)
		return ret;
	sweep_publish(c, s);
	return 1;
}

bool dp_sweep_in_pass(const struct ctl *c)
{
	return c->sweep && c->sweep->in_pass;
}

void dp_sweep_free(struct ctl *c)
{
	free(c->sweep);
	c->sweep = NULL;
}
