/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The test groups, one per file; main.c runs them all. */
#ifndef WEIR_TEST_TESTS_H
#define WEIR_TEST_TESTS_H

#include "fixture.h"

struct test_group {
	const char *name;
	const struct CMUnitTest *tests;
	size_t count;
};

extern const struct test_group forward_group;
extern const struct test_group pass_group;
extern const struct test_group steer_group;
extern const struct test_group stream_group;
extern const struct test_group counters_group;
extern const struct test_group icmp_group;
extern const struct test_group admit_group;
extern const struct test_group police_group;
extern const struct test_group reply_group;
extern const struct test_group pie_group;
extern const struct test_group maglev_group;
extern const struct test_group encap_group;
extern const struct test_group hostile_group;

/* Every test loads its own balancer, so no test sees another's state. */
#define lb_test(f) cmocka_unit_test_setup_teardown(f, lb_setup, lb_teardown)

#endif
