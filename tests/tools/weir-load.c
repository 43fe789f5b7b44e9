// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-load: a bounded open-loop load generator for the overload demo.
 * Every 1/--rate seconds, for --seconds, it opens a new TCP connection,
 * sends "GET PATH HTTP/1.0" and reads until the server closes. Open loop:
 * new requests do not wait for old ones, so a slow server sees its queue
 * grow, as it would with real clients. Each request ends ok (a status line,
 * then the peer's close), refused (RST to the SYN), reset (RST later),
 * timeout (nothing within --timeout-ms) or error; the time to that outcome
 * is kept. At most --max-outstanding requests are open at once (more are
 * counted as skipped), so memory and fds stay bounded, and the run ends at
 * most --timeout-ms after the last start. Results as JSON with --json. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
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

#define REQS_MAX 4000000
#define EVENTS_MAX 256
#define HEAD_OK 5 /* "HTTP/" matched; a newline then completes the status line */
#define HEAD_LINE 6
#define HEAD_BAD 7

struct opts {
	const char *addr, *bind, *path;
	int port, max_out;
	double rate, seconds;
	long long timeout_us;
	bool json;
};

struct req {
	long long start_us; /* since the run began */
	long long took_us; /* start to outcome */
	int fd;
	unsigned char outcome;
	bool connected;
	unsigned char head; /* progress through the status line */
};

struct run {
	const struct opts *o;
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	int family, ep;
	char request[4200];
	int request_len;
	struct req *r;
	long offered, next, oldest, outstanding;
	long long t0, gap_us;
	long count[TOOL_OUTCOMES];
};

static void finish(struct run *run, struct req *q, enum tool_outcome how, long long t)
{
	if (q->fd >= 0) {
		close(q->fd);
		run->outstanding--;
	}
	q->fd = -1;
	q->outcome = how;
	q->took_us = t - q->start_us;
	run->count[how]++;
}

static void send_request(struct run *run, struct req *q, long long t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = q - run->r };
	ssize_t n = send(q->fd, run->request, run->request_len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n != run->request_len) {
		finish(run, q, n < 0 ? tool_outcome_of(errno) : TOOL_ERROR, t);
		return;
	}
	q->connected = true;
	epoll_ctl(run->ep, EPOLL_CTL_MOD, q->fd, &ev);
}

/* A new non-blocking connection; on loopback a refusal may come at once. */
static void start(struct run *run, struct req *q, long long t)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = q - run->r };
	int on = 1;

	q->start_us = t;
	q->fd = socket(run->family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (q->fd < 0) {
		finish(run, q, TOOL_ERROR, t);
		return;
	}
	run->outstanding++;
	/* Pick the source port at connect, by the 4-tuple, not at bind. */
	if (run->o->bind &&
	    (setsockopt(q->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on)) < 0 ||
	     bind(q->fd, (struct sockaddr *)&run->src, run->slen) < 0)) {
		finish(run, q, TOOL_ERROR, t);
		return;
	}
	if (connect(q->fd, (struct sockaddr *)&run->dst, run->dlen) && errno != EINPROGRESS) {
		finish(run, q, tool_outcome_of(errno), tool_now_us() - run->t0);
		return;
	}
	if (epoll_ctl(run->ep, EPOLL_CTL_ADD, q->fd, &ev))
		finish(run, q, TOOL_ERROR, t);
}

static void on_connect(struct run *run, struct req *q, long long t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		finish(run, q, tool_outcome_of(err), t);
	else
		send_request(run, q, t);
}

/* Follows "HTTP/" up to the newline that ends the status line. */
static void scan_head(struct req *q, const char *buf, ssize_t n)
{
	ssize_t i;

	for (i = 0; i < n && q->head < HEAD_LINE; i++) {
		if (q->head < HEAD_OK)
			q->head = buf[i] == "HTTP/"[q->head] ? q->head + 1 : HEAD_BAD;
		else if (buf[i] == '\n')
			q->head = HEAD_LINE;
	}
}

static void on_readable(struct run *run, struct req *q, long long t)
{
	static char buf[65536];
	ssize_t n;

	while ((n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		scan_head(q, buf, n);
	if (n == 0)
		finish(run, q, q->head == HEAD_LINE ? TOOL_OK : TOOL_ERROR, t);
	else if (errno != EAGAIN)
		finish(run, q, tool_outcome_of(errno), t);
}

static long long slot_us(const struct run *run, long k)
{
	return (long long)(k * 1e6 / run->o->rate);
}

/* Starts every request that is due, so a late wake-up catches up; one that
 * finds --max-outstanding open is skipped, not delayed. */
static void start_due(struct run *run, long long t)
{
	while (run->next < run->offered && slot_us(run, run->next) <= t) {
		struct req *q = &run->r[run->next++];

		q->fd = -1;
		if (run->outstanding >= run->o->max_out) {
			q->start_us = t;
			finish(run, q, TOOL_SKIPPED, t);
		} else {
			start(run, q, t);
		}
	}
}

/* Requests time out in the order they started: only the oldest matter. */
static void expire(struct run *run, long long t)
{
	while (run->oldest < run->next) {
		struct req *q = &run->r[run->oldest];

		if (q->outcome == TOOL_PENDING && q->start_us + run->o->timeout_us > t)
			break;
		if (q->outcome == TOOL_PENDING)
			finish(run, q, TOOL_TIMEOUT, t);
		run->oldest++;
	}
}

static long long next_wake(const struct run *run)
{
	long long t = -1;

	if (run->next < run->offered)
		t = slot_us(run, run->next);
	if (run->oldest < run->next) {
		long long d = run->r[run->oldest].start_us + run->o->timeout_us;

		if (t < 0 || d < t)
			t = d;
	}
	return t;
}

static void loop(struct run *run)
{
	struct epoll_event ev[EVENTS_MAX];
	int i, n;

	run->t0 = tool_now_us();
	for (;;) {
		long long t = tool_now_us() - run->t0, wake;

		start_due(run, t);
		expire(run, t);
		if (run->next == run->offered && !run->outstanding)
			break;
		wake = next_wake(run);
		n = tool_epoll_wait_us(run->ep, ev, EVENTS_MAX,
				       wake < 0 ? -1 : (wake > t ? wake - t : 0), NULL);
		t = tool_now_us() - run->t0;
		for (i = 0; i < n; i++) {
			struct req *q = &run->r[ev[i].data.u64];

			if (q->fd < 0)
				continue;
			if (q->connected)
				on_readable(run, q, t);
			else
				on_connect(run, q, t);
		}
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Nearest rank on sorted samples: the smallest value with at least p% of
 * them at or below it, in ms. No samples: NAN, printed as null. */
static double pct_ms(const long long *v, long n, double p)
{
	long k = (long)ceil(p / 100 * n) - 1;

	return n ? v[k < 0 ? 0 : k] / 1000.0 : NAN;
}

static void print_ms(FILE *f, const char *sep, const char *key, double ms)
{
	if (isnan(ms))
		fprintf(f, "%s\"%s\":null", sep, key);
	else
		fprintf(f, "%s\"%s\":%.3f", sep, key, ms);
}

/* The times to outcome `how` among requests [from, to), sorted. */
static long collect(const struct run *run, long from, long to, enum tool_outcome how, long long *v)
{
	long i, n = 0;

	for (i = from; i < to; i++)
		if (run->r[i].outcome == how)
			v[n++] = run->r[i].took_us;
	qsort(v, n, sizeof(*v), cmp_ll);
	return n;
}

/* "other" is everything not ok or refused: reset, timeout, error, skipped. */
static void print_second(FILE *f, const struct run *run, long sec, long from, long to, long long *v)
{
	long ok = collect(run, from, to, TOOL_OK, v), refused;
	double p50 = pct_ms(v, ok, 50), p99 = pct_ms(v, ok, 99);

	refused = collect(run, from, to, TOOL_REFUSED, v);
	fprintf(f, "%s{\"t\":%ld,\"offered\":%ld,\"ok\":%ld,\"refused\":%ld,\"other\":%ld",
		sec ? "," : "", sec, to - from, ok, refused, to - from - ok - refused);
	print_ms(f, ",", "p50_ms", p50);
	print_ms(f, ",", "p99_ms", p99);
	print_ms(f, ",", "refusal_p99_ms", pct_ms(v, refused, 99));
	fputc('}', f);
}

/* Requests went out in order, so each second's are a contiguous run; a
 * start that slipped past the end counts in the last second. */
static void print_seconds(FILE *f, const struct run *run, long long *v)
{
	long sec, from = 0, to, nsec = (long)ceil(run->o->seconds);

	for (sec = 0; sec < nsec; sec++) {
		to = from;
		while (to < run->offered &&
		       (sec + 1 == nsec || run->r[to].start_us < (sec + 1) * 1000000LL))
			to++;
		print_second(f, run, sec, from, to, v);
		from = to;
	}
}

/* Successes per second over the time they took to arrive: the rate the
 * server sustained, even when the last replies come after the run. */
static double throughput(const struct run *run)
{
	long long span = (long long)(run->o->seconds * 1e6);
	long i;

	for (i = 0; i < run->offered; i++)
		if (run->r[i].outcome == TOOL_OK && run->r[i].start_us + run->r[i].took_us > span)
			span = run->r[i].start_us + run->r[i].took_us;
	return run->count[TOOL_OK] / (span / 1e6);
}

static void report_json(const struct run *run, long long *v)
{
	const struct opts *o = run->o;
	long n, i;

	printf("{\"rate\":%g,\"seconds\":%g,\"offered\":%ld,\"started\":%ld,\"skipped\":%ld",
	       o->rate, o->seconds, run->offered, run->offered - run->count[TOOL_SKIPPED],
	       run->count[TOOL_SKIPPED]);
	for (i = TOOL_OK; i <= TOOL_ERROR; i++)
		printf(",\"%s\":%ld", tool_outcome_name(i), run->count[i]);
	printf(",\"throughput_ok_per_s\":%.1f,\"latency_ms\":{", throughput(run));
	n = collect(run, 0, run->offered, TOOL_OK, v);
	print_ms(stdout, "", "p50", pct_ms(v, n, 50));
	print_ms(stdout, ",", "p90", pct_ms(v, n, 90));
	print_ms(stdout, ",", "p99", pct_ms(v, n, 99));
	print_ms(stdout, ",", "max", pct_ms(v, n, 100));
	printf("},\"refusal_ms\":{");
	n = collect(run, 0, run->offered, TOOL_REFUSED, v);
	print_ms(stdout, "", "p50", pct_ms(v, n, 50));
	print_ms(stdout, ",", "p99", pct_ms(v, n, 99));
	print_ms(stdout, ",", "max", pct_ms(v, n, 100));
	printf("},\"per_second\":[");
	print_seconds(stdout, run, v);
	printf("]}\n");
}

static void report_text(const struct run *run, long long *v)
{
	long ok = collect(run, 0, run->offered, TOOL_OK, v), i;

	printf("weir-load: %ld offered at %g/s for %gs, %ld skipped\n", run->offered, run->o->rate,
	       run->o->seconds, run->count[TOOL_SKIPPED]);
	for (i = TOOL_OK; i <= TOOL_ERROR; i++)
		printf("%s%s %ld", i == TOOL_OK ? "" : ", ", tool_outcome_name(i), run->count[i]);
	printf("\nok %.1f/s", throughput(run));
	if (ok)
		printf(", latency ms p50 %.1f p99 %.1f max %.1f", pct_ms(v, ok, 50),
		       pct_ms(v, ok, 99), pct_ms(v, ok, 100));
	printf("\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "path", required_argument, NULL, 'P' },
		{ "max-outstanding", required_argument, NULL, 'm' },
		{ "bind", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	long timeout_ms = 2000;
	int opt, err;

	*o = (struct opts){ .path = "/", .max_out = 20000 };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		err = 0;
		switch (opt) {
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			err = tool_parse_int(optarg, 1, 65535, &o->port);
			break;
		case 'r':
			err = tool_parse_double(optarg, 1e-6, REQS_MAX, &o->rate);
			break;
		case 's':
			err = tool_parse_double(optarg, 1e-6, 86400, &o->seconds);
			break;
		case 't':
			err = tool_parse_long(optarg, 1, 3600000, &timeout_ms);
			break;
		case 'P':
			o->path = optarg;
			break;
		case 'm':
			err = tool_parse_int(optarg, 1, INT_MAX, &o->max_out);
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return -1;
		}
		if (err)
			return -1;
	}
	o->timeout_us = timeout_ms * 1000LL;
	if (optind != argc || !o->addr || !o->port || !o->rate || !o->seconds ||
	    o->rate * o->seconds > REQS_MAX || strlen(o->path) > 4096)
		return -1;
	return 0;
}

static int setup(struct run *run, const struct opts *o)
{
	run->o = o;
	run->family = tool_sockaddr(o->addr, o->port, &run->dst, &run->dlen);
	if (run->family < 0 ||
	    (o->bind && tool_sockaddr(o->bind, 0, &run->src, &run->slen) != run->family)) {
		fprintf(stderr, "weir-load: bad --addr or --bind (same family)\n");
		return -1;
	}
	run->request_len =
		snprintf(run->request, sizeof(run->request), "GET %s HTTP/1.0\r\n\r\n", o->path);
	/* Slot k is due at k/rate; those before --seconds are offered. */
	run->offered = (long)ceil(o->rate * o->seconds - 1e-9);
	run->r = calloc(run->offered, sizeof(*run->r));
	run->ep = epoll_create1(0);
	if (!run->r || run->ep < 0) {
		perror("weir-load");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run run = { 0 };
	long long *v;

	if (parse(argc, argv, &o)) {
		fprintf(stderr,
			"usage: weir-load --addr A --port P --rate R --seconds S\n"
			"  [--timeout-ms T] [--path PATH] [--max-outstanding M] [--bind SRC]"
			" [--json]\n");
		return 2;
	}
	tool_raise_nofile();
	if (setup(&run, &o))
		return 1;
	loop(&run);
	v = malloc(run.offered * sizeof(*v));
	if (!v)
		return 1;
	if (o.json)
		report_json(&run, v);
	else
		report_text(&run, v);
	return 0;
}
