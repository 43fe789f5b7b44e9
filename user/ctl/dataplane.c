// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Typed writes into the balancer's maps. Each write is compared with a
 * shadow of what was last written, so the update loop touches a map only
 * when something changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/maglev.h"
#include "core/slots.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

struct dp_shadow {
	/* what was last read: every backend's counters, and when */
	struct weir_counters backend_sums[WEIR_MAX_BACKENDS];
	uint64_t backends_read_ns;
	struct weir_backend backends[WEIR_MAX_BACKENDS];
	bool backend_written[WEIR_MAX_BACKENDS];
	struct weir_service services[WEIR_MAX_SERVICES];
	bool service_written[WEIR_MAX_SERVICES];
	uint32_t slots[WEIR_MAX_SERVICES][WEIR_MAX_SLOTS];
	uint32_t ports[WEIR_PORT_WORDS];
	bool ports_written;
};

/* Allocated at first use; nothing written yet means nothing to compare. */
static struct dp_shadow *shadow_of(struct ctl *c)
{
	if (!c->shadow)
		c->shadow = calloc(1, sizeof(*c->shadow));
	return c->shadow;
}

void dp_shadow_free(struct ctl *c)
{
	free(c->shadow);
	c->shadow = NULL;
}

static int write_backend(struct ctl *c, uint32_t id, const struct weir_backend *val)
{
	struct dp_shadow *sh = shadow_of(c);

	if (!sh)
		return -ENOMEM;
	if (sh->backend_written[id] && !memcmp(&sh->backends[id], val, sizeof(*val)))
		return 0;
	if (bpf_map_update_elem(c->loader.maps.backends, &id, val, BPF_ANY)) {
		pr_warn("backend id %u: map update failed: %s\n", id, strerror(errno));
		return -errno;
	}
	sh->backends[id] = *val;
	sh->backend_written[id] = true;
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

/* IP-in-IP: the outer source prefix and the largest outer datagram. */
static void encap_value(const struct ctl_service *svc, struct weir_backend *val)
{
	struct weir_match src;

	config_encap_source(&svc->cfg, &src);
	val->flags |= WEIR_BACKEND_IPIP;
	memcpy(val->encap_source, src.addr.bytes, sizeof(val->encap_source));
	val->encap_prefix_len = src.prefix_len;
	val->encap_mtu = svc->cfg.encap_mtu;
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
		val.max_streams = overload_max_streams(svc, be);
		if (svc->cfg.forwarding == WEIR_FWD_IPIP)
			encap_value(svc, &val);
		if (be->mac_known) {
			memcpy(val.mac, be->mac, sizeof(val.mac));
			val.flags |= WEIR_BACKEND_MAC_VALID;
		}
		err = write_backend(c, be->id, &val);
	}
	return err;
}

/* The backends new streams may go to (the standbys only while no other
 * is usable) and their weights: their own (weighted, maglev) or all equal
 * (round-robin), a trickle for a half-open breaker, a ramp in slow start.
 * Returns how many, their indexes in index[]. */
static size_t steerable(struct ctl_service *svc, uint32_t *weights, uint32_t *index)
{
	bool standbys = !lifecycle_primary_usable(svc);
	size_t i, n = 0;

	for (i = 0; i < svc->n_backends && n < WEIR_MAX_SLOTS; i++) {
		const struct ctl_backend *be = &svc->backends[i];

		if (!state_backend_usable(svc, be) || be->cfg.standby != standbys)
			continue;
		weights[n] = svc->cfg.steering == WEIR_STEER_ROUND_ROBIN ? 1 : be->cfg.weight;
		index[n++] = i;
	}
	n = expressions_steer(svc, weights, index, n);
	overload_trickle(svc, weights, index, n);
	svc->ramp_written = lifecycle_ramp(svc, weights, index, n, ctl_now_ns());
	return n;
}

/* Slot table of the steerable backends; returns the slot count, in
 * backend ids in out[]. */
static int build_slots(struct ctl_service *svc, uint32_t *out)
{
	uint32_t weights[WEIR_MAX_SLOTS], index[WEIR_MAX_SLOTS] = { 0 };
	size_t i, n = steerable(svc, weights, index);
	int count;

	if (!n)
		return 0;
	count = slots_build(weights, n, out, WEIR_MAX_SLOTS);
	for (i = 0; count > 0 && i < (size_t)count; i++)
		out[i] = svc->backends[index[out[i]]].id;
	return count < 0 ? 0 : count;
}

/* A backend as a Maglev table knows it: its family and address, the same
 * on every host whatever its local id. */
static void maglev_key(const struct ctl_backend *be, uint8_t *key, struct maglev_backend *mb,
		       uint32_t weight)
{
	size_t len = maglev_addr_key(be->cfg.addr.family, be->cfg.addr.bytes, key);

	*mb = (struct maglev_backend){ .key = key, .key_len = len, .weight = weight };
}

/* The Maglev table of the steerable backends, written through the map's
 * memory where it changed: each entry a whole u32, so a reader sees the
 * old or the new backend of an entry, both of the service. Returns how
 * many backends it holds, the service's slot_count. */
static int sync_maglev(struct ctl *c, struct ctl_service *svc)
{
	static uint32_t weights[WEIR_MAX_SLOTS], index[WEIR_MAX_SLOTS], table[WEIR_MAGLEV_SIZE_MAX];
	static struct maglev_backend mb[WEIR_MAX_SLOTS];
	static uint8_t keys[WEIR_MAX_SLOTS][MAGLEV_ADDR_KEY_MAX];
	size_t i, n = steerable(svc, weights, index);
	struct weir_maglev_entry *dst;
	uint32_t size = svc->cfg.maglev_size;
	void *scratch;
	int err;

	if (!n || !c->loader.mm.maglev || svc->maglev_table >= WEIR_MAGLEV_TABLES)
		return 0;
	for (i = 0; i < n; i++)
		maglev_key(&svc->backends[index[i]], keys[i], &mb[i], weights[i]);
	scratch = malloc(maglev_scratch_size(n));
	err = scratch ? maglev_build(mb, n, size, table, scratch) : -ENOMEM;
	free(scratch);
	if (err) {
		pr_warn("service %s: maglev table not built: %s\n", svc->cfg.name, strerror(-err));
		return err;
	}
	dst = c->loader.mm.maglev + (size_t)svc->maglev_table * WEIR_MAGLEV_SIZE_MAX;
	for (i = 0; i < size; i++) {
		uint32_t id = svc->backends[index[table[i]]].id;

		if (dst[i].backend_id != id)
			*(volatile uint32_t *)&dst[i].backend_id = id;
	}
	return (int)n;
}

/* Writes count slots; when the table shrinks, the old tail is overwritten
 * with valid slots too, so a reader still holding the old count never
 * lands on a backend that left. */
static int write_slots(struct ctl *c, uint32_t service_id, const uint32_t *slots, int count)
{
	struct dp_shadow *sh = shadow_of(c);
	bool written = sh && sh->service_written[service_id];
	uint32_t prev = written ? sh->services[service_id].slot_count : 0;
	uint32_t i, key, end = prev > (uint32_t)count && count ? prev : (uint32_t)count;

	if (!sh)
		return -ENOMEM;
	for (i = 0; i < end; i++) {
		uint32_t want = slots[i % count];

		if (written && sh->slots[service_id][i] == want)
			continue;
		key = service_id * WEIR_MAX_SLOTS + i;
		if (bpf_map_update_elem(c->loader.maps.slots, &key, &want, BPF_ANY))
			return -errno;
		sh->slots[service_id][i] = want;
	}
	return 0;
}

static int write_service(struct ctl *c, const struct ctl_service *svc,
			 const struct weir_service *val)
{
	struct dp_shadow *sh = shadow_of(c);
	struct weir_service_key key;

	if (!sh)
		return -ENOMEM;
	if (sh->service_written[svc->id] && !memcmp(&sh->services[svc->id], val, sizeof(*val)))
		return 0;
	service_key_of(&svc->cfg, &key);
	if (bpf_map_update_elem(c->loader.maps.services, &key, val, BPF_ANY)) {
		pr_warn("service %s: map update failed: %s\n", svc->cfg.name, strerror(errno));
		return -errno;
	}
	sh->services[svc->id] = *val;
	sh->service_written[svc->id] = true;
	return 0;
}

static uint8_t epochs_of(uint64_t ns)
{
	return (uint8_t)((ns + WEIR_EPOCH_NS - 1) / WEIR_EPOCH_NS);
}

/* What the data plane needs of the service, whole. */
static void service_value(const struct ctl_service *svc, struct weir_service *val)
{
	const struct weir_service_config *cfg = &svc->cfg;

	memset(val, 0, sizeof(*val));
	val->id = svc->id;
	val->steering = cfg->steering;
	val->refuse = cfg->refuse;
	val->flags = (cfg->preempt ? WEIR_SERVICE_PREEMPT : 0) |
		     (svc->requests ? WEIR_SERVICE_REQUESTS : 0) |
		     (cfg->paused ? WEIR_SERVICE_PAUSED : 0) |
		     (cfg->overload.admission == WEIR_ADMISSION_PIE ? WEIR_SERVICE_PIE : 0) |
		     (cfg->fallback == WEIR_FALLBACK_PASS ? WEIR_SERVICE_FALLBACK_PASS : 0) |
		     (svc->shuffle_k ? WEIR_SERVICE_SHUFFLE : 0);
	val->n_rules = cfg->n_classes;
	val->pause_epochs = epochs_of(cfg->pause_after_ns);
	val->handshake_epochs = epochs_of(cfg->handshake_timeout_ns);
	val->default_class = svc->default_class;
	if (cfg->steering == WEIR_STEER_MAGLEV) {
		val->maglev_table = svc->maglev_table;
		val->maglev_size = cfg->maglev_size;
	}
	val->refuse_interval_ns = cfg->refuse_rate ? 1000000000U / cfg->refuse_rate : 0;
	val->idle_timeout_ns = cfg->idle_timeout_ns;
	memcpy(val->limit_streams, svc->limit_streams, sizeof(val->limit_streams));
	memcpy(val->limit_rate, svc->limit_rate, sizeof(val->limit_rate));
	memcpy(val->victims, svc->victims, sizeof(val->victims));
}

/* Backends, classes and slots first, then the service: a reader never
 * sees a slot count or a class that points past what is written. */
int dp_sync_service(struct ctl *c, struct ctl_service *svc)
{
	static uint32_t slots[WEIR_MAX_SLOTS];
	struct weir_service val;
	int count, err;

	service_value(svc, &val);
	err = sync_backends(c, svc);
	if (!err)
		err = classes_sync(c, svc);
	if (err)
		return err;
	if (svc->cfg.steering == WEIR_STEER_MAGLEV) {
		count = sync_maglev(c, svc);
		if (count < 0)
			return count;
	} else {
		count = build_slots(svc, slots);
		err = write_slots(c, svc->id, slots, count);
		if (err)
			return err;
	}
	val.slot_count = count;
	err = write_service(c, svc, &val);
	svc->dirty = err != 0; /* the next tick tries again */
	return err;
}

/* Deletes the service's key; its backends are cleared by the caller, which
 * knows which of their ids the new state uses again. */
int dp_remove_service(struct ctl *c, const struct ctl_service *svc)
{
	struct dp_shadow *sh = shadow_of(c);
	struct weir_service_key key;

	service_key_of(&svc->cfg, &key);
	if (bpf_map_delete_elem(c->loader.maps.services, &key) && errno != ENOENT)
		pr_warn("service %s: map delete failed: %s\n", svc->cfg.name, strerror(errno));
	if (!sh)
		return -ENOMEM;
	sh->service_written[svc->id] = false;
	return 0;
}

int dp_zero_percpu(int map_fd, uint32_t key, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	/* the kernel lays per-CPU values out 8-byte aligned */
	void *zero = ncpu > 0 ? calloc(ncpu, (value_size + 7) & ~(size_t)7) : NULL;

	if (!zero)
		return ncpu > 0 ? -ENOMEM : ncpu;
	if (bpf_map_update_elem(map_fd, &key, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

int dp_reset_service(struct ctl *c, uint32_t id)
{
	const struct loader_maps *m = &c->loader.maps;
	uint32_t start = 0, r;

	bpf_map_update_elem(m->cursors, &id, &start, BPF_ANY);
	if (c->loader.mm.service_counts)
		memset(&c->loader.mm.service_counts[id], 0, sizeof(struct weir_service_counts));
	/* No refusal left over from the id's last owner: not its probability,
	 * nor its PIE sums (a refusal due at once), nor its paced replies. */
	if (c->loader.mm.admission)
		memset(&c->loader.mm.admission[id], 0, sizeof(struct weir_admission));
	dp_zero_percpu(m->pie, id, sizeof(struct weir_pie));
	dp_zero_percpu(m->limiter, id, sizeof(struct weir_limiter));
	for (r = 0; r < WEIR_REASONS_PER_SERVICE; r++)
		dp_zero_percpu(m->service_reasons, id * WEIR_REASONS_PER_SERVICE + r,
			       sizeof(uint64_t));
	return dp_zero_percpu(m->service_stats, id, sizeof(struct weir_counters));
}

int dp_reset_backend(struct ctl *c, uint32_t id)
{
	if (c->shadow)
		c->shadow->backends_read_ns = 0; /* the next reader sees the zeros */
	if (c->loader.mm.backend_counts)
		memset(&c->loader.mm.backend_counts[id], 0, sizeof(struct weir_backend_counts));
	return dp_zero_percpu(c->loader.maps.backend_stats, id, sizeof(struct weir_counters));
}

static void sum_counters(const struct weir_counters *per_cpu, int ncpu, struct weir_counters *sum)
{
	int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ncpu; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
		sum->new_streams += per_cpu[i].new_streams;
		sum->ended_streams += per_cpu[i].ended_streams;
		sum->refused += per_cpu[i].refused;
		sum->icmp_forwarded += per_cpu[i].icmp_forwarded;
		sum->replies += per_cpu[i].replies;
	}
}

int dp_read_counters(struct ctl *c, int map_fd, uint32_t id, struct weir_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weir_counters *per_cpu;

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
	sum_counters(per_cpu, ncpu, sum);
	free(per_cpu);
	return 0;
}

/* Backend ids are handed out lowest first: those in use sit below this. */
static uint32_t backends_span(const struct ctl *c)
{
	uint32_t span = 0;
	size_t i, j;

	for (i = 0; i < c->n_services; i++)
		for (j = 0; j < c->services[i].n_backends; j++)
			if (c->services[i].backends[j].id >= span)
				span = c->services[i].backends[j].id + 1;
	return span;
}

static int read_backend_sums(struct ctl *c, struct weir_counters *sums)
{
	static struct weir_counters *per_cpu;
	static uint32_t keys[WEIR_MAX_BACKENDS];
	static int ncpu;
	uint32_t count = backends_span(c), out, k;

	if (!per_cpu) {
		ncpu = libbpf_num_possible_cpus();
		per_cpu = ncpu > 0 ? calloc((size_t)ncpu * WEIR_MAX_BACKENDS, sizeof(*per_cpu))
				   : NULL;
	}
	if (!per_cpu)
		return -ENOMEM;
	if (count &&
	    bpf_map_lookup_batch(c->loader.maps.backend_stats, NULL, &out, keys, per_cpu, &count,
				 NULL) &&
	    errno != ENOENT)
		return -errno;
	for (k = 0; k < count; k++)
		sum_counters(&per_cpu[(size_t)k * ncpu], ncpu, &sums[k]);
	memset(&sums[k], 0, (WEIR_MAX_BACKENDS - k) * sizeof(*sums));
	return 0;
}

const struct weir_counters *dp_backend_counters(struct ctl *c, uint64_t now, uint64_t *read_ns)
{
	struct dp_shadow *sh = shadow_of(c);

	if (!sh)
		return NULL;
	if (!sh->backends_read_ns || now < sh->backends_read_ns ||
	    now - sh->backends_read_ns >= c->top.update_interval_ns) {
		if (read_backend_sums(c, sh->backend_sums))
			return NULL;
		sh->backends_read_ns = now;
	}
	*read_ns = sh->backends_read_ns;
	return sh->backend_sums;
}

/* Keys first .. first + n - 1 of a per-CPU array of u64, each summed over
 * CPUs, in one batch read. */
static int read_u64_sums(int map_fd, uint32_t first, uint32_t n, uint64_t *sums)
{
	static uint64_t *per_cpu;
	static uint32_t keys[WEIR_REASONS_PER_SERVICE]; /* WEIR_DROP_MAX fit (abi.h) */
	static int ncpu;
	/* the batch starts after in_batch: after the key before the first */
	uint32_t before = first - 1, out, count = n, k;
	int i;

	if (!per_cpu) {
		ncpu = libbpf_num_possible_cpus();
		per_cpu =
			ncpu > 0 ? calloc((size_t)ncpu * ARRAY_SIZE(keys), sizeof(*per_cpu)) : NULL;
	}
	memset(sums, 0, n * sizeof(*sums));
	if (!per_cpu || n > ARRAY_SIZE(keys))
		return -ENOMEM;
	if (bpf_map_lookup_batch(map_fd, first ? &before : NULL, &out, keys, per_cpu, &count,
				 NULL) &&
	    errno != ENOENT)
		return -errno;
	for (k = 0; k < count && k < n; k++)
		for (i = 0; i < ncpu; i++)
			sums[k] += per_cpu[(size_t)k * ncpu + i];
	return 0;
}

int dp_read_reasons(struct ctl *c, uint64_t *counts)
{
	return read_u64_sums(c->loader.maps.stats, 0, WEIR_DROP_MAX, counts);
}

int dp_read_service_reasons(struct ctl *c, uint32_t service_id, uint64_t *counts)
{
	return read_u64_sums(c->loader.maps.service_reasons, service_id * WEIR_REASONS_PER_SERVICE,
			     WEIR_REASONS_PER_SERVICE, counts);
}

/* One of our services, by the key its map entry has. */
struct known_service {
	struct weir_service_key key; /* first: compared as the key itself */
	struct ctl_service *svc;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct weir_service_key));
}

static size_t known_services(struct ctl *c, struct known_service *known)
{
	size_t i;

	for (i = 0; i < c->n_services; i++) {
		service_key_of(&c->services[i].cfg, &known[i].key);
		known[i].svc = &c->services[i];
	}
	qsort(known, c->n_services, sizeof(*known), key_cmp);
	return c->n_services;
}

/* Its entry is gone or not what we wrote: the next sync writes it again. */
static void service_changed(struct dp_shadow *sh, struct ctl_service *svc)
{
	if (!sh->service_written[svc->id])
		return;
	pr_warn("service %s: its map entry was changed by another writer; restored\n",
		svc->cfg.name);
	sh->service_written[svc->id] = false;
	svc->dirty = true;
}

/* One batch read of the map: entries of ours are compared with what we
 * wrote; keys nobody configured steer traffic nobody manages: removed. */
static void verify_services(struct ctl *c)
{
	static struct weir_service_key keys[WEIR_MAX_SERVICES];
	static struct weir_service vals[WEIR_MAX_SERVICES];
	static struct known_service known[WEIR_MAX_SERVICES];
	bool seen[WEIR_MAX_SERVICES] = { false };
	struct dp_shadow *sh = shadow_of(c);
	__u32 count = WEIR_MAX_SERVICES, out, i;
	struct known_service *k;
	size_t n;

	if (!sh)
		return;
	if (bpf_map_lookup_batch(c->loader.maps.services, NULL, &out, keys, vals, &count, NULL) &&
	    errno != ENOENT)
		return;
	n = known_services(c, known);
	for (i = 0; i < count; i++) {
		k = bsearch(&keys[i], known, n, sizeof(*known), key_cmp);
		if (!k) {
			pr_warn("services map: an entry no service of ours has; removed\n");
			bpf_map_delete_elem(c->loader.maps.services, &keys[i]);
			continue;
		}
		seen[k - known] = true;
		if (memcmp(&vals[i], &sh->services[k->svc->id], sizeof(vals[i])))
			service_changed(sh, k->svc);
	}
	for (i = 0; i < n; i++)
		if (!seen[i])
			service_changed(sh, known[i].svc);
}

static void verify_backends(struct ctl *c)
{
	struct dp_shadow *sh = shadow_of(c);
	static struct weir_backend vals[WEIR_MAX_BACKENDS];
	static __u32 keys[WEIR_MAX_BACKENDS];
	__u32 count = WEIR_MAX_BACKENDS, out, i;
	int err;

	if (!sh)
		return;
	err = bpf_map_lookup_batch(c->loader.maps.backends, NULL, &out, keys, vals, &count, NULL);
	if (err && errno != ENOENT)
		return;
	for (i = 0; i < count; i++) {
		__u32 id = keys[i];

		if (id >= WEIR_MAX_BACKENDS || !sh->backend_written[id] ||
		    !memcmp(&vals[i], &sh->backends[id], sizeof(vals[i])))
			continue;
		pr_warn("backend id %u: its map entry was changed by another writer; restored\n",
			id);
		struct weir_backend want = sh->backends[id];

		sh->backend_written[id] = false;
		write_backend(c, id, &want);
	}
}

int dp_verify(struct ctl *c)
{
	verify_services(c);
	verify_backends(c);
	return 0;
}

/* The (protocol, port) bits of every service: a packet to any other port
 * passes after one array lookup. Set after a service is written, cleared
 * after it is removed (the caller's order). */
int dp_sync_ports(struct ctl *c)
{
	struct dp_shadow *sh = shadow_of(c);
	uint32_t want[WEIR_PORT_WORDS] = { 0 }, w;
	size_t i;

	if (!sh)
		return -ENOMEM;
	for (i = 0; i < c->n_services; i++) {
		const struct weir_service_config *cfg = &c->services[i].cfg;

		want[WEIR_PORT_WORD(cfg->proto == IPPROTO_UDP, cfg->port)] |=
			WEIR_PORT_BIT(cfg->port);
	}
	for (w = 0; w < WEIR_PORT_WORDS; w++) {
		if (sh->ports_written && sh->ports[w] == want[w])
			continue;
		if (bpf_map_update_elem(c->loader.maps.ports, &w, &want[w], BPF_ANY))
			return -errno;
		sh->ports[w] = want[w];
	}
	sh->ports_written = true;
	return 0;
}
