// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus' /metrics over HTTP and the statsD push.
 *
 * The HTTP server is libmicrohttpd without a thread of its own: its epoll
 * descriptor sits in the update loop's poll() beside the control socket,
 * and MHD_run() from the loop parses requests and calls on_request() in
 * this thread. Nothing is shared across threads, so nothing is locked, and
 * a page never waits for a tick nor a tick for a page: the page is built
 * at once from the controller's state and one read of the counters.
 *
 * The figures are those of the control socket: the JSON that `weir
 * service show`, `class list`, `backend list` and `stats` print, turned
 * into samples by the tables below, so a figure is computed in one place.
 * Rates are exported in IP bytes a second, Prometheus' base unit (the
 * control socket says bit/s).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "core/metrics.h"
#include "ctl/api.h"
#include "ctl/ctl.h"
#include "ctl/log.h"
#include "ctl/sockaddr.h"

#define HTTP_CONNECTIONS_MAX 16
#define HTTP_TIMEOUT_S 5
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* name, type, help; the enum and the table come from one list. */
#define FAMILIES(F)                                                                             \
	F(BUILD_INFO, "weir_build_info", GAUGE, "weir's version, in the version label (1)")     \
	F(REASON_PACKETS, "weir_reason_packets_total", COUNTER,                                 \
	  "Packets the data plane passed, dropped or refused rather than forwarded, by reason") \
	F(STREAMS, "weir_streams", GAUGE, "Entries of the stream table at the last sweep")      \
	F(CLOSING_STREAMS, "weir_closing_streams", GAUGE,                                       \
	  "Streams ended by a FIN whose entry lingers, at the last sweep")                      \
	F(LOOP_DURATION, "weir_loop_duration_seconds", HISTOGRAM,                               \
	  "Time each update of the controller took (health, allocation, PIE, slots, sweep)")    \
	F(STATSD_DATAGRAMS, "weir_statsd_datagrams_total", COUNTER, "statsD datagrams sent")    \
	F(STATSD_DROPPED, "weir_statsd_dropped_datagrams_total", COUNTER,                       \
	  "statsD datagrams not sent (socket full, no listener, too long)")                     \
	F(SVC_PACKETS, "weir_service_packets_total", COUNTER, "Packets forwarded")              \
	F(SVC_BYTES, "weir_service_bytes_total", COUNTER, "IP bytes forwarded")                 \
	F(SVC_NEW, "weir_service_new_streams_total", COUNTER, "Streams started")                \
	F(SVC_ENDED, "weir_service_ended_streams_total", COUNTER, "Streams ended")              \
	F(SVC_ACTIVE, "weir_service_active_streams", GAUGE, "Streams at the last sweep")        \
	F(SVC_ADMITTED, "weir_service_admitted_streams_total", COUNTER,                         \
	  "Streams admitted by its capacity")                                                   \
	F(SVC_REFUSED, "weir_service_refused_streams_total", COUNTER,                           \
	  "New streams refused, by reason")                                                     \
	F(SVC_PREEMPTED, "weir_service_preempted_streams_total", COUNTER,                       \
	  "Streams that gave their place to a higher priority")                                 \
	F(SVC_POLICED, "weir_service_policed_packets_total", COUNTER,                           \
	  "Packets dropped by their stream's token bucket")                                     \
	F(SVC_ICMP, "weir_service_icmp_forwarded_packets_total", COUNTER,                       \
	  "ICMP errors about a stream sent to its backend")                                     \
	F(SVC_CAP_STREAMS, "weir_service_capacity_streams", GAUGE,                              \
	  "Concurrent streams at most (0: no limit)")                                           \
	F(SVC_USED_STREAMS, "weir_service_capacity_used_streams", GAUGE,                        \
	  "Streams holding a place in the capacity")                                            \
	F(SVC_CAP_RATE, "weir_service_capacity_bytes_per_second", GAUGE,                        \
	  "Rate capacity shared by the streams, IP bytes (0: none)")                            \
	F(SVC_USED_RATE, "weir_service_capacity_used_bytes_per_second", GAUGE,                  \
	  "Sum of the mins of the running streams (committed rate)")                            \
	F(SVC_PIE_P, "weir_service_pie_probability", GAUGE,                                     \
	  "PIE's refusal probability for priority 0 (0-1; 0 with admission off)")               \
	F(SVC_DELAY, "weir_service_delay_seconds", GAUGE, "The delay PIE regulates")            \
	F(SVC_DELAY_TARGET, "weir_service_delay_target_seconds", GAUGE, "PIE's delay target")   \
	F(SVC_USABLE, "weir_service_usable_backends", GAUGE, "Backends that take new streams")  \
	F(SVC_PAUSED, "weir_service_paused", GAUGE, "1: paused, no new streams")                \
	F(CLS_PACKETS, "weir_class_packets_total", COUNTER, "Packets forwarded")                \
	F(CLS_BYTES, "weir_class_bytes_total", COUNTER, "IP bytes forwarded")                   \
	F(CLS_RUNNING, "weir_class_running_streams", GAUGE, "Streams running")                  \
	F(CLS_PAUSED, "weir_class_paused_streams", GAUGE, "Streams paused (idle)")              \
	F(CLS_ADMITTED, "weir_class_admitted_streams_total", COUNTER, "Streams admitted")       \
	F(CLS_REFUSED, "weir_class_refused_streams_total", COUNTER,                             \
	  "New or resuming streams refused")                                                    \
	F(CLS_PREEMPTED, "weir_class_preempted_streams_total", COUNTER,                         \
	  "Streams that gave their place to a higher priority")                                 \
	F(CLS_RESUMED, "weir_class_resumed_streams_total", COUNTER,                             \
	  "Paused streams admitted again")                                                      \
	F(CLS_POLICED, "weir_class_policed_packets_total", COUNTER,                             \
	  "Packets dropped by the token bucket")                                                \
	F(CLS_POLICED_BYTES, "weir_class_policed_bytes_total", COUNTER,                         \
	  "IP bytes dropped by the token bucket")                                               \
	F(CLS_ALLOCATION, "weir_class_allocation_bytes_per_second", GAUGE,                      \
	  "Rate each of its streams gets now")                                                  \
	F(CLS_USED, "weir_class_used_bytes_per_second", GAUGE,                                  \
	  "Rate its streams used over the last update")                                         \
	F(CLS_BURST, "weir_class_burst_bytes_per_second", GAUGE,                                \
	  "Idle capacity lent to its streams above their max")                                  \
	F(CLS_MIN, "weir_class_min_bytes_per_second", GAUGE, "A stream's min rate")             \
	F(CLS_MAX, "weir_class_max_bytes_per_second", GAUGE, "A stream's max rate (0: none)")   \
	F(CLS_PRIORITY, "weir_class_priority", GAUGE, "Priority 0-7, 7 highest")                \
	F(BE_PACKETS, "weir_backend_packets_total", COUNTER, "Packets forwarded")               \
	F(BE_BYTES, "weir_backend_bytes_total", COUNTER, "IP bytes forwarded")                  \
	F(BE_NEW, "weir_backend_new_streams_total", COUNTER, "Streams started")                 \
	F(BE_ENDED, "weir_backend_ended_streams_total", COUNTER, "Streams ended")               \
	F(BE_ACTIVE, "weir_backend_active_streams", GAUGE, "Streams at the last sweep")         \
	F(BE_PINNED, "weir_backend_pinned_streams", GAUGE,                                      \
	  "Streams counted against its max streams")                                            \
	F(BE_LIMIT, "weir_backend_limit_streams", GAUGE,                                        \
	  "Max streams as written: its own, the autothrottle's or an expression's (0: none)")   \
	F(BE_WEIGHT, "weir_backend_weight", GAUGE, "Configured weight")                         \
	F(BE_UP, "weir_backend_up", GAUGE, "1: its health checks pass")                         \
	F(BE_USABLE, "weir_backend_usable", GAUGE, "1: it takes new streams")                   \
	F(BE_BREAKER, "weir_backend_breaker_state", GAUGE,                                      \
	  "Circuit breaker: 0 closed, 1 half-open, 2 open (absent: no breaker)")                \
	F(BE_TRIPS, "weir_backend_breaker_trips_total", COUNTER, "Times the breaker opened")    \
	F(BE_PROBE_DELAY, "weir_backend_probe_delay_seconds", GAUGE,                            \
	  "Delay of its last answered probe")                                                   \
	F(BE_PROBES, "weir_backend_probes_total", COUNTER, "Probes sent")                       \
	F(BE_PROBES_FAILED, "weir_backend_probes_failed_total", COUNTER, "Probes that failed")

#define FAMILY_ENUM(id, name, type, help) FAM_##id,
#define FAMILY_ROW(id, name, type, help) { name, METRICS_##type, help, FAM_##id == FAM_BUILD_INFO },

enum {
	FAMILIES(FAMILY_ENUM) FAMILIES_N
};

static const struct metrics_family families[] = { FAMILIES(FAMILY_ROW) };

/* A figure of an object's JSON: key, or "object.key" one level down. */
struct field {
	uint32_t family;
	const char *key;
	double scale;
};

static const struct field service_fields[] = {
	{ FAM_SVC_PACKETS, "packets", 1 },
	{ FAM_SVC_BYTES, "bytes", 1 },
	{ FAM_SVC_NEW, "new_streams", 1 },
	{ FAM_SVC_ENDED, "ended_streams", 1 },
	{ FAM_SVC_ACTIVE, "streams", 1 },
	{ FAM_SVC_ADMITTED, "admitted", 1 },
	{ FAM_SVC_PREEMPTED, "preempted", 1 },
	{ FAM_SVC_POLICED, "policed_packets", 1 },
	{ FAM_SVC_ICMP, "icmp_forwarded", 1 },
	{ FAM_SVC_CAP_STREAMS, "capacity_streams", 1 },
	{ FAM_SVC_USED_STREAMS, "admitted_streams", 1 },
	{ FAM_SVC_CAP_RATE, "capacity_rate_bps", 0.125 },
	{ FAM_SVC_USED_RATE, "committed_bps", 0.125 },
	{ FAM_SVC_PIE_P, "overload.p", 1 },
	{ FAM_SVC_DELAY, "overload.delay_ms", 1e-3 },
	{ FAM_SVC_DELAY_TARGET, "overload.delay_target_ms", 1e-3 },
	{ FAM_SVC_USABLE, "usable", 1 },
	{ FAM_SVC_PAUSED, "paused", 1 },
};

static const struct field class_fields[] = {
	{ FAM_CLS_PACKETS, "packets", 1 },
	{ FAM_CLS_BYTES, "bytes", 1 },
	{ FAM_CLS_RUNNING, "running", 1 },
	{ FAM_CLS_PAUSED, "paused", 1 },
	{ FAM_CLS_ADMITTED, "admitted", 1 },
	{ FAM_CLS_REFUSED, "refused", 1 },
	{ FAM_CLS_PREEMPTED, "preempted", 1 },
	{ FAM_CLS_RESUMED, "resumed", 1 },
	{ FAM_CLS_POLICED, "policed_packets", 1 },
	{ FAM_CLS_POLICED_BYTES, "policed_bytes", 1 },
	{ FAM_CLS_ALLOCATION, "allocation_bps", 0.125 },
	{ FAM_CLS_USED, "used_bps", 0.125 },
	{ FAM_CLS_BURST, "burst_bps", 0.125 },
	{ FAM_CLS_MIN, "min_bps", 0.125 },
	{ FAM_CLS_MAX, "max_bps", 0.125 },
	{ FAM_CLS_PRIORITY, "priority", 1 },
};

static const struct field backend_fields[] = {
	{ FAM_BE_PACKETS, "packets", 1 },     { FAM_BE_BYTES, "bytes", 1 },
	{ FAM_BE_NEW, "new_streams", 1 },     { FAM_BE_ENDED, "ended_streams", 1 },
	{ FAM_BE_ACTIVE, "streams", 1 },      { FAM_BE_PINNED, "pinned_streams", 1 },
	{ FAM_BE_LIMIT, "limit", 1 },	      { FAM_BE_WEIGHT, "weight", 1 },
	{ FAM_BE_UP, "health_up", 1 },	      { FAM_BE_USABLE, "usable", 1 },
	{ FAM_BE_TRIPS, "breaker_trips", 1 }, { FAM_BE_PROBE_DELAY, "probe_delay_ms", 1e-3 },
	{ FAM_BE_PROBES, "probes", 1 },	      { FAM_BE_PROBES_FAILED, "probes_failed", 1 },
};

struct metrics_server {
	struct MHD_Daemon *daemon;
	int epoll_fd; /* the daemon's, polled by the loop */
	int statsd_fd;
	uint64_t next_push_ns;
	struct metrics_statsd statsd;
	uint64_t statsd_sent, statsd_dropped;
};

/* A number (or boolean) at key; false when absent or null. */
static bool json_number(json_object *o, const char *key, double *v)
{
	const char *dot = strchr(key, '.');
	json_object *x;
	char outer[32];

	if (dot && (size_t)(dot - key) < sizeof(outer)) {
		snprintf(outer, sizeof(outer), "%.*s", (int)(dot - key), key);
		if (!json_object_object_get_ex(o, outer, &o))
			return false;
		key = dot + 1;
	}
	if (!json_object_object_get_ex(o, key, &x) || !x ||
	    json_object_is_type(x, json_type_string))
		return false;
	*v = json_object_get_double(x);
	return true;
}

static void add_fields(struct metrics_set *set, json_object *o, const struct field *fields,
		       size_t n, size_t n_labels, const char *const *labels)
{
	double v;
	size_t i;

	for (i = 0; i < n; i++)
		if (json_number(o, fields[i].key, &v))
			metrics_add(set, fields[i].family, v * fields[i].scale, n_labels, labels);
}

static const char *json_text(json_object *o, const char *key)
{
	json_object *x;

	return json_object_object_get_ex(o, key, &x) ? json_object_get_string(x) : "";
}

/* Its refusals by reason: an object of reason -> count. */
static void add_refused(struct metrics_set *set, json_object *svc, const char *name)
{
	json_object *by;

	if (!json_object_object_get_ex(svc, "refused_by", &by))
		return;
	json_object_object_foreach(by, reason, count)
	{
		const char *labels[] = { "service", name, "reason", reason };

		metrics_add(set, FAM_SVC_REFUSED, json_object_get_double(count), 2, labels);
	}
}

/* A class goes by its rules' names or "default"; one that only grants
 * name ("request") or none ("-") gets its id, so each is a series. */
static void add_classes(struct ctl *c, struct metrics_set *set, const struct ctl_service *svc)
{
	json_object *arr = classes_json(c, svc);
	char label[300];
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *name = json_text(o, "name");
		const char *labels[] = { "service", svc->cfg.name, "class", label };

		if (!strcmp(name, "request") || !strcmp(name, "-"))
			snprintf(label, sizeof(label), "%s#%s", strcmp(name, "-") ? name : "",
				 json_text(o, "id"));
		else
			snprintf(label, sizeof(label), "%s", name);
		add_fields(set, o, class_fields, ARRAY_SIZE(class_fields), 2, labels);
	}
	json_object_put(arr);
}

static void add_backend(struct ctl *c, struct metrics_set *set, const struct ctl_service *svc,
			const struct ctl_backend *be)
{
	static const char *const breaker_states[] = { "closed", "half-open", "open" };
	json_object *o = backend_json(c, svc, be);
	const char *labels[] = { "service", svc->cfg.name, "backend", json_text(o, "addr") };
	const char *breaker = json_text(o, "breaker");
	size_t i;

	add_fields(set, o, backend_fields, ARRAY_SIZE(backend_fields), 2, labels);
	for (i = 0; i < ARRAY_SIZE(breaker_states); i++)
		if (!strcmp(breaker, breaker_states[i]))
			metrics_add(set, FAM_BE_BREAKER, (double)i, 2, labels);
	json_object_put(o);
}

static void add_service(struct ctl *c, struct metrics_set *set, const struct ctl_service *svc)
{
	json_object *o = service_json(c, svc);
	const char *labels[] = { "service", svc->cfg.name };
	size_t i;

	add_fields(set, o, service_fields, ARRAY_SIZE(service_fields), 1, labels);
	add_refused(set, o, svc->cfg.name);
	json_object_put(o);
	add_classes(c, set, svc);
	for (i = 0; i < svc->n_backends; i++)
		add_backend(c, set, svc, &svc->backends[i]);
}

static void add_globals(struct ctl *c, struct metrics_set *set)
{
	const char *version[] = { "version", WEIR_VERSION };
	json_object *reasons = reasons_json(c);
	size_t i;

	metrics_add(set, FAM_BUILD_INFO, 1, 1, version);
	for (i = 0; i < json_object_array_length(reasons); i++) {
		json_object *o = json_object_array_get_idx(reasons, i);
		const char *labels[] = { "reason", json_text(o, "reason") };
		double v;

		if (json_number(o, "packets", &v))
			metrics_add(set, FAM_REASON_PACKETS, v, 1, labels);
	}
	json_object_put(reasons);
	metrics_add(set, FAM_STREAMS, (double)c->total_streams, 0, NULL);
	metrics_add(set, FAM_CLOSING_STREAMS, (double)c->closing_streams, 0, NULL);
	metrics_add_histogram(set, FAM_LOOP_DURATION, &c->loop_histogram);
	metrics_add(set, FAM_STATSD_DATAGRAMS, c->metrics ? (double)c->metrics->statsd_sent : 0, 0,
		    NULL);
	metrics_add(set, FAM_STATSD_DROPPED, c->metrics ? (double)c->metrics->statsd_dropped : 0, 0,
		    NULL);
}

void metrics_collect(struct ctl *c, struct metrics_set *set)
{
	size_t i;

	metrics_set_init(set, families, FAMILIES_N);
	add_globals(c, set);
	for (i = 0; i < c->n_services; i++)
		add_service(c, set, &c->services[i]);
}

int metrics_page(struct ctl *c, char **out, size_t *len)
{
	struct emit_buf page = {};
	struct metrics_set set;

	metrics_collect(c, &set);
	if (!set.failed)
		metrics_render(&set, &page);
	metrics_set_free(&set);
	if (set.failed || page.failed || !page.data) {
		free(page.data);
		return -ENOMEM;
	}
	*out = page.data;
	*len = page.len;
	return 0;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_page(struct ctl *c, struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *page;
	size_t len;

	if (metrics_page(c, &page, &len))
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **state)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
	if (!strcmp(url, "/metrics"))
		return serve_page(cls, conn);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "weir: Prometheus metrics at /metrics\n");
	return reply(conn, MHD_HTTP_NOT_FOUND, "not found: GET /metrics\n");
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[256];

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	pr_warn("metrics: %s\n", text);
}

static int http_open(struct ctl *c, struct metrics_server *ms)
{
	const struct weir_metrics_config *m = &c->top.metrics;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	char where[WEIR_ADDR_STRLEN + 8];

	sockaddr_from(&m->listen, m->listen_port, &ss);
	units_format_endpoint(&m->listen, m->listen_port, where, sizeof(where));
	ms->daemon = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(m->listen.family == WEIR_AF_INET6 ? MHD_USE_IPv6 : 0),
		m->listen_port, NULL, NULL, on_request, c, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
		NULL, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)HTTP_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_END);
	info = ms->daemon ? MHD_get_daemon_info(ms->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		pr_warn("metrics: cannot serve http://%s/metrics\n", where);
		return -EADDRNOTAVAIL;
	}
	ms->epoll_fd = info->epoll_fd;
	pr_info("metrics: http://%s/metrics\n", where);
	return 0;
}

/* ---- statsD ---- */

static void statsd_send(const char *data, size_t len, void *arg)
{
	struct metrics_server *ms = arg;

	/* never waits: a full socket or an absent listener loses the datagram */
	if (send(ms->statsd_fd, data, len, MSG_DONTWAIT) == (ssize_t)len)
		ms->statsd_sent++;
	else
		ms->statsd_dropped++;
}

static int statsd_open(struct ctl *c, struct metrics_server *ms)
{
	const struct weir_metrics_config *m = &c->top.metrics;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_from(&m->statsd_addr, m->statsd_port, &ss);
	char where[WEIR_ADDR_STRLEN + 8];

	units_format_endpoint(&m->statsd_addr, m->statsd_port, where, sizeof(where));
	ms->statsd_fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ms->statsd_fd < 0 || connect(ms->statsd_fd, (struct sockaddr *)&ss, len)) {
		pr_warn("metrics: statsd %s: %s\n", where, strerror(errno));
		return -errno;
	}
	ms->statsd.rng = ctl_now_ns() | 1;
	ms->next_push_ns = ctl_now_ns() + m->statsd_interval_ns;
	pr_info("metrics: statsd to %s every %.3gs\n", where, m->statsd_interval_ns / 1e9);
	return 0;
}

static void statsd_push(struct ctl *c, struct metrics_server *ms)
{
	const struct metrics_push push = {
		.prefix = c->top.metrics.statsd_prefix,
		.sample_ppm = c->top.metrics.statsd_sample_ppm,
		.send = statsd_send,
		.arg = ms,
	};
	struct metrics_set set;
	int ret;

	metrics_collect(c, &set);
	ret = metrics_statsd_push(&ms->statsd, &set, &push);
	metrics_set_free(&set);
	if (ret > 0)
		ms->statsd_dropped += (uint64_t)ret;
	else if (ret < 0)
		pr_warn("metrics: statsd push: out of memory\n");
}

/* ---- the loop ---- */

int metrics_open(struct ctl *c)
{
	const struct weir_metrics_config *m = &c->top.metrics;
	struct metrics_server *ms;
	int ret = 0;

	if (!m->enabled && !m->statsd)
		return 0;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	ms->epoll_fd = -1;
	ms->statsd_fd = -1;
	c->metrics = ms;
	/* An address asked for must be served; the default may be taken by
	 * another weir on this host, which is no reason not to balance. */
	if (m->enabled && http_open(c, ms) && (c->top.given & WEIR_CONFIG_GIVEN_METRICS_LISTEN))
		ret = -EADDRNOTAVAIL;
	if (!ret && m->statsd)
		ret = statsd_open(c, ms);
	return ret;
}

size_t metrics_pollfds(const struct ctl *c, struct pollfd *pfd, size_t max)
{
	if (!c->metrics || c->metrics->epoll_fd < 0 || !max)
		return 0;
	pfd->fd = c->metrics->epoll_fd;
	pfd->events = POLLIN;
	pfd->revents = 0;
	return 1;
}

uint64_t metrics_next_due(const struct ctl *c, uint64_t now)
{
	const struct metrics_server *ms = c->metrics;
	uint64_t due = UINT64_MAX;
	MHD_UNSIGNED_LONG_LONG ms_left;

	if (!ms)
		return due;
	if (ms->statsd_fd >= 0)
		due = ms->next_push_ns;
	if (ms->daemon && MHD_get_timeout(ms->daemon, &ms_left) == MHD_YES &&
	    now + ms_left * 1000000ULL < due)
		due = now + ms_left * 1000000ULL;
	return due;
}

void metrics_step(struct ctl *c, uint64_t now)
{
	struct metrics_server *ms = c->metrics;

	if (!ms)
		return;
	if (ms->daemon)
		MHD_run(ms->daemon);
	if (ms->statsd_fd >= 0 && now >= ms->next_push_ns) {
		ms->next_push_ns = now + c->top.metrics.statsd_interval_ns;
		statsd_push(c, ms);
	}
}

void metrics_close(struct ctl *c)
{
	struct metrics_server *ms = c->metrics;

	if (!ms)
		return;
	if (ms->daemon)
		MHD_stop_daemon(ms->daemon);
	if (ms->statsd_fd >= 0)
		close(ms->statsd_fd);
	metrics_statsd_free(&ms->statsd);
	free(ms);
	c->metrics = NULL;
}
