// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CONFIG_MAX (4 << 20) /* leaves room for JSON escapes */

static void print_dump(const struct cli *cli, json_object *data)
{
	json_object *yaml;

	(void)cli;
	if (json_object_object_get_ex(data, "yaml", &yaml))
		fputs(json_object_get_string(yaml), stdout);
}

/* The controller may not share our filesystem view, so send the text. */
static int read_config_file(json_object *args)
{
	json_object *file;
	const char *path;
	char *buf;
	size_t len;
	FILE *f;

	if (!json_object_object_get_ex(args, "file", &file))
		return -EINVAL;
	path = json_object_get_string(file);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "weir: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	buf = malloc(CONFIG_MAX + 1);
	len = buf ? fread(buf, 1, CONFIG_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || len > CONFIG_MAX) {
		fprintf(stderr, "weir: %s: larger than %d bytes\n", path, CONFIG_MAX);
		free(buf);
		return -EFBIG;
	}
	/* By length: the controller's parser reports a NUL byte by its line
	 * rather than the text ending there unnoticed. */
	json_object_object_add(args, "yaml", json_object_new_string_len(buf, len));
	free(buf);
	return 0;
}

const struct cmd config_cmds[] = {
	{ "dump",
	  "config.dump",
	  { 0 },
	  { 0 },
	  "",
	  "print the running desired state as a config file",
	  print_dump,
	  NULL,
	  NULL },
	{ "load",
	  "config.load",
	  { "file" },
	  { 0 },
	  "FILE",
	  "replace the services with those of FILE, all or nothing",
	  NULL,
	  "loaded",
	  read_config_file },
	{ 0 },
};
