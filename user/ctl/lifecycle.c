// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A backend's life beyond up and down: standbys take streams only while
 * no other backend is usable; a backend that becomes usable (added, up
 * again, resumed, its breaker closed) ramps its weight up over the
 * service's slow-start window, as HAProxy's slowstart does, so a cold
 * backend is not handed a whole share of new streams at once.
 */
#include "core/slots.h"
#include "ctl/ctl.h"

/* Round-robin weights are all 1: ramping needs room below the full one. */
#define RAMP_SCALE 64

bool lifecycle_primary_usable(const struct ctl_service *svc)
{
	size_t i;

	for (i = 0; i < svc->n_backends; i++)
		if (!svc->backends[i].cfg.standby && state_backend_usable(svc, &svc->backends[i]))
			return true;
	return false;
}

bool lifecycle_in_use(const struct ctl_service *svc, const struct ctl_backend *be)
{
	return state_backend_usable(svc, be) && be->cfg.standby == !lifecycle_primary_usable(svc);
}

static bool ramping(const struct ctl_service *svc, const struct ctl_backend *be, uint64_t now)
{
	uint64_t window = svc->cfg.slow_start_ns;

	return window && (!be->was_usable || now - be->usable_since_ns < window);
}

bool lifecycle_ramp(const struct ctl_service *svc, uint32_t *weights, const uint32_t *index,
		    size_t n, uint64_t now)
{
	const struct ctl_backend *be;
	bool any = false;
	size_t i;

	for (i = 0; i < n && !any; i++)
		any = ramping(svc, &svc->backends[index[i]], now);
	for (i = 0; any && i < n; i++) {
		be = &svc->backends[index[i]];
		weights[i] *= svc->cfg.steering == WEIR_STEER_ROUND_ROBIN ? RAMP_SCALE : 1;
		if (ramping(svc, be, now))
			weights[i] = slots_ramp(weights[i],
						be->was_usable ? now - be->usable_since_ns : 0,
						svc->cfg.slow_start_ns);
	}
	return any;
}

uint64_t lifecycle_ramp_left(const struct ctl_service *svc, const struct ctl_backend *be,
			     uint64_t now)
{
	uint64_t end = be->usable_since_ns + svc->cfg.slow_start_ns;

	if (!svc->cfg.slow_start_ns || !state_backend_usable(svc, be))
		return 0;
	if (!be->was_usable)
		return svc->cfg.slow_start_ns;
	return end > now ? end - now : 0;
}

void lifecycle_step(struct ctl *c, uint64_t now)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		for (j = 0; j < svc->n_backends; j++) {
			struct ctl_backend *be = &svc->backends[j];
			bool usable = state_backend_usable(svc, be);

			if (usable && !be->was_usable)
				be->usable_since_ns = now;
			be->was_usable = usable;
			if (usable && ramping(svc, be, now))
				svc->dirty = true;
		}
		/* The ramp moves: its slots are rebuilt every tick, and once
		 * more after it ends, however late that tick comes. */
		if (svc->ramp_written)
			svc->dirty = true;
	}
}
