// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One pass over the stream table with batch lookups: counts active streams
 * per service and backend, and removes entries that are idle past their
 * service's timeout, closing past the linger, or orphaned by a deleted
 * service or backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "ctl/ctl.h"
#include "ctl/log.h"

#define SWEEP_BATCH 8192

struct sweep {
	struct ctl_service *by_service[WEIR_MAX_SERVICES];
	struct ctl_backend *by_backend[WEIR_MAX_BACKENDS];
	struct weir_stream_key *expired;
	size_t n_expired, cap_expired;
	uint64_t now;
};

static void sweep_index(struct ctl *c, struct sweep *s)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		svc->active_streams = 0;
		s->by_service[svc->id] = svc;
		for (j = 0; j < svc->n_backends; j++) {
			svc->backends[j].active_streams = 0;
			s->by_backend[svc->backends[j].id] = &svc->backends[j];
		}
	}
	c->total_streams = 0;
	c->closing_streams = 0;
}

static int sweep_expire(struct sweep *s, const struct weir_stream_key *key)
{
	if (s->n_expired == s->cap_expired) {
		size_t cap = s->cap_expired ? s->cap_expired * 2 : 1024;
		void *p = realloc(s->expired, cap * sizeof(*s->expired));

		if (!p)
			return -ENOMEM;
		s->expired = p;
		s->cap_expired = cap;
	}
	s->expired[s->n_expired++] = *key;
	return 0;
}

static uint64_t age_of(const struct sweep *s, const struct weir_stream *v)
{
	return v->last_seen_ns < s->now ? s->now - v->last_seen_ns : 0;
}

static int sweep_entry(struct ctl *c, struct sweep *s, const struct weir_stream_key *key,
		       const struct weir_stream *v)
{
	struct ctl_service *svc =
		v->service_id < WEIR_MAX_SERVICES ? s->by_service[v->service_id] : NULL;
	struct ctl_backend *be =
		v->backend_id < WEIR_MAX_BACKENDS ? s->by_backend[v->backend_id] : NULL;

	c->total_streams++;
	if (!svc || !be)
		return sweep_expire(s, key);
	if (v->flags & WEIR_STREAM_CLOSING) {
		c->closing_streams++;
		return age_of(s, v) > WEIR_CLOSING_TIMEOUT_NS ? sweep_expire(s, key) : 0;
	}
	if (age_of(s, v) > svc->cfg.idle_timeout_ns)
		return sweep_expire(s, key);
	svc->active_streams++;
	be->active_streams++;
	return 0;
}

static int sweep_read(struct ctl *c, struct sweep *s, struct weir_stream_key *keys,
		      struct weir_stream *vals)
{
	struct weir_stream_key batch;
	void *in = NULL;

	for (;;) {
		__u32 i, count = SWEEP_BATCH;
		int err = bpf_map_lookup_batch(c->loader.maps.streams, in, &batch, keys, vals,
					       &count, NULL);
		bool done = err && errno == ENOENT;

		if (err && !done)
			return -errno;
		for (i = 0; i < count; i++)
			if (sweep_entry(c, s, &keys[i], &vals[i]))
				return -ENOMEM;
		if (done)
			return 0;
		in = &batch;
	}
}

int dp_sweep_streams(struct ctl *c, uint64_t now)
{
	struct weir_stream_key *keys = calloc(SWEEP_BATCH, sizeof(*keys));
	struct weir_stream *vals = calloc(SWEEP_BATCH, sizeof(*vals));
	struct sweep *s = calloc(1, sizeof(*s));
	size_t i;
	int err = -ENOMEM;

	if (!keys || !vals || !s)
		goto out;
	s->now = now;
	sweep_index(c, s);
	err = sweep_read(c, s, keys, vals);
	/* One by one: an entry the data plane removed meanwhile is not an
	 * error, and a batch delete stops at the first missing key. */
	for (i = 0; !err && i < s->n_expired; i++)
		bpf_map_delete_elem(c->loader.maps.streams, &s->expired[i]);
	if (s->n_expired)
		pr_debug("sweep: removed %zu of %lu streams\n", s->n_expired,
			 (unsigned long)c->total_streams);
out:
	if (s)
		free(s->expired);
	free(s);
	free(keys);
	free(vals);
	return err;
}
