// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP-connect health checks, driven by the update loop: a check is a
 * non-blocking connect that the next ticks poll until it completes or its
 * timeout passes. fall consecutive failures take a backend down, rise
 * consecutive successes bring it back; either marks its service dirty.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/log.h"
#include "ctl/sockaddr.h"

void health_close(struct ctl_backend *be)
{
	/* Linger 0: end the probe with a RST, leaving no TIME_WAIT behind. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (be->check_fd < 0)
		return;
	setsockopt(be->check_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(be->check_fd);
	be->check_fd = -1;
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
	int family = be->cfg.addr.family == WEIR_AF_INET ? AF_INET : AF_INET6;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_from(&be->cfg.addr, port, &ss);

	be->check_started_ns = now;
	be->next_check_ns = now + svc->cfg.health.interval_ns;
	be->check_fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (be->check_fd < 0) {
		check_result(svc, be, errno);
		return;
	}
	if (connect(be->check_fd, (struct sockaddr *)&ss, len) == 0)
		check_result(svc, be, 0);
	else if (errno != EINPROGRESS)
		check_result(svc, be, errno);
}

/* 0: connected; >0: failed with that errno; -EAGAIN: still in flight. */
static int check_poll(const struct ctl_backend *be)
{
	struct pollfd pfd = { .fd = be->check_fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&pfd, 1, 0) <= 0)
		return -EAGAIN;
	if (getsockopt(be->check_fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return errno;
	return soerr;
}

static void check_backend(struct ctl_service *svc, struct ctl_backend *be, uint64_t now)
{
	int ret;

	if (be->check_fd >= 0) {
		ret = check_poll(be);
		if (ret == -EAGAIN && now - be->check_started_ns >= svc->cfg.health.timeout_ns)
			ret = ETIMEDOUT;
		if (ret != -EAGAIN)
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
