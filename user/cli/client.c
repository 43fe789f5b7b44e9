// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/io.h"

static int connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "weir: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	fprintf(stderr, "weir: cannot reach the controller at %s: %s (is `weir run` running?)\n",
		path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static char *read_all(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *p = cap <= WEIR_MESSAGE_MAX ? realloc(buf, cap * 2) : NULL;

			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int send_request(int fd, const char *api, json_object *args)
{
	json_object *req = json_object_new_object();
	const char *text;
	int ret = 0;

	json_object_object_add(req, "cmd", json_object_new_string(api));
	if (args)
		json_object_object_add(req, "args", json_object_get(args));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= WEIR_MESSAGE_MAX)
		ret = -EMSGSIZE;
	else
		ret = io_write_all(fd, text, strlen(text));
	if (!ret)
		ret = io_write_all(fd, "\n", 1);
	json_object_put(req);
	return ret;
}

static int parse_reply(const char *text, json_object **data)
{
	json_object *reply = json_tokener_parse(text), *ok, *v;
	int ret = 1;

	if (!reply || !json_object_object_get_ex(reply, "ok", &ok)) {
		fprintf(stderr, "weir: the controller sent no valid reply\n");
	} else if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &v);
		fprintf(stderr, "weir: %s\n", v ? json_object_get_string(v) : "failed");
	} else {
		if (json_object_object_get_ex(reply, "data", &v))
			*data = json_object_get(v);
		ret = 0;
	}
	json_object_put(reply);
	return ret;
}

int client_call(const struct cli *cli, const char *api, json_object *args, json_object **data)
{
	int fd = connect_socket(cli->socket_path);
	char *reply;
	int ret;

	*data = NULL;
	if (fd < 0)
		return 1;
	ret = send_request(fd, api, args);
	if (ret) {
		fprintf(stderr, "weir: cannot send to %s: %s\n", cli->socket_path,
			ret == -EMSGSIZE ? "request larger than 8 MiB" : strerror(-ret));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	reply = read_all(fd);
	close(fd);
	ret = reply ? parse_reply(reply, data) : 1;
	free(reply);
	return ret;
}
