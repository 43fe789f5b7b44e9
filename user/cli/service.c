// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

static const struct column service_columns[] = {
	{ "NAME", "name" },	  { "VIP", "vip" },	      { "PORT", "port" },
	{ "PROTO", "proto" },	  { "STEERING", "steering" }, { "BACKENDS", "backends" },
	{ "USABLE", "usable" },	  { "STREAMS", "streams" },   { "NEW", "new_streams" },
	{ "REFUSED", "refused" }, { "PACKETS", "packets" },   { 0 },
};

static const struct column service_fields[] = {
	{ "name", "name" },
	{ "vip", "vip" },
	{ "port", "port" },
	{ "proto", "proto" },
	{ "steering", "steering" },
	{ "forwarding", "forwarding" },
	{ "refuse", "refuse" },
	{ "idle-timeout", "idle_timeout" },
	{ "health", "health" },
	{ "backends", "backends" },
	{ "usable", "usable" },
	{ "streams", "streams" },
	{ "new streams", "new_streams" },
	{ "ended streams", "ended_streams" },
	{ "refused", "refused" },
	{ "packets", "packets" },
	{ "bytes", "bytes" },
	{ 0 },
};

static void print_service_list(const struct cli *cli, json_object *data)
{
	(void)cli;
	out_table(data, service_columns);
}

static void print_service_show(const struct cli *cli, json_object *data)
{
	json_object *backends;

	(void)cli;
	out_fields(data, service_fields);
	if (json_object_object_get_ex(data, "backend_list", &backends) &&
	    json_object_array_length(backends)) {
		printf("\n");
		out_table(backends, backend_columns);
	}
}

const struct cmd service_cmds[] = {
	{ "add",
	  "service.add",
	  { "name" },
	  { "vip", "port", "proto", "steering", "forwarding", "capacity-streams", "capacity-rate",
	    "stream-min", "stream-max", "priority", "idle-timeout", "refuse", "health",
	    "health-port" },
	  "NAME --vip ADDR --port N --proto tcp|udp [--steering round-robin|weighted|maglev]\n"
	  "      [--forwarding dsr|ipip] [--idle-timeout DUR] [--refuse drop|reset]\n"
	  "      [--health tcp|none] [--health-port N]",
	  "add a service (a VIP, port and protocol)",
	  NULL,
	  "added",
	  NULL },
	{ "del",
	  "service.del",
	  { "name" },
	  { 0 },
	  "NAME",
	  "delete a service and its backends",
	  NULL,
	  "deleted",
	  NULL },
	{ "show",
	  "service.show",
	  { "name" },
	  { 0 },
	  "NAME",
	  "show a service, its counters and backends",
	  print_service_show,
	  NULL,
	  NULL },
	{ "list",
	  "service.list",
	  { 0 },
	  { 0 },
	  "",
	  "list the services",
	  print_service_list,
	  NULL,
	  NULL },
	{ 0 },
};
