// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Config document <-> structs. Every object's scalar keys are one table of
 * options (core/option.h): the YAML walk, the control socket (through
 * config_service_set()) and the dump all go through it, so a key reads,
 * refuses and prints the same everywhere. The walk adds the keys whose
 * values are lists or mappings; unknown and duplicate keys are caught in
 * one place and every message names the line and the object. Checks that
 * need more than one value at a time live in config_check*(), which the
 * socket's changes go through as well.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "weir/abi.h"
#include "core/config.h"
#include "core/emit.h"
#include "core/maglev.h"
#include "core/option.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define STREAM_TABLE_MAX (1U << 24)
#define WEIGHT_MAX 65535
#define DUR_STRLEN 32
#define PPM 1000000U
/* A weir document nests 6 levels (services, a service, its backends, a
 * backend...); anything far deeper is not one. */
#define CONFIG_DEPTH_MAX 16

/* Indexed by enum value, so a name and its value cannot drift apart;
 * NULL-terminated for option_choice. */
static const char *const steering_names[] = {
	[WEIR_STEER_ROUND_ROBIN] = "round-robin",
	[WEIR_STEER_WEIGHTED] = "weighted",
	[WEIR_STEER_MAGLEV] = "maglev",
	NULL,
};
static const char *const forwarding_names[] = {
	[WEIR_FWD_DSR] = "dsr",
	[WEIR_FWD_IPIP] = "ipip",
	NULL,
};
static const char *const refuse_names[] = {
	[WEIR_REFUSE_DROP] = "drop",
	[WEIR_REFUSE_RESET] = "reset",
	NULL,
};
static const char *const share_names[] = {
	[WEIR_SHARE_MIN] = "min",
	[WEIR_SHARE_PRIORITY] = "priority",
	NULL,
};
static const char *const fallback_names[] = {
	[WEIR_FALLBACK_DROP] = "drop",
	[WEIR_FALLBACK_PASS] = "pass",
	NULL,
};
static const char *const xdp_mode_names[] = {
	[WEIR_XDP_NATIVE] = "native",
	[WEIR_XDP_GENERIC] = "generic",
	NULL,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A statsD prefix: what a name may hold, dots included. */
static bool prefix_ok(const char *s)
{
	return strlen(s) < sizeof(((struct weir_metrics_config *)0)->statsd_prefix) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
		       strlen(s);
}

static int name_lookup(const char *const *names, size_t n, const char *s, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i] && strcmp(names[i], s) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *name_of(const char *const *names, size_t n, uint8_t v)
{
	return v < n && names[v] ? names[v] : "?";
}

int config_parse_steering(const char *s, uint8_t *out)
{
	return name_lookup(steering_names, ARRAY_SIZE(steering_names), s, out);
}

int config_parse_forwarding(const char *s, uint8_t *out)
{
	return name_lookup(forwarding_names, ARRAY_SIZE(forwarding_names), s, out);
}

int config_parse_refuse(const char *s, uint8_t *out)
{
	return name_lookup(refuse_names, ARRAY_SIZE(refuse_names), s, out);
}

int config_parse_xdp_mode(const char *s, uint8_t *out)
{
	return name_lookup(xdp_mode_names, ARRAY_SIZE(xdp_mode_names), s, out);
}

const char *config_steering_name(uint8_t v)
{
	return name_of(steering_names, ARRAY_SIZE(steering_names), v);
}

const char *config_forwarding_name(uint8_t v)
{
	return name_of(forwarding_names, ARRAY_SIZE(forwarding_names), v);
}

const char *config_refuse_name(uint8_t v)
{
	return name_of(refuse_names, ARRAY_SIZE(refuse_names), v);
}

const char *config_xdp_mode_name(uint8_t v)
{
	return name_of(xdp_mode_names, ARRAY_SIZE(xdp_mode_names), v);
}

const char *config_share_name(uint8_t v)
{
	return name_of(share_names, ARRAY_SIZE(share_names), v);
}

static int parse_port_range(const char *s, struct weir_match *m)
{
	char lo[8], *dash = strchr(s, '-');
	size_t len = dash ? (size_t)(dash - s) : strlen(s);

	if (len >= sizeof(lo))
		return -EINVAL;
	memcpy(lo, s, len);
	lo[len] = '\0';
	if (units_parse_port(lo, &m->port_lo))
		return -EINVAL;
	m->port_hi = m->port_lo;
	if (dash && (units_parse_port(dash + 1, &m->port_hi) || m->port_hi < m->port_lo))
		return -EINVAL;
	m->kind = WEIR_RULE_PORTS;
	return 0;
}

static int parse_prefix(const char *s, struct weir_match *m)
{
	char addr[WEIR_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t bits;

	if (len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (units_parse_addr(addr, &m->addr))
		return -EINVAL;
	bits = m->addr.family == WEIR_AF_INET ? 32 : 128;
	if (slash && units_parse_u32(slash + 1, 0, bits, &bits))
		return -EINVAL;
	m->prefix_len = bits;
	m->kind = WEIR_RULE_CIDR;
	return 0;
}

int config_parse_match(const char *s, struct weir_match *out)
{
	struct weir_match m = {};
	uint32_t dscp;
	int ret;

	if (!strncmp(s, "port:", 5)) {
		ret = parse_port_range(s + 5, &m);
	} else if (!strncmp(s, "dscp:", 5)) {
		ret = units_parse_u32(s + 5, 0, 63, &dscp);
		m.dscp = dscp;
		m.kind = WEIR_RULE_DSCP;
	} else {
		ret = parse_prefix(s, &m);
	}
	if (!ret)
		*out = m;
	return ret ? -EINVAL : 0;
}

const char *config_format_match(const struct weir_match *m, char *buf, size_t len)
{
	char addr[WEIR_ADDR_STRLEN];

	if (m->kind == WEIR_RULE_PORTS && m->port_lo == m->port_hi)
		snprintf(buf, len, "port:%u", m->port_lo);
	else if (m->kind == WEIR_RULE_PORTS)
		snprintf(buf, len, "port:%u-%u", m->port_lo, m->port_hi);
	else if (m->kind == WEIR_RULE_DSCP)
		snprintf(buf, len, "dscp:%u", m->dscp);
	else
		snprintf(buf, len, "%s/%u", units_format_addr(&m->addr, addr, sizeof(addr)),
			 m->prefix_len);
	return buf;
}

int config_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len >= WEIR_NAME_MAX)
		return -EINVAL;
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
	    len)
		return -EINVAL;
	return 0;
}

/* The kernel's dev_valid_name(): anything but '/', ':' and blanks. Control
 * characters are refused too, so a name always prints on one line. */
static int check_ifname(const char *name)
{
	size_t len = strlen(name), i;

	if (len < 1 || len >= WEIR_IFNAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':')
			return -EINVAL;
	}
	return 0;
}

/* ---- options: one table of scalar keys per object ---- */

static int parse_name(const struct option *o, void *obj, const char *s, char *why, size_t len)
{
	if (config_check_name(s) || strlen(s) >= o->size) {
		snprintf(why, len, "is not a valid name (1-31 of A-Z a-z 0-9 _ . -)");
		return -EINVAL;
	}
	memcpy(option_field(o, obj), s, strlen(s) + 1);
	return 0;
}

static const char *format_name(const struct option *o, const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "%s", (const char *)option_const_field(o, obj));
	return buf;
}

static const struct option_kind name_kind = { parse_name, format_name, false };

static int parse_addr(const struct option *o, void *obj, const char *s, char *why, size_t len)
{
	if (!units_parse_addr(s, option_field(o, obj)))
		return 0;
	snprintf(why, len, "is not an IPv4 or IPv6 address");
	return -EINVAL;
}

static const char *format_addr(const struct option *o, const void *obj, char *buf, size_t len)
{
	return units_format_addr(option_const_field(o, obj), buf, len);
}

static const struct option_kind addr_kind = { parse_addr, format_addr, false };

static int parse_proto(const struct option *o, void *obj, const char *s, char *why, size_t len)
{
	if (!units_parse_proto(s, option_field(o, obj)))
		return 0;
	snprintf(why, len, "is not a protocol (tcp or udp)");
	return -EINVAL;
}

static const char *format_proto(const struct option *o, const void *obj, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return units_proto_name(*(const uint8_t *)option_const_field(o, obj));
}

static const struct option_kind proto_kind = { parse_proto, format_proto, false };

/* A backend's MAC: given, rather than learnt from the neighbour table. */
static int parse_mac(const struct option *o, void *obj, const char *s, char *why, size_t len)
{
	struct weir_backend_config *be = obj;

	(void)o;
	if (units_parse_mac(s, be->mac)) {
		snprintf(why, len, "is not a MAC address (like 02:00:00:00:00:11)");
		return -EINVAL;
	}
	be->has_mac = true;
	return 0;
}

static const char *format_mac(const struct option *o, const void *obj, char *buf, size_t len)
{
	(void)o;
	return units_format_mac(((const struct weir_backend_config *)obj)->mac, buf, len);
}

static const struct option_kind mac_kind = { parse_mac, format_mac, false };

static int parse_rule(const struct option *o, void *obj, const char *s, char *why, size_t len)
{
	if (!config_parse_match(s, option_field(o, obj)))
		return 0;
	snprintf(why, len,
		 "is not a match (a client prefix like 198.18.0.0/16, port:N[-M] or dscp:N)");
	return -EINVAL;
}

static const char *format_rule(const struct option *o, const void *obj, char *buf, size_t len)
{
	return config_format_match(option_const_field(o, obj), buf, len);
}

static const struct option_kind match_kind = { parse_rule, format_rule, true };

/* encap-source takes a prefix only; the dump writes the one the service
 * uses, its own or its family's default. */
static int parse_encap_source(const struct option *o, void *obj, const char *s, char *why,
			      size_t len)
{
	struct weir_match m;

	if (config_parse_match(s, &m) || m.kind != WEIR_RULE_CIDR) {
		snprintf(why, len, "is not a prefix (like 198.19.254.0/24)");
		return -EINVAL;
	}
	*(struct weir_match *)option_field(o, obj) = m;
	return 0;
}

static const char *format_encap_source(const struct option *o, const void *obj, char *buf,
				       size_t len)
{
	struct weir_match m;

	(void)o;
	config_encap_source(obj, &m);
	return config_format_match(&m, buf, len);
}

static const struct option_kind encap_source_kind = { parse_encap_source, format_encap_source,
						      true };

#define NO_LIMIT UINT64_MAX
#define TOP(member) OPTION_FIELD(struct weir_config, member)
#define SVC(member) OPTION_FIELD(struct weir_service_config, member)
#define HEALTH(member) OPTION_FIELD(struct weir_health_config, member)
#define BACKEND(member) OPTION_FIELD(struct weir_backend_config, member)
#define CLASS(member) OPTION_FIELD(struct weir_class_config, member)

/* Durations are only refused at 0 here: their ranges need the whole object
 * and are config_check()'s. The tables are in dump order. */
static const struct option top_options[] = {
	{ "xdp-mode", &option_choice, TOP(xdp_mode), 0, 0, xdp_mode_names, NULL },
	{ "update-interval", &option_duration, TOP(update_interval_ns), 1, NO_LIMIT, NULL, NULL },
	{ "stream-table-size", &option_number, TOP(stream_table_size), 1, STREAM_TABLE_MAX, NULL,
	  NULL },
	{ 0 },
};

static const struct option health_options[] = {
	{ "enabled", &option_bool, HEALTH(enabled), 0, 0, NULL, NULL },
	{ "port", &option_number, HEALTH(port), 0, 65535, NULL,
	  "a port (1-65535, or 0 for the service port)" },
	{ "interval", &option_duration, HEALTH(interval_ns), 1, NO_LIMIT, NULL, NULL },
	{ "timeout", &option_duration, HEALTH(timeout_ns), 1, NO_LIMIT, NULL, NULL },
	{ "fall", &option_number, HEALTH(fall), 1, UINT32_MAX, NULL, NULL },
	{ "rise", &option_number, HEALTH(rise), 1, UINT32_MAX, NULL, NULL },
	{ 0 },
};

static const struct option backend_options[] = {
	{ "addr", &addr_kind, BACKEND(addr), 0, 0, NULL, NULL },
	{ "weight", &option_number, BACKEND(weight), 0, WEIGHT_MAX, NULL, NULL },
	{ "mac", &mac_kind, BACKEND(mac), 0, 0, NULL, NULL },
	{ "paused", &option_bool, BACKEND(paused), 0, 0, NULL, NULL },
	{ "max-streams", &option_number, BACKEND(max_streams), 0, UINT32_MAX, NULL, NULL },
	{ "standby", &option_bool, BACKEND(standby), 0, 0, NULL, NULL },
	{ 0 },
};

static const struct option class_options[] = {
	{ "name", &name_kind, CLASS(name), 0, 0, NULL, NULL },
	{ "match", &match_kind, CLASS(match), 0, 0, NULL, NULL },
	{ "min", &option_rate, CLASS(min_bps), 0, 0, NULL, NULL },
	{ "max", &option_rate, CLASS(max_bps), 0, 0, NULL, NULL },
	{ "priority", &option_number, CLASS(priority), 0, WEIR_PRIORITIES - 1, NULL,
	  "a priority (0-7)" },
	{ 0 },
};

/* A service's keys that are no options of the control socket: service.add
 * takes the first four as its arguments, service.pause/resume set paused. */
static const struct option service_own_options[] = {
	{ "name", &name_kind, SVC(name), 0, 0, NULL, NULL },
	{ "vip", &addr_kind, SVC(vip), 0, 0, NULL, NULL },
	{ "port", &option_number, SVC(port), 1, 65535, NULL, "a port (1-65535)" },
	{ "proto", &proto_kind, SVC(proto), 0, 0, NULL, NULL },
	{ "paused", &option_bool, SVC(paused), 0, 0, NULL, NULL },
	{ 0 },
};

/* The service options, in three runs: the dump writes paused and health
 * after the first, the overload and capacity options after the second. */
static const struct option flow_options[] = {
	{ "steering", &option_choice, SVC(steering), 0, 0, steering_names, NULL },
	{ "forwarding", &option_choice, SVC(forwarding), 0, 0, forwarding_names, NULL },
	{ "refuse", &option_choice, SVC(refuse), 0, 0, refuse_names, NULL },
	{ "idle-timeout", &option_duration, SVC(idle_timeout_ns), 1, NO_LIMIT, NULL, NULL },
	{ 0 },
};

static const struct option admission_options[] = {
	{ "capacity-streams", &option_number, SVC(capacity_streams), 0, UINT32_MAX, NULL, NULL },
	{ "capacity-rate", &option_rate, SVC(capacity_rate), 0, 0, NULL, NULL },
	{ "stream-min", &option_rate, SVC(stream_min), 0, 0, NULL, NULL },
	{ "stream-max", &option_rate, SVC(stream_max), 0, 0, NULL, NULL },
	{ "priority", &option_number, SVC(priority), 0, WEIR_PRIORITIES - 1, NULL,
	  "a priority (0-7)" },
	{ "share", &option_choice, SVC(share), 0, 0, share_names, NULL },
	{ "preempt", &option_bool, SVC(preempt), 0, 0, NULL, NULL },
	{ "burst", &option_bool, SVC(burst), 0, 0, NULL, NULL },
	{ "pause-after", &option_duration, SVC(pause_after_ns), 1, NO_LIMIT, NULL, NULL },
	{ "handshake-timeout", &option_duration, SVC(handshake_timeout_ns), 1, NO_LIMIT, NULL,
	  NULL },
	{ "bucket-depth", &option_duration, SVC(bucket_depth_ns), 1, NO_LIMIT, NULL, NULL },
	{ "priority-reserve", &option_permille, SVC(priority_reserve), 0, 500, NULL, NULL },
	{ "refuse-rate", &option_number, SVC(refuse_rate), 0, 1000000, NULL, NULL },
	{ 0 },
};

static const struct option delivery_options[] = {
	{ "fallback", &option_choice, SVC(fallback), 0, 0, fallback_names, NULL },
	{ "maglev-table-size", &option_number, SVC(maglev_size), 1, UINT32_MAX, NULL, NULL },
	{ "encap-source", &encap_source_kind, SVC(encap_source), 0, 0, NULL, NULL },
	{ "encap-mtu", &option_number, SVC(encap_mtu), WEIR_ENCAP_MTU_MIN, WEIR_ENCAP_MTU_MAX, NULL,
	  NULL },
	/* 0 is off */
	{ "slow-start", &option_duration, SVC(slow_start_ns), 0, NO_LIMIT, NULL, NULL },
	{ 0 },
};

static const struct option *const service_options[] = {
	flow_options,
	admission_options,
	delivery_options,
	NULL,
};

int config_service_set(struct weir_service_config *svc, const char *key, const char *text,
		       char *why, size_t len)
{
	int ret = -ENOENT;
	size_t i;

	for (i = 0; ret == -ENOENT && service_options[i]; i++)
		ret = option_set(service_options[i], svc, key, text, why, len);
	if (ret == -ENOENT)
		ret = overload_set(&svc->overload, key, text, why, len);
	if (ret == -ENOENT)
		ret = capacity_set(&svc->capacity, &svc->overload, key, text, why, len);
	return ret;
}

bool config_service_option(const char *key)
{
	size_t i;

	for (i = 0; service_options[i]; i++)
		if (option_find(service_options[i], key))
			return true;
	for (i = 0; capacity_keys[i]; i++)
		if (!strcmp(capacity_keys[i], key))
			return true;
	return overload_expected(key) != NULL;
}

int config_health_set(struct weir_health_config *h, const char *key, const char *text, char *why,
		      size_t len)
{
	return option_set(health_options, h, key, text, why, len);
}

int config_class_set(struct weir_class_config *c, const char *key, const char *text, char *why,
		     size_t len)
{
	return option_set(class_options, c, key, text, why, len);
}

/* ---- defaults, copies, free ---- */

void config_init(struct weir_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->xdp_mode = WEIR_XDP_NATIVE;
	cfg->update_interval_ns = 100 * NS_PER_MS;
	cfg->stream_table_size = WEIR_STREAMS_DEFAULT;
	cfg->metrics.enabled = true;
	units_parse_addr("127.0.0.1", &cfg->metrics.listen);
	cfg->metrics.listen_port = WEIR_METRICS_PORT_DEFAULT;
	cfg->metrics.statsd_interval_ns = 10 * NS_PER_S;
	strcpy(cfg->metrics.statsd_prefix, "weir.");
	cfg->metrics.statsd_sample_ppm = PPM;
}

void config_service_init(struct weir_service_config *svc, uint8_t proto)
{
	bool tcp = proto == IPPROTO_TCP;

	memset(svc, 0, sizeof(*svc));
	svc->proto = proto;
	svc->steering = WEIR_STEER_ROUND_ROBIN;
	svc->forwarding = WEIR_FWD_DSR;
	svc->refuse = WEIR_REFUSE_DROP;
	svc->idle_timeout_ns = (tcp ? 900 : 300) * NS_PER_S;
	/* UDP keeps the same timings with the check off, so turning it on
	 * needs one key, not six. */
	svc->health.enabled = tcp;
	svc->health.interval_ns = NS_PER_S;
	svc->health.timeout_ns = 500 * NS_PER_MS;
	svc->health.fall = 3;
	svc->health.rise = 2;
	svc->pause_after_ns = 30 * NS_PER_S;
	svc->handshake_timeout_ns = 3 * NS_PER_S;
	svc->bucket_depth_ns = 10 * NS_PER_MS;
	svc->priority_reserve = 100;
	svc->refuse_rate = 1000;
	overload_config_init(&svc->overload);
	capacity_config_init(&svc->capacity);
	svc->maglev_size = MAGLEV_SIZE_DEFAULT;
	svc->encap_mtu = 1500;
}

void config_backend_init(struct weir_backend_config *be)
{
	memset(be, 0, sizeof(*be));
	be->weight = 1;
}

void config_service_free(struct weir_service_config *svc)
{
	free(svc->backends);
	svc->backends = NULL;
	svc->n_backends = 0;
	free(svc->classes);
	svc->classes = NULL;
	svc->n_classes = 0;
}

void config_free(struct weir_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++)
		config_service_free(&cfg->services[i]);
	free(cfg->services);
	config_init(cfg);
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	void *dst = n ? malloc(n * size) : NULL;

	if (dst)
		memcpy(dst, src, n * size);
	return dst;
}

int config_service_copy(struct weir_service_config *dst, const struct weir_service_config *src)
{
	*dst = *src;
	dst->backends = dup_array(src->backends, src->n_backends, sizeof(*src->backends));
	dst->classes = dup_array(src->classes, src->n_classes, sizeof(*src->classes));
	if ((src->n_backends && !dst->backends) || (src->n_classes && !dst->classes)) {
		config_service_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int config_copy(struct weir_config *dst, const struct weir_config *src)
{
	size_t i;

	*dst = *src;
	dst->services = NULL;
	dst->n_services = 0;
	if (!src->n_services)
		return 0;
	dst->services = calloc(src->n_services, sizeof(*src->services));
	if (!dst->services)
		goto fail;
	for (i = 0; i < src->n_services; i++) {
		dst->n_services = i + 1;
		if (config_service_copy(&dst->services[i], &src->services[i]))
			goto fail;
	}
	return 0;
fail:
	config_free(dst);
	return -ENOMEM;
}

/* ---- checks ---- */

static int set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *family_name(const struct weir_addr *a)
{
	return a->family == WEIR_AF_INET6 ? "IPv6" : "IPv4";
}

static int check_health(const struct weir_service_config *svc, char *err, size_t errlen)
{
	const struct weir_health_config *h = &svc->health;
	char a[DUR_STRLEN], b[DUR_STRLEN];

	/* Checked even when disabled: the values are dumped, so they must load. */
	if (!h->interval_ns || !h->timeout_ns)
		return set_err(err, errlen,
			       "service %s: health: interval and timeout must be longer than 0",
			       svc->name);
	if (h->timeout_ns >= h->interval_ns)
		return set_err(err, errlen,
			       "service %s: health: timeout %s must be shorter than interval %s",
			       svc->name, units_format_duration(h->timeout_ns, a, sizeof(a)),
			       units_format_duration(h->interval_ns, b, sizeof(b)));
	if (h->fall < 1 || h->rise < 1)
		return set_err(err, errlen, "service %s: health: fall and rise must be at least 1",
			       svc->name);
	return 0;
}

static int check_backend(const struct weir_service_config *svc, size_t i, char *err, size_t errlen)
{
	const struct weir_backend_config *be = &svc->backends[i];
	char addr[WEIR_ADDR_STRLEN], mac[WEIR_MAC_STRLEN];
	size_t j;

	units_format_addr(&be->addr, addr, sizeof(addr));
	if (be->addr.family != svc->vip.family)
		return set_err(err, errlen, "service %s: backend %s: %s backend for an %s VIP",
			       svc->name, addr, family_name(&be->addr), family_name(&svc->vip));
	if (!units_addr_is_unicast(&be->addr))
		return set_err(err, errlen,
			       "service %s: backend %s: not a unicast host address (unspecified, "
			       "loopback, multicast or broadcast)",
			       svc->name, addr);
	if (units_addr_equal(&be->addr, &svc->vip))
		return set_err(err, errlen, "service %s: backend %s: is the service's VIP",
			       svc->name, addr);
	if (be->has_mac && !units_mac_is_unicast(be->mac))
		return set_err(err, errlen,
			       "service %s: backend %s: MAC %s is not a unicast MAC (zero, "
			       "multicast or broadcast)",
			       svc->name, addr, units_format_mac(be->mac, mac, sizeof(mac)));
	if (be->weight > WEIGHT_MAX)
		return set_err(err, errlen,
			       "service %s: backend %s: weight %u is out of range (0-%d)",
			       svc->name, addr, be->weight, WEIGHT_MAX);
	for (j = 0; j < i; j++) {
		if (units_addr_equal(&svc->backends[j].addr, &be->addr))
			return set_err(err, errlen, "service %s: backend %s is listed twice",
				       svc->name, addr);
	}
	return 0;
}

static int check_service_values(const struct weir_service_config *svc, char *err, size_t errlen)
{
	char vip[WEIR_ADDR_STRLEN];

	if (config_check_name(svc->name))
		return set_err(err, errlen,
			       "service '%.32s': not a valid name (1-31 of A-Z a-z 0-9 _ . -)",
			       svc->name);
	if (svc->vip.family != WEIR_AF_INET && svc->vip.family != WEIR_AF_INET6)
		return set_err(err, errlen, "service %s: no VIP", svc->name);
	if (!units_addr_is_unicast(&svc->vip))
		return set_err(err, errlen,
			       "service %s: VIP %s is not a unicast host address (unspecified, "
			       "loopback, multicast or broadcast)",
			       svc->name, units_format_addr(&svc->vip, vip, sizeof(vip)));
	if (!svc->port)
		return set_err(err, errlen, "service %s: no port", svc->name);
	if (svc->proto != IPPROTO_TCP && svc->proto != IPPROTO_UDP)
		return set_err(err, errlen, "service %s: protocol must be tcp or udp", svc->name);
	if (!svc->idle_timeout_ns)
		return set_err(err, errlen, "service %s: idle timeout must be longer than 0",
			       svc->name);
	return 0;
}

static int check_rates(const struct weir_service_config *svc, const char *what, uint64_t min,
		       uint64_t max, char *err, size_t errlen)
{
	char a[DUR_STRLEN], b[DUR_STRLEN];

	if (max && min > max)
		return set_err(err, errlen, "service %s: %smin %s is above its max %s", svc->name,
			       what, units_format_rate(min, a, sizeof(a)),
			       units_format_rate(max, b, sizeof(b)));
	if (svc->capacity_rate && min > svc->capacity_rate)
		return set_err(err, errlen,
			       "service %s: %smin %s is above the capacity-rate %s: no stream "
			       "could ever be admitted",
			       svc->name, what, units_format_rate(min, a, sizeof(a)),
			       units_format_rate(svc->capacity_rate, b, sizeof(b)));
	return 0;
}

static int check_range_ns(const struct weir_service_config *svc, const char *key, uint64_t ns,
			  uint64_t lo, uint64_t hi, char *err, size_t errlen)
{
	char v[DUR_STRLEN], a[DUR_STRLEN], b[DUR_STRLEN];

	if (ns >= lo && ns <= hi)
		return 0;
	return set_err(err, errlen, "service %s: %s %s is out of range (%s-%s)", svc->name, key,
		       units_format_duration(ns, v, sizeof(v)),
		       units_format_duration(lo, a, sizeof(a)),
		       units_format_duration(hi, b, sizeof(b)));
}

static int check_admission(const struct weir_service_config *svc, char *err, size_t errlen)
{
	char why[128];
	int ret = check_rates(svc, "stream-", svc->stream_min, svc->stream_max, err, errlen);

	if (!ret && svc->priority >= WEIR_PRIORITIES)
		ret = set_err(err, errlen, "service %s: priority %u is out of range (0-7)",
			      svc->name, svc->priority);
	if (!ret)
		ret = check_range_ns(svc, "pause-after", svc->pause_after_ns, NS_PER_S,
				     WEIR_PAUSE_AFTER_MAX_NS, err, errlen);
	if (!ret)
		ret = check_range_ns(svc, "handshake-timeout", svc->handshake_timeout_ns, NS_PER_S,
				     WEIR_HANDSHAKE_MAX_NS, err, errlen);
	if (!ret)
		ret = check_range_ns(svc, "bucket-depth", svc->bucket_depth_ns, NS_PER_MS, NS_PER_S,
				     err, errlen);
	if (!ret && svc->priority_reserve > 500)
		ret = set_err(err, errlen, "service %s: priority-reserve is above 50%%", svc->name);
	if (!ret && svc->encap_source.kind == WEIR_RULE_CIDR &&
	    svc->encap_source.addr.family != svc->vip.family)
		ret = set_err(err, errlen, "service %s: encap-source %s for an %s VIP", svc->name,
			      family_name(&svc->encap_source.addr), family_name(&svc->vip));
	if (!ret && (svc->encap_mtu < WEIR_ENCAP_MTU_MIN || svc->encap_mtu > WEIR_ENCAP_MTU_MAX))
		ret = set_err(err, errlen, "service %s: encap-mtu %u is out of range (%d-%d)",
			      svc->name, svc->encap_mtu, WEIR_ENCAP_MTU_MIN, WEIR_ENCAP_MTU_MAX);
	if (!ret && !maglev_is_prime(svc->maglev_size))
		ret = set_err(err, errlen, "service %s: maglev-table-size %u is not a prime",
			      svc->name, svc->maglev_size);
	if (!ret && (svc->maglev_size < MAGLEV_SIZE_MIN || svc->maglev_size > MAGLEV_SIZE_MAX))
		ret = set_err(err, errlen,
			      "service %s: maglev-table-size %u is out of range (%u-%u)", svc->name,
			      svc->maglev_size, MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX);
	if (!ret && svc->slow_start_ns > WEIR_SLOW_START_MAX_NS)
		ret = set_err(err, errlen, "service %s: slow-start is above 1h", svc->name);
	if (!ret && overload_check(&svc->overload, why, sizeof(why)))
		ret = set_err(err, errlen, "service %s: %s", svc->name, why);
	return ret;
}

int config_check_class(const struct weir_service_config *svc, size_t i, char *err, size_t errlen)
{
	const struct weir_class_config *c = &svc->classes[i];
	char what[64];
	size_t j;

	if (config_check_name(c->name))
		return set_err(err, errlen,
			       "service %s: class '%.32s': not a valid name (1-31 of A-Z a-z 0-9 _ "
			       ". -)",
			       svc->name, c->name);
	for (j = 0; j < i; j++)
		if (!strcmp(svc->classes[j].name, c->name))
			return set_err(err, errlen, "service %s: class %s is defined twice",
				       svc->name, c->name);
	if (c->priority >= WEIR_PRIORITIES)
		return set_err(err, errlen,
			       "service %s: class %s: priority %u is out of range (0-7)", svc->name,
			       c->name, c->priority);
	if (c->match.kind == WEIR_RULE_CIDR && c->match.addr.family != svc->vip.family)
		return set_err(err, errlen, "service %s: class %s: %s prefix for an %s VIP",
			       svc->name, c->name, family_name(&c->match.addr),
			       family_name(&svc->vip));
	if (c->match.kind < WEIR_RULE_CIDR || c->match.kind > WEIR_RULE_DSCP)
		return set_err(err, errlen, "service %s: class %s: no match", svc->name, c->name);
	snprintf(what, sizeof(what), "class %s: ", c->name);
	return check_rates(svc, what, c->min_bps, c->max_bps, err, errlen);
}

static int check_classes(const struct weir_service_config *svc, char *err, size_t errlen)
{
	size_t i;
	int ret = 0;

	if (svc->n_classes > WEIR_MAX_RULES)
		return set_err(err, errlen, "service %s: %zu classes, at most %d", svc->name,
			       svc->n_classes, WEIR_MAX_RULES);
	for (i = 0; i < svc->n_classes && !ret; i++)
		ret = config_check_class(svc, i, err, errlen);
	return ret;
}

int config_check_service(const struct weir_service_config *svc, char *err, size_t errlen)
{
	size_t i;
	int ret;

	ret = check_service_values(svc, err, errlen);
	if (!ret)
		ret = check_health(svc, err, errlen);
	if (!ret)
		ret = check_admission(svc, err, errlen);
	if (!ret)
		ret = check_classes(svc, err, errlen);
	if (ret)
		return ret;
	/* Every usable backend needs a slot of the service's table. */
	if (svc->n_backends > WEIR_MAX_SLOTS)
		return set_err(err, errlen, "service %s: %zu backends, at most %d", svc->name,
			       svc->n_backends, WEIR_MAX_SLOTS);
	for (i = 0; i < svc->n_backends; i++) {
		ret = check_backend(svc, i, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_globals(const struct weir_config *cfg, char *err, size_t errlen)
{
	size_t i, j;

	if (cfg->n_interfaces > WEIR_MAX_INTERFACES)
		return set_err(err, errlen, "%zu interfaces, at most %d", cfg->n_interfaces,
			       WEIR_MAX_INTERFACES);
	for (i = 0; i < cfg->n_interfaces; i++) {
		if (check_ifname(cfg->interfaces[i]))
			return set_err(err, errlen, "interface '%.15s' is not an interface name",
				       cfg->interfaces[i]);
		for (j = 0; j < i; j++) {
			if (!strcmp(cfg->interfaces[i], cfg->interfaces[j]))
				return set_err(err, errlen, "interface %s is listed twice",
					       cfg->interfaces[i]);
		}
	}
	if (cfg->xdp_mode > WEIR_XDP_GENERIC)
		return set_err(err, errlen, "xdp-mode must be native or generic");
	if (!cfg->update_interval_ns)
		return set_err(err, errlen, "update-interval must be longer than 0");
	if (cfg->stream_table_size < 1 || cfg->stream_table_size > STREAM_TABLE_MAX)
		return set_err(err, errlen, "stream-table-size %u is out of range (1-%u)",
			       cfg->stream_table_size, STREAM_TABLE_MAX);
	if (cfg->metrics.statsd_interval_ns < WEIR_STATSD_INTERVAL_MIN_NS ||
	    cfg->metrics.statsd_interval_ns > WEIR_STATSD_INTERVAL_MAX_NS)
		return set_err(err, errlen, "statsd-interval is not from 100ms to 1h");
	if (!cfg->metrics.statsd_sample_ppm || cfg->metrics.statsd_sample_ppm > PPM)
		return set_err(err, errlen, "statsd-sample-rate is not from 0.000001 to 1");
	if (!prefix_ok(cfg->metrics.statsd_prefix))
		return set_err(err, errlen, "statsd-prefix is not 0-31 of A-Z a-z 0-9 _ . -");
	return 0;
}

/* Service i against the ones before it: the data plane keys services by
 * (vip, port, proto) and the CLI addresses them by name. */
static int check_service_unique(const struct weir_config *cfg, size_t i, char *err, size_t errlen)
{
	const struct weir_service_config *a = &cfg->services[i], *b;
	char addr[WEIR_ADDR_STRLEN];
	size_t j;

	for (j = 0; j < i; j++) {
		b = &cfg->services[j];
		if (!strcmp(a->name, b->name))
			return set_err(err, errlen, "service %s is defined twice", a->name);
		if (units_addr_equal(&a->vip, &b->vip) && a->port == b->port &&
		    a->proto == b->proto)
			return set_err(
				err, errlen, "services %s and %s both use vip %s port %u proto %s",
				b->name, a->name, units_format_addr(&a->vip, addr, sizeof(addr)),
				a->port, units_proto_name(a->proto));
	}
	return 0;
}

int config_check(const struct weir_config *cfg, char *err, size_t errlen)
{
	size_t i, total = 0, maglev = 0;
	int ret;

	ret = check_globals(cfg, err, errlen);
	if (ret)
		return ret;
	if (cfg->n_services > WEIR_MAX_SERVICES)
		return set_err(err, errlen, "%zu services, at most %d", cfg->n_services,
			       WEIR_MAX_SERVICES);
	for (i = 0; i < cfg->n_services; i++) {
		ret = config_check_service(&cfg->services[i], err, errlen);
		if (!ret)
			ret = check_service_unique(cfg, i, err, errlen);
		if (ret)
			return ret;
		total += cfg->services[i].n_backends;
		maglev += cfg->services[i].steering == WEIR_STEER_MAGLEV;
	}
	if (maglev > WEIR_MAGLEV_TABLES)
		return set_err(err, errlen, "%zu services with maglev steering, at most %d", maglev,
			       WEIR_MAGLEV_TABLES);
	if (total > WEIR_MAX_BACKENDS)
		return set_err(err, errlen, "%zu backends in all, at most %d", total,
			       WEIR_MAX_BACKENDS);
	return 0;
}

/* ---- parsing ---- */

struct parse_ctx {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char where[128]; /* the object being parsed: "service web: backend 10.0.0.1: " */
	const char *key; /* the key whose value is being parsed, for messages */
	size_t total_backends;
};

/* A key whose value is a list or a mapping. */
struct key_handler {
	const char *key;
	int (*parse)(struct parse_ctx *ctx, yaml_node_t *value, void *obj);
};

/* The keys of an object's mapping: lists and mappings by their handlers,
 * scalars by the object's option table and, for a service, by
 * config_service_set() (the overload and capacity options too). */
struct mapping_keys {
	const struct key_handler *handlers;
	const struct option *options;
	bool service_options;
	const char *const *required; /* NULL-terminated */
};

#define REQUIRED(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int fail(struct parse_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[WEIR_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return set_err(ctx->err, ctx->errlen, "line %zu, column %zu: %s%s",
		       node->start_mark.line + 1, node->start_mark.column + 1, ctx->where, msg);
}

static const char *kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		return "list";
	case YAML_MAPPING_NODE:
		return "mapping";
	default:
		return "value";
	}
}

static int expect(struct parse_ctx *ctx, const yaml_node_t *node, yaml_node_type_t type)
{
	static const yaml_node_t want_list = { .type = YAML_SEQUENCE_NODE };
	static const yaml_node_t want_map = { .type = YAML_MAPPING_NODE };
	const yaml_node_t *want = type == YAML_SEQUENCE_NODE ? &want_list : &want_map;

	if (node->type == type)
		return 0;
	return fail(ctx, node, "%s%sexpected a %s, got a %s", ctx->key ? ctx->key : "",
		    ctx->key ? ": " : "", kind(want), kind(node));
}

static size_t where_push(struct parse_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t where_push(struct parse_ctx *ctx, const char *fmt, ...)
{
	size_t len = strlen(ctx->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->where + len, sizeof(ctx->where) - len, fmt, ap);
	va_end(ap);
	return len;
}

static void where_pop(struct parse_ctx *ctx, size_t len)
{
	ctx->where[len] = '\0';
}

static size_t seq_len(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static yaml_node_t *seq_item(struct parse_ctx *ctx, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(ctx->doc, seq->data.sequence.items.start[i]);
}

static const char *text_of(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static int get_text(struct parse_ctx *ctx, const yaml_node_t *node, const char **out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail(ctx, node, "%s: expected a value, got a %s", ctx->key, kind(node));
	/* A "\0" escape would cut the C string short and hide the rest. */
	if (strlen(text_of(node)) != node->data.scalar.length)
		return fail(ctx, node, "%s: value contains a NUL byte", ctx->key);
	*out = text_of(node);
	return 0;
}

static int bad_value(struct parse_ctx *ctx, const yaml_node_t *node, const char *why)
{
	return fail(ctx, node, "%s: %.64s %s", ctx->key, text_of(node), why);
}

/* Scalar value of key in mapping map, or NULL. Used to name an object in
 * messages before its keys are walked in document order. */
static const char *find_text(struct parse_ctx *ctx, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(ctx->doc, pair->key);
		v = yaml_document_get_node(ctx->doc, pair->value);
		if (k->type != YAML_SCALAR_NODE || strcmp(text_of(k), key))
			continue;
		if (v->type == YAML_SCALAR_NODE && strlen(text_of(v)) == v->data.scalar.length)
			return text_of(v);
	}
	return NULL;
}

/* ---- mappings ---- */

/* Whether map has key among its pairs before end (NULL: among all). */
static bool has_key(struct parse_ctx *ctx, const yaml_node_t *map, const yaml_node_pair_t *end,
		    const char *key)
{
	const yaml_node_pair_t *pair;
	const yaml_node_t *k;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top && pair != end; pair++) {
		k = yaml_document_get_node(ctx->doc, pair->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(text_of(k), key))
			return true;
	}
	return false;
}

static const struct key_handler *find_handler(const struct key_handler *h, const char *key)
{
	for (; h && h->key; h++)
		if (!strcmp(h->key, key))
			return h;
	return NULL;
}

static bool is_scalar_key(const struct mapping_keys *keys, const char *key)
{
	return (keys->options && option_find(keys->options, key)) ||
	       (keys->service_options && config_service_option(key));
}

static int set_scalar(struct parse_ctx *ctx, const struct mapping_keys *keys,
		      const yaml_node_t *value, void *obj)
{
	char why[WEIR_ERR_MAX];
	const char *s;
	int ret = -ENOENT;

	if (get_text(ctx, value, &s))
		return -EINVAL;
	if (keys->options)
		ret = option_set(keys->options, obj, ctx->key, s, why, sizeof(why));
	if (ret == -ENOENT && keys->service_options)
		ret = config_service_set(obj, ctx->key, s, why, sizeof(why));
	return ret ? fail(ctx, value, "%s: %s", ctx->key, why) : 0;
}

static int walk_pair(struct parse_ctx *ctx, const yaml_node_t *map, const yaml_node_pair_t *pair,
		     const struct mapping_keys *keys, void *obj)
{
	yaml_node_t *key = yaml_document_get_node(ctx->doc, pair->key);
	yaml_node_t *value = yaml_document_get_node(ctx->doc, pair->value);
	const struct key_handler *h;
	const char *name;

	if (key->type != YAML_SCALAR_NODE)
		return fail(ctx, key, "expected a key, got a %s", kind(key));
	name = text_of(key);
	h = find_handler(keys->handlers, name);
	if (!h && !is_scalar_key(keys, name))
		return fail(ctx, key, "unknown key '%.64s'", name);
	/* Looked up among the pairs before, so no table size limits it. */
	if (has_key(ctx, map, pair, name))
		return fail(ctx, key, "duplicate key '%s'", name);
	ctx->key = name;
	return h ? h->parse(ctx, value, obj) : set_scalar(ctx, keys, value, obj);
}

static int walk_mapping(struct parse_ctx *ctx, const yaml_node_t *map,
			const struct mapping_keys *keys, void *obj)
{
	const yaml_node_pair_t *pair;
	const char *const *req;
	int ret;

	if (expect(ctx, map, YAML_MAPPING_NODE))
		return -EINVAL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		ret = walk_pair(ctx, map, pair, keys, obj);
		if (ret)
			return ret;
	}
	for (req = keys->required; req && *req; req++)
		if (!has_key(ctx, map, NULL, *req))
			return fail(ctx, map, "missing required key '%s'", *req);
	return 0;
}

/* ---- backends, classes, health ---- */

static const struct mapping_keys backend_keys = { NULL, backend_options, false, REQUIRED("addr") };
static const struct mapping_keys class_keys = { NULL, class_options, false,
						REQUIRED("name", "match", "min", "max") };
static const struct mapping_keys health_keys = { NULL, health_options, false, NULL };

static int parse_backend(struct parse_ctx *ctx, const yaml_node_t *node,
			 struct weir_backend_config *be, size_t index)
{
	const char *addr;
	struct weir_addr a;
	size_t len;
	int ret;

	if (expect(ctx, node, YAML_MAPPING_NODE))
		return -EINVAL;
	config_backend_init(be);
	addr = find_text(ctx, node, "addr");
	if (addr && !units_parse_addr(addr, &a))
		len = where_push(ctx, "backend %s: ", addr);
	else
		len = where_push(ctx, "backend #%zu: ", index + 1);
	ret = walk_mapping(ctx, node, &backend_keys, be);
	where_pop(ctx, len);
	return ret;
}

static int parse_backends(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_service_config *svc = obj;
	size_t n, i;
	int ret;

	if (expect(ctx, value, YAML_SEQUENCE_NODE))
		return -EINVAL;
	n = seq_len(value);
	/* Checked before allocating: aliases can make a small file list
	 * very many backends. */
	if (ctx->total_backends + n > WEIR_MAX_BACKENDS)
		return fail(ctx, value, "backends: more than %d backends in all",
			    WEIR_MAX_BACKENDS);
	ctx->total_backends += n;
	if (!n)
		return 0;
	svc->backends = calloc(n, sizeof(*svc->backends));
	if (!svc->backends)
		return fail(ctx, value, "out of memory");
	svc->n_backends = n;
	for (i = 0; i < n; i++) {
		ctx->key = "backends";
		ret = parse_backend(ctx, seq_item(ctx, value, i), &svc->backends[i], i);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_classes(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_service_config *svc = obj;
	size_t n, i, len;
	const char *name;
	int ret;

	if (expect(ctx, value, YAML_SEQUENCE_NODE))
		return -EINVAL;
	n = seq_len(value);
	if (n > WEIR_MAX_RULES)
		return fail(ctx, value, "classes: %zu classes, at most %d", n, WEIR_MAX_RULES);
	if (!n)
		return 0;
	svc->classes = calloc(n, sizeof(*svc->classes));
	if (!svc->classes)
		return fail(ctx, value, "out of memory");
	svc->n_classes = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *item = seq_item(ctx, value, i);

		if (expect(ctx, item, YAML_MAPPING_NODE))
			return -EINVAL;
		name = find_text(ctx, item, "name");
		if (name && !config_check_name(name))
			len = where_push(ctx, "class %s: ", name);
		else
			len = where_push(ctx, "class #%zu: ", i + 1);
		ret = walk_mapping(ctx, item, &class_keys, &svc->classes[i]);
		where_pop(ctx, len);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_svc_health(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_service_config *svc = obj;
	size_t len;
	int ret;

	if (expect(ctx, value, YAML_MAPPING_NODE))
		return -EINVAL;
	len = where_push(ctx, "health: ");
	ret = walk_mapping(ctx, value, &health_keys, &svc->health);
	where_pop(ctx, len);
	return ret;
}

/* ---- services ---- */

static const struct key_handler service_handlers[] = {
	{ "health", parse_svc_health },
	{ "backends", parse_backends },
	{ "classes", parse_classes },
	{ NULL, NULL },
};

static const struct mapping_keys service_keys = { service_handlers, service_own_options, true,
						  REQUIRED("name", "vip", "port", "proto") };

static int parse_service(struct parse_ctx *ctx, const yaml_node_t *node,
			 struct weir_service_config *svc, size_t index)
{
	const char *name, *proto_text;
	uint8_t proto = IPPROTO_TCP;
	size_t len;
	int ret;

	if (expect(ctx, node, YAML_MAPPING_NODE))
		return -EINVAL;
	/* Defaults depend on the protocol, which may come after keys that
	 * override them; a missing or bad proto is reported by the walk. */
	proto_text = find_text(ctx, node, "proto");
	if (proto_text && units_parse_proto(proto_text, &proto))
		proto = IPPROTO_TCP;
	config_service_init(svc, proto);
	name = find_text(ctx, node, "name");
	if (name && !config_check_name(name))
		len = where_push(ctx, "service %s: ", name);
	else
		len = where_push(ctx, "service #%zu: ", index + 1);
	ret = walk_mapping(ctx, node, &service_keys, svc);
	where_pop(ctx, len);
	return ret;
}

static int parse_services(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	size_t n, i;
	int ret;

	if (expect(ctx, value, YAML_SEQUENCE_NODE))
		return -EINVAL;
	n = seq_len(value);
	if (n > WEIR_MAX_SERVICES)
		return fail(ctx, value, "services: %zu services, at most %d", n, WEIR_MAX_SERVICES);
	if (!n)
		return 0;
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (!cfg->services)
		return fail(ctx, value, "out of memory");
	cfg->n_services = n;
	for (i = 0; i < n; i++) {
		ctx->key = "services";
		ret = parse_service(ctx, seq_item(ctx, value, i), &cfg->services[i], i);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- top level ---- */

static int parse_interfaces(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	yaml_node_t *item;
	const char *s;
	size_t n, i;

	if (expect(ctx, value, YAML_SEQUENCE_NODE))
		return -EINVAL;
	n = seq_len(value);
	if (n > WEIR_MAX_INTERFACES)
		return fail(ctx, value, "interfaces: %zu interfaces, at most %d", n,
			    WEIR_MAX_INTERFACES);
	for (i = 0; i < n; i++) {
		item = seq_item(ctx, value, i);
		if (get_text(ctx, item, &s))
			return -EINVAL;
		if (check_ifname(s))
			return bad_value(ctx, item, "is not an interface name");
		strcpy(cfg->interfaces[i], s);
		cfg->n_interfaces = i + 1;
	}
	return 0;
}

/* ADDR:PORT, [ADDR]:PORT for IPv6; the port is required. */
static int get_endpoint(struct parse_ctx *ctx, const yaml_node_t *node, struct weir_addr *addr,
			uint16_t *port)
{
	const char *s;

	if (get_text(ctx, node, &s))
		return -EINVAL;
	if (units_parse_endpoint(s, addr, port) || !*port)
		return bad_value(ctx, node, "is not ADDR:PORT (like 127.0.0.1:9469 or [::1]:9469)");
	return 0;
}

static int parse_metrics(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	const char *s;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS;
	if (get_text(ctx, value, &s))
		return -EINVAL;
	if (strcmp(s, "on") && strcmp(s, "off"))
		return bad_value(ctx, value, "is not on or off");
	cfg->metrics.enabled = !strcmp(s, "on");
	return 0;
}

static int parse_metrics_listen(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS | WEIR_CONFIG_GIVEN_METRICS_LISTEN;
	return get_endpoint(ctx, value, &cfg->metrics.listen, &cfg->metrics.listen_port);
}

static int parse_statsd(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	const char *s;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS;
	if (get_text(ctx, value, &s))
		return -EINVAL;
	cfg->metrics.statsd = strcmp(s, "off") != 0;
	if (!cfg->metrics.statsd)
		return 0;
	return get_endpoint(ctx, value, &cfg->metrics.statsd_addr, &cfg->metrics.statsd_port);
}

static int parse_statsd_interval(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	uint64_t ns;
	const char *s;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS;
	if (get_text(ctx, value, &s))
		return -EINVAL;
	if (units_parse_duration(s, &ns) || ns < WEIR_STATSD_INTERVAL_MIN_NS ||
	    ns > WEIR_STATSD_INTERVAL_MAX_NS)
		return bad_value(ctx, value, "is not a duration from 100ms to 1h");
	cfg->metrics.statsd_interval_ns = ns;
	return 0;
}

static int parse_statsd_prefix(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	const char *s;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS;
	if (get_text(ctx, value, &s))
		return -EINVAL;
	if (!prefix_ok(s))
		return bad_value(ctx, value, "is not a prefix (0-31 of A-Z a-z 0-9 _ . -)");
	strcpy(cfg->metrics.statsd_prefix, s);
	return 0;
}

/* A decimal from 0.000001 to 1, kept in parts per million so that a dump
 * reads back exactly. */
static int parse_statsd_sample_rate(struct parse_ctx *ctx, yaml_node_t *value, void *obj)
{
	struct weir_config *cfg = obj;
	const char *s;

	cfg->given |= WEIR_CONFIG_GIVEN_METRICS;
	if (get_text(ctx, value, &s))
		return -EINVAL;
	if (units_parse_ppm(s, 1, PPM, &cfg->metrics.statsd_sample_ppm))
		return bad_value(ctx, value, "is not a number from 0.000001 to 1");
	return 0;
}

static const struct key_handler top_handlers[] = {
	{ "interfaces", parse_interfaces },
	{ "metrics", parse_metrics },
	{ "metrics-listen", parse_metrics_listen },
	{ "statsd", parse_statsd },
	{ "statsd-interval", parse_statsd_interval },
	{ "statsd-prefix", parse_statsd_prefix },
	{ "statsd-sample-rate", parse_statsd_sample_rate },
	{ "services", parse_services },
	{ NULL, NULL },
};

static const struct mapping_keys top_keys = { top_handlers, top_options, false, NULL };

/* "---" alone, "~" or "null" is an empty document too, like an empty file. */
static bool is_empty_root(const yaml_node_t *root)
{
	const char *s;

	if (!root)
		return true;
	if (root->type != YAML_SCALAR_NODE || root->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = text_of(root);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null");
}

static int parse_document(yaml_document_t *doc, struct weir_config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .doc = doc, .err = err, .errlen = errlen };
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (is_empty_root(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(&ctx, root, "expected a mapping of keys at the top, got a %s",
			    kind(root));
	if (has_key(&ctx, root, NULL, "xdp-mode"))
		cfg->given |= WEIR_CONFIG_GIVEN_XDP_MODE;
	if (has_key(&ctx, root, NULL, "stream-table-size"))
		cfg->given |= WEIR_CONFIG_GIVEN_STREAM_TABLE_SIZE;
	return walk_mapping(&ctx, root, &top_keys, cfg);
}

static int yaml_error(const yaml_parser_t *parser, char *err, size_t errlen)
{
	if (parser->error == YAML_MEMORY_ERROR || !parser->problem)
		return set_err(err, errlen, "out of memory reading YAML");
	if (parser->context)
		return set_err(err, errlen, "line %zu, column %zu: %s %s",
			       parser->problem_mark.line + 1, parser->problem_mark.column + 1,
			       parser->problem, parser->context);
	return set_err(err, errlen, "line %zu, column %zu: %s", parser->problem_mark.line + 1,
		       parser->problem_mark.column + 1, parser->problem);
}

/* Loads the one document; a second one would be ignored silently, so it is
 * an error. */
static int load_document(yaml_parser_t *parser, yaml_document_t *doc, char *err, size_t errlen)
{
	yaml_document_t extra;
	yaml_node_t *root;
	size_t line, column;

	if (!yaml_parser_load(parser, doc))
		return yaml_error(parser, err, errlen);
	if (!yaml_document_get_root_node(doc))
		return 0;
	if (!yaml_parser_load(parser, &extra)) {
		yaml_document_delete(doc);
		return yaml_error(parser, err, errlen);
	}
	root = yaml_document_get_root_node(&extra);
	line = root ? root->start_mark.line + 1 : 0;
	column = root ? root->start_mark.column + 1 : 0;
	yaml_document_delete(&extra);
	if (!root)
		return 0;
	yaml_document_delete(doc);
	return set_err(err, errlen, "line %zu, column %zu: only one YAML document is allowed", line,
		       column);
}

/* A NUL would cut the text short wherever a C string is taken of it. */
static int check_no_nul(const char *text, size_t len, char *err, size_t errlen)
{
	const char *nul = text ? memchr(text, '\0', len) : NULL;
	size_t line = 1, column = 1;
	const char *p;

	if (!nul)
		return 0;
	for (p = text; p < nul; p++) {
		column = *p == '\n' ? 1 : column + 1;
		line += *p == '\n';
	}
	return set_err(err, errlen, "line %zu, column %zu: the file contains a NUL byte", line,
		       column);
}

/* Building libyaml's document tree of deeply nested collections takes
 * time quadratic in the depth (a 2 MB "[[[[..." pins a core for minutes);
 * the event parser reaches the same depth in a few events, so it scans
 * first and stops at the first level too deep for any weir document. */
static int check_depth(const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t event;
	int depth = 0, ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return set_err(err, errlen, "out of memory reading YAML");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !ret) {
		if (!yaml_parser_parse(&parser, &event)) {
			ret = yaml_error(&parser, err, errlen);
			break;
		}
		if (event.type == YAML_SEQUENCE_START_EVENT ||
		    event.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (event.type == YAML_SEQUENCE_END_EVENT ||
			 event.type == YAML_MAPPING_END_EVENT)
			depth--;
		done = event.type == YAML_STREAM_END_EVENT;
		if (depth > CONFIG_DEPTH_MAX)
			ret = set_err(err, errlen,
				      "line %zu, column %zu: nested deeper than %d levels",
				      event.start_mark.line + 1, event.start_mark.column + 1,
				      CONFIG_DEPTH_MAX);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return ret;
}

int config_parse(const char *text, size_t len, struct weir_config *cfg, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	config_init(cfg);
	set_err(err, errlen, "%s", "");
	ret = check_no_nul(text, len, err, errlen);
	if (!ret && text)
		ret = check_depth(text, len, err, errlen);
	if (ret)
		return ret;
	if (!yaml_parser_initialize(&parser))
		return set_err(err, errlen, "out of memory reading YAML");
	/* libyaml asserts on a NULL input even when it is empty. */
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	ret = load_document(&parser, &doc, err, errlen);
	if (!ret) {
		ret = parse_document(&doc, cfg, err, errlen);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (ret)
		config_free(cfg);
	return ret;
}

/* ---- emitting ---- */

static bool isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The code point of the UTF-8 sequence at s, its length in *len; -1 with
 * *len 1 for a byte that starts none (copied as it is). */
static long utf8_decode(const char *s, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 1, i;
	long cp = u[0] & (0x7f >> n);

	*len = 1;
	if (n == 1 || u[0] > 0xf4)
		return -1;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	*len = n;
	return cp;
}

/* Characters YAML folds as line breaks (NEL, LS, PS) or refuses to read raw
 * (C1 controls, BOM, U+FFFE/FFFF) keep their value only as escapes: a
 * scale-hook or interface name holding one did not load back (shown by
 * tests/fuzz/fuzz_config.c's round trip on such a document). */
static bool yaml_escaped(long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
	       cp == 0xfffe || cp == 0xffff;
}

/* Plain when YAML reads it back as the same string in any position (first
 * character alphanumeric, no indicators); double-quoted otherwise ("::1",
 * a name "-"). In a flow list ':' is quoted too. */
static void emit_text(struct emit_buf *b, const char *s, bool flow)
{
	const char *safe = flow ? "_.-" : "_.-:";
	const char *p;
	size_t n;
	bool plain = *s && (isalnum_ascii(*s) || *s == '_');

	for (p = s; plain && *p; p++)
		plain = isalnum_ascii(*p) || strchr(safe, *p);
	/* A ':' that ends the line is a mapping indicator: "addr: 1::" would
	 * not load back (an IPv6 address ending in "::"; found by
	 * tests/fuzz/fuzz_config.c). */
	if (plain && s[strlen(s) - 1] == ':')
		plain = false;
	if (plain) {
		emit(b, "%s", s);
		return;
	}
	emit(b, "\"");
	for (p = s; *p; p += n) {
		n = 1;
		if (*p == '"' || *p == '\\')
			emit(b, "\\%c", *p);
		else if ((unsigned char)*p < ' ' || *p == 0x7f)
			emit(b, "\\x%02x", (unsigned char)*p);
		else if ((unsigned char)*p >= 0x80 && yaml_escaped(utf8_decode(p, &n)))
			emit(b, "\\u%04x", (unsigned int)utf8_decode(p, &n));
		else
			emit(b, "%.*s", (int)n, p);
	}
	emit(b, "\"");
}

/* A table's keys with obj's values, one a line. */
static void emit_options(struct emit_buf *b, const char *indent, const struct option *o,
			 const void *obj)
{
	char text[64];

	for (; o->key; o++)
		emit(b, o->kind->quoted ? "%s%s: \"%s\"\n" : "%s%s: %s\n", indent, o->key,
		     option_format(o, obj, text, sizeof(text)));
}

static void emit_metrics(struct emit_buf *b, const struct weir_metrics_config *m)
{
	char text[WEIR_ADDR_STRLEN + 8];

	emit(b, "metrics: %s\n", m->enabled ? "on" : "off");
	emit(b, "metrics-listen: \"%s\"\n",
	     units_format_endpoint(&m->listen, m->listen_port, text, sizeof(text)));
	if (m->statsd)
		emit(b, "statsd: \"%s\"\n",
		     units_format_endpoint(&m->statsd_addr, m->statsd_port, text, sizeof(text)));
	else
		emit(b, "statsd: off\n");
	emit(b, "statsd-interval: %s\n",
	     units_format_duration(m->statsd_interval_ns, text, sizeof(text)));
	emit(b, "statsd-prefix: ");
	emit_text(b, m->statsd_prefix, false);
	emit(b, "\nstatsd-sample-rate: %s\n",
	     units_format_ppm(m->statsd_sample_ppm, text, sizeof(text)));
}

static void emit_globals(struct emit_buf *b, const struct weir_config *cfg)
{
	size_t i;

	emit(b, "interfaces: [");
	for (i = 0; i < cfg->n_interfaces; i++) {
		emit(b, "%s", i ? ", " : "");
		emit_text(b, cfg->interfaces[i], true);
	}
	emit(b, "]\n");
	emit_options(b, "", top_options, cfg);
	emit_metrics(b, &cfg->metrics);
}

static void emit_backend(struct emit_buf *b, const struct weir_backend_config *be)
{
	char text[WEIR_ADDR_STRLEN];

	emit(b, "      - addr: ");
	emit_text(b, units_format_addr(&be->addr, text, sizeof(text)), false);
	emit(b, "\n        weight: %u\n", be->weight);
	if (be->max_streams)
		emit(b, "        max-streams: %u\n", be->max_streams);
	/* No MAC is meaningful (learn it from the neighbour table), so the
	 * key is left out rather than given a made-up default. */
	if (be->has_mac)
		emit(b, "        mac: %s\n", units_format_mac(be->mac, text, sizeof(text)));
	emit(b, "        paused: %s\n", be->paused ? "true" : "false");
	emit(b, "        standby: %s\n", be->standby ? "true" : "false");
}

static void emit_class(struct emit_buf *b, const struct weir_class_config *c)
{
	char text[64];

	emit(b, "      - name: ");
	emit_text(b, c->name, false);
	emit(b, "\n        match: \"%s\"\n", config_format_match(&c->match, text, sizeof(text)));
	emit(b, "        min: %s\n", units_format_rate(c->min_bps, text, sizeof(text)));
	emit(b, "        max: %s\n", units_format_rate(c->max_bps, text, sizeof(text)));
	emit(b, "        priority: %u\n", c->priority);
}

static void emit_overload(struct emit_buf *b, const struct weir_overload_config *o)
{
	char text[WEIR_PROBE_PATH_MAX + 8];
	const char *key;
	size_t i;

	for (i = 0; (key = overload_key(i)); i++) {
		emit(b, "    %s: ", key);
		emit_text(b, overload_format(o, key, text, sizeof(text)), false);
		emit(b, "\n");
	}
}

static void emit_capacity(struct emit_buf *b, const struct weir_service_config *svc)
{
	char text[32];
	size_t i;

	for (i = 0; capacity_keys[i]; i++) {
		emit(b, "    %s: ", capacity_keys[i]);
		emit_text(b,
			  capacity_format(&svc->capacity, &svc->overload, capacity_keys[i], text,
					  sizeof(text)),
			  false);
		emit(b, "\n");
	}
}

static void emit_service(struct emit_buf *b, const struct weir_service_config *svc)
{
	char text[WEIR_ADDR_STRLEN];
	size_t i;

	emit(b, "  - name: ");
	emit_text(b, svc->name, false);
	emit(b, "\n    vip: ");
	emit_text(b, units_format_addr(&svc->vip, text, sizeof(text)), false);
	emit(b, "\n    port: %u\n", svc->port);
	emit(b, "    proto: %s\n", units_proto_name(svc->proto));
	emit_options(b, "    ", flow_options, svc);
	emit(b, "    paused: %s\n", svc->paused ? "true" : "false");
	emit(b, "    health:\n");
	emit_options(b, "      ", health_options, &svc->health);
	emit_options(b, "    ", admission_options, svc);
	emit_overload(b, &svc->overload);
	emit_capacity(b, svc);
	emit_options(b, "    ", delivery_options, svc);
	emit(b, "    classes:%s\n", svc->n_classes ? "" : " []");
	for (i = 0; i < svc->n_classes; i++)
		emit_class(b, &svc->classes[i]);
	emit(b, "    backends:%s\n", svc->n_backends ? "" : " []");
	for (i = 0; i < svc->n_backends; i++)
		emit_backend(b, &svc->backends[i]);
}

bool config_metrics_equal(const struct weir_metrics_config *a, const struct weir_metrics_config *b)
{
	return a->enabled == b->enabled && units_addr_equal(&a->listen, &b->listen) &&
	       a->listen_port == b->listen_port && a->statsd == b->statsd &&
	       (!a->statsd || (units_addr_equal(&a->statsd_addr, &b->statsd_addr) &&
			       a->statsd_port == b->statsd_port)) &&
	       a->statsd_interval_ns == b->statsd_interval_ns &&
	       !strcmp(a->statsd_prefix, b->statsd_prefix) &&
	       a->statsd_sample_ppm == b->statsd_sample_ppm;
}

int config_emit(const struct weir_config *cfg, char **out)
{
	struct emit_buf b = { 0 };
	size_t i;

	*out = NULL;
	emit_globals(&b, cfg);
	emit(&b, "services:%s\n", cfg->n_services ? "" : " []");
	for (i = 0; i < cfg->n_services; i++)
		emit_service(&b, &cfg->services[i]);
	if (b.failed) {
		free(b.data);
		return -ENOMEM;
	}
	*out = b.data;
	return 0;
}

void config_encap_source(const struct weir_service_config *svc, struct weir_match *out)
{
	if (svc->encap_source.kind == WEIR_RULE_CIDR) {
		*out = svc->encap_source;
		return;
	}
	/* 100::/64 is discard-only (RFC 6666); 172.16.0.0/16 private: neither
	 * is anyone's address the backend might answer */
	config_parse_match(svc->vip.family == WEIR_AF_INET6 ? "100::/64" : "172.16.0.0/16", out);
}
