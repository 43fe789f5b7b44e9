// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket's view of overload control: a service's PIE
 * probability, delay and burst allowance left; a backend's breaker, probe
 * and autothrottle limit; and `backend report`, by which backends tell
 * their queue and dequeue rate.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl/api.h"
#include "ctl/ctl.h"

static double ms_of(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void add_ms(json_object *o, const char *key, uint64_t ns)
{
	char text[32];

	/* three decimals: microseconds, what a probe can tell apart */
	snprintf(text, sizeof(text), "%.3f", ms_of(ns));
	json_object_object_add(o, key, json_object_new_double_s(ms_of(ns), text));
}

/* With the service's refusals by reason as its caller read them, so a
 * page that also shows them reads them once. */
json_object *overload_json(const struct ctl_service *svc, const uint64_t *reasons)
{
	const struct weir_overload_config *ov = &svc->cfg.overload;
	json_object *o = json_object_new_object();
	char buf[WEIR_PROBE_PATH_MAX + 8];
	bool pie = ov->admission == WEIR_ADMISSION_PIE;

	add_str(o, "admission", overload_admission_name(ov->admission));
	json_object_object_add(o, "p", json_object_new_double(pie ? overload_refuse_p(svc) : 0));
	add_ms(o, "delay_ms", pie ? svc->delay_ns : 0);
	add_ms(o, "delay_target_ms", ov->delay_target_ns);
	json_object_object_add(o, "delay_backends", json_object_new_int(svc->delay_backends));
	add_ms(o, "burst_left_ms", pie ? overload_burst_left(svc) : 0);
	add_str(o, "delay_source", overload_format(ov, "delay-source", buf, sizeof(buf)));
	add_str(o, "probe", overload_probe_name(ov, buf, sizeof(buf)));
	add_str(o, "capacity_limit", ov->capacity_limit_auto ? "auto" : "none");
	json_object_object_add(o, "pie_refused", json_object_new_uint64(reasons[WEIR_DROP_PIE]));
	return o;
}

void backend_overload_json(const struct ctl_service *svc, const struct ctl_backend *be,
			   json_object *o)
{
	const struct ctl_probe *p = &be->probe;
	json_object *m = json_object_new_object();
	size_t i;

	add_str(o, "breaker",
		overload_probes(&svc->cfg.overload) && svc->cfg.overload.breaker
			? breaker_state_name(breaker_state(&be->breaker))
			: "off");
	json_object_object_add(o, "breaker_trips", json_object_new_uint64(be->breaker.trips));
	json_object_object_add(o, "breaker_closed",
			       json_object_new_uint64(be->breaker_events[BREAKER_EV_CLOSED]));
	if (p->has_delay)
		add_ms(o, "probe_delay_ms", p->delay_ns);
	else
		json_object_object_add(o, "probe_delay_ms", NULL);
	json_object_object_add(o, "probes", json_object_new_uint64(p->sent));
	json_object_object_add(o, "probes_failed", json_object_new_uint64(p->failed));
	json_object_object_add(o, "limit", json_object_new_uint64(overload_max_streams(svc, be)));
	json_object_object_add(o, "autothrottle", json_object_new_boolean(be->throttled));
	for (i = 0; i < be->n_metrics; i++)
		json_object_object_add(m, be->metrics[i].name,
				       json_object_new_double(be->metrics[i].value));
	json_object_object_add(o, "reported", m);
}

/* As expressions name them: parts of letters, digits and '_' joined by
 * single dots, not starting with a digit; none of weir's own names. */
static bool metric_name_ok(const char *s)
{
	char why[8];
	size_t i;

	if (!*s || strlen(s) >= BACKEND_METRIC_NAME_MAX || isdigit((unsigned char)*s) || *s == '.')
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] == '.' && (s[i + 1] == '.' || !s[i + 1]))
			return false;
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	}
	return !capacity_is_measured(s) && !capacity_check_name(s, NULL, why, sizeof(why));
}

/* A finite number >= 0, from a string or a JSON number. */
static int metric_value(json_object *v, double *out)
{
	const char *s;
	char *end;

	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		*out = json_object_get_double(v);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		errno = 0;
		*out = strtod(s, &end);
		if (end == s || *end || errno)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return isfinite(*out) && *out >= 0 ? 0 : -EINVAL;
}

/* Every pair is checked before any is stored: a bad report changes nothing. */
static int check_report(json_object *args, char *err, size_t *n)
{
	double v;

	*n = 0;
	json_object_object_foreach(args, key, val)
	{
		if (!strcmp(key, "service") || !strcmp(key, "addr"))
			continue;
		if (!metric_name_ok(key))
			return api_error(
				err,
				"report: '%.40s' is not a name of the backend's own (letters, "
				"digits, _ and inner dots, 1-31; not one of weir's metrics)",
				key);
		if (metric_value(val, &v))
			return api_error(err, "report: %s: '%.40s' is not a number >= 0", key,
					 json_object_get_string(val));
		(*n)++;
	}
	if (!*n)
		return api_error(err, "report: no NAME=VALUE given (like queue=12 "
				      "dequeue_rate=200)");
	return 0;
}

static int report_fits(const struct ctl_backend *be, json_object *args)
{
	size_t i, fresh = 0;

	json_object_object_foreach(args, key, val)
	{
		(void)val;
		for (i = 0; i < be->n_metrics; i++)
			if (!strcmp(be->metrics[i].name, key))
				break;
		fresh += i == be->n_metrics && strcmp(key, "service") && strcmp(key, "addr");
	}
	return be->n_metrics + fresh <= BACKEND_METRICS_MAX;
}

int cmd_backend_report(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = arg_required(args, "service", err), *addr;
	struct ctl_backend *be = NULL;
	struct ctl_service *svc;
	struct weir_addr parsed;
	uint64_t now = ctl_now_ns();
	size_t n;
	double v;

	(void)out;
	if (!name || !(addr = arg_required(args, "addr", err)))
		return -EINVAL;
	svc = state_find_service(c, name);
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	if (!units_parse_addr(addr, &parsed))
		be = state_find_backend(svc, &parsed);
	if (!be)
		return api_error(err, "service %s: backend %s: no such backend", name, addr);
	if (check_report(args, err, &n))
		return -EINVAL;
	if (!report_fits(be, args))
		return api_error(err, "service %s: backend %s: at most %d reported names", name,
				 addr, BACKEND_METRICS_MAX);
	json_object_object_foreach(args, key, val)
	{
		if (strcmp(key, "service") && strcmp(key, "addr") && !metric_value(val, &v))
			overload_report(svc, be, key, v, now);
	}
	return 0;
}
