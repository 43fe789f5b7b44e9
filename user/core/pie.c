// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* PIE's refusal probability from the measured queueing delay, in integer
 * fixed point as sch_pie; see NOTES.md for the formulas. */
#include <errno.h>
#include <stddef.h>

#include "core/pie.h"
#include "weir/pie.h"

/* A gain (under 2^55) times a delay difference (up to 2^64) needs
 * more than 64 bits; 128 hold both terms of the update with room to spare. */
__extension__ typedef __int128 s128;
__extension__ typedef unsigned __int128 u128;

#define NSEC_PER_SEC 1000000000ULL

/* Written as sch_pie writes them, so the thresholds round the same way. */
#define PROB_2PCT (PIE_PROB_MAX / 50)
#define PROB_10PCT (PIE_PROB_MAX / 10)
#define PROB_20PCT (PIE_PROB_MAX / 5)

/* The 2^56 scale against the 2^32 one. */
#define PROB32_SHIFT 24

/* Below 1e-6 the gains stop shrinking. */
#define DECADE_LAST 1000000U

struct gains {
	uint64_t alpha;
	uint64_t beta;
};

void pie_params_default(struct pie_params *params)
{
	params->target = PIE_TARGET_DEFAULT;
	params->tupdate = PIE_TUPDATE_DEFAULT;
	params->max_burst = PIE_BURST_DEFAULT;
	params->alpha = PIE_ALPHA_DEFAULT;
	params->beta = PIE_BETA_DEFAULT;
}

/* A zero tupdate would never spend the burst allowance; a zero target
 * would never let the delay count as low. */
int pie_params_check(const struct pie_params *params)
{
	if (!params || !params->target || !params->tupdate)
		return -EINVAL;
	if (params->alpha > PIE_GAIN_MAX || params->beta > PIE_GAIN_MAX)
		return -EINVAL;
	return 0;
}

void pie_init(struct pie_state *s, const struct pie_params *params)
{
	s->prob = 0;
	s->qdelay = 0;
	s->burst = params->max_burst;
}

/*
 * RFC 8033's gains are per second of delay; here they are per nanosecond
 * on the PIE_PROB_MAX scale. A small p would swing too far with full
 * gains, so under 10% they are halved, then quartered again for each
 * decade p sits below 1%, 0.1%, ... down to 1e-6.
 */
static struct gains scaled_gains(const struct pie_params *params, uint64_t prob)
{
	uint64_t per_nsec = PIE_PROB_MAX / NSEC_PER_SEC;
	struct gains g = { .alpha = params->alpha * per_nsec >> 4,
			   .beta = params->beta * per_nsec >> 4 };
	unsigned int power;

	if (prob >= PROB_10PCT)
		return g;
	g.alpha >>= 1;
	g.beta >>= 1;
	for (power = 100; power <= DECADE_LAST && prob < PIE_PROB_MAX / power; power *= 10) {
		g.alpha >>= 2;
		g.beta >>= 2;
	}
	return g;
}

/* The change to p before it is clamped; old is the previous qdelay. */
static s128 prob_delta(const struct pie_state *s, const struct pie_params *params, uint64_t qdelay,
		       uint64_t old)
{
	struct gains g = scaled_gains(params, s->prob);
	s128 delta;

	delta = (s128)g.alpha * ((s128)qdelay - params->target);
	delta += (s128)g.beta * ((s128)qdelay - old);
	/* Once refusals are frequent, climb by 2% per update at most. */
	if (s->prob >= PROB_10PCT && delta > (s128)PROB_2PCT)
		delta = PROB_2PCT;
	/* A delay this high is an error to fix fast, past the cap. */
	if (qdelay > PIE_JUMP_DELAY)
		delta += PROB_2PCT;
	return delta;
}

/* Returns whether p had to be held at PIE_PROB_MAX. */
static bool apply_delta(struct pie_state *s, s128 delta)
{
	s128 prob = (s128)s->prob + delta;

	if (prob > (s128)PIE_PROB_MAX) {
		s->prob = PIE_PROB_MAX;
		return true;
	}
	s->prob = prob < 0 ? 0 : (uint64_t)prob;
	return false;
}

static void spend_burst(struct pie_state *s, const struct pie_params *params)
{
	s->burst = s->burst > params->tupdate ? s->burst - params->tupdate : 0;
}

void pie_update(struct pie_state *s, const struct pie_params *params, uint64_t qdelay)
{
	uint64_t old = s->qdelay, low = params->target / 2;
	bool saturated;

	spend_burst(s, params);
	saturated = apply_delta(s, prob_delta(s, params, qdelay, old));
	/* No delay for two updates: the load has gone, let p fall fast. */
	if (!qdelay && !old && !saturated)
		s->prob -= s->prob / 64;
	/* Calm again: the next overload gets a whole burst allowance. */
	if (qdelay < low && old < low && !s->prob)
		s->burst = params->max_burst;
	s->qdelay = qdelay;
}

/* A short burst of delay, or a low delay with p still low, refuses nothing. */
static bool refusal_off(const struct pie_state *s, const struct pie_params *params)
{
	if (s->burst)
		return true;
	return s->qdelay < params->target / 2 && s->prob < PROB_20PCT;
}

uint32_t pie_refuse_prob32(const struct pie_state *s, const struct pie_params *params)
{
	uint64_t p32;

	if (refusal_off(s, params))
		return 0;
	p32 = (s->prob + (1ULL << (PROB32_SHIFT - 1))) >> PROB32_SHIFT;
	return p32 > UINT32_MAX ? UINT32_MAX : (uint32_t)p32;
}

unsigned int pie_percent_x100(const struct pie_state *s)
{
	u128 bp = ((u128)s->prob * 10000 + PIE_PROB_MAX / 2) / PIE_PROB_MAX;

	return bp > 10000 ? 10000 : (unsigned int)bp;
}

bool pie_refuse(struct pie_derand *d, uint32_t prob32, uint32_t rnd32)
{
	return weir_pie_refuses(&d->accu, prob32, rnd32);
}
