// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `weir decap attach|detach IFACE`: on a backend, without a controller. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "ctl/decap.h"
#include "ctl/log.h"

static const char *arg_of(json_object *args, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : NULL;
}

static int decap_result(const struct cli *cli, const char *what, const char *iface, int err)
{
	if (err) {
		fprintf(stderr, "weir: decap %s %s: %s\n", what, iface,
			err == -ENOENT ? "not attached there" : strerror(-err));
		return err;
	}
	if (cli->json)
		printf("{\"interface\":\"%s\",\"decap\":\"%s\"}\n", iface,
		       !strcmp(what, "attach") ? "attached" : "detached");
	else
		printf("decap %s: %s\n", iface, !strcmp(what, "attach") ? "attached" : "detached");
	return 0;
}

static int decap_attach_cmd(const struct cli *cli, json_object *args)
{
	const char *iface = arg_of(args, "iface"), *mode = arg_of(args, "xdp-mode");
	uint8_t m = WEIR_XDP_NATIVE;

	if (mode && config_parse_xdp_mode(mode, &m)) {
		fprintf(stderr, "weir: --xdp-mode: '%s' is not native or generic\n", mode);
		return -EINVAL;
	}
	log_route_libraries();
	return decap_result(cli, "attach", iface, decap_attach(iface, m));
}

static int decap_detach_cmd(const struct cli *cli, json_object *args)
{
	const char *iface = arg_of(args, "iface");

	log_route_libraries();
	return decap_result(cli, "detach", iface, decap_detach(iface));
}

const struct cmd decap_cmds[] = {
	{ "attach",
	  "decap.attach",
	  { "iface" },
	  { "xdp-mode" },
	  "IFACE [--xdp-mode native|generic]",
	  "on a backend of an ipip service: strip weir's outer IPv4/IPv6 header in XDP "
	  "before the stack (for kernels without the ipip modules)",
	  NULL,
	  NULL,
	  NULL },
	{ "detach",
	  "decap.detach",
	  { "iface" },
	  { 0 },
	  "IFACE",
	  "remove weir's decapsulation from the interface",
	  NULL,
	  NULL,
	  NULL },
	{ 0 },
};

int decap_local(const struct cli *cli, const struct cmd *c, json_object *args)
{
	return !strcmp(c->verb, "attach") ? decap_attach_cmd(cli, args)
					  : decap_detach_cmd(cli, args);
}
