/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The controller's running state: the desired state (config structs) plus
 * what it learns at run time (ids, health, MACs, stream counts). */
#ifndef WEIR_CTL_H
#define WEIR_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "weir/abi.h"
#include "core/breaker.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/pie.h"
#include "core/throttle.h"
#include "ctl/loader.h"
#include "ctl/sockaddr.h"

#define WEIR_VERSION "0.1.0"
#define WEIR_SOCKET_DEFAULT "/run/weir/weir.sock"
#define WEIR_PIN_DIR_DEFAULT "/sys/fs/bpf/weir"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* revision.c: `git describe` of the tree it was built from, or "unknown". */
extern const char weir_revision[];

/* An active probe of a backend (probe.c): its delay is what PIE
 * regulates, its outcome what the breaker judges. */
struct ctl_probe {
	int fd;
	uint8_t phase; /* enum probe_phase */
	uint64_t started_ns, next_ns;
	uint64_t delay_ns; /* of the last one that answered */
	bool has_delay;
	uint64_t sum_ns, samples; /* since the autothrottle last looked */
	uint16_t got; /* bytes of the answer read */
	char answer[32];
	uint64_t sent, failed;
	int last_error; /* errno of the last failure, ETIMEDOUT, or EPROTO for a bad status */
};

/* What a backend reported (`weir backend report`): named values, each with
 * its time, for the delay (queue / dequeue_rate) and for expressions. */
#define BACKEND_METRICS_MAX 16
#define BACKEND_METRIC_NAME_MAX 32

struct backend_metric {
	char name[BACKEND_METRIC_NAME_MAX];
	double value;
	uint64_t at_ns;
};

struct ctl_backend {
	struct weir_backend_config cfg;
	uint32_t id;
	bool up; /* health: starts up, like HAProxy, so a restart keeps traffic */
	uint32_t successes, failures; /* consecutive */
	int check_fd;
	uint64_t check_started_ns, next_check_ns;
	uint64_t local_warned_ns; /* last warning of a check we could not start */
	uint8_t mac[6];
	bool mac_known;
	bool mac_warned;
	uint64_t mac_wait_since_ns, next_solicit_ns;
	struct weir_addr next_hop; /* ipip: where its frames go */
	uint64_t next_route_ns; /* when next_hop is looked up again */
	uint64_t active_streams; /* from the last sweep */
	bool fresh; /* its id was just assigned: its counters start at 0 */
	bool carried; /* state_apply: a new backend took over this one */
	struct ctl_probe probe;
	struct breaker breaker;
	uint64_t breaker_events[4]; /* by enum breaker_event */
	struct backend_metric metrics[BACKEND_METRICS_MAX];
	size_t n_metrics;
	/* autothrottle (capacity-limit auto): its max streams now */
	struct throttle throttle;
	bool throttled;
	uint32_t peak_streams; /* since the autothrottle last looked */
	uint64_t seen_ended;
	/* slow start: usable since then (0: not seen usable yet) */
	uint64_t usable_since_ns;
	bool was_usable;
	/* capacity expressions (expressions.c): its measured rates and what
	 * the expressions made of it */
	uint64_t measured_ns;
	struct weir_counters seen;
	struct {
		double new_streams, ended_streams, bps, pps;
	} rate;
	double rank;
	bool rank_ok, limit_ok;
	uint32_t rank_weight; /* 1-1000: its share of new streams by rank */
	uint32_t limit; /* capacity-limit's value: its max streams */
};

enum {
	EXPR_RANKING,
	EXPR_LIMIT,
	EXPR_SHUFFLE,
	EXPR_SCALE_OUT,
	EXPR_SCALE_IN,
	EXPRS_N
};

/* A class: the streams of one service with the same (min, max,
 * priority). The config's default and rules name classes; so do grants;
 * a class nobody names stays while streams count in it. */
struct ctl_class {
	uint32_t id;
	uint64_t min_bps, max_bps; /* max 0: unlimited */
	uint8_t priority;
	bool named; /* by the default or a rule of the running config */
	bool fresh; /* its id was just assigned: its counts start at 0 */
	uint32_t grants; /* live grants that name it */
	/* the last update's allocation and what it measured */
	uint64_t rate_bps, burst_bps, used_bps;
	uint64_t running, paused, asking;
	uint64_t seen_bytes, seen_refused; /* its counters at the last update */
	uint64_t seen_ns;
	bool written; /* its entry in weir_classes holds this allocation */
};

struct ctl_service {
	struct weir_service_config cfg; /* cfg.backends unused: see backends */
	uint32_t id;
	struct ctl_backend *backends;
	size_t n_backends;
	struct ctl_class *classes;
	size_t n_classes;
	uint32_t default_class; /* class ids of the default and of each rule */
	uint32_t rule_class[WEIR_MAX_RULES];
	uint64_t limit_streams[WEIR_PRIORITIES], limit_rate[WEIR_PRIORITIES];
	uint16_t victims[WEIR_VICTIMS];
	bool requests; /* grants wait: the data plane looks clients up */
	uint32_t maglev_table; /* maglev: its table in weir_maglev; UINT32_MAX: none */
	/* traffic of classes gone, so the service's totals never go down */
	uint64_t retired_packets, retired_bytes;
	/* overload control (overload.c) */
	struct pie_state pie;
	uint64_t next_pie_ns, next_throttle_ns;
	uint64_t delay_ns; /* what PIE last saw; 0 with no measure */
	int delay_backends; /* backends it was measured on */
	uint64_t seen_backend_full;
	/* capacity expressions: compiled, and their state */
	struct expr *exprs[EXPRS_N];
	uint64_t measured_ns, seen_refused, expr_warned_ns;
	double refused_rate;
	uint32_t shuffle_k; /* new streams at random over the k best-ranked; 0: off */
	struct {
		uint64_t since_ns, fired_ns, count;
	} scale[2]; /* out, in */
	pid_t hook_pid;
	bool dirty; /* usable set may have changed: recompute its slots */
	bool ramp_written; /* its table holds a slow start's ramped weights */
	bool fresh; /* its id was just assigned: its counters start at 0 */
	/* Its rules are in weir_rules. They change only with the config, and
	 * state_apply() builds a new ctl_service for every change. */
	bool rules_written;
	uint64_t active_streams;
};

/* An explicit stream request the controller granted (grants.c). */
struct ctl_grant {
	bool used;
	bool bound; /* the client's stream took it */
	char id[64]; /* the requester's ID */
	char service[WEIR_NAME_MAX];
	uint32_t service_id, class_id;
	struct weir_request_key key; /* the client it waits for */
	uint64_t expires_ns;
};

struct grant_request {
	const char *id;
	struct weir_request_key key; /* client address, port (0: any), family */
	uint64_t min_bps, max_bps;
	uint8_t priority;
	uint64_t ttl_ns;
};

struct sweep;
struct server;
struct metrics_server;
struct dp_shadow;
struct pollfd;

struct ctl {
	struct weir_config top; /* interfaces and settings; top.services unused */
	struct ctl_service *services;
	size_t n_services;
	struct loader loader;
	const char *socket_path;
	/* --socket-group: members may connect (mode 0660) and run read-only
	 * commands; changes need root, checked by the caller's credentials */
	bool socket_group;
	gid_t socket_gid;
	/* the request being dispatched comes from a caller other than root:
	 * read-only commands only */
	bool caller_restricted;
	int listen_fd;
	struct server *server; /* the socket's clients */
	struct dp_shadow *shadow; /* what dataplane.c last wrote */
	uint64_t started_ns;
	uint64_t next_sweep_ns, next_neigh_ns;
	uint64_t total_streams, closing_streams;
	uint64_t reconciled; /* places the sweep found miscounted, in all */
	uint64_t tick_late_max_ns; /* the longest a tick waited past its time */
	struct metrics_histogram loop_histogram; /* how long each ctl_tick took */
	struct metrics_server *metrics; /* /metrics and statsD; NULL: neither */
	struct sweep *sweep; /* the pass under way, if any */
	/* Sweep passes begun and completed. A released id stays held until a
	 * pass that began after its release has completed: that pass removed
	 * every stream still naming it, so its next owner inherits none. */
	uint64_t sweep_passes_started, sweep_passes_done;
	uint64_t service_held_until[WEIR_MAX_SERVICES];
	uint64_t backend_held_until[WEIR_MAX_BACKENDS];
	uint64_t class_held_until[WEIR_MAX_CLASSES];
	/* The controller's own changes of each class's active count (the
	 * data plane's are in its counters), for reconciliation. */
	uint64_t class_moved_in[WEIR_MAX_CLASSES], class_moved_out[WEIR_MAX_CLASSES];
	uint32_t released_epoch; /* the epoch the last release pass saw */
	struct ctl_grant *grants; /* WEIR_MAX_GRANTS, by weir_grants slot */
	uint64_t next_grant_check_ns;
	uint64_t next_verify_ns;
	bool loader_started;
	const char *config_path; /* weir run -c: what SIGHUP reloads */
	bool config_interfaces; /* the file's interfaces count (no -i given) */
	uint64_t reloads, reload_failures;
	bool stop, teardown;
};

uint64_t ctl_now_ns(void);
/* One update interval's work: health, neighbours, slots, and the stream
 * sweep when it is due. */
void ctl_tick(struct ctl *c, uint64_t now);
/* run.c: one wait for socket clients or the next tick (at next_tick), and
 * the tick when due; returns the time of the following tick. */
uint64_t ctl_loop_once(struct ctl *c, uint64_t next_tick);

/* state.c: the one way the desired state changes, all or nothing. */
int state_adopt_pinned(struct ctl *c);
int state_apply(struct ctl *c, const struct weir_config *cfg, char *err, size_t errlen);
/* A deep copy of the desired state, for dump or for a change to apply. */
int state_export(const struct ctl *c, struct weir_config *out);
struct ctl_service *state_find_service(struct ctl *c, const char *name);
/* svc may be NULL: no backend then. */
struct ctl_backend *state_find_backend(struct ctl_service *svc, const struct weir_addr *addr);
struct weir_service_config *state_config_service(struct weir_config *cfg, const char *name);
bool state_backend_usable(const struct ctl_service *svc, const struct ctl_backend *be);
const char *state_backend_status(const struct ctl_service *svc, const struct ctl_backend *be);
void state_free(struct ctl *c);

/* dataplane.c: writes what changed into the maps. */
int dp_sync_service(struct ctl *c, struct ctl_service *svc);
int dp_remove_service(struct ctl *c, const struct ctl_service *svc);
int dp_reset_service(struct ctl *c, uint32_t id);
int dp_reset_backend(struct ctl *c, uint32_t id);
/* Entry key of a per-CPU map, zero on every CPU. */
int dp_zero_percpu(int map_fd, uint32_t key, size_t value_size);
int dp_clear_backend(struct ctl *c, uint32_t id);
/* Compares the services and backends maps with what this controller wrote
 * and writes its own back where they differ (another writer was there). */
int dp_verify(struct ctl *c);
int dp_sync_ports(struct ctl *c);
void dp_shadow_free(struct ctl *c);
/* sweep.c: a step of a pass over the stream table, stopping once budget_ns
 * have passed since now; 1 when the pass completed (counts published), 0
 * when it goes on at the next step, negative on error. */
int dp_sweep_step(struct ctl *c, uint64_t now, uint64_t budget_ns);
bool dp_sweep_in_pass(const struct ctl *c);
/* A stream's state now: its entry's, or paused when its epoch slot was
 * released since its last packet. */
uint8_t dp_stream_state(const struct ctl *c, const struct weir_stream *v);
/* A stream entry removed by the controller gives back what it held. */
void dp_stream_end(struct ctl *c, const struct weir_stream *v);
void dp_sweep_free(struct ctl *c);
int dp_read_counters(struct ctl *c, int map_fd, uint32_t id, struct weir_counters *sum);
/* Every backend's counters by id, summed over CPUs: one batch read, again
 * once the last is an update interval old (*read_ns: when it was).
 * Consumers a second apart share it. NULL when the read failed. */
const struct weir_counters *dp_backend_counters(struct ctl *c, uint64_t now, uint64_t *read_ns);
/* The data plane's packets by reason (WEIR_DROP_MAX of them), and a
 * service's (WEIR_REASONS_PER_SERVICE), each summed over CPUs. */
int dp_read_reasons(struct ctl *c, uint64_t *counts);
int dp_read_service_reasons(struct ctl *c, uint32_t service_id, uint64_t *counts);

/* Dense ids (services, backends, classes) handed out by state_apply. */
struct id_pool {
	bool used[WEIR_MAX_BACKENDS];
	uint32_t max;
	const uint64_t *held_until; /* see struct ctl */
	uint64_t passes_done;
};

/* Nothing used; ids held until a pass not yet done (held_until) skipped. */
void id_pool_init(struct id_pool *p, const struct ctl *c, const uint64_t *held_until, uint32_t max);
int id_take(struct id_pool *p, uint32_t *id);
/* Streams may still name a released id: it is held until a sweep pass
 * that begins after now has completed (see struct ctl). */
void id_hold(const struct ctl *c, uint64_t *held_until, uint32_t id);

/* classes.c: classes, allocation, pausing. */
/* The classes the new service needs (default, rules) and those of the old
 * one it keeps (streams still count in them), ids from pool. */
int classes_build(struct ctl *c, struct ctl_service *ns, const struct ctl_service *old,
		  struct id_pool *pool);
/* Ids for the classes classes_build() could not carry over. */
int classes_assign(struct ctl_service *svc, struct id_pool *pool);
/* Every update: measure, allocate, write rates and limits; release the
 * epoch slots idle past pause-after. */
void classes_tick(struct ctl *c, uint64_t now);
/* Writes the service's class entries and rules (before its service value). */
int classes_sync(struct ctl *c, struct ctl_service *svc);
void classes_clear(struct ctl *c, uint32_t class_id);
struct ctl_class *classes_find(struct ctl_service *svc, uint32_t id);
struct ctl_class *classes_find_tuple(struct ctl_service *svc, uint64_t min, uint64_t max,
				     uint8_t priority);
/* The allocation a stream of the class gets now; for an empty class, what
 * its first stream would get. */
uint64_t classes_rate(const struct ctl_service *svc, const struct ctl_class *cl);
void classes_reset_counts(struct ctl *c, uint32_t class_id);
struct alloc_service;
struct alloc_class;
/* The allocator's inputs: the service's, and its classes' as the last
 * update measured them (ac: n_classes entries). */
void classes_alloc_inputs(const struct ctl_service *svc, struct alloc_service *as,
			  struct alloc_class *ac);
int classes_adopt(struct ctl *c);
void classes_stats(struct ctl *c, uint32_t class_id, struct weir_class_stats *sum);
/* The total of svc's classes' stats, each class read once. */
void classes_service_stats(struct ctl *c, const struct ctl_service *svc,
			   struct weir_class_stats *sum);
struct ctl_class *classes_add(struct ctl *c, struct ctl_service *svc, uint64_t min, uint64_t max,
			      uint8_t priority);

/* grants.c */
struct ctl_grant *grants_find(struct ctl *c, const char *service, const char *id);
/* 0 with *granted_bps (the stream's allocation), or *refused set to an
 * ALLOC_REFUSE_* reason; negative on failure (no slot, no class id). */
int grants_request(struct ctl *c, struct ctl_service *svc, const struct grant_request *rq,
		   uint64_t *granted_bps, int *refused);
int grants_cancel(struct ctl *c, struct ctl_grant *g);
void grants_refresh(struct ctl *c, struct ctl_service *svc);
void grants_tick(struct ctl *c, uint64_t now);
void grants_adopt(struct ctl *c);
void grants_free(struct ctl *c);

/* health.c */
void health_step(struct ctl *c, uint64_t now);
void health_close(struct ctl_backend *be);

/* overload.c: PIE, breaker, autothrottle. */
/* PIE updates due by now; breakers' clocks; the autothrottle. */
void overload_step(struct ctl *c, uint64_t now);
/* Every update interval: what has no time of its own to be due at (the
 * autothrottle's samples, options turned off). */
void overload_tick(struct ctl *c, uint64_t now);
/* The earliest time overload_step() or a probe has work. */
uint64_t overload_next_due(const struct ctl *c);
/* A probe of the backend ended: ok or not, with its delay when it has one. */
void overload_probe_done(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be, bool ok,
			 uint64_t delay_ns, uint64_t now);
/* New state for a service: carry PIE from the old one, start the others. */
void overload_carry(struct ctl_service *ns, const struct ctl_service *old);
void overload_backend_init(const struct ctl_service *svc, struct ctl_backend *be);
/* The backend's max streams as written: its own limit and the autothrottle's. */
uint32_t overload_max_streams(const struct ctl_service *svc, const struct ctl_backend *be);
/* Slot weights of usable backends: a half-open breaker's is a trickle. */
void overload_trickle(const struct ctl_service *svc, uint32_t *weights, const uint32_t *index,
		      size_t n);
bool overload_breaker_open(const struct ctl_service *svc, const struct ctl_backend *be);
bool overload_breaker_half_open(const struct ctl_service *svc, const struct ctl_backend *be);
/* A backend's report: NAME=VALUE pairs. */
int overload_report(struct ctl_service *svc, struct ctl_backend *be, const char *name, double value,
		    uint64_t now);
/* A backend's reported metric while fresh (the service's report-ttl), or NULL. */
const struct backend_metric *overload_fresh_metric(const struct ctl_service *svc,
						   const struct ctl_backend *be, const char *name,
						   uint64_t now);
/* The delay a backend's report gives, or -1 with none fresh. */
int64_t overload_report_delay(const struct ctl_service *svc, const struct ctl_backend *be,
			      uint64_t now);
/* The probability a new stream of priority 0 is refused with now, 0-1. */
double overload_refuse_p(const struct ctl_service *svc);
uint64_t overload_burst_left(const struct ctl_service *svc);

/* expressions.c: capacity expressions at run time. */
int expressions_compile(struct ctl_service *svc);
void expressions_free(struct ctl_service *svc);
void expressions_step(struct ctl *c, uint64_t now);
/* The backends an expression runs over, the usable ones: their indexes
 * in svc->backends (at most svc->n_backends of them). */
size_t expressions_members(const struct ctl_service *svc, size_t *members);
/* The matrix of e's names over the backends members[0..n) of svc. */
int expressions_pool(struct ctl *c, const struct ctl_service *svc, const struct expr *e,
		     const size_t *members, size_t n, uint64_t now, struct expr_pool *pool);
void expressions_pool_free(struct expr_pool *pool);
/* Weights by rank, the k best, backends at a limit of 0 (dataplane.c). */
size_t expressions_steer(const struct ctl_service *svc, uint32_t *weights, uint32_t *index,
			 size_t n);

/* lifecycle.c: standby, slow start, drain. */
bool lifecycle_primary_usable(const struct ctl_service *svc);
/* Weights of backends in slow start, ramped (others scaled to match).
 * true when one was. */
bool lifecycle_ramp(const struct ctl_service *svc, uint32_t *weights, const uint32_t *index,
		    size_t n, uint64_t now);
/* Every tick: when backends became usable; slot tables of ramping ones. */
void lifecycle_step(struct ctl *c, uint64_t now);
bool lifecycle_in_use(const struct ctl_service *svc, const struct ctl_backend *be);
/* How much of its slow start a backend has left (0: none, or done). */
uint64_t lifecycle_ramp_left(const struct ctl_service *svc, const struct ctl_backend *be,
			     uint64_t now);

/* probe.c */
/* Every connect in flight may be a probe (sockaddr.h's budget). */
#define PROBE_INFLIGHT_MAX CONNECT_INFLIGHT_MAX
enum probe_phase {
	PROBE_IDLE = 0,
	PROBE_CONNECTING = 1,
	PROBE_WAITING = 2, /* http: the request is sent, waiting for the status line */
};
struct probe_owner {
	uint32_t service, backend; /* indexes in c->services and its backends */
};
/* Starts the probes due by now, times out the late ones. */
void probe_step(struct ctl *c, uint64_t now);
size_t probe_pollfds(struct ctl *c, struct pollfd *pfd, struct probe_owner *owner, size_t max);
void probe_handle(struct ctl *c, const struct pollfd *pfd, const struct probe_owner *owner,
		  size_t n, uint64_t now);
uint64_t probe_next_due(const struct ctl *c);
void probe_close(struct ctl_backend *be);

/* neigh.c */
void neigh_step(struct ctl *c, uint64_t now);

/* server.c / api.c */
#define SERVER_POLLFDS_MAX 33 /* the listening socket and every client */
int server_open(struct ctl *c);
/* The descriptors to poll (at most max); then server_handle() with the
 * same array after poll() filled in revents. */
size_t server_pollfds(const struct ctl *c, struct pollfd *pfd, size_t max);
void server_handle(struct ctl *c, const struct pollfd *pfd, size_t n, uint64_t now);
/* A client's command runs in steps: the loop must not sleep. */
bool server_working(const struct ctl *c);
void server_close(struct ctl *c);
struct api_job;
/* The reply to a request, or NULL with *job set: a command that runs in
 * steps (api_job_step) until it has its reply. */
char *api_dispatch(struct ctl *c, const char *request, size_t len, struct api_job **job);
/* `weir config load`, and SIGHUP: the services of a config text, all or
 * nothing; interfaces, xdp-mode and stream-table-size only change with a
 * restart (own_interfaces false: the running ones stand, as -i set them).
 * err: 512 bytes. */
int api_load_config(struct ctl *c, const char *text, size_t len, bool own_interfaces, char *err);
char *api_job_step(struct ctl *c, struct api_job *job, uint64_t deadline_ns);
void api_job_free(struct api_job *job);

/* metrics.c: Prometheus' /metrics (libmicrohttpd, run from the update
 * loop: no thread of its own) and the statsD push. */
int metrics_open(struct ctl *c);
/* The HTTP server's descriptor to poll (0 or 1 of them). */
size_t metrics_pollfds(const struct ctl *c, struct pollfd *pfd, size_t max);
/* When metrics_step() next has work without a descriptor waking it. */
uint64_t metrics_next_due(const struct ctl *c, uint64_t now);
/* Serves what the HTTP clients asked; pushes to statsD when due. */
void metrics_step(struct ctl *c, uint64_t now);
void metrics_close(struct ctl *c);
/* Every figure, as the page and the push use them (metrics_set_free). */
void metrics_collect(struct ctl *c, struct metrics_set *set);
/* The /metrics page, malloc'd. */
int metrics_page(struct ctl *c, char **out, size_t *len);

#endif
