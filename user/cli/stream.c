// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

static const struct column stream_columns[] = {
	{ "SERVICE", "service" },
	{ "CLIENT", "client" },
	{ "PROTO", "proto" },
	{ "BACKEND", "backend" },
	{ "CLASS", "class" },
	{ "STATE", "state" },
	{ "ALLOC", "allocation" },
	{ "RATE", "rate_bps" },
	{ "BYTES", "bytes" },
	{ "POLICED", "policed" },
	{ "AGE_MS", "age_ms" },
	{ "IDLE_MS", "idle_ms" },
	{ 0 },
};

static void print_stream_list(const struct cli *cli, json_object *data)
{
	json_object *rows, *v;

	(void)cli;
	if (json_object_object_get_ex(data, "streams", &rows))
		out_table(rows, stream_columns);
	if (json_object_object_get_ex(data, "matched", &v))
		printf("%zu shown of %" PRIu64 " matching\n",
		       rows ? json_object_array_length(rows) : 0, json_object_get_uint64(v));
}

static void print_request(const struct cli *cli, json_object *data)
{
	json_object *granted, *reason;

	(void)cli;
	json_object_object_get_ex(data, "granted_bps", &granted);
	json_object_object_get_ex(data, "reason", &reason);
	if (granted && json_object_get_uint64(granted))
		printf("granted %" PRIu64 " bit/s\n", json_object_get_uint64(granted));
	else
		printf("refused: %s\n", reason ? json_object_get_string(reason) : "?");
}

static void print_release(const struct cli *cli, json_object *data)
{
	json_object *what;

	(void)cli;
	if (json_object_object_get_ex(data, "released", &what))
		printf("released the %s\n", json_object_get_string(what));
}

const struct cmd stream_cmds[] = {
	{ "list",
	  "stream.list",
	  { "?service" },
	  { "state", "sort", "limit" },
	  "[SERVICE] [--state S] [--sort rate|bytes|age] [--limit N]",
	  "streams with backend, class, state, allocation, measured rate, bytes and age "
	  "(default: the 100 fastest)",
	  print_stream_list,
	  NULL,
	  NULL },
	{ "request",
	  "stream.request",
	  { "service", "id" },
	  { "client", "min", "max", "priority", "ttl" },
	  "SERVICE ID --client ADDR[:PORT] --min RATE --max RATE [--priority P] [--ttl DUR]",
	  "reserve a stream for a client's next new stream; answers the granted rate, or 0 "
	  "and why (the grant expires unused after --ttl, default 30s)",
	  print_request,
	  NULL,
	  NULL },
	{ "release",
	  "stream.release",
	  { "service", "id" },
	  { 0 },
	  "SERVICE ID",
	  "give a request's place back (ends its stream if it started)",
	  print_release,
	  NULL,
	  NULL },
	{ 0 },
};
