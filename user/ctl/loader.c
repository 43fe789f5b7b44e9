// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "weir/abi.h"
#include "weir.skel.h"
#include "ctl/loader.h"
#include "ctl/log.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define BPF_FS_MAGIC_NUMBER 0xcafe4a11
#define PROG_NAME "weir_xdp"

int loader_bpffs_ensure(void)
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

/* Two controllers on one pin directory would undo each other's writes. */
static int lock_pin_dir(struct loader *l)
{
	l->lock_fd = open(l->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->lock_fd < 0)
		return -errno;
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	pr_warn("pin directory %s: another weir run holds it; one controller per pin directory\n",
		l->pin_dir);
	close(l->lock_fd);
	l->lock_fd = -1;
	return -EBUSY;
}

static const char *map_type_name(__u32 type)
{
	const char *name = libbpf_bpf_map_type_str(type);

	return name ? name : "unknown";
}

/* A pinned map must be what this build would create: the program reads
 * and writes its values with this build's struct sizes. */
static int check_pinned_map(const struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err = 0;
	bool streams = !strcmp(bpf_map__name(map), WEIR_MAP_STREAMS);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) ||
		 (!streams && info.max_entries != bpf_map__max_entries(map)) ||
		 info.map_flags != bpf_map__map_flags(map)) {
		pr_warn("%s: pinned as %s, key %u, value %u bytes, %u entries, flags %#x; this "
			"build has %s, key %u, value %u, %u entries, flags %#x\n",
			path, map_type_name(info.type), info.key_size, info.value_size,
			info.max_entries, info.map_flags, map_type_name(bpf_map__type(map)),
			bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map),
			bpf_map__map_flags(map));
		err = -EPROTO;
	}
	close(fd);
	return err;
}

static int read_pinned_meta(const struct loader *l, struct weir_meta *meta)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err = 0;

	memset(meta, 0, sizeof(*meta));
	if (pin_path(l, WEIR_MAP_META, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* pinned by a build from before versions: version 0 */
	if (bpf_map_lookup_elem(fd, &key, meta))
		err = -errno;
	close(fd);
	return err;
}

/* Maps of another layout are refused, not adopted: the program attached
 * with them, or this build with them, would read past the values. */
static int check_layout(const struct loader *l, struct weir_bpf *skel)
{
	struct weir_meta meta;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err = 0;

	bpf_object__for_each_map (map, skel->obj) {
		if (bpf_map__is_internal(map) ||
		    pin_path(l, bpf_map__name(map), path, sizeof(path)))
			continue;
		if (check_pinned_map(map, path))
			err = -EPROTO;
	}
	if (!err)
		err = read_pinned_meta(l, &meta);
	if (!err && (meta.magic != WEIR_ABI_MAGIC || meta.abi_version != WEIR_ABI_VERSION)) {
		pr_warn("%s: pinned maps have layout version %u, this build has %u\n", l->pin_dir,
			meta.magic == WEIR_ABI_MAGIC ? meta.abi_version : 0, WEIR_ABI_VERSION);
		err = -EPROTO;
	}
	if (err == -EPROTO)
		pr_warn("%s: refusing maps of another weir version: stop it with that version's "
			"`weir shutdown` (drops every stream), or use another --pin-dir\n",
			l->pin_dir);
	return err;
}

static int write_meta(const struct loader *l)
{
	struct weir_meta meta = {
		.magic = WEIR_ABI_MAGIC,
		.abi_version = WEIR_ABI_VERSION,
	};
	struct timespec ts;
	__u32 key = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	meta.created_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return bpf_map_update_elem(l->maps.meta, &key, &meta, BPF_ANY) ? -errno : 0;
}

static int prepare_object(struct loader *l, struct weir_bpf *skel, __u32 streams)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_map (map, skel->obj) {
		/* .bss (the tests' clock) belongs to one loaded program */
		if (bpf_map__is_internal(map))
			continue;
		err = pin_path(l, bpf_map__name(map), path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return bpf_map__set_max_entries(skel->maps.weir_streams, streams);
}

/* With receive VLAN offload the NIC strips the tag before XDP sees the
 * frame, and XDP_TX sends it back untagged: tagged traffic would land on
 * the wrong VLAN. The kernel offers no way to see the tag from XDP on every
 * driver, so say so where it matters. */
static void report_vlan_offload(const struct loader_iface *ifc)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GFLAGS };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && (ev.data & ETH_FLAG_RXVLAN))
		pr_info("interface %s: rx-vlan-offload is on: VLAN-tagged frames reach XDP "
			"untagged and would leave untagged; for VLAN traffic run `ethtool -K %s "
			"rxvlan off`\n",
			ifc->name, ifc->name);
	close(fd);
}

static void report_attach(const struct loader_iface *ifc, uint8_t xdp_mode)
{
	report_vlan_offload(ifc);
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);
	bool legacy = !libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp);

	pr_info("interface %s: attached in %s mode%s\n", ifc->name, config_xdp_mode_name(xdp_mode),
		legacy ? " as its only XDP program (the kernel refused libxdp's dispatcher)" : "");
	xdp_multiprog__close(mp);
}

static void tag_hex(const __u8 tag[BPF_TAG_SIZE], char out[17])
{
	int i;

	for (i = 0; i < BPF_TAG_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", tag[i]);
}

static int prog_tag(int fd, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	return 0;
}

/* The program of ours attached on ifindex, alone (legacy mode), or -1. */
static int attached_legacy_prog(int ifindex, bool *legacy)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog;
	int fd = -1;

	*legacy = false;
	if (libxdp_get_error(mp))
		return -1;
	*legacy = xdp_multiprog__is_legacy(mp);
	prog = *legacy ? xdp_multiprog__main_prog(mp) : NULL;
	if (prog && !strcmp(xdp_program__name(prog), PROG_NAME))
		fd = dup(xdp_program__fd(prog));
	xdp_multiprog__close(mp);
	return fd;
}

/*
 * A weir run of another build finds its predecessor's program attached
 * with the maps it adopts: the new program, loaded against the same pinned
 * maps, takes its place in one atomic replace, so no packet meets no
 * program (the hitless upgrade). The same build's program is kept as it
 * is. Under libxdp's dispatcher no atomic replace of one component is
 * offered: the running program is kept and the upgrade said to need a
 * restart of the data plane.
 */
static void upgrade_iface(struct loader *l, struct loader_iface *ifc, int new_fd)
{
	__u8 old_tag[BPF_TAG_SIZE], new_tag[BPF_TAG_SIZE];
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	char old_hex[17];
	bool legacy;
	int old_fd = attached_legacy_prog(ifc->ifindex, &legacy), err;
	__u32 flags = XDP_FLAGS_REPLACE |
		      (l->xdp_mode == WEIR_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	if (old_fd < 0 || prog_tag(old_fd, old_tag) || prog_tag(new_fd, new_tag)) {
		if (!legacy)
			pr_warn("interface %s: our program runs under libxdp's dispatcher: kept "
				"as it is (a newer build takes over after `weir shutdown`)\n",
				ifc->name);
		goto out;
	}
	tag_hex(old_tag, old_hex);
	tag_hex(memcmp(old_tag, new_tag, BPF_TAG_SIZE) ? new_tag : old_tag, ifc->tag);
	if (!memcmp(old_tag, new_tag, BPF_TAG_SIZE))
		goto out;
	opts.old_prog_fd = old_fd;
	err = bpf_xdp_attach(ifc->ifindex, new_fd, flags, &opts);
	if (err) {
		pr_warn("interface %s: cannot replace program %s with this build's: %s; kept\n",
			ifc->name, old_hex, strerror(-err));
		snprintf(ifc->tag, sizeof(ifc->tag), "%s", old_hex);
		goto out;
	}
	ifc->upgraded = true;
	pr_info("interface %s: upgraded: program %s replaced by this build's %s, maps kept\n",
		ifc->name, old_hex, ifc->tag);
out:
	if (old_fd >= 0)
		close(old_fd);
}

/* Loads this build's program against the pinned maps and lets each
 * adopted interface have it if it runs another build's. */
static bool any_adopted(const struct loader *l)
{
	size_t i;

	for (i = 0; i < l->n_ifaces; i++)
		if (l->ifaces[i].adopted)
			return true;
	return false;
}

static int upgrade_adopted(struct loader *l, __u32 streams)
{
	struct weir_bpf *skel = weir_bpf__open();
	int err = skel ? 0 : -errno;
	size_t i;

	if (!err)
		err = prepare_object(l, skel, streams);
	if (!err)
		err = weir_bpf__load(skel);
	for (i = 0; !err && i < l->n_ifaces; i++)
		if (l->ifaces[i].adopted)
			upgrade_iface(l, &l->ifaces[i], bpf_program__fd(skel->progs.weir_xdp));
	weir_bpf__destroy(skel);
	return err;
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
		{ WEIR_MAP_META, offsetof(struct loader_maps, meta) },
		{ WEIR_MAP_CLASSES, offsetof(struct loader_maps, classes) },
		{ WEIR_MAP_CLASS_COUNTS, offsetof(struct loader_maps, class_counts) },
		{ WEIR_MAP_CLASS_STATS, offsetof(struct loader_maps, class_stats) },
		{ WEIR_MAP_SERVICE_COUNTS, offsetof(struct loader_maps, service_counts) },
		{ WEIR_MAP_BACKEND_COUNTS, offsetof(struct loader_maps, backend_counts) },
		{ WEIR_MAP_SERVICE_REASONS, offsetof(struct loader_maps, service_reasons) },
		{ WEIR_MAP_RULES, offsetof(struct loader_maps, rules) },
		{ WEIR_MAP_REQUESTS, offsetof(struct loader_maps, requests) },
		{ WEIR_MAP_GRANTS, offsetof(struct loader_maps, grants) },
		{ WEIR_MAP_LIMITER, offsetof(struct loader_maps, limiter) },
		{ WEIR_MAP_PORTS, offsetof(struct loader_maps, ports) },
		{ WEIR_MAP_ADMISSION, offsetof(struct loader_maps, admission) },
		{ WEIR_MAP_PIE, offsetof(struct loader_maps, pie) },
		{ WEIR_MAP_MAGLEV, offsetof(struct loader_maps, maglev) },
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
	int *fd = (int *)m;
	size_t i;

	for (i = 0; i < sizeof(*m) / sizeof(int); i++)
		fd[i] = -1;
}

static size_t map_bytes(size_t value_size, size_t entries)
{
	size_t page = sysconf(_SC_PAGESIZE), len = value_size * entries;

	return (len + page - 1) / page * page;
}

static void *map_mmap(int fd, size_t value_size, size_t entries)
{
	void *p = mmap(NULL, map_bytes(value_size, entries), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);

	return p == MAP_FAILED ? NULL : p;
}

#define MMAP_TABLE(X)                                                    \
	X(classes, struct weir_class, WEIR_MAX_CLASSES)                  \
	X(class_counts, struct weir_class_counts, WEIR_MAX_CLASSES)      \
	X(service_counts, struct weir_service_counts, WEIR_MAX_SERVICES) \
	X(backend_counts, struct weir_backend_counts, WEIR_MAX_BACKENDS) \
	X(grants, struct weir_grant, WEIR_MAX_GRANTS)                    \
	X(admission, struct weir_admission, WEIR_MAX_SERVICES)           \
	X(maglev, struct weir_maglev_entry, WEIR_MAGLEV_TABLES *WEIR_MAGLEV_SIZE_MAX)

int loader_map_memory(struct loader *l)
{
#define MMAP_ONE(name, type, entries)                                                           \
	l->mm.name = map_mmap(l->maps.name, sizeof(type), entries);                             \
	if (!l->mm.name) {                                                                      \
		pr_warn("%s/weir_" #name ": cannot map it: %s\n", l->pin_dir, strerror(errno)); \
		return -errno;                                                                  \
	}
	MMAP_TABLE(MMAP_ONE)
#undef MMAP_ONE
	return 0;
}

static void munmap_maps(struct loader *l)
{
#define MUNMAP_ONE(name, type, entries)                               \
	if (l->mm.name)                                               \
		munmap(l->mm.name, map_bytes(sizeof(type), entries)); \
	l->mm.name = NULL;
	MMAP_TABLE(MUNMAP_ONE)
#undef MUNMAP_ONE
}

int loader_start(struct loader *l, const char *pin_dir, const struct weir_config *cfg)
{
	struct weir_bpf *skel = NULL;
	int err;

	memset(l, 0, sizeof(*l));
	maps_reset(&l->maps);
	l->lock_fd = -1;
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", pin_dir);
	l->xdp_mode = cfg->xdp_mode;
	err = loader_bpffs_ensure();
	if (!err)
		err = mkdir_p(pin_dir);
	if (err) {
		pr_warn("pin directory %s: %s\n", pin_dir, strerror(-err));
		return err;
	}
	err = lock_pin_dir(l);
	if (err)
		return err;
	l->maps_adopted = pinned_services_id(l) > 0;
	skel = weir_bpf__open();
	err = skel ? 0 : -errno;
	if (!err && l->maps_adopted)
		err = check_layout(l, skel);
	if (!err)
		err = check_pinned_streams(l, cfg->stream_table_size);
	if (!err)
		err = resolve_ifaces(l, cfg);
	if (!err)
		err = prepare_object(l, skel, cfg->stream_table_size);
	if (!err)
		err = attach_ifaces(l, skel);
	weir_bpf__destroy(skel);
	if (!err && any_adopted(l))
		err = upgrade_adopted(l, cfg->stream_table_size);
	if (!err)
		err = open_maps(l);
	if (!err)
		err = loader_map_memory(l);
	if (!err && !l->maps_adopted)
		err = write_meta(l);
	if (!err && l->maps_adopted)
		pr_info("maps: adopted the pinned maps under %s\n", pin_dir);
	return err;
}

void loader_close(struct loader *l)
{
	int *fd = (int *)&l->maps;
	size_t i;

	munmap_maps(l);
	for (i = 0; i < sizeof(l->maps) / sizeof(int); i++)
		if (fd[i] >= 0)
			close(fd[i]);
	maps_reset(&l->maps);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = -1;
}

int loader_detach_program(int ifindex, const char *name)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog = NULL;
	int err = -ENOENT;

	if (libxdp_get_error(mp))
		return -ENOENT;
	while ((prog = next_program(mp, prog))) {
		if (strcmp(xdp_program__name(prog), name))
			continue;
		if (xdp_multiprog__is_legacy(mp))
			err = xdp_multiprog__detach(mp);
		else
			err = xdp_program__detach(prog, ifindex, xdp_multiprog__attach_mode(mp), 0);
		break;
	}
	xdp_multiprog__close(mp);
	return err;
}

static void detach_iface(const struct loader_iface *ifc)
{
	int err = loader_detach_program(ifc->ifindex, PROG_NAME);

	if (err)
		pr_warn("interface %s: cannot detach: %s\n", ifc->name, strerror(-err));
	else
		pr_info("interface %s: detached\n", ifc->name);
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
