// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for overload.c: every option parses, formats back to what
 * it parsed, rejects bad values without a change; the priority shares. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "weir/abi.h"
#include "core/overload.h"

/* A value each key accepts other than its default. */
static const struct {
	const char *key, *value;
} good[] = {
	{ "admission", "pie" },
	{ "delay-target", "5ms" },
	{ "delay-source", "report" },
	{ "probe", "http:/health" },
	{ "delay-aggregate", "max" },
	{ "pie-interval", "1s" },
	{ "pie-burst", "0" },
	{ "pie-exempt-priority", "0" },
	{ "pie-scale", "flat" },
	{ "probe-interval", "10ms" },
	{ "probe-timeout", "1m" },
	{ "report-ttl", "10m" },
	{ "breaker", "false" },
	{ "breaker-failures", "100%" },
	{ "breaker-window", "64" },
	{ "breaker-consecutive", "1000" },
	{ "breaker-cooldown", "100ms" },
};

static void test_every_key_round_trips(void **state)
{
	struct weir_overload_config o, def;
	char buf[160];
	size_t i, n = 0;

	(void)state;
	overload_config_init(&def);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o = def;
		assert_int_equal(overload_set(&o, good[i].key, good[i].value, NULL, 0), 0);
		assert_memory_not_equal(&o, &def, sizeof(o));
		assert_string_equal(overload_format(&o, good[i].key, buf, sizeof(buf)),
				    good[i].value);
		assert_non_null(overload_expected(good[i].key));
	}
	for (n = 0; overload_key(n); n++)
		assert_non_null(overload_expected(overload_key(n)));
	assert_int_equal(n, sizeof(good) / sizeof(good[0]));
}

static void test_bad_values_change_nothing(void **state)
{
	static const struct {
		const char *key, *value;
		int ret;
	} bad[] = {
		{ "admission", "codel", -EINVAL },	 { "delay-target", "11s", -EINVAL },
		{ "delay-target", "0", -EINVAL },	 { "probe", "http:", -EINVAL },
		{ "probe", "http:/a b", -EINVAL },	 { "probe", "udp", -EINVAL },
		{ "pie-interval", "5ms", -EINVAL },	 { "pie-burst", "11s", -EINVAL },
		{ "pie-exempt-priority", "9", -EINVAL }, { "probe-interval", "9ms", -EINVAL },
		{ "breaker", "yes", -EINVAL },		 { "breaker-failures", "50", -EINVAL },
		{ "breaker-failures", "101%", -EINVAL }, { "breaker-window", "65", -EINVAL },
		{ "breaker-window", "0", -EINVAL },	 { "delay", "20ms", -ENOENT },
	};
	struct weir_overload_config o, def;
	char why[160], want[160];
	size_t i;

	(void)state;
	overload_config_init(&def);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = def;
		assert_int_equal(overload_set(&o, bad[i].key, bad[i].value, NULL, 0), bad[i].ret);
		assert_memory_equal(&o, &def, sizeof(o));
		if (bad[i].ret != -EINVAL)
			continue;
		/* the message names the value and what the key takes */
		assert_int_equal(overload_set(&o, bad[i].key, bad[i].value, why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want), "%s is not %s", bad[i].value,
			 overload_expected(bad[i].key));
		assert_string_equal(why, want);
	}
}

static void test_defaults(void **state)
{
	struct weir_overload_config o;
	char err[128];

	(void)state;
	overload_config_init(&o);
	assert_int_equal(o.admission, WEIR_ADMISSION_OFF);
	assert_int_equal(o.delay_target_ns, 20000000ULL);
	assert_int_equal(o.pie_interval_ns, 30000000ULL);
	assert_int_equal(o.pie_burst_ns, 150000000ULL);
	assert_int_equal(o.probe_interval_ns, 100000000ULL);
	assert_int_equal(o.breaker_permille, 500);
	assert_int_equal(o.breaker_window, 10);
	assert_int_equal(o.breaker_cooldown_ns, 5000000000ULL);
	assert_false(overload_probes(&o));
	assert_int_equal(overload_check(&o, err, sizeof(err)), 0);
	o.admission = WEIR_ADMISSION_PIE;
	assert_true(overload_probes(&o));
	o.delay_source = WEIR_DELAY_REPORT;
	assert_false(overload_probes(&o));
	o.capacity_limit_auto = true;
	assert_true(overload_probes(&o));
}

/* Linear by default: priority 7 never refused, 0 sees all of p. */
static void test_priority_share(void **state)
{
	struct weir_overload_config o;

	(void)state;
	overload_config_init(&o);
	assert_int_equal(overload_priority_share(&o, 0), 1024);
	assert_int_equal(overload_priority_share(&o, 1), 1024 * 6 / 7);
	assert_int_equal(overload_priority_share(&o, 6), 1024 / 7);
	assert_int_equal(overload_priority_share(&o, 7), 0);
	o.pie_scale = WEIR_PIE_FLAT;
	assert_int_equal(overload_priority_share(&o, 6), 1024);
	assert_int_equal(overload_priority_share(&o, 7), 0);
	o.pie_exempt = 8;
	assert_int_equal(overload_priority_share(&o, 7), 1024);
	o.pie_exempt = 0;
	assert_int_equal(overload_priority_share(&o, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_round_trips),
		cmocka_unit_test(test_bad_values_change_nothing),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_priority_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
