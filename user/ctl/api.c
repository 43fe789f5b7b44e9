// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket's commands. A request is one JSON object
 * {"cmd": "backend.add", "args": {...}} with values as the operator typed
 * them; parsing happens here, with the same core parsers as the config
 * file, so the CLI stays thin. Changes go through state_apply(): a rejected
 * change leaves the running state as it was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl/ctl.h"

#define ERR_LEN 256

struct api_cmd {
	const char *name;
	int (*fn)(struct ctl *c, json_object *args, json_object **out, char *err);
	/* The arguments it takes, all strings; anything else is refused, so a
	 * typo is an error rather than an option silently not applied. */
	const char *const *args;
};

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })
#define SERVICE_OPTION_ARGS                                                          \
	"steering", "forwarding", "refuse", "idle-timeout", "health", "health-port", \
		"capacity-streams", "capacity-rate", "stream-min", "stream-max", "priority"

static const char *api_arg(json_object *args, const char *key)
{
	json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

__attribute__((format(printf, 2, 3))) static int api_error(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *arg_required(json_object *args, const char *key, char *err)
{
	const char *v = api_arg(args, key);

	if (!v)
		api_error(err, "missing %s", key);
	return v;
}

/* Runs edit() on a copy of the desired state, then applies the copy. */
static int api_change(struct ctl *c, json_object *args, char *err,
		      int (*edit)(struct weir_config *cfg, json_object *args, char *err))
{
	struct weir_config cfg;
	int ret = state_export(c, &cfg);

	if (ret)
		return api_error(err, "out of memory");
	ret = edit(&cfg, args, err);
	if (!ret)
		ret = state_apply(c, &cfg, err, ERR_LEN);
	config_free(&cfg);
	return ret;
}

static struct weir_service_config *find_service_arg(struct weir_config *cfg, json_object *args,
						    char *err)
{
	const char *name = arg_required(args, "service", err);
	struct weir_service_config *svc;

	if (!name)
		return NULL;
	svc = state_config_service(cfg, name);
	if (!svc)
		api_error(err, "service %s: no such service", name);
	return svc;
}

static int find_backend_arg(struct weir_service_config *svc, json_object *args, char *err)
{
	const char *text = arg_required(args, "addr", err);
	struct weir_addr addr;
	size_t i;

	if (!text)
		return -EINVAL;
	if (units_parse_addr(text, &addr))
		return api_error(err, "backend %s: not an IPv4 or IPv6 address", text);
	for (i = 0; i < svc->n_backends; i++)
		if (units_addr_equal(&svc->backends[i].addr, &addr))
			return (int)i;
	snprintf(err, ERR_LEN, "service %s: backend %s: no such backend", svc->name, text);
	return -ENOENT;
}

static int set_steering(struct weir_service_config *s, const char *v)
{
	return config_parse_steering(v, &s->steering);
}

static int set_forwarding(struct weir_service_config *s, const char *v)
{
	return config_parse_forwarding(v, &s->forwarding);
}

static int set_refuse(struct weir_service_config *s, const char *v)
{
	return config_parse_refuse(v, &s->refuse);
}

static int set_idle_timeout(struct weir_service_config *s, const char *v)
{
	return units_parse_duration(v, &s->idle_timeout_ns);
}

static int set_health(struct weir_service_config *s, const char *v)
{
	if (strcmp(v, "tcp") && strcmp(v, "none"))
		return -EINVAL;
	s->health.enabled = !strcmp(v, "tcp");
	return 0;
}

static int set_health_port(struct weir_service_config *s, const char *v)
{
	return units_parse_port(v, &s->health.port);
}

static const struct {
	const char *key;
	int (*set)(struct weir_service_config *s, const char *v);
	const char *expected;
} service_options[] = {
	{ "steering", set_steering, "round-robin, weighted or maglev" },
	{ "forwarding", set_forwarding, "dsr or ipip" },
	{ "refuse", set_refuse, "drop or reset" },
	{ "idle-timeout", set_idle_timeout, "a duration (ms, s, m)" },
	{ "health", set_health, "tcp or none" },
	{ "health-port", set_health_port, "a port (1-65535)" },
};

/* In the CLI contract, built with admission in a later release. */
static const char *const service_options_later[] = {
	"capacity-streams", "capacity-rate", "stream-min", "stream-max", "priority",
};

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

static int service_optional(struct weir_service_config *s, json_object *args, char *err)
{
	size_t i;

	for (i = 0; i < sizeof(service_options_later) / sizeof(service_options_later[0]); i++)
		if (api_arg(args, service_options_later[i]))
			return api_error(err, "service: --%s is not supported yet",
					 service_options_later[i]);
	for (i = 0; i < sizeof(service_options) / sizeof(service_options[0]); i++) {
		const char *v = api_arg(args, service_options[i].key);

		if (v && service_options[i].set(s, v)) {
			return api_error(err, "service %s: --%s: '%s' is not %s", s->name,
					 service_options[i].key, v, service_options[i].expected);
		}
	}
	return 0;
}

static int edit_service_add(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config s = {}, *arr;
	int ret = service_required(&s, args, err);

	if (!ret)
		ret = service_optional(&s, args, err);
	if (ret)
		return ret;
	if (state_config_service(cfg, s.name))
		return api_error(err, "service %s: exists already", s.name);
	arr = realloc(cfg->services, (cfg->n_services + 1) * sizeof(*arr));
	if (!arr)
		return api_error(err, "out of memory");
	cfg->services = arr;
	arr[cfg->n_services++] = s;
	return 0;
}

static int edit_service_del(struct weir_config *cfg, json_object *args, char *err)
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
	memmove(svc, svc + 1, (cfg->n_services - i - 1) * sizeof(*svc));
	cfg->n_services--;
	return 0;
}

static int backend_options(struct weir_service_config *svc, struct weir_backend_config *be,
			   json_object *args, char *err)
{
	const char *weight = api_arg(args, "weight"), *mac = api_arg(args, "mac");
	char addr[WEIR_ADDR_STRLEN];

	units_format_addr(&be->addr, addr, sizeof(addr));
	if (api_arg(args, "max-streams"))
		return api_error(err, "backend: --max-streams is not supported yet");
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

static int edit_backend_add(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	const char *text = api_arg(args, "addr");
	struct weir_backend_config be, *arr;
	int ret;

	if (!svc)
		return -EINVAL;
	if (!text)
		return api_error(err, "missing addr");
	config_backend_init(&be);
	if (units_parse_addr(text, &be.addr))
		return api_error(err, "backend %s: not an IPv4 or IPv6 address", text);
	ret = find_backend_arg(svc, args, err);
	if (ret >= 0)
		return api_error(err, "service %s: backend %s: exists already", svc->name, text);
	ret = backend_options(svc, &be, args, err);
	if (ret)
		return ret;
	arr = realloc(svc->backends, (svc->n_backends + 1) * sizeof(*arr));
	if (!arr)
		return api_error(err, "out of memory");
	svc->backends = arr;
	arr[svc->n_backends++] = be;
	return 0;
}

static int edit_backend_del(struct weir_config *cfg, json_object *args, char *err)
{
	struct weir_service_config *svc = find_service_arg(cfg, args, err);
	int i = svc ? find_backend_arg(svc, args, err) : -EINVAL;

	if (i < 0)
		return i;
	memmove(&svc->backends[i], &svc->backends[i + 1],
		(svc->n_backends - i - 1) * sizeof(svc->backends[0]));
	svc->n_backends--;
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

static int edit_backend_pause(struct weir_config *cfg, json_object *args, char *err)
{
	return set_backend_paused(cfg, args, err, true);
}

static int edit_backend_resume(struct weir_config *cfg, json_object *args, char *err)
{
	return set_backend_paused(cfg, args, err, false);
}

static json_object *counters_json(json_object *o, const struct weir_counters *k)
{
	json_object_object_add(o, "packets", json_object_new_uint64(k->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(k->bytes));
	json_object_object_add(o, "new_streams", json_object_new_uint64(k->new_streams));
	json_object_object_add(o, "ended_streams", json_object_new_uint64(k->ended_streams));
	json_object_object_add(o, "refused", json_object_new_uint64(k->refused));
	json_object_object_add(o, "icmp_forwarded", json_object_new_uint64(k->icmp_forwarded));
	return o;
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *backend_json(struct ctl *c, const struct ctl_service *svc,
				 const struct ctl_backend *be)
{
	json_object *o = json_object_new_object();
	char buf[WEIR_ADDR_STRLEN];
	struct weir_counters k;

	add_str(o, "service", svc->cfg.name);
	add_str(o, "addr", units_format_addr(&be->cfg.addr, buf, sizeof(buf)));
	add_str(o, "mac", be->mac_known ? units_format_mac(be->mac, buf, sizeof(buf)) : "");
	json_object_object_add(o, "weight", json_object_new_int64(be->cfg.weight));
	add_str(o, "status", state_backend_status(svc, be));
	json_object_object_add(o, "id", json_object_new_int64(be->id));
	json_object_object_add(o, "streams", json_object_new_uint64(be->active_streams));
	dp_read_counters(c, c->loader.maps.backend_stats, be->id, &k);
	return counters_json(o, &k);
}

static json_object *service_json(struct ctl *c, const struct ctl_service *svc)
{
	const struct weir_service_config *s = &svc->cfg;
	json_object *o = json_object_new_object();
	char buf[WEIR_ADDR_STRLEN];
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
	json_object_object_add(o, "id", json_object_new_int64(svc->id));
	json_object_object_add(o, "backends", json_object_new_int64(svc->n_backends));
	json_object_object_add(o, "usable", json_object_new_int64(usable));
	json_object_object_add(o, "streams", json_object_new_uint64(svc->active_streams));
	dp_read_counters(c, c->loader.maps.service_stats, svc->id, &k);
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

static int cmd_service_add(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_service_add);
}

static int cmd_service_del(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_service_del);
}

static int cmd_service_show(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = arg_required(args, "name", err);
	struct ctl_service *svc = name ? state_find_service(c, name) : NULL;

	if (!name)
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	*out = service_json(c, svc);
	json_object_object_add(*out, "backend_list", backends_json(c, svc));
	return 0;
}

static int cmd_service_list(struct ctl *c, json_object *args, json_object **out, char *err)
{
	size_t i;

	(void)args;
	(void)err;
	*out = json_object_new_array();
	for (i = 0; i < c->n_services; i++)
		json_object_array_add(*out, service_json(c, &c->services[i]));
	return 0;
}

static int cmd_backend_add(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_backend_add);
}

static int cmd_backend_del(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_backend_del);
}

static int cmd_backend_pause(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_backend_pause);
}

static int cmd_backend_resume(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)out;
	return api_change(c, args, err, edit_backend_resume);
}

static int cmd_backend_list(struct ctl *c, json_object *args, json_object **out, char *err)
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

static json_object *reasons_json(struct ctl *c)
{
	static const char *const names[] = WEIR_DROP_NAMES;
	uint64_t counts[WEIR_DROP_MAX];
	json_object *arr = json_object_new_array();
	uint32_t r;

	dp_read_reasons(c, counts);
	for (r = 1; r < WEIR_DROP_MAX; r++) {
		json_object *o = json_object_new_object();

		add_str(o, "reason", names[r]);
		add_str(o, "verdict", WEIR_DROP_IS_DROP(r) ? "drop" : "pass");
		json_object_object_add(o, "packets", json_object_new_uint64(counts[r]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int cmd_stats(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = api_arg(args, "service");
	json_object *svcs = json_object_new_array(), *bes = json_object_new_array();
	size_t i, j;

	if (name && !state_find_service(c, name)) {
		json_object_put(svcs);
		json_object_put(bes);
		return api_error(err, "service %s: no such service", name);
	}
	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		if (name && strcmp(name, svc->cfg.name))
			continue;
		json_object_array_add(svcs, service_json(c, svc));
		for (j = 0; j < svc->n_backends; j++)
			json_object_array_add(bes, backend_json(c, svc, &svc->backends[j]));
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "services", svcs);
	json_object_object_add(*out, "backends", bes);
	json_object_object_add(*out, "reasons", reasons_json(c));
	return 0;
}

static int cmd_status(struct ctl *c, json_object *args, json_object **out, char *err)
{
	json_object *ifaces = json_object_new_array();
	char buf[32];
	size_t i, backends = 0;

	(void)args;
	(void)err;
	for (i = 0; i < c->loader.n_ifaces; i++) {
		json_object *o = json_object_new_object();

		add_str(o, "name", c->loader.ifaces[i].name);
		json_object_object_add(o, "ifindex",
				       json_object_new_int(c->loader.ifaces[i].ifindex));
		json_object_object_add(o, "adopted",
				       json_object_new_boolean(c->loader.ifaces[i].adopted));
		json_object_array_add(ifaces, o);
	}
	for (i = 0; i < c->n_services; i++)
		backends += c->services[i].n_backends;
	*out = json_object_new_object();
	add_str(*out, "version", WEIR_VERSION);
	json_object_object_add(
		*out, "uptime_s",
		json_object_new_uint64((ctl_now_ns() - c->started_ns) / 1000000000ULL));
	add_str(*out, "pin_dir", c->loader.pin_dir);
	add_str(*out, "socket", c->socket_path);
	add_str(*out, "xdp_mode", config_xdp_mode_name(c->top.xdp_mode));
	add_str(*out, "update_interval",
		units_format_duration(c->top.update_interval_ns, buf, sizeof(buf)));
	json_object_object_add(*out, "maps_adopted",
			       json_object_new_boolean(c->loader.maps_adopted));
	json_object_object_add(*out, "interfaces", ifaces);
	json_object_object_add(*out, "services", json_object_new_int64(c->n_services));
	json_object_object_add(*out, "backends", json_object_new_int64(backends));
	json_object_object_add(*out, "streams", json_object_new_uint64(c->total_streams));
	json_object_object_add(*out, "closing_streams", json_object_new_uint64(c->closing_streams));
	json_object_object_add(*out, "stream_table_size",
			       json_object_new_uint64(c->top.stream_table_size));
	return 0;
}

static int cmd_config_dump(struct ctl *c, json_object *args, json_object **out, char *err)
{
	struct weir_config cfg;
	char *yaml = NULL;
	int ret;

	(void)args;
	ret = state_export(c, &cfg);
	if (!ret)
		ret = config_emit(&cfg, &yaml);
	config_free(&cfg);
	if (ret)
		return api_error(err, "config dump: out of memory");
	*out = json_object_new_object();
	add_str(*out, "yaml", yaml);
	free(yaml);
	return 0;
}

/* Replaces the services; interfaces and settings only change with a
 * restart of `weir run`, so a file that changes them is refused. */
static int cmd_config_load(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *yaml = arg_required(args, "yaml", err);
	struct weir_config cfg;
	json_object *v;
	int ret;

	(void)out;
	if (!yaml)
		return -EINVAL;
	/* JSON may carry a \u0000 that strlen() would stop at. */
	json_object_object_get_ex(args, "yaml", &v);
	ret = config_parse(yaml, json_object_get_string_len(v), &cfg, err, ERR_LEN);
	if (ret)
		return ret;
	/* What the file leaves out stays as `weir run` set it (-i, --xdp-mode). */
	if (!cfg.n_interfaces) {
		cfg.n_interfaces = c->top.n_interfaces;
		memcpy(cfg.interfaces, c->top.interfaces, sizeof(cfg.interfaces));
	}
	if (!(cfg.given & WEIR_CONFIG_GIVEN_XDP_MODE))
		cfg.xdp_mode = c->top.xdp_mode;
	if (!(cfg.given & WEIR_CONFIG_GIVEN_STREAM_TABLE_SIZE))
		cfg.stream_table_size = c->top.stream_table_size;
	if (cfg.xdp_mode != c->top.xdp_mode || cfg.stream_table_size != c->top.stream_table_size ||
	    cfg.n_interfaces != c->top.n_interfaces ||
	    memcmp(cfg.interfaces, c->top.interfaces, sizeof(cfg.interfaces))) {
		config_free(&cfg);
		return api_error(err, "config load: interfaces, xdp-mode and stream-table-size "
				      "change only with a restart of weir run");
	}
	ret = state_apply(c, &cfg, err, ERR_LEN);
	if (!ret)
		c->top.update_interval_ns = cfg.update_interval_ns;
	config_free(&cfg);
	return ret;
}

static int cmd_shutdown(struct ctl *c, json_object *args, json_object **out, char *err)
{
	(void)args;
	(void)out;
	(void)err;
	c->stop = true;
	c->teardown = true;
	return 0;
}

static const struct api_cmd api_cmds[] = {
	{ "status", cmd_status, NO_ARGS },
	{ "service.add", cmd_service_add,
	  ARGS("name", "vip", "port", "proto", SERVICE_OPTION_ARGS) },
	{ "service.del", cmd_service_del, ARGS("name") },
	{ "service.show", cmd_service_show, ARGS("name") },
	{ "service.list", cmd_service_list, NO_ARGS },
	{ "backend.add", cmd_backend_add, ARGS("service", "addr", "weight", "mac", "max-streams") },
	{ "backend.del", cmd_backend_del, ARGS("service", "addr") },
	{ "backend.pause", cmd_backend_pause, ARGS("service", "addr") },
	{ "backend.resume", cmd_backend_resume, ARGS("service", "addr") },
	{ "backend.list", cmd_backend_list, ARGS("service") },
	{ "stats", cmd_stats, ARGS("service") },
	{ "config.dump", cmd_config_dump, NO_ARGS },
	{ "config.load", cmd_config_load, ARGS("file", "yaml") },
	{ "shutdown", cmd_shutdown, NO_ARGS },
	{ 0 },
};

static bool arg_known(const struct api_cmd *h, const char *key)
{
	const char *const *a;

	for (a = h->args; *a; a++)
		if (!strcmp(*a, key))
			return true;
	return false;
}

static int check_args(const struct api_cmd *h, json_object *args, char *err)
{
	if (!args)
		return 0;
	json_object_object_foreach(args, key, value)
	{
		if (!arg_known(h, key))
			return api_error(err, "request: %s: unknown argument '%.64s'", h->name,
					 key);
		if (!json_object_is_type(value, json_type_string))
			return api_error(err, "request: %s: argument '%.64s' is not a string",
					 h->name, key);
	}
	return 0;
}

static char *api_reply(int ret, json_object *data, const char *err)
{
	json_object *reply = json_object_new_object();
	char *text;

	json_object_object_add(reply, "ok", json_object_new_boolean(ret == 0));
	if (ret)
		add_str(reply, "error", err[0] ? err : strerror(-ret));
	else if (data)
		json_object_object_add(reply, "data", data);
	text = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return text;
}

char *api_dispatch(struct ctl *c, const char *request, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *req = tok ? json_tokener_parse_ex(tok, request, (int)len) : NULL;
	json_object *cmd = NULL, *args = NULL, *data = NULL;
	const struct api_cmd *h;
	char err[ERR_LEN] = "";
	int ret = -EINVAL;

	if (!req || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		snprintf(err, sizeof(err), "request: not a JSON object with a \"cmd\" string");
		goto out;
	}
	json_object_object_get_ex(req, "args", &args);
	if (args && !json_object_is_type(args, json_type_object)) {
		snprintf(err, sizeof(err), "request: \"args\" is not an object");
		goto out;
	}
	for (h = api_cmds; h->name; h++)
		if (!strcmp(h->name, json_object_get_string(cmd)))
			break;
	if (h->name) {
		ret = check_args(h, args, err);
		if (!ret)
			ret = h->fn(c, args, &data, err);
	} else
		snprintf(err, sizeof(err), "request: unknown command '%.64s'",
			 json_object_get_string(cmd));
out:
	json_object_put(req);
	if (tok)
		json_tokener_free(tok);
	return api_reply(ret, data, err);
}
