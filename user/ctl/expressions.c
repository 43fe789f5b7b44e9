// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The capacity expressions at run time. Every update the controller
 * measures each backend (streams, rates, probe delay) beside what it
 * reported, evaluates the service's expressions over its usable backends,
 * and turns them into steering: ranking into weights (lower ranks, more
 * new streams), limit into each backend's max streams, shuffle size into
 * the k best-ranked backends picked at random; scale-out and scale-in,
 * once they held long enough, are logged, counted and run the hook.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weir/counts.h"
#include "ctl/ctl.h"
#include "ctl/log.h"

#define NS_PER_S 1000000000ULL
#define RATE_WINDOW_NS NS_PER_S
#define RANK_WEIGHT_MAX 1000

static struct expr **expr_slot(struct ctl_service *svc, int which)
{
	return &svc->exprs[which];
}

static const char *expr_text(const struct ctl_service *svc, int which)
{
	const struct weir_capacity_config *c = &svc->cfg.capacity;
	const char *const texts[EXPRS_N] = { c->ranking, c->limit, c->shuffle, c->scale_out,
					     c->scale_in };

	return texts[which];
}

static const char *const expr_keys[EXPRS_N] = {
	"capacity-ranking", "capacity-limit", "shuffle-size", "scale-out", "scale-in",
};

int expressions_compile(struct ctl_service *svc)
{
	struct expr_error err;
	int which, ret;

	for (which = 0; which < EXPRS_N; which++) {
		const char *text = expr_text(svc, which);

		if (!*text)
			continue;
		ret = expr_compile(text, capacity_scope(expr_keys[which]), capacity_check_name,
				   NULL, expr_slot(svc, which), &err);
		if (ret) /* checked when the config was: only memory can fail here */
			return ret;
	}
	return 0;
}

void expressions_free(struct ctl_service *svc)
{
	int which;

	for (which = 0; which < EXPRS_N; which++) {
		expr_free(svc->exprs[which]);
		svc->exprs[which] = NULL;
	}
}

/* ---- measuring ---- */

/* Rates over the last second, from the backend's counters as read at
 * read_ns. */
static void measure_rates(struct ctl_backend *be, const struct weir_counters *all, uint64_t read_ns)
{
	const struct weir_counters *k = &all[be->id];
	double secs;

	if (read_ns - be->measured_ns < RATE_WINDOW_NS && be->measured_ns)
		return;
	secs = (double)(read_ns - be->measured_ns) / NS_PER_S;
	if (be->measured_ns && secs > 0) {
		be->rate.new_streams = (k->new_streams - be->seen.new_streams) / secs;
		be->rate.ended_streams = (k->ended_streams - be->seen.ended_streams) / secs;
		be->rate.bps = (k->bytes - be->seen.bytes) * 8 / secs;
		be->rate.pps = (k->packets - be->seen.packets) / secs;
	}
	be->seen = *k;
	be->measured_ns = read_ns;
}

static void measure_service(struct ctl *c, struct ctl_service *svc, uint64_t now)
{
	uint64_t reasons[WEIR_REASONS_PER_SERVICE] = { 0 }, refused = 0, read_ns;
	const struct weir_counters *all = dp_backend_counters(c, now, &read_ns);
	double secs = (double)(now - svc->measured_ns) / NS_PER_S;
	size_t j, r;

	for (j = 0; all && j < svc->n_backends; j++)
		measure_rates(&svc->backends[j], all, read_ns);
	if (svc->measured_ns && now - svc->measured_ns < RATE_WINDOW_NS)
		return;
	dp_read_service_reasons(c, svc->id, reasons);
	for (r = 0; r < WEIR_REASONS_PER_SERVICE; r++)
		if (WEIR_DROP_IS_REFUSAL(r))
			refused += reasons[r];
	if (svc->measured_ns && secs > 0)
		svc->refused_rate = (refused - svc->seen_refused) / secs;
	svc->seen_refused = refused;
	svc->measured_ns = now;
}

static double used_bps(const struct ctl_service *svc)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < svc->n_classes; i++)
		sum += (double)svc->classes[i].used_bps;
	return sum;
}

/* A metric weir measures (an enum capacity_metric); false when it has no
 * value (no probe answered yet). */
static bool measured_value(struct ctl *c, const struct ctl_service *svc,
			   const struct ctl_backend *be, int metric, double *v)
{
	const struct weir_backend_counts *bc = c->loader.mm.backend_counts;

	switch (metric) {
	case CAPACITY_STREAMS_ACTIVE:
		*v = bc ? (double)weir_read(&bc[be->id].streams) : 0;
		break;
	case CAPACITY_STREAMS_NEW_RATE:
		*v = be->rate.new_streams;
		break;
	case CAPACITY_STREAMS_ENDED_RATE:
		*v = be->rate.ended_streams;
		break;
	case CAPACITY_RX_BPS:
		*v = be->rate.bps;
		break;
	case CAPACITY_RX_PPS:
		*v = be->rate.pps;
		break;
	case CAPACITY_REFUSED_RATE:
		*v = svc->refused_rate;
		break;
	case CAPACITY_PROBE_LATENCY_MS:
		*v = (double)be->probe.delay_ns / 1e6;
		return be->probe.has_delay;
	case CAPACITY_ALLOCATION_USED:
		*v = used_bps(svc);
		break;
	case CAPACITY_ALLOCATION_CAPACITY:
		*v = (double)svc->cfg.capacity_rate;
		break;
	case CAPACITY_HEALTH_UP:
		*v = be->up;
		break;
	case CAPACITY_BREAKER_OPEN:
		*v = overload_breaker_open(svc, be);
		break;
	default: /* CAPACITY_WEIGHT */
		*v = be->cfg.weight;
		break;
	}
	return true;
}

/* A backend's own report, while it is fresh (the service's report-ttl). */
static bool reported_value(const struct ctl_service *svc, const struct ctl_backend *be,
			   const char *name, uint64_t now, double *v)
{
	const struct backend_metric *m = overload_fresh_metric(svc, be, name, now);

	if (m)
		*v = m->value;
	return m != NULL;
}

/* The pool's matrix for e: its usable backends' values of e's names,
 * each name looked up once for the pool, not once a cell. */
int expressions_pool(struct ctl *c, const struct ctl_service *svc, const struct expr *e,
		     const size_t *members, size_t n, uint64_t now, struct expr_pool *pool)
{
	size_t vars = expr_var_count(e), b, v;
	double *values = calloc(n * vars + 1, sizeof(double));
	unsigned char *present = calloc(n * vars + 1, 1);
	int metric[EXPR_MAX_VARS];

	if (!values || !present) {
		free(values);
		free(present);
		return -ENOMEM;
	}
	for (v = 0; v < vars; v++)
		metric[v] = capacity_metric_of(expr_var_name(e, v));
	for (b = 0; b < n; b++) {
		const struct ctl_backend *be = &svc->backends[members[b]];

		for (v = 0; v < vars; v++) {
			double *cell = &values[b * vars + v];

			present[b * vars + v] =
				metric[v] >= 0
					? measured_value(c, svc, be, metric[v], cell)
					: reported_value(svc, be, expr_var_name(e, v), now, cell);
		}
	}
	*pool = (struct expr_pool){ n, vars, values, present };
	return 0;
}

void expressions_pool_free(struct expr_pool *pool)
{
	free((void *)pool->values);
	free((void *)pool->present);
}

size_t expressions_members(const struct ctl_service *svc, size_t *members)
{
	size_t j, n = 0;

	for (j = 0; j < svc->n_backends; j++)
		if (state_backend_usable(svc, &svc->backends[j]))
			members[n++] = j;
	return n;
}

/* ---- ranking, limit, shuffle ---- */

static void log_eval_error(struct ctl_service *svc, const struct ctl_backend *be, int which,
			   const struct expr_error *err, uint64_t now)
{
	char addr[WEIR_ADDR_STRLEN];

	if (now - svc->expr_warned_ns < 10 * NS_PER_S && svc->expr_warned_ns)
		return;
	svc->expr_warned_ns = now;
	pr_warn("service %s: %s: %s%s%s\n", svc->cfg.name, expr_keys[which],
		be ? units_format_addr(&be->cfg.addr, addr, sizeof(addr)) : "", be ? ": " : "",
		err->message);
}

/* Ranks to weights: inversely proportional, the best at RANK_WEIGHT_MAX.
 * Ranks below 1 are shifted up together so the lowest is 1 (a rank of 0
 * is an idle backend, not an infinitely good one). A backend whose rank
 * could not be evaluated ranks as the worst. */
static void rank_weights(struct ctl_service *svc, const size_t *members, size_t n)
{
	double lo = INFINITY, hi = -INFINITY, shift = 0, r;
	size_t b;

	for (b = 0; b < n; b++) {
		const struct ctl_backend *be = &svc->backends[members[b]];

		if (be->rank_ok) {
			lo = fmin(lo, be->rank);
			hi = fmax(hi, be->rank);
		}
	}
	if (lo == INFINITY)
		return; /* nothing evaluated: the weights stay as configured */
	shift = lo < 1 ? 1 - lo : 0;
	for (b = 0; b < n; b++) {
		struct ctl_backend *be = &svc->backends[members[b]];

		r = (be->rank_ok ? be->rank : hi) + shift;
		be->rank_weight = (uint32_t)fmax(1, round(RANK_WEIGHT_MAX * (lo + shift) / r));
	}
}

struct backend_eval {
	struct ctl_service *svc;
	const size_t *members;
	int which;
	uint64_t now;
};

static void take_value(void *ctx, size_t b, int ret, double v, const struct expr_error *err)
{
	const struct backend_eval *x = ctx;
	struct ctl_backend *be = &x->svc->backends[x->members[b]];

	if (ret)
		log_eval_error(x->svc, be, x->which, err, x->now);
	if (x->which == EXPR_RANKING) {
		be->rank_ok = !ret;
		be->rank = ret ? 0 : v;
	} else {
		be->limit_ok = !ret;
		be->limit = ret ? 0 : (uint32_t)fmin(fmax(floor(v), 0), UINT32_MAX);
	}
}

static void eval_per_backend(struct ctl *c, struct ctl_service *svc, int which,
			     const size_t *members, size_t n, uint64_t now)
{
	struct backend_eval x = { svc, members, which, now };
	const struct expr *e = svc->exprs[which];
	struct expr_pool pool;

	if (!e || expressions_pool(c, svc, e, members, n, now, &pool))
		return;
	expr_eval_each(e, &pool, take_value, &x);
	expressions_pool_free(&pool);
}

static int eval_pool(struct ctl *c, struct ctl_service *svc, int which, const size_t *members,
		     size_t n, uint64_t now, double *v)
{
	struct expr_error err;
	struct expr_pool pool;
	int ret;

	if (!svc->exprs[which])
		return -ENOENT;
	ret = expressions_pool(c, svc, svc->exprs[which], members, n, now, &pool);
	if (ret)
		return ret;
	ret = expr_eval(svc->exprs[which], &pool, 0, v, &err);
	if (ret)
		log_eval_error(svc, NULL, which, &err, now);
	expressions_pool_free(&pool);
	return ret;
}

/* ---- scale-out, scale-in ---- */

static void run_hook(struct ctl_service *svc, const char *direction, size_t usable,
		     uint64_t held_ns)
{
	char env[7][WEIR_EXPR_TEXT + 32];
	uint64_t streams = 0;
	size_t j;
	pid_t pid;

	for (j = 0; j < svc->n_backends; j++)
		streams += svc->backends[j].active_streams;
	if (!*svc->cfg.capacity.scale_hook)
		return;
	if (svc->hook_pid > 0 && waitpid(svc->hook_pid, NULL, WNOHANG) == 0) {
		pr_warn("service %s: scale hook still running (pid %d): not run again\n",
			svc->cfg.name, (int)svc->hook_pid);
		return;
	}
	snprintf(env[0], sizeof(env[0]), "WEIR_SERVICE=%s", svc->cfg.name);
	snprintf(env[1], sizeof(env[1]), "WEIR_SCALE=%s", direction);
	snprintf(env[2], sizeof(env[2]), "WEIR_EXPRESSION=%s",
		 !strcmp(direction, "out") ? svc->cfg.capacity.scale_out
					   : svc->cfg.capacity.scale_in);
	snprintf(env[3], sizeof(env[3]), "WEIR_BACKENDS=%zu", svc->n_backends);
	snprintf(env[4], sizeof(env[4]), "WEIR_USABLE=%zu", usable);
	snprintf(env[5], sizeof(env[5]), "WEIR_STREAMS=%llu", (unsigned long long)streams);
	snprintf(env[6], sizeof(env[6]), "WEIR_HELD_MS=%llu",
		 (unsigned long long)(held_ns / 1000000));
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { "sh", "-c", svc->cfg.capacity.scale_hook, NULL };
		char *const envp[] = {
			env[0], env[1],
			env[2], env[3],
			env[4], env[5],
			env[6], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			NULL
		};

		signal(SIGPIPE, SIG_DFL);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	if (pid < 0)
		pr_warn("service %s: scale hook not started: %s\n", svc->cfg.name, strerror(errno));
	svc->hook_pid = pid;
}

static void scale_check(struct ctl *c, struct ctl_service *svc, int which, const size_t *members,
			size_t n, uint64_t now)
{
	const struct weir_capacity_config *cap = &svc->cfg.capacity;
	int dir = which == EXPR_SCALE_OUT ? 0 : 1;
	double v = 0;

	if (eval_pool(c, svc, which, members, n, now, &v) || v == 0) {
		svc->scale[dir].since_ns = 0;
		return;
	}
	if (!svc->scale[dir].since_ns)
		svc->scale[dir].since_ns = now;
	if (now - svc->scale[dir].since_ns < cap->scale_for_ns ||
	    (svc->scale[dir].fired_ns && now - svc->scale[dir].fired_ns < cap->scale_cooldown_ns))
		return;
	svc->scale[dir].fired_ns = now;
	svc->scale[dir].count++;
	pr_warn("service %s: scale-%s: %s held for %llu ms (%zu usable backends)\n", svc->cfg.name,
		dir ? "in" : "out", expr_text(svc, which),
		(unsigned long long)((now - svc->scale[dir].since_ns) / 1000000), n);
	run_hook(svc, dir ? "in" : "out", n, now - svc->scale[dir].since_ns);
	svc->scale[dir].since_ns = 0;
}

/* ---- every update ---- */

static bool any_expression(const struct ctl_service *svc)
{
	int which;

	for (which = 0; which < EXPRS_N; which++)
		if (svc->exprs[which])
			return true;
	return false;
}

/* What steering takes from the expressions, per backend: when any of it
 * changes, the slot table is rebuilt. */
struct steering_view {
	uint32_t rank_weight, limit;
	bool limit_ok;
};

static void steering_view(const struct ctl_service *svc, struct steering_view *v)
{
	size_t j;

	for (j = 0; j < svc->n_backends; j++)
		v[j] = (struct steering_view){ .rank_weight = svc->backends[j].rank_weight,
					       .limit = svc->backends[j].limit,
					       .limit_ok = svc->backends[j].limit_ok };
}

static bool steering_changed(const struct ctl_service *svc, const struct steering_view *before)
{
	size_t j;

	for (j = 0; j < svc->n_backends; j++)
		if (svc->backends[j].rank_weight != before[j].rank_weight ||
		    svc->backends[j].limit_ok != before[j].limit_ok ||
		    (before[j].limit_ok && svc->backends[j].limit != before[j].limit))
			return true;
	return false;
}

static void service_step(struct ctl *c, struct ctl_service *svc, uint64_t now)
{
	static size_t members[WEIR_MAX_SLOTS];
	static struct steering_view before[WEIR_MAX_SLOTS];
	size_t n = expressions_members(svc, members);
	uint32_t shuffle_before = svc->shuffle_k;
	double k;

	steering_view(svc, before);

	measure_service(c, svc, now);
	eval_per_backend(c, svc, EXPR_RANKING, members, n, now);
	rank_weights(svc, members, n);
	eval_per_backend(c, svc, EXPR_LIMIT, members, n, now);
	svc->shuffle_k = 0;
	if (!eval_pool(c, svc, EXPR_SHUFFLE, members, n, now, &k) && k >= 1)
		svc->shuffle_k = (uint32_t)fmin(round(k), WEIR_MAX_SLOTS);
	scale_check(c, svc, EXPR_SCALE_OUT, members, n, now);
	scale_check(c, svc, EXPR_SCALE_IN, members, n, now);
	if (svc->shuffle_k != shuffle_before || steering_changed(svc, before))
		svc->dirty = true;
}

void expressions_step(struct ctl *c, uint64_t now)
{
	size_t i;

	for (i = 0; i < c->n_services; i++)
		if (any_expression(&c->services[i]))
			service_step(c, &c->services[i], now);
}

/* Drops entry i of the parallel arrays, keeping their order. */
static size_t drop_entry(uint32_t *weights, uint32_t *index, size_t n, size_t i)
{
	memmove(&weights[i], &weights[i + 1], (n - i - 1) * sizeof(*weights));
	memmove(&index[i], &index[i + 1], (n - i - 1) * sizeof(*index));
	return n - 1;
}

/* The k best-ranked (highest rank weight) stay, each weight 1. */
static size_t keep_best(const struct ctl_service *svc, uint32_t *weights, uint32_t *index, size_t n,
			size_t k)
{
	while (n > k) {
		size_t worst = 0, i;

		for (i = 1; i < n; i++)
			if (svc->backends[index[i]].rank_weight <
			    svc->backends[index[worst]].rank_weight)
				worst = i;
		n = drop_entry(weights, index, n, worst);
	}
	for (size_t i = 0; i < n; i++)
		weights[i] = 1;
	return n;
}

/* The lowest rank weight of the backends ranked so far: what one not yet
 * ranked (added, or usable again, since the last tick) gets, as
 * rank_weights() gives one whose ranking failed. 0: none ranked. */
static uint32_t lowest_rank_weight(const struct ctl_service *svc, const uint32_t *index, size_t n)
{
	uint32_t lowest = 0, w;
	size_t i;

	for (i = 0; i < n; i++) {
		w = svc->backends[index[i]].rank_weight;
		if (w && (!lowest || w < lowest))
			lowest = w;
	}
	return lowest;
}

size_t expressions_steer(const struct ctl_service *svc, uint32_t *weights, uint32_t *index,
			 size_t n)
{
	uint32_t unranked = svc->exprs[EXPR_RANKING] ? lowest_rank_weight(svc, index, n) : 0;
	size_t i = 0;

	while (i < n) {
		const struct ctl_backend *be = &svc->backends[index[i]];

		/* a limit of 0 takes no new stream: out of the table */
		if (svc->exprs[EXPR_LIMIT] && be->limit_ok && be->limit == 0) {
			n = drop_entry(weights, index, n, i);
			continue;
		}
		if (svc->exprs[EXPR_RANKING])
			weights[i] *= be->rank_weight ? be->rank_weight : unranked ? unranked : 1;
		i++;
	}
	if (svc->shuffle_k && svc->exprs[EXPR_RANKING])
		n = keep_best(svc, weights, index, n, svc->shuffle_k);
	return n;
}
