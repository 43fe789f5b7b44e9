/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The backend's side of ipip: bpf/decap.bpf.c on an interface. */
#ifndef WEIR_DECAP_H
#define WEIR_DECAP_H

#include <stdint.h>

/* 0 or -errno; xdp_mode is enum weir_xdp_mode. */
int decap_attach(const char *ifname, uint8_t xdp_mode);
/* 0, -ENOENT (not attached there) or -errno. */
int decap_detach(const char *ifname);

#endif
