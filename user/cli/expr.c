// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

static void print_value(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && v)
		printf("%.6g", json_object_get_double(v));
}

static void print_expr_check(const struct cli *cli, json_object *data)
{
	json_object *backends, *v;
	size_t i;

	(void)cli;
	printf("ok: %s\n", json_object_get_string(json_object_object_get(data, "expr")));
	printf("names: %s\n", json_object_to_json_string_ext(json_object_object_get(data, "names"),
							     JSON_C_TO_STRING_PLAIN));
	if (json_object_object_get_ex(data, "backends", &backends)) {
		for (i = 0; i < json_object_array_length(backends); i++) {
			json_object *b = json_object_array_get_idx(backends, i);

			printf("  %-20s ",
			       json_object_get_string(json_object_object_get(b, "addr")));
			if (json_object_object_get_ex(b, "error", &v))
				printf("error: %s", json_object_get_string(v));
			else
				print_value(b, "value");
			printf("\n");
		}
	}
	if (json_object_object_get_ex(data, "pool", &v)) {
		printf("pool: ");
		print_value(data, "pool");
		printf("\n");
	} else if (json_object_object_get_ex(data, "pool_error", &v)) {
		printf("pool: %s\n", json_object_get_string(v));
	}
}

const struct cmd expr_cmds[] = {
	{ "check",
	  "expr.check",
	  { "expr" },
	  { "service" },
	  "EXPR [--service NAME]",
	  "check a capacity expression (syntax, names) and, with --service, evaluate it per "
	  "usable backend and for the pool against live metrics",
	  print_expr_check,
	  NULL,
	  NULL },
	{ 0 },
};
