/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_SOCKADDR_H
#define WEIR_SOCKADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/units.h"

/* A weir_addr and port as a socket address; returns its length. */
socklen_t sockaddr_from(const struct weir_addr *a, uint16_t port, struct sockaddr_storage *ss);

/*
 * The non-blocking TCP connects of health checks, probes and `weir check`.
 * At most CONNECT_INFLIGHT_MAX are open at once, so thousands of backends
 * never take the descriptors the socket server needs.
 */
#define CONNECT_INFLIGHT_MAX 512

/* No room for another connect: the caller tries again later. */
bool connect_busy(void);
/* Starts a connect to addr:port: returns its socket with *err 0
 * (connected), EINPROGRESS (POLLOUT tells the end) or the errno of a
 * connect that failed at once; or -1 with *err when no socket was had.
 * The socket counts as in flight until connect_close(). */
int connect_start(const struct weir_addr *addr, uint16_t port, int *err);
/* How a connect under way ended: 0, or its errno. */
int connect_result(int fd);
/* Ends it with a RST (linger 0): no TIME_WAIT left behind by checks that
 * come ten times a second. */
void connect_close(int fd);
/* This host's resources ran out (descriptors, ports, memory), not the
 * backend's patience: says nothing of the backend. */
bool connect_local_error(int err);

#endif
