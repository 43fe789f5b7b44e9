// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* weir-synflood: a bounded spoofed SYN flood for the fault tests. Sends
 * --rate TCP SYNs a second for --seconds to --addr:--port, each from a
 * random source inside --src-net (an IPv4 prefix; the tests keep it in
 * 198.18.0.0/15) and a random port, through a raw socket. Stops by itself;
 * prints how many it sent, and over how long, as JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "weir/csum.h"
#include "tool.h"

struct opts {
	struct in_addr dst, net;
	int port, prefix;
	double rate, seconds;
};

/* xorshift64: fast, and deterministic per seed */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t build_syn(uint8_t *buf, const struct opts *o, uint64_t *seed)
{
	struct iphdr *ip = (struct iphdr *)buf;
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1);
	uint32_t host_mask = o->prefix >= 32 ? 0 : 0xffffffffU >> o->prefix;
	uint32_t src =
		(ntohl(o->net.s_addr) & ~host_mask) | ((uint32_t)next_random(seed) & host_mask);
	struct pseudo {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) pseudo;

	memset(buf, 0, sizeof(*ip) + sizeof(*tcp));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*tcp));
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = htonl(src);
	ip->daddr = o->dst.s_addr;
	ip->check = htons(weir_csum(ip, sizeof(*ip), 0));
	tcp->source = htons(1024 + next_random(seed) % 60000);
	tcp->dest = htons(o->port);
	tcp->seq = htonl((uint32_t)next_random(seed));
	tcp->doff = 5;
	tcp->syn = 1;
	tcp->window = htons(64240);
	pseudo = (struct pseudo){ ip->saddr, ip->daddr, 0, IPPROTO_TCP, htons(sizeof(*tcp)) };
	/* the pseudo-header's folded sum: the complement of its checksum */
	tcp->check = htons(
		weir_csum(tcp, sizeof(*tcp), (uint16_t)~weir_csum(&pseudo, sizeof(pseudo), 0)));
	return sizeof(*ip) + sizeof(*tcp);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "src-net", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 },
	};
	char net[32], *slash;
	int opt, err = 0;

	memset(o, 0, sizeof(*o));
	while (!err && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'a')
			err = inet_pton(AF_INET, optarg, &o->dst) == 1 ? 0 : -1;
		else if (opt == 'p')
			err = tool_parse_int(optarg, 1, 65535, &o->port);
		else if (opt == 'r')
			err = tool_parse_double(optarg, 1e-3, 1e9, &o->rate);
		else if (opt == 's')
			err = tool_parse_double(optarg, 1e-3, 120, &o->seconds);
		else if (opt == 'n') {
			snprintf(net, sizeof(net), "%s", optarg);
			slash = strchr(net, '/');
			if (!slash)
				return -1;
			*slash = '\0';
			err = tool_parse_int(slash + 1, 8, 32, &o->prefix) ||
			      inet_pton(AF_INET, net, &o->net) != 1;
		} else
			err = -1;
	}
	return !err && optind == argc && o->dst.s_addr && o->net.s_addr && o->port && o->rate &&
			       o->seconds
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid(), sent = 0, dropped = 0, due;
	long long start, span_us;
	uint8_t buf[64];
	struct opts o;
	int fd;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: weir-synflood --addr IPv4 --port N --src-net PREFIX "
				"--rate PPS --seconds S (at most 120)\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("weir-synflood: raw socket");
		return 1;
	}
	sin.sin_addr = o.dst;
	start = tool_now_us();
	span_us = (long long)(o.seconds * 1e6);
	while (tool_now_us() - start < span_us) {
		due = (uint64_t)((tool_now_us() - start) / 1e6 * o.rate);
		/* paced on what was tried: a SYN the kernel refused (ENOBUFS)
		 * is counted as dropped, never as sent */
		while (sent + dropped < due) {
			size_t len = build_syn(buf, &o, &seed);

			if (sendto(fd, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin)) >= 0)
				sent++;
			else if (errno == ENOBUFS)
				dropped++;
			else
				break;
		}
		usleep(1000);
	}
	close(fd);
	/* the time it took, not the one asked for: a slow host sends late */
	printf("{\"sent\":%llu,\"dropped\":%llu,\"seconds\":%.3f}\n", (unsigned long long)sent,
	       (unsigned long long)dropped, (tool_now_us() - start) / 1e6);
	return 0;
}
