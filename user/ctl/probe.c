// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Active probes of backends, for the delay PIE regulates and for the
 * breaker: `probe tcp` times a connect, `probe http:PATH` times a GET on a
 * fresh connection up to its status line, so it waits in the backend's
 * queue like a client's request. Unlike health checks, probes are polled
 * with the control socket rather than once a tick: a delay of a few
 * milliseconds is measured to well under one. A probe this host could
 * not start (no descriptor, no local port) is tried again at the next
 * interval and says nothing of the backend: the breaker never sees it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl.h"
#include "ctl/sockaddr.h"

void probe_close(struct ctl_backend *be)
{
	if (be->probe.phase == PROBE_IDLE)
		return;
	connect_close(be->probe.fd);
	be->probe.fd = -1;
	be->probe.phase = PROBE_IDLE;
}

static void probe_end(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be, int err,
		      uint64_t now)
{
	uint64_t delay = now - be->probe.started_ns;

	probe_close(be);
	if (err) {
		be->probe.failed++;
		be->probe.last_error = err;
	}
	/* A probe that timed out waited that long at least: PIE must see it.
	 * One refused at once says nothing of the queue. */
	overload_probe_done(c, svc, be, !err, !err || err == ETIMEDOUT ? delay : 0, now);
}

static void probe_start(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be,
			uint64_t now)
{
	int fd, err;

	if (connect_busy())
		return; /* the next step tries again */
	be->probe.next_ns = now + svc->cfg.overload.probe_interval_ns;
	fd = connect_start(&be->cfg.addr, svc->cfg.port, &err);
	if (fd < 0)
		return; /* this host's shortage, not the backend's: not counted */
	be->probe.fd = fd;
	be->probe.phase = PROBE_CONNECTING;
	if (connect_local_error(err)) {
		probe_close(be);
		return;
	}
	be->probe.started_ns = now;
	be->probe.got = 0;
	be->probe.sent++;
	if (err && err != EINPROGRESS)
		probe_end(c, svc, be, err, now);
}

static int send_request(const struct ctl_service *svc, struct ctl_backend *be)
{
	char req[WEIR_PROBE_PATH_MAX + 160], addr[WEIR_ADDR_STRLEN];
	bool v6 = be->cfg.addr.family == WEIR_AF_INET6;
	int n;

	units_format_addr(&be->cfg.addr, addr, sizeof(addr));
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: weir-probe/" WEIR_VERSION
		     "\r\nConnection: close\r\n\r\n",
		     svc->cfg.overload.probe_path, v6 ? "[" : "", addr, v6 ? "]" : "",
		     svc->cfg.port);
	if (n < 0 || (size_t)n >= sizeof(req))
		return EINVAL;
	/* a fresh socket's buffer takes a request this small at once */
	if (send(be->probe.fd, req, n, MSG_NOSIGNAL) != n)
		return errno ? errno : EIO;
	be->probe.phase = PROBE_WAITING;
	return 0;
}

/* "HTTP/1.x NNN": 0 for 2xx and 3xx, EPROTO for anything else;
 * -EAGAIN until the status code is in. */
static int parse_status(const struct ctl_probe *p)
{
	const char *a = p->answer;
	int code;

	if (p->got < 12)
		return -EAGAIN;
	if (strncmp(a, "HTTP/1.", 7) || a[8] != ' ' || a[9] < '0' || a[9] > '9' || a[10] < '0' ||
	    a[10] > '9' || a[11] < '0' || a[11] > '9')
		return EPROTO;
	code = (a[9] - '0') * 100 + (a[10] - '0') * 10 + (a[11] - '0');
	return code >= 200 && code < 400 ? 0 : EPROTO;
}

/* 0: done well; >0: failed with that errno; -EAGAIN: goes on. */
static int read_status(struct ctl_backend *be)
{
	struct ctl_probe *p = &be->probe;
	ssize_t n = recv(p->fd, p->answer + p->got, sizeof(p->answer) - p->got, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : errno;
	if (n == 0)
		return p->got >= 12 ? parse_status(p) : EPROTO; /* closed before its status */
	p->got += n;
	return parse_status(p);
}

static void probe_ready(struct ctl *c, struct ctl_service *svc, struct ctl_backend *be,
			short revents, uint64_t now)
{
	int ret;

	if (be->probe.phase == PROBE_CONNECTING) {
		ret = connect_result(be->probe.fd);
		if (ret && connect_local_error(ret)) {
			probe_close(be); /* not the backend's: not counted */
			return;
		}
		if (!ret && svc->cfg.overload.probe == WEIR_PROBE_HTTP)
			ret = send_request(svc, be) ?: -EAGAIN;
	} else {
		ret = (revents & (POLLIN | POLLHUP | POLLERR)) ? read_status(be) : -EAGAIN;
	}
	if (ret != -EAGAIN)
		probe_end(c, svc, be, ret, now);
}

static bool probing(const struct ctl_service *svc)
{
	return overload_probes(&svc->cfg.overload);
}

void probe_step(struct ctl *c, uint64_t now)
{
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		struct ctl_service *svc = &c->services[i];

		for (j = 0; j < svc->n_backends; j++) {
			struct ctl_backend *be = &svc->backends[j];

			if (!probing(svc) || be->cfg.paused) {
				probe_close(be);
				continue;
			}
			if (be->probe.phase == PROBE_IDLE && now >= be->probe.next_ns)
				probe_start(c, svc, be, now);
			else if (be->probe.phase != PROBE_IDLE &&
				 now - be->probe.started_ns >= svc->cfg.overload.probe_timeout_ns)
				probe_end(c, svc, be, ETIMEDOUT, now);
		}
	}
}

uint64_t probe_next_due(const struct ctl *c)
{
	uint64_t due = UINT64_MAX, t;
	size_t i, j;

	for (i = 0; i < c->n_services; i++) {
		const struct ctl_service *svc = &c->services[i];

		for (j = 0; probing(svc) && j < svc->n_backends; j++) {
			const struct ctl_probe *p = &svc->backends[j].probe;

			t = p->phase == PROBE_IDLE
				    ? p->next_ns
				    : p->started_ns + svc->cfg.overload.probe_timeout_ns;
			if (t < due)
				due = t;
		}
	}
	return due;
}

size_t probe_pollfds(struct ctl *c, struct pollfd *pfd, struct probe_owner *owner, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->n_services; i++) {
		for (j = 0; j < c->services[i].n_backends && n < max; j++) {
			const struct ctl_probe *p = &c->services[i].backends[j].probe;

			if (p->phase == PROBE_IDLE)
				continue;
			pfd[n].fd = p->fd;
			pfd[n].events = p->phase == PROBE_CONNECTING ? POLLOUT : POLLIN;
			pfd[n].revents = 0;
			owner[n].service = i;
			owner[n].backend = j;
			n++;
		}
	}
	return n;
}

void probe_handle(struct ctl *c, const struct pollfd *pfd, const struct probe_owner *owner,
		  size_t n, uint64_t now)
{
	size_t k;

	for (k = 0; k < n; k++) {
		struct ctl_service *svc;
		struct ctl_backend *be;

		if (!pfd[k].revents || owner[k].service >= c->n_services)
			continue;
		svc = &c->services[owner[k].service];
		if (owner[k].backend >= svc->n_backends)
			continue;
		be = &svc->backends[owner[k].backend];
		if (be->probe.fd == pfd[k].fd && be->probe.phase != PROBE_IDLE)
			probe_ready(c, svc, be, pfd[k].revents, now);
	}
}
