// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `weir run`: the controller. It owns the desired state, keeps the data
 * plane in step with it every update interval, and serves the control
 * socket. Stopping it (SIGTERM, SIGINT, a crash) leaves the program
 * attached and the maps pinned, so traffic flows on and the next `weir run`
 * adopts them; `weir shutdown` removes them.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/log.h"
#include "ctl/notify.h"
#include "ctl/run.h"

#define SWEEP_INTERVAL_NS 1000000000ULL
#define VERIFY_INTERVAL_NS 1000000000ULL
/* At most this much of a tick goes to the stream sweep, so a large table
 * never holds up health checks or the socket for long. */
#define SWEEP_BUDGET_NS 20000000ULL

static volatile sig_atomic_t stop_signal, reload_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

static int read_file(const char *path, char **out, size_t *len);

/* SIGHUP: the file given to weir run again, as `weir config load` would
 * take it; a file that does not load leaves the running state as it was. */
static void reload_config(struct ctl *c)
{
	char err[WEIR_ERR_MAX] = "", *text = NULL;
	size_t len = 0;
	int ret;

	reload_signal = 0;
	if (!c->config_path) {
		pr_warn("SIGHUP: weir run was started without -c: nothing to reload\n");
		return;
	}
	ret = read_file(c->config_path, &text, &len);
	if (ret)
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	else
		ret = api_load_config(c, text, len, c->config_interfaces, err);
	free(text);
	if (ret) {
		c->reload_failures++;
		pr_warn("SIGHUP: %s not loaded, the running state stays: %s\n", c->config_path,
			err);
		return;
	}
	c->reloads++;
	pr_info("SIGHUP: reloaded %s: %zu services\n", c->config_path, c->n_services);
}

const char run_usage[] =
	"usage: weir run [-c FILE] [-i IFACE]... [--xdp-mode native|generic]\n"
	"                [--socket PATH] [--socket-group GROUP] [--pin-dir DIR] [-v]\n"
	"\n"
	"Runs the controller: loads and attaches the XDP balancer on each IFACE\n"
	"(native mode unless --xdp-mode generic), pins its maps under DIR\n"
	"(default " WEIR_PIN_DIR_DEFAULT
	"), serves the control socket (default\n" WEIR_SOCKET_DEFAULT
	") and keeps the maps in step with the desired state.\n"
	"-c FILE reads interfaces, settings and services from a YAML file; -i\n"
	"replaces the file's interfaces. -v logs debug messages. The socket is\n"
	"root's alone (0600); --socket-group lets that group connect (0660) and run\n"
	"the commands that change nothing (show, list, stats, status, config dump,\n"
	"expr check); the others need root, whoever connects.\n";

struct run_opts {
	const char *config_path;
	const char *socket_path;
	const char *pin_dir;
	const char *xdp_mode;
	const char *socket_group;
	const char *ifaces[WEIR_MAX_INTERFACES];
	size_t n_ifaces;
	bool verbose;
};

const struct option run_options[] = {
	{ "config", required_argument, 0, 'c' },
	{ "interface", required_argument, 0, 'i' },
	{ "xdp-mode", required_argument, 0, 'm' },
	{ "socket", required_argument, 0, 's' },
	{ "socket-group", required_argument, 0, 'g' },
	{ "pin-dir", required_argument, 0, 'p' },
	{ "verbose", no_argument, 0, 'v' },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	int opt;

	o->socket_path = WEIR_SOCKET_DEFAULT;
	o->pin_dir = WEIR_PIN_DIR_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:i:vh", run_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'm':
			o->xdp_mode = optarg;
			break;
		case 's':
			o->socket_path = optarg;
			break;
		case 'g':
			o->socket_group = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(run_usage, stdout);
			return 1;
		case 'i':
			if (o->n_ifaces == WEIR_MAX_INTERFACES) {
				fprintf(stderr, "weir run: at most %d interfaces\n",
					WEIR_MAX_INTERFACES);
				return -EINVAL;
			}
			o->ifaces[o->n_ifaces++] = optarg;
			break;
		default:
			fputs(run_usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "weir run: unexpected argument '%s'\n%s", argv[optind], run_usage);
		return -EINVAL;
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long size;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc(size + 1)) && fread(buf, 1, size, f) == (size_t)size) {
		buf[size] = '\0';
		*out = buf;
		*len = size;
		fclose(f);
		return 0;
	}
	free(buf);
	fclose(f);
	return -EIO;
}

static int load_config(const struct run_opts *o, struct weir_config *cfg)
{
	char err[WEIR_ERR_MAX] = "", *text = NULL;
	size_t len = 0, i;
	int ret = 0;

	config_init(cfg);
	if (o->config_path) {
		ret = read_file(o->config_path, &text, &len);
		if (ret) {
			fprintf(stderr, "weir run: %s: %s\n", o->config_path, strerror(-ret));
			return ret;
		}
		ret = config_parse(text, len, cfg, err, sizeof(err));
		free(text);
	}
	if (!ret && o->xdp_mode && config_parse_xdp_mode(o->xdp_mode, &cfg->xdp_mode)) {
		snprintf(err, sizeof(err), "--xdp-mode: '%s' is not native or generic",
			 o->xdp_mode);
		ret = -EINVAL;
	}
	if (!ret && o->n_ifaces) {
		cfg->n_interfaces = o->n_ifaces;
		for (i = 0; i < o->n_ifaces; i++)
			snprintf(cfg->interfaces[i], WEIR_IFNAME_MAX, "%s", o->ifaces[i]);
	}
	if (!ret)
		ret = config_check(cfg, err, sizeof(err));
	if (ret)
		fprintf(stderr, "weir run: %s%s%s\n", o->config_path ? o->config_path : "",
			o->config_path ? ": " : "", err);
	return ret;
}

/* Services whose slots or limits may have changed are written now. */
static void sync_dirty(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->n_services; i++)
		if (c->services[i].dirty)
			dp_sync_service(c, &c->services[i]);
}

void ctl_tick(struct ctl *c, uint64_t now)
{

	health_step(c, now);
	neigh_step(c, now);
	classes_tick(c, now);
	grants_tick(c, now);
	lifecycle_step(c, now);
	expressions_step(c, now);
	overload_tick(c, now);
	if (now >= c->next_verify_ns) {
		c->next_verify_ns = now + VERIFY_INTERVAL_NS;
		dp_verify(c);
		dp_sync_ports(c);
	}
	sync_dirty(c);
	if (!dp_sweep_in_pass(c)) {
		if (now < c->next_sweep_ns)
			return;
		c->next_sweep_ns = now + SWEEP_INTERVAL_NS;
	}
	if (dp_sweep_step(c, now, SWEEP_BUDGET_NS) < 0)
		pr_warn("stream sweep failed\n");
}

/* How long to wait in poll(): until the next tick, the overload work due
 * (a probe to start or time out, a PIE update) or the metrics', whichever
 * is first; not at all while a client's command runs in steps. */
static int wait_ms(const struct ctl *c, uint64_t next_tick, uint64_t due, uint64_t now)
{
	uint64_t metrics = metrics_next_due(c, now);

	if (server_working(c))
		return 0;
	if (due > metrics)
		due = metrics;
	if (due > next_tick)
		due = next_tick;
	return due > now ? (int)((due - now + 999999) / 1000000) : 0;
}

/* One wait for the socket's clients, the probes or the next tick, and
 * what is due. Returns the time of the tick after. */
uint64_t ctl_loop_once(struct ctl *c, uint64_t next_tick)
{
	struct pollfd pfd[SERVER_POLLFDS_MAX + PROBE_INFLIGHT_MAX + 1];
	struct probe_owner owner[PROBE_INFLIGHT_MAX];
	uint64_t now = ctl_now_ns(), due = overload_next_due(c);
	size_t n = server_pollfds(c, pfd, SERVER_POLLFDS_MAX);
	size_t np = probe_pollfds(c, pfd + n, owner, PROBE_INFLIGHT_MAX);
	size_t nm = metrics_pollfds(c, pfd + n + np, 1);

	/* Client deadlines are checked at least every tick: the wait is never
	 * longer than the update interval. */
	if (poll(pfd, n + np + nm, wait_ms(c, next_tick, due, now)) >= 0) {
		/* probes first: their time is the measurement */
		probe_handle(c, pfd + n, owner, np, ctl_now_ns());
		server_handle(c, pfd, n, ctl_now_ns());
	}
	now = ctl_now_ns();
	metrics_step(c, now);
	/* A wake-up for a descriptor (a probe's answer, a client) has no
	 * overload work due: only what it changed is written. Work that
	 * became due earlier meanwhile waits for the next turn, which
	 * computes its due time again. */
	if (now >= due)
		overload_step(c, now);
	else
		sync_dirty(c);
	if (now < next_tick)
		return next_tick;
	if (now - next_tick > c->tick_late_max_ns)
		c->tick_late_max_ns = now - next_tick;
	ctl_tick(c, now);
	metrics_histogram_observe(&c->loop_histogram, (double)(ctl_now_ns() - now) / 1e9);
	/* Skip ticks missed while the machine was busy, not replay them. */
	next_tick += c->top.update_interval_ns;
	if (next_tick < now)
		next_tick = now + c->top.update_interval_ns;
	return next_tick;
}

static void ctl_loop(struct ctl *c)
{
	uint64_t next_tick = ctl_now_ns();

	while (!c->stop && !stop_signal) {
		next_tick = ctl_loop_once(c, next_tick);
		if (reload_signal)
			reload_config(c);
	}
}

static int ctl_start(struct ctl *c, const struct run_opts *o, struct weir_config *cfg)
{
	char err[WEIR_ERR_MAX] = "";
	int ret;

	ret = server_open(c);
	if (!ret)
		ret = metrics_open(c);
	if (ret)
		return ret;
	c->loader_started = true;
	ret = loader_start(&c->loader, o->pin_dir, cfg);
	if (ret)
		return ret;
	ret = state_adopt_pinned(c);
	if (!ret)
		ret = state_apply(c, cfg, err, sizeof(err));
	if (ret)
		pr_warn("desired state: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

static void ctl_finish(struct ctl *c)
{
	server_close(c);
	metrics_close(c);
	state_free(c);
	grants_free(c);
	dp_sweep_free(c);
	dp_shadow_free(c);
	if (!c->loader_started)
		return;
	if (c->teardown) {
		loader_teardown(&c->loader);
		pr_info("shut down: detached from every interface, removed %s\n",
			c->loader.pin_dir);
	} else {
		loader_close(&c->loader);
		pr_info("stopped; the data plane keeps running (weir shutdown removes it)\n");
	}
}

/* Health checks, socket clients and map descriptors all need descriptors;
 * the soft limit of 1024 is a default, not a decision. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A group by name or number. */
static int group_of(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);
	uint32_t n;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	if (units_parse_u32(name, 0, UINT32_MAX - 1, &n))
		return -ENOENT;
	*gid = n;
	return 0;
}

int run_main(int argc, char **argv)
{
	struct run_opts o = {};
	struct ctl c = { .listen_fd = -1 };
	struct weir_config cfg;
	int ret;

	ret = parse_run_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	log_set_level(o.verbose ? LOG_DEBUG : LOG_INFO);
	log_route_libraries();
	raise_nofile();
	/* the autothrottle's exploration */
	srandom((unsigned int)(ctl_now_ns() ^ (uint64_t)getpid() << 16));
	if (load_config(&o, &cfg))
		return 2;
	c.top = cfg;
	c.top.services = NULL;
	c.top.n_services = 0;
	c.socket_path = o.socket_path;
	c.config_path = o.config_path;
	c.config_interfaces = o.n_ifaces == 0;
	if (o.socket_group && group_of(o.socket_group, &c.socket_gid)) {
		fprintf(stderr, "weir run: --socket-group: no group '%s'\n", o.socket_group);
		config_free(&cfg);
		return 2;
	}
	c.socket_group = o.socket_group != NULL;
	c.started_ns = ctl_now_ns();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_hup);
	ret = ctl_start(&c, &o, &cfg);
	config_free(&cfg);
	if (!ret) {
		pr_info("running: %zu services, socket %s\n", c.n_services, c.socket_path);
		/* the socket answers and the maps are in step: ready */
		if (notify_systemd("READY=1"))
			pr_warn("cannot tell systemd we are ready ($NOTIFY_SOCKET)\n");
		ctl_loop(&c);
		notify_systemd("STOPPING=1");
	}
	ctl_finish(&c);
	return ret ? 1 : 0;
}
