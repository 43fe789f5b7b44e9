// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Circuit breaker: the failure ratio over a bit window of outcomes, a run
 * of failures, and a cool-down that doubles on every trip in a row. */
#include <errno.h>

#include "core/breaker.h"

#define NSEC_PER_SEC 1000000000ULL

void breaker_params_default(struct breaker_params *p)
{
	p->window = BREAKER_WINDOW_DEFAULT;
	p->fail_permille = BREAKER_FAIL_PERMILLE_DEFAULT;
	p->min_outcomes = BREAKER_WINDOW_DEFAULT;
	p->consecutive = BREAKER_CONSECUTIVE_DEFAULT;
	p->halfopen_successes = 3;
	p->cooldown_ns = BREAKER_COOLDOWN_DEFAULT_NS;
	p->cooldown_max_ns = 60 * NSEC_PER_SEC;
	p->reset_successes = 10;
}

int breaker_params_check(const struct breaker_params *p)
{
	if (!p || !p->window || p->window > BREAKER_WINDOW_MAX || p->fail_permille > 1000)
		return -EINVAL;
	if (!p->min_outcomes || p->min_outcomes > p->window)
		return -EINVAL;
	if (!p->halfopen_successes || !p->reset_successes)
		return -EINVAL;
	return p->cooldown_max_ns >= p->cooldown_ns ? 0 : -EINVAL;
}

/* Parameters that failed breaker_params_check() must still not shift a
 * 64-bit word by 64 or more. */
static uint32_t window_of(const struct breaker_params *p)
{
	if (!p->window)
		return 1;
	return p->window > BREAKER_WINDOW_MAX ? BREAKER_WINDOW_MAX : p->window;
}

/* cooldown_ns << level, without overflowing past the cap. */
static uint64_t cooldown_at(const struct breaker_params *p, uint32_t level)
{
	if (level >= 64 || p->cooldown_ns > (p->cooldown_max_ns >> level))
		return p->cooldown_max_ns;
	return p->cooldown_ns << level;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Every state starts with a clean slate: outcomes of the state before say
 * nothing about the one entered. */
static void forget(struct breaker *b)
{
	b->seen = 0;
	b->failures = 0;
	b->history = 0;
	b->fail_run = 0;
	b->ok_run = 0;
}

void breaker_init(struct breaker *b, const struct breaker_params *p)
{
	forget(b);
	b->state = BREAKER_CLOSED;
	b->level = 0;
	b->cooldown_ns = p->cooldown_ns;
	b->open_until_ns = 0;
	b->trips = 0;
}

static enum breaker_event trip(struct breaker *b, const struct breaker_params *p, uint64_t now_ns)
{
	forget(b);
	b->state = BREAKER_OPEN;
	b->cooldown_ns = cooldown_at(p, b->level);
	if (b->level < 64)
		b->level++;
	b->open_until_ns = add_sat(now_ns, b->cooldown_ns);
	b->trips++;
	return BREAKER_EV_OPENED;
}

/* Shift the outcome into the window; the oldest falls out once it is full. */
static void remember(struct breaker *b, uint32_t window, bool ok)
{
	if (b->seen == window)
		b->failures -= (b->history >> (window - 1)) & 1;
	else
		b->seen++;
	b->history = (b->history << 1) | !ok;
	if (window < 64)
		b->history &= (1ULL << window) - 1;
	b->failures += !ok;
}

static bool ratio_trips(const struct breaker *b, const struct breaker_params *p)
{
	if (b->seen < p->min_outcomes || !b->seen)
		return false;
	return (uint64_t)b->failures * 1000 > (uint64_t)b->seen * p->fail_permille;
}

static enum breaker_event record_closed(struct breaker *b, const struct breaker_params *p, bool ok,
					uint64_t now_ns)
{
	remember(b, window_of(p), ok);
	if (ok) {
		b->fail_run = 0;
		b->ok_run++;
		/* healthy long enough: the next trip is a first one again */
		if (b->ok_run >= p->reset_successes)
			b->level = 0;
	} else {
		b->ok_run = 0;
		b->fail_run++;
		if (p->consecutive && b->fail_run >= p->consecutive)
			return trip(b, p, now_ns);
	}
	/* a success trips too when it is the outcome that makes the window
	 * long enough to judge */
	return ratio_trips(b, p) ? trip(b, p, now_ns) : BREAKER_EV_NONE;
}

static enum breaker_event record_half_open(struct breaker *b, const struct breaker_params *p,
					   bool ok, uint64_t now_ns)
{
	if (!ok)
		return trip(b, p, now_ns);
	if (++b->ok_run < p->halfopen_successes)
		return BREAKER_EV_NONE;
	/* level is kept: only a healthy closed period resets the cool-down */
	forget(b);
	b->state = BREAKER_CLOSED;
	return BREAKER_EV_CLOSED;
}

enum breaker_event breaker_tick(struct breaker *b, const struct breaker_params *p, uint64_t now_ns)
{
	(void)p;
	if (b->state != BREAKER_OPEN || now_ns < b->open_until_ns)
		return BREAKER_EV_NONE;
	forget(b);
	b->state = BREAKER_HALF_OPEN;
	return BREAKER_EV_HALF_OPENED;
}

enum breaker_event breaker_record(struct breaker *b, const struct breaker_params *p, bool ok,
				  uint64_t now_ns)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		return record_closed(b, p, ok, now_ns);
	case BREAKER_HALF_OPEN:
		return record_half_open(b, p, ok, now_ns);
	default:
		return breaker_tick(b, p, now_ns);
	}
}

enum breaker_state breaker_state(const struct breaker *b)
{
	return (enum breaker_state)b->state;
}

const char *breaker_state_name(enum breaker_state s)
{
	static const char *const names[] = { "closed", "open", "half-open" };

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *breaker_event_name(enum breaker_event e)
{
	static const char *const names[] = { "none", "opened", "half-opened", "closed" };

	return (unsigned int)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}
