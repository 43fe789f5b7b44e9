// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Typed writes into the balancer's maps. Each write is compared with a
 * shadow of what was last written, so the update loop touches a map only
 * when something changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/slots.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

static struct {
	struct weir_backend backends[WEIR_MAX_BACKENDS];
	bool backend_written[WEIR_MAX_BACKENDS];
	struct weir_service services[WEIR_MAX_SERVICES];
	bool service_written[WEIR_MAX_SERVICES];
	uint32_t slots[WEIR_MAX_SERVICES][WEIR_MAX_SLOTS];
} shadow;

static int write_backend(struct ctl *c, uint32_t id, const struct weir_backend *val)
{
	if (shadow.backend_written[id] && !memcmp(&shadow.backends[id], val, sizeof(*val)))
		return 0;
	if (bpf_map_update_elem(c->loader.maps.backends, &id, val, BPF_ANY)) {
		pr_warn("backend id %u: map update failed: %s\n", id, strerror(errno));
		return -errno;
	}
	shadow.backends[id] = *val;
	shadow.backend_written[id] = true;
	return 0;
}

int dp_clear_backend(struct ctl *c, uint32_t id)
{
	struct weir_backend none = {};

	return write_backend(c, id, &none);
}

static void service_key_of(const struct weir_service_config *cfg, struct weir_service_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->addr, cfg->vip.bytes, sizeof(key->addr));
	key->port = __builtin_bswap16(cfg->port);
	key->proto = cfg->proto;
	key->family = cfg->vip.family;
}

static int sync_backends(struct ctl *c, const struct ctl_service *svc)
{
	size_t i;
	int err = 0;

	for (i = 0; i < svc->n_backends && !err; i++) {
		const struct ctl_backend *be = &svc->backends[i];
		struct weir_backend val = {
			.family = be->cfg.addr.family,
			.flags = WEIR_BACKEND_IN_USE,
			.service_id = svc->id,
		};

		memcpy(val.addr, be->cfg.addr.bytes, sizeof(val.addr));
		memcpy(val.mac, be->mac, sizeof(val.mac));
		err = write_backend(c, be->id, &val);
	}
	return err;
}

/* Slot table of the usable backends: weights for weighted, all equal for
 * round-robin. Returns the slot count, in backend ids in out[]. */
static int build_slots(const struct ctl_service *svc, uint32_t *out)
{
	uint32_t weights[WEIR_MAX_SLOTS], index[WEIR_MAX_SLOTS];
	size_t i, n = 0;
	int count;

	for (i = 0; i < svc->n_backends && n < WEIR_MAX_SLOTS; i++) {
		const struct ctl_backend *be = &svc->backends[i];

		if (!state_backend_usable(svc, be))
			continue;
		weights[n] = svc->cfg.steering == WEIR_STEER_WEIGHTED ? be->cfg.weight : 1;
		index[n++] = i;
	}
	if (!n)
		return 0;
	count = slots_build(weights, n, out, WEIR_MAX_SLOTS);
	for (i = 0; count > 0 && i < (size_t)count; i++)
		out[i] = svc->backends[index[out[i]]].id;
	return count < 0 ? 0 : count;
}

/* Writes count slots; when the table shrinks, the old tail is overwritten
 * with valid slots too, so a reader still holding the old count never
 * lands on a backend that left. */
static int write_slots(struct ctl *c, uint32_t service_id, const uint32_t *slots, int count)
{
	bool written = shadow.service_written[service_id];
	uint32_t prev = written ? shadow.services[service_id].slot_count : 0;
	uint32_t i, key, end = prev > (uint32_t)count && count ? prev : (uint32_t)count;

	for (i = 0; i < end; i++) {
		uint32_t want = slots[i % count];

		if (written && shadow.slots[service_id][i] == want)
			continue;
		key = service_id * WEIR_MAX_SLOTS + i;
		if (bpf_map_update_elem(c->loader.maps.slots, &key, &want, BPF_ANY))
			return -errno;
		shadow.slots[service_id][i] = want;
	}
	return 0;
}

static int write_service(struct ctl *c, const struct ctl_service *svc,
			 const struct weir_service *val)
{
	struct weir_service_key key;

	if (shadow.service_written[svc->id] &&
	    !memcmp(&shadow.services[svc->id], val, sizeof(*val)))
		return 0;
	service_key_of(&svc->cfg, &key);
	if (bpf_map_update_elem(c->loader.maps.services, &key, val, BPF_ANY)) {
		pr_warn("service %s: map update failed: %s\n", svc->cfg.name, strerror(errno));
		return -errno;
	}
	shadow.services[svc->id] = *val;
	shadow.service_written[svc->id] = true;
	return 0;
}

/* Backends first, then slots, then the service: a reader never sees a slot
 * count that points past what is written. */
int dp_sync_service(struct ctl *c, struct ctl_service *svc)
{
	static uint32_t slots[WEIR_MAX_SLOTS];
	struct weir_service val = {
		.id = svc->id,
		.steering = svc->cfg.steering,
		.forwarding = svc->cfg.forwarding,
		.refuse = svc->cfg.refuse,
		.idle_timeout_ns = svc->cfg.idle_timeout_ns,
	};
	int count, err;

	err = sync_backends(c, svc);
	if (err)
		return err;
	count = build_slots(svc, slots);
	err = write_slots(c, svc->id, slots, count);
	if (err)
		return err;
	val.slot_count = count;
	err = write_service(c, svc, &val);
	svc->dirty = err != 0; /* the next tick tries again */
	return err;
}

/* Deletes the service's key; its backends are cleared by the caller, which
 * knows which of their ids the new state uses again. */
int dp_remove_service(struct ctl *c, const struct ctl_service *svc)
{
	struct weir_service_key key;

	service_key_of(&svc->cfg, &key);
	if (bpf_map_delete_elem(c->loader.maps.services, &key) && errno != ENOENT)
		pr_warn("service %s: map delete failed: %s\n", svc->cfg.name, strerror(errno));
	shadow.service_written[svc->id] = false;
	return 0;
}

static int zero_counters(int map_fd, uint32_t id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weir_counters *zero = calloc(ncpu > 0 ? ncpu : 1, sizeof(*zero));
	int err = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(map_fd, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

int dp_reset_service(struct ctl *c, uint32_t id)
{
	uint32_t start = 0;

	bpf_map_update_elem(c->loader.maps.cursors, &id, &start, BPF_ANY);
	return zero_counters(c->loader.maps.service_stats, id);
}

int dp_reset_backend(struct ctl *c, uint32_t id)
{
	return zero_counters(c->loader.maps.backend_stats, id);
}

int dp_read_counters(struct ctl *c, int map_fd, uint32_t id, struct weir_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weir_counters *per_cpu;
	int i;

	(void)c;
	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &id, per_cpu)) {
		free(per_cpu);
		return -errno;
	}
	for (i = 0; i < ncpu; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
		sum->new_streams += per_cpu[i].new_streams;
		sum->ended_streams += per_cpu[i].ended_streams;
		sum->refused += per_cpu[i].refused;
	}
	free(per_cpu);
	return 0;
}

int dp_read_reasons(struct ctl *c, uint64_t *counts)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *per_cpu = calloc(ncpu > 0 ? ncpu : 1, sizeof(*per_cpu));
	uint32_t reason;
	int i;

	if (!per_cpu)
		return -ENOMEM;
	for (reason = 0; reason < WEIR_DROP_MAX; reason++) {
		counts[reason] = 0;
		if (bpf_map_lookup_elem(c->loader.maps.stats, &reason, per_cpu))
			continue;
		for (i = 0; i < ncpu; i++)
			counts[reason] += per_cpu[i];
	}
	free(per_cpu);
	return 0;
}
