// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

static const struct column service_stat_columns[] = {
	{ "SERVICE", "name" },	  { "STREAMS", "streams" },
	{ "NEW", "new_streams" }, { "ENDED", "ended_streams" },
	{ "REFUSED", "refused" }, { "PACKETS", "packets" },
	{ "BYTES", "bytes" },	  { 0 },
};

static const struct column reason_columns[] = {
	{ "REASON", "reason" },
	{ "VERDICT", "verdict" },
	{ "PACKETS", "packets" },
	{ 0 },
};

static void print_section(json_object *data, const char *key, const struct column *cols)
{
	json_object *rows;

	if (json_object_object_get_ex(data, key, &rows))
		out_table(rows, cols);
}

static void print_stats(const struct cli *cli, json_object *data)
{
	json_object *services;
	size_t i;

	(void)cli;
	print_section(data, "services", service_stat_columns);
	printf("\n");
	if (json_object_object_get_ex(data, "services", &services))
		for (i = 0; i < json_object_array_length(services); i++)
			print_overload(json_object_array_get_idx(services, i));
	printf("\n");
	print_section(data, "backends", backend_columns);
	printf("\n");
	print_section(data, "reasons", reason_columns);
}

const struct cmd stats_cmds[] = {
	{ "",
	  "stats",
	  { "?service" },
	  { "watch!" },
	  "[SERVICE] [--watch]",
	  "counters per service and backend, and packets not forwarded by reason; --watch "
	  "refreshes every second",
	  print_stats,
	  NULL,
	  NULL },
	{ 0 },
};
