// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The controller at 10k, 100k and 1M streams: one full pass over the
 * stream table with batch lookups (dp_sweep_step without a budget: the
 * code `weir run` runs, in budgeted steps, every second), reading every
 * counter, and the update loop's CPU time per 100 ms interval and longest
 * tick while a pass is under way. The baseline is the interval itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "weir/abi.h"
#include "weir.skel.h"
#include "ctl/ctl.h"
#include "bench.h"

#define SIZES 3
#define INTERVAL_NS 100000000ULL

static const __u32 sizes[SIZES] = { 10000, 100000, 1000000 };

struct ctl_scene {
	struct weir_bpf *skel;
	struct ctl c;
	__u32 streams;
};

static void use_skeleton_maps(struct ctl *c, struct weir_bpf *skel)
{
	c->loader.maps.services = bpf_map__fd(skel->maps.weir_services);
	c->loader.maps.backends = bpf_map__fd(skel->maps.weir_backends);
	c->loader.maps.slots = bpf_map__fd(skel->maps.weir_slots);
	c->loader.maps.cursors = bpf_map__fd(skel->maps.weir_cursors);
	c->loader.maps.streams = bpf_map__fd(skel->maps.weir_streams);
	c->loader.maps.service_stats = bpf_map__fd(skel->maps.weir_service_stats);
	c->loader.maps.backend_stats = bpf_map__fd(skel->maps.weir_backend_stats);
	c->loader.maps.stats = bpf_map__fd(skel->maps.weir_stats);
}

/* One TCP service with three backends whose MACs are given, health off:
 * the tick then does no network I/O and only the maps are measured. */
static int apply_service(struct ctl *c)
{
	struct weir_backend_config be[3];
	struct weir_service_config svc;
	struct weir_config cfg;
	char err[WEIR_ERR_MAX] = "";
	int i, ret;

	config_init(&cfg);
	config_service_init(&svc, IPPROTO_TCP);
	snprintf(svc.name, sizeof(svc.name), "bench");
	units_parse_addr("198.18.1.100", &svc.vip);
	svc.port = 80;
	svc.health.enabled = false;
	for (i = 0; i < 3; i++) {
		char addr[32];

		config_backend_init(&be[i]);
		snprintf(addr, sizeof(addr), "198.18.0.%d", 11 + i);
		units_parse_addr(addr, &be[i].addr);
		be[i].has_mac = true;
		be[i].mac[0] = 2;
		be[i].mac[5] = i;
	}
	svc.backends = be;
	svc.n_backends = 3;
	cfg.services = &svc;
	cfg.n_services = 1;
	c->top = cfg;
	c->top.services = NULL;
	c->top.n_services = 0;
	ret = state_apply(c, &cfg, err, sizeof(err));
	if (ret)
		fprintf(stderr, "bench: %s\n", err);
	return ret;
}

static int fill_streams(struct ctl_scene *s)
{
	struct weir_stream_key *keys = calloc(s->streams, sizeof(*keys));
	struct weir_stream *vals = calloc(s->streams, sizeof(*vals));
	struct ctl_service *svc = &s->c.services[0];
	__u64 now = ctl_now_ns();
	__u32 i, count = s->streams;
	int err = -ENOMEM;

	if (!keys || !vals)
		goto out;
	for (i = 0; i < s->streams; i++) {
		__u16 sport = htons(1024 + i % 50000);
		__u32 host = i / 50000;

		keys[i].family = WEIR_AF_INET;
		keys[i].proto = IPPROTO_TCP;
		keys[i].src[0] = 198;
		keys[i].src[1] = 18;
		keys[i].src[2] = 128 + (host >> 8);
		keys[i].src[3] = host & 0xff;
		memcpy(keys[i].dst, svc->cfg.vip.bytes, 4);
		memcpy(&keys[i].sport, &sport, 2);
		keys[i].dport = htons(80);
		vals[i].service_id = svc->id;
		vals[i].backend_id = svc->backends[i % 3].id;
		vals[i].first_seen_ns = vals[i].last_seen_ns = now;
	}
	err = bpf_map_update_batch(s->c.loader.maps.streams, keys, vals, &count, NULL);
out:
	free(keys);
	free(vals);
	return err;
}

static int scene_open(struct ctl_scene *s, __u32 streams)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->streams = streams;
	s->c.listen_fd = -1;
	s->skel = weir_bpf__open();
	if (!s->skel)
		return -ENOENT;
	/* A quarter more room than streams, as an operator would size it. */
	bpf_map__set_max_entries(s->skel->maps.weir_streams, streams + streams / 4);
	err = weir_bpf__load(s->skel);
	if (err)
		return err;
	use_skeleton_maps(&s->c, s->skel);
	err = apply_service(&s->c);
	return err ? err : fill_streams(s);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ctl_results {
	struct series pass_ms[SIZES], pass_cpu_ms[SIZES], counters_ms[SIZES], tick_cpu_ms[SIZES];
	struct series tick_max_ms[SIZES];
	struct series interval_ms;
	int short_passes;
};

static void read_all_counters(struct ctl *c)
{
	uint64_t reasons[WEIR_DROP_MAX];
	struct weir_counters sum;
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		dp_read_counters(c, c->loader.maps.service_stats, c->services[i].id, &sum);
		for (j = 0; j < c->services[i].n_backends; j++)
			dp_read_counters(c, c->loader.maps.backend_stats,
					 c->services[i].backends[j].id, &sum);
	}
	dp_read_reasons(c, reasons);
}

#define TICKS 20

/* Ticks from the start of a pass, as `weir run` makes them: CPU per tick
 * and the longest tick (how long the loop is held up). */
static void measure_ticks(struct ctl_scene *s, int k, struct ctl_results *r)
{
	double c0 = cpu_seconds(), longest = 0;
	int i;

	s->c.next_sweep_ns = 0;
	for (i = 0; i < TICKS; i++) {
		double t0 = now_seconds();

		ctl_tick(&s->c, ctl_now_ns());
		if (now_seconds() - t0 > longest)
			longest = now_seconds() - t0;
	}
	series_add(&r->tick_cpu_ms[k], (cpu_seconds() - c0) * 1e3 / TICKS);
	series_add(&r->tick_max_ms[k], longest * 1e3);
	while (dp_sweep_in_pass(&s->c)) /* finish it: the next round starts afresh */
		dp_sweep_step(&s->c, ctl_now_ns(), ~0ULL);
}

static void measure(struct ctl_scene *s, int k, struct ctl_results *r)
{
	double t0 = now_seconds(), c0 = cpu_seconds();

	dp_sweep_step(&s->c, ctl_now_ns(), ~0ULL);
	series_add(&r->pass_ms[k], (now_seconds() - t0) * 1e3);
	series_add(&r->pass_cpu_ms[k], (cpu_seconds() - c0) * 1e3);
	if (s->c.total_streams != s->streams)
		r->short_passes++;
	t0 = now_seconds();
	read_all_counters(&s->c);
	series_add(&r->counters_ms[k], (now_seconds() - t0) * 1e3);
	measure_ticks(s, k, r);
}

/* The kernel's own accounting of the map (fdinfo "memlock"). */
static long map_memlock(int fd)
{
	char path[64], line[128];
	long bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &bytes) == 1)
			break;
	if (f)
		fclose(f);
	return bytes;
}

static void report_size(json_object *rows, struct ctl_results *r, int k)
{
	char name[128];
	struct row row = { "controller",
			   name,
			   "ms",
			   NULL,
			   "update interval",
			   &r->interval_ms,
			   "<= 50 ms (half the interval)",
			   -1,
			   NULL };

	snprintf(name, sizeof(name), "stream table pass, %u streams (wall)", sizes[k]);
	row.value = &r->pass_ms[k];
	row.met = series_median(row.value) <= 50;
	rows_add(rows, &row);
	snprintf(name, sizeof(name), "stream table pass, %u streams (CPU)", sizes[k]);
	row.value = &r->pass_cpu_ms[k];
	row.met = series_median(row.value) <= 50;
	rows_add(rows, &row);
	snprintf(name, sizeof(name), "read every counter, %u streams", sizes[k]);
	row.value = &r->counters_ms[k];
	row.target = NULL;
	row.met = -1;
	rows_add(rows, &row);
	snprintf(name, sizeof(name), "update loop CPU per 100 ms interval, %u streams", sizes[k]);
	row.value = &r->tick_cpu_ms[k];
	row.note = "20 ticks from the start of a pass; the sweep gets at most 20 ms a tick";
	rows_add(rows, &row);
	snprintf(name, sizeof(name), "longest update tick, %u streams", sizes[k]);
	row.value = &r->tick_max_ms[k];
	row.note = "how long the loop (socket, health checks) is held up at most";
	rows_add(rows, &row);
}

static void report_memory(json_object *rows, const struct ctl_scene *big)
{
	static struct series entry, target, kernel;
	__u32 max = big->streams + big->streams / 4;
	struct row row = { "controller",
			   "stream entry: key + value",
			   "bytes",
			   &entry,
			   "target",
			   &target,
			   "<= 128 bytes",
			   1,
			   NULL };
	long memlock = map_memlock(big->c.loader.maps.streams);

	series_add(&entry, sizeof(struct weir_stream_key) + sizeof(struct weir_stream));
	series_add(&target, 128);
	row.met = series_median(&entry) <= 128;
	rows_add(rows, &row);
	if (memlock > 0) {
		series_add(&kernel, (double)memlock / max);
		row.name = "stream entry: kernel memory per table entry (fdinfo memlock / entries)";
		row.value = &kernel;
		row.target = NULL;
		row.met = -1;
		row.note = "LRU hash, preallocated: element header, key, value, buckets";
		rows_add(rows, &row);
	}
}

int bench_controller(int rounds, const char *out)
{
	struct ctl_scene *s = calloc(SIZES, sizeof(*s));
	struct ctl_results *r = calloc(1, sizeof(*r));
	json_object *rows = json_object_new_array();
	int i, k, err = s && r ? 0 : -ENOMEM;

	for (k = 0; !err && k < SIZES; k++) {
		fprintf(stderr, "controller: filling %u streams\n", sizes[k]);
		err = scene_open(&s[k], sizes[k]);
	}
	for (i = 0; !err && i < rounds; i++) {
		fprintf(stderr, "controller: round %d/%d\n", i + 1, rounds);
		series_add(&r->interval_ms, INTERVAL_NS / 1e6);
		for (k = 0; k < SIZES; k++)
			measure(&s[k], k, r);
	}
	if (!err && r->short_passes)
		fprintf(stderr, "bench: %d passes saw fewer streams than were filled\n",
			r->short_passes);
	if (!err) {
		for (k = 0; k < SIZES; k++)
			report_size(rows, r, k);
		report_memory(rows, &s[SIZES - 1]);
		err = rows_write(rows, out);
	}
	for (k = 0; s && k < SIZES; k++) {
		state_free(&s[k].c);
		dp_sweep_free(&s[k].c);
		weir_bpf__destroy(s[k].skel);
	}
	json_object_put(rows);
	free(s);
	free(r);
	return err;
}
