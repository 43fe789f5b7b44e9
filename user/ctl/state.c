// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The desired state changes in one place: state_apply() takes a whole
 * config, checks it, carries over what it can (ids, health, MACs) from the
 * running state so established streams keep their backends, and only then
 * writes the maps. CLI changes are a copy of the state with one edit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "core/array.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

int id_take(struct id_pool *p, uint32_t *id)
{
	uint32_t i;

	for (i = 0; i < p->max; i++) {
		if (!p->used[i] && p->held_until[i] <= p->passes_done) {
			p->used[i] = true;
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

void id_pool_init(struct id_pool *p, const struct ctl *c, const uint64_t *held_until, uint32_t max)
{
	memset(p->used, 0, sizeof(p->used));
	p->max = max;
	p->held_until = held_until;
	p->passes_done = c->sweep_passes_done;
}

void id_hold(const struct ctl *c, uint64_t *held_until, uint32_t id)
{
	held_until[id] = c->sweep_passes_started + 1;
}

uint64_t ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool same_service_key(const struct weir_service_config *a,
			     const struct weir_service_config *b)
{
	return units_addr_equal(&a->vip, &b->vip) && a->port == b->port && a->proto == b->proto;
}

static struct ctl_service *find_by_key(struct ctl *c, const struct weir_service_config *cfg)
{
	size_t i;

	for (i = 0; i < c->n_services; i++)
		if (same_service_key(&c->services[i].cfg, cfg))
			return &c->services[i];
	return NULL;
}

static void backend_init_runtime(struct ctl_backend *be)
{
	be->up = true;
	be->check_fd = -1;
	be->id = UINT32_MAX;
}

/* Copies the runtime of a matching old backend into the new one. The old
 * one is marked carried: its health-check socket passes to the new one only
 * when the change is applied, so a failed change leaves it where it was.
 * A MAC the operator stops giving stays in use until the neighbour table
 * gives another: its streams keep flowing meanwhile. */
static void backend_carry(struct ctl_backend *nb, struct ctl_backend *old)
{
	struct weir_backend_config cfg = nb->cfg;

	*nb = *old;
	nb->cfg = cfg;
	old->carried = true;
}

static void backend_take_mac(struct ctl_backend *be)
{
	if (!be->cfg.has_mac)
		return;
	memcpy(be->mac, be->cfg.mac, sizeof(be->mac));
	be->mac_known = true;
}

static int build_service(struct ctl *c, struct ctl_service *ns,
			 const struct weir_service_config *cfg, struct id_pool *svc_ids,
			 struct id_pool *be_ids, struct id_pool *class_ids)
{
	struct ctl_service *old = find_by_key(c, cfg);
	size_t j;

	if (config_service_copy(&ns->cfg, cfg))
		return -ENOMEM;
	free(ns->cfg.backends);
	ns->cfg.backends = NULL;
	ns->cfg.n_backends = 0;
	ns->backends = calloc(cfg->n_backends ? cfg->n_backends : 1, sizeof(*ns->backends));
	if (!ns->backends || classes_build(c, ns, old, class_ids))
		return -ENOMEM;
	ns->n_backends = cfg->n_backends;
	ns->dirty = true;
	ns->id = UINT32_MAX;
	if (old) {
		ns->id = old->id;
		svc_ids->used[old->id] = true;
	}
	overload_carry(ns, old);
	if (expressions_compile(ns))
		return -ENOMEM;
	if (old) {
		memcpy(ns->scale, old->scale, sizeof(ns->scale));
		ns->hook_pid = old->hook_pid;
	}
	ns->maglev_table =
		old && cfg->steering == WEIR_STEER_MAGLEV && old->cfg.steering == WEIR_STEER_MAGLEV
			? old->maglev_table
			: UINT32_MAX;
	for (j = 0; j < cfg->n_backends; j++) {
		struct ctl_backend *nb = &ns->backends[j];
		struct ctl_backend *ob = state_find_backend(old, &cfg->backends[j].addr);

		nb->cfg = cfg->backends[j];
		backend_init_runtime(nb);
		overload_backend_init(ns, nb);
		if (ob) {
			backend_carry(nb, ob);
			be_ids->used[nb->id] = true;
		}
		backend_take_mac(nb);
	}
	return 0;
}

/* Maglev tables for the services that need one and have none yet. */
static int assign_maglev_tables(struct ctl_service *svcs, size_t n)
{
	bool used[WEIR_MAGLEV_TABLES] = { false };
	uint32_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (svcs[i].maglev_table < WEIR_MAGLEV_TABLES)
			used[svcs[i].maglev_table] = true;
	for (i = 0; i < n; i++) {
		if (svcs[i].cfg.steering != WEIR_STEER_MAGLEV ||
		    svcs[i].maglev_table < WEIR_MAGLEV_TABLES)
			continue;
		while (t < WEIR_MAGLEV_TABLES && used[t])
			t++;
		if (t == WEIR_MAGLEV_TABLES)
			return -ENOSPC;
		used[t] = true;
		svcs[i].maglev_table = t;
	}
	return 0;
}

static int assign_new_ids(struct ctl_service *svcs, size_t n, struct id_pool *svc_ids,
			  struct id_pool *be_ids, struct id_pool *class_ids)
{
	size_t i, j;

	if (assign_maglev_tables(svcs, n))
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		svcs[i].fresh = svcs[i].id == UINT32_MAX;
		if (svcs[i].fresh && id_take(svc_ids, &svcs[i].id))
			return -ENOSPC;
		if (classes_assign(&svcs[i], class_ids))
			return -ENOSPC;
		for (j = 0; j < svcs[i].n_backends; j++) {
			struct ctl_backend *be = &svcs[i].backends[j];

			if (be->id != UINT32_MAX)
				continue;
			if (id_take(be_ids, &be->id))
				return -ENOSPC;
			be->fresh = true;
		}
	}
	return 0;
}

/* close_fds: end the health checks of backends nobody carried over. */
static void free_services(struct ctl_service *svcs, size_t n, bool close_fds)
{
	size_t i, j;

	for (i = 0; svcs && i < n; i++) {
		for (j = 0; j < svcs[i].n_backends; j++)
			if (close_fds && !svcs[i].backends[j].carried) {
				health_close(&svcs[i].backends[j]);
				probe_close(&svcs[i].backends[j]);
			}
		free(svcs[i].backends);
		free(svcs[i].classes);
		expressions_free(&svcs[i]);
		config_service_free(&svcs[i].cfg);
	}
	free(svcs);
}

static void clear_carried(struct ctl *c)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++)
		for (j = 0; j < c->services[i].n_backends; j++)
			c->services[i].backends[j].carried = false;
}

struct id_pools {
	struct id_pool services, backends, classes;
};

/* Removes from the maps what the old state had and the new one does not
 * use: after the new state is written, so no slot ever names a backend
 * that is already gone. */
static void remove_missing(struct ctl *c, const struct ctl_service *old, size_t n_old,
			   const struct id_pools *in_use)
{
	size_t i, j;

	for (i = 0; i < n_old; i++) {
		bool kept = false;

		for (j = 0; j < c->n_services && !kept; j++)
			kept = c->services[j].id == old[i].id &&
			       same_service_key(&c->services[j].cfg, &old[i].cfg);
		if (!kept)
			dp_remove_service(c, &old[i]);
		for (j = 0; j < old[i].n_backends; j++)
			if (!in_use->backends.used[old[i].backends[j].id])
				dp_clear_backend(c, old[i].backends[j].id);
		for (j = 0; j < old[i].n_classes; j++)
			if (!in_use->classes.used[old[i].classes[j].id])
				classes_clear(c, old[i].classes[j].id);
	}
}

/* Ids the running state has and the new one does not carry over are held
 * before any new id is handed out: a new backend must not inherit the
 * streams of the one it replaces. */
static void hold_released(struct ctl *c, const struct id_pools *pools)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		const struct ctl_service *svc = &c->services[i];

		if (!pools->services.used[svc->id])
			id_hold(c, c->service_held_until, svc->id);
		for (j = 0; j < svc->n_backends; j++)
			if (!pools->backends.used[svc->backends[j].id])
				id_hold(c, c->backend_held_until, svc->backends[j].id);
		for (j = 0; j < svc->n_classes; j++)
			if (!pools->classes.used[svc->classes[j].id])
				id_hold(c, c->class_held_until, svc->classes[j].id);
	}
}

static int build_all(struct ctl *c, const struct weir_config *cfg, struct ctl_service *svcs,
		     struct id_pools *pools)
{
	size_t i;
	int err = 0;

	id_pool_init(&pools->services, c, c->service_held_until, WEIR_MAX_SERVICES);
	id_pool_init(&pools->backends, c, c->backend_held_until, WEIR_MAX_BACKENDS);
	id_pool_init(&pools->classes, c, c->class_held_until, WEIR_MAX_CLASSES);
	for (i = 0; i < cfg->n_services && !err; i++)
		err = build_service(c, &svcs[i], &cfg->services[i], &pools->services,
				    &pools->backends, &pools->classes);
	if (!err)
		hold_released(c, pools);
	if (!err)
		err = assign_new_ids(svcs, cfg->n_services, &pools->services, &pools->backends,
				     &pools->classes);
	return err;
}

/* Counters of an id that just changed hands start from zero. */
static void reset_fresh(struct ctl *c, struct ctl_service *svc)
{
	size_t j;

	if (svc->fresh)
		dp_reset_service(c, svc->id);
	for (j = 0; j < svc->n_backends; j++)
		if (svc->backends[j].fresh)
			dp_reset_backend(c, svc->backends[j].id);
	svc->fresh = false;
	for (j = 0; j < svc->n_backends; j++)
		svc->backends[j].fresh = false;
}

int state_apply(struct ctl *c, const struct weir_config *cfg, char *err, size_t errlen)
{
	struct ctl_service *svcs, *old = c->services;
	size_t i, n_old = c->n_services;
	struct id_pools *pools;
	int ret;

	ret = config_check(cfg, err, errlen);
	if (ret)
		return ret;
	svcs = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*svcs));
	pools = calloc(1, sizeof(*pools));
	ret = svcs && pools ? build_all(c, cfg, svcs, pools) : -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "%s",
			 ret == -ENOSPC ? "no free service or backend id" : "out of memory");
		clear_carried(c);
		free_services(svcs, cfg->n_services, false);
		free(pools);
		return ret;
	}
	c->services = svcs;
	c->n_services = cfg->n_services;
	for (i = 0; i < c->n_services; i++) {
		reset_fresh(c, &c->services[i]);
		if (dp_sync_service(c, &c->services[i]))
			pr_warn("service %s: maps not written; retried every interval\n",
				c->services[i].cfg.name);
	}
	remove_missing(c, old, n_old, pools);
	if (dp_sync_ports(c))
		pr_warn("ports map not written; retried every interval\n");
	free_services(old, n_old, true);
	free(pools);
	return 0;
}

int state_export(const struct ctl *c, struct weir_config *out)
{
	size_t i, j;

	config_init(out);
	memcpy(out->interfaces, c->top.interfaces, sizeof(out->interfaces));
	out->n_interfaces = c->top.n_interfaces;
	out->xdp_mode = c->top.xdp_mode;
	out->update_interval_ns = c->top.update_interval_ns;
	out->stream_table_size = c->top.stream_table_size;
	out->metrics = c->top.metrics;
	out->services = calloc(c->n_services ? c->n_services : 1, sizeof(*out->services));
	if (!out->services)
		return -ENOMEM;
	for (i = 0; i < c->n_services; i++) {
		const struct ctl_service *svc = &c->services[i];
		struct weir_service_config *dst = &out->services[i];

		/* deep: the copy is changed and freed on its own */
		if (config_service_copy(dst, &svc->cfg)) {
			config_free(out);
			return -ENOMEM;
		}
		out->n_services = i + 1;
		dst->backends =
			calloc(svc->n_backends ? svc->n_backends : 1, sizeof(*dst->backends));
		if (!dst->backends) {
			config_free(out);
			return -ENOMEM;
		}
		for (j = 0; j < svc->n_backends; j++)
			dst->backends[j] = svc->backends[j].cfg;
		dst->n_backends = svc->n_backends;
		out->n_services = i + 1;
	}
	return 0;
}

struct ctl_service *state_find_service(struct ctl *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_services; i++)
		if (!strcmp(c->services[i].cfg.name, name))
			return &c->services[i];
	return NULL;
}

struct ctl_backend *state_find_backend(struct ctl_service *svc, const struct weir_addr *addr)
{
	size_t i;

	for (i = 0; svc && i < svc->n_backends; i++)
		if (units_addr_equal(&svc->backends[i].cfg.addr, addr))
			return &svc->backends[i];
	return NULL;
}

struct weir_service_config *state_config_service(struct weir_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

bool state_backend_usable(const struct ctl_service *svc, const struct ctl_backend *be)
{
	return be->up && be->mac_known && !be->cfg.paused && be->cfg.weight > 0 &&
	       !overload_breaker_open(svc, be);
}

const char *state_backend_status(const struct ctl_service *svc, const struct ctl_backend *be)
{
	if (be->cfg.paused)
		return "paused";
	if (!be->up)
		return "down";
	if (overload_breaker_open(svc, be))
		return "breaker-open";
	if (!be->mac_known)
		return "no-mac";
	if (be->cfg.weight == 0)
		return "weight-0";
	if (overload_breaker_half_open(svc, be))
		return "half-open";
	if (be->cfg.standby && !lifecycle_in_use(svc, be))
		return "standby";
	return "up";
}

void state_free(struct ctl *c)
{
	free_services(c->services, c->n_services, true);
	c->services = NULL;
	c->n_services = 0;
}

static struct ctl_service *adopt_service(struct ctl *c, const struct weir_service_key *key,
					 const struct weir_service *val)
{
	struct ctl_service *svc = array_push(&c->services, &c->n_services, sizeof(*svc));

	if (!svc)
		return NULL;
	svc->id = val->id;
	/* its streams' table: kept, so a restart moves no new stream */
	svc->maglev_table = val->steering == WEIR_STEER_MAGLEV ? val->maglev_table : UINT32_MAX;
	svc->cfg.steering = val->steering;
	memcpy(svc->cfg.vip.bytes, key->addr, sizeof(key->addr));
	svc->cfg.vip.family = key->family;
	svc->cfg.port = __builtin_bswap16(key->port);
	svc->cfg.proto = key->proto;
	snprintf(svc->cfg.name, sizeof(svc->cfg.name), "pinned-%u", val->id);
	return svc;
}

static int adopt_backend(struct ctl *c, uint32_t id, const struct weir_backend *val)
{
	struct ctl_backend *be;
	size_t i;

	for (i = 0; i < c->n_services; i++)
		if (c->services[i].id == val->service_id)
			break;
	if (i == c->n_services) { /* a leftover of a deleted service */
		id_hold(c, c->backend_held_until, id);
		return dp_clear_backend(c, id);
	}
	be = array_push(&c->services[i].backends, &c->services[i].n_backends, sizeof(*be));
	if (!be)
		return -ENOMEM;
	backend_init_runtime(be);
	be->id = id;
	memcpy(be->cfg.addr.bytes, val->addr, sizeof(val->addr));
	be->cfg.addr.family = val->family;
	/* Only a MAC that was resolved: an unresolved backend's entry holds
	 * zeros, which must be learned, never sent to. */
	if ((val->flags & WEIR_BACKEND_MAC_VALID) && units_mac_is_unicast(val->mac)) {
		memcpy(be->mac, val->mac, sizeof(be->mac));
		be->mac_known = true;
	}
	return 0;
}

/* After a restart the pinned maps are the truth the data plane runs on:
 * read them as the "old" state so state_apply() keeps their ids. An
 * adopted service has no timeouts yet: the first pass removes only the
 * streams of ids nobody has (and closed streams past their linger). */
int state_adopt_pinned(struct ctl *c)
{
	struct weir_service_key key, next;
	struct weir_service val;
	struct weir_backend be;
	void *prev = NULL;
	uint32_t id;
	int err = 0;

	while (!bpf_map_get_next_key(c->loader.maps.services, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->loader.maps.services, &key, &val) == 0 &&
		    val.id < WEIR_MAX_SERVICES && !adopt_service(c, &key, &val))
			return -ENOMEM;
	}
	for (id = 0; id < WEIR_MAX_BACKENDS && !err; id++) {
		if (bpf_map_lookup_elem(c->loader.maps.backends, &id, &be) ||
		    !(be.flags & WEIR_BACKEND_IN_USE))
			continue;
		err = adopt_backend(c, id, &be);
	}
	if (!err)
		err = classes_adopt(c);
	if (!err)
		grants_adopt(c);
	if (c->n_services)
		pr_info("adopted %zu services from the pinned maps\n", c->n_services);
	/* Which released ids streams still name died with the last
	 * controller: one pass now removes those streams, so every id that is
	 * not adopted is free to take. */
	if (!err && dp_sweep_step(c, ctl_now_ns(), UINT64_MAX) < 0)
		pr_warn("stream table: the first pass failed\n");
	return err;
}
