// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-client: a bounded test client. Makes --count sequential new streams
 * (TCP: connect, read one line, close; UDP: a fresh socket, so a fresh
 * source port, per attempt: send "hi", read one reply), counts the replies
 * per backend name and the failures by reason. --until-ok N instead keeps
 * trying until N consecutive successes and reports when they began. Every
 * attempt has a timeout and the whole run a deadline. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
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

#define NAME_MAX_LEN 63
#define MAX_NAMES 256

/* The failures as reported, refused to error; an error is "other". */
static const char *const failure_names[TOOL_OUTCOMES] = {
	[TOOL_REFUSED] = "refused",
	[TOOL_RESET] = "reset",
	[TOOL_TIMEOUT] = "timeout",
	[TOOL_ERROR] = "other",
};

struct opts {
	bool udp;
	bool json;
	const char *addr;
	int port;
	long count;
	long until_ok;
	long timeout_ms;
	long deadline_s;
	long sport_base; /* 0: the kernel picks source ports */
};

struct name_count {
	char name[NAME_MAX_LEN + 1];
	long count;
};

struct tally {
	struct name_count names[MAX_NAMES];
	int nnames;
	long fails[TOOL_OUTCOMES];
	long failed;
	long attempts;
	long elapsed_ms;
	long recovered_ms; /* -1: not recovered (or not asked) */
};

static int64_t now_ms(void)
{
	return tool_now_us() / 1000;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: weir-client --tcp|--udp --addr ADDR --port N (--count N | --until-ok N)\n"
		"                   [--timeout-ms MS] [--deadline-s S] [--sport-base P] [--json]\n"
		"--sport-base P: attempt i uses source port P+i, so no two attempts share a\n"
		"5-tuple (the kernel may reuse a UDP port, which would make them one stream)\n");
}

static int parse_opt(int c, struct opts *o, bool *tcp)
{
	switch (c) {
	case 't':
		*tcp = true;
		return 0;
	case 'u':
		o->udp = true;
		return 0;
	case 'a':
		o->addr = optarg;
		return 0;
	case 'p':
		return tool_parse_int(optarg, 1, 65535, &o->port);
	case 'c':
		return tool_parse_long(optarg, 1, 100000000, &o->count);
	case 'o':
		return tool_parse_long(optarg, 1, 100000000, &o->until_ok);
	case 'm':
		return tool_parse_long(optarg, 1, 3600000, &o->timeout_ms);
	case 'd':
		return tool_parse_long(optarg, 1, 86400, &o->deadline_s);
	case 's':
		return tool_parse_long(optarg, 1024, 65535, &o->sport_base);
	case 'j':
		o->json = true;
		return 0;
	case 'h':
		usage(stdout);
		exit(0);
	}
	return -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "udp", no_argument, NULL, 'u' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "until-ok", required_argument, NULL, 'o' },
		{ "timeout-ms", required_argument, NULL, 'm' },
		{ "deadline-s", required_argument, NULL, 'd' },
		{ "sport-base", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool tcp = false;
	int c;

	o->timeout_ms = 1000;
	o->deadline_s = 30;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (parse_opt(c, o, &tcp))
			return -1;
	}
	if (optind != argc || tcp == o->udp || !o->addr || !o->port)
		return -1;
	if (!o->count && !o->until_ok)
		return -1;
	if (o->sport_base && o->sport_base + o->count > 65536)
		return -1;
	return 0;
}

static int resolve(const struct opts *o, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res;
	char port[8];
	int err;

	snprintf(port, sizeof(port), "%d", o->port);
	hints.ai_socktype = o->udp ? SOCK_DGRAM : SOCK_STREAM;
	err = getaddrinfo(o->addr, port, &hints, &res);
	if (err) {
		fprintf(stderr, "weir-client: bad --addr '%s': %s\n", o->addr, gai_strerror(err));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Wait for @events on @fd until @end_ms; returns an enum tool_outcome. */
static enum tool_outcome wait_fd(int fd, short events, int64_t end_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = end_ms - now_ms();
		if (left <= 0)
			return TOOL_TIMEOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return TOOL_OK;
		if (n < 0 && errno != EINTR)
			return TOOL_ERROR;
	}
}

static enum tool_outcome do_connect(int fd, const struct sockaddr_storage *ss, socklen_t len,
				    int64_t end_ms)
{
	enum tool_outcome r;
	socklen_t elen = sizeof(int);
	int err = 0;

	if (connect(fd, (const struct sockaddr *)ss, len) == 0)
		return TOOL_OK;
	if (errno != EINPROGRESS)
		return tool_outcome_of(errno);
	r = wait_fd(fd, POLLOUT, end_ms);
	if (r != TOOL_OK)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return TOOL_ERROR;
	return err ? tool_outcome_of(err) : TOOL_OK;
}

/* Read until a newline, end of stream or @end_ms (UDP: one datagram); the
 * line lands in @line. */
static enum tool_outcome read_line(int fd, bool udp, char *line, size_t size, int64_t end_ms)
{
	size_t got = 0;
	enum tool_outcome r;
	ssize_t n;

	while (got < size - 1) {
		r = wait_fd(fd, POLLIN, end_ms);
		if (r != TOOL_OK)
			return r;
		n = recv(fd, line + got, size - 1 - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return tool_outcome_of(errno);
		if (n == 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
		if (udp || memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	return TOOL_OK;
}

/* Keep the first line; a reply must be a non-empty name without blanks. */
static enum tool_outcome check_name(char *line)
{
	size_t n = strcspn(line, "\r\n");

	if (!line[n] && n >= NAME_MAX_LEN)
		return TOOL_ERROR;
	line[n] = '\0';
	if (!n || strpbrk(line, " \t"))
		return TOOL_ERROR;
	return TOOL_OK;
}

static int bind_sport(int fd, int family, int sport)
{
	struct sockaddr_storage local = { .ss_family = family };

	if (family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = htons(sport);
	else
		((struct sockaddr_in6 *)&local)->sin6_port = htons(sport);
	return bind(fd, (struct sockaddr *)&local, sizeof(local));
}

static enum tool_outcome attempt(const struct opts *o, const struct sockaddr_storage *ss,
				 socklen_t len, int sport, int64_t end_ms, char *name)
{
	char line[NAME_MAX_LEN + 2];
	enum tool_outcome r;
	int fd;

	fd = socket(ss->ss_family,
		    (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "weir-client: socket: %s\n", strerror(errno));
		return TOOL_ERROR;
	}
	if (sport && bind_sport(fd, ss->ss_family, sport)) {
		fprintf(stderr, "weir-client: bind to port %d: %s\n", sport, strerror(errno));
		close(fd);
		return TOOL_ERROR;
	}
	/* connect() on UDP fixes the peer: replies from elsewhere are ignored,
	 * and an ICMP port unreachable comes back as ECONNREFUSED. */
	r = do_connect(fd, ss, len, end_ms);
	if (r == TOOL_OK && o->udp && send(fd, "hi", 2, MSG_NOSIGNAL) < 0)
		r = tool_outcome_of(errno);
	if (r == TOOL_OK)
		r = read_line(fd, o->udp, line, sizeof(line), end_ms);
	if (r == TOOL_OK)
		r = check_name(line);
	if (r == TOOL_OK)
		memcpy(name, line, strlen(line) + 1);
	close(fd);
	return r;
}

static void count_name(struct tally *t, const char *name)
{
	int i;

	for (i = 0; i < t->nnames; i++) {
		if (!strcmp(t->names[i].name, name)) {
			t->names[i].count++;
			return;
		}
	}
	if (t->nnames == MAX_NAMES) {
		t->fails[TOOL_ERROR]++;
		t->failed++;
		return;
	}
	snprintf(t->names[i].name, sizeof(t->names[i].name), "%s", name);
	t->names[i].count = 1;
	t->nnames++;
}

static void record(struct tally *t, enum tool_outcome r, const char *name)
{
	t->attempts++;
	if (r == TOOL_OK) {
		count_name(t, name);
		return;
	}
	t->fails[r]++;
	t->failed++;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One attempt, bounded by the per-attempt timeout and the run's deadline. */
static enum tool_outcome bounded_attempt(const struct opts *o, const struct sockaddr_storage *ss,
					 socklen_t len, int sport, int64_t deadline, char *name)
{
	int64_t end = now_ms() + o->timeout_ms;

	return attempt(o, ss, len, sport, end < deadline ? end : deadline, name);
}

static bool run_count(const struct opts *o, const struct sockaddr_storage *ss, socklen_t len,
		      struct tally *t)
{
	int64_t start = now_ms(), deadline = start + o->deadline_s * 1000;
	char name[NAME_MAX_LEN + 1];
	enum tool_outcome r;

	while (t->attempts < o->count && now_ms() < deadline) {
		int sport = o->sport_base ? (int)(o->sport_base + t->attempts) : 0;

		r = bounded_attempt(o, ss, len, sport, deadline, name);
		record(t, r, name);
	}
	t->elapsed_ms = (long)(now_ms() - start);
	return t->attempts == o->count && t->failed == 0;
}

/* recovered_ms is the time from the start to the reply of the first of the
 * N consecutive successes. */
static bool run_until_ok(const struct opts *o, const struct sockaddr_storage *ss, socklen_t len,
			 struct tally *t)
{
	int64_t start = now_ms(), deadline = start + o->deadline_s * 1000, first_ok = 0;
	char name[NAME_MAX_LEN + 1];
	long streak = 0;
	enum tool_outcome r;

	while (streak < o->until_ok && now_ms() < deadline) {
		r = bounded_attempt(o, ss, len, 0, deadline, name);
		record(t, r, name);
		if (r == TOOL_OK) {
			if (!streak++)
				first_ok = now_ms();
			continue;
		}
		streak = 0;
		if (deadline - now_ms() > 50)
			sleep_ms(50);
	}
	t->elapsed_ms = (long)(now_ms() - start);
	if (streak < o->until_ok)
		return false;
	t->recovered_ms = (long)(first_ok - start);
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_count *)a)->name, ((const struct name_count *)b)->name);
}

static void print_text(const struct opts *o, const struct tally *t)
{
	int i;

	for (i = 0; i < t->nnames; i++)
		printf("%s %ld\n", t->names[i].name, t->names[i].count);
	printf("failed %ld\n", t->failed);
	if (o->until_ok && t->recovered_ms >= 0)
		printf("recovered_ms %ld\n", t->recovered_ms);
}

/* Names are checked to be blank-free; quote and backslash get escaped. */
static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(const struct opts *o, const struct tally *t)
{
	int i;

	printf("{\"replies\":{");
	for (i = 0; i < t->nnames; i++) {
		if (i)
			putchar(',');
		print_json_str(t->names[i].name);
		printf(":%ld", t->names[i].count);
	}
	printf("},\"failed\":%ld,\"failures\":{", t->failed);
	for (i = TOOL_REFUSED; i <= TOOL_ERROR; i++)
		printf("%s\"%s\":%ld", i == TOOL_REFUSED ? "" : ",", failure_names[i], t->fails[i]);
	printf("},\"attempts\":%ld,\"elapsed_ms\":%ld", t->attempts, t->elapsed_ms);
	if (o->until_ok && t->recovered_ms >= 0)
		printf(",\"recovered_ms\":%ld", t->recovered_ms);
	else if (o->until_ok)
		printf(",\"recovered_ms\":null");
	printf("}\n");
}

static void print_failures(const struct tally *t)
{
	int i;

	if (!t->failed)
		return;
	fprintf(stderr, "weir-client: failures:");
	for (i = TOOL_REFUSED; i <= TOOL_ERROR; i++)
		fprintf(stderr, " %s=%ld", failure_names[i], t->fails[i]);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static struct tally t = { .recovered_ms = -1 };
	struct sockaddr_storage ss;
	struct opts o = { 0 };
	socklen_t len;
	bool ok;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (resolve(&o, &ss, &len))
		return 2;
	ok = o.until_ok ? run_until_ok(&o, &ss, len, &t) : run_count(&o, &ss, len, &t);
	qsort(t.names, (size_t)t.nnames, sizeof(t.names[0]), cmp_name);
	if (o.json)
		print_json(&o, &t);
	else
		print_text(&o, &t);
	print_failures(&t);
	if (o.until_ok && !ok)
		fprintf(stderr, "weir-client: no %ld consecutive successes within %lds\n",
			o.until_ok, o.deadline_s);
	return ok ? 0 : 1;
}
