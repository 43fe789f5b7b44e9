/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fixtures for the controller tests: the controller's own code (state,
 * dataplane, sweep, loader, server, api) against real pinned maps, loaded
 * without an interface into a pin directory of the test's own. No map is
 * mocked; nothing touches the network.
 */
#ifndef WEIR_CTL_FIXTURE_H
#define WEIR_CTL_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/ctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000000ULL

struct scene {
	struct ctl c;
	char pin_dir[128];
	char run_dir[80];
	char socket_path[100];
};

/* A fresh controller on a fresh pin directory; removed at teardown. */
int scene_setup(void **state);
int scene_teardown(void **state);
#define ctl_test(f) cmocka_unit_test_setup_teardown(f, scene_setup, scene_teardown)

/* Applies a config document (YAML) as `weir config load` would. */
int scene_apply(struct scene *s, const char *yaml, char *err);
void scene_apply_ok(struct scene *s, const char *yaml);
/* The controller stops (state and descriptors go, pins stay) and a new one
 * starts on the same pin directory and adopts them. 0 or -errno. */
int scene_restart(struct scene *s);

/* A stream entry from 198.19.0.1:sport to svc's VIP in its default
 * class, seen age_ns ago; an ACTIVE one counted as the data plane would. */
void scene_add_stream(struct scene *s, const struct ctl_service *svc, uint16_t sport,
		      uint32_t backend_id, uint64_t age_ns, uint8_t state);
int scene_has_stream(struct scene *s, const struct ctl_service *svc, uint16_t sport);
int scene_stream_count(struct scene *s);
/* A whole sweep pass, without a time budget. */
void scene_sweep(struct scene *s);

struct ctl_backend *scene_backend(struct scene *s, const char *service, const char *addr);
/* The slot count written for WEB_DOC's service (198.18.1.100:80/tcp). */
uint16_t scene_slot_count(struct scene *s);

#endif
