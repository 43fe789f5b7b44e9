/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Time for idle timeouts, epochs and token buckets. */
#ifndef WEIR_BPF_CLOCK_H
#define WEIR_BPF_CLOCK_H

/* The BPF tests set this to drive time (a token bucket over a long packet
 * train, an epoch passing); 0 on a live system. */
__u64 weir_test_now_ns SEC(".bss");

/* Coarse time is enough for idle timeouts and buckets deeper than a tick,
 * and cheaper per packet. */
static __always_inline __u64 clock_now(void)
{
	__u64 test = *(volatile __u64 *)&weir_test_now_ns;

	return test ? test : bpf_ktime_get_coarse_ns();
}

#endif
