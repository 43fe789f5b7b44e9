// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

static const struct column status_fields[] = {
	{ "version", "version" },
	{ "revision", "revision" },
	{ "uptime (s)", "uptime_s" },
	{ "socket", "socket" },
	{ "pin dir", "pin_dir" },
	{ "maps adopted", "maps_adopted" },
	{ "xdp mode", "xdp_mode" },
	{ "update interval", "update_interval" },
	{ "services", "services" },
	{ "backends", "backends" },
	{ "streams", "streams" },
	{ "closing streams", "closing_streams" },
	{ "places reconciled", "reconciled_places" },
	{ "longest tick delay (ms)", "tick_late_max_ms" },
	{ "stream table size", "stream_table_size" },
	{ 0 },
};

static const struct column iface_columns[] = {
	{ "INTERFACE", "name" },
	{ "IFINDEX", "ifindex" },
	{ "ADOPTED", "adopted" },
	{ 0 },
};

static void print_status(const struct cli *cli, json_object *data)
{
	json_object *ifaces;

	(void)cli;
	out_fields(data, status_fields);
	if (json_object_object_get_ex(data, "interfaces", &ifaces) &&
	    json_object_array_length(ifaces)) {
		printf("\n");
		out_table(ifaces, iface_columns);
	}
}

const struct cmd status_cmds[] = {
	{ "",
	  "status",
	  { 0 },
	  { 0 },
	  "",
	  "the controller, its interfaces and totals",
	  print_status,
	  NULL,
	  NULL },
	{ 0 },
};

const struct cmd shutdown_cmds[] = {
	{ "",
	  "shutdown",
	  { 0 },
	  { 0 },
	  "",
	  "stop the controller AND the data plane: detach from every interface, remove the "
	  "pinned maps (every stream is dropped)",
	  NULL,
	  "done",
	  NULL },
	{ 0 },
};
