// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A service's overload options: parse, format and check each by its key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "weir/abi.h"
#include "core/breaker.h"
#include "core/option.h"
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

static const char *const admission_names[] = { "off", "pie", NULL };
static const char *const source_names[] = { "probe", "report", NULL };
static const char *const aggregate_names[] = { "mean", "max", NULL };
static const char *const scale_names[] = { "linear", "flat", NULL };

/* "tcp", or "http:/PATH": a path of printable characters without spaces,
 * so it goes into a request line as it is. */
static int parse_probe(const struct option *opt, void *obj, const char *s, char *why, size_t len)
{
	struct weir_overload_config *o = obj;
	const char *path = s + 5;
	size_t i, n;

	(void)opt;
	(void)why;
	(void)len;
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

static const char *format_probe(const struct option *opt, const void *obj, char *buf, size_t len)
{
	(void)opt;
	return overload_probe_name(obj, buf, len);
}

static const struct option_kind probe_kind = { parse_probe, format_probe, false };

#define FIELD(member) OPTION_FIELD(struct weir_overload_config, member)
#define MS(n) ((n)*NS_PER_MS)

/* In dump order; every refusal says what the key expects. */
static const struct option options[] = {
	{ "admission", &option_choice, FIELD(admission), 0, 0, admission_names, "off or pie" },
	{ "delay-target", &option_duration, FIELD(delay_target_ns), MS(1), MS(10000), NULL,
	  "a duration from 1ms to 10s" },
	{ "delay-source", &option_choice, FIELD(delay_source), 0, 0, source_names,
	  "probe or report" },
	{ "probe", &probe_kind, FIELD(probe), 0, 0, NULL,
	  "tcp or http:PATH (a path starting with /)" },
	{ "delay-aggregate", &option_choice, FIELD(delay_aggregate), 0, 0, aggregate_names,
	  "mean or max" },
	{ "pie-interval", &option_duration, FIELD(pie_interval_ns), MS(10), MS(1000), NULL,
	  "a duration from 10ms to 1s" },
	{ "pie-burst", &option_duration, FIELD(pie_burst_ns), 0, MS(10000), NULL,
	  "a duration from 0 to 10s" },
	{ "pie-exempt-priority", &option_number, FIELD(pie_exempt), 0, WEIR_PRIORITIES, NULL,
	  "a priority from 0 to 8 (8: none exempt)" },
	{ "pie-scale", &option_choice, FIELD(pie_scale), 0, 0, scale_names, "linear or flat" },
	{ "probe-interval", &option_duration, FIELD(probe_interval_ns), MS(10), MS(60000), NULL,
	  "a duration from 10ms to 60s" },
	{ "probe-timeout", &option_duration, FIELD(probe_timeout_ns), MS(10), MS(60000), NULL,
	  "a duration from 10ms to 60s" },
	{ "report-ttl", &option_duration, FIELD(report_ttl_ns), MS(100), MS(600000), NULL,
	  "a duration from 100ms to 10m" },
	{ "breaker", &option_bool, FIELD(breaker), 0, 0, NULL, "true or false" },
	{ "breaker-failures", &option_permille, FIELD(breaker_permille), 10, 1000, NULL,
	  "a percentage from 1% to 100%" },
	{ "breaker-window", &option_number, FIELD(breaker_window), 1, BREAKER_WINDOW_MAX, NULL,
	  "a number of probes from 1 to 64" },
	{ "breaker-consecutive", &option_number, FIELD(breaker_consecutive), 0, 1000, NULL,
	  "a number of failures from 0 to 1000 (0: off)" },
	{ "breaker-cooldown", &option_duration, FIELD(breaker_cooldown_ns), MS(100), MS(600000),
	  NULL, "a duration from 100ms to 10m" },
	{ 0 },
};

int overload_set(struct weir_overload_config *o, const char *key, const char *value, char *why,
		 size_t len)
{
	return option_set(options, o, key, value, why, len);
}

const char *overload_key(size_t i)
{
	return i < sizeof(options) / sizeof(options[0]) ? options[i].key : NULL;
}

const char *overload_expected(const char *key)
{
	const struct option *opt = option_find(options, key);

	return opt ? opt->expected : NULL;
}

const char *overload_format(const struct weir_overload_config *o, const char *key, char *buf,
			    size_t len)
{
	const struct option *opt = option_find(options, key);

	return opt ? option_format(opt, o, buf, len) : "?";
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
