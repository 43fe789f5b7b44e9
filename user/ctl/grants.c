// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Explicit stream requests (Stanza's API): an application asks for a
 * stream of (min, max, priority) for a client before it starts it. The
 * answer is immediate: the place is reserved in the service's counts, by
 * the same atomics and limits as the data plane's admission, or refused
 * with the reason. The client's next new stream binds the grant in the
 * data plane; an unbound grant expires after its TTL and its place goes
 * back. The grants live in weir_grants (mmapped) and weir_requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "weir/counts.h"
#include "core/alloc.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

#define GRANT_CHECK_NS 1000000000ULL /* bound grants: is their stream still there? */

struct ctl_grant *grants_find(struct ctl *c, const char *service, const char *id)
{
	size_t i;

	for (i = 0; c->grants && i < WEIR_MAX_GRANTS; i++)
		if (c->grants[i].used && !strcmp(c->grants[i].service, service) &&
		    !strcmp(c->grants[i].id, id))
			return &c->grants[i];
	return NULL;
}

static struct ctl_grant *grant_slot(struct ctl *c, uint32_t *slot)
{
	uint32_t i;

	if (!c->grants)
		c->grants = calloc(WEIR_MAX_GRANTS, sizeof(*c->grants));
	for (i = 0; c->grants && i < WEIR_MAX_GRANTS; i++) {
		if (!c->grants[i].used) {
			*slot = i;
			return &c->grants[i];
		}
	}
	return NULL;
}

static struct ctl_service *service_of(struct ctl *c, const struct ctl_grant *g)
{
	return state_find_service(c, g->service);
}

/* The service's counts take the place exactly as admission would: added,
 * checked against the limit for its priority, given back when over. */
static int reserve(struct ctl *c, struct ctl_service *svc, const struct ctl_class *cl)
{
	struct weir_service_counts *sc = &c->loader.mm.service_counts[svc->id];
	struct weir_class_counts *cc = &c->loader.mm.class_counts[cl->id];
	uint8_t p = cl->priority & (WEIR_PRIORITIES - 1);
	uint64_t streams, committed;

	streams = __sync_add_and_fetch(&sc->streams, 1) - weir_read(&sc->preempt_streams);
	committed =
		__sync_add_and_fetch(&sc->committed_bps, cl->min_bps) - weir_read(&sc->preempt_bps);
	if (streams <= svc->limit_streams[p] && committed <= svc->limit_rate[p]) {
		__sync_fetch_and_add(&cc->active, 1);
		c->class_moved_in[cl->id]++;
		return 0;
	}
	__sync_fetch_and_sub(&sc->streams, 1);
	__sync_fetch_and_sub(&sc->committed_bps, cl->min_bps);
	return streams > svc->limit_streams[p] ? ALLOC_REFUSE_CAPACITY : ALLOC_REFUSE_MIN_UNMET;
}

/* What the stream will get: the allocation with it running, before any
 * burst. Its place is taken already (reserve()): the stream count, which
 * the last update measured, must not refuse it again. */
static uint64_t granted_rate(struct ctl_service *svc, const struct ctl_class *cl)
{
	struct alloc_class *ac = calloc(svc->n_classes + 2, sizeof(*ac));
	struct alloc_class *work = calloc(svc->n_classes + 2, sizeof(*work));
	size_t *scratch = calloc(svc->n_classes + 2, sizeof(*scratch));
	struct alloc_service as;
	uint64_t rate = 0;
	int reason;

	if (ac && work && scratch) {
		classes_alloc_inputs(svc, &as, ac);
		as.capacity_streams = 0;
		as.burst = false;
		rate = alloc_grant(&as, ac, svc->n_classes, cl->min_bps, cl->max_bps, cl->priority,
				   work, scratch, &reason);
	}
	free(ac);
	free(work);
	free(scratch);
	return rate;
}

static int publish(struct ctl *c, struct ctl_grant *g, uint32_t slot)
{
	struct weir_grant *mg = &c->loader.mm.grants[slot];

	mg->service_id = g->service_id;
	mg->class_id = g->class_id;
	mg->expires_ns = g->expires_ns;
	memset(&mg->stream, 0, sizeof(mg->stream));
	__atomic_store_n(&mg->state, WEIR_GRANT_GRANTED, __ATOMIC_RELEASE);
	if (bpf_map_update_elem(c->loader.maps.requests, &g->key, &slot, BPF_ANY))
		return -errno;
	return 0;
}

static void free_grant(struct ctl *c, struct ctl_grant *g)
{
	struct ctl_service *svc = service_of(c, g);
	struct ctl_class *cl = svc ? classes_find(svc, g->class_id) : NULL;
	uint32_t slot = g - c->grants;

	bpf_map_delete_elem(c->loader.maps.requests, &g->key);
	__atomic_store_n(&c->loader.mm.grants[slot].state, WEIR_GRANT_FREE, __ATOMIC_RELEASE);
	if (cl && cl->grants)
		cl->grants--;
	g->used = false;
	if (svc)
		grants_refresh(c, svc);
}

/* The data plane looks clients up only while a grant of the service
 * waits. */
void grants_refresh(struct ctl *c, struct ctl_service *svc)
{
	bool any = false;
	size_t i;

	for (i = 0; c->grants && i < WEIR_MAX_GRANTS && !any; i++)
		any = c->grants[i].used && c->grants[i].service_id == svc->id &&
		      __atomic_load_n(&c->loader.mm.grants[i].state, __ATOMIC_ACQUIRE) ==
			      WEIR_GRANT_GRANTED;
	if (any != svc->requests) {
		svc->requests = any;
		svc->dirty = true;
	}
}

int grants_request(struct ctl *c, struct ctl_service *svc, const struct grant_request *rq,
		   uint64_t *granted_bps, int *refused)
{
	struct ctl_class *cl;
	struct ctl_grant *g;
	uint32_t slot;
	int ret;

	*granted_bps = 0;
	*refused = 0;
	if (!c->loader.mm.grants)
		return -ENODEV;
	g = grant_slot(c, &slot);
	if (!g)
		return -ENOSPC;
	cl = classes_add(c, svc, rq->min_bps, rq->max_bps, rq->priority);
	if (!cl)
		return -ENOSPC;
	*refused = reserve(c, svc, cl);
	if (*refused)
		return 0;
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", rq->id);
	snprintf(g->service, sizeof(g->service), "%s", svc->cfg.name);
	g->service_id = svc->id;
	g->class_id = cl->id;
	g->key = rq->key;
	g->key.service_id = svc->id;
	g->expires_ns = ctl_now_ns() + rq->ttl_ns;
	*granted_bps = granted_rate(svc, cl);
	g->used = true;
	cl->grants++;
	ret = publish(c, g, slot);
	if (ret) {
		grants_cancel(c, g);
		return ret;
	}
	grants_refresh(c, svc);
	return 0;
}

/* An unbound grant's place goes back; 1 when it was unbound, 0 when the
 * client's stream took it first. */
static int unreserve(struct ctl *c, struct ctl_grant *g)
{
	uint32_t slot = g - c->grants;
	struct ctl_service *svc = service_of(c, g);
	struct weir_class *cls = &c->loader.mm.classes[g->class_id];

	if (__sync_val_compare_and_swap(&c->loader.mm.grants[slot].state, WEIR_GRANT_GRANTED,
					WEIR_GRANT_EXPIRED) != WEIR_GRANT_GRANTED)
		return 0;
	if (svc)
		weir_uncount(&c->loader.mm.service_counts[svc->id],
			     &c->loader.mm.class_counts[g->class_id], cls->min_bps, 1);
	c->class_moved_out[g->class_id]++;
	return 1;
}

/* Release: an unbound grant gives its place back; a bound one ends its
 * stream. Returns 1 when a stream was ended. */
int grants_cancel(struct ctl *c, struct ctl_grant *g)
{
	uint32_t slot = g - c->grants;
	struct weir_stream v;
	int ended = 0;

	if (!unreserve(c, g)) {
		struct weir_stream_key key = c->loader.mm.grants[slot].stream;

		if (!bpf_map_lookup_elem(c->loader.maps.streams, &key, &v) && v.grant == slot + 1 &&
		    !bpf_map_delete_elem(c->loader.maps.streams, &key)) {
			dp_stream_end(c, &v);
			ended = 1;
		}
	}
	free_grant(c, g);
	return ended;
}

/* A bound grant is kept while its stream is: release can still end it. */
static bool stream_gone(struct ctl *c, uint32_t slot)
{
	struct weir_stream_key key = c->loader.mm.grants[slot].stream;
	struct weir_stream v;

	return bpf_map_lookup_elem(c->loader.maps.streams, &key, &v) || v.grant != slot + 1 ||
	       v.state == WEIR_STATE_CLOSING || v.state == WEIR_STATE_PREEMPTED;
}

void grants_tick(struct ctl *c, uint64_t now)
{
	bool check = now >= c->next_grant_check_ns;
	uint32_t i, state;

	if (!c->grants || !c->loader.mm.grants)
		return;
	if (check)
		c->next_grant_check_ns = now + GRANT_CHECK_NS;
	for (i = 0; i < WEIR_MAX_GRANTS; i++) {
		struct ctl_grant *g = &c->grants[i];

		if (!g->used)
			continue;
		state = __atomic_load_n(&c->loader.mm.grants[i].state, __ATOMIC_ACQUIRE);
		if (state == WEIR_GRANT_GRANTED && now >= g->expires_ns && unreserve(c, g)) {
			pr_debug("service %s: grant %s expired unused\n", g->service, g->id);
			free_grant(c, g);
		} else if (state == WEIR_GRANT_BOUND && !g->bound) {
			g->bound = true; /* the client took it: no more lookups for it */
			bpf_map_delete_elem(c->loader.maps.requests, &g->key);
			if (service_of(c, g))
				grants_refresh(c, service_of(c, g));
		} else if (state == WEIR_GRANT_BOUND && check && stream_gone(c, i)) {
			free_grant(c, g);
		}
	}
}

void grants_free(struct ctl *c)
{
	free(c->grants);
	c->grants = NULL;
}

/* After a restart: the grants the last controller made are not known by
 * ID any more. Unbound ones give their place back (their applications ask
 * again); bound ones stay with their streams; no client is looked up. */
void grants_adopt(struct ctl *c)
{
	struct weir_request_key key, next;
	uint32_t i;

	for (i = 0; c->loader.mm.grants && i < WEIR_MAX_GRANTS; i++) {
		struct weir_grant *mg = &c->loader.mm.grants[i];
		uint32_t svc = mg->service_id, cls = mg->class_id;

		if (__sync_val_compare_and_swap(&mg->state, WEIR_GRANT_GRANTED,
						WEIR_GRANT_EXPIRED) == WEIR_GRANT_GRANTED &&
		    svc < WEIR_MAX_SERVICES && cls < WEIR_MAX_CLASSES) {
			weir_uncount(&c->loader.mm.service_counts[svc],
				     &c->loader.mm.class_counts[cls],
				     c->loader.mm.classes[cls].min_bps, 1);
			c->class_moved_out[cls]++;
		}
		mg->state = WEIR_GRANT_FREE;
	}
	while (!bpf_map_get_next_key(c->loader.maps.requests, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(c->loader.maps.requests, &key))
			break;
	}
}
