/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The CLI: a thin client of the controller's socket. Commands are
 * declared in tables; one executor turns words into a JSON request and the
 * reply into text or JSON. */
#ifndef WEIR_CLI_H
#define WEIR_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

struct cli {
	bool json;
	const char *socket_path;
};

struct column {
	const char *title;
	const char *key;
};

struct cmd {
	const char *verb;
	const char *api; /* the controller's command */
	const char *positional[3]; /* names of required positional words; "?x": optional */
	const char *flags[64]; /* accepted --flags; "x!" takes no value, "x?" an optional =value */
	const char *usage;
	const char *summary;
	/* Text output of the reply's data; NULL prints `done` or nothing. */
	void (*print)(const struct cli *cli, json_object *data);
	const char *done; /* "added": printed as "<object> <words>: added" */
	/* Extra work on the request before it is sent (config load reads the
	 * file); returns 0 or a negative errno with a message printed. */
	int (*prepare)(json_object *args);
};

struct object {
	const char *name;
	const struct cmd *cmds;
	const char *summary;
	/* Its commands run here instead of in the controller (weir decap, on
	 * a backend that runs none): 0 or a negative errno, message printed. */
	int (*local)(const struct cli *cli, const struct cmd *c, json_object *args);
};

int decap_local(const struct cli *cli, const struct cmd *c, json_object *args);
int check_local(const struct cli *cli, const struct cmd *c, json_object *args);
/* weir top: a full-screen view that asks the controller every interval. */
int top_local(const struct cli *cli, const struct cmd *c, json_object *args);

extern const struct cmd service_cmds[], backend_cmds[], class_cmds[], stream_cmds[], stats_cmds[],
	config_cmds[], status_cmds[], shutdown_cmds[], expr_cmds[], decap_cmds[], check_cmds[],
	top_cmds[];

/* client.c: one request, one reply. Returns 0 and the reply's data (may be
 * NULL), or prints the error and returns non-zero. */
int client_call(const struct cli *cli, const char *api, json_object *args, json_object **data);

/* out.c: both outputs come from the same reply data. */
extern const struct column backend_columns[];

void out_json(json_object *data);
/* A service's overload line (PIE, delay, burst), from its JSON. */
void print_overload(json_object *service);
void out_table(json_object *rows, const struct column *cols);
void out_fields(json_object *obj, const struct column *cols);
const char *out_value(json_object *obj, const char *key, char *buf, size_t len);

int cli_main(int argc, char **argv);

/* The tables themselves, for completion and the manual. */
extern const struct object cli_objects[];
const struct object *cli_find_object(const char *name);
/* The spec of --NAME in a command's flags ("name", "name!" or "name?"),
 * its kind ('\0', '!' or '?') in *kind; NULL if it takes no such flag. */
const char *cli_flag_spec(const struct cmd *c, const char *name, char *kind);

/* complete.c: `weir --complete WORD... CURRENT` prints what may stand at
 * CURRENT, one a line. Returns the exit code. */
int cli_complete(int argc, char **argv);
/* man.c: the manual's command sections (troff), from the tables. */
int cli_man_commands(FILE *f);

#endif
