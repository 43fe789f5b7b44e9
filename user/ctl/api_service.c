// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket's service, backend and class commands: edits of a
 * copy of the desired state, applied all or nothing, and their views.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/array.h"
#include "ctl/api.h"
#include "ctl/ctl.h"

static void add_rate(json_object *o, const char *key, uint64_t bps);
static void add_rate_text(json_object *o, const char *key, uint64_t bps);

/* The index of svc's backend at addr, or -1. */
static int backend_index(const struct weir_service_config *svc, const struct weir_addr *addr)
{
	size_t i;

	for (i = 0; i < svc->n_backends; i++)
		if (units_addr_equal(&svc->backends[i].addr, addr))
			return (int)i;
	return -1;
}

static int find_backend_arg(struct weir_service_config *svc, json_object *args, char *err)
{
	const char *text = arg_required(args, "addr", err);
	struct weir_addr addr;
	int i;

	if (!text)
		return -EINVAL;
	if (units_parse_addr(text, &addr))
		return api_error(err, "backend %s: not an IPv4 or IPv6 address", text);
	i = backend_index(svc, &addr);
	if (i >= 0)
		return i;
	snprintf(err, ERR_LEN, "service %s: backend %s: no such backend", svc->name, text);
	return -ENOENT;
}

/* --health tcp|none and --health-port: the socket's flat spelling of the
 * file's health mapping. */
static int service_health(struct weir_service_config *s, const char *key, const char *v, char *why,
			  size_t len)
{
	if (!strcmp(key, "health-port"))
		return config_health_set(&s->health, "port", v, why, len);
	if (strcmp(key, "health"))
		return -ENOENT;
	if (strcmp(v, "tcp") && strcmp(v, "none")) {
		snprintf(why, len, "%.64s is not tcp or none", v);
		return -EINVAL;
	}
	s->health.enabled = !strcmp(v, "tcp");
	return 0;
}

bool api_service_option(const char *key)
{
	return config_service_option(key) || !strcmp(key, "health") || !strcmp(key, "health-port");
}

static int service_required(struct weir_service_config *s, json_object *args, char *err)
{
	const char *name = arg_required(args, "name", err), *vip, *port, *proto;
	uint8_t proto_num;

	if (!name || !(vip = arg_required(args, "vip", err)) ||
	    !(port = arg_required(args, "port", err)) ||
	    !(proto = arg_required(args, "proto", err)))
		return -EINVAL;
	if (config_check_name(name))
		return api_error(err, "service %s: a name is 1-31 of A-Z a-z 0-9 _ . -", name);
	if (units_parse_proto(proto, &proto_num))
		return api_error(err, "service %s: --proto: '%s' is not tcp or udp", name, proto);
	config_service_init(s, proto_num);
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (units_parse_addr(vip, &s->vip))
		return api_error(err, "service %s: --vip: '%s' is not an IPv4 or IPv6 address",
				 name, vip);
	if (units_parse_port(port, &s->port))
		return api_error(err, "service %s: --port: '%s' is not a port (1-65535)", name,
				 port);
	return 0;
}

/* The options, by the same keys and table as the file (core/config.c);
 * the other arguments are the key of the service, service_required()'s. */
static int service_optional(struct weir_service_config *s, json_object *args, char *err)
{
	char why[ERR_LEN];
	int ret;

	if (!args)
		return 0;
	json_object_object_foreach(args, key, value)
	{
		const char *v = json_object_get_string(value);

		ret = service_health(s, key, v, why, sizeof(why));
		if (ret == -ENOENT)
			ret = config_service_set(s, key, v, why, sizeof(why));
		if (ret && ret != -ENOENT)
			return api_error(err, "service %s: --%s: %s", s->name, key, why);
	}
	return 0;
}

int edit_service_add(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config s = {}, *slot;
	int ret = service_required(&s, args, err);

	if (!ret)
		ret = service_optional(&s, args, err);
	if (ret)
		return ret;
	if (state_config_service(cfg, s.name))
		return api_error(err, "service %s: exists already", s.name);
	slot = array_push(&cfg->services, &cfg->n_services, sizeof(*slot));
	if (!slot)
		return api_error(err, "out of memory");
	*slot = s;
	return 0;
}

/* Any option of add but the key (vip, port, proto); the running streams
 * keep their classes, new ones get the new parameters. */
int edit_service_set(struct weir_config *cfg, json_object *args, char *err)
{
	const char *name = arg_required(args, "name", err);
	struct weir_service_config *svc = name ? state_config_service(cfg, name) : NULL;

	if (!name)
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	return service_optional(svc, args, err);
}

static int set_service_paused(struct weir_config *cfg, json_object *args, char *err, bool paused)
{
	const char *name = arg_required(args, "name", err);
	struct weir_service_config *svc = name ? state_config_service(cfg, name) : NULL;

	if (!name)
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	svc->paused = paused;
	return 0;
}

int edit_service_pause(struct weir_config *cfg, json_object *args, char *err)
{
	return set_service_paused(cfg, args, err, true);
}

int edit_service_resume(struct weir_config *cfg, json_object *args, char *err)
{
	return set_service_paused(cfg, args, err, false);
}

int edit_service_del(struct weir_config *cfg, json_object *args, char *err)
{
	const char *name = arg_required(args, "name", err);
	struct weir_service_config *svc = name ? state_config_service(cfg, name) : NULL;
	size_t i;

	if (!name)
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	i = svc - cfg->services;
	config_service_free(svc);
	array_remove(cfg->services, &cfg->n_services, sizeof(*svc), i);
	return 0;
}

static int backend_options(struct weir_service_config *svc, struct weir_backend_config *be,
			   json_object *args, char *err)
{
	const char *weight = api_arg(args, "weight"), *mac = api_arg(args, "mac");
	const char *max = api_arg(args, "max-streams"), *standby = api_arg(args, "standby");
	char addr[WEIR_ADDR_STRLEN];

	units_format_addr(&be->addr, addr, sizeof(addr));
	/* the CLI's --standby flag sends "true" */
	if (standby && units_parse_bool(standby, &be->standby))
		return api_error(err, "service %s: backend %s: --standby takes no value", svc->name,
				 addr);
	if (max && units_parse_u32(max, 0, UINT32_MAX, &be->max_streams))
		return api_error(err,
				 "service %s: backend %s: --max-streams: '%s' is not a number of "
				 "streams (0: no limit)",
				 svc->name, addr, max);
	if (weight && units_parse_u32(weight, 0, 65535, &be->weight)) {
		return api_error(err, "service %s: backend %s: --weight: '%s' is not 0-65535",
				 svc->name, addr, weight);
	}
	if (mac && units_parse_mac(mac, be->mac)) {
		return api_error(err, "service %s: backend %s: --mac: '%s' is not a MAC address",
				 svc->name, addr, mac);
	}
	be->has_mac = mac != NULL;
	return 0;
}

int edit_backend_add(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	struct weir_backend_config be, *slot;
	const char *text;
	int ret;

	if (!svc || !(text = arg_required(args, "addr", err)))
		return -EINVAL;
	config_backend_init(&be);
	if (units_parse_addr(text, &be.addr))
		return api_error(err, "backend %s: not an IPv4 or IPv6 address", text);
	if (backend_index(svc, &be.addr) >= 0)
		return api_error(err, "service %s: backend %s: exists already", svc->name, text);
	ret = backend_options(svc, &be, args, err);
	if (ret)
		return ret;
	slot = array_push(&svc->backends, &svc->n_backends, sizeof(*slot));
	if (!slot)
		return api_error(err, "out of memory");
	*slot = be;
	return 0;
}

int edit_backend_del(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	int i = svc ? find_backend_arg(svc, args, err) : -EINVAL;

	if (i < 0)
		return i;
	array_remove(svc->backends, &svc->n_backends, sizeof(svc->backends[0]), (size_t)i);
	return 0;
}

static int set_backend_paused(struct weir_config *cfg, json_object *args, char *err, bool paused)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	int i = svc ? find_backend_arg(svc, args, err) : -EINVAL;

	if (i < 0)
		return i;
	svc->backends[i].paused = paused;
	return 0;
}

int edit_backend_pause(struct weir_config *cfg, json_object *args, char *err)
{
	return set_backend_paused(cfg, args, err, true);
}

int edit_backend_resume(struct weir_config *cfg, json_object *args, char *err)
{
	return set_backend_paused(cfg, args, err, false);
}

json_object *backend_json(struct ctl *c, const struct ctl_service *svc,
			  const struct ctl_backend *be)
{
	json_object *o = json_object_new_object();
	char buf[WEIR_ADDR_STRLEN];
	struct weir_counters k;

	add_str(o, "service", svc->cfg.name);
	add_str(o, "addr", units_format_addr(&be->cfg.addr, buf, sizeof(buf)));
	add_str(o, "mac", be->mac_known ? units_format_mac(be->mac, buf, sizeof(buf)) : "");
	json_object_object_add(o, "weight", json_object_new_int64(be->cfg.weight));
	json_object_object_add(o, "max_streams", json_object_new_int64(be->cfg.max_streams));
	json_object_object_add(
		o, "pinned_streams",
		json_object_new_uint64(c->loader.mm.backend_counts
					       ? c->loader.mm.backend_counts[be->id].streams
					       : 0));
	add_str(o, "status", state_backend_status(svc, be));
	json_object_object_add(o, "health_up", json_object_new_boolean(be->up));
	json_object_object_add(o, "usable", json_object_new_boolean(state_backend_usable(svc, be)));
	json_object_object_add(o, "standby", json_object_new_boolean(be->cfg.standby));
	json_object_object_add(
		o, "slow_start_left_ms",
		json_object_new_uint64(lifecycle_ramp_left(svc, be, ctl_now_ns()) / 1000000));
	json_object_object_add(o, "id", json_object_new_int64(be->id));
	json_object_object_add(o, "streams", json_object_new_uint64(be->active_streams));
	backend_overload_json(svc, be, o);
	backend_capacity_json(svc, be, o);
	dp_read_counters(c, c->loader.maps.backend_stats, be->id, &k);
	return counters_json(o, &k);
}

/* Refusals of the service by reason (counts), those that happened. */
static json_object *refused_by_json(const uint64_t *counts)
{
	static const char *const names[] = WEIR_DROP_NAMES;
	json_object *o = json_object_new_object();
	uint32_t r;

	for (r = 1; r < WEIR_DROP_MAX; r++)
		if (WEIR_DROP_IS_REFUSAL(r) || counts[r])
			json_object_object_add(o, names[r], json_object_new_uint64(counts[r]));
	return o;
}

/* Capacity used and total, the stream defaults and what admission did
 * (sum: its classes' stats; reasons: its refusals). */
static void admission_json(struct ctl *c, const struct ctl_service *svc,
			   const struct weir_class_stats *sum, const uint64_t *reasons,
			   json_object *o)
{
	const struct weir_service_config *s = &svc->cfg;
	const struct weir_service_counts *sc =
		c->loader.mm.service_counts ? &c->loader.mm.service_counts[svc->id] : NULL;
	char buf[32];

	json_object_object_add(o, "capacity_streams", json_object_new_uint64(s->capacity_streams));
	add_rate(o, "capacity_rate_bps", s->capacity_rate);
	add_str(o, "capacity_rate",
		s->capacity_rate ? units_format_rate(s->capacity_rate, buf, sizeof(buf)) : "-");
	json_object_object_add(o, "admitted_streams", json_object_new_uint64(sc ? sc->streams : 0));
	add_rate(o, "committed_bps", sc ? sc->committed_bps : 0);
	add_rate_text(o, "stream_min", s->stream_min);
	add_rate_text(o, "stream_max", s->stream_max ? s->stream_max : UINT64_MAX);
	json_object_object_add(o, "priority", json_object_new_int(s->priority));
	add_str(o, "share", config_share_name(s->share));
	json_object_object_add(o, "preempt", json_object_new_boolean(s->preempt));
	json_object_object_add(o, "burst", json_object_new_boolean(s->burst));
	add_str(o, "pause_after", units_format_duration(s->pause_after_ns, buf, sizeof(buf)));
	json_object_object_add(o, "admitted", json_object_new_uint64(sum->admitted));
	json_object_object_add(o, "policed_packets", json_object_new_uint64(sum->policed_packets));
	json_object_object_add(o, "preempted", json_object_new_uint64(sum->preempted));
	json_object_object_add(o, "resumed", json_object_new_uint64(sum->resumed));
	json_object_object_add(o, "refused_by", refused_by_json(reasons));
}

/* A service's packets and bytes (IP bytes) are its classes' (sum): the
 * data plane counts them once a packet, on the class. */
static void service_traffic(const struct ctl_service *svc, const struct weir_class_stats *sum,
			    struct weir_counters *k)
{
	k->packets = svc->retired_packets + sum->packets;
	k->bytes = svc->retired_bytes + sum->bytes;
}

json_object *service_json(struct ctl *c, const struct ctl_service *svc)
{
	const struct weir_service_config *s = &svc->cfg;
	uint64_t reasons[WEIR_REASONS_PER_SERVICE] = { 0 };
	json_object *o = json_object_new_object();
	char buf[WEIR_ADDR_STRLEN];
	struct weir_class_stats sum;
	struct weir_counters k;
	size_t i, usable = 0;

	for (i = 0; i < svc->n_backends; i++)
		usable += state_backend_usable(svc, &svc->backends[i]);
	add_str(o, "name", s->name);
	add_str(o, "vip", units_format_addr(&s->vip, buf, sizeof(buf)));
	json_object_object_add(o, "port", json_object_new_int(s->port));
	add_str(o, "proto", units_proto_name(s->proto));
	add_str(o, "steering", config_steering_name(s->steering));
	add_str(o, "forwarding", config_forwarding_name(s->forwarding));
	add_str(o, "refuse", config_refuse_name(s->refuse));
	add_str(o, "idle_timeout", units_format_duration(s->idle_timeout_ns, buf, sizeof(buf)));
	add_str(o, "health", s->health.enabled ? "tcp" : "none");
	json_object_object_add(o, "paused", json_object_new_boolean(s->paused));
	json_object_object_add(o, "id", json_object_new_int64(svc->id));
	json_object_object_add(o, "backends", json_object_new_int64(svc->n_backends));
	json_object_object_add(o, "usable", json_object_new_int64(usable));
	json_object_object_add(o, "streams", json_object_new_uint64(svc->active_streams));
	dp_read_service_reasons(c, svc->id, reasons);
	classes_service_stats(c, svc, &sum);
	admission_json(c, svc, &sum, reasons, o);
	json_object_object_add(o, "overload", overload_json(svc, reasons));
	json_object_object_add(o, "capacity", capacity_json(svc));
	dp_read_counters(c, c->loader.maps.service_stats, svc->id, &k);
	service_traffic(svc, &sum, &k);
	return counters_json(o, &k);
}

static json_object *backends_json(struct ctl *c, const struct ctl_service *svc)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < svc->n_backends; i++)
		json_object_array_add(arr, backend_json(c, svc, &svc->backends[i]));
	return arr;
}

int cmd_service_show(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = arg_required(args, "name", err);
	struct ctl_service *svc = name ? state_find_service(c, name) : NULL;

	if (!name)
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	*out = service_json(c, svc);
	json_object_object_add(*out, "class_list", classes_json(c, svc));
	json_object_object_add(*out, "backend_list", backends_json(c, svc));
	return 0;
}

int cmd_service_list(struct ctl *c, json_object *args, json_object **out, char *err)
{
	size_t i;

	(void)args;
	(void)err;
	*out = json_object_new_array();
	for (i = 0; i < c->n_services; i++)
		json_object_array_add(*out, service_json(c, &c->services[i]));
	return 0;
}

int cmd_backend_list(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = api_arg(args, "service");
	size_t i, j;

	if (name && !state_find_service(c, name))
		return api_error(err, "service %s: no such service", name);
	*out = json_object_new_array();
	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		if (name && strcmp(name, svc->cfg.name))
			continue;
		for (j = 0; j < svc->n_backends; j++)
			json_object_array_add(*out, backend_json(c, svc, &svc->backends[j]));
	}
	return 0;
}

/* ---- classes ---- */

/* The match in the words of the CLI's help; the rates and the priority
 * by the file's table (core/config.c). */
static int class_options(struct weir_class_config *cl, json_object *args, char *err)
{
	static const char *const keys[] = { "min", "max", "priority", NULL };
	const char *match = arg_required(args, "match", err), *v;
	const char *const *key;
	char why[ERR_LEN];

	if (!match || !arg_required(args, "min", err) || !arg_required(args, "max", err))
		return -EINVAL;
	if (config_parse_match(match, &cl->match))
		return api_error(err,
				 "class %s: --match: '%s' is not a client prefix (like "
				 "198.18.0.0/16), port:N[-M] or dscp:N",
				 cl->name, match);
	for (key = keys; *key; key++) {
		v = api_arg(args, *key);
		if (v && config_class_set(cl, *key, v, why, sizeof(why)))
			return api_error(err, "class %s: --%s: %s", cl->name, *key, why);
	}
	return 0;
}

int edit_class_add(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	const char *name = arg_required(args, "name", err);
	struct weir_class_config cl = {}, *slot;
	int ret;

	if (!svc || !name)
		return -EINVAL;
	if (config_check_name(name))
		return api_error(err, "class %s: a name is 1-31 of A-Z a-z 0-9 _ . -", name);
	snprintf(cl.name, sizeof(cl.name), "%s", name);
	ret = class_options(&cl, args, err);
	if (ret)
		return ret;
	slot = array_push(&svc->classes, &svc->n_classes, sizeof(*slot));
	if (!slot)
		return api_error(err, "out of memory");
	*slot = cl;
	return 0;
}

int edit_class_del(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	const char *name = arg_required(args, "name", err);
	size_t i;

	if (!svc || !name)
		return -EINVAL;
	for (i = 0; i < svc->n_classes; i++) {
		if (strcmp(svc->classes[i].name, name))
			continue;
		array_remove(svc->classes, &svc->n_classes, sizeof(svc->classes[0]), i);
		return 0;
	}
	return api_error(err, "service %s: class %s: no such class", svc->name, name);
}

static void add_rate(json_object *o, const char *key, uint64_t bps)
{
	json_object_object_add(o, key, json_object_new_uint64(bps));
}

static void add_rate_text(json_object *o, const char *key, uint64_t bps)
{
	char buf[32];

	add_str(o, key, bps == UINT64_MAX ? "unlimited" : units_format_rate(bps, buf, sizeof(buf)));
}

/* A class's rule (if one names it), parameters, counts and allocation. */
static json_object *class_json(struct ctl *c, const struct ctl_service *svc,
			       const struct ctl_class *cl, const char *rule)
{
	json_object *o = json_object_new_object();
	struct weir_class_stats st;

	add_str(o, "service", svc->cfg.name);
	add_str(o, "name", rule);
	json_object_object_add(o, "id", json_object_new_int64(cl->id));
	add_rate(o, "min_bps", cl->min_bps);
	add_rate(o, "max_bps", cl->max_bps);
	add_rate_text(o, "min", cl->min_bps);
	add_rate_text(o, "max", cl->max_bps ? cl->max_bps : UINT64_MAX);
	json_object_object_add(o, "priority", json_object_new_int(cl->priority));
	json_object_object_add(o, "running", json_object_new_uint64(cl->running));
	json_object_object_add(o, "paused", json_object_new_uint64(cl->paused));
	add_rate(o, "allocation_bps", classes_rate(svc, cl));
	add_rate_text(o, "allocation", classes_rate(svc, cl));
	add_rate(o, "burst_bps", cl->burst_bps);
	add_rate(o, "used_bps", cl->used_bps);
	classes_stats(c, cl->id, &st);
	json_object_object_add(o, "admitted", json_object_new_uint64(st.admitted));
	json_object_object_add(o, "refused", json_object_new_uint64(st.refused));
	json_object_object_add(o, "preempted", json_object_new_uint64(st.preempted));
	json_object_object_add(o, "resumed", json_object_new_uint64(st.resumed));
	json_object_object_add(o, "policed_packets", json_object_new_uint64(st.policed_packets));
	json_object_object_add(o, "policed_bytes", json_object_new_uint64(st.policed_bytes));
	json_object_object_add(o, "packets", json_object_new_uint64(st.packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(st.bytes));
	return o;
}

/* The names a class goes by: its rules, "default", or "request" for one
 * only grants name. */
static const char *class_names(const struct ctl_service *svc, const struct ctl_class *cl, char *buf,
			       size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	if (svc->default_class == cl->id)
		n += snprintf(buf + n, len - n, "default");
	for (i = 0; i < svc->cfg.n_classes && n < len; i++)
		if (svc->rule_class[i] == cl->id)
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      svc->cfg.classes[i].name);
	if (!buf[0])
		snprintf(buf, len, "%s", cl->grants ? "request" : "-");
	return buf;
}

json_object *classes_json(struct ctl *c, const struct ctl_service *svc)
{
	json_object *arr = json_object_new_array();
	char names[256];
	size_t i;

	for (i = 0; i < svc->n_classes; i++) {
		const struct ctl_class *cl = &svc->classes[i];

		json_object_array_add(
			arr, class_json(c, svc, cl, class_names(svc, cl, names, sizeof(names))));
	}
	return arr;
}

/* The rules as configured, each with the class it feeds. */
int cmd_class_list(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = api_arg(args, "service");
	size_t i, r;

	if (name && !state_find_service(c, name))
		return api_error(err, "service %s: no such service", name);
	*out = json_object_new_array();
	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		if (name && strcmp(name, svc->cfg.name))
			continue;
		for (r = 0; r < svc->cfg.n_classes; r++) {
			struct ctl_class *cl = classes_find(svc, svc->rule_class[r]);
			char match[64];
			json_object *o;

			if (!cl)
				continue;
			o = class_json(c, svc, cl, svc->cfg.classes[r].name);
			add_str(o, "match",
				config_format_match(&svc->cfg.classes[r].match, match,
						    sizeof(match)));
			json_object_array_add(*out, o);
		}
	}
	return 0;
}
