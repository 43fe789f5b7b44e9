/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The balancer's maps. Layouts and names come from include/weir/abi.h; the
 * controller pins them under its pin directory and sizes weir_streams. The
 * shared counts and the class allocations are mmapable: the controller
 * changes them with the same atomics as the data plane, without syscalls. */
#ifndef WEIR_BPF_MAPS_H
#define WEIR_BPF_MAPS_H

#define BPF_F_MMAPABLE (1U << 10)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__type(key, struct weir_service_key);
	__type(value, struct weir_service);
} weir_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct weir_backend);
} weir_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES *WEIR_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} weir_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u32);
} weir_cursors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEIR_STREAMS_DEFAULT);
	__type(key, struct weir_stream_key);
	__type(value, struct weir_stream);
} weir_streams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct weir_counters);
} weir_service_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct weir_counters);
} weir_backend_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} weir_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weir_meta);
} weir_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_CLASSES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_class);
} weir_classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_CLASSES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_class_counts);
} weir_class_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_CLASSES);
	__type(key, __u32);
	__type(value, struct weir_class_stats);
} weir_class_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_service_counts);
} weir_service_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_BACKENDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_backend_counts);
} weir_backend_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES *WEIR_REASONS_PER_SERVICE);
	__type(key, __u32);
	__type(value, __u64);
} weir_service_reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES *WEIR_MAX_RULES);
	__type(key, __u32);
	__type(value, struct weir_rule);
} weir_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEIR_MAX_GRANTS);
	__type(key, struct weir_request_key);
	__type(value, __u32);
} weir_requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_GRANTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_grant);
} weir_grants SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct weir_limiter);
} weir_limiter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u32);
} weir_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_admission);
} weir_admission SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct weir_pie);
} weir_pie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEIR_MAGLEV_TABLES *WEIR_MAGLEV_SIZE_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct weir_maglev_entry);
} weir_maglev SEC(".maps");

#endif
