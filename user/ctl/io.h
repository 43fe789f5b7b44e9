/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_IO_H
#define WEIR_IO_H

#include <stddef.h>

/* The control socket's limit on one request or reply line. */
#define WEIR_MESSAGE_MAX (8 << 20)

/* Writes all of buf, through short writes and EINTR; 0 or -errno. Never
 * raises SIGPIPE. */
int io_write_all(int fd, const void *buf, size_t len);

#endif
