// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP-connect health checks, driven by the update loop: a check is a
 * non-blocking connect that the next ticks poll until it completes or its
 * timeout passes. fall consecutive failures take a backend down, rise
 * consecutive successes bring it back; either marks its service dirty.
 * Failures of our own (no descriptor, no local port, no memory) say
 * nothing of the backend: the check is retried, never counted against it.
 * The connects are sockaddr.c's, within its in-flight budget.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/log.h"
#include "ctl/sockaddr.h"

#define HEALTH_RETRY_NS 100000000ULL

void health_close(struct ctl_backend *be)
{
	if (be->check_fd < 0)
		return;
	connect_close(be->check_fd);
	be->check_fd = -1;
}

static void check_postpone(struct ctl_service *svc, struct ctl_backend *be, uint64_t now, int err)
{
	char addr[WEIR_ADDR_STRLEN];

	health_close(be);
	be->next_check_ns = now + HEALTH_RETRY_NS;
	if (now < be->local_warned_ns + 10ULL * 1000000000ULL)
		return;
	be->local_warned_ns = now;
	pr_warn("service %s: backend %s: health check not started: %s (this host's, not the "
		"backend's; retried)\n",
		svc->cfg.name, units_format_addr(&be->cfg.addr, addr, sizeof(addr)), strerror(err));
}

static void check_result(struct ctl_service *svc, struct ctl_backend *be, int err)
{
	const struct weir_health_config *h = &svc->cfg.health;
	char addr[WEIR_ADDR_STRLEN];

	health_close(be);
	units_format_addr(&be->cfg.addr, addr, sizeof(addr));
	if (!err) {
		be->failures = 0;
		if (++be->successes >= h->rise && !be->up) {
			be->up = true;
			svc->dirty = true;
			pr_info("service %s: backend %s: up after %u good checks\n", svc->cfg.name,
				addr, be->successes);
		}
		return;
	}
	be->successes = 0;
	if (++be->failures >= h->fall && be->up) {
		be->up = false;
		svc->dirty = true;
		pr_warn("service %s: backend %s: down after %u failed checks (%s)\n", svc->cfg.name,
			addr, be->failures, strerror(err));
	}
}

static void check_start(struct ctl_service *svc, struct ctl_backend *be, uint64_t now)
{
	uint16_t port = svc->cfg.health.port ? svc->cfg.health.port : svc->cfg.port;
	int err;

	if (connect_busy())
		return; /* the next tick tries again */
	be->check_started_ns = now;
	be->next_check_ns = now + svc->cfg.health.interval_ns;
	be->check_fd = connect_start(&be->cfg.addr, port, &err);
	if (be->check_fd < 0 || connect_local_error(err))
		check_postpone(svc, be, now, err);
	else if (err != EINPROGRESS)
		check_result(svc, be, err);
}

/* 0: connected; >0: failed with that errno; -EAGAIN: still in flight. */
static int check_poll(const struct ctl_backend *be)
{
	struct pollfd pfd = { .fd = be->check_fd, .events = POLLOUT };

	if (poll(&pfd, 1, 0) <= 0)
		return -EAGAIN;
	return connect_result(be->check_fd);
}

static void check_backend(struct ctl_service *svc, struct ctl_backend *be, uint64_t now)
{
	int ret;

	if (be->check_fd >= 0) {
		ret = check_poll(be);
		if (ret == -EAGAIN && now - be->check_started_ns >= svc->cfg.health.timeout_ns)
			ret = ETIMEDOUT;
		if (ret > 0 && connect_local_error(ret))
			check_postpone(svc, be, now, ret);
		else if (ret != -EAGAIN)
			check_result(svc, be, ret);
		return;
	}
	if (now >= be->next_check_ns)
		check_start(svc, be, now);
}

void health_step(struct ctl *c, uint64_t now)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		for (j = 0; j < svc->n_backends; j++) {
			struct ctl_backend *be = &svc->backends[j];

			if (svc->cfg.health.enabled) {
				check_backend(svc, be, now);
				continue;
			}
			health_close(be); /* checks were turned off */
			be->successes = be->failures = 0;
			if (!be->up) {
				be->up = true;
				svc->dirty = true;
			}
		}
	}
}
