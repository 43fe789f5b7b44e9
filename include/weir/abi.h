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
#define WEIR_ABI_VERSION 4
#define WEIR_ABI_MAGIC 0x77656972 /* "weir" */

/* Limits. Services, backends and classes have dense ids so counters can be
 * arrays. */
#define WEIR_MAX_SERVICES 256
#define WEIR_MAX_BACKENDS 4096
#define WEIR_MAX_SLOTS 1024 /* slot-table entries per service */
#define WEIR_MAX_CLASSES 4096 /* in all services */
#define WEIR_MAX_RULES 16 /* class rules per service */
#define WEIR_MAX_GRANTS 4096 /* explicit stream requests waiting or bound */
#define WEIR_MAGLEV_TABLES 16 /* services with maglev steering */
#define WEIR_MAGLEV_SIZE_MAX 65537 /* entries of a Maglev table, a prime */
#define WEIR_PRIORITIES 8 /* 0-7, 7 highest */
#define WEIR_VICTIMS 8 /* preemption candidates per service */
#define WEIR_STREAMS_DEFAULT 1048576
#define WEIR_NAME_MAX 32
#define WEIR_CLASS_NONE 0xffff

/*
 * Time in epochs of 2^30 ns (about 1.07 s): a shift, not a division, per
 * packet. Every class counts its streams by the epoch of their last packet
 * in a ring of WEIR_EPOCH_SLOTS slots, so streams idle past a service's
 * pause-after are found (and their share released) without walking the
 * stream table. A slot is (epoch tag << 32 | count); the tag's top bit
 * marks a slot whose streams were released.
 */
#define WEIR_EPOCH_SHIFT 30
#define WEIR_EPOCH_NS (1ULL << WEIR_EPOCH_SHIFT)
#define WEIR_EPOCH_SLOTS 64
/* A service's pause-after at most (the controller's limit derives from it):
 * a slot is released well before it comes round. */
#define WEIR_PAUSE_EPOCHS_MAX 56
#define WEIR_SLOT_RELEASED (1U << 31)

/* A class rate that is not policed. */
#define WEIR_RATE_UNLIMITED (~0ULL)

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
#define WEIR_MAP_CLASSES "weir_classes"
#define WEIR_MAP_CLASS_COUNTS "weir_class_counts"
#define WEIR_MAP_CLASS_STATS "weir_class_stats"
#define WEIR_MAP_SERVICE_COUNTS "weir_service_counts"
#define WEIR_MAP_BACKEND_COUNTS "weir_backend_counts"
#define WEIR_MAP_SERVICE_REASONS "weir_service_reasons"
#define WEIR_MAP_RULES "weir_rules"
#define WEIR_MAP_REQUESTS "weir_requests"
#define WEIR_MAP_GRANTS "weir_grants"
#define WEIR_MAP_LIMITER "weir_limiter"
#define WEIR_MAP_PORTS "weir_ports"
#define WEIR_MAP_ADMISSION "weir_admission"
#define WEIR_MAP_PIE "weir_pie"
#define WEIR_MAP_MAGLEV "weir_maglev"

/* weir_ports (ARRAY of __u32, WEIR_PORT_WORDS entries): a bit per
 * (protocol, port) some service listens on, so packets for no service
 * pass after one array lookup, and a stream's packets are matched to
 * their stream before their service. Word (udp << 11 | port >> 5), bit
 * (port & 31). */
#define WEIR_PORT_WORDS 4096
#define WEIR_PORT_WORD(udp, port) (((__u32) !!(udp) << 11) | ((__u32)(port) >> 5))
#define WEIR_PORT_BIT(port) (1U << ((port)&31))

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
	WEIR_STEER_MAGLEV = 2, /* weir_maglev's table, indexed by the stream's hash */
};

/* A service's forwarding, as configured; the data plane sees it on each
 * backend (WEIR_BACKEND_IPIP). */
enum weir_forwarding {
	WEIR_FWD_DSR = 0,
	WEIR_FWD_IPIP = 1, /* IP-in-IP to the backend's address */
};

enum weir_refuse {
	WEIR_REFUSE_DROP = 0,
	WEIR_REFUSE_RESET = 1, /* TCP: a RST from the VIP; UDP: ICMP port unreachable */
};

/* Key of weir_services (HASH). */
struct weir_service_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* WEIR_AF_INET or WEIR_AF_INET6 */
};
_Static_assert(sizeof(struct weir_service_key) == 20, "abi: service key");

/*
 * Value of weir_services: what the data plane needs of a service, written
 * whole by the controller (a hash update replaces the value at once, so a
 * packet sees the old or the new limits, never a mix). slot_count == 0
 * means no usable backend.
 */
struct weir_service {
	__u32 id; /* index into weir_slots, weir_cursors and the per-service maps */
	__u16 slot_count;
	__u8 steering; /* enum weir_steering */
	__u8 reserved; /* forwarding is per backend: WEIR_BACKEND_IPIP */
	__u8 refuse; /* enum weir_refuse */
	__u8 flags; /* WEIR_SERVICE_* */
	__u8 n_rules; /* class rules at weir_rules[id * WEIR_MAX_RULES ...] */
	__u8 pause_epochs; /* a stream idle this many epochs is paused */
	__u16 default_class; /* class of a stream no request or rule claims */
	__u8 handshake_epochs; /* a SYN's provisional place lasts this long */
	__u8 maglev_table; /* maglev: its table in weir_maglev */
	__u32 refuse_interval_ns; /* one refusal reply per this, per CPU; 0: none */
	__u32 maglev_size; /* maglev: its table's entries, a prime */
	__u64 idle_timeout_ns;
	/* Admission of a new stream of priority p: streams counted + 1 <=
	 * limit_streams[p] and committed min + its min <= limit_rate[p]
	 * (bit/s); capacity minus the reserve kept for higher priorities.
	 * ~0: no limit. */
	__u64 limit_streams[WEIR_PRIORITIES];
	__u64 limit_rate[WEIR_PRIORITIES];
	/* With WEIR_SERVICE_PREEMPT: classes whose running streams a new
	 * stream of higher priority may take the place of, lowest priority
	 * first; WEIR_CLASS_NONE ends the list. */
	__u16 victims[WEIR_VICTIMS];
};
_Static_assert(sizeof(struct weir_service) == 176, "abi: service");

#define WEIR_SERVICE_PAUSED (1U << 0) /* no new streams; running ones go on */
#define WEIR_SERVICE_PREEMPT (1U << 1) /* new streams may preempt lower priorities */
#define WEIR_SERVICE_REQUESTS (1U << 2) /* grants may wait: look new clients up */
#define WEIR_SERVICE_PIE (1U << 3) /* new streams see weir_admission's probability */
/* No usable backend: new streams, and TCP segments of no stream, pass to
 * the local stack instead of being dropped. */
#define WEIR_SERVICE_FALLBACK_PASS (1U << 4)
/* New streams pick a slot at random rather than in turn (shuffle-size). */
#define WEIR_SERVICE_SHUFFLE (1U << 5)

/* Value of weir_backends (ARRAY, index = backend id). */
struct weir_backend {
	__u8 addr[16];
	__u8 mac[6]; /* DSR: the backend's; IPIP: the next hop's toward it */
	__u8 family;
	__u8 flags; /* WEIR_BACKEND_* */
	__u32 service_id;
	__u32 max_streams; /* streams pinned to it at most (0: no limit) */
	/* WEIR_BACKEND_IPIP: the outer source is encap_source with the bits
	 * past encap_prefix_len taken from the stream's hash, so the
	 * backend's NIC spreads streams over its queues; an inner datagram
	 * longer than encap_mtu - the outer header is refused with ICMP
	 * "fragmentation needed" / "packet too big" (path MTU discovery). */
	__u8 encap_source[16];
	__u8 encap_prefix_len;
	__u8 reserved;
	__u16 encap_mtu;
	__u32 reserved2[3];
};
_Static_assert(sizeof(struct weir_backend) == 64, "abi: backend");

/* A backend id in use. Streams pinned to an id whose entry lost this flag
 * (the backend was deleted) are steered again on their next SYN. */
#define WEIR_BACKEND_IN_USE (1U << 0)
/* mac holds the backend's resolved MAC. Without it nothing is forwarded to
 * the backend: an all-zero MAC must never reach the wire. */
#define WEIR_BACKEND_MAC_VALID (1U << 1)
/* Forwarded in IP-in-IP (IPv4 in IPv4, IPv6 in IPv6) to addr. */
#define WEIR_BACKEND_IPIP (1U << 2)

/* Key of weir_maglev (ARRAY, mmapable): table * WEIR_MAGLEV_SIZE_MAX +
 * entry. A maglev service's new stream takes the entry weir_hash_stream()
 * % maglev_size of its table (include/weir/hash.h); its slot_count is only
 * non-zero while it has a usable backend. 8 bytes: an array map's
 * elements are 8 bytes apart in its mmap()ed memory whatever their size. */
struct weir_maglev_entry {
	__u32 backend_id;
	__u32 reserved;
};
_Static_assert(sizeof(struct weir_maglev_entry) == 8, "abi: maglev entry");

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
 * keeps a stream on one CPU), so its own fields need no atomics; the counts
 * it is part of (class, service, backend) are shared and atomic. */
struct weir_stream {
	__u32 backend_id;
	__u16 service_id;
	__u16 class_id;
	__u8 state; /* enum weir_stream_state */
	__u8 reserved;
	__u16 grant; /* weir_grants slot + 1 of the request it was granted by; 0: none */
	__u32 epoch; /* the epoch slot of its class it is counted in (counted states) */
	__u64 first_seen_ns;
	__u64 last_seen_ns; /* also its token bucket's last refill */
	__u64 packets;
	__u64 bytes; /* IP bytes, as the policer counts */
	__u64 tokens; /* what its bucket holds, 2^-30 bytes */
	__u32 policed; /* packets its bucket dropped */
	/* weir_hash_stream() of its key, kept once maglev or IP-in-IP needed
	 * it; 0: not computed yet (or an entry of an older build) */
	__u32 hash;
};
_Static_assert(sizeof(struct weir_stream) == 64, "abi: stream");
_Static_assert(sizeof(struct weir_stream_key) + sizeof(struct weir_stream) <= 128,
	       "abi: stream entry within 128 bytes");

/*
 * A stream's state. ACTIVE and PROVISIONAL streams are counted (their
 * class's active count, the service's streams and committed min, an epoch
 * slot); the others are not. Every state but CLOSING and PREEMPTED also
 * counts on its backend (streams pinned to it).
 */
enum weir_stream_state {
	WEIR_STATE_ACTIVE = 0,
	WEIR_STATE_PROVISIONAL = 1, /* TCP: admitted on its SYN, handshake not confirmed */
	WEIR_STATE_PAUSED = 2, /* idle past pause-after: share released, backend kept */
	WEIR_STATE_REFUSED = 3, /* paused, and its min did not fit when it came back */
	WEIR_STATE_PREEMPTED = 4, /* its place went to a higher priority: refused */
	WEIR_STATE_CLOSING = 5, /* ended by FIN; follows its backend for the last ACKs */
	WEIR_STATE_MAX,
};

#define WEIR_STATE_NAMES                                                              \
	{                                                                             \
		"active", "provisional", "paused", "refused", "preempted", "closing", \
	}

/* The client sent FIN: the stream has ended for accounting, but its entry
 * stays (pinned to the same backend) until WEIR_CLOSING_TIMEOUT_NS so the
 * client's last ACKs, and the ACKs of a half-closed stream that still
 * receives, reach the backend that holds the connection. */
#define WEIR_CLOSING_TIMEOUT_NS (10ULL * 1000000000ULL)

/*
 * Value of weir_classes (ARRAY, mmapable, index = class id): a class's
 * allocation, written by the controller every update, read by every packet
 * of its streams. Streams of one service with the same (min, max,
 * priority) share a class.
 */
struct weir_class {
	/* Each stream's bucket fills at the class's allocated rate, in
	 * WEIR_TOKEN_SHIFT fixed point: fill = bytes a second * 2^30 / 1e9
	 * (2^-30 bytes a ns), so a byte a second is still exact to 0.1%.
	 * WEIR_RATE_UNLIMITED: not policed. */
	__u64 fill;
	__u64 depth; /* what a bucket holds at most, 2^-30 bytes */
	__u64 full_ns; /* an empty bucket is full after this long */
	__u64 min_bps; /* what a stream of the class commits of the capacity */
	__u64 max_bps; /* the controller's, to find the class again after a restart */
	__u32 service_id;
	__u8 priority;
	__u8 flags; /* WEIR_CLASS_* */
	__u16 reserved;
};
_Static_assert(sizeof(struct weir_class) == 48, "abi: class");

#define WEIR_TOKEN_SHIFT 30

#define WEIR_CLASS_IN_USE (1U << 0)
/* Its service preempts: a stream of the class may be awaited by a
 * preemption, so its packets look at the class's counts. */
#define WEIR_CLASS_PREEMPTABLE (1U << 1)

/* Value of weir_class_counts (ARRAY, mmapable): the counts admission depends
 * on, kept exact by atomics in the data plane and the controller alike. */
struct weir_class_counts {
	__u64 active; /* counted streams */
	__u64 paused; /* streams whose share was released, not ended */
	__u64 preempt_pending; /* counted streams promised to a preemption */
	__u64 reserved[5];
	__u64 epochs[WEIR_EPOCH_SLOTS]; /* (tag << 32 | count), see WEIR_EPOCH_SHIFT */
};
_Static_assert(sizeof(struct weir_class_counts) == 576, "abi: class counts");

/* Value of weir_service_counts (ARRAY, mmapable, index = service id). */
struct weir_service_counts {
	__u64 streams; /* counted streams of the service */
	__u64 committed_bps; /* their mins */
	__u64 preempt_streams; /* of those, promised to preemptions */
	__u64 preempt_bps;
	__u64 released_epoch; /* the controller's: slots up to this epoch released */
	__u64 reserved[3];
};
_Static_assert(sizeof(struct weir_service_counts) == 64, "abi: service counts");

/* Value of weir_backend_counts (ARRAY, mmapable, index = backend id). */
struct weir_backend_counts {
	__u64 streams; /* pinned to it and not ended (paused ones too) */
	__u64 reserved;
};
_Static_assert(sizeof(struct weir_backend_counts) == 16, "abi: backend counts");

/* Per-CPU counters of a class (weir_class_stats, index = class id). */
struct weir_class_stats {
	__u64 packets; /* forwarded */
	__u64 bytes; /* forwarded, IP bytes */
	__u64 policed_packets;
	__u64 policed_bytes;
	__u64 admitted; /* new streams */
	__u64 refused; /* new or resuming streams refused */
	__u64 preempted; /* its streams that gave their place away */
	__u64 resumed; /* paused streams admitted again */
	/* Every change of its active count by the data plane, in and out:
	 * the controller's reconciliation bounds what changed during a pass. */
	__u64 counted_in, counted_out;
};
_Static_assert(sizeof(struct weir_class_stats) == 80, "abi: class stats");

/* Value of weir_rules (ARRAY, index = service id * WEIR_MAX_RULES + n): a
 * service's class rules in order; the first that matches a new stream
 * gives its class. */
struct weir_rule {
	__u8 kind; /* enum weir_rule_kind */
	__u8 family; /* CIDR */
	__u8 prefix_len; /* CIDR */
	__u8 dscp; /* DSCP */
	__u16 port_lo; /* PORTS: destination port range, host order */
	__u16 port_hi;
	__u16 class_id;
	__u16 reserved;
	__u32 reserved2;
	__u64 addr[2]; /* CIDR: the client prefix, masked */
	__u64 mask[2]; /* CIDR: its mask (prefix_len ones) */
};
_Static_assert(sizeof(struct weir_rule) == 48, "abi: rule");

enum weir_rule_kind {
	WEIR_RULE_CIDR = 1,
	WEIR_RULE_PORTS = 2,
	WEIR_RULE_DSCP = 3,
};

/* Key of weir_requests (HASH): a client a grant waits for; port 0 matches
 * any of its ports. Value: __u32 weir_grants slot. */
struct weir_request_key {
	__u8 addr[16];
	__be16 port;
	__u8 family;
	__u8 pad;
	__u32 service_id;
};
_Static_assert(sizeof(struct weir_request_key) == 24, "abi: request key");

/* Value of weir_grants (ARRAY, mmapable): an explicit stream request. The
 * controller reserves its place (counts) when it grants it; the client's
 * next new stream binds it (GRANTED -> BOUND, once, by compare-and-swap)
 * and takes the place without an admission check; unbound, it expires. */
struct weir_grant {
	__u32 state; /* enum weir_grant_state */
	__u16 service_id;
	__u16 class_id;
	__u64 expires_ns;
	struct weir_stream_key stream; /* written when bound */
};
_Static_assert(sizeof(struct weir_grant) == 56, "abi: grant");

enum weir_grant_state {
	WEIR_GRANT_FREE = 0,
	WEIR_GRANT_GRANTED = 1,
	WEIR_GRANT_BOUND = 2,
	WEIR_GRANT_EXPIRED = 3,
};

/* Value of weir_limiter (PERCPU_ARRAY, index = service id): the pace of
 * replies, virtual-scheduling limiters per CPU. */
struct weir_limiter {
	__u64 next_ns; /* when the next refusal reply (RST, ICMP) is due */
	__u64 too_big_next_ns; /* when the next ICMP "too big" (IP-in-IP) is due */
};
_Static_assert(sizeof(struct weir_limiter) == 16, "abi: limiter");

/*
 * Value of weir_admission (ARRAY, mmapable, index = service id): the PIE
 * probability a new stream of each priority is refused with, as a
 * fraction of 2^32 (the controller scales the service's p by priority).
 * Written by the controller every PIE update with plain 32-bit stores.
 */
struct weir_admission {
	__u32 refuse_prob[WEIR_PRIORITIES];
	/* Non-zero: no early refusal now (burst allowance left, or the delay
	 * is low and p small); the de-randomisation keeps its sum. */
	__u32 hold;
	__u32 reserved;
};
_Static_assert(sizeof(struct weir_admission) == 40, "abi: admission");

/* Value of weir_pie (PERCPU_ARRAY, index = service id): sch_pie's
 * de-randomisation. Each new stream adds its probability to sum; none is
 * refused while sum < 0.85, every one once sum >= 8.5, a random draw in
 * between; a refusal empties it. Refusals come evenly spaced rather
 * than in clumps. Units of 2^-32. */
struct weir_pie {
	__u64 sum;
	__u64 reserved;
};
_Static_assert(sizeof(struct weir_pie) == 16, "abi: pie");

/* In sch_pie's order (divide, then multiply): the controller's model of
 * the data plane (core/pie.h) takes these very values. */
#define WEIR_PIE_SUM_LOW ((1ULL << 32) / 100 * 85)
#define WEIR_PIE_SUM_HIGH ((1ULL << 32) / 2 * 17)

/* Per-CPU counters of a service (weir_service_stats) or a backend
 * (weir_backend_stats); index = id. */
struct weir_counters {
	__u64 packets; /* backends only: a service's are its classes' */
	__u64 bytes;
	__u64 new_streams;
	__u64 ended_streams;
	__u64 refused; /* new streams refused (no backend, admission, ...) */
	__u64 icmp_forwarded; /* ICMP errors about a stream sent to its backend */
	__u64 replies; /* refusals answered with a RST or an ICMP error */
	__u64 reserved;
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
	/* Refusals: the stream is refused (its packet dropped, or answered
	 * by the service's refuse action) and counted per service. */
	WEIR_DROP_CAPACITY, /* refused: the service's stream count is full */
	WEIR_DROP_MIN_UNMET, /* refused: its min does not fit in the rate left */
	WEIR_DROP_PREEMPTED, /* refused: its place went to a higher priority */
	WEIR_DROP_BACKEND_FULL, /* refused: every backend tried is at its max-streams */
	WEIR_DROP_CONTENDED, /* refused: its counts could not be updated (contention) */
	WEIR_DROP_SERVICE_PAUSED, /* refused: the service is paused */
	WEIR_DROP_POLICED, /* drop: beyond its class's rate */
	WEIR_DROP_PIE, /* refused: PIE's early refusal (the backends' delay is over target) */
	WEIR_DROP_FALLBACK, /* pass: no usable backend, the service falls back to the local stack */
	WEIR_DROP_TOO_BIG, /* drop: too big to encapsulate; answered with ICMP when DF (or IPv6) */
	WEIR_DROP_MAX,
};

_Static_assert(WEIR_DROP_MAX <= 32, "abi: reasons per service fit weir_service_reasons");
#define WEIR_REASONS_PER_SERVICE 32

#define WEIR_DROP_BIT(reason) (1U << (reason))
/* Reasons that refuse a stream: counted per service (and class), answered
 * by the service's refuse action. */
#define WEIR_DROP_REFUSALS                                                            \
	(WEIR_DROP_BIT(WEIR_DROP_NO_BACKEND) | WEIR_DROP_BIT(WEIR_DROP_CAPACITY) |    \
	 WEIR_DROP_BIT(WEIR_DROP_MIN_UNMET) | WEIR_DROP_BIT(WEIR_DROP_PREEMPTED) |    \
	 WEIR_DROP_BIT(WEIR_DROP_BACKEND_FULL) | WEIR_DROP_BIT(WEIR_DROP_CONTENDED) | \
	 WEIR_DROP_BIT(WEIR_DROP_SERVICE_PAUSED) | WEIR_DROP_BIT(WEIR_DROP_PIE))
/* Reasons whose packet is dropped (refusals among them); the others pass. */
#define WEIR_DROP_DROPS                                                            \
	(WEIR_DROP_REFUSALS | WEIR_DROP_BIT(WEIR_DROP_STREAM_TABLE) |              \
	 WEIR_DROP_BIT(WEIR_DROP_STRAY_RST) | WEIR_DROP_BIT(WEIR_DROP_NO_STREAM) | \
	 WEIR_DROP_BIT(WEIR_DROP_POLICED) | WEIR_DROP_BIT(WEIR_DROP_TOO_BIG))
#define WEIR_DROP_IN(mask, reason) ((__u32)(reason) < 32 && (((mask) >> (reason)) & 1))
#define WEIR_DROP_IS_DROP(reason) WEIR_DROP_IN(WEIR_DROP_DROPS, reason)
#define WEIR_DROP_IS_REFUSAL(reason) WEIR_DROP_IN(WEIR_DROP_REFUSALS, reason)

#define WEIR_DROP_NAMES                                                                         \
	{                                                                                       \
		"none", "not_unicast", "not_ip", "not_service", "truncated", "malformed",       \
			"fragment", "ipv6_ext", "icmp_no_stream", "no_backend", "stream_table", \
			"stray_rst", "no_stream", "capacity", "min_unmet", "preempted",         \
			"backend_full", "contended", "service_paused", "policed", "pie",        \
			"fallback", "too_big",                                                  \
	}

#endif /* WEIR_ABI_H */
