// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/core/option.c: each kind parses into a field of its
 * width, refuses with the value and the reason (or what the row expects),
 * leaves the object alone when it refuses, and formats what it parsed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/option.h"

struct thing {
	uint8_t small;
	uint16_t port;
	uint32_t count;
	uint64_t wide;
	uint64_t wait_ns;
	uint64_t rate;
	uint8_t colour;
	bool on;
	uint32_t share;
};

static const char *const colours[] = { "red", "green", "blue", NULL };

#define FIELD(member) OPTION_FIELD(struct thing, member)

static const struct option table[] = {
	{ "small", &option_number, FIELD(small), 1, 10, NULL, NULL },
	{ "port", &option_number, FIELD(port), 1, 65535, NULL, "a port (1-65535)" },
	{ "count", &option_number, FIELD(count), 0, UINT32_MAX, NULL, NULL },
	{ "wide", &option_number, FIELD(wide), 0, UINT32_MAX, NULL, NULL },
	{ "wait", &option_duration, FIELD(wait_ns), 1, UINT64_MAX, NULL, NULL },
	{ "rate", &option_rate, FIELD(rate), 0, 0, NULL, NULL },
	{ "colour", &option_choice, FIELD(colour), 0, 0, colours, NULL },
	{ "on", &option_bool, FIELD(on), 0, 0, NULL, NULL },
	{ "share", &option_permille, FIELD(share), 0, 500, NULL, NULL },
	{ 0 },
};

static struct thing blank(void)
{
	struct thing t;

	memset(&t, 0x5a, sizeof(t));
	t.on = false;
	return t;
}

static void expect_set(const char *key, const char *text, const char *formatted)
{
	struct thing t = blank();
	const struct option *o = option_find(table, key);
	char buf[32];

	assert_non_null(o);
	assert_int_equal(option_set(table, &t, key, text, NULL, 0), 0);
	assert_string_equal(option_format(o, &t, buf, sizeof(buf)), formatted);
}

static void expect_refused(const char *key, const char *text, const char *why)
{
	struct thing t = blank(), before = t;
	char buf[160];

	assert_int_equal(option_set(table, &t, key, text, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, why);
	assert_memory_equal(&t, &before, sizeof(t));
	assert_int_equal(option_set(table, &t, key, text, NULL, 0), -EINVAL);
}

static void test_sets_and_formats(void **state)
{
	struct thing t = blank();

	(void)state;
	expect_set("small", "10", "10");
	expect_set("port", "65535", "65535");
	expect_set("count", "4294967295", "4294967295");
	expect_set("wide", "7", "7");
	expect_set("wait", "1.5s", "1500ms");
	expect_set("rate", "8mbit", "8mbit");
	expect_set("colour", "blue", "blue");
	expect_set("on", "true", "true");
	expect_set("share", "12.5%", "12.5%");
	/* only the field's own bytes are written */
	assert_int_equal(option_set(table, &t, "small", "3", NULL, 0), 0);
	assert_int_equal(t.small, 3);
	assert_int_equal(t.port, 0x5a5a);
	assert_int_equal(option_set(table, &t, "wide", "7", NULL, 0), 0);
	assert_int_equal(t.wide, 7);
	assert_int_equal(t.wait_ns, 0x5a5a5a5a5a5a5a5aULL);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("small", "11", "11 is out of range (1-10)");
	expect_refused("small", "x", "x is not a number (1-10)");
	expect_refused("port", "0", "0 is not a port (1-65535)");
	expect_refused("wait", "15", "15 is not a duration (a number with ms, s or m)");
	expect_refused("wait", "0s", "0s is too short (must be longer than 0)");
	expect_refused("rate", "fast", "fast is not a rate (bit/s, like 8mbit or 1gbit)");
	expect_refused("colour", "Red", "Red is not one of red, green, blue");
	expect_refused("on", "yes", "yes is not true or false");
	expect_refused("share", "60%", "60% is not a percentage from 0% to 50%");
}

static void test_unknown_key(void **state)
{
	struct thing t = blank(), before = t;
	char why[32] = "untouched";

	(void)state;
	assert_null(option_find(table, "colours"));
	assert_int_equal(option_set(table, &t, "colours", "red", why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "untouched");
	assert_memory_equal(&t, &before, sizeof(t));
}

/* A value the names do not know prints as "?", never past the table. */
static void test_choice_out_of_range(void **state)
{
	struct thing t = blank();
	char buf[8];

	(void)state;
	t.colour = 3;
	assert_string_equal(option_format(option_find(table, "colour"), &t, buf, sizeof(buf)), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sets_and_formats),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_choice_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
