// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-queue-server: a TCP backend of fixed capacity whose latency grows
 * with load, for the overload demo. Every connection sends one request; it
 * waits in a FIFO queue for one of --workers slots, holds the slot for
 * --service-ms (a timer: nothing sleeps), then gets a short HTTP/1.0 reply
 * naming the server and is closed. So at most workers/service requests a
 * second complete and the rest queue: latency = queue wait + service time.
 * Health probes queue like everyone else, which is the point of the demo;
 * a request for --probe-path waits its turn but takes no service time, so
 * its latency is the queue's wait alone.
 * One thread, non-blocking sockets, epoll; the timers are the epoll
 * timeout. On SIGTERM or SIGINT it writes JSON to --out (or stdout) and
 * exits. Binds [::] dual-stack. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define REQ_MAX 4096
#define EVENTS_MAX 256

enum state {
	C_FREE,
	C_READING,
	C_QUEUED,
	C_SERVING
};

struct conn {
	unsigned char state;
	bool eof; /* the peer shut its side: it may still read the reply */
	bool probe; /* asks for --probe-path: no service time */
	unsigned short len; /* request bytes read so far */
	unsigned int gen; /* tells a queue entry from a later conn on the same fd */
};

struct qent {
	int fd;
	unsigned int gen;
	long long ready_us; /* when the request was complete */
};

struct slot {
	int fd; /* -1: idle */
	unsigned int gen;
	long long end_us;
};

struct server {
	int lfd, ep, nfds, workers;
	long long service_us;
	const char *name;
	const char *probe_path;
	struct conn *conns; /* indexed by fd */
	struct slot *slots;
	struct qent *q; /* ring; dropped conns leave stale entries behind */
	size_t qcap, qhead, qtail;
	long qlive, max_queue, open, max_concurrent;
	unsigned long long served;
	bool accept_paused;
	char reply[REQ_MAX];
	int reply_len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Every connection is an fd, and conns is indexed by fd: all the hard
 * limit allows, up to a table of 4M. */
static int fd_table_size(void)
{
	int n = tool_raise_nofile();

	return n > (1 << 22) ? (1 << 22) : n;
}

static void set_events(struct server *s, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev);
}

static void conn_close(struct server *s, int fd)
{
	if (s->conns[fd].state == C_QUEUED)
		s->qlive--;
	s->conns[fd].state = C_FREE;
	close(fd); /* also leaves the epoll set */
	s->open--;
	/* An fd is free again: accept can go on. */
	if (s->accept_paused) {
		s->accept_paused = false;
		set_events(s, s->lfd, EPOLLIN);
	}
}

static void enqueue(struct server *s, int fd, long long t)
{
	if (s->qtail - s->qhead == s->qcap) {
		struct qent *q = malloc(2 * s->qcap * sizeof(*q));
		size_t i;

		if (!q) {
			conn_close(s, fd);
			return;
		}
		for (i = 0; i < s->qcap; i++)
			q[i] = s->q[(s->qhead + i) % s->qcap];
		free(s->q);
		s->q = q;
		s->qtail -= s->qhead;
		s->qhead = 0;
		s->qcap *= 2;
	}
	s->q[s->qtail++ % s->qcap] = (struct qent){ fd, s->conns[fd].gen, t };
	s->conns[fd].state = C_QUEUED;
	if (++s->qlive > s->max_queue)
		s->max_queue = s->qlive;
}

/* The oldest request still connected, or false if none waits. */
static bool dequeue(struct server *s, struct qent *e)
{
	while (s->qhead != s->qtail) {
		*e = s->q[s->qhead++ % s->qcap];
		if (s->conns[e->fd].state == C_QUEUED && s->conns[e->fd].gen == e->gen) {
			s->qlive--;
			return true;
		}
	}
	return false;
}

/* Work starts when both the request and the slot are ready, not when we
 * happen to wake: late wake-ups do not eat into the capacity. */
static void slot_fill(struct server *s, struct slot *w, long long free_us)
{
	struct qent e;

	if (!dequeue(s, &e)) {
		w->fd = -1;
		return;
	}
	w->fd = e.fd;
	w->gen = e.gen;
	w->end_us = (e.ready_us > free_us ? e.ready_us : free_us) +
		    (s->conns[e.fd].probe ? 0 : s->service_us);
	s->conns[e.fd].state = C_SERVING;
}

/* Unread input would turn our close into a RST and lose the reply. */
static bool drain(int fd)
{
	static char buf[REQ_MAX];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || errno == EAGAIN;
}

static void reply(struct server *s, int fd)
{
	drain(fd);
	if (send(fd, s->reply, s->reply_len, MSG_DONTWAIT | MSG_NOSIGNAL) == s->reply_len)
		s->served++;
	shutdown(fd, SHUT_WR);
	conn_close(s, fd);
}

static void slots_run(struct server *s, long long t)
{
	int i;

	for (i = 0; i < s->workers; i++) {
		struct slot *w = &s->slots[i];

		/* A slot whose conn has gone still did the work. */
		while (w->fd >= 0 && w->end_us <= t) {
			long long end = w->end_us;

			if (s->conns[w->fd].state == C_SERVING && s->conns[w->fd].gen == w->gen)
				reply(s, w->fd);
			slot_fill(s, w, end);
		}
		if (w->fd < 0)
			slot_fill(s, w, t);
	}
}

static long long next_timer(const struct server *s)
{
	long long t = -1;
	int i;

	for (i = 0; i < s->workers; i++)
		if (s->slots[i].fd >= 0 && (t < 0 || s->slots[i].end_us < t))
			t = s->slots[i].end_us;
	return t;
}

static void accept_all(struct server *s)
{
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0 || errno == ECONNABORTED) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		if (fd < 0)
			continue;
		if (fd >= s->nfds || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		s->conns[fd] = (struct conn){ .state = C_READING, .gen = s->conns[fd].gen + 1 };
		if (++s->open > s->max_concurrent)
			s->max_concurrent = s->open;
	}
	/* Out of fds: stop listening (the socket would stay readable and
	 * spin) until a connection closes. */
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
		s->accept_paused = true;
		set_events(s, s->lfd, 0);
	}
}

/* "GET <probe-path> " at the start of the request. */
static bool is_probe(const struct server *s, const char *buf, size_t n)
{
	size_t len = s->probe_path ? strlen(s->probe_path) : 0;

	return len && n > len + 4 && !memcmp(buf, "GET ", 4) &&
	       !memcmp(buf + 4, s->probe_path, len) && buf[len + 4] == ' ';
}

/* A request ends at its first newline, which also ends "\r\n\r\n" and
 * "\n\n"; what follows is drained, never parsed. */
static void conn_read(struct server *s, int fd, long long t)
{
	static char buf[REQ_MAX];
	struct conn *c = &s->conns[fd];
	ssize_t n = 0;

	while (c->state == C_READING && (n = recv(fd, buf, REQ_MAX - c->len, MSG_DONTWAIT)) > 0) {
		if (!c->len)
			c->probe = is_probe(s, buf, n);
		c->len += n;
		if (memchr(buf, '\n', n) || c->len >= REQ_MAX)
			enqueue(s, fd, t);
	}
	if (c->state == C_READING && (n == 0 || errno != EAGAIN))
		conn_close(s, fd);
	if (c->state == C_READING || c->state == C_FREE || c->eof)
		return;
	/* Queued or serving: drain, and watch for the peer going away. */
	if (!drain(fd))
		conn_close(s, fd);
	else if (recv(fd, buf, 1, MSG_DONTWAIT | MSG_PEEK) == 0) {
		c->eof = true; /* a half-close still gets its reply */
		set_events(s, fd, 0);
	}
}

static void conn_event(struct server *s, int fd, uint32_t events, long long t)
{
	if (s->conns[fd].state == C_FREE)
		return;
	/* A RST, or both directions gone: nobody is left to answer. */
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(s, fd);
		return;
	}
	conn_read(s, fd, t);
}

static void serve(struct server *s, const sigset_t *mask)
{
	struct epoll_event ev[EVENTS_MAX];
	int i, n;

	while (!stop) {
		long long t = tool_now_us(), next = next_timer(s);

		/* The signals are only unblocked while waiting: none is missed. */
		n = tool_epoll_wait_us(s->ep, ev, EVENTS_MAX,
				       next < 0 ? -1 : (next > t ? next - t : 0), mask);
		t = tool_now_us();
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == s->lfd)
				accept_all(s);
			else
				conn_event(s, ev[i].data.fd, ev[i].events, t);
		}
		slots_run(s, tool_now_us());
	}
}

static void json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (; *str; str++) {
		if (*str == '"' || *str == '\\')
			fprintf(f, "\\%c", *str);
		else if ((unsigned char)*str < 0x20)
			fprintf(f, "\\u%04x", *str);
		else
			fputc(*str, f);
	}
	fputc('"', f);
}

static void report(FILE *f, const struct server *s)
{
	fprintf(f, "{\"name\":");
	json_string(f, s->name);
	fprintf(f, ",\"served\":%llu,\"max_queue\":%ld,\"max_concurrent\":%ld}\n", s->served,
		s->max_queue, s->max_concurrent);
}

static int setup(struct server *s, int port)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i, body = strlen(s->name) + 1;

	s->reply_len = snprintf(s->reply, sizeof(s->reply),
				"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				"Content-Length: %d\r\n\r\n%s\n",
				body, s->name);
	if (s->reply_len >= (int)sizeof(s->reply))
		return -1;
	s->nfds = fd_table_size();
	s->conns = calloc(s->nfds, sizeof(*s->conns));
	s->slots = calloc(s->workers, sizeof(*s->slots));
	s->qcap = 1024;
	s->q = calloc(s->qcap, sizeof(*s->q));
	if (!s->conns || !s->slots || !s->q)
		return -1;
	for (i = 0; i < s->workers; i++)
		s->slots[i].fd = -1;
	/* The kernel caps the backlog at somaxconn; ask for the most. */
	s->lfd = tool_listen("weir-queue-server", SOCK_STREAM, port, 65535);
	s->ep = epoll_create1(0);
	if (s->lfd < 0 || s->ep < 0)
		return -1;
	ev.data.fd = s->lfd;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "service-ms", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "probe-path", required_argument, NULL, 'P' },
		{ 0 },
	};
	struct server s = { .workers = 4, .name = "queue" };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *out = NULL;
	sigset_t block, mask;
	int opt, err = 0, port = 0;
	double service_ms = 20;
	FILE *f = stdout;

	while (!err && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			err = tool_parse_int(optarg, 1, 65535, &port);
			break;
		case 'w':
			err = tool_parse_int(optarg, 1, 100000, &s.workers);
			break;
		case 's':
			err = tool_parse_double(optarg, 0, 3600000, &service_ms);
			break;
		case 'n':
			s.name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			s.probe_path = optarg;
			break;
		default:
			err = -1;
			break;
		}
	}
	s.service_us = (long long)(service_ms * 1000);
	if (err || optind != argc || !port) {
		fprintf(stderr, "usage: weir-queue-server --port P [--workers N] [--service-ms S] "
				"[--name NAME] [--out FILE] [--probe-path PATH]\n");
		return 2;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &mask);
	sigdelset(&mask, SIGTERM);
	sigdelset(&mask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (setup(&s, port))
		return 1;
	serve(&s, &mask);
	if (out && !(f = fopen(out, "w")))
		return 1;
	report(f, &s);
	if (f != stdout)
		fclose(f);
	return 0;
}
