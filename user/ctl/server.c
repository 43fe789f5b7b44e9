// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket: a Unix stream socket, mode 0600, one JSON request
 * and one JSON reply per connection, each a single line. A client that is
 * slow or sends garbage gets an error reply or is dropped after a short
 * timeout; it never stops the update loop for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/io.h"
#include "ctl/log.h"

#define CLIENT_TIMEOUT_MS 200

static int socket_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* A socket file that accepts a connection belongs to a running weir; one
 * that refuses is left over from a crash and can go. */
static int socket_claim(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int busy;

	if (fd < 0)
		return -errno;
	busy = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	if (busy)
		return -EADDRINUSE;
	unlink(sun->sun_path);
	return 0;
}

static void socket_dir(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0755);
}

int server_open(struct ctl *c)
{
	struct sockaddr_un sun;
	mode_t old;
	int err;

	c->listen_fd = -1;
	err = socket_addr(c->socket_path, &sun);
	if (!err)
		socket_dir(c->socket_path);
	if (!err)
		err = socket_claim(&sun);
	if (err) {
		pr_warn("socket %s: %s\n", c->socket_path,
			err == -EADDRINUSE ? "another weir run is serving it" : strerror(-err));
		return err;
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		return -errno;
	old = umask(0177); /* the socket is born 0600 */
	err = bind(c->listen_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (err || listen(c->listen_fd, 16)) {
		err = -errno;
		pr_warn("socket %s: %s\n", c->socket_path, strerror(errno));
		close(c->listen_fd);
		c->listen_fd = -1;
		return err;
	}
	return 0;
}

/* Reads one request line; -EMSGSIZE when it does not end within cap. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			return n < 0 && !len ? -EIO : (ssize_t)len;
		len += n;
		if (memchr(buf + len - n, '\n', n)) {
			buf[len] = '\0';
			return len;
		}
	}
	return -EMSGSIZE;
}

static void reply(int fd, const char *text)
{
	if (io_write_all(fd, text, strlen(text)) || io_write_all(fd, "\n", 1))
		pr_debug("socket: client went away before the reply\n");
}

static void serve_client(struct ctl *c, int fd)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = CLIENT_TIMEOUT_MS * 1000 };
	char *buf = malloc(WEIR_MESSAGE_MAX), *text;
	ssize_t len;

	if (!buf)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	len = read_request(fd, buf, WEIR_MESSAGE_MAX);
	if (len == -EMSGSIZE) {
		reply(fd, "{\"ok\":false,\"error\":\"request: larger than 8 MiB\"}");
	} else if (len > 0) {
		text = api_dispatch(c, buf, len);
		if (text)
			reply(fd, text);
		free(text);
	}
	free(buf);
}

void server_handle(struct ctl *c)
{
	int fd;

	while ((fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		int flags = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		serve_client(c, fd);
		close(fd);
		if (c->stop)
			break;
	}
}

void server_close(struct ctl *c)
{
	if (c->listen_fd < 0)
		return;
	close(c->listen_fd);
	c->listen_fd = -1;
	unlink(c->socket_path);
}
