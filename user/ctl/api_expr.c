// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir expr check EXPR [--service NAME]`: compiles an expression as the
 * capacity keys do and, against a service's live metrics, evaluates it
 * for each usable backend and, when it reads names only inside
 * aggregates, for the pool. The capacity expressions' state is part of
 * `service show`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl/api.h"
#include "ctl/ctl.h"

static json_object *names_json(const struct expr *e)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < expr_var_count(e); i++)
		json_object_array_add(arr, json_object_new_string(expr_var_name(e, i)));
	return arr;
}

struct values_of {
	const struct ctl_service *svc;
	const size_t *members;
	json_object *arr;
};

static void add_value(void *ctx, size_t b, int ret, double v, const struct expr_error *err)
{
	const struct values_of *x = ctx;
	json_object *o = json_object_new_object();
	char addr[WEIR_ADDR_STRLEN];

	add_str(o, "addr",
		units_format_addr(&x->svc->backends[x->members[b]].cfg.addr, addr, sizeof(addr)));
	if (ret)
		add_str(o, "error", err->message);
	else
		json_object_object_add(o, "value", json_object_new_double(v));
	json_object_array_add(x->arr, o);
}

static json_object *backend_values(struct ctl *c, const struct ctl_service *svc,
				   const struct expr *e, const size_t *members, size_t n)
{
	struct values_of x = { svc, members, json_object_new_array() };
	struct expr_pool pool;

	if (expressions_pool(c, svc, e, members, n, ctl_now_ns(), &pool))
		return x.arr;
	expr_eval_each(e, &pool, add_value, &x);
	expressions_pool_free(&pool);
	return x.arr;
}

/* The pool's value, when the expression is one of the pool's. */
static void pool_value(struct ctl *c, const struct ctl_service *svc, const char *text,
		       const size_t *members, size_t n, json_object *out)
{
	struct expr_error err;
	struct expr_pool pool;
	struct expr *e = NULL;
	double v;

	if (expr_compile(text, EXPR_POOL, capacity_check_name, NULL, &e, &err)) {
		add_str(out, "pool_error", err.message);
		return;
	}
	if (!expressions_pool(c, svc, e, members, n, ctl_now_ns(), &pool)) {
		if (expr_eval(e, &pool, 0, &v, &err))
			add_str(out, "pool_error", err.message);
		else
			json_object_object_add(out, "pool", json_object_new_double(v));
		expressions_pool_free(&pool);
	}
	expr_free(e);
}

int cmd_expr_check(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *text = arg_required(args, "expr", err), *name = api_arg(args, "service");
	static const struct ctl_service none;
	const struct ctl_service *svc = &none;
	static size_t members[WEIR_MAX_SLOTS];
	struct expr_error e_err;
	struct expr *e = NULL;
	size_t n;

	if (!text)
		return -EINVAL;
	if (name && !(svc = state_find_service(c, name)))
		return api_error(err, "service %s: no such service", name);
	if (expr_compile(text, EXPR_BACKEND, capacity_check_name, NULL, &e, &e_err))
		return api_error(err, "%s", e_err.message);
	n = expressions_members(svc, members);
	*out = json_object_new_object();
	add_str(*out, "expr", text);
	json_object_object_add(*out, "names", names_json(e));
	if (name)
		json_object_object_add(*out, "backends", backend_values(c, svc, e, members, n));
	pool_value(c, svc, text, members, n, *out);
	expr_free(e);
	return 0;
}

json_object *capacity_json(const struct ctl_service *svc)
{
	const struct weir_capacity_config *cap = &svc->cfg.capacity;
	json_object *o = json_object_new_object();
	char buf[32];

	add_str(o, "ranking", *cap->ranking ? cap->ranking : "none");
	add_str(o, "limit",
		capacity_format(cap, &svc->cfg.overload, "capacity-limit", buf, sizeof(buf)));
	add_str(o, "shuffle", *cap->shuffle ? cap->shuffle : "none");
	json_object_object_add(o, "shuffle_k", json_object_new_int64(svc->shuffle_k));
	add_str(o, "scale_out", *cap->scale_out ? cap->scale_out : "none");
	add_str(o, "scale_in", *cap->scale_in ? cap->scale_in : "none");
	json_object_object_add(o, "scale_out_fired", json_object_new_uint64(svc->scale[0].count));
	json_object_object_add(o, "scale_in_fired", json_object_new_uint64(svc->scale[1].count));
	json_object_object_add(o, "refused_rate", json_object_new_double(svc->refused_rate));
	return o;
}

void backend_capacity_json(const struct ctl_service *svc, const struct ctl_backend *be,
			   json_object *o)
{
	if (svc->exprs[EXPR_RANKING]) {
		json_object_object_add(o, "rank",
				       be->rank_ok ? json_object_new_double(be->rank) : NULL);
		json_object_object_add(o, "rank_weight", json_object_new_int64(be->rank_weight));
	}
	if (svc->exprs[EXPR_LIMIT])
		json_object_object_add(o, "expr_limit",
				       be->limit_ok ? json_object_new_int64(be->limit) : NULL);
	json_object_object_add(o, "new_rate", json_object_new_double(be->rate.new_streams));
	json_object_object_add(o, "rx_bps", json_object_new_double(be->rate.bps));
}
