// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct column service_columns[] = {
	{ "NAME", "name" },	  { "VIP", "vip" },	      { "PORT", "port" },
	{ "PROTO", "proto" },	  { "STEERING", "steering" }, { "BACKENDS", "backends" },
	{ "USABLE", "usable" },	  { "STREAMS", "streams" },   { "NEW", "new_streams" },
	{ "REFUSED", "refused" }, { "PACKETS", "packets" },   { 0 },
};

static const struct column service_fields[] = {
	{ "name", "name" },
	{ "vip", "vip" },
	{ "port", "port" },
	{ "proto", "proto" },
	{ "steering", "steering" },
	{ "forwarding", "forwarding" },
	{ "refuse", "refuse" },
	{ "idle-timeout", "idle_timeout" },
	{ "pause-after", "pause_after" },
	{ "health", "health" },
	{ "capacity streams", "capacity_streams" },
	{ "capacity rate", "capacity_rate" },
	{ "admitted now", "admitted_streams" },
	{ "committed bit/s", "committed_bps" },
	{ "stream min", "stream_min" },
	{ "stream max", "stream_max" },
	{ "priority", "priority" },
	{ "share", "share" },
	{ "preempt", "preempt" },
	{ "burst", "burst" },
	{ "backends", "backends" },
	{ "usable", "usable" },
	{ "streams", "streams" },
	{ "new streams", "new_streams" },
	{ "admitted", "admitted" },
	{ "ended streams", "ended_streams" },
	{ "refused", "refused" },
	{ "replies", "replies" },
	{ "preempted", "preempted" },
	{ "resumed", "resumed" },
	{ "policed packets", "policed_packets" },
	{ "packets", "packets" },
	{ "bytes", "bytes" },
	{ 0 },
};

const struct column class_columns[] = {
	{ "CLASS", "name" },
	{ "ID", "id" },
	{ "MIN", "min" },
	{ "MAX", "max" },
	{ "PRIO", "priority" },
	{ "RUNNING", "running" },
	{ "PAUSED", "paused" },
	{ "ALLOCATION", "allocation" },
	{ "USED", "used_bps" },
	{ "ADMITTED", "admitted" },
	{ "REFUSED", "refused" },
	{ "PREEMPTED", "preempted" },
	{ "POLICED", "policed_packets" },
	{ 0 },
};

/* "capacity 3/4 streams": refusals by reason, those that happened. */
static void print_refusals(json_object *data)
{
	json_object *by;
	bool any = false;

	if (!json_object_object_get_ex(data, "refused_by", &by))
		return;
	printf("refused by reason:");
	json_object_object_foreach(by, reason, count)
	{
		if (!json_object_get_uint64(count))
			continue;
		printf(" %s %" PRIu64, reason, json_object_get_uint64(count));
		any = true;
	}
	printf("%s\n", any ? "" : " none");
}

static double number_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static const char *string_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "-";
}

/* "overload web: admission pie, p 12.50%, delay 18.200ms of 20ms target over
 * 3 backends (http:/probe), burst left 0ms, 431 refused by pie,
 * capacity-limit none". */
void print_overload(json_object *service)
{
	json_object *o;
	const char *source;
	char buf[64];

	if (!json_object_object_get_ex(service, "overload", &o))
		return;
	source = strcmp(string_of(o, "delay_source"), "probe") ? "reported" : string_of(o, "probe");
	printf("overload %s: admission %s", string_of(service, "name"), string_of(o, "admission"));
	if (!strcmp(string_of(o, "admission"), "pie"))
		printf(", p %.2f%%, delay %.3fms of %gms target over %d backends (%s), burst left "
		       "%gms, %s refused by pie",
		       100 * number_of(o, "p"), number_of(o, "delay_ms"),
		       number_of(o, "delay_target_ms"), (int)number_of(o, "delay_backends"), source,
		       number_of(o, "burst_left_ms"),
		       out_value(o, "pie_refused", buf, sizeof(buf)));
	printf(", capacity-limit %s\n", string_of(o, "capacity_limit"));
}

static void print_service_list(const struct cli *cli, json_object *data)
{
	(void)cli;
	out_table(data, service_columns);
}

static void print_service_show(const struct cli *cli, json_object *data)
{
	json_object *backends, *classes;

	(void)cli;
	out_fields(data, service_fields);
	print_refusals(data);
	print_overload(data);
	if (json_object_object_get_ex(data, "class_list", &classes) &&
	    json_object_array_length(classes)) {
		printf("\n");
		out_table(classes, class_columns);
	}
	if (json_object_object_get_ex(data, "backend_list", &backends) &&
	    json_object_array_length(backends)) {
		printf("\n");
		out_table(backends, backend_columns);
	}
}

#define SERVICE_OPTION_FLAGS                                                                       \
	"steering", "forwarding", "capacity-streams", "capacity-rate", "stream-min", "stream-max", \
		"priority", "share", "preempt?", "burst?", "idle-timeout", "pause-after",          \
		"refuse", "admission", "delay-target", "delay-source", "probe",                    \
		"capacity-ranking", "capacity-limit", "shuffle-size", "scale-out", "scale-in",     \
		"scale-hook", "fallback", "health", "health-port", "handshake-timeout",            \
		"bucket-depth", "priority-reserve", "refuse-rate", "delay-aggregate",              \
		"pie-interval", "pie-burst", "pie-exempt-priority", "pie-scale", "probe-interval", \
		"probe-timeout", "report-ttl", "breaker", "breaker-failures", "breaker-window",    \
		"breaker-consecutive", "breaker-cooldown", "slow-start", "maglev-table-size",      \
		"scale-for", "scale-cooldown", "encap-source", "encap-mtu"

#define SERVICE_OPTION_USAGE                                                            \
	"[--steering round-robin|weighted|maglev] [--forwarding dsr|ipip]\n"            \
	"      [--capacity-streams N] [--capacity-rate RATE]\n"                         \
	"      [--stream-min RATE] [--stream-max RATE] [--priority 0-7]\n"              \
	"      [--share min|priority] [--preempt] [--burst]\n"                          \
	"      [--idle-timeout DUR] [--pause-after DUR] [--refuse drop|reset]\n"        \
	"      [--admission off|pie] [--delay-target DUR]\n"                            \
	"      [--delay-source probe|report] [--probe tcp|http:PATH]\n"                 \
	"      [--capacity-ranking EXPR] [--capacity-limit EXPR|auto]\n"                \
	"      [--shuffle-size EXPR] [--scale-out EXPR] [--scale-in EXPR]\n"            \
	"      [--scale-hook CMD] [--fallback drop|pass]\n"                             \
	"      [--health tcp|none] [--health-port N] [--handshake-timeout DUR]\n"       \
	"      [--bucket-depth DUR] [--priority-reserve PCT] [--refuse-rate N]\n"       \
	"      [--delay-aggregate mean|max] [--pie-interval DUR] [--pie-burst DUR]\n"   \
	"      [--pie-exempt-priority 0-8] [--pie-scale linear|flat]\n"                 \
	"      [--probe-interval DUR] [--probe-timeout DUR] [--report-ttl DUR]\n"       \
	"      [--breaker true|false] [--breaker-failures PCT] [--breaker-window N]\n"  \
	"      [--breaker-consecutive N] [--breaker-cooldown DUR] [--slow-start DUR]\n" \
	"      [--maglev-table-size PRIME] [--scale-for DUR] [--scale-cooldown DUR]\n"  \
	"      [--encap-source PREFIX] [--encap-mtu N]"

const struct cmd service_cmds[] = {
	{ "add",
	  "service.add",
	  { "name" },
	  { "vip", "port", "proto", SERVICE_OPTION_FLAGS },
	  "NAME --vip ADDR --port N --proto tcp|udp\n      " SERVICE_OPTION_USAGE,
	  "add a service (a VIP, port and protocol)",
	  NULL,
	  "added",
	  NULL },
	{ "set",
	  "service.set",
	  { "name" },
	  { SERVICE_OPTION_FLAGS },
	  "NAME " SERVICE_OPTION_USAGE,
	  "change a service's options; running streams keep their class, new ones get the new "
	  "parameters (--preempt=false, --burst=false turn those off)",
	  NULL,
	  "changed",
	  NULL },
	{ "del",
	  "service.del",
	  { "name" },
	  { 0 },
	  "NAME",
	  "delete a service and its backends",
	  NULL,
	  "deleted",
	  NULL },
	{ "show",
	  "service.show",
	  { "name" },
	  { 0 },
	  "NAME",
	  "show a service: capacity used and total, classes with their allocations, refusals "
	  "by reason, counters and backends",
	  print_service_show,
	  NULL,
	  NULL },
	{ "pause",
	  "service.pause",
	  { "name" },
	  { 0 },
	  "NAME",
	  "no new streams for the service; running ones continue",
	  NULL,
	  "paused",
	  NULL },
	{ "resume",
	  "service.resume",
	  { "name" },
	  { 0 },
	  "NAME",
	  "undo pause",
	  NULL,
	  "resumed",
	  NULL },
	{ "list",
	  "service.list",
	  { 0 },
	  { 0 },
	  "",
	  "list the services",
	  print_service_list,
	  NULL,
	  NULL },
	{ 0 },
};
