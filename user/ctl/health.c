// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP-connect health checks, driven by the update loop: a check is a
 * non-blocking connect that the next ticks poll until it completes or its
 * timeout passes. fall consecutive failures take a backend down, rise
 * consecutive successes bring it back; either marks its service dirty.
 * Failures of our own (no descriptor, no local port, no memory) say
 * nothing of the backend: the check is retried, never counted against it.
 * At most HEALTH_INFLIGHT_MAX checks are in flight, so thousands of
 * backends never exhaust the descriptors the socket server needs.
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

#define HEALTH_INFLIGHT_MAX 256
#define HEALTH_RETRY_NS 100000000ULL

static unsigned int inflight;

void health_close(struct ctl_backend *be)
{
	/* Linger 0: end the probe with a RST, leaving no TIME_WAIT behind. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (be->check_fd < 0)
		return;
	setsockopt(be->check_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(be->check_fd);
	be->check_fd = -1;
	inflight--;
}

/* This host's resources ran out, not the backend's patience. */
static bool local_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ||
	       err == EADDRNOTAVAIL || err == EAGAIN;
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
	int family = be->cfg.addr.family == WEIR_AF_INET ? AF_INET : AF_INET6;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_from(&be->cfg.addr, port, &ss);

	if (inflight >= HEALTH_INFLIGHT_MAX)
		return; /* the next tick tries again */
	be->check_started_ns = now;
	be->next_check_ns = now + svc->cfg.health.interval_ns;
	be->check_fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (be->check_fd < 0) {
		check_postpone(svc, be, now, errno);
		return;
	}
	inflight++;
	if (connect(be->check_fd, (struct sockaddr *)&ss, len) == 0)
		check_result(svc, be, 0);
	else if (local_error(errno))
		check_postpone(svc, be, now, errno);
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
		if (ret > 0 && local_error(ret))
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
