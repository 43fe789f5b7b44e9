// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* XDP_PASS and nothing else. A veth only receives frames that its peer sent
 * with XDP_TX/XDP_REDIRECT when it has an XDP program of its own, so test
 * topologies attach this one to the peers of the interfaces weir runs on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int weir_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
