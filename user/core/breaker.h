/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-backend circuit breaker, after kanaloa's: a backend whose probes keep
 * failing stops getting new streams for a cool-down, is then tried with a
 * trickle, and comes back once that trickle succeeds. The cool-down doubles
 * on every trip in a row so that a flapping backend is tried less and less
 * often, up to a cap, and falls back to the base once the backend has stayed
 * healthy for a while.
 *
 * Every transition is returned as an event so that the caller logs and
 * counts it. Pure: no I/O, no allocation, no globals; the time comes in as
 * an argument (monotonic nanoseconds). The parameters are not kept: the same
 * ones must be passed to every call for one breaker.
 */
#ifndef WEIR_BREAKER_H
#define WEIR_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#define BREAKER_WINDOW_MAX 64 /* outcomes remembered: one bit each */

/* The defaults of the parameters a service's config sets too. */
#define BREAKER_WINDOW_DEFAULT 10
#define BREAKER_FAIL_PERMILLE_DEFAULT 500
#define BREAKER_CONSECUTIVE_DEFAULT 5
#define BREAKER_COOLDOWN_DEFAULT_NS (5 * 1000000000ULL)

enum breaker_state {
	BREAKER_CLOSED = 0, /* the backend gets new streams */
	BREAKER_OPEN = 1, /* no new streams until the cool-down ends */
	BREAKER_HALF_OPEN = 2, /* a trickle of new streams, to test it */
};

enum breaker_event {
	BREAKER_EV_NONE = 0,
	BREAKER_EV_OPENED = 1, /* closed or half-open -> open: a trip */
	BREAKER_EV_HALF_OPENED = 2, /* open -> half-open: the cool-down ended */
	BREAKER_EV_CLOSED = 3, /* half-open -> closed */
};

struct breaker_params {
	/* Trip on the failure ratio over the last window outcomes (1-64),
	 * when failures * 1000 > outcomes * fail_permille (0-1000), i.e.
	 * strictly more: 500 trips at 6 of 10, not at 5 of 10. The ratio is
	 * only judged once min_outcomes (1-window) outcomes were recorded since
	 * the breaker last closed, so that one early failure cannot trip it. */
	uint32_t window;
	uint32_t fail_permille;
	uint32_t min_outcomes;
	/* Trip after this many failures in a row whatever the ratio; 0: never. */
	uint32_t consecutive;
	/* Successes in a row that close a half-open breaker; at least 1. */
	uint32_t halfopen_successes;
	/* The first trip opens for cooldown_ns; each trip in a row doubles it,
	 * up to cooldown_max_ns (>= cooldown_ns). */
	uint64_t cooldown_ns;
	uint64_t cooldown_max_ns;
	/* Successes in a row while closed after which the next trip is a
	 * first trip again (the cool-down is back to cooldown_ns); at least 1. */
	uint32_t reset_successes;
};

struct breaker {
	uint8_t state; /* enum breaker_state */
	uint8_t seen; /* outcomes in history, up to window */
	uint8_t failures; /* failures among them */
	uint64_t history; /* bit i: outcome i records ago failed */
	uint32_t fail_run; /* failures in a row (any state) */
	uint32_t ok_run; /* successes in a row (closed and half-open) */
	uint32_t level; /* trips in a row: the cool-down is cooldown_ns << level */
	uint64_t cooldown_ns; /* of the current or last opening */
	uint64_t open_until_ns; /* when open: the cool-down ends at this time */
	uint64_t trips; /* openings since init, for counters */
};

/* Defaults: window 10, 500 permille, min_outcomes 10, consecutive 5,
 * halfopen_successes 3, cool-down 5 s doubling up to 60 s, reset after 10
 * successes in a row. */
void breaker_params_default(struct breaker_params *p);

/* 0, or -EINVAL for a NULL p or a field out of the ranges above. */
int breaker_params_check(const struct breaker_params *p);

/* Closed, no history, base cool-down, no trips. */
void breaker_init(struct breaker *b, const struct breaker_params *p);

/*
 * The outcome of one probe at now_ns. Closed: may trip (OPENED). Half-open:
 * a failure re-opens (OPENED, the cool-down doubled), the
 * halfopen_successes-th success in a row closes (CLOSED). Open: the outcome
 * is of a backend nobody sends to and is dropped, but the clock is applied
 * as breaker_tick() would (HALF_OPENED when the cool-down has ended).
 */
enum breaker_event breaker_record(struct breaker *b, const struct breaker_params *p, bool ok,
				  uint64_t now_ns);

/* The clock alone: open -> half-open once now_ns >= open_until_ns. */
enum breaker_event breaker_tick(struct breaker *b, const struct breaker_params *p, uint64_t now_ns);

enum breaker_state breaker_state(const struct breaker *b);

/* "closed", "open", "half-open"; "none", "opened", "half-opened",
 * "closed"; "?" for a value out of range. */
const char *breaker_state_name(enum breaker_state s);
const char *breaker_event_name(enum breaker_event e);

#endif
