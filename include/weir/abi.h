/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one contract between bpf/ and user/: map names, keys, values,
 * constants and drop reasons. Both sides include this file; nothing here is
 * defined twice. Every struct has its size pinned so a change shows up as a
 * build error on both sides at once.
 */
#ifndef WEIR_ABI_H
#define WEIR_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The layout of every map below. Bump it with any change to a key, a value,
 * a map's type or size, or the meaning of a field: a controller refuses
 * pinned maps of another version rather than misread them. */
#define WEIR_ABI_VERSION 2
#define WEIR_ABI_MAGIC 0x77656972 /* "weir" */

/* Limits. Services and backends have dense ids so counters can be arrays. */
#define WEIR_MAX_SERVICES 256
#define WEIR_MAX_BACKENDS 4096
#define WEIR_MAX_SLOTS 1024 /* slot-table entries per service */
#define WEIR_STREAMS_DEFAULT 1048576
#define WEIR_NAME_MAX 32

/* Address families as stored in keys (Linux values, kept here so BPF code
 * does not need libc headers). */
#define WEIR_AF_INET 2
#define WEIR_AF_INET6 10

/* Map names; pinned as <pin-dir>/<name>. */
#define WEIR_MAP_SERVICES "weir_services"
#define WEIR_MAP_BACKENDS "weir_backends"
#define WEIR_MAP_SLOTS "weir_slots"
#define WEIR_MAP_CURSORS "weir_cursors"
#define WEIR_MAP_STREAMS "weir_streams"
#define WEIR_MAP_SERVICE_STATS "weir_service_stats"
#define WEIR_MAP_BACKEND_STATS "weir_backend_stats"
#define WEIR_MAP_STATS "weir_stats"
#define WEIR_MAP_META "weir_meta"

/* Value of weir_meta (ARRAY, one entry): which layout the pinned maps
 * have. Written by the controller that created them. */
struct weir_meta {
	__u32 magic; /* WEIR_ABI_MAGIC */
	__u32 abi_version; /* WEIR_ABI_VERSION */
	__u64 created_ns; /* CLOCK_MONOTONIC */
};
_Static_assert(sizeof(struct weir_meta) == 16, "abi: meta");

enum weir_steering {
	WEIR_STEER_ROUND_ROBIN = 0,
	WEIR_STEER_WEIGHTED = 1,
	WEIR_STEER_MAGLEV = 2, /* reserved: not built yet */
};

enum weir_forwarding {
	WEIR_FWD_DSR = 0,
	WEIR_FWD_IPIP = 1, /* reserved: not built yet */
};

enum weir_refuse {
	WEIR_REFUSE_DROP = 0,
	WEIR_REFUSE_RESET = 1, /* reserved: not built yet */
};

/* Key of weir_services (HASH). */
struct weir_service_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* WEIR_AF_INET or WEIR_AF_INET6 */
};
_Static_assert(sizeof(struct weir_service_key) == 20, "abi: service key");

/* Value of weir_services. slot_count == 0 means no usable backend. */
struct weir_service {
	__u32 id; /* index into weir_slots, weir_cursors, weir_service_stats */
	__u16 slot_count;
	__u8 steering; /* enum weir_steering */
	__u8 forwarding; /* enum weir_forwarding */
	__u8 refuse; /* enum weir_refuse */
	__u8 flags; /* WEIR_SERVICE_* */
	__u16 reserved;
	__u64 idle_timeout_ns;
};
_Static_assert(sizeof(struct weir_service) == 24, "abi: service");

#define WEIR_SERVICE_PAUSED (1U << 0) /* reserved: service pause comes later */

/* Value of weir_backends (ARRAY, index = backend id). */
struct weir_backend {
	__u8 addr[16];
	__u8 mac[6];
	__u8 family;
	__u8 flags; /* WEIR_BACKEND_* */
	__u32 service_id;
	__u32 reserved;
};
_Static_assert(sizeof(struct weir_backend) == 32, "abi: backend");

/* A backend id in use. Streams pinned to an id whose entry lost this flag
 * (the backend was deleted) are steered again on their next SYN. */
#define WEIR_BACKEND_IN_USE (1U << 0)
/* mac holds the backend's resolved MAC. Without it nothing is forwarded to
 * the backend: an all-zero MAC must never reach the wire. */
#define WEIR_BACKEND_MAC_VALID (1U << 1)

/* Key of weir_slots (ARRAY): service id * WEIR_MAX_SLOTS + slot index;
 * value: __u32 backend id. Key of weir_cursors (ARRAY): service id; value:
 * __u32 round-robin position, advanced atomically so the rotation is exact
 * across CPUs. */

/* Key of weir_streams (LRU_HASH): the 5-tuple as seen from the client. */
struct weir_stream_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};
_Static_assert(sizeof(struct weir_stream_key) == 40, "abi: stream key");

/* Value of weir_streams. Written by the CPU that receives the stream (RSS
 * keeps a stream on one CPU), so the counters need no atomics. */
struct weir_stream {
	__u32 backend_id;
	__u32 service_id;
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u64 packets;
	__u64 bytes;
	__u32 flags; /* WEIR_STREAM_* */
	__u32 reserved;
};
_Static_assert(sizeof(struct weir_stream) == 48, "abi: stream");
_Static_assert(sizeof(struct weir_stream_key) + sizeof(struct weir_stream) <= 128,
	       "abi: stream entry within 128 bytes");

/* The client sent FIN: the stream has ended for accounting, but its entry
 * stays (pinned to the same backend) until WEIR_CLOSING_TIMEOUT_NS so the
 * client's last ACKs, and the ACKs of a half-closed stream that still
 * receives, reach the backend that holds the connection. */
#define WEIR_STREAM_CLOSING (1U << 0)
#define WEIR_CLOSING_TIMEOUT_NS (10ULL * 1000000000ULL)

/* Per-CPU counters of a service (weir_service_stats) or a backend
 * (weir_backend_stats); index = id. */
struct weir_counters {
	__u64 packets;
	__u64 bytes;
	__u64 new_streams;
	__u64 ended_streams;
	__u64 refused; /* new streams refused (no backend, later: admission) */
	__u64 icmp_forwarded; /* ICMP errors about a stream sent to its backend */
	__u64 reserved[2];
};
_Static_assert(sizeof(struct weir_counters) == 64, "abi: counters");

/*
 * Why a packet was not forwarded (weir_stats: PERCPU_ARRAY of __u64,
 * index = reason). Data-plane helpers return -WEIR_DROP_<REASON>; only the
 * entry point turns a reason into a verdict (weir_drop_verdict below) and a
 * count. "PASS" reasons hand the packet to the kernel stack untouched; the
 * kernel then delivers or discards it with its own checks.
 */
enum weir_drop {
	WEIR_DROP_NONE = 0,
	WEIR_DROP_NOT_UNICAST, /* pass: broadcast or multicast destination MAC */
	WEIR_DROP_NOT_IP, /* pass: ARP, LLDP, ... */
	WEIR_DROP_NOT_SERVICE, /* pass: IP traffic for no service */
	WEIR_DROP_TRUNCATED, /* pass: a header runs past the frame */
	WEIR_DROP_MALFORMED, /* pass: bad version, header or length fields */
	WEIR_DROP_FRAGMENT, /* pass: IP fragment, no L4 header to steer by */
	WEIR_DROP_IPV6_EXT, /* pass: IPv6 extension headers are not parsed */
	WEIR_DROP_ICMP_NO_STREAM, /* pass: ICMP error about no recorded stream */
	WEIR_DROP_NO_BACKEND, /* drop: new stream, no usable backend */
	WEIR_DROP_STREAM_TABLE, /* drop: stream table insert failed */
	WEIR_DROP_STRAY_RST, /* drop: TCP RST of no recorded stream; no backend knows it */
	WEIR_DROP_NO_STREAM, /* drop: TCP segment other than a SYN of no recorded stream */
	WEIR_DROP_MAX,
};

/* Reasons from NO_BACKEND on are dropped; those before it are passed. */
#define WEIR_DROP_IS_DROP(reason) ((reason) >= WEIR_DROP_NO_BACKEND)

#define WEIR_DROP_NAMES                                                                         \
	{                                                                                       \
		"none", "not_unicast", "not_ip", "not_service", "truncated", "malformed",       \
			"fragment", "ipv6_ext", "icmp_no_stream", "no_backend", "stream_table", \
			"stray_rst", "no_stream",                                               \
	}

#endif /* WEIR_ABI_H */
