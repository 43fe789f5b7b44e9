/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The desired state: what a config file declares and what `weir config
 * dump` prints. config_parse() turns YAML text into structs and
 * config_emit() turns structs back into the same YAML, so a dump loads
 * again unchanged. Pure: no I/O (the caller reads the file).
 */
#ifndef WEIR_CONFIG_H
#define WEIR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "capacity.h"
#include "overload.h"
#include "units.h"

#define WEIR_MAX_INTERFACES 16
#define WEIR_IFNAME_MAX 16 /* IFNAMSIZ */
#define WEIR_ERR_MAX 512

enum weir_xdp_mode {
	WEIR_XDP_NATIVE = 0,
	WEIR_XDP_GENERIC = 1,
};

struct weir_health_config {
	bool enabled;
	uint16_t port; /* 0: the service port */
	uint64_t interval_ns;
	uint64_t timeout_ns;
	uint32_t fall; /* consecutive failures before down */
	uint32_t rise; /* consecutive successes before up */
};

struct weir_backend_config {
	struct weir_addr addr;
	uint8_t mac[6];
	bool has_mac; /* false: learn it from the neighbour table */
	bool paused;
	uint32_t weight; /* 0-65535; 0 takes no new streams */
	uint32_t max_streams; /* streams pinned to it at most; 0: no limit */
	bool standby; /* new streams only while no other backend is usable */
};

/* What a class rule matches (`--match`): the client's prefix, the
 * destination port range, or the DSCP. kind is an enum weir_rule_kind. */
struct weir_match {
	uint8_t kind;
	uint8_t prefix_len;
	uint8_t dscp;
	uint16_t port_lo, port_hi;
	struct weir_addr addr;
};

/* A class rule: streams it matches get (min, max, priority). */
struct weir_class_config {
	char name[32]; /* WEIR_NAME_MAX */
	struct weir_match match;
	uint64_t min_bps, max_bps; /* max 0: unlimited */
	uint8_t priority;
};

enum weir_fallback {
	WEIR_FALLBACK_DROP = 0,
	WEIR_FALLBACK_PASS = 1, /* no usable backend: to the local stack */
};

enum weir_share {
	WEIR_SHARE_MIN = 0,
	WEIR_SHARE_PRIORITY = 1,
};
/* The controller hands a service's share to the allocator as it is. */
_Static_assert((int)WEIR_SHARE_MIN == (int)ALLOC_SHARE_MIN &&
		       (int)WEIR_SHARE_PRIORITY == (int)ALLOC_SHARE_PRIORITY,
	       "config: share values are alloc's");

struct weir_service_config {
	char name[32]; /* WEIR_NAME_MAX: [A-Za-z0-9_.-], 1-31 chars */
	struct weir_addr vip;
	uint16_t port;
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t steering; /* enum weir_steering */
	uint8_t forwarding; /* enum weir_forwarding */
	uint8_t refuse; /* enum weir_refuse */
	uint64_t idle_timeout_ns;
	bool paused; /* no new streams */
	struct weir_health_config health;
	/* Admission and allocation: capacity 0 is no limit. */
	uint64_t capacity_streams;
	uint64_t capacity_rate; /* bit/s */
	uint64_t stream_min, stream_max; /* defaults of a stream no rule claims */
	uint8_t priority;
	uint8_t share; /* enum weir_share */
	bool preempt, burst;
	uint64_t pause_after_ns; /* idle this long: paused, share released */
	uint64_t handshake_timeout_ns; /* a SYN's provisional place */
	uint64_t bucket_depth_ns; /* a stream's bucket holds this much of its rate */
	uint32_t priority_reserve; /* permille kept back per priority step below the top */
	uint32_t refuse_rate; /* refusal replies a second per CPU; 0: none */
	struct weir_overload_config overload;
	struct weir_capacity_config capacity;
	uint8_t fallback; /* enum weir_fallback */
	uint64_t slow_start_ns; /* a backend's weight ramps up over this; 0: at once */
	uint32_t maglev_size; /* entries of its Maglev table: a prime, 251-65537 */
	/* ipip: the outer sources (a prefix of the VIP's family; kind 0: the
	 * default, 172.16.0.0/16 or 100::/64) and the largest outer datagram */
	struct weir_match encap_source;
	uint32_t encap_mtu;
	struct weir_class_config *classes; /* malloc'd, n_classes long, in order */
	size_t n_classes;
	struct weir_backend_config *backends; /* malloc'd, n_backends long */
	size_t n_backends;
};

/* What the controller exports: Prometheus' /metrics over HTTP and, when
 * given a target, statsD over UDP (user/ctl/metrics.c). */
struct weir_metrics_config {
	bool enabled; /* metrics: on (the default) or off */
	struct weir_addr listen; /* metrics-listen: 127.0.0.1:9469 by default */
	uint16_t listen_port;
	bool statsd; /* statsd: off (the default), or where to push */
	struct weir_addr statsd_addr;
	uint16_t statsd_port;
	uint64_t statsd_interval_ns; /* 100ms-1h, default 10s */
	char statsd_prefix[32]; /* 0-31 of [A-Za-z0-9_.-], default "weir." */
	uint32_t statsd_sample_ppm; /* counters sent with this probability, per million */
};

#define WEIR_METRICS_PORT_DEFAULT 9469
#define WEIR_STATSD_INTERVAL_MIN_NS 100000000ULL
#define WEIR_STATSD_INTERVAL_MAX_NS 3600000000000ULL

struct weir_config {
	char interfaces[WEIR_MAX_INTERFACES][WEIR_IFNAME_MAX];
	size_t n_interfaces;
	uint8_t xdp_mode; /* enum weir_xdp_mode */
	uint64_t update_interval_ns;
	uint32_t stream_table_size;
	struct weir_metrics_config metrics;
	struct weir_service_config *services; /* malloc'd, n_services long */
	size_t n_services;
	/* Settings the document gave rather than defaulted (WEIR_CONFIG_GIVEN_*),
	 * so a file loaded into a running controller changes only those. */
	uint8_t given;
};

#define WEIR_CONFIG_GIVEN_XDP_MODE (1U << 0)
#define WEIR_CONFIG_GIVEN_STREAM_TABLE_SIZE (1U << 1)
#define WEIR_CONFIG_GIVEN_METRICS (1U << 2) /* any of metrics*, statsd* */
#define WEIR_CONFIG_GIVEN_METRICS_LISTEN (1U << 3)

/* Defaults: update-interval 100ms, stream-table-size 1048576, native;
 * metrics on 127.0.0.1:9469, statsd off (10s, "weir.", rate 1). */
void config_init(struct weir_config *cfg);
/* Defaults for a service of this protocol: round-robin, dsr, drop; idle
 * timeout 900s (tcp) / 300s (udp); health tcp-connect on for tcp (1s,
 * 500ms, fall 3, rise 2), off for udp; no capacity; streams min 0, max
 * unlimited, priority 0; share min; pause-after 30s; handshake-timeout 3s;
 * bucket-depth 10ms; priority-reserve 10%; refuse-rate 1000/s. */
void config_service_init(struct weir_service_config *svc, uint8_t proto);
void config_backend_init(struct weir_backend_config *be);
void config_free(struct weir_config *cfg);

/*
 * Parse YAML text into cfg (initialised here). On error returns -EINVAL,
 * leaves cfg empty, and writes a message naming the line and the object:
 * "line 12, column 11: service web: port: 70000 is not a port (1-65535)".
 */
int config_parse(const char *text, size_t len, struct weir_config *cfg, char *err, size_t errlen);

/*
 * A service option by its key, as the file and the control socket give it:
 * steering to slow-start, the overload options (core/overload.h) and the
 * capacity expressions (core/capacity.h). 0; -ENOENT for a key that is none
 * of them (name, vip, port, proto, paused, health, backends and classes
 * are not); -EINVAL with why: the value and what is wrong with it ("9 is
 * not a priority (0-7)"), or for an expression where it fails. svc is
 * unchanged on failure. Ranges that need more than the one value are
 * config_check_service()'s.
 */
int config_service_set(struct weir_service_config *svc, const char *key, const char *text,
		       char *why, size_t len);
/* Whether config_service_set() takes key. */
bool config_service_option(const char *key);
/* A key of a health mapping or of a class rule, as config_service_set(). */
int config_health_set(struct weir_health_config *h, const char *key, const char *text, char *why,
		      size_t len);
int config_class_set(struct weir_class_config *c, const char *key, const char *text, char *why,
		     size_t len);

/* Checks that need the whole document or object: names and keys unique,
 * backend family matches the VIP's, values the data plane supports. */
int config_check_service(const struct weir_service_config *svc, char *err, size_t errlen);
int config_check(const struct weir_config *cfg, char *err, size_t errlen);

/* Emit cfg as YAML into a malloc'd NUL-terminated string (*out). */
int config_emit(const struct weir_config *cfg, char **out);

bool config_metrics_equal(const struct weir_metrics_config *a, const struct weir_metrics_config *b);

/* Deep copies for the controller's "apply all or nothing" changes. */
int config_copy(struct weir_config *dst, const struct weir_config *src);
int config_service_copy(struct weir_service_config *dst, const struct weir_service_config *src);
void config_service_free(struct weir_service_config *svc);

/* Names <-> enum values shared by config, CLI and dump. Return -EINVAL for
 * an unknown name; the *_name functions return "?" for unknown values. */
int config_parse_steering(const char *s, uint8_t *out);
int config_parse_forwarding(const char *s, uint8_t *out);
int config_parse_refuse(const char *s, uint8_t *out);
int config_parse_xdp_mode(const char *s, uint8_t *out);
const char *config_steering_name(uint8_t v);
const char *config_forwarding_name(uint8_t v);
const char *config_refuse_name(uint8_t v);
const char *config_xdp_mode_name(uint8_t v);
int config_check_name(const char *name);
const char *config_share_name(uint8_t v);
/* "198.18.0.0/16", "2001:db8::/32", "port:80", "port:8000-8099", "dscp:46". */
int config_parse_match(const char *s, struct weir_match *out);
const char *config_format_match(const struct weir_match *m, char *buf, size_t len);
/* Checks one class rule on its own (names, rates, priority). */
int config_check_class(const struct weir_service_config *svc, size_t i, char *err, size_t errlen);

/* The whole seconds in the data plane's WEIR_PAUSE_EPOCHS_MAX (weir/abi.h): 60 s. */
#define WEIR_PAUSE_AFTER_MAX_NS \
	(WEIR_PAUSE_EPOCHS_MAX * WEIR_EPOCH_NS / 1000000000ULL * 1000000000ULL)
#define WEIR_HANDSHAKE_MAX_NS (8ULL * 1000000000ULL)
#define WEIR_SLOW_START_MAX_NS (3600ULL * 1000000000ULL)
#define WEIR_ENCAP_MTU_MIN 1280
#define WEIR_ENCAP_MTU_MAX 9216
/* The encap source a service uses: its own, or the default of its family. */
void config_encap_source(const struct weir_service_config *svc, struct weir_match *out);

#endif
