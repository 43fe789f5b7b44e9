// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The running state against the maps: adoption after a restart, ids held
 * while streams name them, another writer's changes undone, a slow start
 * that ends on a late tick, a backend added to a ranked service. */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests.h"

/* b1 has no MAC given and none is learned here (no interface, no tick). */
#define NO_MAC_DOC                                                                             \
	"services:\n"                                                                          \
	"  - {name: web, vip: 198.18.1.100, port: 80, proto: tcp, health: {enabled: false},\n" \
	"     backends: [{addr: 198.18.0.11, mac: \"02:00:00:00:00:11\"}, {addr: 198.18.0.12}]}\n"

static struct weir_backend backend_entry(struct scene *s, uint32_t id)
{
	struct weir_backend be;

	assert_int_equal(bpf_map_lookup_elem(s->c.loader.maps.backends, &id, &be), 0);
	return be;
}

/* An unresolved backend's entry says so, and a restarted controller does
 * not take its zeros for a MAC: it learns it, and sends nothing meanwhile. */
static void adoption_without_mac(void **state)
{
	struct scene *s = *state;
	uint32_t with, without;
	struct weir_backend be;

	scene_apply_ok(s, NO_MAC_DOC);
	with = scene_backend(s, "web", "198.18.0.11")->id;
	without = scene_backend(s, "web", "198.18.0.12")->id;
	be = backend_entry(s, without);
	assert_int_equal(be.flags, WEIR_BACKEND_IN_USE);
	assert_int_equal(backend_entry(s, with).flags,
			 WEIR_BACKEND_IN_USE | WEIR_BACKEND_MAC_VALID);
	assert_int_equal(scene_restart(s), 0);
	assert_int_equal(s->c.n_services, 1);
	assert_true(scene_backend(s, "pinned-0", "198.18.0.11")->mac_known);
	assert_false(scene_backend(s, "pinned-0", "198.18.0.12")->mac_known);
	scene_apply_ok(s, NO_MAC_DOC);
	assert_int_equal(scene_backend(s, "web", "198.18.0.12")->id, without);
	assert_false(scene_backend(s, "web", "198.18.0.12")->mac_known);
	assert_string_equal(state_backend_status(state_find_service(&s->c, "web"),
						 scene_backend(s, "web", "198.18.0.12")),
			    "no-mac");
	assert_int_equal(backend_entry(s, without).flags, WEIR_BACKEND_IN_USE);
}

/* An entry that claims a valid MAC of zeros (a build before the flag, a
 * stray writer) is not believed either. */
static void adoption_rejects_zero_mac(void **state)
{
	struct scene *s = *state;
	struct weir_backend be;
	uint32_t id;

	scene_apply_ok(s, NO_MAC_DOC);
	id = scene_backend(s, "web", "198.18.0.12")->id;
	be = backend_entry(s, id);
	be.flags |= WEIR_BACKEND_MAC_VALID;
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.backends, &id, &be, BPF_ANY), 0);
	assert_int_equal(scene_restart(s), 0);
	assert_false(scene_backend(s, "pinned-0", "198.18.0.12")->mac_known);
}

#define ONE_BACKEND(addr)                                                                      \
	"services:\n"                                                                          \
	"  - {name: web, vip: 198.18.1.100, port: 80, proto: tcp, health: {enabled: false},\n" \
	"     backends: [{addr: " addr ", mac: \"02:00:00:00:00:11\"}]}\n"

/* A deleted backend's id is not handed out while a stream may still name
 * it: only after a sweep pass that began after the deletion, which removes
 * those streams. */
static void id_held_while_streams_name_it(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc;
	uint32_t old;

	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	svc = state_find_service(&s->c, "web");
	old = svc->backends[0].id;
	scene_add_stream(s, svc, 5000, old, 0, 0);
	scene_apply_ok(s, ONE_BACKEND("198.18.0.12"));
	svc = state_find_service(&s->c, "web");
	assert_int_not_equal(svc->backends[0].id, old);
	assert_true(scene_has_stream(s, svc, 5000));
	scene_sweep(s);
	assert_false(scene_has_stream(s, svc, 5000));
	scene_apply_ok(s, ONE_BACKEND("198.18.0.13"));
	svc = state_find_service(&s->c, "web");
	assert_int_equal(svc->backends[0].id, old);
}

/* The same for a service id, and a restarted controller (which does not
 * know what the last one held) removes such streams before it hands out
 * any id. */
static void service_id_held_across_restart(void **state)
{
	struct scene *s = *state;
	struct ctl_service *svc;
	uint32_t old;

	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	svc = state_find_service(&s->c, "web");
	old = svc->id;
	scene_add_stream(s, svc, 6000, svc->backends[0].id, 0, 0);
	scene_apply_ok(s, "services: []\n");
	assert_int_equal(scene_restart(s), 0);
	assert_int_equal(scene_stream_count(s), 0);
	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	assert_int_equal(state_find_service(&s->c, "web")->id, old);
}

/* A service id handed to a new service carries none of its last owner's
 * refusal state: no PIE sum that refuses at once, no reply pace. */
static void reused_service_id_starts_clean(void **state)
{
	struct scene *s = *state;
	int ncpu = libbpf_num_possible_cpus(), i;
	struct weir_pie *pie = calloc(ncpu, sizeof(*pie));
	struct weir_limiter *lim = calloc(ncpu, sizeof(*lim));
	uint32_t id;

	assert_non_null(pie);
	assert_non_null(lim);
	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	id = state_find_service(&s->c, "web")->id;
	for (i = 0; i < ncpu; i++) {
		pie[i].sum = 1ULL << 35;
		lim[i].next_ns = UINT64_MAX / 2;
	}
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.pie, &id, pie, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.limiter, &id, lim, BPF_ANY), 0);
	scene_apply_ok(s, "services: []\n");
	scene_sweep(s);
	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	assert_int_equal(state_find_service(&s->c, "web")->id, id);
	assert_int_equal(bpf_map_lookup_elem(s->c.loader.maps.pie, &id, pie), 0);
	assert_int_equal(bpf_map_lookup_elem(s->c.loader.maps.limiter, &id, lim), 0);
	for (i = 0; i < ncpu; i++) {
		assert_int_equal(pie[i].sum, 0);
		assert_int_equal(lim[i].next_ns, 0);
	}
	free(pie);
	free(lim);
}

/* Sets every CPU's value of key in a per-CPU array of u64 to cpu + 1
 * times v: the sum over CPUs is v * ncpu * (ncpu + 1) / 2. */
static void set_u64(int fd, uint32_t key, uint64_t v)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t *vals = calloc(ncpu, sizeof(*vals));

	assert_non_null(vals);
	for (i = 0; i < ncpu; i++)
		vals[i] = (i + 1) * v;
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	free(vals);
}

/* Reasons are read for the service asked, all of them and no other's, and
 * summed over CPUs; so are the data plane's. */
static void reasons_read(void **state)
{
	struct scene *s = *state;
	int fd = s->c.loader.maps.service_reasons, ncpu = libbpf_num_possible_cpus();
	uint64_t counts[WEIR_REASONS_PER_SERVICE], tri = (uint64_t)ncpu * (ncpu + 1) / 2;
	uint32_t r, id = 3;

	for (r = 0; r < 3 * WEIR_REASONS_PER_SERVICE; r++)
		set_u64(fd, (id - 1) * WEIR_REASONS_PER_SERVICE + r, 1000 + r);
	assert_int_equal(dp_read_service_reasons(&s->c, id, counts), 0);
	for (r = 0; r < WEIR_REASONS_PER_SERVICE; r++)
		assert_int_equal(counts[r], (1000 + WEIR_REASONS_PER_SERVICE + r) * tri);
	assert_int_equal(dp_read_service_reasons(&s->c, id - 1, counts), 0);
	assert_int_equal(counts[0], 1000 * tri);
	for (r = 0; r < WEIR_DROP_MAX; r++)
		set_u64(s->c.loader.maps.stats, r, 7 + r);
	assert_int_equal(dp_read_reasons(&s->c, counts), 0);
	for (r = 0; r < WEIR_DROP_MAX; r++)
		assert_int_equal(counts[r], (7 + r) * tri);
}

static void set_ended(struct scene *s, uint32_t id, uint64_t v)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct weir_counters *per_cpu = calloc(ncpu, sizeof(*per_cpu));

	assert_non_null(per_cpu);
	for (i = 0; i < ncpu; i++)
		per_cpu[i].ended_streams = (i + 1) * v;
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.backend_stats, &id, per_cpu, BPF_ANY),
			 0);
	free(per_cpu);
}

/* Every backend's counters come from one read, shared until it is an
 * update interval old; a reset backend is read again at once. */
static void backend_counters_shared(void **state)
{
	struct scene *s = *state;
	int ncpu = libbpf_num_possible_cpus();
	uint64_t tri = (uint64_t)ncpu * (ncpu + 1) / 2, t = 1000000000ULL, read_ns;
	uint64_t interval = s->c.top.update_interval_ns;
	const struct weir_counters *all;
	uint32_t id;

	scene_apply_ok(s, ONE_BACKEND("198.18.0.11"));
	id = scene_backend(s, "web", "198.18.0.11")->id;
	set_ended(s, id, 1);
	all = dp_backend_counters(&s->c, t, &read_ns);
	assert_non_null(all);
	assert_int_equal(read_ns, t);
	assert_int_equal(all[id].ended_streams, tri);
	set_ended(s, id, 2);
	all = dp_backend_counters(&s->c, t + interval - 1, &read_ns);
	assert_int_equal(read_ns, t);
	assert_int_equal(all[id].ended_streams, tri);
	all = dp_backend_counters(&s->c, t + interval, &read_ns);
	assert_int_equal(read_ns, t + interval);
	assert_int_equal(all[id].ended_streams, 2 * tri);
	dp_reset_backend(&s->c, id);
	all = dp_backend_counters(&s->c, t + interval + 1, &read_ns);
	assert_int_equal(all[id].ended_streams, 0);
}

/* web's entry changed (or deleted) by another writer is written again
 * at the next sync. */
static void service_restored(struct scene *s, bool deleted)
{
	struct weir_service_key key = {
		.addr = { 198, 18, 1, 100 }, .port = 0x5000, .proto = 6, .family = WEIR_AF_INET
	};
	struct ctl_service *svc = state_find_service(&s->c, "web");
	int fd = s->c.loader.maps.services;
	struct weir_service want, val;

	assert_int_equal(bpf_map_lookup_elem(fd, &key, &want), 0);
	val = want;
	val.slot_count = 0;
	if (deleted)
		assert_int_equal(bpf_map_delete_elem(fd, &key), 0);
	else
		assert_int_equal(bpf_map_update_elem(fd, &key, &val, BPF_ANY), 0);
	svc->dirty = false;
	dp_verify(&s->c);
	assert_true(svc->dirty);
	assert_int_equal(dp_sync_service(&s->c, svc), 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &val), 0);
	assert_memory_equal(&val, &want, sizeof(val));
}

/* Another writer's values in our maps are found and undone, and a
 * service key nobody configured is removed. */
static void verify_restores(void **state)
{
	struct scene *s = *state;
	struct weir_service_key key = {
		.addr = { 198, 18, 1, 7 }, .port = 0x5000, .proto = 6, .family = WEIR_AF_INET
	};
	struct weir_service stray = { .id = 9 };
	struct weir_backend be, want;
	uint32_t id;

	scene_apply_ok(s, WEB_DOC);
	id = scene_backend(s, "web", "198.18.0.11")->id;
	want = backend_entry(s, id);
	be = want;
	memset(be.mac, 0xee, sizeof(be.mac));
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.backends, &id, &be, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.services, &key, &stray, BPF_ANY), 0);
	dp_verify(&s->c);
	be = backend_entry(s, id);
	assert_memory_equal(&be, &want, sizeof(be));
	assert_int_not_equal(bpf_map_lookup_elem(s->c.loader.maps.services, &key, &stray), 0);
	service_restored(s, false);
	service_restored(s, true);
}

/* A slow start's last ramped table is replaced by the full weights on the
 * first tick after the window, however late that tick comes: a tick that
 * skipped past the window's end left b2 short of its share for good. */
static void slow_start_ends_after_late_tick(void **state)
{
	struct scene *s = *state;
	struct ctl_backend *b1, *b2;
	uint64_t now = ctl_now_ns();

	scene_apply_ok(s, WEB_DOC "    slow-start: 6s\n");
	b1 = scene_backend(s, "web", "198.18.0.11");
	b2 = scene_backend(s, "web", "198.18.0.12");
	ctl_tick(&s->c, now); /* what a first tick settles */
	b1->usable_since_ns = now - 10 * SEC; /* ramped up long ago */
	b2->usable_since_ns = now - 3 * SEC; /* half way */
	ctl_tick(&s->c, now + 100000000);
	assert_int_not_equal(scene_slot_count(s), 2);
	/* the next tick comes 4 s late: b2's window ended 1 s before it */
	b2->usable_since_ns = now - 7 * SEC;
	ctl_tick(&s->c, ctl_now_ns());
	assert_int_equal(scene_slot_count(s), 2);
	assert_int_equal(lifecycle_ramp_left(state_find_service(&s->c, "web"), b2, ctl_now_ns()),
			 0);
}

/* A backend added to a ranked service takes its share from the start: the
 * table written on the change, before any tick ranked it, gave it a
 * weight of 1 against the others' 1000. */
static void added_backend_ranked_lowest(void **state)
{
	struct scene *s = *state;

	scene_apply_ok(s, WEB_DOC "    capacity-ranking: \"weight\"\n");
	ctl_tick(&s->c, ctl_now_ns());
	assert_int_equal(scene_slot_count(s), 2);
	scene_apply_ok(s, WEB_DOC "      - {addr: 198.18.0.13, mac: \"02:00:00:00:00:13\"}\n"
				  "    capacity-ranking: \"weight\"\n");
	assert_int_equal(scene_slot_count(s), 3);
}

static const struct CMUnitTest tests[] = {
	ctl_test(adoption_without_mac),
	ctl_test(adoption_rejects_zero_mac),
	ctl_test(id_held_while_streams_name_it),
	ctl_test(service_id_held_across_restart),
	ctl_test(reused_service_id_starts_clean),
	ctl_test(reasons_read),
	ctl_test(backend_counters_shared),
	ctl_test(verify_restores),
	ctl_test(slow_start_ends_after_late_tick),
	ctl_test(added_backend_ranked_lowest),
};

const struct test_group state_group = { "state", tests, ARRAY_SIZE(tests) };
