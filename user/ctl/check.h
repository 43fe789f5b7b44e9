/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The probes `weir check` runs (user/ctl/check.c). */
#ifndef WEIR_CHECK_H
#define WEIR_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "core/units.h"

struct check_iface {
	int ifindex;
	int mtu;
	uint8_t mac[6];
	uint32_t addr4; /* its first IPv4 address, network order; 0: none */
	char driver[32];
};

/* 0, or -ENODEV. */
int check_iface(const char *name, struct check_iface *out);
/* Whether the driver takes a native XDP program: 0 (or a program runs
 * there already: *attached_id), or the kernel's -errno. */
int check_xdp_native(int ifindex, __u32 *attached_id);
/* A TCP connect: 0 or -errno (-ETIMEDOUT). */
int check_connect(const struct weir_addr *addr, uint16_t port, int timeout_ms);

#define CHECK_VIP_ACCEPTED 1 /* a SYN-ACK from the VIP: it holds the VIP and listens */
#define CHECK_VIP_RESET 2 /* a RST from the VIP: it holds the VIP, nothing listens */
/* A SYN to vip:port sent to mac from the interface's address: one of the
 * above, 0 for no answer, or -errno. IPv4. */
int check_vip_accepted(const struct check_iface *ifc, const uint8_t mac[6], uint32_t vip,
		       uint16_t port, int timeout_ms);
/* Who answers ARP for the VIP on the interface: their MACs, how many. */
int check_arp_answers(const struct check_iface *ifc, uint32_t vip, uint8_t (*macs)[6], size_t max,
		      int timeout_ms);

#endif
