// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The controller's modules against real pinned maps. Needs root. */
#include <stdio.h>
#include <unistd.h>

#include "ctl/log.h"
#include "tests.h"

int main(void)
{
	static const struct test_group *groups[] = {
		&sweep_group,	 &state_group,	 &loader_group, &server_group,
		&overload_group, &metrics_group, &notify_group,
	};
	size_t i;
	int failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "ctl_test: needs root to create BPF maps\n");
		return 77;
	}
	log_set_level(LOG_WARN);
	for (i = 0; i < ARRAY_SIZE(groups); i++)
		failed += _cmocka_run_group_tests(groups[i]->name, groups[i]->tests,
						  groups[i]->count, NULL, NULL);
	return failed ? 1 : 0;
}
