// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Overload control, per service: PIE on the backends' delay (probed or
 * reported) writes the probability new streams are refused with; each
 * backend's breaker takes it out of the slot table while its probes fail;
 * the autothrottle moves each backend's max streams to where it serves
 * best. The arithmetic is in core/ (pie, breaker, throttle); this file
 * feeds it measurements and writes what it decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weir/counts.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

#define NS_PER_S 1000000000ULL
#define THROTTLE_INITIAL 10
#define THROTTLE_MAX 1000
/* A half-open backend gets one slot for every this many of a closed one. */
#define TRICKLE_SCALE 16
/* A reported queue that nothing dequeues is this much delay. */
#define REPORT_DELAY_MAX (10 * NS_PER_S)

static void pie_params_of(const struct weir_overload_config *o, struct pie_params *p)
{
	pie_params_default(p);
	p->target = o->delay_target_ns;
	p->tupdate = o->pie_interval_ns;
	p->max_burst = o->pie_burst_ns;
}

static void breaker_params_of(const struct weir_overload_config *o, struct breaker_params *p)
{
	breaker_params_default(p);
	p->window = o->breaker_window;
	p->min_outcomes = o->breaker_window;
	p->fail_permille = o->breaker_permille;
	p->consecutive = o->breaker_consecutive;
	p->cooldown_ns = o->breaker_cooldown_ns;
	p->cooldown_max_ns = 12 * o->breaker_cooldown_ns;
}

static void throttle_params_of(const struct ctl_service *svc, const struct ctl_backend *be,
			       struct throttle_params *p)
{
	throttle_params_default(p);
	p->max_limit = be->cfg.max_streams ? be->cfg.max_streams : THROTTLE_MAX;
	p->latency_target_ns = svc->cfg.overload.delay_target_ns;
}

static bool breaker_on(const struct ctl_service *svc)
{
	return svc->cfg.overload.breaker && overload_probes(&svc->cfg.overload);
}

void overload_backend_init(const struct ctl_service *svc, struct ctl_backend *be)
{
	struct breaker_params bp;

	breaker_params_of(&svc->cfg.overload, &bp);
	breaker_init(&be->breaker, &bp);
	be->probe.fd = -1;
	be->probe.phase = PROBE_IDLE;
}

void overload_carry(struct ctl_service *ns, const struct ctl_service *old)
{
	struct pie_params pp;

	pie_params_of(&ns->cfg.overload, &pp);
	if (!old || old->cfg.overload.admission != WEIR_ADMISSION_PIE) {
		pie_init(&ns->pie, &pp);
		return;
	}
	ns->pie = old->pie;
	ns->next_pie_ns = old->next_pie_ns;
	ns->delay_ns = old->delay_ns;
	ns->delay_backends = old->delay_backends;
	ns->next_throttle_ns = old->next_throttle_ns;
	ns->seen_backend_full = old->seen_backend_full;
}

bool overload_breaker_open(const struct ctl_service *svc, const struct ctl_backend *be)
{
	return breaker_on(svc) && breaker_state(&be->breaker) == BREAKER_OPEN;
}

bool overload_breaker_half_open(const struct ctl_service *svc, const struct ctl_backend *be)
{
	return breaker_on(svc) && breaker_state(&be->breaker) == BREAKER_HALF_OPEN;
}

void overload_trickle(const struct ctl_service *svc, uint32_t *weights, const uint32_t *index,
		      size_t n)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n && !any; i++)
		any = overload_breaker_half_open(svc, &svc->backends[index[i]]);
	for (i = 0; any && i < n; i++)
		weights[i] = overload_breaker_half_open(svc, &svc->backends[index[i]])
				     ? 1
				     : weights[i] * TRICKLE_SCALE;
}

/* The lower of two limits, 0 being none. */
static uint32_t lower_limit(uint32_t a, uint32_t b)
{
	return a && (!b || a < b) ? a : b;
}

uint32_t overload_max_streams(const struct ctl_service *svc, const struct ctl_backend *be)
{
	uint32_t limit = be->cfg.max_streams;

	if (svc->cfg.overload.capacity_limit_auto && be->throttled)
		limit = lower_limit(limit, be->throttle.limit);
	/* a capacity-limit of 0 is kept out of the slot table instead */
	if (svc->exprs[EXPR_LIMIT] && be->limit_ok && be->limit)
		limit = lower_limit(limit, be->limit);
	return limit;
}

/* ---- breaker ---- */

static void breaker_event(struct ctl_service *svc, struct ctl_backend *be, enum breaker_event ev)
{
	char addr[WEIR_ADDR_STRLEN], dur[32];

	if (ev == BREAKER_EV_NONE)
		return;
	be->breaker_events[ev]++;
	svc->dirty = true; /* the slot table changes */
	units_format_addr(&be->cfg.addr, addr, sizeof(addr));
	if (ev == BREAKER_EV_OPENED)
		pr_warn("service %s: backend %s: breaker open for %s: probes failing (last: %s)\n",
			svc->cfg.name, addr,
			units_format_duration(be->breaker.cooldown_ns, dur, sizeof(dur)),
			strerror(be->probe.last_error ? be->probe.last_error : EIO));
	else if (ev == BREAKER_EV_HALF_OPENED)
		pr_info("service %s: backend %s: breaker half-open: a trickle of new streams\n",
			svc->cfg.name, addr);
	else
		pr_info("service %s: backend %s: breaker closed: probes succeed again\n",
			svc->cfg.name, addr);
}

static void breaker_clock(struct ctl_service *svc, uint64_t now)
{
	struct breaker_params bp;
	size_t j;

	if (!breaker_on(svc))
		return;
	breaker_params_of(&svc->cfg.overload, &bp);
	for (j = 0; j < svc->n_backends; j++)
		breaker_event(svc, &svc->backends[j],
			      breaker_tick(&svc->backends[j].breaker, &bp, now));
}

/* Turned off: forget what the breakers saw. */
static void breaker_off(struct ctl_service *svc)
{
	struct breaker_params bp;
	size_t j;

	if (breaker_on(svc))
		return;
	breaker_params_of(&svc->cfg.overload, &bp);
	for (j = 0; j < svc->n_backends; j++) {
		if (breaker_state(&svc->backends[j].breaker) == BREAKER_CLOSED)
			continue;
		breaker_init(&svc->backends[j].breaker, &bp);
		svc->dirty = true;
	}
}

void overload_probe_done(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be, bool ok,
			 uint64_t delay_ns, uint64_t now)
{
	struct breaker_params bp;

	(void)c;
	if (delay_ns) {
		be->probe.delay_ns = delay_ns;
		be->probe.has_delay = true;
		be->probe.sum_ns += delay_ns;
		be->probe.samples++;
	}
	if (!breaker_on(svc))
		return;
	breaker_params_of(&svc->cfg.overload, &bp);
	breaker_event(svc, be, breaker_record(&be->breaker, &bp, ok, now));
}

/* ---- the delay ---- */

int overload_report(struct ctl_service *svc, struct ctl_backend *be, const char *name, double value,
		    uint64_t now)
{
	size_t i;

	(void)svc;
	for (i = 0; i < be->n_metrics; i++)
		if (!strcmp(be->metrics[i].name, name))
			break;
	if (i == BACKEND_METRICS_MAX)
		return -ENOSPC;
	if (strlen(name) >= BACKEND_METRIC_NAME_MAX)
		return -EINVAL;
	strcpy(be->metrics[i].name, name);
	be->metrics[i].value = value;
	be->metrics[i].at_ns = now;
	if (i == be->n_metrics)
		be->n_metrics++;
	return 0;
}

const struct backend_metric *overload_fresh_metric(const struct ctl_service *svc,
						   const struct ctl_backend *be, const char *name,
						   uint64_t now)
{
	size_t i;

	for (i = 0; i < be->n_metrics; i++)
		if (!strcmp(be->metrics[i].name, name))
			return now < be->metrics[i].at_ns || now - be->metrics[i].at_ns <=
								     svc->cfg.overload.report_ttl_ns
				       ? &be->metrics[i]
				       : NULL;
	return NULL;
}

/* kanaloa's: the time the queue takes to drain at the rate it drains. */
int64_t overload_report_delay(const struct ctl_service *svc, const struct ctl_backend *be,
			      uint64_t now)
{
	const struct backend_metric *queue = overload_fresh_metric(svc, be, "queue", now);
	const struct backend_metric *rate = overload_fresh_metric(svc, be, "dequeue_rate", now);
	double ns;

	if (!queue || !rate)
		return -1;
	if (queue->value <= 0)
		return 0;
	if (rate->value <= 0)
		return REPORT_DELAY_MAX;
	ns = queue->value / rate->value * NS_PER_S;
	return ns >= REPORT_DELAY_MAX ? (int64_t)REPORT_DELAY_MAX : (int64_t)ns;
}

/* The last answer's delay, or how long the probe under way has waited if
 * that is longer: a backend that stopped answering is not a fast one. */
static int64_t probe_delay(const struct ctl_backend *be, uint64_t now)
{
	const struct ctl_probe *p = &be->probe;
	uint64_t waiting = p->phase != PROBE_IDLE ? now - p->started_ns : 0;

	if (!p->has_delay && p->phase == PROBE_IDLE)
		return -1;
	return (int64_t)(waiting > p->delay_ns ? waiting : p->delay_ns);
}

/* Over the usable backends: their mean, or the largest. */
static uint64_t service_delay(struct ctl_service *svc, uint64_t now)
{
	const struct weir_overload_config *o = &svc->cfg.overload;
	uint64_t sum = 0, max = 0;
	int64_t d;
	int n = 0;
	size_t j;

	for (j = 0; j < svc->n_backends; j++) {
		const struct ctl_backend *be = &svc->backends[j];

		if (!state_backend_usable(svc, be))
			continue;
		d = o->delay_source == WEIR_DELAY_REPORT ? overload_report_delay(svc, be, now)
							 : probe_delay(be, now);
		if (d < 0)
			continue;
		sum += d;
		max = (uint64_t)d > max ? (uint64_t)d : max;
		n++;
	}
	svc->delay_backends = n;
	if (!n)
		return 0;
	return o->delay_aggregate == WEIR_DELAY_MAX ? max : sum / n;
}

/* ---- PIE ---- */

static void write_admission(struct ctl *c, const struct ctl_service *svc)
{
	struct weir_admission *adm = c->loader.mm.admission;
	const struct weir_overload_config *o = &svc->cfg.overload;
	uint64_t p32 = 0;
	struct pie_params pp;
	uint32_t prio, hold = 0;

	if (!adm)
		return;
	adm += svc->id;
	if (o->admission == WEIR_ADMISSION_PIE) {
		pie_params_of(o, &pp);
		p32 = (svc->pie.prob + (1ULL << 23)) >> 24; /* 2^56 scale to 2^32, rounded */
		if (p32 > UINT32_MAX)
			p32 = UINT32_MAX;
		hold = p32 && !pie_refuse_prob32(&svc->pie, &pp);
	}
	/* plain aligned stores: each is seen whole by the data plane */
	for (prio = 0; prio < WEIR_PRIORITIES; prio++)
		*(volatile uint32_t *)&adm->refuse_prob[prio] =
			(uint32_t)(p32 * overload_priority_share(o, prio) >> 10);
	*(volatile uint32_t *)&adm->hold = hold;
}

/* Turned off: no probability left behind. */
static void pie_off(struct ctl *c, struct ctl_service *svc)
{
	struct pie_params pp;

	if (svc->cfg.overload.admission == WEIR_ADMISSION_PIE ||
	    (!svc->pie.prob && !svc->next_pie_ns))
		return;
	pie_params_of(&svc->cfg.overload, &pp);
	pie_init(&svc->pie, &pp);
	svc->next_pie_ns = 0;
	write_admission(c, svc);
}

static void pie_step(struct ctl *c, struct ctl_service *svc, uint64_t now)
{
	struct pie_params pp;

	if (svc->cfg.overload.admission != WEIR_ADMISSION_PIE || now < svc->next_pie_ns)
		return;
	/* missed updates are skipped, not replayed */
	svc->next_pie_ns =
		(svc->next_pie_ns && now - svc->next_pie_ns < svc->cfg.overload.pie_interval_ns
			 ? svc->next_pie_ns
			 : now) +
		svc->cfg.overload.pie_interval_ns;
	pie_params_of(&svc->cfg.overload, &pp);
	svc->delay_ns = service_delay(svc, now);
	pie_update(&svc->pie, &pp, svc->delay_ns);
	write_admission(c, svc);
}

double overload_refuse_p(const struct ctl_service *svc)
{
	return (double)svc->pie.prob / (double)PIE_PROB_MAX;
}

uint64_t overload_burst_left(const struct ctl_service *svc)
{
	return svc->pie.burst;
}

/* ---- autothrottle ---- */

static void throttle_start(const struct ctl_service *svc, struct ctl_backend *be,
			   const struct weir_counters *all)
{
	struct throttle_params tp;

	throttle_params_of(svc, be, &tp);
	throttle_init(&be->throttle, &tp, THROTTLE_INITIAL);
	be->throttled = true;
	be->peak_streams = 0;
	be->probe.sum_ns = be->probe.samples = 0;
	be->seen_ended = all ? all[be->id].ended_streams : 0;
}

static uint32_t backend_streams(const struct ctl *c, const struct ctl_backend *be)
{
	const struct weir_backend_counts *bc = c->loader.mm.backend_counts;

	return bc ? (uint32_t)weir_read(&bc[be->id].streams) : 0;
}

static void throttle_backend(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be,
			     const struct weir_counters *cnt, bool refused)
{
	struct throttle_sample s = { 0 };
	struct throttle_params tp;
	uint32_t before = be->throttle.limit;

	throttle_params_of(svc, be, &tp);
	s.completions = (double)(cnt->ended_streams - be->seen_ended) * NS_PER_S / tp.interval_ns;
	be->seen_ended = cnt->ended_streams;
	s.latency_ns = be->probe.samples ? be->probe.sum_ns / be->probe.samples : 0;
	s.peak = be->peak_streams;
	s.utilised = s.peak >= before || (refused && s.peak + 1 >= before);
	throttle_update(&be->throttle, &tp, &s, (uint32_t)random());
	be->probe.sum_ns = be->probe.samples = 0;
	be->peak_streams = backend_streams(c, be);
	if (be->throttle.limit != before)
		svc->dirty = true;
}

/* Every update: the autothrottle starts or stops with its option, and
 * each backend's streams are sampled for the interval's peak. */
static void throttle_sample(struct ctl *c, struct ctl_service *svc, uint64_t now)
{
	const struct weir_counters *all = NULL;
	uint64_t read_ns;
	size_t j;

	for (j = 0; j < svc->n_backends; j++) {
		struct ctl_backend *be = &svc->backends[j];
		uint32_t n;

		if (!svc->cfg.overload.capacity_limit_auto) {
			if (be->throttled)
				svc->dirty = true;
			be->throttled = false;
			continue;
		}
		if (!be->throttled) {
			all = all ?: dp_backend_counters(c, now, &read_ns);
			throttle_start(svc, be, all);
		}
		n = backend_streams(c, be);
		if (n > be->peak_streams)
			be->peak_streams = n;
	}
}

static void throttle_step(struct ctl *c, struct ctl_service *svc, uint64_t now)
{
	uint64_t reasons[WEIR_REASONS_PER_SERVICE] = { 0 }, read_ns;
	const struct weir_counters *all;
	struct throttle_params tp;
	bool refused;
	size_t j;

	if (!svc->cfg.overload.capacity_limit_auto || now < svc->next_throttle_ns)
		return;
	throttle_params_default(&tp); /* its interval is every backend's */
	svc->next_throttle_ns = now + tp.interval_ns;
	dp_read_service_reasons(c, svc->id, reasons);
	refused = reasons[WEIR_DROP_BACKEND_FULL] != svc->seen_backend_full;
	svc->seen_backend_full = reasons[WEIR_DROP_BACKEND_FULL];
	all = dp_backend_counters(c, now, &read_ns);
	for (j = 0; all && j < svc->n_backends; j++)
		if (svc->backends[j].throttled) /* started by the last update */
			throttle_backend(c, svc, &svc->backends[j], &all[svc->backends[j].id],
					 refused);
}

void overload_tick(struct ctl *c, uint64_t now)
{
	size_t i;

	for (i = 0; i < c->n_services; i++) {
		pie_off(c, &c->services[i]);
		breaker_off(&c->services[i]);
		throttle_sample(c, &c->services[i], now);
	}
}

void overload_step(struct ctl *c, uint64_t now)
{
	size_t i;

	probe_step(c, now);
	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		breaker_clock(svc, now);
		pie_step(c, svc, now);
		throttle_step(c, svc, now);
		if (svc->dirty)
			dp_sync_service(c, svc);
	}
}

uint64_t overload_next_due(const struct ctl *c)
{
	uint64_t due = probe_next_due(c);
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		const struct ctl_service *svc = &c->services[i];

		if (svc->cfg.overload.admission == WEIR_ADMISSION_PIE && svc->next_pie_ns < due)
			due = svc->next_pie_ns;
		if (svc->cfg.overload.capacity_limit_auto && svc->next_throttle_ns < due)
			due = svc->next_throttle_ns;
		for (j = 0; breaker_on(svc) && j < svc->n_backends; j++)
			if (breaker_state(&svc->backends[j].breaker) == BREAKER_OPEN &&
			    svc->backends[j].breaker.open_until_ns < due)
				due = svc->backends[j].breaker.open_until_ns;
	}
	return due;
}
