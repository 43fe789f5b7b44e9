// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir --complete WORD... CURRENT`: the words that may stand at CURRENT,
 * one a line, taken from the tables the CLI runs on, so that completion
 * never drifts from the commands. The WORDs are the command line after
 * "weir" as bash splits it: "=" is a word of its own. A line starting with
 * '@' asks the shell for a completion of its own: @file, @group.
 * Values of a flag come from its usage: "--proto tcp|udp" offers tcp and
 * udp; a SERVICE asks the controller for its services, if it answers.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/ctl.h"
#include "ctl/run.h"

#define TOKENS_MAX 64

/* A word of the command line; "--x" "=" "v" is one token with a value. */
struct token {
	const char *text;
	const char *value;
	bool eq; /* "=" followed it: value is its value, NULL if CURRENT is */
};

struct completion {
	const char *current;
	const char *socket_path;
	struct token t[TOKENS_MAX];
	int n;
};

static void offer(const struct completion *k, const char *word)
{
	if (!strncmp(word, k->current, strlen(k->current)))
		puts(word);
}

static void offer_flag(const struct completion *k, const char *spec)
{
	char buf[80];
	size_t len = strcspn(spec, "!?");

	snprintf(buf, sizeof(buf), "--%.*s", (int)len, spec);
	offer(k, buf);
}

static void offer_services(const struct completion *k)
{
	struct cli cli = { .socket_path = k->socket_path };
	json_object *data = NULL, *name;
	size_t i;

	fflush(stdout);
	alarm(2); /* a controller that does not answer ends us, not the shell */
	if (client_call(&cli, "service.list", NULL, &data) || !data)
		return;
	for (i = 0; i < json_object_array_length(data); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(data, i), "name", &name))
			offer(k, json_object_get_string(name));
	json_object_put(data);
}

static void offer_interfaces(const struct completion *k)
{
	struct if_nameindex *all = if_nameindex(), *i;

	for (i = all; i && i->if_index; i++)
		offer(k, i->if_name);
	if (all)
		if_freenameindex(all);
}

/* A metavariable of a usage (SERVICE, IFACE, FILE) or the name of a
 * positional word (service, iface, file). */
static void offer_kind(const struct completion *k, const char *kind)
{
	if (!strcasecmp(kind, "service"))
		offer_services(k);
	else if (!strcasecmp(kind, "iface"))
		offer_interfaces(k);
	else if (!strcasecmp(kind, "file") || !strcmp(kind, "PATH") || !strcmp(kind, "DIR"))
		puts("@file");
	else if (!strcmp(kind, "GROUP"))
		puts("@group");
}

/* The word after `flag ` in a usage: "tcp|udp", "RATE", "EXPR|auto". */
static bool usage_value(const char *usage, const char *flag, char *out, size_t len)
{
	size_t flen = strlen(flag), n;
	const char *p;

	for (p = strstr(usage, flag); p; p = strstr(p + 1, flag)) {
		if ((p == usage || p[-1] == ' ' || p[-1] == '[') && p[flen] == ' ')
			break;
	}
	if (!p)
		return false;
	p += flen + 1;
	n = strcspn(p, " ]\n");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
	return true;
}

/* The alternatives of a flag's value: lower-case words as they are
 * ("round-robin"), metavariables by kind; "0-7" or "http:PATH" are left
 * for the user to type. */
static void offer_value(const struct completion *k, const char *usage, const char *flag,
			const char *flag_name)
{
	char value[128], *alt, *save = NULL;

	if (!strcmp(flag_name, "service")) {
		offer_services(k);
		return;
	}
	if (!usage_value(usage, flag, value, sizeof(value)))
		return;
	for (alt = strtok_r(value, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		if (alt[0] >= 'a' && alt[0] <= 'z' &&
		    !alt[strspn(alt, "abcdefghijklmnopqrstuvwxyz-")])
			offer(k, alt);
		else if (!alt[strspn(alt, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
			offer_kind(k, alt);
	}
}

static void offer_globals(const struct completion *k, bool top)
{
	offer(k, "--json");
	offer(k, "--socket");
	offer(k, "--help");
	if (top)
		offer(k, "--version");
}

/* Token *i is an option that takes a value: true if CURRENT is that value
 * ("--x" last, or "--x="); else *i moves past a value in the next word. */
static bool value_is_current(const struct completion *k, int *i)
{
	if (k->t[*i].eq)
		return !k->t[*i].value;
	if (*i == k->n - 1)
		return true;
	(*i)++;
	return false;
}

static int complete_run(const struct completion *k, int first)
{
	const struct option *o, *pending = NULL;
	char flag[40];
	int i;

	for (i = first; i < k->n; i++) {
		const char *w = k->t[i].text;

		for (o = run_options; o->name; o++)
			if ((w[0] == '-' && w[1] == '-' && !strcmp(w + 2, o->name)) ||
			    (w[0] == '-' && w[1] == o->val && !w[2]))
				break;
		if (o->name && o->has_arg != no_argument && value_is_current(k, &i))
			pending = o;
	}
	if (pending) {
		snprintf(flag, sizeof(flag), "--%s", pending->name);
		if (!strstr(run_usage, flag))
			snprintf(flag, sizeof(flag), "-%c", pending->val);
		offer_value(k, run_usage, flag, pending->name);
	} else if (k->current[0] == '-') {
		for (o = run_options; o->name; o++)
			offer_flag(k, o->name);
	}
	return 0;
}

/* CURRENT within a command: a flag, a flag's value or a positional word. */
static int complete_cmd(const struct completion *k, const struct object *o, const struct cmd *c,
			int first)
{
	const char *name, *pending = NULL;
	char kind;
	int i, pos = 0;
	size_t f;

	for (i = first; i < k->n; i++) {
		const char *w = k->t[i].text;

		if (strncmp(w, "--", 2)) {
			pos++;
			continue;
		}
		if (cli_flag_spec(c, w + 2, &kind) && !kind && value_is_current(k, &i))
			pending = w;
	}
	if (pending) {
		offer_value(k, c->usage, pending, pending + 2);
		return 0;
	}
	if (k->current[0] == '-') {
		for (f = 0; f < sizeof(c->flags) / sizeof(c->flags[0]) && c->flags[f]; f++)
			offer_flag(k, c->flags[f]);
		offer_globals(k, false);
		return 0;
	}
	name = pos < 3 ? c->positional[pos] : NULL;
	if (!name)
		return 0;
	name += name[0] == '?';
	/* `service add NAME` names a new one; other service verbs an old one */
	if (!strcmp(o->name, "service") && !strcmp(name, "name") && strcmp(c->verb, "add"))
		name = "service";
	offer_kind(k, name);
	return 0;
}

static int complete_words(const struct completion *k, int first)
{
	const struct object *o;
	const struct cmd *c;

	if (first == k->n) {
		if (k->current[0] == '-') {
			offer_globals(k, true);
			return 0;
		}
		offer(k, "run");
		for (o = cli_objects; o->name; o++)
			offer(k, o->name);
		return 0;
	}
	if (!strcmp(k->t[first].text, "run"))
		return complete_run(k, first + 1);
	o = cli_find_object(k->t[first].text);
	if (!o)
		return 0;
	if (!o->cmds[0].verb[0])
		return complete_cmd(k, o, &o->cmds[0], first + 1);
	if (first + 1 == k->n) {
		if (k->current[0] == '-')
			offer_globals(k, false);
		for (c = o->cmds; c->verb; c++)
			offer(k, c->verb);
		return 0;
	}
	for (c = o->cmds; c->verb; c++)
		if (!strcmp(c->verb, k->t[first + 1].text))
			return complete_cmd(k, o, c, first + 2);
	return 0;
}

/* Joins "=" to its neighbours and takes the global options out, except
 * a --socket whose value CURRENT is. */
static int tokenize(struct completion *k, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && k->n < TOKENS_MAX; i++) {
		struct token *t = &k->t[k->n];

		t->text = argv[i];
		t->eq = i + 1 < argc && !strcmp(argv[i + 1], "=");
		t->value = t->eq && i + 2 < argc ? argv[i + 2] : NULL;
		i += t->eq ? 1 + (t->value != NULL) : 0;
		if (!strcmp(t->text, "--json") || !strcmp(t->text, "--help") ||
		    !strcmp(t->text, "-h") || !strcmp(t->text, "--version"))
			continue;
		if (!strncmp(t->text, "--socket=", 9)) {
			k->socket_path = t->text + 9;
			continue;
		}
		if (strcmp(t->text, "--socket")) {
			k->n++;
			continue;
		}
		if (t->value || (!t->eq && i + 1 < argc)) {
			k->socket_path = t->value ? t->value : argv[++i];
			continue;
		}
		return 1; /* CURRENT is the socket's path */
	}
	return 0;
}

int cli_complete(int argc, char **argv)
{
	struct completion k = { .current = "", .socket_path = WEIR_SOCKET_DEFAULT };

	/* anything on stderr would land in the middle of the user's line */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	if (argc > 0)
		k.current = argv[--argc];
	if (tokenize(&k, argc, argv)) {
		puts("@file");
		return 0;
	}
	return complete_words(&k, 0);
}
