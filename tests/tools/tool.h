/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the test tools, each a program of one file. */
#ifndef WEIR_TOOL_H
#define WEIR_TOOL_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An IPv4 or IPv6 literal and a port into ss; returns AF_INET, AF_INET6,
 * or -1 for neither. */
static inline int tool_sockaddr(const char *text, int port, struct sockaddr_storage *ss,
				socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return AF_INET6;
	}
	return -1;
}

/* The port of an AF_INET or AF_INET6 address, in host order. */
static inline int tool_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A listening (TCP) or bound (UDP) non-blocking socket on [::]:port that
 * takes IPv4 too; -1 (said on stderr, as by who) on failure. */
static inline int tool_listen(const char *who, int type, int port, int backlog)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), off = 0, on = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, backlog))) {
		fprintf(stderr, "%s: bind/listen port %d: %s\n", who, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static inline long long tool_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* A whole decimal number in [min, max], nothing after it ("5s" is no
 * number of ms); 0 or -1. */
static inline int tool_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static inline int tool_parse_int(const char *s, int min, int max, int *out)
{
	long v;

	if (tool_parse_long(s, min, max, &v))
		return -1;
	*out = (int)v;
	return 0;
}

static inline int tool_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* Every connection is an fd: the soft limit raised to the hard one; returns
 * the limit now in force (at most INT_MAX). */
static inline int tool_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur;
}

/* epoll_pwait2 waits to the microsecond, which keeps pacing and timers
 * even; epoll_pwait (milliseconds, rounded up) serves kernels before 5.11.
 * timeout_us < 0: no timeout. mask as for epoll_pwait (NULL: none). */
static inline int tool_epoll_wait_us(int ep, struct epoll_event *ev, int max, long long timeout_us,
				     const sigset_t *mask)
{
	static int no_pwait2;
	struct timespec ts = { timeout_us / 1000000, timeout_us % 1000000 * 1000 };
	int n;

	if (!no_pwait2) {
		n = epoll_pwait2(ep, ev, max, timeout_us < 0 ? NULL : &ts, mask);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	return epoll_pwait(ep, ev, max, timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000),
			   mask);
}

/* How a connection attempt or a stream ended, as the tools report it. */
enum tool_outcome {
	TOOL_PENDING,
	TOOL_OK,
	TOOL_REFUSED,
	TOOL_RESET,
	TOOL_TIMEOUT,
	TOOL_ERROR,
	TOOL_SKIPPED,
	TOOL_OUTCOMES
};

static inline const char *tool_outcome_name(enum tool_outcome o)
{
	static const char *const names[TOOL_OUTCOMES] = { "pending", "ok",    "refused", "reset",
							  "timeout", "error", "skipped" };

	return o < TOOL_OUTCOMES ? names[o] : "error";
}

/* What an errno of connect, send or recv says: refused (a RST to the SYN,
 * or ICMP port unreachable on a connected UDP socket), reset, timeout, or
 * an error. */
static inline enum tool_outcome tool_outcome_of(int err)
{
	if (err == ECONNREFUSED)
		return TOOL_REFUSED;
	if (err == ECONNRESET || err == EPIPE)
		return TOOL_RESET;
	if (err == ETIMEDOUT)
		return TOOL_TIMEOUT;
	return TOOL_ERROR;
}

#endif
