/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A service's capacity expressions (Red5 Stream Manager's, over backend
 * metrics): ranking, limit, shuffle size, scale-out and scale-in, and the
 * hook that scaling runs. Like the overload options, one table of keys
 * serves the config file, the control socket and the dump; an expression
 * is compiled when it is set, so a typo is refused with its column then,
 * never found at run time. Pure: no I/O.
 */
#ifndef WEIR_CAPACITY_H
#define WEIR_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "overload.h"

#define WEIR_EXPR_TEXT 512
#define WEIR_HOOK_TEXT 256

struct weir_capacity_config {
	char ranking[WEIR_EXPR_TEXT]; /* per backend, lower = preferred; "" none */
	char limit[WEIR_EXPR_TEXT]; /* per backend: its max streams; "" none */
	char shuffle[WEIR_EXPR_TEXT]; /* pool: spread over this many best-ranked */
	char scale_out[WEIR_EXPR_TEXT], scale_in[WEIR_EXPR_TEXT]; /* pool, boolean */
	char scale_hook[WEIR_HOOK_TEXT]; /* sh -c, with the figures in its environment */
	uint64_t scale_for_ns; /* a scale expression holds this long before it fires */
	uint64_t scale_cooldown_ns; /* and not again before this */
};

/* No expressions; scale-for 10s, scale-cooldown 60s. */
void capacity_config_init(struct weir_capacity_config *c);

/*
 * One option by its key. capacity-limit is auto (the overload issue's
 * autothrottle: o->capacity_limit_auto), none, or an expression. Returns
 * 0, -ENOENT for a key that is not a capacity option, -EINVAL with a
 * sentence in why ("column 7: expected ')' ...") for a bad value; c and o
 * are unchanged on failure.
 */
int capacity_set(struct weir_capacity_config *c, struct weir_overload_config *o, const char *key,
		 const char *value, char *why, size_t len);
extern const char *const capacity_keys[];
const char *capacity_format(const struct weir_capacity_config *c,
			    const struct weir_overload_config *o, const char *key, char *buf,
			    size_t len);
/* What an expression's key wants, for messages; NULL for other keys. */
enum expr_scope capacity_scope(const char *key);

/* Whether a name is one weir measures or may be reported: names in a
 * namespace of weir's own (streams., rx., refused., probe., allocation.,
 * health., breaker., weight) must be one of its metrics; any other name is
 * a backend's own report. 0, or -1 with the reason. The signature of
 * expr_check_name_fn. */
int capacity_check_name(const char *name, void *ctx, char *why, size_t len);

/* The metrics weir measures, by their index in capacity_metrics[]. */
enum capacity_metric {
	CAPACITY_STREAMS_ACTIVE,
	CAPACITY_STREAMS_NEW_RATE,
	CAPACITY_STREAMS_ENDED_RATE,
	CAPACITY_RX_BPS,
	CAPACITY_RX_PPS,
	CAPACITY_REFUSED_RATE,
	CAPACITY_PROBE_LATENCY_MS,
	CAPACITY_ALLOCATION_USED,
	CAPACITY_ALLOCATION_CAPACITY,
	CAPACITY_HEALTH_UP,
	CAPACITY_BREAKER_OPEN,
	CAPACITY_WEIGHT,
	CAPACITY_METRICS_N
};

/* One of the metrics weir measures. */
bool capacity_is_measured(const char *name);
/* Its enum capacity_metric, or -1 for a name weir does not measure. */
int capacity_metric_of(const char *name);
/* The metrics weir measures, NULL-terminated, for `weir expr check`. */
extern const char *const capacity_metrics[];

#endif
