// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir decap attach|detach IFACE`, run on a backend of an ipip service:
 * attaches bpf/decap.bpf.c through libxdp (beside other XDP programs
 * where the kernel allows libxdp's dispatcher) or takes it away. No
 * controller is involved: a backend runs no `weir run`.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "decap.skel.h"
#include "ctl/decap.h"
#include "ctl/loader.h"
#include "ctl/log.h"

#define DECAP_PROG "weir_decap"

int decap_attach(const char *ifname, uint8_t xdp_mode)
{
	enum xdp_attach_mode mode = xdp_mode == WEIR_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int ifindex = (int)if_nametoindex(ifname), err;
	struct xdp_program *prog;
	struct decap_bpf *skel;

	if (!ifindex)
		return -ENODEV;
	/* libxdp's dispatcher keeps its state there; without it, a lone
	 * program is attached the legacy way */
	loader_bpffs_ensure();
	if (!loader_detach_program(ifindex, DECAP_PROG))
		pr_info("interface %s: replacing the decap program attached before\n", ifname);
	skel = decap_bpf__open();
	if (!skel)
		return -errno;
	/* libxdp loads the object itself: it must reach it unloaded */
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = libxdp_get_error(prog);
	/* libxdp tries its dispatcher first and says so loudly when the
	 * kernel refuses it: its messages count only if the attach fails */
	log_hold_libraries();
	if (!err)
		err = xdp_program__attach(prog, ifindex, mode, 0);
	log_release_libraries(err != 0);
	if (!err)
		pr_info("interface %s: decap attached in %s mode\n", ifname,
			config_xdp_mode_name(xdp_mode));
	if (!libxdp_get_error(prog))
		xdp_program__close(prog);
	decap_bpf__destroy(skel);
	return err;
}

int decap_detach(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	return loader_detach_program(ifindex, DECAP_PROG);
}
