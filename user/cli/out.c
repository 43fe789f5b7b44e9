// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text and JSON output from the same reply data, so they cannot drift. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define CELL_MAX 64
#define COLUMNS_MAX 16

void out_json(json_object *data)
{
	printf("%s\n", data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PRETTY |
									   JSON_C_TO_STRING_SPACED)
			    : "{}");
}

const char *out_value(json_object *obj, const char *key, char *buf, size_t len)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return "-";
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v)[0] ? json_object_get_string(v) : "-";
	case json_type_int:
		snprintf(buf, len, "%" PRIu64, json_object_get_uint64(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	default:
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	}
}

static size_t count_columns(const struct column *cols)
{
	size_t n = 0;

	while (cols[n].title && n < COLUMNS_MAX)
		n++;
	return n;
}

static void column_widths(json_object *rows, const struct column *cols, size_t n, int *width)
{
	char buf[CELL_MAX];
	size_t i, r;

	for (i = 0; i < n; i++)
		width[i] = strlen(cols[i].title);
	for (r = 0; r < json_object_array_length(rows); r++) {
		json_object *row = json_object_array_get_idx(rows, r);

		for (i = 0; i < n; i++) {
			int w = strlen(out_value(row, cols[i].key, buf, sizeof(buf)));

			if (w > width[i])
				width[i] = w;
		}
	}
}

static void print_row(const char *const *cells, const int *width, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		printf("%-*s  ", width[i], cells[i]);
	printf("%s\n", n ? cells[n - 1] : "");
}

void out_table(json_object *rows, const struct column *cols)
{
	size_t n = count_columns(cols), i, r;
	char bufs[COLUMNS_MAX][CELL_MAX];
	const char *cells[COLUMNS_MAX];
	int width[COLUMNS_MAX];

	if (!rows || !json_object_is_type(rows, json_type_array))
		return;
	column_widths(rows, cols, n, width);
	for (i = 0; i < n; i++)
		cells[i] = cols[i].title;
	print_row(cells, width, n);
	for (r = 0; r < json_object_array_length(rows); r++) {
		json_object *row = json_object_array_get_idx(rows, r);

		for (i = 0; i < n; i++)
			cells[i] = out_value(row, cols[i].key, bufs[i], CELL_MAX);
		print_row(cells, width, n);
	}
}

void out_fields(json_object *obj, const struct column *cols)
{
	size_t n = count_columns(cols), i;
	char buf[CELL_MAX];
	int width = 0;

	for (i = 0; i < n; i++)
		if ((int)strlen(cols[i].title) > width)
			width = strlen(cols[i].title);
	for (i = 0; i < n; i++)
		printf("%s:%*s %s\n", cols[i].title, width - (int)strlen(cols[i].title), "",
		       out_value(obj, cols[i].key, buf, sizeof(buf)));
}
