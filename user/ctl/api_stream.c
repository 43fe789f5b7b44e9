// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket's stream commands: explicit requests (grants) and
 * their release, and the list of streams. The list walks the stream table
 * in slices (a job), so a table of a million streams answers in about a
 * second without holding up the update loop; it keeps only the top
 * --limit rows by the sort key (a bounded heap), whatever the table size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "core/alloc.h"
#include "ctl/api.h"
#include "ctl/ctl.h"

#define LIST_BATCH 4096
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 100000
#define GRANT_TTL_DEFAULT_NS (30ULL * 1000000000ULL)
#define NS_PER_SEC 1000000000ULL

static const char *const state_names[] = WEIR_STATE_NAMES;

/* ---- request / release ---- */

static int request_args(struct ctl_service *svc, json_object *args, struct grant_request *rq,
			char *err)
{
	const char *client = arg_required(args, "client", err), *min, *max;
	const char *prio = api_arg(args, "priority"), *ttl = api_arg(args, "ttl");
	struct weir_addr addr;
	uint16_t port;
	uint32_t p = svc->cfg.priority;

	if (!client || !(min = arg_required(args, "min", err)) ||
	    !(max = arg_required(args, "max", err)))
		return -EINVAL;
	if (units_parse_endpoint(client, &addr, &port))
		return api_error(err, "--client: '%s' is not ADDR or ADDR:PORT", client);
	if (addr.family != svc->cfg.vip.family)
		return api_error(err, "--client: %s is not of the VIP's family", client);
	if (units_parse_rate(min, &rq->min_bps) || units_parse_rate(max, &rq->max_bps))
		return api_error(err, "--min/--max: '%s', '%s': not rates (bit/s, like 8mbit)", min,
				 max);
	if (rq->max_bps && rq->min_bps > rq->max_bps)
		return api_error(err, "--min %s is above --max %s", min, max);
	if (prio && units_parse_u32(prio, 0, WEIR_PRIORITIES - 1, &p))
		return api_error(err, "--priority: '%s' is not 0-7", prio);
	rq->priority = p;
	rq->ttl_ns = GRANT_TTL_DEFAULT_NS;
	if (ttl && (units_parse_duration(ttl, &rq->ttl_ns) || !rq->ttl_ns))
		return api_error(err, "--ttl: '%s' is not a duration (ms, s, m)", ttl);
	memset(&rq->key, 0, sizeof(rq->key));
	memcpy(rq->key.addr, addr.bytes, sizeof(rq->key.addr));
	rq->key.family = addr.family;
	rq->key.port = __builtin_bswap16(port);
	return 0;
}

static const char *refusal_name(int refused)
{
	return refused == ALLOC_REFUSE_MIN_UNMET ? "min_unmet" : "capacity";
}

int cmd_stream_request(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = arg_required(args, "service", err), *id;
	struct ctl_service *svc = name ? state_find_service(c, name) : NULL;
	struct grant_request rq = {};
	uint64_t granted = 0;
	int refused, ret;

	if (!name || !(id = arg_required(args, "id", err)))
		return -EINVAL;
	if (!svc)
		return api_error(err, "service %s: no such service", name);
	if (!*id || strlen(id) >= sizeof(((struct ctl_grant *)0)->id))
		return api_error(err, "request id: 1-63 characters");
	if (grants_find(c, name, id))
		return api_error(err, "service %s: request %s exists already", name, id);
	rq.id = id;
	ret = request_args(svc, args, &rq, err);
	if (ret)
		return ret;
	ret = grants_request(c, svc, &rq, &granted, &refused);
	if (ret)
		return api_error(err, "service %s: request %s: %s", name, id,
				 ret == -ENOSPC ? "no room for another grant or class"
						: strerror(-ret));
	*out = json_object_new_object();
	add_str(*out, "service", name);
	add_str(*out, "id", id);
	json_object_object_add(*out, "granted_bps", json_object_new_uint64(granted));
	add_str(*out, "reason", refused ? refusal_name(refused) : "");
	json_object_object_add(*out, "ttl_ms", json_object_new_uint64(rq.ttl_ns / 1000000));
	return 0;
}

int cmd_stream_release(struct ctl *c, json_object *args, json_object **out, char *err)
{
	const char *name = arg_required(args, "service", err), *id;
	struct ctl_grant *g;
	int ended;

	if (!name || !(id = arg_required(args, "id", err)))
		return -EINVAL;
	if (!state_find_service(c, name))
		return api_error(err, "service %s: no such service", name);
	g = grants_find(c, name, id);
	if (!g)
		return api_error(err, "service %s: request %s: no such request", name, id);
	ended = grants_cancel(c, g);
	*out = json_object_new_object();
	add_str(*out, "released", ended ? "stream" : "grant");
	return 0;
}

/* ---- list ---- */

enum list_sort {
	SORT_RATE,
	SORT_BYTES,
	SORT_AGE,
};

struct list_row {
	struct weir_stream_key key;
	struct weir_stream v;
	uint64_t sort;
};

struct list_job {
	struct api_job job;
	int service_id; /* -1: every service */
	int state; /* -1: every state */
	enum list_sort sort;
	size_t limit, n; /* the heap: the top rows so far, smallest first */
	struct list_row *rows;
	uint64_t now, matched, scanned;
	bool have_token;
	struct weir_stream_key token;
	struct weir_stream_key keys[LIST_BATCH];
	struct weir_stream vals[LIST_BATCH];
};

static uint64_t rate_of(const struct weir_stream *v)
{
	uint64_t span = v->last_seen_ns - v->first_seen_ns;

	return span ? (uint64_t)((unsigned __int128)v->bytes * 8 * NS_PER_SEC / span) : 0;
}

static uint64_t sort_value(const struct list_job *j, const struct weir_stream *v)
{
	if (j->sort == SORT_BYTES)
		return v->bytes;
	if (j->sort == SORT_AGE)
		return j->now > v->first_seen_ns ? j->now - v->first_seen_ns : 0;
	return rate_of(v);
}

static void heap_down(struct list_row *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct list_row t;

		if (l < n && h[l].sort < h[m].sort)
			m = l;
		if (l + 1 < n && h[l + 1].sort < h[m].sort)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(struct list_row *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		struct list_row t;

		if (h[p].sort <= h[i].sort)
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static void list_offer(struct list_job *j, const struct weir_stream_key *k,
		       const struct weir_stream *v)
{
	uint64_t sort = sort_value(j, v);

	if (j->n < j->limit) {
		j->rows[j->n] = (struct list_row){ *k, *v, sort };
		heap_up(j->rows, j->n++);
	} else if (j->n && sort > j->rows[0].sort) {
		j->rows[0] = (struct list_row){ *k, *v, sort };
		heap_down(j->rows, j->n, 0);
	}
}

static bool list_wants(struct ctl *c, const struct list_job *j, const struct weir_stream *v)
{
	return (j->service_id < 0 || v->service_id == j->service_id) &&
	       (j->state < 0 || dp_stream_state(c, v) == j->state);
}

/* One batch of the table; 1 when the walk is over. */
static int list_batch(struct ctl *c, struct list_job *j)
{
	__u32 count = LIST_BATCH, i;
	int err = bpf_map_lookup_batch(c->loader.maps.streams, j->have_token ? &j->token : NULL,
				       &j->token, j->keys, j->vals, &count, NULL);
	bool done = err && errno == ENOENT;

	if (err && !done)
		return -errno;
	j->have_token = true;
	for (i = 0; i < count; i++) {
		j->scanned++;
		if (!list_wants(c, j, &j->vals[i]))
			continue;
		j->matched++;
		list_offer(j, &j->keys[i], &j->vals[i]);
	}
	return done;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct list_row *x = a, *y = b;

	return x->sort < y->sort ? 1 : x->sort > y->sort ? -1 : 0;
}

static void add_endpoint(json_object *o, const char *key, const __u8 *addr, __u8 family,
			 __be16 port)
{
	struct weir_addr a = { .family = family };
	char buf[WEIR_ADDR_STRLEN + 8];

	memcpy(a.bytes, addr, sizeof(a.bytes));
	add_str(o, key, units_format_endpoint(&a, __builtin_bswap16(port), buf, sizeof(buf)));
}

static const char *backend_addr(struct ctl_service *svc, uint32_t id, char *buf, size_t len)
{
	size_t i;

	for (i = 0; svc && i < svc->n_backends; i++)
		if (svc->backends[i].id == id)
			return units_format_addr(&svc->backends[i].cfg.addr, buf, len);
	return "-";
}

/* The request ID a stream was granted by, if the grant is still known. */
static const char *request_of(struct ctl *c, const struct weir_stream *v)
{
	const struct ctl_grant *g;

	if (!v->grant || v->grant > WEIR_MAX_GRANTS || !c->grants)
		return "";
	g = &c->grants[v->grant - 1];
	return g->used && g->service_id == v->service_id ? g->id : "";
}

static json_object *row_json(struct ctl *c, const struct list_job *j, const struct list_row *r)
{
	const struct weir_stream *v = &r->v;
	json_object *o = json_object_new_object();
	struct ctl_service *svc = NULL;
	struct ctl_class *cl = NULL;
	char buf[WEIR_ADDR_STRLEN], rate[32];
	uint8_t state = dp_stream_state(c, v);
	uint64_t allocation = 0;
	size_t i;

	for (i = 0; i < c->n_services && !svc; i++)
		if (c->services[i].id == v->service_id)
			svc = &c->services[i];
	cl = svc ? classes_find(svc, v->class_id) : NULL;
	if (cl)
		allocation = classes_rate(svc, cl);
	add_str(o, "service", svc ? svc->cfg.name : "-");
	add_endpoint(o, "client", r->key.src, r->key.family, r->key.sport);
	add_str(o, "request", request_of(c, v));
	add_endpoint(o, "vip", r->key.dst, r->key.family, r->key.dport);
	add_str(o, "proto", units_proto_name(r->key.proto));
	add_str(o, "backend", backend_addr(svc, v->backend_id, buf, sizeof(buf)));
	json_object_object_add(o, "class", json_object_new_int(v->class_id));
	add_str(o, "state", state < WEIR_STATE_MAX ? state_names[state] : "?");
	json_object_object_add(o, "allocation_bps", json_object_new_uint64(allocation));
	add_str(o, "allocation",
		!cl			   ? "-"
		: allocation == UINT64_MAX ? "unlimited"
					   : units_format_rate(allocation, rate, sizeof(rate)));
	json_object_object_add(o, "rate_bps", json_object_new_uint64(rate_of(v)));
	json_object_object_add(o, "bytes", json_object_new_uint64(v->bytes));
	json_object_object_add(o, "packets", json_object_new_uint64(v->packets));
	json_object_object_add(o, "policed", json_object_new_uint64(v->policed));
	json_object_object_add(
		o, "age_ms",
		json_object_new_uint64(
			j->now > v->first_seen_ns ? (j->now - v->first_seen_ns) / 1000000 : 0));
	json_object_object_add(o, "idle_ms",
			       json_object_new_uint64(j->now > v->last_seen_ns
							      ? (j->now - v->last_seen_ns) / 1000000
							      : 0));
	return o;
}

static json_object *list_result(struct ctl *c, struct list_job *j)
{
	json_object *out = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	qsort(j->rows, j->n, sizeof(*j->rows), cmp_rows);
	for (i = 0; i < j->n; i++)
		json_object_array_add(arr, row_json(c, j, &j->rows[i]));
	json_object_object_add(out, "streams", arr);
	json_object_object_add(out, "matched", json_object_new_uint64(j->matched));
	json_object_object_add(out, "scanned", json_object_new_uint64(j->scanned));
	return out;
}

static int list_step(struct ctl *c, struct api_job *job, uint64_t deadline_ns, json_object **out,
		     char *err)
{
	struct list_job *j = (struct list_job *)job;
	int ret;

	do {
		ret = list_batch(c, j);
	} while (ret == 0 && ctl_now_ns() < deadline_ns);
	if (ret < 0)
		return api_error(err, "stream table: %s", strerror(-ret));
	if (ret == 0)
		return 0;
	*out = list_result(c, j);
	return 1;
}

static void list_free(struct api_job *job)
{
	struct list_job *j = (struct list_job *)job;

	free(j->rows);
	free(j);
}

static int list_filters(struct ctl *c, json_object *args, struct list_job *j, char *err)
{
	const char *svc = api_arg(args, "service"), *state = api_arg(args, "state");
	const char *sort = api_arg(args, "sort"), *limit = api_arg(args, "limit");
	uint32_t n = LIST_LIMIT_DEFAULT;
	struct ctl_service *s;

	j->service_id = -1;
	j->state = -1;
	if (svc && !(s = state_find_service(c, svc)))
		return api_error(err, "service %s: no such service", svc);
	if (svc)
		j->service_id = s->id;
	for (j->state = 0; state && j->state < WEIR_STATE_MAX; j->state++)
		if (!strcmp(state, state_names[j->state]))
			break;
	if (state && j->state == WEIR_STATE_MAX)
		return api_error(err,
				 "--state: '%s' is not active, provisional, paused, refused, "
				 "preempted or closing",
				 state);
	if (!state)
		j->state = -1;
	if (sort && strcmp(sort, "rate") && strcmp(sort, "bytes") && strcmp(sort, "age"))
		return api_error(err, "--sort: '%s' is not rate, bytes or age", sort);
	j->sort = !sort || !strcmp(sort, "rate") ? SORT_RATE
		  : !strcmp(sort, "bytes")	 ? SORT_BYTES
						 : SORT_AGE;
	if (limit && units_parse_u32(limit, 1, LIST_LIMIT_MAX, &n))
		return api_error(err, "--limit: '%s' is not 1-%d", limit, LIST_LIMIT_MAX);
	j->limit = n;
	return 0;
}

int job_stream_list(struct ctl *c, json_object *args, struct api_job **job, char *err)
{
	struct list_job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j)
		return api_error(err, "out of memory");
	ret = list_filters(c, args, j, err);
	if (!ret && !(j->rows = calloc(j->limit, sizeof(*j->rows))))
		ret = api_error(err, "out of memory");
	if (ret) {
		list_free(&j->job);
		return ret;
	}
	j->job.step = list_step;
	j->job.free = list_free;
	j->now = ctl_now_ns();
	*job = &j->job;
	return 0;
}
