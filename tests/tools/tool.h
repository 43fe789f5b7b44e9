/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the test tools, each a program of one file. */
#ifndef WEIR_TOOL_H
#define WEIR_TOOL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

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

#endif
