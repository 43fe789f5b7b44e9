/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_CTL_TESTS_H
#define WEIR_CTL_TESTS_H

#include "fixture.h"

struct test_group {
	const char *name;
	const struct CMUnitTest *tests;
	size_t count;
};

extern const struct test_group sweep_group;
extern const struct test_group state_group;
extern const struct test_group loader_group;
extern const struct test_group server_group;
extern const struct test_group overload_group;
extern const struct test_group metrics_group;
extern const struct test_group notify_group;

/* One TCP service "web" on 198.18.1.100:80 with two backends, health off. */
#define WEB_DOC                                                     \
	"services:\n"                                               \
	"  - name: web\n"                                           \
	"    vip: 198.18.1.100\n"                                   \
	"    port: 80\n"                                            \
	"    proto: tcp\n"                                          \
	"    idle-timeout: 2s\n"                                    \
	"    health: {enabled: false}\n"                            \
	"    backends:\n"                                           \
	"      - {addr: 198.18.0.11, mac: \"02:00:00:00:00:11\"}\n" \
	"      - {addr: 198.18.0.12, mac: \"02:00:00:00:00:12\"}\n"

#endif
