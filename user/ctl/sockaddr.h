/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_SOCKADDR_H
#define WEIR_SOCKADDR_H

#include <sys/socket.h>

#include "core/units.h"

/* A weir_addr and port as a socket address; returns its length. */
socklen_t sockaddr_from(const struct weir_addr *a, uint16_t port, struct sockaddr_storage *ss);

#endif
