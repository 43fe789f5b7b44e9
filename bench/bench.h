/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* weir-bench: figures next to baselines measured in the same run. */
#ifndef WEIR_BENCH_H
#define WEIR_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define BENCH_ROUNDS_MAX 32

/* One measured quantity over the rounds. */
struct series {
	double v[BENCH_ROUNDS_MAX];
	int n;
};

void series_add(struct series *s, double v);
double series_median(const struct series *s);
double series_min(const struct series *s);
double series_max(const struct series *s);

/* A result row; ratio = median / baseline median. met: 1 yes, 0 no, -1 no
 * target. */
struct row {
	const char *section;
	const char *name;
	const char *unit;
	const struct series *value;
	const char *baseline_name;
	const struct series *baseline;
	const char *target;
	int met;
	const char *note;
};

void rows_add(json_object *rows, const struct row *r);
int rows_write(json_object *rows, const char *path);
double now_seconds(void);

int bench_packet(int rounds, const char *out);
int bench_live(int rounds, const char *ifname, const char *out);
int bench_controller(int rounds, const char *out);

#endif
