// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket: clients that never speak, speak half a request or
 * never read hold up nobody; a path that is not a socket is not removed;
 * requests with unknown or mistyped arguments are refused. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <grp.h>
#include <sys/wait.h>

#include "tests.h"

static int open_server(struct scene *s)
{
	s->c.top.update_interval_ns = 100000000ULL;
	return server_open(&s->c);
}

static int connect_client(const struct scene *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->socket_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void send_text(int fd, const char *text)
{
	assert_int_equal(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
}

/* Runs the controller's loop until fd has a whole reply or deadline_ns;
 * returns the reply (malloc'd) or NULL. */
static char *serve_until_reply(struct scene *s, int fd, uint64_t for_ns)
{
	uint64_t deadline = ctl_now_ns() + for_ns, next_tick = ctl_now_ns();
	char *buf = calloc(1, 65536);
	size_t len = 0;

	while (ctl_now_ns() < deadline) {
		ssize_t n;

		next_tick = ctl_loop_once(&s->c, next_tick);
		n = recv(fd, buf + len, 65535 - len, MSG_DONTWAIT);
		if (n > 0)
			len += n;
		if (len && buf[len - 1] == '\n')
			return buf;
		if (n == 0)
			break;
	}
	free(buf);
	return NULL;
}

static void serve_for(struct scene *s, uint64_t ns)
{
	uint64_t deadline = ctl_now_ns() + ns, next_tick = ctl_now_ns();

	while (ctl_now_ns() < deadline)
		next_tick = ctl_loop_once(&s->c, next_tick);
}

/* Two clients hold connections, one silent and one mid-request: a third
 * is answered within a tick, and the two are cut off at their deadline. */
static void slow_clients_hold_up_nobody(void **state)
{
	struct scene *s = *state;
	int silent, half, good;
	uint64_t start;
	char *reply, c;

	assert_int_equal(open_server(s), 0);
	silent = connect_client(s);
	half = connect_client(s);
	send_text(half, "{\"cmd\":\"sta");
	good = connect_client(s);
	send_text(good, "{\"cmd\":\"status\"}\n");
	start = ctl_now_ns();
	reply = serve_until_reply(s, good, 1 * SEC);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "\"ok\":true"));
	assert_true(ctl_now_ns() - start < 500000000ULL);
	free(reply);
	/* past the 2 s deadline both are closed without a reply */
	serve_for(s, 2500000000ULL);
	assert_int_equal(recv(silent, &c, 1, MSG_DONTWAIT), 0);
	assert_int_equal(recv(half, &c, 1, MSG_DONTWAIT), 0);
	close(silent);
	close(half);
	close(good);
}

/* services services of 1000 backends each, health off: the dump is about
 * 70 bytes a backend. */
static char *many_backends_doc(int services)
{
	size_t cap = 64 + (size_t)services * (256 + 1000 * 32), len;
	char *doc = malloc(cap);
	int i, j;

	assert_non_null(doc);
	len = snprintf(doc, cap, "services:\n");
	for (j = 0; j < services; j++) {
		len += snprintf(doc + len, cap - len,
				"  - {name: s%d, vip: 198.18.1.%d, port: 80, proto: tcp, "
				"health: {enabled: false}, backends: [",
				j, 100 + j);
		for (i = 0; i < 1000; i++)
			len += snprintf(doc + len, cap - len, "%s{addr: 198.18.%d.%d}",
					i ? ", " : "", 2 + i / 250, 1 + i % 250);
		len += snprintf(doc + len, cap - len, "]}\n");
	}
	return doc;
}

/* A client that never reads a reply larger than the socket buffers is
 * cut off at its deadline; the loop serves others meanwhile. */
static void client_that_never_reads(void **state)
{
	struct scene *s = *state;
	char *doc = many_backends_doc(4), *reply, buf[65536];
	int lazy, good, size = 4096;
	size_t got = 0;
	ssize_t n;

	assert_int_equal(open_server(s), 0);
	scene_apply_ok(s, doc);
	free(doc);
	lazy = connect_client(s);
	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	send_text(lazy, "{\"cmd\":\"config.dump\"}\n");
	good = connect_client(s);
	send_text(good, "{\"cmd\":\"status\"}\n");
	reply = serve_until_reply(s, good, 1 * SEC);
	assert_non_null(reply);
	free(reply);
	serve_for(s, 2500000000ULL); /* past the lazy one's deadline */
	while ((n = recv(lazy, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += n;
	assert_int_equal(n, 0); /* closed */
	assert_true(got > 0 && got < 4000 * 60); /* part of the reply, then cut off */
	close(lazy);
	close(good);
}

static void non_socket_path_kept(void **state)
{
	struct scene *s = *state;
	struct stat st;
	int fd = open(s->socket_path, O_CREAT | O_WRONLY, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(open_server(s), -EEXIST);
	assert_int_equal(stat(s->socket_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
}

static void expect_error(struct scene *s, const char *request, const char *error)
{
	struct api_job *job = NULL;
	char *reply = api_dispatch(&s->c, request, strlen(request), &job);

	assert_non_null(reply);
	if (!strstr(reply, error))
		fail_msg("%s: got %s, expected %s", request, reply, error);
	assert_non_null(strstr(reply, "\"ok\":false"));
	free(reply);
}

/* A typo or a number where a string belongs is an error, never an
 * option silently not applied, and changes nothing. */
static void unknown_and_mistyped_arguments(void **state)
{
	struct scene *s = *state;
	struct weir_config before, after;
	char *a, *b;

	scene_apply_ok(s, WEB_DOC);
	assert_int_equal(state_export(&s->c, &before), 0);
	expect_error(s,
		     "{\"cmd\":\"backend.add\",\"args\":{\"service\":\"web\",\"addr\":"
		     "\"198.18.0.13\",\"wieght\":\"5\"}}",
		     "request: backend.add: unknown argument 'wieght'");
	expect_error(s,
		     "{\"cmd\":\"backend.add\",\"args\":{\"service\":\"web\",\"addr\":"
		     "\"198.18.0.13\",\"weight\":5}}",
		     "request: backend.add: argument 'weight' is not a string");
	expect_error(s, "{\"cmd\":\"status\",\"args\":{\"x\":\"1\"}}",
		     "request: status: unknown argument 'x'");
	expect_error(s, "{\"cmd\":\"service.del\",\"args\":{\"name\":null}}",
		     "argument 'name' is not a string");
	expect_error(s, "{\"cmd\":\"config.load\",\"args\":{\"yaml\":\"services: []\\u0000x\"}}",
		     "line 1, column 13: the file contains a NUL byte");
	assert_int_equal(state_export(&s->c, &after), 0);
	assert_int_equal(config_emit(&before, &a), 0);
	assert_int_equal(config_emit(&after, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&before);
	config_free(&after);
}

/* As nobody in the socket's group: child side. Writes both replies,
 * newline-terminated, to out. */
static void group_member_requests(const char *path, int out)
{
	static const char *const requests[] = {
		"{\"cmd\":\"status\"}\n",
		"{\"cmd\":\"service.add\",\"args\":{\"name\":\"x\",\"vip\":\"198.18.1.9\","
		"\"port\":\"80\",\"proto\":\"tcp\"}}\n",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	size_t i;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		_exit(2);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ssize_t n;

		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			_exit(3);
		if (send(fd, requests[i], strlen(requests[i]), 0) < 0)
			_exit(4);
		n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
		if (n <= 0 || write(out, buf, n) != n)
			_exit(5);
		close(fd);
	}
	_exit(0);
}

/* --socket-group: a member (nobody, here) may run what changes nothing;
 * a change needs root, whatever group the caller is in. */
static void group_reads_root_changes(void **state)
{
	struct scene *s = *state;
	char replies[8192] = "", *reply;
	int pipefd[2], status = -1, good;
	struct stat st;
	uint64_t deadline;
	pid_t pid;
	ssize_t n;

	s->c.socket_group = true;
	s->c.socket_gid = 65534;
	assert_int_equal(chmod(s->run_dir, 0755), 0);
	assert_int_equal(open_server(s), 0);
	assert_int_equal(stat(s->socket_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		group_member_requests(s->socket_path, pipefd[1]);
	close(pipefd[1]);
	deadline = ctl_now_ns() + 5 * SEC;
	while (ctl_now_ns() < deadline && waitpid(pid, &status, WNOHANG) == 0)
		serve_for(s, 50000000ULL);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = read(pipefd[0], replies, sizeof(replies) - 1);
	close(pipefd[0]);
	assert_true(n > 0);
	replies[n] = '\0';
	assert_non_null(strstr(replies, "\"ok\":true"));
	assert_non_null(strstr(replies, "permission denied: service.add changes the running "
					"state; run it as root"));
	assert_null(state_find_service(&s->c, "x"));
	/* root may */
	good = connect_client(s);
	send_text(good, "{\"cmd\":\"service.add\",\"args\":{\"name\":\"x\",\"vip\":"
			"\"198.18.1.9\",\"port\":\"80\",\"proto\":\"tcp\"}}\n");
	reply = serve_until_reply(s, good, 1 * SEC);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "\"ok\":true"));
	free(reply);
	close(good);
}

/* A reply is JSON, hence UTF-8: a request that is not UTF-8 is refused
 * without being echoed, and a message that quotes only the first bytes of
 * a value never cuts a character in two (both found by fuzzing). */
static void replies_are_utf8(void **state)
{
	struct scene *s = *state;
	struct api_job *job = NULL;
	char request[512], *reply, *p;
	size_t i;

	expect_error(s,
		     "{\"cmd\":\"service.show\",\"args\":{\"name\":\"w\xff"
		     "b\"}}",
		     "request: not UTF-8 text");
	expect_error(s, "{\"cmd\":\"service.show\",\"args\":{\"name\":\"\xc0\xaf\"}}",
		     "request: not UTF-8 text");
	/* 40 two-byte characters after "x": "%.64s" stops inside the 32nd */
	p = request + sprintf(request, "{\"cmd\":\"x");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "\xc3\xa9");
	strcpy(p, "\"}");
	reply = api_dispatch(&s->c, request, strlen(request), &job);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "request: unknown command 'x\xc3\xa9"));
	assert_non_null(strstr(reply, "\xc3\xa9?'"));
	free(reply);
}

static const struct CMUnitTest tests[] = {
	ctl_test(group_reads_root_changes),	  ctl_test(slow_clients_hold_up_nobody),
	ctl_test(client_that_never_reads),	  ctl_test(non_socket_path_kept),
	ctl_test(unknown_and_mistyped_arguments), ctl_test(replies_are_utf8),
};

const struct test_group server_group = { "server", tests, ARRAY_SIZE(tests) };
