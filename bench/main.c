// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-bench packet|live IFACE|controller OUT.json [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	int rounds = 5;

	if (argc >= 3 && !strcmp(argv[1], "packet")) {
		rounds = argc > 3 ? atoi(argv[3]) : rounds;
		return bench_packet(rounds, argv[2]) ? 1 : 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "live")) {
		rounds = argc > 4 ? atoi(argv[4]) : rounds;
		return bench_live(rounds, argv[2], argv[3]) ? 1 : 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "controller")) {
		rounds = argc > 3 ? atoi(argv[3]) : rounds;
		return bench_controller(rounds, argv[2]) ? 1 : 0;
	}
	fprintf(stderr, "usage: weir-bench packet OUT.json [ROUNDS]\n"
			"       weir-bench live IFACE OUT.json [ROUNDS]\n"
			"       weir-bench controller OUT.json [ROUNDS]\n");
	return 2;
}
