// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-echo: a test backend. TCP: every accepted connection gets "NAME\n" and
 * is closed. UDP: every datagram is answered with "NAME\n", sent from the
 * address it was sent to (so a VIP held on lo answers as the VIP, as DSR
 * needs). Binds [::] dual-stack unless --bind says otherwise. Runs until
 * SIGTERM or SIGINT; prints nothing but errors. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define NAME_MAX_LEN 63

struct opts {
	bool tcp;
	bool udp;
	int port;
	const char *name;
	const char *bind_addr;
	const char *pidfile;
};

static volatile sig_atomic_t stop_flag;
static char reply[NAME_MAX_LEN + 2];
static size_t reply_len;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: weir-echo --tcp|--udp --port N --name NAME [--bind ADDR] "
		   "[--pidfile FILE]\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "udp", no_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "bind", required_argument, NULL, 'b' },
		{ "pidfile", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o->tcp = true;
			break;
		case 'u':
			o->udp = true;
			break;
		case 'p':
			if (tool_parse_int(optarg, 1, 65535, &o->port))
				return -1;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'b':
			o->bind_addr = optarg;
			break;
		case 'f':
			o->pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc || o->tcp == o->udp || o->port <= 0 || !o->name)
		return -1;
	if (!*o->name || strlen(o->name) > NAME_MAX_LEN) {
		fprintf(stderr, "weir-echo: --name must be 1-%d characters\n", NAME_MAX_LEN);
		return -1;
	}
	return 0;
}

/* Fill @ss from @addr (IPv4 or IPv6 literal) and @port; NULL means [::]. */
static int make_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	if (tool_sockaddr(addr ? addr : "::", port, ss, len) >= 0)
		return 0;
	fprintf(stderr, "weir-echo: bad --bind address '%s'\n", addr);
	return -1;
}

static int set_int_opt(int fd, int level, int opt, int val, const char *what)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) == 0)
		return 0;
	fprintf(stderr, "weir-echo: setsockopt %s: %s\n", what, strerror(errno));
	return -1;
}

static int set_sock_opts(int fd, int family, bool udp)
{
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"))
		return -1;
	if (family == AF_INET6 && set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY"))
		return -1;
	if (!udp)
		return 0;
	if (family == AF_INET6)
		return set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
	return set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
}

static int open_socket(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type = o->udp ? SOCK_DGRAM : SOCK_STREAM;
	int fd;

	if (make_addr(o->bind_addr, o->port, &ss, &len))
		return -1;
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "weir-echo: socket: %s\n", strerror(errno));
		return -1;
	}
	if (set_sock_opts(fd, ss.ss_family, o->udp))
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "weir-echo: bind port %d: %s\n", o->port, strerror(errno));
		goto fail;
	}
	if (o->tcp && listen(fd, 4096)) {
		fprintf(stderr, "weir-echo: listen: %s\n", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Reply and close. The reply fits an empty send buffer, so the send never
 * blocks; shutting down the write side first and draining what the client
 * sent avoids turning our close into a reset. */
static void serve_tcp_conn(int cfd)
{
	char buf[512];

	if (send(cfd, reply, reply_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		fprintf(stderr, "weir-echo: send: %s\n", strerror(errno));
	shutdown(cfd, SHUT_WR);
	while (recv(cfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	close(cfd);
}

static void accept_all(int lfd)
{
	int cfd;

	for (;;) {
		cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			serve_tcp_conn(cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fprintf(stderr, "weir-echo: accept: %s\n", strerror(errno));
		return;
	}
}

/* Turn the received destination address into the source of the reply. */
static size_t reply_cmsg(struct msghdr *in, char *out, size_t outlen)
{
	struct cmsghdr *c, *o = (struct cmsghdr *)out;

	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    outlen >= CMSG_SPACE(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi6_ifindex = 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    outlen >= CMSG_SPACE(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

/* Answer one datagram; returns false when the socket has nothing left. */
static bool serve_udp_one(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cin, cout;
	struct sockaddr_storage peer;
	char data[2048];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr m = { .msg_name = &peer,
			    .msg_namelen = sizeof(peer),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cin.buf,
			    .msg_controllen = sizeof(cin.buf) };

	if (recvmsg(fd, &m, 0) < 0) {
		if (errno == EINTR)
			return true;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fprintf(stderr, "weir-echo: recvmsg: %s\n", strerror(errno));
		return false;
	}
	memset(&cout, 0, sizeof(cout));
	iov.iov_base = reply;
	iov.iov_len = reply_len;
	m.msg_controllen = reply_cmsg(&m, cout.buf, sizeof(cout.buf));
	m.msg_control = cout.buf;
	if (!m.msg_controllen)
		m.msg_control = NULL;
	if (sendmsg(fd, &m, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		fprintf(stderr, "weir-echo: sendmsg: %s\n", strerror(errno));
	return true;
}

static int serve(int fd, bool udp)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	while (!stop_flag) {
		n = poll(&pfd, 1, 500);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "weir-echo: poll: %s\n", strerror(errno));
			return 1;
		}
		if (n <= 0)
			continue;
		if (!udp) {
			accept_all(fd);
			continue;
		}
		for (int i = 0; i < 256 && serve_udp_one(fd); i++)
			;
	}
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "weir-echo: pidfile %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int fd, ret;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	reply_len = (size_t)snprintf(reply, sizeof(reply), "%s\n", o.name);
	install_signals();
	fd = open_socket(&o);
	if (fd < 0)
		return 1;
	/* The pidfile appears only once the socket is ready: tests wait for it. */
	if (o.pidfile && write_pidfile(o.pidfile)) {
		close(fd);
		return 1;
	}
	ret = serve(fd, o.udp);
	close(fd);
	if (o.pidfile)
		unlink(o.pidfile);
	return ret;
}
