// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Autothrottle: a performance log of scores per limit, and one step an
 * interval, either a random exploration or a move towards the best logged
 * neighbour. See NOTES.md for the rules. */
#include <errno.h>

#include "core/throttle.h"

#define NSEC_PER_SEC 1000000000ULL

void throttle_params_default(struct throttle_params *p)
{
	p->min_limit = 1;
	p->max_limit = 1000;
	p->interval_ns = NSEC_PER_SEC;
	p->latency_target_ns = 0;
	p->weight_permille = 500;
	p->explore_permille = 400;
	p->explore_step_permille = 200;
	p->neighbourhood_permille = 500;
	p->tie_permille = 20;
	p->optimize_step_permille = 200;
	p->headroom_permille = 250;
	p->shrink_after = 30;
}

int throttle_params_check(const struct throttle_params *p)
{
	if (!p || !p->min_limit || p->max_limit < p->min_limit)
		return -EINVAL;
	if (!p->weight_permille || p->weight_permille > 1000 || p->explore_permille > 1000)
		return -EINVAL;
	return p->tie_permille <= 1000 ? 0 : -EINVAL;
}

static uint32_t clamp_limit(const struct throttle_params *p, int64_t v)
{
	if (v > (int64_t)p->max_limit)
		v = p->max_limit;
	if (v < (int64_t)p->min_limit)
		v = p->min_limit;
	return (uint32_t)v;
}

/* A fraction of v, at least floor: small limits still move. */
static int64_t part_of(uint32_t v, uint32_t permille, int64_t floor)
{
	int64_t part = (int64_t)((uint64_t)v * permille / 1000);

	return part > floor ? part : floor;
}

void throttle_init(struct throttle *t, const struct throttle_params *p, uint32_t initial)
{
	*t = (struct throttle){ .limit = clamp_limit(p, initial) };
}

/* Throughput, cut in proportion once latency passes the target: a limit
 * that buys completions with queueing is worth less than one that does not. */
static double score_of(const struct throttle_params *p, const struct throttle_sample *s)
{
	double score = s->completions;

	if (!(score >= 0)) /* negative or NaN */
		return 0;
	if (p->latency_target_ns && s->latency_ns > p->latency_target_ns)
		score *= (double)p->latency_target_ns / (double)s->latency_ns;
	return score;
}

/* The entry of limit, else a free one, else the least recently measured. */
static struct throttle_entry *log_slot(struct throttle *t, uint32_t limit, bool *fresh)
{
	struct throttle_entry *oldest = &t->log[0];
	uint32_t i;

	*fresh = false;
	for (i = 0; i < t->logged; i++) {
		if (t->log[i].limit == limit)
			return &t->log[i];
		if (t->log[i].stamp < oldest->stamp)
			oldest = &t->log[i];
	}
	*fresh = true;
	if (t->logged < THROTTLE_LOG_SIZE)
		return &t->log[t->logged++];
	return oldest;
}

static void log_score(struct throttle *t, const struct throttle_params *p, double score)
{
	bool fresh;
	struct throttle_entry *e = log_slot(t, t->limit, &fresh);

	if (fresh)
		e->score = score;
	else
		e->score += (score - e->score) * p->weight_permille / 1000.0;
	e->limit = t->limit;
	e->stamp = t->intervals;
}

static bool is_near(const struct throttle_entry *e, uint32_t limit, int64_t radius)
{
	int64_t d = (int64_t)e->limit - limit;

	return d <= radius && -d <= radius;
}

/* The smallest logged limit near the current one scoring within tie of
 * the best there; the current one when nothing near is logged. */
static uint32_t best_near(const struct throttle *t, const struct throttle_params *p)
{
	int64_t radius = part_of(t->limit, p->neighbourhood_permille, 2);
	uint32_t i, pick = t->limit;
	double best = -1, floor;
	bool found = false;

	for (i = 0; i < t->logged; i++)
		if (is_near(&t->log[i], t->limit, radius) && t->log[i].score > best)
			best = t->log[i].score;
	floor = best - best * p->tie_permille / 1000.0;
	for (i = 0; i < t->logged; i++) {
		const struct throttle_entry *e = &t->log[i];

		if (!is_near(e, t->limit, radius) || e->score < floor)
			continue;
		if (!found || e->limit < pick)
			pick = e->limit;
		found = true;
	}
	return pick;
}

static int64_t optimize(const struct throttle *t, const struct throttle_params *p)
{
	int64_t diff = (int64_t)best_near(t, p) - t->limit;
	int64_t step = part_of(t->limit, p->optimize_step_permille, 1);

	if (diff > step)
		diff = step;
	if (diff < -step)
		diff = -step;
	return t->limit + diff;
}

/* d uniform over [-step, -1] and [1, step]; a move that would leave
 * [min, max] goes the other way, so that a limit at a bound still explores. */
static int64_t explore(const struct throttle *t, const struct throttle_params *p, uint32_t r)
{
	int64_t step = part_of(t->limit, p->explore_step_permille, 1);
	int64_t pick = (int64_t)(r % (uint64_t)(2 * step));
	int64_t d = pick < step ? -(pick + 1) : pick - step + 1;

	if (t->limit + d < (int64_t)p->min_limit || t->limit + d > (int64_t)p->max_limit)
		d = -d;
	return t->limit + d;
}

static int64_t with_headroom(const struct throttle_params *p, uint32_t usage)
{
	return (int64_t)usage + part_of(usage, p->headroom_permille, 1);
}

/* The limit was not the bottleneck: keep it, and bring it down to what is
 * used once that has lasted shrink_after intervals. */
static uint32_t unutilised(struct throttle *t, const struct throttle_params *p,
			   const struct throttle_sample *s)
{
	int64_t target;

	t->idle_run++;
	if (s->peak > t->idle_peak)
		t->idle_peak = s->peak;
	if (!p->shrink_after || t->idle_run < p->shrink_after)
		return t->limit;
	target = with_headroom(p, t->idle_peak);
	t->idle_run = 0;
	t->idle_peak = 0;
	return target < t->limit ? clamp_limit(p, target) : t->limit;
}

uint32_t throttle_update(struct throttle *t, const struct throttle_params *p,
			 const struct throttle_sample *s, uint32_t rnd)
{
	uint32_t usage = s->peak > t->limit ? s->peak : t->limit;
	int64_t next, cap;

	t->intervals++;
	if (!s->utilised) {
		t->limit = clamp_limit(p, unutilised(t, p, s));
		return t->limit;
	}
	t->idle_run = 0;
	t->idle_peak = 0;
	log_score(t, p, score_of(p, s));
	/* 16 bits each: (rnd & 0xffff) / 65536 < explore_permille / 1000 */
	if ((uint64_t)(rnd & 0xffff) * 1000 < (uint64_t)p->explore_permille << 16) {
		next = explore(t, p, rnd >> 16);
		t->explored++;
	} else {
		next = optimize(t, p);
	}
	cap = with_headroom(p, usage);
	if (next > cap)
		next = cap;
	t->limit = clamp_limit(p, next);
	return t->limit;
}
