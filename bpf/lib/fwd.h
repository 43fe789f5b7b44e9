/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Forwarding to the chosen backend. */
#ifndef WEIR_BPF_FWD_H
#define WEIR_BPF_FWD_H

/* DSR: the backend holds the VIP on lo, so only the MACs change. The frame
 * was addressed to us, so its old destination is our MAC and becomes the
 * source: a switch must not learn the client's MAC on our port. */
static __always_inline int fwd_dsr(struct xdp_md *ctx, const struct weir_backend *be)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return XDP_DROP; /* parsed already: cannot happen */
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return XDP_TX;
}

/* To the backend as its service forwards: DSR or IP-in-IP. */
static __always_inline int fwd(struct xdp_md *ctx, struct packet *p, const struct weir_backend *be)
{
	if (be->flags & WEIR_BACKEND_IPIP)
		return weir_encap(ctx, p, be);
	return fwd_dsr(ctx, be);
}

#endif
