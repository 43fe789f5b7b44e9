// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "weir/abi.h"
#include "weir.skel.h"
#include "ctl/loader.h"
#include "ctl/log.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define BPF_FS_MAGIC_NUMBER 0xcafe4a11
#define PROG_NAME "weir_xdp"

static int bpffs_ensure(void)
{
	struct statfs st;

	if (statfs(BPFFS_ROOT, &st) == 0 && st.f_type == BPF_FS_MAGIC_NUMBER)
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		pr_warn("bpffs: cannot mount on %s: %s\n", BPFFS_ROOT, strerror(errno));
		return -errno;
	}
	pr_info("bpffs: mounted on %s\n", BPFFS_ROOT);
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int pin_path(const struct loader *l, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", l->pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int map_id_of(int fd, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (max_entries)
		*max_entries = info.max_entries;
	return info.id;
}

/* A resized stream table cannot reuse the pinned one; say so rather than
 * silently dropping every stream. */
static int check_pinned_streams(const struct loader *l, __u32 want)
{
	char path[PATH_MAX];
	__u32 have = 0;
	int fd;

	if (pin_path(l, WEIR_MAP_STREAMS, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	map_id_of(fd, &have);
	close(fd);
	if (have == want)
		return 0;
	pr_warn("%s: pinned stream table has %u entries, config asks %u; run `weir shutdown` "
		"(drops every stream) to resize it\n",
		path, have, want);
	return -EEXIST;
}

static bool prog_uses_map(struct xdp_program *prog, int map_id)
{
	struct bpf_prog_info info = {};
	__u32 map_ids[16], len = sizeof(info), i;
	int fd = xdp_program__fd(prog);

	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	for (i = 0; i < info.nr_map_ids && i < 16; i++)
		if ((int)map_ids[i] == map_id)
			return true;
	return false;
}

/* The programs on an interface: the dispatcher's components, or the one
 * program libxdp attached directly when the kernel refused its dispatcher
 * (legacy mode). */
static struct xdp_program *next_program(struct xdp_multiprog *mp, struct xdp_program *prev)
{
	if (xdp_multiprog__is_legacy(mp))
		return prev ? NULL : xdp_multiprog__main_prog(mp);
	return xdp_multiprog__next_prog(prev, mp);
}

/* 1: a weir program using our pinned maps runs on ifindex; 0: none; -EEXIST:
 * a weir program of another pin directory runs there. */
static int find_our_program(const struct loader *l, int ifindex, int services_map_id, bool quiet)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog = NULL;
	int found = 0;

	if (libxdp_get_error(mp))
		return 0;
	while ((prog = next_program(mp, prog))) {
		if (strcmp(xdp_program__name(prog), PROG_NAME))
			continue;
		found = prog_uses_map(prog, services_map_id) ? 1 : -EEXIST;
		if (found > 0)
			break;
	}
	xdp_multiprog__close(mp);
	if (found < 0 && !quiet)
		pr_warn("ifindex %d: runs a weir program whose maps are not under %s\n", ifindex,
			l->pin_dir);
	return found;
}

static int pinned_services_id(const struct loader *l)
{
	char path[PATH_MAX];
	int fd, id;

	if (pin_path(l, WEIR_MAP_SERVICES, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	id = map_id_of(fd, NULL);
	close(fd);
	return id;
}

static void detach_iface(const struct loader_iface *ifc);

static bool configured(const struct loader *l, int ifindex)
{
	size_t i;

	for (i = 0; i < l->n_ifaces; i++)
		if (l->ifaces[i].ifindex == ifindex)
			return true;
	return false;
}

/* Our program on interfaces outside the configured set (an earlier run had
 * them, or all of them at teardown) would go on forwarding with maps
 * nobody keeps in step: detach it there. */
static void detach_unconfigured(const struct loader *l, int services_id)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	for (i = ifs; i && i->if_index; i++) {
		struct loader_iface ifc = { .ifindex = (int)i->if_index };

		if (configured(l, ifc.ifindex) ||
		    find_our_program(l, ifc.ifindex, services_id, true) != 1)
			continue;
		snprintf(ifc.name, sizeof(ifc.name), "%s", i->if_name);
		pr_info("interface %s: not configured any more\n", ifc.name);
		detach_iface(&ifc);
	}
	if (ifs)
		if_freenameindex(ifs);
}

static int resolve_ifaces(struct loader *l, const struct weir_config *cfg)
{
	int services_id = pinned_services_id(l);
	size_t i;

	for (i = 0; i < cfg->n_interfaces; i++) {
		struct loader_iface *ifc = &l->ifaces[i];
		int ours;

		snprintf(ifc->name, sizeof(ifc->name), "%s", cfg->interfaces[i]);
		ifc->ifindex = if_nametoindex(ifc->name);
		if (!ifc->ifindex) {
			pr_warn("interface %s: no such interface\n", ifc->name);
			return -ENODEV;
		}
		ours = services_id > 0 ? find_our_program(l, ifc->ifindex, services_id, false) : 0;
		if (ours < 0)
			return ours;
		ifc->adopted = ours == 1;
	}
	l->n_ifaces = cfg->n_interfaces;
	if (services_id > 0)
		detach_unconfigured(l, services_id);
	return 0;
}

static int prepare_object(struct loader *l, struct weir_bpf *skel, __u32 streams)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_map (map, skel->obj) {
		err = pin_path(l, bpf_map__name(map), path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return bpf_map__set_max_entries(skel->maps.weir_streams, streams);
}

static void report_attach(const struct loader_iface *ifc, uint8_t xdp_mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);
	bool legacy = !libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp);

	pr_info("interface %s: attached in %s mode%s\n", ifc->name, config_xdp_mode_name(xdp_mode),
		legacy ? " as its only XDP program (the kernel refused libxdp's dispatcher)" : "");
	xdp_multiprog__close(mp);
}

static int attach_ifaces(struct loader *l, struct weir_bpf *skel)
{
	enum xdp_attach_mode mode =
		l->xdp_mode == WEIR_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	struct xdp_program *prog = NULL;
	int err = 0;
	size_t i;

	for (i = 0; i < l->n_ifaces && !err; i++) {
		struct loader_iface *ifc = &l->ifaces[i];

		if (ifc->adopted) {
			pr_info("interface %s: adopted the attached program\n", ifc->name);
			continue;
		}
		/* libxdp loads the object itself, as an extension of its
		 * dispatcher: it must reach it unloaded. */
		if (!prog)
			prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
		err = libxdp_get_error(prog);
		if (err) {
			prog = NULL;
			break;
		}
		log_hold_libraries();
		err = xdp_program__attach(prog, ifc->ifindex, mode, 0);
		log_release_libraries(err != 0);
		if (err)
			pr_warn("interface %s: cannot attach in %s mode: %s\n", ifc->name,
				config_xdp_mode_name(l->xdp_mode), strerror(-err));
		else
			report_attach(ifc, l->xdp_mode);
	}
	if (!err && !prog && !l->maps_adopted)
		err = weir_bpf__load(skel); /* no interface to attach: maps only */
	xdp_program__close(prog);
	return err;
}

static int open_maps(struct loader *l)
{
	static const struct {
		const char *name;
		size_t offset;
	} maps[] = {
		{ WEIR_MAP_SERVICES, offsetof(struct loader_maps, services) },
		{ WEIR_MAP_BACKENDS, offsetof(struct loader_maps, backends) },
		{ WEIR_MAP_SLOTS, offsetof(struct loader_maps, slots) },
		{ WEIR_MAP_CURSORS, offsetof(struct loader_maps, cursors) },
		{ WEIR_MAP_STREAMS, offsetof(struct loader_maps, streams) },
		{ WEIR_MAP_SERVICE_STATS, offsetof(struct loader_maps, service_stats) },
		{ WEIR_MAP_BACKEND_STATS, offsetof(struct loader_maps, backend_stats) },
		{ WEIR_MAP_STATS, offsetof(struct loader_maps, stats) },
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int *fd = (int *)((char *)&l->maps + maps[i].offset);

		if (pin_path(l, maps[i].name, path, sizeof(path)))
			return -ENAMETOOLONG;
		*fd = bpf_obj_get(path);
		if (*fd < 0) {
			pr_warn("%s: cannot open pinned map: %s\n", path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void maps_reset(struct loader_maps *m)
{
	m->services = m->backends = m->slots = m->cursors = -1;
	m->streams = m->service_stats = m->backend_stats = m->stats = -1;
}

int loader_start(struct loader *l, const char *pin_dir, const struct weir_config *cfg)
{
	struct weir_bpf *skel = NULL;
	int err;

	memset(l, 0, sizeof(*l));
	maps_reset(&l->maps);
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", pin_dir);
	l->xdp_mode = cfg->xdp_mode;
	err = bpffs_ensure();
	if (!err)
		err = mkdir_p(pin_dir);
	if (err) {
		pr_warn("pin directory %s: %s\n", pin_dir, strerror(-err));
		return err;
	}
	l->maps_adopted = pinned_services_id(l) > 0;
	err = check_pinned_streams(l, cfg->stream_table_size);
	if (!err)
		err = resolve_ifaces(l, cfg);
	if (err)
		return err;
	skel = weir_bpf__open();
	err = skel ? prepare_object(l, skel, cfg->stream_table_size) : -errno;
	if (!err)
		err = attach_ifaces(l, skel);
	weir_bpf__destroy(skel);
	if (!err)
		err = open_maps(l);
	if (!err && l->maps_adopted)
		pr_info("maps: adopted the pinned maps under %s\n", pin_dir);
	return err;
}

void loader_close(struct loader *l)
{
	int *fd = (int *)&l->maps;
	size_t i;

	for (i = 0; i < sizeof(l->maps) / sizeof(int); i++)
		if (fd[i] >= 0)
			close(fd[i]);
	maps_reset(&l->maps);
}

static void detach_iface(const struct loader_iface *ifc)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);
	struct xdp_program *prog = NULL;
	int err = -ENOENT;

	if (libxdp_get_error(mp))
		return;
	while ((prog = next_program(mp, prog))) {
		if (strcmp(xdp_program__name(prog), PROG_NAME))
			continue;
		if (xdp_multiprog__is_legacy(mp))
			err = xdp_multiprog__detach(mp);
		else
			err = xdp_program__detach(prog, ifc->ifindex,
						  xdp_multiprog__attach_mode(mp), 0);
		break;
	}
	if (err)
		pr_warn("interface %s: cannot detach: %s\n", ifc->name, strerror(-err));
	else
		pr_info("interface %s: detached\n", ifc->name);
	xdp_multiprog__close(mp);
}

static void unpin_all(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (rmdir(dir))
		pr_warn("pin directory %s: cannot remove: %s\n", dir, strerror(errno));
}

int loader_teardown(struct loader *l)
{
	int services_id = l->maps.services >= 0 ? map_id_of(l->maps.services, NULL) : -1;
	size_t i;

	for (i = 0; i < l->n_ifaces; i++)
		detach_iface(&l->ifaces[i]);
	l->n_ifaces = 0;
	if (services_id > 0)
		detach_unconfigured(l, services_id);
	loader_close(l);
	unpin_all(l->pin_dir);
	return 0;
}
