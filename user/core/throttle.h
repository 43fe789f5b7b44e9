/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-backend concurrency limit, after kanaloa's autothrottle: a
 * performance log keeps, for every limit tried, a moving average of how
 * well the backend did at it; every interval the limit either explores a
 * random value near the current one or moves towards the best one logged
 * near it. The limit thus follows the concurrency at which the backend
 * serves the most without letting latency pass a target, wherever that is
 * and as it moves.
 *
 * An interval in which the limit was never reached says nothing about the
 * limit (the offered load was the bottleneck): it is not logged and the
 * limit does not grow on it. Pure: no I/O, no allocation, no globals; the
 * randomness comes in as an argument. The parameters are not kept: the same
 * ones must be passed to every call for one throttle.
 */
#ifndef WEIR_THROTTLE_H
#define WEIR_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define THROTTLE_LOG_SIZE 64 /* limits remembered; the least recently measured goes */

struct throttle_params {
	uint32_t min_limit; /* at least 1 */
	uint32_t max_limit; /* >= min_limit */
	/* How often the caller calls throttle_update(); the throttle counts
	 * intervals, not time: kept here so the caller has one place for it. */
	uint64_t interval_ns;
	/* score = completions/s * min(1, latency_target_ns / latency);
	 * 0: latency is not penalised. */
	uint64_t latency_target_ns;
	/* Weight of the newest score in a limit's moving average, 1-1000. */
	uint32_t weight_permille;
	/* Chance (0-1000) that an interval explores rather than optimises. */
	uint32_t explore_permille;
	/* Exploring moves the limit by d, 1 <= |d| <= step, uniformly, with
	 * step = max(1, limit * explore_step_permille / 1000). */
	uint32_t explore_step_permille;
	/* Optimising considers the logged limits within
	 * max(2, limit * neighbourhood_permille / 1000) of the limit... */
	uint32_t neighbourhood_permille;
	/* ... takes the smallest whose score is within tie_permille (0-1000)
	 * of the best one, so that equal throughput goes with less queueing... */
	uint32_t tie_permille;
	/* ... and moves towards it by at most
	 * max(1, limit * optimize_step_permille / 1000). */
	uint32_t optimize_step_permille;
	/* The limit never grows past usage + max(1, usage * headroom_permille /
	 * 1000), usage the peak of the interval (the limit when utilised). */
	uint32_t headroom_permille;
	/* After this many unutilised intervals in a row, the limit comes down
	 * to their highest peak plus the headroom; 0: never. */
	uint32_t shrink_after;
};

/* What the caller measured over the last interval, at the current limit. */
struct throttle_sample {
	double completions; /* streams that ended, per second */
	uint64_t latency_ns; /* mean probe delay; 0: unknown, no penalty */
	uint32_t peak; /* most streams the backend had at once */
	bool utilised; /* the limit was reached (peak >= limit, or streams were refused) */
};

struct throttle_entry {
	uint32_t limit;
	double score; /* moving average */
	uint64_t stamp; /* the interval it was last measured in */
};

struct throttle {
	uint32_t limit; /* the current limit */
	uint32_t logged; /* entries in use in log */
	uint64_t intervals; /* throttle_update() calls */
	uint32_t idle_run; /* unutilised intervals in a row */
	uint32_t idle_peak; /* their highest peak */
	uint64_t explored; /* intervals that explored, for counters */
	struct throttle_entry log[THROTTLE_LOG_SIZE];
};

/* Defaults: limits 1-1000, interval 1 s, no latency target, weight 500,
 * explore 400 with a step of 200 permille, neighbourhood 500, tie 20,
 * optimize step 200, headroom 250, shrink after 30 intervals. */
void throttle_params_default(struct throttle_params *p);

/* 0, or -EINVAL for a NULL p or a field out of the ranges above. */
int throttle_params_check(const struct throttle_params *p);

/* An empty log and the limit initial, clamped to [min_limit, max_limit]. */
void throttle_init(struct throttle *t, const struct throttle_params *p, uint32_t initial);

/*
 * Log the sample against the current limit (when utilised) and return the
 * next limit, also left in t->limit. rnd is 32 random bits, fresh for every
 * call: the low 16 decide whether to explore, the high 16 by how much.
 */
uint32_t throttle_update(struct throttle *t, const struct throttle_params *p,
			 const struct throttle_sample *s, uint32_t rnd);

#endif
