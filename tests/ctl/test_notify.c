// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* notify_systemd: the datagram systemd waits for with Type=notify, to a
 * socket path and to an abstract name; nothing without $NOTIFY_SOCKET. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/notify.h"
#include "tests.h"

/* A datagram socket bound to NAME ('@': abstract), as systemd's. */
static int listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	assert_int_equal(
		bind(fd, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) + len), 0);
	return fd;
}

static void expect_datagram(int fd, const char *text)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, strlen(text));
	assert_memory_equal(buf, text, n);
}

static void ready_to_a_path(void **state)
{
	char dir[] = "/tmp/weir-notify-XXXXXX", path[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_systemd("READY=1"), 0);
	assert_int_equal(notify_systemd("STOPPING=1"), 0);
	expect_datagram(fd, "READY=1");
	expect_datagram(fd, "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void ready_to_an_abstract_name(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@weir-notify-test-%d", (int)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(notify_systemd("READY=1"), 0);
	expect_datagram(fd, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

/* Not under systemd, or a kind of socket it does not speak: no error. */
static void nothing_without_a_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_systemd("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(notify_systemd("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(ready_to_a_path),
	cmocka_unit_test(ready_to_an_abstract_name),
	cmocka_unit_test(nothing_without_a_socket),
};

const struct test_group notify_group = { "notify", tests, ARRAY_SIZE(tests) };
