/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading, attaching and adopting the balancer; its pinned maps. */
#ifndef WEIR_LOADER_H
#define WEIR_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/abi.h"
#include "core/config.h"

/* File descriptors of the pinned maps; the controller's only handle on the
 * data plane. */
struct loader_maps {
	int services;
	int backends;
	int slots;
	int cursors;
	int streams;
	int service_stats;
	int backend_stats;
	int stats;
	int meta;
	int classes;
	int class_counts;
	int class_stats;
	int service_counts;
	int backend_counts;
	int service_reasons;
	int rules;
	int requests;
	int grants;
	int limiter;
	int ports;
	int admission;
	int pie;
	int maglev;
};

/* The mmapable maps, mapped: the controller reads and changes them with
 * the same atomics as the data plane (include/weir/counts.h). */
struct loader_mmaps {
	struct weir_class *classes;
	struct weir_class_counts *class_counts;
	struct weir_service_counts *service_counts;
	struct weir_backend_counts *backend_counts;
	struct weir_grant *grants;
	struct weir_admission *admission;
	struct weir_maglev_entry *maglev;
};

struct loader_iface {
	char name[WEIR_IFNAME_MAX];
	int ifindex;
	bool adopted; /* found our program attached, left it as it was */
	bool upgraded; /* found an older build's, replaced it (maps kept) */
	char tag[17]; /* the attached program's tag (hex) */
};

struct loader {
	char pin_dir[256];
	uint8_t xdp_mode;
	struct loader_maps maps;
	struct loader_mmaps mm;
	struct loader_iface ifaces[WEIR_MAX_INTERFACES];
	size_t n_ifaces;
	bool maps_adopted; /* the maps were pinned before we started */
	int lock_fd; /* the pin directory, flock()ed while we run */
};

/* Mounts bpffs when missing, locks pin_dir against a second controller,
 * checks that maps pinned there have this build's layout, pins (or reuses)
 * the maps and attaches to cfg's interfaces unless our program already runs
 * there. */
int loader_start(struct loader *l, const char *pin_dir, const struct weir_config *cfg);
/* Maps the mmapable maps of l->maps (loader_start does it; the bench and
 * tests with maps of their own call it). */
int loader_map_memory(struct loader *l);
/* Closes our descriptors; the data plane keeps running. */
void loader_close(struct loader *l);
/* Detaches from every interface and removes the pins. */
int loader_teardown(struct loader *l);
/* Detaches the XDP program of that name from ifindex: 0 or -errno
 * (-ENOENT: none of that name there). */
int loader_detach_program(int ifindex, const char *name);
/* Mounts bpffs on /sys/fs/bpf when it is not there: 0 or -errno. */
int loader_bpffs_ensure(void);

#endif
