// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pinned maps of another layout or version are refused, never adopted,
 * and one pin directory serves one controller. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tests.h"

static void pin_path(const struct scene *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->pin_dir, name);
}

/* The scene's maps are replaced by one of a build whose backend value is
 * 8 bytes longer. */
static void layout_mismatch_refused(void **state)
{
	struct scene *s = *state;
	char path[256];
	int fd;

	scene_apply_ok(s, WEB_DOC);
	pin_path(s, WEIR_MAP_BACKENDS, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, WEIR_MAP_BACKENDS, sizeof(__u32),
			    sizeof(struct weir_backend) + 8, WEIR_MAX_BACKENDS, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(scene_restart(s), -EPROTO);
}

/* Through the pin: the scene's own descriptors are gone after a refusal. */
static void set_meta_version(struct scene *s, __u32 version)
{
	struct weir_meta meta;
	char path[256];
	__u32 key = 0;
	int fd;

	pin_path(s, WEIR_MAP_META, path, sizeof(path));
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &meta), 0);
	assert_int_equal(meta.magic, WEIR_ABI_MAGIC);
	meta.abi_version = version;
	assert_int_equal(bpf_map_update_elem(fd, &key, &meta, BPF_ANY), 0);
	close(fd);
}

/* Same sizes, another version: fields may mean other things. */
static void version_mismatch_refused(void **state)
{
	struct scene *s = *state;

	set_meta_version(s, WEIR_ABI_VERSION + 1);
	assert_int_equal(scene_restart(s), -EPROTO);
	set_meta_version(s, WEIR_ABI_VERSION);
	assert_int_equal(scene_restart(s), 0);
}

/* Maps pinned by a build from before versions carry no meta map. */
static void missing_version_refused(void **state)
{
	struct scene *s = *state;
	char path[256];

	pin_path(s, WEIR_MAP_META, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(scene_restart(s), -EPROTO);
}

static void second_controller_refused(void **state)
{
	struct scene *s = *state;
	struct weir_config cfg;
	struct loader other;

	config_init(&cfg);
	assert_int_equal(loader_start(&other, s->pin_dir, &cfg), -EBUSY);
	loader_close(&other);
	assert_int_equal(scene_restart(s), 0); /* the lock goes with its holder */
}

static const struct CMUnitTest tests[] = {
	ctl_test(layout_mismatch_refused),
	ctl_test(version_mismatch_refused),
	ctl_test(missing_version_refused),
	ctl_test(second_controller_refused),
};

const struct test_group loader_group = { "loader", tests, ARRAY_SIZE(tests) };
