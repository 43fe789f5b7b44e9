// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

void series_add(struct series *s, double v)
{
	if (s->n < BENCH_ROUNDS_MAX)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double series_median(const struct series *s)
{
	double v[BENCH_ROUNDS_MAX];

	if (!s->n)
		return NAN;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double series_min(const struct series *s)
{
	double m = INFINITY;
	int i;

	for (i = 0; i < s->n; i++)
		m = fmin(m, s->v[i]);
	return m;
}

double series_max(const struct series *s)
{
	double m = -INFINITY;
	int i;

	for (i = 0; i < s->n; i++)
		m = fmax(m, s->v[i]);
	return m;
}

static json_object *number(double v)
{
	return json_object_new_double(round(v * 1000) / 1000);
}

void rows_add(json_object *rows, const struct row *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "section", json_object_new_string(r->section));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "unit", json_object_new_string(r->unit));
	json_object_object_add(o, "median", number(series_median(r->value)));
	json_object_object_add(o, "min", number(series_min(r->value)));
	json_object_object_add(o, "max", number(series_max(r->value)));
	json_object_object_add(o, "rounds", json_object_new_int(r->value->n));
	if (r->baseline) {
		json_object_object_add(o, "baseline_name",
				       json_object_new_string(r->baseline_name));
		json_object_object_add(o, "baseline_median", number(series_median(r->baseline)));
		json_object_object_add(
			o, "ratio", number(series_median(r->value) / series_median(r->baseline)));
	}
	json_object_object_add(o, "target", r->target ? json_object_new_string(r->target) : NULL);
	json_object_object_add(o, "met", r->met < 0 ? NULL : json_object_new_boolean(r->met));
	if (r->note)
		json_object_object_add(o, "note", json_object_new_string(r->note));
	json_object_array_add(rows, o);
}

int rows_write(json_object *rows, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PRETTY));
	fclose(f);
	return 0;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
