// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-sink: a test backend that receives streams and measures them. TCP:
 * accepts every connection and reads it until it ends (connections stay
 * open as long as their clients keep them); UDP: counts every datagram.
 * Per peer (address:port) it keeps bytes, packets and the times of the
 * first and last byte. On SIGTERM or SIGINT, or after --seconds, it writes
 * them as JSON to --out (or stdout) and exits. Binds [::] dual-stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define PEERS_MAX 4096
#define FDS_MAX 1024

struct peer {
	char name[INET6_ADDRSTRLEN + 8];
	uint64_t bytes, packets;
	double first_s, last_s;
	int fd; /* TCP: its connection, -1 when closed */
};

static struct peer peers[PEERS_MAX];
static int npeers;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	return tool_now_us() / 1e6;
}

static void peer_name(const struct sockaddr_in6 *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr))
		inet_ntop(AF_INET, &sa->sin6_addr.s6_addr[12], addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &sa->sin6_addr, addr, sizeof(addr));
	snprintf(buf, len, "%s:%u", addr, ntohs(sa->sin6_port));
}

static struct peer *peer_of(const char *name)
{
	int i;

	for (i = 0; i < npeers; i++)
		if (!strcmp(peers[i].name, name))
			return &peers[i];
	if (npeers == PEERS_MAX)
		return NULL;
	snprintf(peers[npeers].name, sizeof(peers[npeers].name), "%s", name);
	peers[npeers].fd = -1;
	return &peers[npeers++];
}

static void count(struct peer *p, size_t n)
{
	if (!p->bytes)
		p->first_s = now_s();
	p->bytes += n;
	p->packets++;
	p->last_s = now_s();
}

static void udp_drain(int fd)
{
	static char buf[65536];
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	char name[INET6_ADDRSTRLEN + 8];
	ssize_t n;

	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sa, &len)) >=
	       0) {
		struct peer *p;

		peer_name(&sa, name, sizeof(name));
		p = peer_of(name);
		if (p)
			count(p, n);
		len = sizeof(sa);
	}
}

static void tcp_accept(int lfd)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	char name[INET6_ADDRSTRLEN + 8];
	int fd;

	while ((fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK)) >= 0) {
		struct peer *p;

		peer_name(&sa, name, sizeof(name));
		p = peer_of(name);
		if (!p) {
			close(fd);
			continue;
		}
		if (p->fd >= 0)
			close(p->fd);
		p->fd = fd;
		len = sizeof(sa);
	}
}

static void tcp_read(struct peer *p)
{
	static char buf[65536];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		count(p, n);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close(p->fd);
		p->fd = -1;
	}
}

static void report(FILE *f, const char *name)
{
	int i;

	fprintf(f, "{\"name\":\"%s\",\"peers\":[", name);
	for (i = 0; i < npeers; i++) {
		/* a peer that sent nothing spans nothing */
		double span = peers[i].bytes ? peers[i].last_s - peers[i].first_s : 0;

		fprintf(f,
			"%s{\"peer\":\"%s\",\"bytes\":%llu,\"packets\":%llu,\"seconds\":%.3f,"
			"\"bps\":%.0f}",
			i ? "," : "", peers[i].name, (unsigned long long)peers[i].bytes,
			(unsigned long long)peers[i].packets, span,
			span > 0 ? peers[i].bytes * 8 / span : 0.0);
	}
	fprintf(f, "]}\n");
}

static void serve(int lfd, bool tcp, double until)
{
	struct pollfd pfd[FDS_MAX];
	struct peer *who[FDS_MAX];
	int i, n;

	while (!stop && (until <= 0 || now_s() < until)) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; tcp && i < npeers && n < FDS_MAX; i++) {
			if (peers[i].fd < 0)
				continue;
			who[n] = &peers[i];
			pfd[n++] = (struct pollfd){ .fd = peers[i].fd, .events = POLLIN };
		}
		if (poll(pfd, n, 100) <= 0)
			continue;
		if (pfd[0].revents)
			tcp ? tcp_accept(lfd) : udp_drain(lfd);
		for (i = 1; i < n; i++)
			if (pfd[i].revents)
				tcp_read(who[i]);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "udp", no_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 },
	};
	const char *name = "sink", *out = NULL;
	double seconds = 0;
	bool tcp = true;
	int opt, err = 0, port = 0, lfd;
	FILE *f = stdout;

	while (!err && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			tcp = true;
			break;
		case 'u':
			tcp = false;
			break;
		case 'p':
			err = tool_parse_int(optarg, 1, 65535, &port);
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			err = tool_parse_double(optarg, 0, 86400, &seconds);
			break;
		default:
			err = -1;
		}
	}
	if (err || optind != argc || !port) {
		fprintf(stderr, "usage: weir-sink --tcp|--udp --port N [--name N] [--out F] "
				"[--seconds S]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lfd = tool_listen("weir-sink", tcp ? SOCK_STREAM : SOCK_DGRAM, port, 512);
	if (lfd < 0)
		return 1;
	serve(lfd, tcp, seconds > 0 ? now_s() + seconds : 0);
	if (out && !(f = fopen(out, "w")))
		return 1;
	report(f, name);
	if (f != stdout)
		fclose(f);
	return 0;
}
