/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sch_pie's de-randomisation of PIE's refusals, compiled into the data
 * plane (per CPU, per service) and into the controller's model of it
 * (core/pie.c, which the unit tests drive): one piece of code, so the
 * model tested is the one that runs. Independent draws alone would bunch
 * refusals up or leave long gaps; accumulating p since the last refusal
 * keeps two refusals at least 0.85 / p new streams apart and at most
 * 8.5 / p, for a steady p.
 */
#ifndef WEIR_DERAND_PIE_H
#define WEIR_DERAND_PIE_H

#include "weir/abi.h"
#include "weir/counts.h" /* WEIR_INLINE */

/* Whether a new stream is refused, given p (prob, in 2^-32) and a uniform
 * 32-bit random draw rnd; *sum is the accumulated p (weir_pie.sum). */
WEIR_INLINE int weir_pie_refuses(__u64 *sum, __u32 prob, __u32 rnd)
{
	if (!prob) {
		*sum = 0;
		return 0;
	}
	*sum += prob;
	if (*sum < WEIR_PIE_SUM_LOW)
		return 0;
	if (*sum < WEIR_PIE_SUM_HIGH && rnd >= prob)
		return 0;
	*sum = 0;
	return 1;
}

#endif
