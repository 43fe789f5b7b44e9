// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A service's overload options: parse, format and check each by its key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "weir/abi.h"
#include "core/breaker.h"
#include "core/overload.h"
#include "core/pie.h"
#include "core/units.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL

void overload_config_init(struct weir_overload_config *o)
{
	memset(o, 0, sizeof(*o));
	o->delay_target_ns = PIE_TARGET_DEFAULT;
	o->pie_interval_ns = PIE_TUPDATE_DEFAULT;
	o->pie_burst_ns = PIE_BURST_DEFAULT;
	o->pie_exempt = WEIR_PRIORITIES - 1;
	o->probe_interval_ns = 100 * NS_PER_MS;
	o->probe_timeout_ns = NS_PER_S;
	o->report_ttl_ns = 5 * NS_PER_S;
	o->breaker = true;
	o->breaker_permille = BREAKER_FAIL_PERMILLE_DEFAULT;
	o->breaker_window = BREAKER_WINDOW_DEFAULT;
	o->breaker_consecutive = BREAKER_CONSECUTIVE_DEFAULT;
	o->breaker_cooldown_ns = BREAKER_COOLDOWN_DEFAULT_NS;
}

static int pick(const char *const *names, const char *s, uint8_t *out)
{
	uint8_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static const char *const admission_names[] = { "off", "pie", NULL };
static const char *const source_names[] = { "probe", "report", NULL };
static const char *const aggregate_names[] = { "mean", "max", NULL };
static const char *const scale_names[] = { "linear", "flat", NULL };
static const char *const bool_names[] = { "false", "true", NULL };

static int duration_in(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t ns;

	/* "0" alone is a duration too where 0 is allowed (no burst) */
	if (!strcmp(s, "0"))
		ns = 0;
	else if (units_parse_duration(s, &ns))
		return -EINVAL;
	if (ns < lo || ns > hi)
		return -EINVAL;
	*out = ns;
	return 0;
}

static int set_bool(const char *s, bool *out)
{
	uint8_t v;

	if (pick(bool_names, s, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "http:/PATH": a path of printable characters without spaces, so it goes
 * into a request line as it is. */
static int set_probe(struct weir_overload_config *o, const char *s)
{
	const char *path = s + 5;
	size_t i, n;

	if (!strcmp(s, "tcp")) {
		o->probe = WEIR_PROBE_TCP;
		o->probe_path[0] = '\0';
		return 0;
	}
	if (strncmp(s, "http:", 5) || path[0] != '/')
		return -EINVAL;
	n = strlen(path);
	if (n >= WEIR_PROBE_PATH_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (path[i] <= ' ' || path[i] > '~')
			return -EINVAL;
	o->probe = WEIR_PROBE_HTTP;
	memcpy(o->probe_path, path, n + 1);
	return 0;
}

static int set_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	return units_parse_u32(s, lo, hi, out);
}

static int set_option(struct weir_overload_config *o, const char *key, const char *v)
{
	uint32_t u;
	int ret;

	if (!strcmp(key, "admission"))
		return pick(admission_names, v, &o->admission);
	if (!strcmp(key, "delay-target"))
		return duration_in(v, NS_PER_MS, 10 * NS_PER_S, &o->delay_target_ns);
	if (!strcmp(key, "delay-source"))
		return pick(source_names, v, &o->delay_source);
	if (!strcmp(key, "probe"))
		return set_probe(o, v);
	if (!strcmp(key, "delay-aggregate"))
		return pick(aggregate_names, v, &o->delay_aggregate);
	if (!strcmp(key, "pie-interval"))
		return duration_in(v, 10 * NS_PER_MS, NS_PER_S, &o->pie_interval_ns);
	if (!strcmp(key, "pie-burst"))
		return duration_in(v, 0, 10 * NS_PER_S, &o->pie_burst_ns);
	if (!strcmp(key, "pie-exempt-priority")) {
		ret = set_u32(v, 0, WEIR_PRIORITIES, &u);
		if (!ret)
			o->pie_exempt = u;
		return ret;
	}
	if (!strcmp(key, "pie-scale"))
		return pick(scale_names, v, &o->pie_scale);
	if (!strcmp(key, "probe-interval"))
		return duration_in(v, 10 * NS_PER_MS, 60 * NS_PER_S, &o->probe_interval_ns);
	if (!strcmp(key, "probe-timeout"))
		return duration_in(v, 10 * NS_PER_MS, 60 * NS_PER_S, &o->probe_timeout_ns);
	if (!strcmp(key, "report-ttl"))
		return duration_in(v, 100 * NS_PER_MS, 600 * NS_PER_S, &o->report_ttl_ns);
	if (!strcmp(key, "breaker"))
		return set_bool(v, &o->breaker);
	if (!strcmp(key, "breaker-failures"))
		return units_parse_permille(v, 10, 1000, &o->breaker_permille);
	if (!strcmp(key, "breaker-window"))
		return set_u32(v, 1, 64, &o->breaker_window);
	if (!strcmp(key, "breaker-consecutive"))
		return set_u32(v, 0, 1000, &o->breaker_consecutive);
	if (!strcmp(key, "breaker-cooldown"))
		return duration_in(v, 100 * NS_PER_MS, 600 * NS_PER_S, &o->breaker_cooldown_ns);
	return -ENOENT;
}

int overload_set(struct weir_overload_config *o, const char *key, const char *value)
{
	struct weir_overload_config copy = *o;
	int ret = set_option(&copy, key, value);

	if (!ret)
		*o = copy;
	return ret;
}

static const struct {
	const char *key, *expected;
} expected[] = {
	{ "admission", "off or pie" },
	{ "delay-target", "a duration from 1ms to 10s" },
	{ "delay-source", "probe or report" },
	{ "probe", "tcp or http:PATH (a path starting with /)" },
	{ "delay-aggregate", "mean or max" },
	{ "pie-interval", "a duration from 10ms to 1s" },
	{ "pie-burst", "a duration from 0 to 10s" },
	{ "pie-exempt-priority", "a priority from 0 to 8 (8: none exempt)" },
	{ "pie-scale", "linear or flat" },
	{ "probe-interval", "a duration from 10ms to 60s" },
	{ "probe-timeout", "a duration from 10ms to 60s" },
	{ "report-ttl", "a duration from 100ms to 10m" },
	{ "breaker", "true or false" },
	{ "breaker-failures", "a percentage from 1% to 100%" },
	{ "breaker-window", "a number of probes from 1 to 64" },
	{ "breaker-consecutive", "a number of failures from 0 to 1000 (0: off)" },
	{ "breaker-cooldown", "a duration from 100ms to 10m" },
};

const char *const overload_keys[] = {
	"admission",	    "delay-target",
	"delay-source",	    "probe",
	"delay-aggregate",  "pie-interval",
	"pie-burst",	    "pie-exempt-priority",
	"pie-scale",	    "probe-interval",
	"probe-timeout",    "report-ttl",
	"breaker",	    "breaker-failures",
	"breaker-window",   "breaker-consecutive",
	"breaker-cooldown", NULL,
};

const char *overload_expected(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (!strcmp(expected[i].key, key))
			return expected[i].expected;
	return NULL;
}

const char *overload_admission_name(uint8_t v)
{
	return v <= WEIR_ADMISSION_PIE ? admission_names[v] : "?";
}

const char *overload_probe_name(const struct weir_overload_config *o, char *buf, size_t len)
{
	if (o->probe == WEIR_PROBE_TCP)
		snprintf(buf, len, "tcp");
	else
		snprintf(buf, len, "http:%s", o->probe_path);
	return buf;
}

static const char *format_duration(uint64_t ns, char *buf, size_t len)
{
	if (!ns) {
		snprintf(buf, len, "0");
		return buf;
	}
	return units_format_duration(ns, buf, len);
}

static const char *format_u32(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u", v);
	return buf;
}

const char *overload_format(const struct weir_overload_config *o, const char *key, char *buf,
			    size_t len)
{
	if (!strcmp(key, "admission"))
		return overload_admission_name(o->admission);
	if (!strcmp(key, "delay-target"))
		return format_duration(o->delay_target_ns, buf, len);
	if (!strcmp(key, "delay-source"))
		return o->delay_source <= WEIR_DELAY_REPORT ? source_names[o->delay_source] : "?";
	if (!strcmp(key, "probe"))
		return overload_probe_name(o, buf, len);
	if (!strcmp(key, "delay-aggregate"))
		return o->delay_aggregate <= WEIR_DELAY_MAX ? aggregate_names[o->delay_aggregate]
							    : "?";
	if (!strcmp(key, "pie-interval"))
		return format_duration(o->pie_interval_ns, buf, len);
	if (!strcmp(key, "pie-burst"))
		return format_duration(o->pie_burst_ns, buf, len);
	if (!strcmp(key, "pie-exempt-priority"))
		return format_u32(o->pie_exempt, buf, len);
	if (!strcmp(key, "pie-scale"))
		return o->pie_scale <= WEIR_PIE_FLAT ? scale_names[o->pie_scale] : "?";
	if (!strcmp(key, "probe-interval"))
		return format_duration(o->probe_interval_ns, buf, len);
	if (!strcmp(key, "probe-timeout"))
		return format_duration(o->probe_timeout_ns, buf, len);
	if (!strcmp(key, "report-ttl"))
		return format_duration(o->report_ttl_ns, buf, len);
	if (!strcmp(key, "breaker"))
		return bool_names[o->breaker];
	if (!strcmp(key, "breaker-failures"))
		return units_format_permille(o->breaker_permille, buf, len);
	if (!strcmp(key, "breaker-window"))
		return format_u32(o->breaker_window, buf, len);
	if (!strcmp(key, "breaker-consecutive"))
		return format_u32(o->breaker_consecutive, buf, len);
	if (!strcmp(key, "breaker-cooldown"))
		return format_duration(o->breaker_cooldown_ns, buf, len);
	return "?";
}

int overload_check(const struct weir_overload_config *o, char *err, size_t errlen)
{
	/* a probe that times out counts as that much delay: a timeout at or
	 * below the target would hide any overload from PIE */
	if (o->admission == WEIR_ADMISSION_PIE && o->delay_source == WEIR_DELAY_PROBE &&
	    o->probe_timeout_ns <= o->delay_target_ns) {
		snprintf(err, errlen, "probe-timeout must be longer than delay-target");
		return -EINVAL;
	}
	return 0;
}

bool overload_probes(const struct weir_overload_config *o)
{
	return (o->admission == WEIR_ADMISSION_PIE && o->delay_source == WEIR_DELAY_PROBE) ||
	       o->capacity_limit_auto;
}

uint32_t overload_priority_share(const struct weir_overload_config *o, uint8_t priority)
{
	if (priority >= o->pie_exempt)
		return 0;
	if (o->pie_scale == WEIR_PIE_FLAT)
		return 1024;
	return (uint32_t)(1024 * (o->pie_exempt - priority) / o->pie_exempt);
}
