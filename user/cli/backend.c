// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

const struct column backend_columns[] = {
	{ "SERVICE", "service" },	  { "ADDR", "addr" },	    { "MAC", "mac" },
	{ "WEIGHT", "weight" },		  { "MAX", "max_streams" }, { "STATUS", "status" },
	{ "STREAMS", "streams" },	  { "NEW", "new_streams" }, { "ENDED", "ended_streams" },
	{ "PACKETS", "packets" },	  { "BYTES", "bytes" },	    { "BREAKER", "breaker" },
	{ "DELAY_MS", "probe_delay_ms" }, { "LIMIT", "limit" },	    { 0 },
};

static void print_backend_list(const struct cli *cli, json_object *data)
{
	(void)cli;
	out_table(data, backend_columns);
}

static void print_drain(const struct cli *cli, json_object *data)
{
	json_object *v;

	(void)cli;
	if (json_object_object_get_ex(data, "drained", &v) && json_object_get_boolean(v))
		printf("drained: no stream left\n");
	else if (json_object_object_get_ex(data, "streams", &v))
		printf("draining: %s streams still running\n", json_object_get_string(v));
}

const struct cmd backend_cmds[] = {
	{ "add",
	  "backend.add",
	  { "service", "addr" },
	  { "mac", "weight", "max-streams", "standby!" },
	  "SERVICE ADDR [--mac MAC] [--weight W] [--max-streams N] [--standby]",
	  "add a backend; its MAC comes from the neighbour table unless given",
	  NULL,
	  "added",
	  NULL },
	{ "del",
	  "backend.del",
	  { "service", "addr" },
	  { 0 },
	  "SERVICE ADDR",
	  "delete a backend",
	  NULL,
	  "deleted",
	  NULL },
	{ "pause",
	  "backend.pause",
	  { "service", "addr" },
	  { 0 },
	  "SERVICE ADDR",
	  "no new streams to the backend; its running streams continue (drain)",
	  NULL,
	  "paused",
	  NULL },
	{ "resume",
	  "backend.resume",
	  { "service", "addr" },
	  { 0 },
	  "SERVICE ADDR",
	  "undo pause",
	  NULL,
	  "resumed",
	  NULL },
	{ "drain",
	  "backend.drain",
	  { "service", "addr" },
	  { "wait" },
	  "SERVICE ADDR [--wait DUR]",
	  "pause the backend (no new streams; running ones continue) and, with --wait, wait "
	  "until none of its streams is left (exit 1 if some remain after DUR)",
	  print_drain,
	  NULL,
	  NULL },
	{ "report",
	  "backend.report",
	  { "service", "addr", "metrics..." },
	  { 0 },
	  "SERVICE ADDR NAME=VALUE...",
	  "a backend's own figures: queue=N dequeue_rate=R give the delay PIE regulates with "
	  "--delay-source report; other names are kept for expressions",
	  NULL,
	  "reported",
	  NULL },
	{ "list",
	  "backend.list",
	  { "?service" },
	  { 0 },
	  "[SERVICE]",
	  "list backends with status and counters",
	  print_backend_list,
	  NULL,
	  NULL },
	{ 0 },
};
