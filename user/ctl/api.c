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

#include "ctl/api.h"
#include "ctl/ctl.h"

struct api_cmd {
	const char *name;
	int (*fn)(struct ctl *c, json_object *args, json_object **out, char *err);
	/* Instead of fn: a change, run by api_change(). */
	int (*edit)(struct weir_config *cfg, json_object *args, char *err);
	/* The arguments it takes, all strings; anything else is refused, so a
	 * typo is an error rather than an option silently not applied. */
	const char *const *args;
	/* Instead of fn: a command that runs as a job (struct api_job). */
	int (*start)(struct ctl *c, json_object *args, struct api_job **job, char *err);
	/* Takes names of the caller's own beside args (backend.report's
	 * NAME=VALUE pairs), strings or numbers: fn checks them all. */
	bool open_args;
	/* Changes nothing: callers of the socket's group may run it. */
	bool read_only;
	/* Takes the service options too (api_service_option()). */
	bool service_options;
};

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })
const char *api_arg(json_object *args, const char *key)
{
	json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int api_error(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *arg_required(json_object *args, const char *key, char *err)
{
	const char *v = api_arg(args, key);

	if (!v)
		api_error(err, "missing %s", key);
	return v;
}

/* Runs edit() on a copy of the desired state, then applies the copy. */
int api_change(struct ctl *c, json_object *args, char *err,
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

struct weir_service_config *find_service_arg(struct weir_config *cfg, json_object *args, char *err)
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

json_object *counters_json(json_object *o, const struct weir_counters *k)
{
	json_object_object_add(o, "packets", json_object_new_uint64(k->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(k->bytes));
	json_object_object_add(o, "new_streams", json_object_new_uint64(k->new_streams));
	json_object_object_add(o, "ended_streams", json_object_new_uint64(k->ended_streams));
	json_object_object_add(o, "refused", json_object_new_uint64(k->refused));
	json_object_object_add(o, "icmp_forwarded", json_object_new_uint64(k->icmp_forwarded));
	return o;
}

void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

json_object *reasons_json(struct ctl *c)
{
	static const char *const names[] = WEIR_DROP_NAMES;
	uint64_t counts[WEIR_DROP_MAX];
	json_object *arr = json_object_new_array();
	uint32_t r;

	dp_read_reasons(c, counts);
	for (r = 1; r < WEIR_DROP_MAX; r++) {
		json_object *o = json_object_new_object();

		add_str(o, "reason", names[r]);
		add_str(o, "verdict",
			WEIR_DROP_IS_REFUSAL(r) ? "refuse"
			: WEIR_DROP_IS_DROP(r)	? "drop"
						: "pass");
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
		json_object_object_add(o, "upgraded",
				       json_object_new_boolean(c->loader.ifaces[i].upgraded));
		add_str(o, "program_tag", c->loader.ifaces[i].tag);
		json_object_array_add(ifaces, o);
	}
	for (i = 0; i < c->n_services; i++)
		backends += c->services[i].n_backends;
	*out = json_object_new_object();
	add_str(*out, "version", WEIR_VERSION);
	add_str(*out, "revision", weir_revision);
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
	json_object_object_add(*out, "reconciled_places", json_object_new_uint64(c->reconciled));
	json_object_object_add(*out, "config_reloads", json_object_new_uint64(c->reloads));
	json_object_object_add(*out, "config_reload_failures",
			       json_object_new_uint64(c->reload_failures));
	json_object_object_add(*out, "tick_late_max_ms",
			       json_object_new_uint64(c->tick_late_max_ns / 1000000));
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
int api_load_config(struct ctl *c, const char *text, size_t len, bool own_interfaces, char *err)
{
	struct weir_config cfg;
	int ret;

	ret = config_parse(text, len, &cfg, err, ERR_LEN);
	if (ret)
		return ret;
	/* What the file leaves out stays as `weir run` set it (-i, --xdp-mode). */
	if (!cfg.n_interfaces || !own_interfaces) {
		cfg.n_interfaces = c->top.n_interfaces;
		memcpy(cfg.interfaces, c->top.interfaces, sizeof(cfg.interfaces));
	}
	if (!(cfg.given & WEIR_CONFIG_GIVEN_XDP_MODE))
		cfg.xdp_mode = c->top.xdp_mode;
	if (!(cfg.given & WEIR_CONFIG_GIVEN_STREAM_TABLE_SIZE))
		cfg.stream_table_size = c->top.stream_table_size;
	if (!(cfg.given & WEIR_CONFIG_GIVEN_METRICS))
		cfg.metrics = c->top.metrics;
	if (cfg.xdp_mode != c->top.xdp_mode || cfg.stream_table_size != c->top.stream_table_size ||
	    cfg.n_interfaces != c->top.n_interfaces ||
	    memcmp(cfg.interfaces, c->top.interfaces, sizeof(cfg.interfaces)) ||
	    !config_metrics_equal(&cfg.metrics, &c->top.metrics)) {
		config_free(&cfg);
		return api_error(err, "config load: interfaces, xdp-mode, stream-table-size, "
				      "metrics and statsd change only with a restart of weir run");
	}
	ret = state_apply(c, &cfg, err, ERR_LEN);
	if (!ret)
		c->top.update_interval_ns = cfg.update_interval_ns;
	config_free(&cfg);
	return ret;
}

static int cmd_config_load(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *yaml = arg_required(args, "yaml", err);
	json_object *v;

	(void)out;
	if (!yaml)
		return -EINVAL;
	/* JSON may carry a \u0000 that strlen() would stop at. */
	json_object_object_get_ex(args, "yaml", &v);
	return api_load_config(c, yaml, json_object_get_string_len(v), true, err);
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

#define CMD(n, f, a)                          \
	{                                     \
		.name = n, .fn = f, .args = a \
	}
#define JOB(n, s, a)                             \
	{                                        \
		.name = n, .start = s, .args = a \
	}
#define EDIT(n, e, a)                           \
	{                                       \
		.name = n, .edit = e, .args = a \
	}
#define READ(n, f, a)                                            \
	{                                                        \
		.name = n, .fn = f, .args = a, .read_only = true \
	}

static const struct api_cmd api_cmds[] = {
	READ("status", cmd_status, NO_ARGS),
	{ .name = "service.add",
	  .edit = edit_service_add,
	  .args = ARGS("name", "vip", "port", "proto"),
	  .service_options = true },
	{ .name = "service.set",
	  .edit = edit_service_set,
	  .args = ARGS("name"),
	  .service_options = true },
	EDIT("service.del", edit_service_del, ARGS("name")),
	EDIT("service.pause", edit_service_pause, ARGS("name")),
	EDIT("service.resume", edit_service_resume, ARGS("name")),
	READ("service.show", cmd_service_show, ARGS("name")),
	READ("service.list", cmd_service_list, NO_ARGS),
	EDIT("backend.add", edit_backend_add,
	     ARGS("service", "addr", "weight", "mac", "max-streams", "standby")),
	EDIT("backend.del", edit_backend_del, ARGS("service", "addr")),
	EDIT("backend.pause", edit_backend_pause, ARGS("service", "addr")),
	EDIT("backend.resume", edit_backend_resume, ARGS("service", "addr")),
	READ("backend.list", cmd_backend_list, ARGS("service")),
	JOB("backend.drain", job_backend_drain, ARGS("service", "addr", "wait")),
	{ .name = "backend.report",
	  .fn = cmd_backend_report,
	  .args = ARGS("service", "addr"),
	  .open_args = true },
	EDIT("class.add", edit_class_add,
	     ARGS("service", "name", "match", "min", "max", "priority")),
	EDIT("class.del", edit_class_del, ARGS("service", "name")),
	READ("class.list", cmd_class_list, ARGS("service")),
	{ .name = "stream.list",
	  .start = job_stream_list,
	  .args = ARGS("service", "state", "sort", "limit"),
	  .read_only = true },
	CMD("stream.request", cmd_stream_request,
	    ARGS("service", "id", "client", "min", "max", "priority", "ttl")),
	CMD("stream.release", cmd_stream_release, ARGS("service", "id")),
	READ("stats", cmd_stats, ARGS("service")),
	READ("expr.check", cmd_expr_check, ARGS("expr", "service")),
	READ("config.dump", cmd_config_dump, NO_ARGS),
	CMD("config.load", cmd_config_load, ARGS("file", "yaml")),
	CMD("shutdown", cmd_shutdown, NO_ARGS),
	{ 0 },
};

static bool arg_known(const struct api_cmd *h, const char *key)
{
	const char *const *a;

	for (a = h->args; *a; a++)
		if (!strcmp(*a, key))
			return true;
	return h->service_options && api_service_option(key);
}

static int check_args(const struct api_cmd *h, json_object *args, char *err)
{
	if (!args || h->open_args)
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

/* Bytes of the UTF-8 character at s, or 0 when it is not one (a bad or
 * cut sequence, an overlong form, a surrogate, beyond U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n;
}

/* A reply is JSON, so UTF-8 (RFC 8259), and json-c copies a string's bytes
 * as they are: a request's raw bytes must be UTF-8 already (its \u
 * escapes always decode to UTF-8). Found by tests/fuzz/fuzz_api.c: a name
 * with a byte 0xff came back in the error message. */
static bool utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = utf8_char(s + i, len - i);
		if (!n)
			return false;
	}
	return true;
}

/* A message that quotes at most so many bytes ("%.64s") or fills ERR_LEN
 * may cut a character in two: its pieces become '?'. */
static void utf8_repair(char *text)
{
	unsigned char *s = (unsigned char *)text;
	size_t left = strlen(text), n;

	while (left) {
		n = utf8_char(s, left);
		if (!n) {
			*s = '?';
			n = 1;
		}
		s += n;
		left -= n;
	}
}

static char *api_reply(int ret, json_object *data, char *err)
{
	json_object *reply = json_object_new_object();
	char *text;

	json_object_object_add(reply, "ok", json_object_new_boolean(ret == 0));
	utf8_repair(err);
	if (ret)
		add_str(reply, "error", err[0] ? err : strerror(-ret));
	else if (data)
		json_object_object_add(reply, "data", data);
	text = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return text;
}

/* Runs a job for a slice; its reply once it is done, else NULL. */
char *api_job_step(struct ctl *c, struct api_job *job, uint64_t deadline_ns)
{
	json_object *data = NULL;
	char err[ERR_LEN] = "";
	int ret = job->step(c, job, deadline_ns, &data, err);

	if (ret == 0)
		return NULL;
	job->free(job);
	return api_reply(ret < 0 ? ret : 0, data, err);
}

void api_job_free(struct api_job *job)
{
	if (job)
		job->free(job);
}

char *api_dispatch(struct ctl *c, const char *request, size_t len, struct api_job **job)
{
	json_tokener *tok = json_tokener_new();
	json_object *req = tok ? json_tokener_parse_ex(tok, request, (int)len) : NULL;
	json_object *cmd = NULL, *args = NULL, *data = NULL;
	const struct api_cmd *h;
	char err[ERR_LEN] = "";
	int ret = -EINVAL;

	if (!utf8_valid(request, len)) {
		snprintf(err, sizeof(err), "request: not UTF-8 text");
		goto out;
	}
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
	if (h->name && !h->read_only && c->caller_restricted) {
		snprintf(err, sizeof(err),
			 "permission denied: %s changes the running state; run it as root",
			 h->name);
		ret = -EPERM;
	} else if (h->name) {
		ret = check_args(h, args, err);
		if (!ret && h->start)
			ret = h->start(c, args, job, err);
		else if (!ret && h->edit)
			ret = api_change(c, args, err, h->edit);
		else if (!ret)
			ret = h->fn(c, args, &data, err);
		if (!ret && *job) {
			json_object_put(req);
			json_tokener_free(tok);
			return NULL;
		}
	} else
		snprintf(err, sizeof(err), "request: unknown command '%.64s'",
			 json_object_get_string(cmd));
out:
	json_object_put(req);
	if (tok)
		json_tokener_free(tok);
	return api_reply(ret, data, err);
}
