// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Words to request, reply to output. Global options (--json, --socket,
 * --help) are taken wherever they stand; the rest is OBJECT [VERB] then the
 * command's positional words and --flags, as its table entry declares.
 * Usage errors exit 2, failures 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/ctl.h"

#define WORDS_MAX 64

const struct object cli_objects[] = {
	{ "service", service_cmds, "services: a VIP, port and protocol", NULL },
	{ "backend", backend_cmds, "backends of a service", NULL },
	{ "class", class_cmds, "class rules: min, max and priority of the streams they match",
	  NULL },
	{ "stream", stream_cmds, "streams, and explicit requests for one", NULL },
	{ "stats", stats_cmds, "counters", NULL },
	{ "top", top_cmds, "a full-screen view of rates, refreshed", top_local },
	{ "expr", expr_cmds, "capacity expressions", NULL },
	{ "decap", decap_cmds, "IP-in-IP decapsulation on a backend", decap_local },
	{ "check", check_cmds, "find what keeps a setup from forwarding", check_local },
	{ "status", status_cmds, "the controller", NULL },
	{ "config", config_cmds, "the desired state as a file", NULL },
	{ "shutdown", shutdown_cmds, "remove weir from the host", NULL },
	{ 0 },
};

struct words {
	const char *w[WORDS_MAX];
	int n;
	bool help, version;
};

static void usage_cmd(FILE *f, const char *object, const struct cmd *c)
{
	fprintf(f, "  weir %s%s%s %s\n", object, c->verb[0] ? " " : "", c->verb, c->usage);
	fprintf(f, "      %s\n", c->summary);
}

static void usage_all(FILE *f)
{
	const struct object *o;
	const struct cmd *c;

	fprintf(f, "usage: weir [--json] [--socket PATH] OBJECT [VERB] [ARGS]\n"
		   "       weir run --help\n"
		   "       weir --version\n\n"
		   "weir is an XDP layer-4 load balancer for stream traffic.\n\n");
	for (o = cli_objects; o->name; o++)
		for (c = o->cmds; c->verb; c++)
			usage_cmd(f, o->name, c);
	fprintf(f, "\nRATE: bit/s with suffixes (8mbit, 1gbit); DUR: ms, s, m (100ms, 30s).\n"
		   "Every command takes --json; --socket PATH (default " WEIR_SOCKET_DEFAULT ")\n");
}

static int split_globals(int argc, char **argv, struct cli *cli, struct words *w)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			cli->json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			w->help = true;
		} else if (!strcmp(argv[i], "--version")) {
			w->version = true;
		} else if (!strcmp(argv[i], "--socket")) {
			if (++i == argc) {
				fprintf(stderr, "weir: --socket needs a PATH\n");
				return -1;
			}
			cli->socket_path = argv[i];
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			cli->socket_path = argv[i] + 9;
		} else if (w->n < WORDS_MAX) {
			w->w[w->n++] = argv[i];
		} else {
			fprintf(stderr, "weir: more than %d arguments\n", WORDS_MAX);
			return -1;
		}
	}
	return 0;
}

/* A flag's spec: "name" takes a value, "name!" none, "name?" an optional
 * "=value" (a switch: --preempt, --preempt=false). */
const char *cli_flag_spec(const struct cmd *c, const char *name, char *kind)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sizeof(c->flags) / sizeof(c->flags[0]) && c->flags[i]; i++) {
		if (strncmp(c->flags[i], name, len))
			continue;
		if (c->flags[i][len] == '\0' ||
		    ((c->flags[i][len] == '!' || c->flags[i][len] == '?') &&
		     !c->flags[i][len + 1])) {
			*kind = c->flags[i][len];
			return c->flags[i];
		}
	}
	return NULL;
}

static int add_flag(const struct cmd *c, const struct words *w, int *i, json_object *args)
{
	const char *arg = w->w[*i] + 2, *eq = strchr(arg, '='), *value;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	char name[64], kind;

	if (len >= sizeof(name)) {
		fprintf(stderr, "weir: unknown option --%.20s...\n", arg);
		return -1;
	}
	memcpy(name, arg, len);
	name[len] = '\0';
	if (!cli_flag_spec(c, name, &kind)) {
		fprintf(stderr, "weir: unknown option --%s\n", name);
		return -1;
	}
	if (kind == '!' && eq) {
		fprintf(stderr, "weir: --%s takes no value\n", name);
		return -1;
	}
	if (kind == '!' || (kind == '?' && !eq)) {
		json_object_object_add(args, name, json_object_new_string("true"));
		return 0;
	}
	value = eq ? eq + 1 : (*i + 1 < w->n ? w->w[++*i] : NULL);
	if (!value) {
		fprintf(stderr, "weir: --%s needs a value\n", name);
		return -1;
	}
	json_object_object_add(args, name, json_object_new_string(value));
	return 0;
}

/* NAME=VALUE words of a "name..." positional, each its own argument. */
static int add_pair(const char *word, json_object *args)
{
	const char *eq = strchr(word, '=');
	char name[64];

	if (!eq || eq == word || (size_t)(eq - word) >= sizeof(name)) {
		fprintf(stderr, "weir: '%s' is not NAME=VALUE\n", word);
		return -1;
	}
	memcpy(name, word, eq - word);
	name[eq - word] = '\0';
	if (json_object_object_get_ex(args, name, NULL)) {
		fprintf(stderr, "weir: %s given twice (or is the name of an argument)\n", name);
		return -1;
	}
	json_object_object_add(args, name, json_object_new_string(eq + 1));
	return 0;
}

static bool is_pairs(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 3 && !strcmp(name + n - 3, "...");
}

static int add_positional(const struct cmd *c, const char *word, int *pos, json_object *args)
{
	const char *name = *pos < 3 ? c->positional[*pos] : NULL;

	if (is_pairs(name))
		return add_pair(word, args);
	if (!name) {
		fprintf(stderr, "weir: unexpected argument '%s'\n", word);
		return -1;
	}
	json_object_object_add(args, name[0] == '?' ? name + 1 : name,
			       json_object_new_string(word));
	(*pos)++;
	return 0;
}

static int build_args(const struct cmd *c, const struct words *w, int first, json_object *args)
{
	int i, pos = 0;

	for (i = first; i < w->n; i++) {
		int ret = !strncmp(w->w[i], "--", 2) ? add_flag(c, w, &i, args)
						     : add_positional(c, w->w[i], &pos, args);

		if (ret)
			return ret;
	}
	if (pos < 3 && c->positional[pos] && c->positional[pos][0] != '?') {
		if (!is_pairs(c->positional[pos]) || json_object_object_length(args) <= pos) {
			fprintf(stderr, "weir: missing %s\n", c->positional[pos]);
			return -1;
		}
	}
	return 0;
}

static void print_done(const char *object, const struct cmd *c, json_object *args)
{
	json_object *v;
	int i;

	printf("%s", object);
	for (i = 0; i < 3 && c->positional[i] && !is_pairs(c->positional[i]); i++) {
		const char *name =
			c->positional[i][0] == '?' ? c->positional[i] + 1 : c->positional[i];

		if (json_object_object_get_ex(args, name, &v))
			printf(" %s", json_object_get_string(v));
	}
	printf(": %s\n", c->done);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int execute(const struct cli *cli, const char *object, const struct cmd *c,
		   json_object *args)
{
	bool watch = json_object_object_get_ex(args, "watch", NULL);
	json_object *data = NULL;
	int ret;

	json_object_object_del(args, "watch");
	signal(SIGINT, on_interrupt);
	do {
		ret = client_call(cli, c->api, args, &data);
		if (ret)
			return ret;
		if (watch && !cli->json)
			printf("\033[H\033[2J");
		if (cli->json)
			out_json(data ? data : json_object_new_object());
		else if (c->print)
			c->print(cli, data);
		else if (c->done)
			print_done(object, c, args);
		json_object_put(data);
		fflush(stdout);
	} while (watch && !interrupted && sleep(1) == 0 && !interrupted);
	return 0;
}

const struct object *cli_find_object(const char *name)
{
	const struct object *o;

	for (o = cli_objects; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static void usage_object(FILE *f, const struct object *o)
{
	const struct cmd *c;

	fprintf(f, "usage:\n");
	for (c = o->cmds; c->verb; c++)
		usage_cmd(f, o->name, c);
}

/* The command a word list names; *first is the index of its arguments. */
static const struct cmd *find_cmd(const struct object *o, const struct words *w, int *first)
{
	const struct cmd *c;

	if (!o->cmds[0].verb[0]) {
		*first = 1;
		return &o->cmds[0];
	}
	*first = 2;
	if (w->n < 2)
		return NULL;
	for (c = o->cmds; c->verb; c++)
		if (!strcmp(c->verb, w->w[1]))
			return c;
	return NULL;
}

static void print_version(const struct cli *cli)
{
	json_object *v;

	if (!cli->json) {
		printf("weir %s (revision %s)\n", WEIR_VERSION, weir_revision);
		return;
	}
	v = json_object_new_object();
	json_object_object_add(v, "version", json_object_new_string(WEIR_VERSION));
	json_object_object_add(v, "revision", json_object_new_string(weir_revision));
	out_json(v);
	json_object_put(v);
}

int cli_main(int argc, char **argv)
{
	struct cli cli = { .socket_path = WEIR_SOCKET_DEFAULT };
	struct words w = {};
	const struct object *o;
	const struct cmd *c;
	json_object *args;
	int first, ret;

	/* build-time helpers, not commands: bash completion, the manual */
	if (argc > 1 && !strcmp(argv[1], "--complete"))
		return cli_complete(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "--man-commands"))
		return cli_man_commands(stdout);
	if (split_globals(argc, argv, &cli, &w))
		return 2;
	if (w.version) {
		print_version(&cli);
		return 0;
	}
	if (!w.n) {
		usage_all(w.help ? stdout : stderr);
		return w.help ? 0 : 2;
	}
	o = cli_find_object(w.w[0]);
	if (!o) {
		fprintf(stderr, "weir: unknown command '%s'\n", w.w[0]);
		usage_all(stderr);
		return 2;
	}
	c = find_cmd(o, &w, &first);
	if (!c) {
		if (w.n >= 2 && !w.help)
			fprintf(stderr, "weir %s: unknown verb '%s'\n", o->name, w.w[1]);
		usage_object(w.help ? stdout : stderr, o);
		return w.help ? 0 : 2;
	}
	if (w.help) {
		printf("usage:\n");
		usage_cmd(stdout, o->name, c);
		return 0;
	}
	args = json_object_new_object();
	ret = build_args(c, &w, first, args) ? -1 : 0;
	if (ret)
		usage_cmd(stderr, o->name, c);
	else if (c->prepare && c->prepare(args))
		ret = 1;
	else if (o->local)
		ret = o->local(&cli, c, args) ? 1 : 0;
	else
		ret = execute(&cli, o->name, c, args);
	json_object_put(args);
	return ret < 0 ? 2 : ret;
}
