// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "cli/cli.h"

static const struct column rule_columns[] = {
	{ "SERVICE", "service" },   { "CLASS", "name" },      { "MATCH", "match" },
	{ "MIN", "min" },	    { "MAX", "max" },	      { "PRIO", "priority" },
	{ "RUNNING", "running" },   { "PAUSED", "paused" },   { "ALLOCATION", "allocation" },
	{ "ADMITTED", "admitted" }, { "REFUSED", "refused" }, { 0 },
};

static void print_class_list(const struct cli *cli, json_object *data)
{
	(void)cli;
	out_table(data, rule_columns);
}

const struct cmd class_cmds[] = {
	{ "add",
	  "class.add",
	  { "service", "name" },
	  { "match", "min", "max", "priority" },
	  "SERVICE NAME --match CIDR|port:N[-M]|dscp:N --min RATE --max RATE [--priority P]",
	  "a class rule: new streams it matches (first rule first) get min, max and priority",
	  NULL,
	  "added",
	  NULL },
	{ "del",
	  "class.del",
	  { "service", "name" },
	  { 0 },
	  "SERVICE NAME",
	  "delete a class rule (its running streams keep their allocation)",
	  NULL,
	  "deleted",
	  NULL },
	{ "list",
	  "class.list",
	  { "?service" },
	  { 0 },
	  "[SERVICE]",
	  "class rules with their counts and allocation",
	  print_class_list,
	  NULL,
	  NULL },
	{ 0 },
};
