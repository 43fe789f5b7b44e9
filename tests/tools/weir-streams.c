// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-streams: bounded concurrent streams for tests and demos. Opens
 * --conns streams at once (TCP connections, or connected UDP sockets, each
 * from its own source port) and keeps each sending --size bytes every
 * --interval-ms (or at --rate) for --hold-ms. It reports per stream how it
 * began (ok, reset, refused, timeout), when, and how it ended (held to the
 * end, reset or refused by the far side, with the time). An optional
 * silence (--idle-at-ms, --idle-ms) lets a stream go idle and come back.
 * Every stream has its deadline; the run ends by itself. JSON on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CONNS_MAX 512

struct opts {
	bool udp;
	const char *addr, *bind;
	int port, conns, sport_base;
	long hold_ms, interval_ms, size, connect_timeout_ms, idle_at_ms, idle_ms;
	double rate_bps;
};

struct conn {
	int fd;
	int sport;
	const char *begin; /* ok, reset, refused, timeout, error */
	const char *end; /* held, reset, refused, closed */
	long begin_ms, end_ms;
	uint64_t sent;
	bool open;
	long long next_send_us;
};

static long now_ms(void)
{
	return (long)(tool_now_us() / 1000);
}

static const char *error_name(int err)
{
	return tool_outcome_name(tool_outcome_of(err));
}

static void conn_close(struct conn *c, const char *how, long t)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->open = false;
	if (!c->end) {
		c->end = how;
		c->end_ms = t;
	}
}

/* A socket from its own source port, connecting (non-blocking). */
static int conn_start(const struct opts *o, struct conn *c, int i)
{
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	int family = tool_sockaddr(o->addr, o->port, &dst, &dlen), on = 1;

	c->fd = socket(family, (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (!o->udp)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->sport = o->sport_base ? o->sport_base + i : 0;
	if (o->bind || c->sport) {
		tool_sockaddr(o->bind ? o->bind : (family == AF_INET ? "0.0.0.0" : "::"), c->sport,
			      &src, &slen);
		if (bind(c->fd, (struct sockaddr *)&src, slen))
			return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&dst, dlen) && errno != EINPROGRESS)
		return -1;
	/* Without --sport-base the kernel picked the port at connect(): the
	 * report names the real one, so a test can find the stream at a
	 * receiver. */
	slen = sizeof(src);
	if (!getsockname(c->fd, (struct sockaddr *)&src, &slen))
		c->sport = tool_port(&src);
	return 0;
}

/* TCP: wait for every connect to finish or time out. */
static void connect_all(const struct opts *o, struct conn *c, long t0)
{
	struct pollfd pfd[CONNS_MAX];
	int i, pending = 0;

	for (i = 0; i < o->conns; i++)
		pending += !c[i].begin; /* one that failed to start waits for nothing */
	while (pending) {
		long left = t0 + o->connect_timeout_ms - now_ms();

		for (i = 0; i < o->conns; i++)
			pfd[i] = (struct pollfd){ .fd = c[i].begin ? -1 : c[i].fd,
						  .events = POLLOUT };
		if (left <= 0 || poll(pfd, o->conns, left) <= 0)
			break;
		for (i = 0; i < o->conns; i++) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (c[i].begin || !pfd[i].revents)
				continue;
			getsockopt(c[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
			c[i].begin = err ? error_name(err) : "ok";
			c[i].begin_ms = now_ms() - t0;
			c[i].open = !err;
			if (err)
				conn_close(&c[i], c[i].begin, c[i].begin_ms);
			pending--;
		}
	}
	for (i = 0; i < o->conns; i++)
		if (!c[i].begin) {
			c[i].begin = "timeout";
			c[i].begin_ms = now_ms() - t0;
			conn_close(&c[i], "timeout", c[i].begin_ms);
		}
}

static void conn_send(const struct opts *o, struct conn *c, long t, long t0)
{
	static char buf[65536];
	ssize_t n = send(c->fd, buf, o->size, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n > 0)
		c->sent += n;
	else if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
		conn_close(c, error_name(errno), t - t0);
}

/* Reads what the far side says: TCP EOF or RST, UDP ECONNREFUSED. */
static void conn_poll_errors(struct conn *c, long t, long t0, bool udp)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 && !udp)
		conn_close(c, "closed", t - t0);
	else if (n < 0 && errno != EAGAIN)
		conn_close(c, error_name(errno), t - t0);
}

static bool idle_now(const struct opts *o, long since)
{
	return o->idle_ms && since >= o->idle_at_ms && since < o->idle_at_ms + o->idle_ms;
}

/* Sends are paced in microseconds; a late wake-up catches up, so the
 * rate holds over the run. */
static void run(const struct opts *o, struct conn *c, long t0)
{
	long long gap_us = o->interval_ms * 1000LL;
	int i;

	if (o->rate_bps > 0)
		gap_us = (long long)(o->size * 8 * 1e6 / o->rate_bps);
	if (gap_us < 1)
		gap_us = 1;
	for (i = 0; i < o->conns; i++)
		c[i].next_send_us = tool_now_us();
	while (now_ms() - t0 < o->hold_ms) {
		long long t_us = tool_now_us();
		long t = (long)(t_us / 1000);
		bool any = false;

		for (i = 0; i < o->conns; i++) {
			if (!c[i].open)
				continue;
			any = true;
			conn_poll_errors(&c[i], t, t0, o->udp);
			while (c[i].open && t_us >= c[i].next_send_us) {
				if (!idle_now(o, t - t0))
					conn_send(o, &c[i], t, t0);
				c[i].next_send_us += gap_us;
			}
		}
		if (!any)
			break;
		usleep(gap_us < 2000 ? (useconds_t)gap_us : 2000);
	}
	for (i = 0; i < o->conns; i++)
		if (c[i].open)
			conn_close(&c[i], "held", now_ms() - t0);
}

static void report(const struct opts *o, const struct conn *c)
{
	int i, ok = 0;

	for (i = 0; i < o->conns; i++)
		ok += !strcmp(c[i].begin, "ok");
	printf("{\"ok\":%d,\"conns\":[", ok);
	for (i = 0; i < o->conns; i++)
		printf("%s{\"sport\":%d,\"begin\":\"%s\",\"begin_ms\":%ld,\"end\":\"%s\","
		       "\"end_ms\":%ld,\"sent\":%llu}",
		       i ? "," : "", c[i].sport, c[i].begin, c[i].begin_ms,
		       c[i].end ? c[i].end : "-", c[i].end_ms, (unsigned long long)c[i].sent);
	printf("]}\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "udp", no_argument, NULL, 'u' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "conns", required_argument, NULL, 'n' },
		{ "sport-base", required_argument, NULL, 's' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 'z' },
		{ "connect-timeout-ms", required_argument, NULL, 'c' },
		{ "idle-at-ms", required_argument, NULL, 'I' },
		{ "idle-ms", required_argument, NULL, 'l' },
		{ 0 },
	};
	int opt, err;

	*o = (struct opts){ .conns = 1,
			    .hold_ms = 1000,
			    .interval_ms = 100,
			    .size = 100,
			    .connect_timeout_ms = 1000 };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		err = 0;
		switch (opt) {
		case 't':
			o->udp = false;
			break;
		case 'u':
			o->udp = true;
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			err = tool_parse_int(optarg, 1, 65535, &o->port);
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'n':
			err = tool_parse_int(optarg, 1, CONNS_MAX, &o->conns);
			break;
		case 's':
			err = tool_parse_int(optarg, 1, 65535, &o->sport_base);
			break;
		case 'H':
			err = tool_parse_long(optarg, 0, 600000, &o->hold_ms);
			break;
		case 'i':
			err = tool_parse_long(optarg, 0, 3600000, &o->interval_ms);
			break;
		case 'r':
			err = tool_parse_double(optarg, 0, 1e12, &o->rate_bps);
			break;
		case 'z':
			err = tool_parse_long(optarg, 1, 65507, &o->size);
			break;
		case 'c':
			err = tool_parse_long(optarg, 1, 600000, &o->connect_timeout_ms);
			break;
		case 'I':
			err = tool_parse_long(optarg, 0, 600000, &o->idle_at_ms);
			break;
		case 'l':
			err = tool_parse_long(optarg, 0, 600000, &o->idle_ms);
			break;
		default:
			return -1;
		}
		if (err)
			return -1;
	}
	if (optind != argc || !o->addr || (o->sport_base && o->sport_base + o->conns > 65536))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct conn c[CONNS_MAX];
	struct opts o;
	long t0;
	int i;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: weir-streams --tcp|--udp --addr A --port P [--bind SRC]\n"
				"  [--conns N] [--sport-base N] [--hold-ms MS] [--interval-ms MS]\n"
				"  [--rate BIT/S] [--size BYTES] [--connect-timeout-ms MS]\n"
				"  [--idle-at-ms MS --idle-ms MS]\n");
		return 2;
	}
	t0 = now_ms();
	for (i = 0; i < o.conns; i++) {
		c[i].fd = -1;
		if (conn_start(&o, &c[i], i)) {
			c[i].begin = error_name(errno);
			c[i].begin_ms = now_ms() - t0;
			conn_close(&c[i], c[i].begin, c[i].begin_ms);
		} else if (o.udp) {
			c[i].begin = "ok";
			c[i].open = true;
		}
	}
	if (!o.udp)
		connect_all(&o, c, t0);
	run(&o, c, t0);
	report(&o, c);
	return 0;
}
