// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket: a Unix stream socket, mode 0600, one JSON request
 * and one JSON reply per connection, each a single line. Every client is
 * non-blocking state in the update loop's poll: it is read and answered as
 * its bytes come, so a client that is slow, never speaks or never reads
 * holds up nobody; each has a deadline for the whole exchange, and the
 * number of clients and the bytes they may buffer are bounded.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/api.h"
#include "ctl/ctl.h"
#include "ctl/io.h"
#include "ctl/log.h"

#define CLIENTS_MAX 32
#define CLIENT_DEADLINE_NS (2ULL * 1000000000ULL)
/* A job (a walk of a large stream table) may take its time, in slices
 * that leave the update loop its ticks. */
#define JOB_DEADLINE_NS (60ULL * 1000000000ULL)
#define JOB_SLICE_NS 5000000ULL
#define CLIENT_BUF_START 4096
/* Requests are read whole before they are parsed; all clients together
 * buffer at most this much, so many large senders cannot exhaust memory. */
#define BUFFERED_MAX (32U << 20)

struct client {
	int fd;
	bool root; /* SO_PEERCRED: the peer runs as uid 0 */
	char *buf; /* the request as it comes, then the reply */
	size_t len, cap; /* request bytes read / reply length */
	size_t sent; /* reply bytes written */
	bool replying;
	uint64_t deadline_ns;
	struct api_job *job; /* the command it waits for runs in steps */
};

struct server {
	struct client clients[CLIENTS_MAX];
	size_t n;
	size_t buffered; /* sum of the clients' buffer capacities */
};

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
 * that refuses is left over from a crash and can go. Anything that is not
 * a socket is somebody's file: never removed. */
static int socket_claim(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, busy;

	if (lstat(sun->sun_path, &st)) {
		if (errno == ENOENT)
			return 0;
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

static const char *claim_error(int err)
{
	if (err == -EADDRINUSE)
		return "another weir run is serving it";
	if (err == -EEXIST)
		return "exists and is not a socket; not removing it";
	return strerror(-err);
}

/* --socket-group: the group may connect; what it may do is checked per
 * request (SO_PEERCRED). */
static int socket_share(const struct ctl *c)
{
	if (chown(c->socket_path, 0, c->socket_gid) || chmod(c->socket_path, 0660))
		return -1;
	return 0;
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
		pr_warn("socket %s: %s\n", c->socket_path, claim_error(err));
		return err;
	}
	c->server = calloc(1, sizeof(*c->server));
	if (!c->server)
		return -ENOMEM;
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		return -errno;
	old = umask(0177); /* the socket is born 0600 */
	err = bind(c->listen_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!err && c->socket_group)
		err = socket_share(c);
	if (err || listen(c->listen_fd, 64)) {
		err = -errno;
		pr_warn("socket %s: %s\n", c->socket_path, strerror(errno));
		close(c->listen_fd);
		c->listen_fd = -1;
		return err;
	}
	return 0;
}

static void client_drop(struct server *s, size_t i)
{
	struct client *cl = &s->clients[i];

	close(cl->fd);
	s->buffered -= cl->cap;
	free(cl->buf);
	api_job_free(cl->job);
	s->clients[i] = s->clients[--s->n];
}

/* Replaces the request with the reply text and its newline. */
static void client_reply(struct server *s, struct client *cl, char *text)
{
	size_t len = text ? strlen(text) : 0;

	s->buffered -= cl->cap;
	free(cl->buf);
	cl->buf = text;
	cl->cap = text ? len + 1 : 0;
	s->buffered += cl->cap;
	if (text)
		text[len] = '\n'; /* the NUL's place: the reply is sent by length */
	cl->len = cl->cap;
	cl->sent = 0;
	cl->replying = true;
}

static char *error_text(const char *msg)
{
	char *text;

	if (asprintf(&text, "{\"ok\":false,\"error\":\"%s\"}", msg) < 0)
		return NULL;
	return text;
}

static int client_grow(struct server *s, struct client *cl)
{
	size_t cap = cl->cap ? cl->cap * 2 : CLIENT_BUF_START;
	char *p;

	if (cap > WEIR_MESSAGE_MAX)
		cap = WEIR_MESSAGE_MAX;
	if (cap <= cl->cap || s->buffered - cl->cap + cap > BUFFERED_MAX)
		return -ENOBUFS;
	p = realloc(cl->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buffered += cap - cl->cap;
	cl->buf = p;
	cl->cap = cap;
	return 0;
}

/* The request ends at its newline, or where the client stops sending. */
static void client_dispatch(struct ctl *c, struct client *cl)
{
	char *nl = memchr(cl->buf, '\n', cl->len);
	size_t len = nl ? (size_t)(nl - cl->buf) : cl->len;
	char *text = NULL;

	c->caller_restricted = !cl->root;
	if (len)
		text = api_dispatch(c, cl->buf, len, &cl->job);
	c->caller_restricted = false;
	if (cl->job) {
		/* a job with a deadline of its own has a second to say so */
		cl->deadline_ns = cl->job->deadline_ns ? cl->job->deadline_ns + 1000000000ULL
						       : ctl_now_ns() + JOB_DEADLINE_NS;
		return;
	}
	client_reply(c->server, cl, text);
}

static void client_work(struct ctl *c, struct client *cl, uint64_t now)
{
	char *text = api_job_step(c, cl->job, now + JOB_SLICE_NS);

	if (!text)
		return;
	cl->job = NULL; /* api_job_step freed it */
	client_reply(c->server, cl, text);
}

bool server_working(const struct ctl *c)
{
	size_t i;

	for (i = 0; c->server && i < c->server->n; i++)
		if (c->server->clients[i].job && !c->server->clients[i].job->waiting)
			return true;
	return false;
}

/* 1: the client is done (dropped by the caller), 0: it goes on. */
static int client_read(struct ctl *c, struct client *cl)
{
	struct server *s = c->server;
	ssize_t n;

	for (;;) {
		if (cl->len + 1 >= cl->cap && client_grow(s, cl)) {
			client_reply(
				s, cl,
				error_text(cl->cap >= WEIR_MESSAGE_MAX
						   ? "request: larger than 8 MiB"
						   : "request: the controller is busy, try again"));
			return 0;
		}
		n = recv(cl->fd, cl->buf + cl->len, cl->cap - 1 - cl->len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (n == 0) {
			if (!cl->len)
				return 1;
			client_dispatch(c, cl);
			return 0;
		}
		cl->len += n;
		if (memchr(cl->buf + cl->len - n, '\n', n)) {
			client_dispatch(c, cl);
			return 0;
		}
	}
}

static int client_write(struct client *cl)
{
	while (cl->sent < cl->len) {
		ssize_t n = send(cl->fd, cl->buf + cl->sent, cl->len - cl->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		cl->sent += n;
	}
	return 1;
}

static bool peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) && cred.uid == 0;
}

static void server_accept(struct ctl *c, uint64_t now)
{
	struct server *s = c->server;
	int fd;

	while (s->n < CLIENTS_MAX &&
	       (fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client *cl = &s->clients[s->n++];

		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->root = peer_is_root(fd);
		cl->deadline_ns = now + CLIENT_DEADLINE_NS;
	}
}

size_t server_pollfds(const struct ctl *c, struct pollfd *pfd, size_t max)
{
	const struct server *s = c->server;
	size_t i, n = 0;

	if (c->listen_fd < 0 || !s || max < 1)
		return 0;
	pfd[n++] =
		(struct pollfd){ .fd = s->n < CLIENTS_MAX ? c->listen_fd : -1, .events = POLLIN };
	for (i = 0; i < s->n && n < max; i++)
		pfd[n++] = (struct pollfd){ .fd = s->clients[i].fd,
					    .events = s->clients[i].job	       ? 0
						      : s->clients[i].replying ? POLLOUT
									       : POLLIN };
	return n;
}

/* Serves whatever poll() found ready; pfd[] as server_pollfds() built it.
 * Clients past their deadline are cut off. */
void server_handle(struct ctl *c, const struct pollfd *pfd, size_t n, uint64_t now)
{
	struct server *s = c->server;
	size_t i, polled = n ? n - 1 : 0;
	int done;

	if (!s)
		return;
	/* Backwards: a dropped client's place is taken by the last one, which
	 * was already handled. */
	for (i = polled < s->n ? polled : s->n; i-- > 0;) {
		struct client *cl = &s->clients[i];

		done = now >= cl->deadline_ns;
		if (!done && cl->job)
			client_work(c, cl, now);
		else if (!done && pfd[i + 1].revents && !cl->replying)
			done = client_read(c, cl);
		if (!done && cl->replying)
			done = client_write(cl);
		if (done)
			client_drop(s, i);
	}
	if (n && (pfd[0].revents & POLLIN))
		server_accept(c, now);
}

void server_close(struct ctl *c)
{
	struct server *s = c->server;

	while (s && s->n) {
		client_write(&s->clients[s->n - 1]); /* a last reply, if the socket takes it */
		client_drop(s, s->n - 1);
	}
	free(s);
	c->server = NULL;
	if (c->listen_fd < 0)
		return;
	close(c->listen_fd);
	c->listen_fd = -1;
	unlink(c->socket_path);
}
