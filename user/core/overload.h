/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A service's overload settings (PIE admission, the delay it regulates,
 * probes, the circuit breaker, autothrottle): one table of options that the
 * config file, the control socket and `weir config dump` all go through, so
 * a key means the same everywhere. Pure: no I/O, no allocation.
 */
#ifndef WEIR_OVERLOAD_H
#define WEIR_OVERLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum weir_admission_mode {
	WEIR_ADMISSION_OFF = 0,
	WEIR_ADMISSION_PIE = 1,
};

enum weir_delay_source {
	WEIR_DELAY_PROBE = 0, /* active probes to each backend */
	WEIR_DELAY_REPORT = 1, /* queue / dequeue_rate the backends report */
};

enum weir_probe_kind {
	WEIR_PROBE_TCP = 0, /* times a connect */
	WEIR_PROBE_HTTP = 1, /* times a GET up to its status line */
};

enum weir_delay_aggregate {
	WEIR_DELAY_MEAN = 0, /* over the usable backends */
	WEIR_DELAY_MAX = 1,
};

enum weir_pie_scale {
	WEIR_PIE_LINEAR = 0, /* priority q below the exempt one sees p * (exempt - q) / exempt */
	WEIR_PIE_FLAT = 1, /* every priority below the exempt one sees p */
};

#define WEIR_PROBE_PATH_MAX 128

struct weir_overload_config {
	uint8_t admission; /* enum weir_admission_mode */
	uint8_t delay_source; /* enum weir_delay_source */
	uint8_t probe; /* enum weir_probe_kind */
	uint8_t delay_aggregate; /* enum weir_delay_aggregate */
	char probe_path[WEIR_PROBE_PATH_MAX]; /* http: starts with '/' */
	uint64_t delay_target_ns;
	uint64_t pie_interval_ns; /* PIE's update interval */
	uint64_t pie_burst_ns; /* burst allowance; 0: none */
	uint8_t pie_exempt; /* priorities from this one up are never refused by PIE (8: none) */
	uint8_t pie_scale; /* enum weir_pie_scale */
	uint64_t probe_interval_ns;
	uint64_t probe_timeout_ns;
	uint64_t report_ttl_ns; /* a backend's report counts this long */
	bool breaker;
	uint32_t breaker_permille; /* trips above this failure ratio ... */
	uint32_t breaker_window; /* ... of the last this many probes */
	uint32_t breaker_consecutive; /* or after this many failures in a row; 0: never */
	uint64_t breaker_cooldown_ns; /* first; doubles on trips in a row */
	bool capacity_limit_auto; /* autothrottle each backend's max streams */
};

/* Defaults: admission off; delay-target 20ms, pie-interval 30ms, pie-burst
 * 150ms, pie-exempt-priority 7, pie-scale linear; delay-source probe, probe
 * tcp, delay-aggregate mean, probe-interval 100ms, probe-timeout 1s,
 * report-ttl 5s; breaker on (50% of 10, or 5 in a row, cool-down 5s);
 * capacity-limit none. */
void overload_config_init(struct weir_overload_config *o);

/* One option by its key, as given on the command line and in the file.
 * Returns 0, -ENOENT for a key that is not an overload option, -EINVAL
 * for a bad value (o unchanged) with why: "red is not off or pie" (why may
 * be NULL). capacity-limit (auto or an expression) is core/capacity.c's. */
int overload_set(struct weir_overload_config *o, const char *key, const char *value, char *why,
		 size_t len);
/* What a key accepts ("off or pie"); NULL for no such key. */
const char *overload_expected(const char *key);
/* The keys in dump order: i from 0 until NULL. */
const char *overload_key(size_t i);
/* A key's value as the dump writes it (and overload_set reads it back). */
const char *overload_format(const struct weir_overload_config *o, const char *key, char *buf,
			    size_t len);
/* Checks that need several options together. */
int overload_check(const struct weir_overload_config *o, char *err, size_t errlen);
/* Probes run: for the delay PIE regulates, or for the autothrottle. */
bool overload_probes(const struct weir_overload_config *o);

/* The share (0-1024) of the service's p a new stream of this priority
 * sees. */
uint32_t overload_priority_share(const struct weir_overload_config *o, uint8_t priority);

const char *overload_admission_name(uint8_t v);
const char *overload_probe_name(const struct weir_overload_config *o, char *buf, size_t len);

#endif
