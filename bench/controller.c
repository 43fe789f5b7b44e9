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
#include "weir/counts.h"
#include "weir.skel.h"
#include "ctl/ctl.h"
#include "bench.h"

#define TICKS 20

#define SIZES 3
#define INTERVAL_NS 100000000ULL

static const __u32 sizes[SIZES] = { 10000, 100000, 1000000 };

struct ctl_scene {
	struct weir_bpf *skel;
	struct ctl c;
	__u32 streams;
};

static int use_skeleton_maps(struct ctl *c, struct weir_bpf *skel)
{
	struct loader_maps *m = &c->loader.maps;

	m->services = bpf_map__fd(skel->maps.weir_services);
	m->backends = bpf_map__fd(skel->maps.weir_backends);
	m->slots = bpf_map__fd(skel->maps.weir_slots);
	m->cursors = bpf_map__fd(skel->maps.weir_cursors);
	m->streams = bpf_map__fd(skel->maps.weir_streams);
	m->service_stats = bpf_map__fd(skel->maps.weir_service_stats);
	m->backend_stats = bpf_map__fd(skel->maps.weir_backend_stats);
	m->stats = bpf_map__fd(skel->maps.weir_stats);
	m->meta = bpf_map__fd(skel->maps.weir_meta);
	m->classes = bpf_map__fd(skel->maps.weir_classes);
	m->class_counts = bpf_map__fd(skel->maps.weir_class_counts);
	m->class_stats = bpf_map__fd(skel->maps.weir_class_stats);
	m->service_counts = bpf_map__fd(skel->maps.weir_service_counts);
	m->backend_counts = bpf_map__fd(skel->maps.weir_backend_counts);
	m->service_reasons = bpf_map__fd(skel->maps.weir_service_reasons);
	m->rules = bpf_map__fd(skel->maps.weir_rules);
	m->requests = bpf_map__fd(skel->maps.weir_requests);
	m->grants = bpf_map__fd(skel->maps.weir_grants);
	m->limiter = bpf_map__fd(skel->maps.weir_limiter);
	m->ports = bpf_map__fd(skel->maps.weir_ports);
	m->admission = bpf_map__fd(skel->maps.weir_admission);
	m->pie = bpf_map__fd(skel->maps.weir_pie);
	m->maglev = bpf_map__fd(skel->maps.weir_maglev);
	return loader_map_memory(&c->loader);
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
		vals[i].class_id = svc->default_class;
		vals[i].epoch = weir_epoch_of(now);
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
	err = use_skeleton_maps(&s->c, s->skel);
	if (!err)
		err = apply_service(&s->c);
	return err ? err : fill_streams(s);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CLASS_SIZES 3
static const unsigned int class_sizes[CLASS_SIZES] = { 16, 256, 4096 };

struct ctl_results {
	struct series pass_ms[SIZES], pass_cpu_ms[SIZES], counters_ms[SIZES], tick_cpu_ms[SIZES];
	struct series tick_max_ms[SIZES];
	struct series alloc_ms[SIZES][CLASS_SIZES], epoch_ms[SIZES][CLASS_SIZES];
	struct series list_ms[SIZES], list_slice_ms[SIZES];
	struct series interval_ms;
	int short_passes, failed_lists, failed_spreads;
};

/* Back to the default class alone: the classes of the last count or round
 * go. A pass finds no stream in them (every stream is in the default
 * class), so an epoch's release pass may have dropped some and held their
 * ids until the next pass; no stream entry names them, so their ids are
 * free again at once. */
static void drop_classes(struct ctl_scene *s)
{
	struct ctl_service *svc = &s->c.services[0];
	size_t i, kept = 0;

	for (i = 0; i < svc->n_classes; i++) {
		if (svc->classes[i].id == svc->default_class)
			svc->classes[kept++] = svc->classes[i];
		else
			classes_clear(&s->c, svc->classes[i].id);
	}
	svc->n_classes = kept;
	memset(s->c.class_held_until, 0, sizeof(s->c.class_held_until));
}

/* The service gets exactly k classes (the default among them), with the
 * scene's streams spread over them in the shared counts, as the data plane
 * would count them, and a rate capacity they share. */
static int spread_classes(struct ctl_scene *s, unsigned int k)
{
	struct ctl_service *svc = &s->c.services[0];
	struct loader_mmaps *mm = &s->c.loader.mm;
	struct weir_service_counts *sc = &mm->service_counts[svc->id];
	size_t i;

	drop_classes(s);
	svc->cfg.capacity_rate = 100000000000ULL;
	svc->cfg.capacity_streams = 2 * s->streams;
	while (svc->n_classes < k) {
		uint64_t min = 1000 * (svc->n_classes + 1);

		if (!classes_add(&s->c, svc, min, 20 * min, svc->n_classes % 8))
			return -ENOSPC;
	}
	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < svc->n_classes; i++) {
		struct ctl_class *cl = &svc->classes[i];
		uint64_t n = s->streams / k + (i < s->streams % k);

		mm->class_counts[cl->id].active = n;
		sc->streams += n;
		sc->committed_bps += n * cl->min_bps;
	}
	return 0;
}

_Static_assert(TICKS <= BENCH_ROUNDS_MAX, "a series holds every tick of a round");

/* The median of TICKS allocation updates: a round's one value. */
static double allocation_tick_ms(struct ctl_scene *s)
{
	struct series ticks = { 0 };
	int i;

	classes_tick(&s->c, ctl_now_ns()); /* settles the limits and rates once */
	for (i = 0; i < TICKS; i++) {
		double t0 = now_seconds();

		classes_tick(&s->c, ctl_now_ns());
		series_add(&ticks, (now_seconds() - t0) * 1e3);
	}
	return series_median(&ticks);
}

/* Every update's allocation work (measure, allocate, write rates and
 * limits), and the once-an-epoch release pass over every class's slots. */
static void measure_allocation(struct ctl_scene *s, int k, struct ctl_results *r)
{
	double t0;
	int c;

	for (c = 0; c < CLASS_SIZES; c++) {
		if (spread_classes(s, class_sizes[c])) {
			r->failed_spreads++;
			continue;
		}
		series_add(&r->alloc_ms[k][c], allocation_tick_ms(s));
		s->c.released_epoch = 0; /* the next tick is an epoch's first */
		t0 = now_seconds();
		classes_tick(&s->c, ctl_now_ns());
		series_add(&r->epoch_ms[k][c], (now_seconds() - t0) * 1e3);
	}
}

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

/* `weir stream list --limit 100` as the socket server runs it: in slices
 * of the update loop; the whole answer, and the longest slice. */
static void measure_list(struct ctl_scene *s, int k, struct ctl_results *r)
{
	static const char req[] = "{\"cmd\":\"stream.list\",\"args\":{\"limit\":\"100\"}}";
	struct api_job *job = NULL;
	double t0 = now_seconds(), longest = 0;
	char *reply = api_dispatch(&s->c, req, sizeof(req) - 1, &job);

	while (!reply && job) {
		double t = now_seconds();

		reply = api_job_step(&s->c, job, ctl_now_ns() + 5000000ULL);
		if (now_seconds() - t > longest)
			longest = now_seconds() - t;
	}
	if (reply && strstr(reply, "\"ok\":true")) {
		series_add(&r->list_ms[k], (now_seconds() - t0) * 1e3);
		series_add(&r->list_slice_ms[k], longest * 1e3);
	} else {
		r->failed_lists++;
	}
	free(reply);
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
	measure_allocation(s, k, r);
	measure_list(s, k, r);
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
	snprintf(name, sizeof(name), "weir stream list --limit 100, %u streams (answer)", sizes[k]);
	row.value = &r->list_ms[k];
	row.note = "the whole table walked in slices of 5 ms between the loop's other work";
	rows_add(rows, &row);
	snprintf(name, sizeof(name), "weir stream list, %u streams (longest slice)", sizes[k]);
	row.value = &r->list_slice_ms[k];
	row.note = "how long the list holds the loop up at most";
	rows_add(rows, &row);
}

static void report_allocation(json_object *rows, struct ctl_results *r, int k)
{
	char name[128];
	int c;

	for (c = 0; c < CLASS_SIZES; c++) {
		struct row row = {
			"controller",
			name,
			"ms",
			&r->alloc_ms[k][c],
			"update interval",
			&r->interval_ms,
			class_sizes[c] == 256 && sizes[k] == 1000000 ? "< 1 ms" : NULL,
			-1,
			"classes_tick, a round's median of 20: read counts and counters, "
			"allocate, write rates and limits; no stream entry is read"
		};

		snprintf(name, sizeof(name), "allocation update, %u streams in %u classes",
			 sizes[k], class_sizes[c]);
		if (row.target)
			row.met = series_median(row.value) < 1;
		rows_add(rows, &row);
		snprintf(
			name, sizeof(name),
			"allocation update with the epoch's release pass, %u streams in %u classes",
			sizes[k], class_sizes[c]);
		row.value = &r->epoch_ms[k][c];
		row.target = NULL;
		row.met = -1;
		row.note = "once an epoch (2^30 ns): every class's 64 slots looked at";
		rows_add(rows, &row);
	}
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

static void report_failures(const struct ctl_results *r)
{
	if (r->short_passes)
		fprintf(stderr, "bench: %d passes saw fewer streams than were filled\n",
			r->short_passes);
	if (r->failed_lists)
		fprintf(stderr, "bench: %d stream lists failed (left out of the figures)\n",
			r->failed_lists);
	if (r->failed_spreads)
		fprintf(stderr,
			"bench: %d class counts could not be set up (no free class id; left "
			"out of the figures)\n",
			r->failed_spreads);
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
	if (!err)
		report_failures(r);
	if (!err) {
		for (k = 0; k < SIZES; k++)
			report_size(rows, r, k);
		for (k = 0; k < SIZES; k++)
			report_allocation(rows, r, k);
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
