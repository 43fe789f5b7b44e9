// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir check [IFACE]`: the setup that silently does not forward, found
 * and explained. Host checks run anywhere; with a controller answering on
 * the socket, its interfaces and every backend of its services are
 * checked too, on the wire (user/ctl/check.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cli/cli.h"
#include "weir/abi.h"
#include "ctl/check.h"

#define PROBE_MS 500

struct report {
	const struct cli *cli;
	json_object *results;
	int failed;
};

static void say(struct report *r, const char *status, const char *what, const char *fix,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void say(struct report *r, const char *status, const char *what, const char *fix,
		const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	r->failed += !strcmp(status, "fail");
	json_object_object_add(o, "check", json_object_new_string(what));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (fix)
		json_object_object_add(o, "fix", json_object_new_string(fix));
	json_object_array_add(r->results, o);
	if (r->cli->json)
		return;
	printf("%-4s  %-28s %s\n", !strcmp(status, "fail") ? "FAIL" : status, what, detail);
	if (fix)
		printf("      %-28s fix: %s\n", "", fix);
}

static void check_host(struct report *r)
{
	struct statfs st;
	struct utsname u;
	int major = 0, minor = 0;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		say(r, "ok", "bpffs", NULL, "mounted on /sys/fs/bpf");
	else
		say(r, "fail", "bpffs",
		    "mount -t bpf bpf /sys/fs/bpf (weir run mounts it when it can)",
		    "not mounted on /sys/fs/bpf: maps cannot be pinned");
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		say(r, "ok", "BTF", NULL, "/sys/kernel/btf/vmlinux");
	else
		say(r, "fail", "BTF", "a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		    "no /sys/kernel/btf/vmlinux: the program's CO-RE relocations have nothing to "
		    "read");
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major > 5 || (major == 5 && minor >= 12)))
		say(r, "ok", "kernel", NULL, "%s", u.release);
	else
		say(r, "fail", "kernel", "Linux 5.12 or later",
		    "%s: weir needs BPF atomics with fetch (5.12)", u.release);
}

static void check_xdp(struct report *r, const char *name, const struct check_iface *ifc)
{
	char what[64];
	__u32 id = 0;
	int err = check_xdp_native(ifc->ifindex, &id);

	snprintf(what, sizeof(what), "interface %s", name);
	if (!err && id)
		say(r, "ok", what, NULL, "driver %s, MTU %d, XDP program %u attached", ifc->driver,
		    ifc->mtu, id);
	else if (!err)
		say(r, "ok", what, NULL, "driver %s, MTU %d, native XDP works", ifc->driver,
		    ifc->mtu);
	else if (err == -EOPNOTSUPP)
		say(r, "fail", what,
		    "weir run --xdp-mode generic (slower), or a NIC whose driver has XDP",
		    "driver %s has no native XDP", ifc->driver);
	else if (ifc->mtu > 1500)
		say(r, "fail", what,
		    "lower the MTU (ip link set dev IFACE mtu 1500), or a driver with XDP "
		    "multi-buffer",
		    "driver %s refuses native XDP at MTU %d (%s): XDP frames must fit a page",
		    ifc->driver, ifc->mtu, strerror(-err));
	else
		say(r, "fail", what, "weir run --xdp-mode generic", "native XDP refused: %s",
		    strerror(-err));
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* Who answers ARP for the VIP, among the service's backends. */
static void check_arp(struct report *r, const struct check_iface *ifc, json_object *svc,
		      json_object *backends)
{
	uint8_t macs[16][6], mac[6];
	struct in_addr vip;
	char what[96];
	size_t i;
	int n, k;

	if (inet_pton(AF_INET, str(svc, "vip"), &vip) != 1 || !ifc->addr4)
		return;
	n = check_arp_answers(ifc, vip.s_addr, macs, 16, PROBE_MS);
	for (i = 0; i < json_object_array_length(backends); i++) {
		json_object *b = json_object_array_get_idx(backends, i);

		if (strcmp(str(b, "service"), str(svc, "name")) ||
		    units_parse_mac(str(b, "mac"), mac))
			continue;
		for (k = 0; k < n; k++)
			if (!memcmp(macs[k], mac, 6)) {
				snprintf(what, sizeof(what), "backend %s %s", str(b, "service"),
					 str(b, "addr"));
				say(r, "fail", what,
				    "on the backend: sysctl -w net.ipv4.conf.all.arp_ignore=1 "
				    "net.ipv4.conf.all.arp_announce=2",
				    "answers ARP for the VIP %s: clients would send to it, not to "
				    "the "
				    "load balancer",
				    str(svc, "vip"));
			}
	}
}

static void check_backend(struct report *r, const struct check_iface *ifc, json_object *svc,
			  json_object *b)
{
	struct weir_addr addr, vip;
	char what[96], fix[160];
	uint16_t port = 0;
	uint8_t mac[6];
	int ret;

	snprintf(what, sizeof(what), "backend %s %s", str(b, "service"), str(b, "addr"));
	if (units_parse_addr(str(b, "addr"), &addr) || units_parse_addr(str(svc, "vip"), &vip) ||
	    units_parse_port(str(svc, "port"), &port))
		return;
	if (units_parse_mac(str(b, "mac"), mac)) {
		say(r, "fail", what, "is it on this link? (ip neigh show; or give --mac)",
		    "no MAC in the neighbour table of the interface");
		return;
	}
	if (!strcmp(str(svc, "proto"), "tcp")) {
		ret = check_connect(&addr, port, 1000);
		if (ret)
			say(r, "fail", what,
			    "start its server, or open the port to the load balancer",
			    "does not accept connections on port %u: %s", port, strerror(-ret));
	}
	if (strcmp(str(svc, "forwarding"), "dsr") || vip.family != WEIR_AF_INET ||
	    strcmp(str(svc, "proto"), "tcp"))
		return;
	ret = check_vip_accepted(ifc, mac, *(uint32_t *)vip.bytes, port, PROBE_MS);
	snprintf(fix, sizeof(fix), "on the backend: ip addr add %s/32 dev lo", str(svc, "vip"));
	if (ret == CHECK_VIP_ACCEPTED)
		say(r, "ok", what, NULL, "MAC %s, takes packets for the VIP %s", str(b, "mac"),
		    str(svc, "vip"));
	else if (ret == CHECK_VIP_RESET)
		say(r, "warn", what, NULL, "holds the VIP %s but nothing listens on port %u",
		    str(svc, "vip"), port);
	else
		say(r, "fail", what, fix,
		    "does not take packets for the VIP %s (no answer from the VIP): is the VIP on "
		    "its lo?",
		    str(svc, "vip"));
}

static void check_services(struct report *r, const struct check_iface *ifc)
{
	json_object *services = NULL, *backends = NULL;
	size_t i, j;

	if (client_call(r->cli, "service.list", NULL, &services) ||
	    client_call(r->cli, "backend.list", NULL, &backends))
		goto out;
	for (i = 0; i < json_object_array_length(services); i++) {
		json_object *svc = json_object_array_get_idx(services, i);

		for (j = 0; j < json_object_array_length(backends); j++) {
			json_object *b = json_object_array_get_idx(backends, j);

			if (!strcmp(str(b, "service"), str(svc, "name")))
				check_backend(r, ifc, svc, b);
		}
		if (!strcmp(str(svc, "forwarding"), "dsr"))
			check_arp(r, ifc, svc, backends);
	}
out:
	json_object_put(services);
	json_object_put(backends);
}

/* The interface to probe on: the one given, else the controller's first. */
static const char *iface_of(const struct cli *cli, json_object *args, json_object **status)
{
	json_object *v, *ifaces;

	if (json_object_object_get_ex(args, "iface", &v))
		return json_object_get_string(v);
	if (!*status || !json_object_object_get_ex(*status, "interfaces", &ifaces) ||
	    !json_object_array_length(ifaces))
		return NULL;
	(void)cli;
	return str(json_object_array_get_idx(ifaces, 0), "name");
}

int check_local(const struct cli *cli, const struct cmd *c, json_object *args)
{
	struct report r = { .cli = cli, .results = json_object_new_array() };
	json_object *status = NULL;
	struct check_iface ifc;
	const char *name;
	bool controller;

	(void)c;
	check_host(&r);
	controller = access(cli->socket_path, F_OK) == 0 &&
		     client_call(cli, "status", NULL, &status) == 0;
	if (controller)
		say(&r, "ok", "controller", NULL, "answers on %s", cli->socket_path);
	else
		say(&r, "warn", "controller", NULL,
		    "none answers on %s: services and backends not checked", cli->socket_path);
	name = iface_of(cli, args, &status);
	if (name && check_iface(name, &ifc))
		say(&r, "fail", "interface", "give an interface weir runs on",
		    "%s: no such interface", name);
	else if (name)
		check_xdp(&r, name, &ifc);
	if (controller && name && ifc.ifindex)
		check_services(&r, &ifc);
	if (cli->json)
		printf("%s\n", json_object_to_json_string_ext(r.results, JSON_C_TO_STRING_PRETTY));
	json_object_put(r.results);
	json_object_put(status);
	return r.failed ? -1 : 0;
}

const struct cmd check_cmds[] = {
	{ "",
	  "check",
	  { "?iface" },
	  { 0 },
	  "[IFACE]",
	  "find what keeps a setup from forwarding: bpffs, BTF, the kernel, native XDP on the "
	  "interface (and its MTU), and for every backend of the controller's services: its MAC, "
	  "its port, whether it takes packets for the VIP and whether it wrongly answers ARP for "
	  "it; each failure with its fix (exit 1)",
	  NULL,
	  NULL,
	  NULL },
	{ 0 },
};
