// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "weir/counts.h"
#include "fixture.h"

static int scene_start(struct scene *s)
{
	struct weir_config cfg;
	int err;

	config_init(&cfg);
	s->c.top = cfg;
	s->c.listen_fd = -1;
	s->c.socket_path = s->socket_path;
	err = loader_start(&s->c.loader, s->pin_dir, &cfg);
	if (!err)
		err = state_adopt_pinned(&s->c);
	return err;
}

int scene_setup(void **state)
{
	static int n;
	struct scene *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	snprintf(s->pin_dir, sizeof(s->pin_dir), "/sys/fs/bpf/weir-ctltest-%d-%d", getpid(), n);
	snprintf(s->run_dir, sizeof(s->run_dir), "/tmp/weir-ctltest-%d-%d", getpid(), n++);
	snprintf(s->socket_path, sizeof(s->socket_path), "%s/weir.sock", s->run_dir);
	mkdir(s->run_dir, 0700);
	if (scene_start(s)) {
		fprintf(stderr, "scene: loader_start on %s failed\n", s->pin_dir);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static void scene_stop(struct scene *s)
{
	server_close(&s->c);
	metrics_close(&s->c);
	state_free(&s->c);
	dp_sweep_free(&s->c);
	dp_shadow_free(&s->c);
}

int scene_teardown(void **state)
{
	struct scene *s = *state;
	char cmd[320];

	scene_stop(s);
	loader_teardown(&s->c.loader);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", s->pin_dir, s->run_dir);
	if (system(cmd))
		fprintf(stderr, "scene: could not remove %s\n", s->pin_dir);
	free(s);
	return 0;
}

int scene_restart(struct scene *s)
{
	scene_stop(s);
	loader_close(&s->c.loader);
	memset(&s->c, 0, sizeof(s->c));
	return scene_start(s);
}

int scene_apply(struct scene *s, const char *yaml, char *err)
{
	struct weir_config cfg;
	int ret = config_parse(yaml, strlen(yaml), &cfg, err, WEIR_ERR_MAX);

	if (!ret)
		ret = state_apply(&s->c, &cfg, err, WEIR_ERR_MAX);
	config_free(&cfg);
	return ret;
}

void scene_apply_ok(struct scene *s, const char *yaml)
{
	char err[WEIR_ERR_MAX] = "";
	int ret = scene_apply(s, yaml, err);

	if (ret)
		print_error("apply: %s\n", err);
	assert_int_equal(ret, 0);
}

static struct weir_stream_key stream_key(const struct ctl_service *svc, uint16_t sport)
{
	struct weir_stream_key key = {
		.src = { 198, 19, 0, 1 },
		.sport = htons(sport),
		.dport = htons(svc->cfg.port),
		.proto = svc->cfg.proto,
		.family = WEIR_AF_INET,
	};

	memcpy(key.dst, svc->cfg.vip.bytes, 4);
	return key;
}

/* As the data plane would: a counted stream takes its place in its class
 * (default class), service and backend. */
void scene_add_stream(struct scene *s, const struct ctl_service *svc, uint16_t sport,
		      uint32_t backend_id, uint64_t age_ns, uint8_t state)
{
	struct weir_stream_key key = stream_key(svc, sport);
	uint64_t now = ctl_now_ns();
	struct weir_stream v = {
		.backend_id = backend_id,
		.service_id = svc->id,
		.class_id = svc->default_class,
		.state = state,
		.epoch = weir_epoch_of(now - age_ns),
		.first_seen_ns = now - age_ns,
		.last_seen_ns = now - age_ns,
		.packets = 1,
	};
	struct loader_mmaps *mm = &s->c.loader.mm;
	uint32_t stale;

	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.streams, &key, &v, BPF_ANY), 0);
	if (state != WEIR_STATE_ACTIVE || svc->default_class >= WEIR_MAX_CLASSES)
		return;
	assert_true(weir_slot_enter(&mm->class_counts[v.class_id], v.epoch, &stale));
	weir_count(&mm->service_counts[svc->id], &mm->class_counts[v.class_id],
		   mm->classes[v.class_id].min_bps, 1);
	if (backend_id < WEIR_MAX_BACKENDS)
		__sync_fetch_and_add(&mm->backend_counts[backend_id].streams, 1);
}

int scene_has_stream(struct scene *s, const struct ctl_service *svc, uint16_t sport)
{
	struct weir_stream_key key = stream_key(svc, sport);
	struct weir_stream v;

	return bpf_map_lookup_elem(s->c.loader.maps.streams, &key, &v) == 0;
}

int scene_stream_count(struct scene *s)
{
	struct weir_stream_key key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(s->c.loader.maps.streams, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

void scene_sweep(struct scene *s)
{
	assert_int_equal(dp_sweep_step(&s->c, ctl_now_ns(), UINT64_MAX), 1);
}

struct ctl_backend *scene_backend(struct scene *s, const char *service, const char *addr)
{
	struct ctl_service *svc = state_find_service(&s->c, service);
	struct weir_addr a;
	size_t i;

	assert_non_null(svc);
	assert_int_equal(units_parse_addr(addr, &a), 0);
	for (i = 0; i < svc->n_backends; i++)
		if (units_addr_equal(&svc->backends[i].cfg.addr, &a))
			return &svc->backends[i];
	fail_msg("no backend %s in %s", addr, service);
	return NULL;
}

uint16_t scene_slot_count(struct scene *s)
{
	struct weir_service_key key = { .family = WEIR_AF_INET, .proto = 6 };
	struct weir_service val;

	key.port = htons(80);
	memcpy(key.addr, "\xc6\x12\x01\x64", 4); /* 198.18.1.100 */
	assert_int_equal(bpf_map_lookup_elem(s->c.loader.maps.services, &key, &val), 0);
	return val.slot_count;
}
