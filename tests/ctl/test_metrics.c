// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The metrics in the controller, on real maps: the page sums a backend's
 * per-CPU counters and gives the figures `service show` gives; the HTTP
 * server answers from ctl_loop_once() alone (no thread); statsD datagrams
 * leave from the loop and name the page's series. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests.h"

static const char metrics_doc[] =
	WEB_DOC "    capacity-rate: 80mbit\n"
		"    classes: [{name: gold, match: \"dscp:46\", min: 8mbit, "
		"max: 16mbit, priority: 7}]\n";

static char *page_of(struct scene *s)
{
	size_t len;
	char *page;

	assert_int_equal(metrics_page(&s->c, &page, &len), 0);
	assert_int_equal(strlen(page), len);
	return page;
}

static void assert_line(const char *page, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(page, want))
		fail_msg("the page lacks '%s'", line);
}

/* Each CPU gets a different count: the page shows their sum. */
static void page_sums_cpus(void **state)
{
	struct scene *s = *state;
	struct ctl_backend *be;
	int ncpu = libbpf_num_possible_cpus();
	struct weir_counters *per_cpu = calloc(ncpu, sizeof(*per_cpu));
	uint64_t sum = 0;
	char line[160], *page;
	int i;

	scene_apply_ok(s, metrics_doc);
	be = scene_backend(s, "web", "198.18.0.12");
	for (i = 0; i < ncpu; i++) {
		per_cpu[i].packets = 100 + i;
		per_cpu[i].bytes = 1000 * (i + 1);
		sum += 100 + i;
	}
	assert_int_equal(bpf_map_update_elem(s->c.loader.maps.backend_stats, &be->id, per_cpu, 0),
			 0);
	page = page_of(s);
	snprintf(line, sizeof(line),
		 "weir_backend_packets_total{service=\"web\",backend=\"198.18.0.12\"} %llu",
		 (unsigned long long)sum);
	assert_line(page, line);
	assert_line(page, "weir_backend_packets_total{service=\"web\",backend=\"198.18.0.11\"} 0");
	assert_line(page, "weir_service_capacity_bytes_per_second{service=\"web\"} 10000000");
	assert_line(page,
		    "weir_class_min_bytes_per_second{service=\"web\",class=\"gold\"} 1000000");
	assert_line(page, "weir_class_priority{service=\"web\",class=\"gold\"} 7");
	assert_line(page, "weir_backend_up{service=\"web\",backend=\"198.18.0.11\"} 1");
	assert_line(page,
		    "weir_service_refused_streams_total{service=\"web\",reason=\"capacity\"} 0");
	assert_line(page, "weir_build_info{version=\"" WEIR_VERSION "\"} 1");
	free(page);
	free(per_cpu);
}

static int free_port(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A client's whole exchange, the controller driven only by its loop. */
static void http_from_the_loop(void **state)
{
	struct scene *s = *state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char request[] =
		"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	uint64_t next_tick = ctl_now_ns(), deadline = next_tick + 5 * SEC;
	static char reply[1 << 20];
	size_t got = 0;
	ssize_t n;
	int fd;

	scene_apply_ok(s, metrics_doc);
	units_parse_addr("127.0.0.1", &s->c.top.metrics.listen);
	s->c.top.metrics.listen_port = free_port(SOCK_STREAM);
	assert_int_equal(metrics_open(&s->c), 0);
	a.sin_port = htons(s->c.top.metrics.listen_port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, request, sizeof(request) - 1), sizeof(request) - 1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (ctl_now_ns() < deadline) {
		next_tick = ctl_loop_once(&s->c, next_tick);
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	reply[got] = '\0';
	close(fd);
	assert_memory_equal(reply, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(reply, "\r\n# HELP weir_build_info "));
	assert_non_null(strstr(
		reply, "\nweir_backend_weight{service=\"web\",backend=\"198.18.0.11\"} 1\n"));
	/* the ticks it ran were measured */
	assert_true(s->c.loop_histogram.count > 0);
	metrics_close(&s->c);
}

/* Pushes every 100 ms from the loop; the datagrams carry the prefix and
 * the gauges of the page. */
static void statsd_from_the_loop(void **state)
{
	struct scene *s = *state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t next_tick = ctl_now_ns(), deadline = next_tick + 2 * SEC;
	socklen_t len = sizeof(a);
	char datagram[2048];
	int fd, datagrams = 0;
	ssize_t n;

	scene_apply_ok(s, metrics_doc);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	s->c.top.metrics.enabled = false;
	s->c.top.metrics.statsd = true;
	units_parse_addr("127.0.0.1", &s->c.top.metrics.statsd_addr);
	s->c.top.metrics.statsd_port = ntohs(a.sin_port);
	s->c.top.metrics.statsd_interval_ns = 100000000ULL;
	strcpy(s->c.top.metrics.statsd_prefix, "t.");
	assert_int_equal(metrics_open(&s->c), 0);
	while (ctl_now_ns() < deadline && datagrams < 3) {
		next_tick = ctl_loop_once(&s->c, next_tick);
		n = recv(fd, datagram, sizeof(datagram) - 1, 0);
		if (n <= 0)
			continue;
		datagram[n] = '\0';
		assert_true(n <= METRICS_DATAGRAM_MAX);
		assert_memory_equal(datagram, "t.", 2);
		if (strstr(datagram, "t.backend.web.198_18_0_11.weight:1|g"))
			datagrams++;
	}
	close(fd);
	metrics_close(&s->c);
	assert_int_equal(datagrams, 3);
}

static const struct CMUnitTest tests[] = {
	ctl_test(page_sums_cpus),
	ctl_test(http_from_the_loop),
	ctl_test(statsd_from_the_loop),
};

const struct test_group metrics_group = { "metrics", tests, ARRAY_SIZE(tests) };
