// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A service's capacity expressions: set (compiled to check them), format
 * and the names they may read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/capacity.h"
#include "core/units.h"

#define NS_PER_S 1000000000ULL

const char *const capacity_metrics[CAPACITY_METRICS_N + 1] = {
	[CAPACITY_STREAMS_ACTIVE] = "streams.active",
	[CAPACITY_STREAMS_NEW_RATE] = "streams.new_rate",
	[CAPACITY_STREAMS_ENDED_RATE] = "streams.ended_rate",
	[CAPACITY_RX_BPS] = "rx.bps",
	[CAPACITY_RX_PPS] = "rx.pps",
	[CAPACITY_REFUSED_RATE] = "refused.rate",
	[CAPACITY_PROBE_LATENCY_MS] = "probe.latency_ms",
	[CAPACITY_ALLOCATION_USED] = "allocation.used",
	[CAPACITY_ALLOCATION_CAPACITY] = "allocation.capacity",
	[CAPACITY_HEALTH_UP] = "health.up",
	[CAPACITY_BREAKER_OPEN] = "breaker.open",
	[CAPACITY_WEIGHT] = "weight",
	[CAPACITY_METRICS_N] = NULL,
};

static const char *const namespaces[] = {
	"streams.", "rx.", "refused.", "probe.", "allocation.", "health.", "breaker.", NULL,
};

const char *const capacity_keys[] = {
	"capacity-ranking", "capacity-limit", "shuffle-size",	"scale-out", "scale-in",
	"scale-hook",	    "scale-for",      "scale-cooldown", NULL,
};

void capacity_config_init(struct weir_capacity_config *c)
{
	memset(c, 0, sizeof(*c));
	c->scale_for_ns = 10 * NS_PER_S;
	c->scale_cooldown_ns = 60 * NS_PER_S;
}

int capacity_metric_of(const char *name)
{
	int i;

	for (i = 0; i < CAPACITY_METRICS_N; i++)
		if (!strcmp(capacity_metrics[i], name))
			return i;
	return -1;
}

bool capacity_is_measured(const char *name)
{
	return capacity_metric_of(name) >= 0;
}

int capacity_check_name(const char *name, void *ctx, char *why, size_t len)
{
	size_t i, n;

	(void)ctx;
	if (capacity_is_measured(name))
		return 0;
	for (i = 0; namespaces[i]; i++)
		if (!strncmp(name, namespaces[i], strlen(namespaces[i])))
			break;
	if (!namespaces[i])
		return 0; /* a backend's own report (cpu, connections.publisher, ...) */
	n = (size_t)snprintf(why, len, "unknown metric '%s' (weir measures ", name);
	for (i = 0; capacity_metrics[i] && n < len; i++)
		n += (size_t)snprintf(why + n, len - n, "%s%s", i ? ", " : "", capacity_metrics[i]);
	if (n < len)
		snprintf(why + n, len - n, ")");
	return -1;
}

enum expr_scope capacity_scope(const char *key)
{
	if (!strcmp(key, "capacity-ranking") || !strcmp(key, "capacity-limit"))
		return EXPR_BACKEND;
	return EXPR_POOL;
}

static char *text_of(struct weir_capacity_config *c, const char *key)
{
	if (!strcmp(key, "capacity-ranking"))
		return c->ranking;
	if (!strcmp(key, "capacity-limit"))
		return c->limit;
	if (!strcmp(key, "shuffle-size"))
		return c->shuffle;
	if (!strcmp(key, "scale-out"))
		return c->scale_out;
	if (!strcmp(key, "scale-in"))
		return c->scale_in;
	return NULL;
}

/* An expression, compiled to be checked; "" (or "none") clears it. */
static int set_expr(char *dst, const char *key, const char *value, char *why, size_t len)
{
	struct expr_error err;
	struct expr *e = NULL;
	int ret;

	if (!*value || !strcmp(value, "none")) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(value) >= WEIR_EXPR_TEXT) {
		snprintf(why, len, "longer than %d characters", WEIR_EXPR_TEXT - 1);
		return -EINVAL;
	}
	ret = expr_compile(value, capacity_scope(key), capacity_check_name, NULL, &e, &err);
	if (ret) {
		snprintf(why, len, "%s", ret == -ENOMEM ? "out of memory" : err.message);
		return -EINVAL;
	}
	expr_free(e);
	strcpy(dst, value);
	return 0;
}

static int set_duration(uint64_t *dst, const char *value, char *why, size_t len)
{
	uint64_t ns;

	if (units_parse_duration(value, &ns) || !ns || ns > 3600 * NS_PER_S) {
		snprintf(why, len, "not a duration from 1ms to 60m");
		return -EINVAL;
	}
	*dst = ns;
	return 0;
}

static int set_one(struct weir_capacity_config *c, struct weir_overload_config *o, const char *key,
		   const char *value, char *why, size_t len)
{
	if (!strcmp(key, "capacity-limit") && !strcmp(value, "auto")) {
		o->capacity_limit_auto = true;
		c->limit[0] = '\0';
		return 0;
	}
	if (text_of(c, key)) {
		if (!strcmp(key, "capacity-limit"))
			o->capacity_limit_auto = false;
		return set_expr(text_of(c, key), key, value, why, len);
	}
	if (!strcmp(key, "scale-hook")) {
		/* "none" is what the dump writes for no hook: read as a command,
		 * a dump loaded back ran `sh -c none` when a scale expression
		 * fired (found by tests/fuzz/fuzz_config.c comparing values). */
		if (!strcmp(value, "none")) {
			c->scale_hook[0] = '\0';
			return 0;
		}
		if (strlen(value) >= WEIR_HOOK_TEXT) {
			snprintf(why, len, "longer than %d characters", WEIR_HOOK_TEXT - 1);
			return -EINVAL;
		}
		strcpy(c->scale_hook, value);
		return 0;
	}
	if (!strcmp(key, "scale-for"))
		return set_duration(&c->scale_for_ns, value, why, len);
	if (!strcmp(key, "scale-cooldown"))
		return set_duration(&c->scale_cooldown_ns, value, why, len);
	return -ENOENT;
}

int capacity_set(struct weir_capacity_config *c, struct weir_overload_config *o, const char *key,
		 const char *value, char *why, size_t len)
{
	struct weir_capacity_config copy = *c;
	bool limit_auto = o->capacity_limit_auto;
	int ret;

	ret = set_one(&copy, o, key, value, why, len);
	if (ret)
		o->capacity_limit_auto = limit_auto;
	else
		*c = copy;
	return ret;
}

const char *capacity_format(const struct weir_capacity_config *c,
			    const struct weir_overload_config *o, const char *key, char *buf,
			    size_t len)
{
	const char *text = text_of((struct weir_capacity_config *)c, key);

	if (!strcmp(key, "capacity-limit") && o->capacity_limit_auto)
		return "auto";
	if (text)
		return *text ? text : "none";
	if (!strcmp(key, "scale-hook"))
		return *c->scale_hook ? c->scale_hook : "none";
	if (!strcmp(key, "scale-for"))
		return units_format_duration(c->scale_for_ns, buf, len);
	if (!strcmp(key, "scale-cooldown"))
		return units_format_duration(c->scale_cooldown_ns, buf, len);
	return "?";
}
