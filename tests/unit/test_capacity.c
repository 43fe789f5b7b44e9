// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for capacity.c: each key sets, formats back and round-trips;
 * a bad expression is refused with its column and changes nothing;
 * capacity-limit's auto and expressions exclude each other; names in
 * weir's namespaces must be weir's metrics, others are a backend's own. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/capacity.h"

static void init(struct weir_capacity_config *c, struct weir_overload_config *o)
{
	capacity_config_init(c);
	overload_config_init(o);
}

static void test_keys_round_trip(void **state)
{
	static const struct {
		const char *key, *value;
	} good[] = {
		{ "capacity-ranking", "connections.publisher * 10 + connections.subscriber" },
		{ "capacity-limit", "max(5, cpu / 10)" },
		{ "shuffle-size", "max(min(nodeCount*0.1, 2), 5)" },
		{ "scale-out", "avg(connections.publisher) > 15" },
		{ "scale-in", "sum(streams.active) < 10 && nodeCount > 2" },
		{ "scale-hook", "/usr/local/bin/grow --by 1" },
		{ "scale-for", "30s" },
		{ "scale-cooldown", "5m" },
	};
	struct weir_capacity_config c, again;
	struct weir_overload_config o;
	char why[320], buf[32];
	size_t i;

	(void)state;
	init(&c, &o);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(capacity_set(&c, &o, good[i].key, good[i].value, why, sizeof(why)),
				 0);
		assert_string_equal(capacity_format(&c, &o, good[i].key, buf, sizeof(buf)),
				    good[i].value);
	}
	/* what the dump writes loads back the same */
	init(&again, &o);
	for (i = 0; capacity_keys[i]; i++)
		assert_int_equal(
			capacity_set(&again, &o, capacity_keys[i],
				     capacity_format(&c, &o, capacity_keys[i], buf, sizeof(buf)),
				     why, sizeof(why)),
			0);
	assert_memory_equal(&c, &again, sizeof(c));
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *key, *value, *why;
	} bad[] = {
		{ "capacity-ranking", "cpu *",
		  "column 6: expected a number, a variable, '(' or a "
		  "function" },
		{ "capacity-limit", "streams.actve", "column 1: unknown metric 'streams.actve'" },
		{ "shuffle-size", "cpu", "column 1: cpu is a backend's value" },
		{ "scale-out", "avg(cpu) >", "column 11: expected" },
		{ "scale-for", "soon", "not a duration" },
		{ "scale-cooldown", "0ms", "not a duration" },
	};
	struct weir_capacity_config c, before;
	struct weir_overload_config o;
	char why[320];
	size_t i;

	(void)state;
	init(&c, &o);
	before = c;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(capacity_set(&c, &o, bad[i].key, bad[i].value, why, sizeof(why)),
				 -EINVAL);
		if (strncmp(why, bad[i].why, strlen(bad[i].why)))
			fail_msg("%s: %s: '%s', expected '%s...'", bad[i].key, bad[i].value, why,
				 bad[i].why);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	assert_int_equal(capacity_set(&c, &o, "admission", "pie", why, sizeof(why)), -ENOENT);
}

static void test_limit_auto_or_expression(void **state)
{
	struct weir_capacity_config c;
	struct weir_overload_config o;
	char why[320], buf[32];

	(void)state;
	init(&c, &o);
	assert_int_equal(capacity_set(&c, &o, "capacity-limit", "auto", why, sizeof(why)), 0);
	assert_true(o.capacity_limit_auto);
	assert_string_equal(capacity_format(&c, &o, "capacity-limit", buf, sizeof(buf)), "auto");
	assert_int_equal(capacity_set(&c, &o, "capacity-limit", "5", why, sizeof(why)), 0);
	assert_false(o.capacity_limit_auto);
	assert_string_equal(c.limit, "5");
	/* a bad one leaves auto as it was */
	assert_int_equal(capacity_set(&c, &o, "capacity-limit", "auto", why, sizeof(why)), 0);
	assert_int_equal(capacity_set(&c, &o, "capacity-limit", "(", why, sizeof(why)), -EINVAL);
	assert_true(o.capacity_limit_auto);
	assert_int_equal(capacity_set(&c, &o, "capacity-limit", "none", why, sizeof(why)), 0);
	assert_false(o.capacity_limit_auto);
	assert_string_equal(capacity_format(&c, &o, "capacity-limit", buf, sizeof(buf)), "none");
}

/* The dump writes "none" for no hook; read back it is no hook again, not
 * a command named none (found by fuzzing the config round trip). */
static void test_hook_none(void **state)
{
	struct weir_capacity_config c;
	struct weir_overload_config o;
	char why[320], buf[32];

	(void)state;
	init(&c, &o);
	assert_string_equal(capacity_format(&c, &o, "scale-hook", buf, sizeof(buf)), "none");
	assert_int_equal(capacity_set(&c, &o, "scale-hook", "/bin/grow", why, sizeof(why)), 0);
	assert_string_equal(c.scale_hook, "/bin/grow");
	assert_int_equal(capacity_set(&c, &o, "scale-hook", "none", why, sizeof(why)), 0);
	assert_string_equal(c.scale_hook, "");
	assert_string_equal(capacity_format(&c, &o, "scale-hook", buf, sizeof(buf)), "none");
}

static void test_names(void **state)
{
	char why[320];

	(void)state;
	assert_int_equal(capacity_check_name("streams.active", NULL, why, sizeof(why)), 0);
	assert_int_equal(capacity_check_name("probe.latency_ms", NULL, why, sizeof(why)), 0);
	assert_int_equal(capacity_check_name("weight", NULL, why, sizeof(why)), 0);
	assert_int_equal(capacity_check_name("cpu", NULL, why, sizeof(why)), 0);
	assert_int_equal(capacity_check_name("connections.publisher", NULL, why, sizeof(why)), 0);
	assert_int_equal(capacity_check_name("rx.bsp", NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "unknown metric 'rx.bsp'"));
	assert_int_equal(capacity_check_name("health.down", NULL, why, sizeof(why)), -1);
	assert_true(capacity_is_measured("rx.pps"));
	assert_false(capacity_is_measured("cpu"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_round_trip),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_limit_auto_or_expression),
		cmocka_unit_test(test_hook_none),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
