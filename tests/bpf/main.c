// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runs the compiled balancer (build/weir.bpf.o, through its skeleton) under
 * BPF_PROG_TEST_RUN. Needs root (or CAP_BPF + CAP_NET_ADMIN).
 * WEIR_BPF_GROUP=NAME runs that group only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

int main(void)
{
	static const struct test_group *groups[] = {
		&forward_group, &pass_group,  &steer_group,   &stream_group, &counters_group,
		&icmp_group,	&admit_group, &police_group,  &reply_group,  &pie_group,
		&maglev_group,	&encap_group, &hostile_group,
	};
	const char *only = getenv("WEIR_BPF_GROUP");
	size_t i;
	int failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "bpf_test: needs root to load BPF programs\n");
		return 77; /* the usual "skipped" exit code */
	}
	for (i = 0; i < ARRAY_SIZE(groups); i++)
		if (!only || !strcmp(only, groups[i]->name))
			failed += _cmocka_run_group_tests(groups[i]->name, groups[i]->tests,
							  groups[i]->count, NULL, NULL);
	return failed ? 1 : 0;
}
