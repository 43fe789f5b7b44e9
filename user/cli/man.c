// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir --man-commands`: the COMMANDS part of weir(8) in troff, from the
 * same tables (and `weir run`'s usage) that `weir --help` prints, so the
 * manual lists what the binary accepts. dist/weir.8.in holds the rest of
 * the page; the Makefile puts the two together.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ctl/run.h"

/* A character of text: '-' as \- so that options copy as typed. */
static void troff_char(FILE *f, char ch)
{
	if (ch == '-')
		fputs("\\-", f);
	else if (ch == '\\')
		fputs("\\e", f);
	else
		fputc(ch, f);
}

/* Running text; a line that would start with a request is escaped. */
static void troff_text(FILE *f, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		troff_char(f, *s);
		line_start = *s == '\n';
	}
}

static size_t flag_length(const char *s)
{
	return strspn(s, "-abcdefghijklmnopqrstuvwxyz0123456789");
}

/* A usage: --flags bold, METAVARIABLES italic, whitespace collapsed; no
 * line break inside [brackets] or between a flag and its value. */
static void troff_usage(FILE *f, const char *usage)
{
	const char *s;
	bool glue = false;
	int depth = 0;
	size_t n;

	s = usage + strspn(usage, " \t\n");
	fputs("\\&", f);
	while (*s) {
		bool word_start =
			s == usage || isspace((unsigned char)s[-1]) || s[-1] == '[' || s[-1] == '|';

		if (isspace((unsigned char)*s)) {
			s += strspn(s, " \t\n");
			fputs(*s && (depth > 0 || glue) ? "\\ " : *s ? " " : "", f);
			glue = false;
			continue;
		}
		if (*s == '-' && word_start && (s[1] == '-' || isalpha((unsigned char)s[1]))) {
			n = flag_length(s);
			fputs("\\fB", f);
			while (n--)
				troff_char(f, *s++);
			fputs("\\fR", f);
			glue = true;
			continue;
		}
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (n && (s == usage || !isalnum((unsigned char)s[-1])) &&
		    !isalnum((unsigned char)s[n])) {
			fprintf(f, "\\fI%.*s\\fR", (int)n, s);
			s += n;
			continue;
		}
		depth += (*s == '[') - (*s == ']');
		troff_char(f, *s++);
	}
	fputc('\n', f);
}

static void man_cmd(FILE *f, const char *object, const struct cmd *c)
{
	fprintf(f, ".TP\n.B weir %s%s%s\n", object, c->verb[0] ? " " : "", c->verb);
	if (c->usage[0]) {
		troff_usage(f, c->usage);
		fputs(".br\n", f);
	}
	troff_text(f, c->summary);
	fputc('\n', f);
}

/* `weir run`: its usage lines, then the text that explains them. */
static void man_run(FILE *f)
{
	const char *usage = run_usage + strlen("usage: weir run"), *text = strstr(usage, "\n\n");
	char line[512];

	snprintf(line, sizeof(line), "%.*s", (int)(text - usage), usage);
	fputs(".SS run\nThe controller.\n.TP\n.B weir run\n", f);
	troff_usage(f, line);
	fputs(".br\n", f);
	troff_text(f, text + 2);
}

int cli_man_commands(FILE *f)
{
	const struct object *o;
	const struct cmd *c;

	man_run(f);
	for (o = cli_objects; o->name; o++) {
		/* "services: a VIP, port and protocol" as a sentence */
		fprintf(f, ".SS %s\n%c", o->name, toupper((unsigned char)o->summary[0]));
		troff_text(f, o->summary + 1);
		fputs(".\n", f);
		for (c = o->cmds; c->verb; c++)
			man_cmd(f, o->name, c);
	}
	return fflush(f) ? 1 : 0;
}
