/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * For the fuzz harnesses and the unit tests: whether two configs hold the
 * same values, field by field (text fields up to their NUL, a MAC only
 * where one is given, the encap source as the service uses it), so an emit
 * or a copy that loses a value is caught even when the text it prints reads
 * back the same. Metrics are not compared: config_metrics_equal() does.
 * Returns the first field that differs, or NULL.
 */
#ifndef WEIR_TESTS_SAME_CONFIG_H
#define WEIR_TESTS_SAME_CONFIG_H

#include <string.h>

#include "weir/abi.h"
#include "core/config.h"

#define SAME(f)                       \
	do {                          \
		if ((a)->f != (b)->f) \
			return #f;    \
	} while (0)
#define SAME_TEXT(f)                        \
	do {                                \
		if (strcmp((a)->f, (b)->f)) \
			return #f;          \
	} while (0)
#define SAME_ADDR(f)                                                          \
	do {                                                                  \
		if (!units_addr_equal(&(a)->f, &(b)->f) ||                    \
		    memcmp((a)->f.bytes, (b)->f.bytes, sizeof((a)->f.bytes))) \
			return #f;                                            \
	} while (0)

static inline const char *same_overload(const struct weir_overload_config *a,
					const struct weir_overload_config *b)
{
	SAME(admission);
	SAME(delay_source);
	SAME(probe);
	SAME(delay_aggregate);
	SAME_TEXT(probe_path);
	SAME(delay_target_ns);
	SAME(pie_interval_ns);
	SAME(pie_burst_ns);
	SAME(pie_exempt);
	SAME(pie_scale);
	SAME(probe_interval_ns);
	SAME(probe_timeout_ns);
	SAME(report_ttl_ns);
	SAME(breaker);
	SAME(breaker_permille);
	SAME(breaker_window);
	SAME(breaker_consecutive);
	SAME(breaker_cooldown_ns);
	SAME(capacity_limit_auto);
	return NULL;
}

static inline const char *same_capacity(const struct weir_capacity_config *a,
					const struct weir_capacity_config *b)
{
	SAME_TEXT(ranking);
	SAME_TEXT(limit);
	SAME_TEXT(shuffle);
	SAME_TEXT(scale_out);
	SAME_TEXT(scale_in);
	SAME_TEXT(scale_hook);
	SAME(scale_for_ns);
	SAME(scale_cooldown_ns);
	return NULL;
}

static inline const char *same_class(const struct weir_class_config *a,
				     const struct weir_class_config *b)
{
	SAME_TEXT(name);
	SAME(match.kind);
	SAME(min_bps);
	SAME(max_bps);
	SAME(priority);
	if (a->match.kind == WEIR_RULE_PORTS) {
		SAME(match.port_lo);
		SAME(match.port_hi);
	} else if (a->match.kind == WEIR_RULE_DSCP) {
		SAME(match.dscp);
	} else {
		SAME(match.prefix_len);
		SAME_ADDR(match.addr);
	}
	return NULL;
}

static inline const char *same_backend(const struct weir_backend_config *a,
				       const struct weir_backend_config *b)
{
	SAME_ADDR(addr);
	SAME(has_mac);
	if (a->has_mac && memcmp(a->mac, b->mac, sizeof(a->mac)))
		return "mac";
	SAME(paused);
	SAME(weight);
	SAME(max_streams);
	SAME(standby);
	return NULL;
}

/* The dump writes the default source of the VIP's family as a prefix. */
static inline const char *same_encap(const struct weir_service_config *a,
				     const struct weir_service_config *b)
{
	struct weir_match ma, mb;

	config_encap_source(a, &ma);
	config_encap_source(b, &mb);
	if (ma.kind != mb.kind || ma.prefix_len != mb.prefix_len ||
	    !units_addr_equal(&ma.addr, &mb.addr))
		return "encap_source";
	return NULL;
}

static inline const char *same_service(const struct weir_service_config *a,
				       const struct weir_service_config *b)
{
	const char *why;
	size_t i;

	SAME_TEXT(name);
	SAME_ADDR(vip);
	SAME(port);
	SAME(proto);
	SAME(steering);
	SAME(forwarding);
	SAME(refuse);
	SAME(idle_timeout_ns);
	SAME(paused);
	SAME(health.enabled);
	SAME(health.port);
	SAME(health.interval_ns);
	SAME(health.timeout_ns);
	SAME(health.fall);
	SAME(health.rise);
	SAME(capacity_streams);
	SAME(capacity_rate);
	SAME(stream_min);
	SAME(stream_max);
	SAME(priority);
	SAME(share);
	SAME(preempt);
	SAME(burst);
	SAME(pause_after_ns);
	SAME(handshake_timeout_ns);
	SAME(bucket_depth_ns);
	SAME(priority_reserve);
	SAME(refuse_rate);
	SAME(fallback);
	SAME(slow_start_ns);
	SAME(maglev_size);
	SAME(encap_mtu);
	why = same_encap(a, b);
	if (!why)
		why = same_overload(&a->overload, &b->overload);
	if (!why)
		why = same_capacity(&a->capacity, &b->capacity);
	if (why)
		return why;
	SAME(n_classes);
	for (i = 0; i < a->n_classes; i++)
		if ((why = same_class(&a->classes[i], &b->classes[i])))
			return why;
	SAME(n_backends);
	for (i = 0; i < a->n_backends; i++)
		if ((why = same_backend(&a->backends[i], &b->backends[i])))
			return why;
	return NULL;
}

/* Not `given`: it says which keys a document named, not a value. */
static inline const char *same_config(const struct weir_config *a, const struct weir_config *b)
{
	const char *why;
	size_t i;

	SAME(n_interfaces);
	for (i = 0; i < a->n_interfaces; i++)
		SAME_TEXT(interfaces[i]);
	SAME(xdp_mode);
	SAME(update_interval_ns);
	SAME(stream_table_size);
	SAME(n_services);
	for (i = 0; i < a->n_services; i++)
		if ((why = same_service(&a->services[i], &b->services[i])))
			return why;
	return NULL;
}

#undef SAME
#undef SAME_TEXT
#undef SAME_ADDR

#endif
