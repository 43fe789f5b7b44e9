/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * PIE (RFC 8033) as Linux's sch_pie computes it, turned to admission: the
 * probability with which new streams of an overloaded service are refused.
 * Running streams are never refused. The controller measures the queueing
 * delay (probes to the backends) and calls pie_update() every tupdate; the
 * data plane applies pie_refuse_prob32() through weir_pie_refuses() (weir/pie.h),
 * which pie_refuse() runs for the tests.
 *
 * Time is in nanoseconds. The probability is an integer in
 * [0, PIE_PROB_MAX], the scale of sch_pie, so its gains and thresholds keep
 * their meaning. Pure: no I/O, no allocation, no globals, no floating point.
 */
#ifndef WEIR_PIE_H
#define WEIR_PIE_H

#include <stdbool.h>
#include <stdint.h>

#include "weir/abi.h"

/* Probability 1.0, as sch_pie's MAX_PROB: 56 bits leave room for the
 * products of the update and for the data plane's 2^32 scale to be p >> 24. */
#define PIE_PROB_MAX (UINT64_MAX >> 8)

#define PIE_NSEC_PER_MSEC 1000000ULL
#define PIE_TARGET_DEFAULT (20 * PIE_NSEC_PER_MSEC)
#define PIE_TUPDATE_DEFAULT (30 * PIE_NSEC_PER_MSEC)
#define PIE_BURST_DEFAULT (150 * PIE_NSEC_PER_MSEC)
#define PIE_ALPHA_DEFAULT 2 /* 0.125, in 1/16ths */
#define PIE_BETA_DEFAULT 20 /* 1.25, in 1/16ths */
#define PIE_GAIN_MAX 32 /* alpha and beta are 0-2 in RFC 8033 */

/* Above this delay p climbs a further 2% per update, whatever the gains. */
#define PIE_JUMP_DELAY (250 * PIE_NSEC_PER_MSEC)

/* The data plane's scale: prob32 / 2^32 is the probability. The
 * de-randomization thresholds, 0.85 and 8.5, are sch_pie's, on that scale:
 * the data plane's own, from the ABI, so the model cannot drift from it. */
#define PIE_ACCU_LOW WEIR_PIE_SUM_LOW
#define PIE_ACCU_HIGH WEIR_PIE_SUM_HIGH

struct pie_params {
	uint64_t target; /* ns: the queueing delay aimed at */
	uint64_t tupdate; /* ns between two pie_update() calls */
	uint64_t max_burst; /* ns of delay tolerated before refusing */
	uint32_t alpha; /* 1/16ths: weight of the delay above target */
	uint32_t beta; /* 1/16ths: weight of the delay's trend */
};

struct pie_state {
	uint64_t prob; /* 0..PIE_PROB_MAX */
	uint64_t qdelay; /* ns, the last measured; the next update's qdelay_old */
	uint64_t burst; /* ns of burst allowance left: no refusal while > 0 */
};

/* The data plane's per-CPU accumulated probability (prob32 units). */
struct pie_derand {
	__u64 accu;
};

void pie_params_default(struct pie_params *params);

/* 0, or -EINVAL for a NULL params, a zero target or tupdate, or a gain
 * above PIE_GAIN_MAX. Every other function stays defined on any params. */
int pie_params_check(const struct pie_params *params);

/* No probability, no delay seen, the whole burst allowance. */
void pie_init(struct pie_state *s, const struct pie_params *params);

/*
 * One step of the controller, given the queueing delay measured since the
 * last one: spends tupdate of the burst allowance, moves p by
 * alpha * (qdelay - target) + beta * (qdelay - qdelay_old) with sch_pie's
 * scaling, caps and decay, and restarts the cycle (burst allowance back)
 * when the delay stayed under target / 2 for two updates with p at 0.
 */
void pie_update(struct pie_state *s, const struct pie_params *params, uint64_t qdelay);

/* The probability the data plane applies to new streams, on the 2^32
 * scale and rounded to nearest, saturating at 2^32 - 1; 0 while burst
 * allowance remains, or while the delay is under target / 2 and p < 20%. */
uint32_t pie_refuse_prob32(const struct pie_state *s, const struct pie_params *params);

/* p in basis points (0-10000), rounded to nearest, for display. */
unsigned int pie_percent_x100(const struct pie_state *s);

/*
 * sch_pie's de-randomization, as the data plane applies it to each new
 * stream: whether to refuse it, given prob32 and a uniform 32-bit random
 * number. Spreads refusals out: none until the accumulated probability
 * reaches 0.85, always one once it reaches 8.5; a refusal starts it over.
 */
bool pie_refuse(struct pie_derand *d, uint32_t prob32, uint32_t rnd32);

#endif
