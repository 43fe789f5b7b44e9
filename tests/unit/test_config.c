// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmocka tests for user/core/config.c: parsing, defaults, error messages
 * (line and object), checks, emit and the parse(emit(x)) == x round trip. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weir/abi.h"
#include "core/config.h"
#include "common/same_config.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static const char full_doc[] = "interfaces: [veth0, eth1]\n" /* 1 */
			       "xdp-mode: generic\n" /* 2 */
			       "update-interval: 250ms\n" /* 3 */
			       "stream-table-size: 65536\n" /* 4 */
			       "services:\n" /* 5 */
			       "  - name: web\n" /* 6 */
			       "    vip: 198.18.1.100\n" /* 7 */
			       "    port: 80\n" /* 8 */
			       "    proto: tcp\n" /* 9 */
			       "    steering: weighted\n" /* 10 */
			       "    forwarding: dsr\n" /* 11 */
			       "    refuse: drop\n" /* 12 */
			       "    idle-timeout: 600s\n" /* 13 */
			       "    health:\n" /* 14 */
			       "      enabled: true\n" /* 15 */
			       "      port: 8080\n" /* 16 */
			       "      interval: 2s\n" /* 17 */
			       "      timeout: 1.5s\n" /* 18 */
			       "      fall: 5\n" /* 19 */
			       "      rise: 4\n" /* 20 */
			       "    backends:\n" /* 21 */
			       "      - addr: 198.18.0.11\n" /* 22 */
			       "        weight: 3\n" /* 23 */
			       "        mac: 02:00:00:00:00:1A\n" /* 24 */
			       "        paused: false\n"
			       "        standby: false\n" /* 25 */
			       "      - addr: 198.18.0.12\n" /* 26 */
			       "        paused: true\n"
			       "        standby: false\n" /* 27 */
			       "  - name: dns6\n" /* 28 */
			       "    vip: 2001:db8::53\n" /* 29 */
			       "    port: 53\n" /* 30 */
			       "    proto: udp\n" /* 31 */
			       "    backends:\n" /* 32 */
			       "      - addr: 2001:db8::1\n" /* 33 */
			       "    forwarding: ipip\n" /* 34 */
			       "    encap-source: \"2001:db8:ff::/64\"\n" /* 35 */
			       "    encap-mtu: 1400\n" /* 36 */
			       "    slow-start: 30s\n" /* 37 */
			       "    capacity-rate: 1gbit\n" /* 38 */
			       "    stream-max: 8mbit\n" /* 39 */
			       "    priority-reserve: 12.5%\n" /* 40 */
			       "    admission: pie\n" /* 41 */
			       "    delay-target: 15ms\n" /* 42 */
			       "    probe: http:/ready\n" /* 43 */
			       "    breaker-failures: 30%\n" /* 44 */
			       "    capacity-limit: auto\n" /* 45 */
			       "    scale-out: \"avg(streams.active) > 100\"\n" /* 46 */
			       "    classes:\n" /* 47 */
			       "      - name: gold\n" /* 48 */
			       "        match: \"2001:db8:1::/48\"\n" /* 49 */
			       "        min: 1mbit\n" /* 50 */
			       "        max: 4mbit\n" /* 51 */
			       "        priority: 5\n"; /* 52 */

/* The start of a one-service document; error cases append lines from 6. */
#define SVC_ITEM                  \
	"  - name: web\n"         \
	"    vip: 198.18.1.100\n" \
	"    port: 80\n"          \
	"    proto: tcp\n"
#define SVC_HEAD "services:\n" SVC_ITEM

/* What a dump says of metrics and statsD by default. */
#define METRICS_DEFAULTS                       \
	"metrics: on\n"                        \
	"metrics-listen: \"127.0.0.1:9469\"\n" \
	"statsd: off\n"                        \
	"statsd-interval: 10s\n"               \
	"statsd-prefix: weir.\n"               \
	"statsd-sample-rate: 1\n"

static int parse(const char *text, struct weir_config *cfg, char *err)
{
	return config_parse(text, strlen(text), cfg, err, WEIR_ERR_MAX);
}

static void parse_ok(const char *text, struct weir_config *cfg)
{
	char err[WEIR_ERR_MAX];
	int ret = parse(text, cfg, err);

	if (ret)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

static void assert_empty(const struct weir_config *cfg)
{
	struct weir_config empty;

	config_init(&empty);
	assert_memory_equal(cfg, &empty, sizeof(empty));
}

static struct weir_addr addr(const char *s)
{
	struct weir_addr a;

	assert_int_equal(units_parse_addr(s, &a), 0);
	return a;
}

static void test_full_document(void **state)
{
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x1a };
	struct weir_addr vip = addr("198.18.1.100"), vip6 = addr("2001:db8::53");
	struct weir_service_config *web, *dns;
	struct weir_config cfg;

	(void)state;
	parse_ok(full_doc, &cfg);
	assert_int_equal(cfg.n_interfaces, 2);
	assert_string_equal(cfg.interfaces[0], "veth0");
	assert_string_equal(cfg.interfaces[1], "eth1");
	assert_int_equal(cfg.xdp_mode, WEIR_XDP_GENERIC);
	assert_int_equal(cfg.update_interval_ns, 250 * MS);
	assert_int_equal(cfg.stream_table_size, 65536);
	assert_int_equal(cfg.given,
			 WEIR_CONFIG_GIVEN_XDP_MODE | WEIR_CONFIG_GIVEN_STREAM_TABLE_SIZE);
	assert_int_equal(cfg.n_services, 2);
	web = &cfg.services[0];
	assert_string_equal(web->name, "web");
	assert_memory_equal(&web->vip, &vip, sizeof(vip));
	assert_int_equal(web->port, 80);
	assert_int_equal(web->proto, IPPROTO_TCP);
	assert_int_equal(web->steering, WEIR_STEER_WEIGHTED);
	assert_int_equal(web->forwarding, WEIR_FWD_DSR);
	assert_int_equal(web->refuse, WEIR_REFUSE_DROP);
	assert_int_equal(web->idle_timeout_ns, 600 * SEC);
	assert_true(web->health.enabled);
	assert_int_equal(web->health.port, 8080);
	assert_int_equal(web->health.interval_ns, 2 * SEC);
	assert_int_equal(web->health.timeout_ns, 1500 * MS);
	assert_int_equal(web->health.fall, 5);
	assert_int_equal(web->health.rise, 4);
	assert_int_equal(web->n_backends, 2);
	assert_int_equal(web->backends[0].weight, 3);
	assert_true(web->backends[0].has_mac);
	assert_memory_equal(web->backends[0].mac, mac, 6);
	assert_false(web->backends[0].paused);
	assert_int_equal(web->backends[1].weight, 1);
	assert_false(web->backends[1].has_mac);
	assert_true(web->backends[1].paused);
	dns = &cfg.services[1];
	assert_string_equal(dns->name, "dns6");
	assert_memory_equal(&dns->vip, &vip6, sizeof(vip6));
	assert_int_equal(dns->backends[0].addr.family, WEIR_AF_INET6);
	assert_int_equal(dns->forwarding, WEIR_FWD_IPIP);
	assert_int_equal(dns->encap_source.prefix_len, 64);
	assert_int_equal(dns->encap_mtu, 1400);
	assert_int_equal(dns->slow_start_ns, 30 * SEC);
	assert_int_equal(dns->capacity_rate, 1000000000ULL);
	assert_int_equal(dns->stream_max, 8000000);
	assert_int_equal(dns->priority_reserve, 125);
	assert_int_equal(dns->overload.admission, WEIR_ADMISSION_PIE);
	assert_int_equal(dns->overload.delay_target_ns, 15 * MS);
	assert_string_equal(dns->overload.probe_path, "/ready");
	assert_int_equal(dns->overload.breaker_permille, 300);
	assert_true(dns->overload.capacity_limit_auto);
	assert_string_equal(dns->capacity.scale_out, "avg(streams.active) > 100");
	assert_int_equal(dns->n_classes, 1);
	assert_string_equal(dns->classes[0].name, "gold");
	assert_int_equal(dns->classes[0].match.prefix_len, 48);
	assert_int_equal(dns->classes[0].max_bps, 4000000);
	assert_int_equal(dns->classes[0].priority, 5);
	assert_int_equal(config_check(&cfg, NULL, 0), 0);
	config_free(&cfg);
	assert_empty(&cfg);
}

/* The example that `make install` ships parses and passes the checks
 * (the tests run from the top of the tree). */
static void test_shipped_example(void **state)
{
	char err[WEIR_ERR_MAX] = "", text[16384];
	FILE *f = fopen("dist/weir.yaml.example", "r");
	struct weir_config cfg;
	size_t len;

	(void)state;
	assert_non_null(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	assert_true(len > 0 && len < sizeof(text) - 1);
	text[len] = '\0';
	parse_ok(text, &cfg);
	assert_int_equal(cfg.n_services, 2);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct weir_service_config *tcp, *udp;
	struct weir_config cfg;

	(void)state;
	parse_ok(SVC_HEAD "  - name: dns\n"
			  "    vip: 198.18.1.53\n"
			  "    port: 53\n"
			  "    proto: udp\n",
		 &cfg);
	assert_int_equal(cfg.n_interfaces, 0);
	assert_int_equal(cfg.xdp_mode, WEIR_XDP_NATIVE);
	assert_int_equal(cfg.update_interval_ns, 100 * MS);
	assert_int_equal(cfg.stream_table_size, 1048576);
	assert_int_equal(cfg.given, 0); /* defaults are not "given" */
	tcp = &cfg.services[0];
	assert_int_equal(tcp->steering, WEIR_STEER_ROUND_ROBIN);
	assert_int_equal(tcp->forwarding, WEIR_FWD_DSR);
	assert_int_equal(tcp->refuse, WEIR_REFUSE_DROP);
	assert_int_equal(tcp->idle_timeout_ns, 900 * SEC);
	assert_true(tcp->health.enabled);
	assert_int_equal(tcp->health.port, 0);
	assert_int_equal(tcp->health.interval_ns, SEC);
	assert_int_equal(tcp->health.timeout_ns, 500 * MS);
	assert_int_equal(tcp->health.fall, 3);
	assert_int_equal(tcp->health.rise, 2);
	assert_int_equal(tcp->n_backends, 0);
	assert_null(tcp->backends);
	udp = &cfg.services[1];
	assert_int_equal(udp->idle_timeout_ns, 300 * SEC);
	assert_false(udp->health.enabled);
	assert_int_equal(config_check(&cfg, NULL, 0), 0);
	config_free(&cfg);
}

/* Defaults follow proto even when proto comes after keys that override
 * them, and partial health mappings keep the other defaults. */
static void test_defaults_order(void **state)
{
	struct weir_config cfg;

	(void)state;
	parse_ok("services:\n"
		 "  - health: {enabled: true, fall: 7}\n"
		 "    idle-timeout: 10s\n"
		 "    name: dns\n"
		 "    vip: 198.18.1.53\n"
		 "    port: 53\n"
		 "    proto: udp\n"
		 "    backends:\n"
		 "      - {addr: 198.18.0.1}\n",
		 &cfg);
	assert_int_equal(cfg.services[0].idle_timeout_ns, 10 * SEC);
	assert_true(cfg.services[0].health.enabled);
	assert_int_equal(cfg.services[0].health.fall, 7);
	assert_int_equal(cfg.services[0].health.rise, 2);
	assert_int_equal(cfg.services[0].backends[0].weight, 1);
	config_free(&cfg);
}

static void test_empty_documents(void **state)
{
	static const char *const docs[] = { "",	      "\n",   "# nothing yet\n", "---\n", "--- ~\n",
					    "null\n", "{}\n", "services: []\n" };
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		parse_ok(docs[i], &cfg);
		assert_empty(&cfg);
	}
	assert_int_equal(config_parse(NULL, 0, &cfg, err, sizeof(err)), 0);
	assert_empty(&cfg);
}

struct error_case {
	const char *doc;
	const char *message;
};

static const struct error_case error_cases[] = {
	/* unknown and duplicate keys */
	{ "xdp-mode: native\n\nservics: []\n", "line 3, column 1: unknown key 'servics'" },
	{ SVC_HEAD "    prot: tcp\n", "line 6, column 5: service web: unknown key 'prot'" },
	{ SVC_HEAD "    health:\n      intervall: 1s\n",
	  "line 7, column 7: service web: health: unknown key 'intervall'" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        wieght: 2\n",
	  "line 8, column 9: service web: backend 198.18.0.11: unknown key 'wieght'" },
	{ SVC_HEAD "    port: 81\n", "line 6, column 5: service web: duplicate key 'port'" },
	/* maglev and ipip values */
	{ SVC_HEAD "    maglev-table-size: many\n",
	  "line 6, column 24: service web: maglev-table-size: many is not a number "
	  "(1-4294967295)" },
	{ SVC_HEAD "    encap-source: \"port:80\"\n",
	  "line 6, column 19: service web: encap-source: port:80 is not a prefix (like "
	  "198.19.254.0/24)" },
	{ SVC_HEAD "    encap-mtu: 9500\n",
	  "line 6, column 16: service web: encap-mtu: 9500 is out of range (1280-9216)" },
	/* admission values */
	{ SVC_HEAD "    capacity-streams: -1\n",
	  "line 6, column 23: service web: capacity-streams: -1 is not a number (0-4294967295)" },
	{ SVC_HEAD "    capacity-rate: fast\n", "line 6, column 20: service web: capacity-rate: "
						"fast is not a rate (bit/s, like 8mbit or 1gbit)" },
	{ SVC_HEAD "    priority: 8\n",
	  "line 6, column 15: service web: priority: 8 is not a priority (0-7)" },
	{ SVC_HEAD "    forwarding: nat\n",
	  "line 6, column 17: service web: forwarding: nat is not one of dsr, ipip" },
	{ SVC_HEAD "    slow-start: 10\n",
	  "line 6, column 17: service web: slow-start: 10 is not a "
	  "duration (a number with ms, s or m)" },
	{ SVC_HEAD "    share: fair\n",
	  "line 6, column 12: service web: share: fair is not one of min, priority" },
	{ SVC_HEAD "    preempt: yes\n",
	  "line 6, column 14: service web: preempt: yes is not true or false" },
	{ SVC_HEAD "    admission: red\n",
	  "line 6, column 16: service web: admission: red is not off or pie" },
	{ SVC_HEAD "    fallback: local\n",
	  "line 6, column 15: service web: fallback: local is not one of drop, pass" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11, standby: 1}]\n",
	  "line 6, column 45: service web: backend 198.18.0.11: standby: 1 is not true or false" },
	{ SVC_HEAD "    delay-target: 0ms\n",
	  "line 6, column 19: service web: delay-target: 0ms is not a duration from 1ms to 10s" },
	{ SVC_HEAD "    probe: http:index.html\n",
	  "line 6, column 12: service web: probe: http:index.html is not tcp or http:PATH (a path "
	  "starting "
	  "with /)" },
	{ SVC_HEAD "    capacity-limit: \"(streams.active * 2\"\n",
	  "line 6, column 21: service web: capacity-limit: column 20: expected ')' to close '(' of "
	  "column 1" },
	{ SVC_HEAD "    capacity-ranking: \"streams.actve\"\n",
	  "line 6, column 23: service web: capacity-ranking: column 1: unknown metric "
	  "'streams.actve' (weir "
	  "measures streams.active, streams.new_rate, streams.ended_rate, rx.bps, rx.pps, "
	  "refused.rate, probe.latency_ms, allocation.used, allocation.capacity, health.up, "
	  "breaker.open, weight)" },
	{ SVC_HEAD "    shuffle-size: \"cpu + 1\"\n",
	  "line 6, column 19: service web: shuffle-size: column 1: cpu is a backend's value: use "
	  "it inside "
	  "avg, min, max, sum or count" },
	{ SVC_HEAD "    breaker-failures: 0%\n",
	  "line 6, column 23: service web: breaker-failures: 0% is not a percentage from 1% to "
	  "100%" },
	{ SVC_HEAD "    priority-reserve: 60%\n",
	  "line 6, column 23: service web: priority-reserve: 60% is not a percentage from 0% to "
	  "50%" },
	{ SVC_HEAD "    classes: [{name: gold, match: \"port:90-80\", min: 1mbit, max: 2mbit}]\n",
	  "line 6, column 35: service web: class gold: match: port:90-80 is not a match (a client "
	  "prefix "
	  "like 198.18.0.0/16, port:N[-M] or dscp:N)" },
	{ SVC_HEAD "    classes: [{name: gold, match: \"dscp:64\", min: 1mbit, max: 2mbit}]\n",
	  "line 6, column 35: service web: class gold: match: dscp:64 is not a match (a client "
	  "prefix like "
	  "198.18.0.0/16, port:N[-M] or dscp:N)" },
	{ SVC_HEAD "    classes: [{name: gold, match: 198.18.0.0/33, min: 1mbit, max: 2mbit}]\n",
	  "line 6, column 35: service web: class gold: match: 198.18.0.0/33 is not a match (a "
	  "client prefix "
	  "like 198.18.0.0/16, port:N[-M] or dscp:N)" },
	{ SVC_HEAD "    classes: [{name: gold, match: \"dscp:46\", max: 2mbit}]\n",
	  "line 6, column 15: service web: class gold: missing required key 'min'" },
	{ SVC_HEAD "    classes: [{name: gold, match: \"dscp:46\", min: 1, max: 2, colour: red}]\n",
	  "line 6, column 62: service web: class gold: unknown key 'colour'" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        max-streams: x\n",
	  "line 8, column 22: service web: backend 198.18.0.11: max-streams: x is not a number "
	  "(0-4294967295)" },
	/* missing required keys: reported at the object's first line */
	{ "services:\n  - vip: 198.18.1.100\n    port: 80\n    proto: tcp\n",
	  "line 2, column 5: service #1: missing required key 'name'" },
	{ "services:\n  - name: web\n    port: 80\n    proto: tcp\n",
	  "line 2, column 5: service web: missing required key 'vip'" },
	{ "services:\n  - name: web\n    vip: 198.18.1.100\n    proto: tcp\n",
	  "line 2, column 5: service web: missing required key 'port'" },
	{ "services:\n  - name: web\n    vip: 198.18.1.100\n    port: 80\n",
	  "line 2, column 5: service web: missing required key 'proto'" },
	{ SVC_HEAD "    backends:\n      - weight: 2\n",
	  "line 7, column 9: service web: backend #1: missing required key 'addr'" },
	/* wrong node types */
	{ "- a\n- b\n", "line 1, column 1: expected a mapping of keys at the top, got a list" },
	{ "services:\n  name: web\n",
	  "line 2, column 3: services: expected a list, got a mapping" },
	{ "services:\n  - web\n", "line 2, column 5: services: expected a mapping, got a value" },
	{ "interfaces: veth0\n", "line 1, column 13: interfaces: expected a list, got a value" },
	{ "interfaces: [[veth0]]\n",
	  "line 1, column 14: interfaces: expected a value, got a list" },
	{ "xdp-mode: {a: b}\n", "line 1, column 11: xdp-mode: expected a value, got a mapping" },
	{ SVC_HEAD "    health: [1s]\n",
	  "line 6, column 13: service web: health: expected a mapping, got a list" },
	{ SVC_HEAD "    backends: {addr: 198.18.0.11}\n",
	  "line 6, column 15: service web: backends: expected a list, got a mapping" },
	{ SVC_HEAD "    backends:\n",
	  "line 6, column 14: service web: backends: expected a list, got a value" },
	{ SVC_HEAD "    backends: [198.18.0.11]\n",
	  "line 6, column 16: service web: backends: expected a mapping, got a value" },
	{ "? [a]\n: b\n", "line 1, column 3: expected a key, got a list" },
	/* bad values */
	{ "services:\n  - name: web\n    vip: 198.18.1.100\n    port: 70000\n    proto: tcp\n",
	  "line 4, column 11: service web: port: 70000 is not a port (1-65535)" },
	{ "services:\n  - name: web\n    vip: 198.18.1.100\n    port: http\n    proto: tcp\n",
	  "line 4, column 11: service web: port: http is not a port (1-65535)" },
	{ "services:\n  - name: web\n    vip: 198.18.1.300\n    port: 80\n    proto: tcp\n",
	  "line 3, column 10: service web: vip: 198.18.1.300 is not an IPv4 or IPv6 address" },
	{ "services:\n  - name: web\n    vip: 198.18.1.100\n    port: 80\n    proto: sctp\n",
	  "line 5, column 12: service web: proto: sctp is not a protocol (tcp or udp)" },
	{ "services:\n  - name: we/b\n    vip: 198.18.1.100\n    port: 80\n    proto: tcp\n",
	  "line 2, column 11: service #1: name: we/b is not a valid name (1-31 of A-Z a-z 0-9 _ . "
	  "-)" },
	{ "services:\n  - name: abcdefghijabcdefghijabcdefghij12\n",
	  "line 2, column 11: service #1: name: abcdefghijabcdefghijabcdefghij12 is not a valid "
	  "name "
	  "(1-31 of A-Z a-z 0-9 _ . -)" },
	{ "services:\n  - name: \"w\\0b\"\n",
	  "line 2, column 11: service #1: name: value contains a NUL byte" },
	{ SVC_HEAD "    steering: random\n", "line 6, column 15: service web: steering: random is "
					     "not one of round-robin, weighted, maglev" },
	{ SVC_HEAD "    idle-timeout: 15\n", "line 6, column 19: service web: idle-timeout: 15 is "
					     "not a duration (a number with ms, s or m)" },
	{ SVC_HEAD "    idle-timeout: 0s\n",
	  "line 6, column 19: service web: idle-timeout: 0s is too short (must be longer than 0)" },
	{ SVC_HEAD "    health:\n      enabled: yes\n",
	  "line 7, column 16: service web: health: enabled: yes is not true or false" },
	{ SVC_HEAD "    health:\n      fall: 0\n",
	  "line 7, column 13: service web: health: fall: 0 is out of range (1-4294967295)" },
	{ SVC_HEAD "    health:\n      rise: -1\n",
	  "line 7, column 13: service web: health: rise: -1 is not a number (1-4294967295)" },
	{ SVC_HEAD "    health:\n      port: 65536\n",
	  "line 7, column 13: service web: health: port: 65536 is not a port (1-65535, or 0 for "
	  "the service "
	  "port)" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        weight: 70000\n",
	  "line 8, column 17: service web: backend 198.18.0.11: weight: 70000 is out of range "
	  "(0-65535)" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        mac: 02:00:00:00:00\n",
	  "line 8, column 14: service web: backend 198.18.0.11: mac: 02:00:00:00:00 is not a MAC "
	  "address "
	  "(like 02:00:00:00:00:11)" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        paused: 1\n",
	  "line 8, column 17: service web: backend 198.18.0.11: paused: 1 is not true or false" },
	{ SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n      - addr: nope\n",
	  "line 8, column 15: service web: backend #2: addr: nope is not an IPv4 or IPv6 address" },
	{ "xdp-mode: skb\n", "line 1, column 11: xdp-mode: skb is not one of native, generic" },
	{ "update-interval: 0ms\n",
	  "line 1, column 18: update-interval: 0ms is too short (must be longer than 0)" },
	{ "stream-table-size: 0\n",
	  "line 1, column 20: stream-table-size: 0 is out of range (1-16777216)" },
	{ "stream-table-size: 16777217\n",
	  "line 1, column 20: stream-table-size: 16777217 is out of range (1-16777216)" },
	{ "interfaces: [veth0, \"a b\"]\n",
	  "line 1, column 21: interfaces: a b is not an interface name" },
	{ "interfaces: [abcdefghijklmnop]\n",
	  "line 1, column 14: interfaces: abcdefghijklmnop is not an interface name" },
	{ "interfaces: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
	  "line 1, column 13: interfaces: 17 interfaces, at most 16" },
	/* the second service's error names it and leaves nothing allocated */
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11}]\n"
		   "  - name: api\n    vip: 198.18.1.101\n    port: 8o\n    proto: tcp\n",
	  "line 9, column 11: service api: port: 8o is not a port (1-65535)" },
	{ "xdp-mode: native\n---\nxdp-mode: generic\n",
	  "line 3, column 1: only one YAML document is allowed" },
	/* metrics and statsD */
	{ "metrics: maybe\n", "line 1, column 10: metrics: maybe is not on or off" },
	{ "metrics: true\n", "line 1, column 10: metrics: true is not on or off" },
	{ "metrics-listen: 127.0.0.1\n",
	  "line 1, column 17: metrics-listen: 127.0.0.1 is not ADDR:PORT (like "
	  "127.0.0.1:9469 or [::1]:9469)" },
	{ "metrics-listen: \"::1:9469\"\n", "line 1, column 17: metrics-listen: ::1:9469 is not "
					    "ADDR:PORT (like 127.0.0.1:9469 or [::1]:9469)" },
	{ "metrics-listen: \"[::1]:70000\"\n",
	  "line 1, column 17: metrics-listen: [::1]:70000 is not ADDR:PORT (like 127.0.0.1:9469 or "
	  "[::1]:9469)" },
	{ "metrics-listen: [127.0.0.1]\n",
	  "line 1, column 17: metrics-listen: expected a value, got a list" },
	{ "statsd: localhost:8125\n", "line 1, column 9: statsd: localhost:8125 is not ADDR:PORT "
				      "(like 127.0.0.1:9469 or [::1]:9469)" },
	{ "statsd: 127.0.0.1:0\n", "line 1, column 9: statsd: 127.0.0.1:0 is not ADDR:PORT (like "
				   "127.0.0.1:9469 or [::1]:9469)" },
	{ "statsd-interval: 10ms\n",
	  "line 1, column 18: statsd-interval: 10ms is not a duration from 100ms to 1h" },
	{ "statsd-interval: 61m\n",
	  "line 1, column 18: statsd-interval: 61m is not a duration from 100ms to 1h" },
	{ "statsd-prefix: a/b\n",
	  "line 1, column 16: statsd-prefix: a/b is not a prefix (0-31 of A-Z a-z 0-9 _ . -)" },
	{ "statsd-prefix: abcdefghijabcdefghijabcdefghij12\n",
	  "line 1, column 16: statsd-prefix: abcdefghijabcdefghijabcdefghij12 is not a prefix "
	  "(0-31 of A-Z "
	  "a-z 0-9 _ . -)" },
	{ "statsd-sample-rate: 0\n",
	  "line 1, column 21: statsd-sample-rate: 0 is not a number from 0.000001 to 1" },
	{ "statsd-sample-rate: 1.5\n",
	  "line 1, column 21: statsd-sample-rate: 1.5 is not a number from 0.000001 to 1" },
	{ "statsd-sample-rate: -0.5\n",
	  "line 1, column 21: statsd-sample-rate: -0.5 is not a number from 0.000001 to 1" },
	{ "statsd-sample-rate: 1e-1\n",
	  "line 1, column 21: statsd-sample-rate: 1e-1 is not a number from 0.000001 to 1" },
	{ "statsd-sample-rate: 0.0000001\n",
	  "line 1, column 21: statsd-sample-rate: 0.0000001 is not a number from 0.000001 to 1" },
	{ "statsd: 127.0.0.1:8125\nstatsd: off\n", "line 2, column 1: duplicate key 'statsd'" },
};

static void test_error_case(void **state)
{
	const struct error_case *c = *state;
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];

	assert_int_equal(parse(c->doc, &cfg, err), -EINVAL);
	assert_string_equal(err, c->message);
	assert_empty(&cfg);
}

/* libyaml words these; only the line is ours to check. */
static void test_yaml_syntax_errors(void **state)
{
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];

	(void)state;
	assert_int_equal(parse("services: [\n", &cfg, err), -EINVAL);
	assert_memory_equal(err, "line 2, column ", 15);
	assert_empty(&cfg);
	assert_int_equal(parse("a: b\n c: d\n", &cfg, err), -EINVAL);
	assert_memory_equal(err, "line 2, column ", 15);
	assert_empty(&cfg);
	assert_int_equal(parse(SVC_HEAD "    vip: \"unterminated\n", &cfg, err), -EINVAL);
	assert_memory_equal(err, "line 7, column ", 15);
	assert_empty(&cfg);
}

static const char admission_doc[] =
	SVC_HEAD "    capacity-streams: 400\n"
		 "    capacity-rate: 1gbit\n"
		 "    stream-min: 2mbit\n"
		 "    stream-max: 8mbit\n"
		 "    priority: 2\n"
		 "    share: priority\n"
		 "    preempt: true\n"
		 "    burst: true\n"
		 "    pause-after: 20s\n"
		 "    handshake-timeout: 2s\n"
		 "    bucket-depth: 20ms\n"
		 "    priority-reserve: 12.5%\n"
		 "    refuse-rate: 50\n"
		 "    refuse: reset\n"
		 "    classes:\n"
		 "      - {name: vip, match: 198.18.7.0/24, min: 4mbit, "
		 "max: 16mbit, priority: 7}\n"
		 "      - {name: voice, match: \"dscp:46\", min: 64kbit, "
		 "max: 128kbit, priority: 5}\n"
		 "      - {name: alt, match: \"port:8000-8099\", min: 1mbit, "
		 "max: 0}\n"
		 "    backends: [{addr: 198.18.0.11, max-streams: 150}]\n";

/* Every admission key lands where it should; a dump of it loads back to
 * the same dump. */
static void test_admission_document(void **state)
{
	struct weir_service_config *svc;
	struct weir_config cfg, again;
	char *a, *b, match[64];

	(void)state;
	parse_ok(admission_doc, &cfg);
	svc = &cfg.services[0];
	assert_int_equal(svc->capacity_streams, 400);
	assert_int_equal(svc->capacity_rate, 1000000000ULL);
	assert_int_equal(svc->stream_min, 2000000);
	assert_int_equal(svc->stream_max, 8000000);
	assert_int_equal(svc->priority, 2);
	assert_int_equal(svc->share, WEIR_SHARE_PRIORITY);
	assert_true(svc->preempt && svc->burst);
	assert_int_equal(svc->pause_after_ns, 20 * SEC);
	assert_int_equal(svc->handshake_timeout_ns, 2 * SEC);
	assert_int_equal(svc->bucket_depth_ns, 20 * MS);
	assert_int_equal(svc->priority_reserve, 125);
	assert_int_equal(svc->refuse_rate, 50);
	assert_int_equal(svc->refuse, WEIR_REFUSE_RESET);
	assert_int_equal(svc->n_classes, 3);
	assert_string_equal(svc->classes[0].name, "vip");
	assert_int_equal(svc->classes[0].match.kind, WEIR_RULE_CIDR);
	assert_int_equal(svc->classes[0].match.prefix_len, 24);
	assert_string_equal(config_format_match(&svc->classes[0].match, match, sizeof(match)),
			    "198.18.7.0/24");
	assert_int_equal(svc->classes[0].priority, 7);
	assert_int_equal(svc->classes[1].match.kind, WEIR_RULE_DSCP);
	assert_int_equal(svc->classes[1].match.dscp, 46);
	assert_int_equal(svc->classes[1].min_bps, 64000);
	assert_int_equal(svc->classes[2].match.port_lo, 8000);
	assert_int_equal(svc->classes[2].match.port_hi, 8099);
	assert_int_equal(svc->classes[2].max_bps, 0);
	assert_int_equal(svc->classes[2].priority, 0);
	assert_int_equal(svc->backends[0].max_streams, 150);
	assert_int_equal(config_emit(&cfg, &a), 0);
	parse_ok(a, &again);
	assert_int_equal(config_emit(&again, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&cfg);
	config_free(&again);
}

/* Standby backends, fallback and slow start land and dump back. */
static void test_lifecycle_document(void **state)
{
	static const char doc[] =
		SVC_HEAD "    fallback: pass\n"
			 "    slow-start: 10s\n"
			 "    backends: [{addr: 198.18.0.11}, {addr: 198.18.0.12, "
			 "standby: true}]\n";
	struct weir_config cfg, again;
	char *a, *b;

	(void)state;
	parse_ok(doc, &cfg);
	assert_int_equal(cfg.services[0].fallback, WEIR_FALLBACK_PASS);
	assert_int_equal(cfg.services[0].slow_start_ns, 10 * SEC);
	assert_false(cfg.services[0].backends[0].standby);
	assert_true(cfg.services[0].backends[1].standby);
	assert_int_equal(config_emit(&cfg, &a), 0);
	parse_ok(a, &again);
	assert_true(again.services[0].backends[1].standby);
	assert_int_equal(again.services[0].fallback, WEIR_FALLBACK_PASS);
	assert_int_equal(config_emit(&again, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&cfg);
	config_free(&again);
}

/* Every overload key lands where it should and dumps back the same. */
static void test_overload_document(void **state)
{
	static const char doc[] = SVC_HEAD "    admission: pie\n"
					   "    delay-target: 15ms\n"
					   "    delay-source: report\n"
					   "    probe: http:/probe?x=1\n"
					   "    delay-aggregate: max\n"
					   "    pie-interval: 15ms\n"
					   "    pie-burst: 0\n"
					   "    pie-exempt-priority: 8\n"
					   "    pie-scale: flat\n"
					   "    probe-interval: 50ms\n"
					   "    probe-timeout: 2s\n"
					   "    report-ttl: 1s\n"
					   "    breaker: false\n"
					   "    breaker-failures: 30%\n"
					   "    breaker-window: 20\n"
					   "    breaker-consecutive: 0\n"
					   "    breaker-cooldown: 500ms\n"
					   "    capacity-limit: auto\n";
	const struct weir_overload_config *o;
	struct weir_config cfg, again;
	char *a, *b;

	(void)state;
	parse_ok(doc, &cfg);
	o = &cfg.services[0].overload;
	assert_int_equal(o->admission, WEIR_ADMISSION_PIE);
	assert_int_equal(o->delay_target_ns, 15 * MS);
	assert_int_equal(o->delay_source, WEIR_DELAY_REPORT);
	assert_int_equal(o->probe, WEIR_PROBE_HTTP);
	assert_string_equal(o->probe_path, "/probe?x=1");
	assert_int_equal(o->delay_aggregate, WEIR_DELAY_MAX);
	assert_int_equal(o->pie_interval_ns, 15 * MS);
	assert_int_equal(o->pie_burst_ns, 0);
	assert_int_equal(o->pie_exempt, 8);
	assert_int_equal(o->pie_scale, WEIR_PIE_FLAT);
	assert_int_equal(o->probe_interval_ns, 50 * MS);
	assert_int_equal(o->probe_timeout_ns, 2 * SEC);
	assert_int_equal(o->report_ttl_ns, SEC);
	assert_false(o->breaker);
	assert_int_equal(o->breaker_permille, 300);
	assert_int_equal(o->breaker_window, 20);
	assert_int_equal(o->breaker_consecutive, 0);
	assert_int_equal(o->breaker_cooldown_ns, 500 * MS);
	assert_true(o->capacity_limit_auto);
	assert_int_equal(config_emit(&cfg, &a), 0);
	parse_ok(a, &again);
	assert_memory_equal(o, &again.services[0].overload, sizeof(*o));
	assert_int_equal(config_emit(&again, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&cfg);
	config_free(&again);
}

/* A NUL byte inside the text is an error naming its line, not the end of
 * the document. */
/* Every metrics key lands where it should and dumps back the same; the
 * defaults are 127.0.0.1:9469 and no statsD. */
static void test_metrics_document(void **state)
{
	static const char doc[] = "metrics: off\n"
				  "metrics-listen: \"[2001:db8::1]:9100\"\n"
				  "statsd: \"[::1]:8125\"\n"
				  "statsd-interval: 2.5s\n"
				  "statsd-prefix: \"\"\n"
				  "statsd-sample-rate: 0.125\n";
	struct weir_addr any = addr("2001:db8::1"), lo6 = addr("::1"), lo = addr("127.0.0.1");
	struct weir_config cfg, again;
	char *a, *b;

	(void)state;
	config_init(&cfg);
	assert_true(cfg.metrics.enabled);
	assert_true(units_addr_equal(&cfg.metrics.listen, &lo));
	assert_int_equal(cfg.metrics.listen_port, 9469);
	assert_false(cfg.metrics.statsd);
	parse_ok(doc, &cfg);
	assert_false(cfg.metrics.enabled);
	assert_true(units_addr_equal(&cfg.metrics.listen, &any));
	assert_int_equal(cfg.metrics.listen_port, 9100);
	assert_true(cfg.metrics.statsd);
	assert_true(units_addr_equal(&cfg.metrics.statsd_addr, &lo6));
	assert_int_equal(cfg.metrics.statsd_port, 8125);
	assert_int_equal(cfg.metrics.statsd_interval_ns, 2500 * MS);
	assert_string_equal(cfg.metrics.statsd_prefix, "");
	assert_int_equal(cfg.metrics.statsd_sample_ppm, 125000);
	assert_int_equal(cfg.given, WEIR_CONFIG_GIVEN_METRICS | WEIR_CONFIG_GIVEN_METRICS_LISTEN);
	assert_int_equal(config_check(&cfg, NULL, 0), 0);
	assert_int_equal(config_emit(&cfg, &a), 0);
	assert_non_null(strstr(a, "\nmetrics: off\n"
				  "metrics-listen: \"[2001:db8::1]:9100\"\n"
				  "statsd: \"[::1]:8125\"\n"
				  "statsd-interval: 2500ms\n"
				  "statsd-prefix: \"\"\n"
				  "statsd-sample-rate: 0.125\n"));
	parse_ok(a, &again);
	assert_true(config_metrics_equal(&cfg.metrics, &again.metrics));
	assert_int_equal(config_emit(&again, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(&again);
	/* statsd alone: it marks the metrics given, not the listen address */
	parse_ok("statsd: 127.0.0.1:8125\nstatsd-sample-rate: 0.000001\n", &again);
	assert_int_equal(again.given, WEIR_CONFIG_GIVEN_METRICS);
	assert_int_equal(again.metrics.statsd_sample_ppm, 1);
	assert_false(config_metrics_equal(&cfg.metrics, &again.metrics));
	config_free(&again);
	config_free(&cfg);
}

static void test_nul_byte(void **state)
{
	static const char doc[] = SVC_HEAD "    backends:\n\0      - addr: 198.18.0.11\n";
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];

	(void)state;
	assert_int_equal(config_parse(doc, sizeof(doc) - 1, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 7, column 1: the file contains a NUL byte");
	assert_empty(&cfg);
}

/* Deep nesting is refused at the first level too deep, before libyaml
 * builds its tree (which takes time quadratic in the depth). */
static void test_nesting_depth(void **state)
{
	size_t len = 2 << 20, i;
	char *doc = malloc(len + 1), err[WEIR_ERR_MAX];
	struct weir_config cfg;

	(void)state;
	assert_non_null(doc);
	memset(doc, '[', len);
	doc[len] = '\0';
	assert_int_equal(config_parse(doc, len, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1, column 17: nested deeper than 16 levels");
	for (i = 0; i < len / 2; i += 2)
		memcpy(doc + i, "- ", 2);
	doc[len / 2] = '\0';
	assert_int_equal(config_parse(doc, len / 2, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1, column 33: nested deeper than 16 levels");
	free(doc);
	/* 16 levels are not too deep: the walk sees them (and the unknown key) */
	assert_int_equal(parse("a: [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]\n", &cfg, err), -EINVAL);
	assert_string_equal(err, "line 1, column 1: unknown key 'a'");
}

/* Too many services or backends is refused before anything is allocated,
 * including when aliases multiply a short document. */
static void test_limits(void **state)
{
	size_t cap = 64 + (WEIR_MAX_SERVICES + 1) * 96, len = 0, i;
	char *doc = malloc(cap), err[WEIR_ERR_MAX];
	struct weir_config cfg;

	(void)state;
	assert_non_null(doc);
	len += (size_t)snprintf(doc + len, cap - len, "services:\n");
	for (i = 0; i <= WEIR_MAX_SERVICES; i++)
		len += (size_t)snprintf(
			doc + len, cap - len,
			"  - {name: s%zu, vip: 198.18.1.1, port: %zu, proto: tcp}\n", i, i + 1);
	assert_int_equal(parse(doc, &cfg, err), -EINVAL);
	assert_string_equal(err, "line 2, column 3: services: 257 services, at most 256");
	assert_empty(&cfg);

	/* 64 aliases of a 64-backend list: a short text, 4160 backends. */
	len = (size_t)snprintf(doc, cap,
			       "services:\n  - {name: s0, vip: 198.18.1.1, port: 1, proto: "
			       "tcp, backends: &b [");
	for (i = 0; i < 64; i++)
		len += (size_t)snprintf(doc + len, cap - len, "{addr: 10.0.0.%zu},", i + 1);
	len += (size_t)snprintf(doc + len, cap - len, "]}\n");
	for (i = 1; i < 65; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"  - {name: s%zu, vip: 198.18.1.1, port: %zu, proto: tcp, "
					"backends: *b}\n",
					i, i + 1);
	assert_int_equal(parse(doc, &cfg, err), -EINVAL);
	assert_string_equal(
		err, "line 2, column 64: service s64: backends: more than 4096 backends in all");
	assert_empty(&cfg);
	free(doc);
}

/* Every value, field by field (same_config() names the first that
 * differs), and the interface names byte for byte. */
static void assert_config_equal(const struct weir_config *a, const struct weir_config *b)
{
	const char *field = same_config(a, b);

	if (field)
		print_error("configs differ in %s\n", field);
	assert_null(field);
	assert_memory_equal(a->interfaces, b->interfaces, sizeof(a->interfaces));
	assert_true(config_metrics_equal(&a->metrics, &b->metrics));
}

static void round_trip(const struct weir_config *cfg)
{
	struct weir_config again;
	char *text, *text2;

	assert_int_equal(config_emit(cfg, &text), 0);
	parse_ok(text, &again);
	assert_config_equal(cfg, &again);
	assert_int_equal(config_emit(&again, &text2), 0);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
	config_free(&again);
}

static void test_round_trip_parsed(void **state)
{
	struct weir_config cfg;

	(void)state;
	parse_ok(full_doc, &cfg);
	round_trip(&cfg);
	config_free(&cfg);
	config_init(&cfg);
	round_trip(&cfg);
}

/* Values a config file would rarely hold but the structs allow: names and
 * addresses YAML would misread if printed bare, odd durations. */
static void test_round_trip_built(void **state)
{
	struct weir_backend_config be[2];
	struct weir_service_config svc[2];
	struct weir_config cfg;

	(void)state;
	config_init(&cfg);
	strcpy(cfg.interfaces[0], "a,b]#\"\\");
	strcpy(cfg.interfaces[1], "-x");
	cfg.n_interfaces = 2;
	cfg.update_interval_ns = 1500 * MS + 250000;
	config_service_init(&svc[0], IPPROTO_UDP);
	strcpy(svc[0].name, "-");
	svc[0].vip = addr("::1");
	svc[0].port = 65535;
	svc[0].health.port = 9;
	config_backend_init(&be[0]);
	be[0].addr = addr("::2");
	be[0].weight = 0;
	config_backend_init(&be[1]);
	be[1].addr = addr("fe80::1");
	be[1].has_mac = true;
	memcpy(be[1].mac, "\xff\x00\xab\x01\x02\x03", 6);
	be[1].weight = 65535;
	svc[0].backends = be;
	svc[0].n_backends = 2;
	config_service_init(&svc[1], IPPROTO_TCP);
	strcpy(svc[1].name, ".");
	svc[1].vip = addr("0.0.0.0");
	svc[1].port = 1;
	svc[1].steering = WEIR_STEER_WEIGHTED;
	cfg.services = svc;
	cfg.n_services = 2;
	round_trip(&cfg);
}

/* An IPv6 address that ends in "::" ends its line with a ':', which YAML
 * reads as a mapping indicator unless it is quoted (found by fuzzing). */
static void test_round_trip_colon_end(void **state)
{
	struct weir_backend_config be;
	struct weir_service_config svc;
	struct weir_config cfg;
	char *text;

	(void)state;
	config_init(&cfg);
	config_service_init(&svc, IPPROTO_TCP);
	strcpy(svc.name, "v6");
	svc.vip = addr("2001:db8::");
	svc.port = 80;
	config_backend_init(&be);
	be.addr = addr("2001:db8:1::");
	svc.backends = &be;
	svc.n_backends = 1;
	cfg.services = &svc;
	cfg.n_services = 1;
	assert_int_equal(config_emit(&cfg, &text), 0);
	assert_non_null(strstr(text, "    vip: \"2001:db8::\"\n"));
	assert_non_null(strstr(text, "      - addr: \"2001:db8:1::\"\n"));
	free(text);
	round_trip(&cfg);
}

/* Line breaks other than \n (NEL, LS, PS), C1 controls and the BOM are
 * written as escapes: raw, YAML folds or refuses them (found by fuzzing). */
static void test_round_trip_unicode_breaks(void **state)
{
	static const char hook[] = "a\xe2\x80\xa8" /* LS */
				   "b\xe2\x80\xa9" /* PS */
				   "c\xc2\x85" /* NEL */
				   "d\xc2\x80\xef\xbb\xbf" /* C1, BOM */
				   " \xc3\xa9\xe2\x82\xac"; /* kept as they are */
	static const char ifname[] = "x\xc2\x85y";
	struct weir_service_config svc;
	struct weir_config cfg, again;
	char *text;

	(void)state;
	config_init(&cfg);
	strcpy(cfg.interfaces[0], ifname);
	cfg.n_interfaces = 1;
	config_service_init(&svc, IPPROTO_TCP);
	strcpy(svc.name, "hook");
	svc.vip = addr("198.18.1.1");
	svc.port = 80;
	strcpy(svc.capacity.scale_hook, hook);
	cfg.services = &svc;
	cfg.n_services = 1;
	assert_int_equal(config_emit(&cfg, &text), 0);
	assert_non_null(strstr(text, "scale-hook: \"a\\u2028b\\u2029c\\u0085d\\u0080\\ufeff "
				     "\xc3\xa9\xe2\x82\xac\"\n"));
	assert_non_null(strstr(text, "interfaces: [\"x\\u0085y\"]\n"));
	parse_ok(text, &again);
	assert_string_equal(again.services[0].capacity.scale_hook, hook);
	assert_string_equal(again.interfaces[0], ifname);
	free(text);
	config_free(&again);
	round_trip(&cfg);
}

static void test_emit_format(void **state)
{
	static const char want[] = "interfaces: [veth0]\n"
				   "xdp-mode: native\n"
				   "update-interval: 100ms\n"
				   "stream-table-size: 1048576\n" METRICS_DEFAULTS "services:\n"
				   "  - name: web\n"
				   "    vip: 198.18.1.100\n"
				   "    port: 80\n"
				   "    proto: tcp\n"
				   "    steering: round-robin\n"
				   "    forwarding: dsr\n"
				   "    refuse: drop\n"
				   "    idle-timeout: 15m\n"
				   "    paused: false\n"
				   "    health:\n"
				   "      enabled: true\n"
				   "      port: 0\n"
				   "      interval: 1s\n"
				   "      timeout: 500ms\n"
				   "      fall: 3\n"
				   "      rise: 2\n"
				   "    capacity-streams: 0\n"
				   "    capacity-rate: 0bit\n"
				   "    stream-min: 0bit\n"
				   "    stream-max: 0bit\n"
				   "    priority: 0\n"
				   "    share: min\n"
				   "    preempt: false\n"
				   "    burst: false\n"
				   "    pause-after: 30s\n"
				   "    handshake-timeout: 3s\n"
				   "    bucket-depth: 10ms\n"
				   "    priority-reserve: 10%\n"
				   "    refuse-rate: 1000\n"
				   "    admission: off\n"
				   "    delay-target: 20ms\n"
				   "    delay-source: probe\n"
				   "    probe: tcp\n"
				   "    delay-aggregate: mean\n"
				   "    pie-interval: 30ms\n"
				   "    pie-burst: 150ms\n"
				   "    pie-exempt-priority: 7\n"
				   "    pie-scale: linear\n"
				   "    probe-interval: 100ms\n"
				   "    probe-timeout: 1s\n"
				   "    report-ttl: 5s\n"
				   "    breaker: true\n"
				   "    breaker-failures: \"50%\"\n"
				   "    breaker-window: 10\n"
				   "    breaker-consecutive: 5\n"
				   "    breaker-cooldown: 5s\n"
				   "    capacity-ranking: none\n"
				   "    capacity-limit: none\n"
				   "    shuffle-size: none\n"
				   "    scale-out: none\n"
				   "    scale-in: none\n"
				   "    scale-hook: none\n"
				   "    scale-for: 10s\n"
				   "    scale-cooldown: 1m\n"
				   "    fallback: drop\n"
				   "    maglev-table-size: 65537\n"
				   "    encap-source: \"198.19.254.0/24\"\n"
				   "    encap-mtu: 1500\n"
				   "    slow-start: 0\n"
				   "    classes: []\n"
				   "    backends:\n"
				   "      - addr: 198.18.0.11\n"
				   "        weight: 1\n"
				   "        mac: 02:00:00:00:00:11\n"
				   "        paused: false\n"
				   "        standby: false\n"
				   "  - name: empty\n"
				   "    vip: 198.18.1.101\n"
				   "    port: 81\n"
				   "    proto: tcp\n"
				   "    steering: round-robin\n"
				   "    forwarding: dsr\n"
				   "    refuse: drop\n"
				   "    idle-timeout: 15m\n"
				   "    paused: false\n"
				   "    health:\n"
				   "      enabled: true\n"
				   "      port: 0\n"
				   "      interval: 1s\n"
				   "      timeout: 500ms\n"
				   "      fall: 3\n"
				   "      rise: 2\n"
				   "    capacity-streams: 0\n"
				   "    capacity-rate: 0bit\n"
				   "    stream-min: 0bit\n"
				   "    stream-max: 0bit\n"
				   "    priority: 0\n"
				   "    share: min\n"
				   "    preempt: false\n"
				   "    burst: false\n"
				   "    pause-after: 30s\n"
				   "    handshake-timeout: 3s\n"
				   "    bucket-depth: 10ms\n"
				   "    priority-reserve: 10%\n"
				   "    refuse-rate: 1000\n"
				   "    admission: off\n"
				   "    delay-target: 20ms\n"
				   "    delay-source: probe\n"
				   "    probe: tcp\n"
				   "    delay-aggregate: mean\n"
				   "    pie-interval: 30ms\n"
				   "    pie-burst: 150ms\n"
				   "    pie-exempt-priority: 7\n"
				   "    pie-scale: linear\n"
				   "    probe-interval: 100ms\n"
				   "    probe-timeout: 1s\n"
				   "    report-ttl: 5s\n"
				   "    breaker: true\n"
				   "    breaker-failures: \"50%\"\n"
				   "    breaker-window: 10\n"
				   "    breaker-consecutive: 5\n"
				   "    breaker-cooldown: 5s\n"
				   "    capacity-ranking: none\n"
				   "    capacity-limit: none\n"
				   "    shuffle-size: none\n"
				   "    scale-out: none\n"
				   "    scale-in: none\n"
				   "    scale-hook: none\n"
				   "    scale-for: 10s\n"
				   "    scale-cooldown: 1m\n"
				   "    fallback: drop\n"
				   "    maglev-table-size: 65537\n"
				   "    encap-source: \"198.19.254.0/24\"\n"
				   "    encap-mtu: 1500\n"
				   "    slow-start: 0\n"
				   "    classes: []\n"
				   "    backends: []\n";
	struct weir_config cfg;
	char *text;

	(void)state;
	parse_ok("interfaces: [veth0]\n" SVC_HEAD "    encap-source: 198.19.254.0/24\n"
		 "    backends: [{addr: 198.18.0.11, mac: 02:00:00:00:00:11}]\n"
		 "  - {name: empty, vip: 198.18.1.101, port: 81, proto: tcp,\n"
		 "     encap-source: 198.19.254.0/24}\n",
		 &cfg);
	assert_int_equal(config_emit(&cfg, &text), 0);
	assert_string_equal(text, want);
	free(text);
	config_free(&cfg);
	config_init(&cfg);
	assert_int_equal(config_emit(&cfg, &text), 0);
	assert_string_equal(text, "interfaces: []\n"
				  "xdp-mode: native\n"
				  "update-interval: 100ms\n"
				  "stream-table-size: 1048576\n" METRICS_DEFAULTS "services: []\n");
	free(text);
}

struct check_case {
	const char *doc;
	void (*mutate)(struct weir_config *cfg);
	const char *message;
};

static void set_maglev_not_prime(struct weir_config *cfg)
{
	cfg->services[0].steering = WEIR_STEER_MAGLEV;
	cfg->services[0].maglev_size = 65535;
}

static void set_maglev_small(struct weir_config *cfg)
{
	cfg->services[0].maglev_size = 241;
}

static void set_fall_zero(struct weir_config *cfg)
{
	cfg->services[0].health.fall = 0;
}

static void set_rise_zero(struct weir_config *cfg)
{
	cfg->services[0].health.rise = 0;
}

static void set_bad_name(struct weir_config *cfg)
{
	strcpy(cfg->services[0].name, "a b");
}

static void set_weight_high(struct weir_config *cfg)
{
	cfg->services[0].backends[0].weight = 65536;
}

static const struct check_case check_cases[] = {
	{ SVC_HEAD SVC_ITEM, NULL, "service web is defined twice" },
	{ SVC_HEAD "  - {name: web2, vip: 198.18.1.100, port: 80, proto: tcp}\n", NULL,
	  "services web and web2 both use vip 198.18.1.100 port 80 proto tcp" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11}, {addr: 198.18.0.12}, "
		   "{addr: 198.18.0.11, weight: 5}]\n",
	  NULL, "service web: backend 198.18.0.11 is listed twice" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11}, {addr: \"2001:db8::11\"}]\n", NULL,
	  "service web: backend 2001:db8::11: IPv6 backend for an IPv4 VIP" },
	{ SVC_HEAD "    health: {interval: 1s, timeout: 1s}\n", NULL,
	  "service web: health: timeout 1s must be shorter than interval 1s" },
	{ SVC_HEAD "    health: {interval: 1s, timeout: 2s}\n", NULL,
	  "service web: health: timeout 2s must be shorter than interval 1s" },
	{ SVC_HEAD, set_fall_zero, "service web: health: fall and rise must be at least 1" },
	{ SVC_HEAD, set_rise_zero, "service web: health: fall and rise must be at least 1" },
	{ SVC_HEAD, set_maglev_not_prime, "service web: maglev-table-size 65535 is not a prime" },
	{ SVC_HEAD, set_maglev_small,
	  "service web: maglev-table-size 241 is out of range (251-65537)" },
	{ SVC_HEAD "    slow-start: 61m\n", NULL, "service web: slow-start is above 1h" },
	{ SVC_HEAD "    admission: pie\n    delay-target: 2s\n    probe-timeout: 1s\n", NULL,
	  "service web: probe-timeout must be longer than delay-target" },
	{ SVC_HEAD, set_bad_name, "service 'a b': not a valid name (1-31 of A-Z a-z 0-9 _ . -)" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11}]\n", set_weight_high,
	  "service web: backend 198.18.0.11: weight 65536 is out of range (0-65535)" },
	{ "interfaces: [veth0, eth1, veth0]\n", NULL, "interface veth0 is listed twice" },
	/* admission */
	{ SVC_HEAD "    stream-min: 8mbit\n    stream-max: 2mbit\n", NULL,
	  "service web: stream-min 8mbit is above its max 2mbit" },
	{ SVC_HEAD "    capacity-rate: 10mbit\n    stream-min: 20mbit\n", NULL,
	  "service web: stream-min 20mbit is above the capacity-rate 10mbit: no stream could "
	  "ever be admitted" },
	{ SVC_HEAD "    classes: [{name: a, match: \"dscp:1\", min: 3mbit, max: 1mbit}]\n", NULL,
	  "service web: class a: min 3mbit is above its max 1mbit" },
	{ SVC_HEAD "    classes: [{name: a, match: \"dscp:1\", min: 1, max: 1},\n"
		   "              {name: a, match: \"dscp:2\", min: 1, max: 1}]\n",
	  NULL, "service web: class a is defined twice" },
	{ SVC_HEAD "    classes: [{name: a, match: \"2001:db8::/32\", min: 1, max: 1}]\n", NULL,
	  "service web: class a: IPv6 prefix for an IPv4 VIP" },
	{ SVC_HEAD "    pause-after: 2m\n", NULL,
	  "service web: pause-after 2m is out of range (1s-1m)" },
	{ SVC_HEAD "    handshake-timeout: 10s\n", NULL,
	  "service web: handshake-timeout 10s is out of range (1s-8s)" },
	{ SVC_HEAD "    bucket-depth: 2s\n", NULL,
	  "service web: bucket-depth 2s is out of range (1ms-1s)" },
	/* addresses that no host can be */
	{ "services: [{name: m, vip: 224.0.0.5, port: 80, proto: tcp}]\n", NULL,
	  "service m: VIP 224.0.0.5 is not a unicast host address (unspecified, loopback, "
	  "multicast or broadcast)" },
	{ "services: [{name: b, vip: 255.255.255.255, port: 80, proto: tcp}]\n", NULL,
	  "service b: VIP 255.255.255.255 is not a unicast host address (unspecified, loopback, "
	  "multicast or broadcast)" },
	{ "services: [{name: m6, vip: \"ff02::1\", port: 80, proto: tcp}]\n", NULL,
	  "service m6: VIP ff02::1 is not a unicast host address (unspecified, loopback, "
	  "multicast or broadcast)" },
	{ SVC_HEAD "    backends: [{addr: 0.0.0.0}]\n", NULL,
	  "service web: backend 0.0.0.0: not a unicast host address (unspecified, loopback, "
	  "multicast or broadcast)" },
	{ SVC_HEAD "    backends: [{addr: 127.0.0.1}]\n", NULL,
	  "service web: backend 127.0.0.1: not a unicast host address (unspecified, loopback, "
	  "multicast or broadcast)" },
	{ SVC_HEAD "    backends: [{addr: 198.18.1.100}]\n", NULL,
	  "service web: backend 198.18.1.100: is the service's VIP" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11, mac: \"ff:ff:ff:ff:ff:ff\"}]\n", NULL,
	  "service web: backend 198.18.0.11: MAC ff:ff:ff:ff:ff:ff is not a unicast MAC (zero, "
	  "multicast or broadcast)" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11, mac: \"01:00:5e:00:00:01\"}]\n", NULL,
	  "service web: backend 198.18.0.11: MAC 01:00:5e:00:00:01 is not a unicast MAC (zero, "
	  "multicast or broadcast)" },
	{ SVC_HEAD "    backends: [{addr: 198.18.0.11, mac: \"00:00:00:00:00:00\"}]\n", NULL,
	  "service web: backend 198.18.0.11: MAC 00:00:00:00:00:00 is not a unicast MAC (zero, "
	  "multicast or broadcast)" },
};

static void test_check_case(void **state)
{
	const struct check_case *c = *state;
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];

	parse_ok(c->doc, &cfg);
	if (c->mutate)
		c->mutate(&cfg);
	else
		assert_int_equal(config_check(&cfg, NULL, 0), -EINVAL);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, c->message);
	config_free(&cfg);
}

/* The same (vip, port) with another protocol, or another port, is a
 * different service: only the full key must be unique. */
static void test_check_accepts(void **state)
{
	struct weir_config cfg;
	char err[WEIR_ERR_MAX] = "";

	(void)state;
	parse_ok(SVC_HEAD "  - {name: web-udp, vip: 198.18.1.100, port: 80, proto: udp}\n"
			  "  - {name: web-81, vip: 198.18.1.100, port: 81, proto: tcp}\n"
			  "  - {name: web6, vip: \"2001:db8::1\", port: 80, proto: tcp,\n"
			  "     backends: [{addr: \"2001:db8::11\"}]}\n",
		 &cfg);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	config_free(&cfg);
}

/* 4096 backends in all, at most 1024 (a slot table) in one service. */
static void test_check_totals(void **state)
{
	struct weir_backend_config *be = calloc(4097, sizeof(*be));
	struct weir_service_config svc[5];
	struct weir_config cfg;
	char err[WEIR_ERR_MAX];
	size_t i;

	(void)state;
	assert_non_null(be);
	for (i = 0; i < 4097; i++) {
		config_backend_init(&be[i]);
		be[i].addr = addr("198.19.0.0");
		be[i].addr.bytes[2] = (uint8_t)(i >> 8);
		be[i].addr.bytes[3] = (uint8_t)i;
	}
	config_init(&cfg);
	for (i = 0; i < 5; i++) {
		config_service_init(&svc[i], IPPROTO_TCP);
		snprintf(svc[i].name, sizeof(svc[i].name), "s%zu", i);
		svc[i].vip = addr("198.18.1.1");
		svc[i].port = (uint16_t)(i + 1);
		svc[i].backends = be + i * 1024;
		svc[i].n_backends = i < 4 ? 1024 : 0;
	}
	cfg.services = svc;
	cfg.n_services = 5;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	svc[4].n_backends = 1;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "4097 backends in all, at most 4096");
	cfg.n_services = 1;
	svc[0].n_backends = 1025;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "service s0: 1025 backends, at most 1024");
	cfg.n_services = WEIR_MAX_SERVICES + 1;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "257 services, at most 256");
	free(be);
}

static void test_copy(void **state)
{
	struct weir_config src, dst;
	struct weir_service_config svc;

	(void)state;
	parse_ok(full_doc, &src);
	assert_int_equal(config_copy(&dst, &src), 0);
	assert_config_equal(&src, &dst);
	assert_ptr_not_equal(dst.services, src.services);
	assert_ptr_not_equal(dst.services[0].backends, src.services[0].backends);
	assert_ptr_not_equal(dst.services[1].classes, src.services[1].classes);
	src.services[0].backends[0].weight = 99;
	assert_int_equal(dst.services[0].backends[0].weight, 3);
	assert_int_equal(config_service_copy(&svc, &dst.services[1]), 0);
	assert_ptr_not_equal(svc.backends, dst.services[1].backends);
	assert_memory_equal(&svc.backends[0], &dst.services[1].backends[0],
			    sizeof(svc.backends[0]));
	assert_ptr_not_equal(svc.classes, dst.services[1].classes);
	assert_string_equal(svc.classes[0].name, "gold");
	config_service_free(&svc);
	assert_null(svc.backends);
	assert_int_equal(svc.n_backends, 0);
	assert_null(svc.classes);
	assert_int_equal(svc.n_classes, 0);
	config_free(&src);
	config_free(&dst);
	config_init(&src);
	assert_int_equal(config_copy(&dst, &src), 0);
	assert_empty(&dst);
}

/* The socket's way in: the same table as the file, the same messages. */
static void test_service_set(void **state)
{
	struct weir_service_config svc, before;
	char why[WEIR_ERR_MAX];

	(void)state;
	config_service_init(&svc, IPPROTO_TCP);
	assert_int_equal(config_service_set(&svc, "forwarding", "ipip", why, sizeof(why)), 0);
	assert_int_equal(svc.forwarding, WEIR_FWD_IPIP);
	/* 0 turns slow start off, with or without a unit */
	assert_int_equal(config_service_set(&svc, "slow-start", "0s", why, sizeof(why)), 0);
	assert_int_equal(config_service_set(&svc, "slow-start", "0", why, sizeof(why)), 0);
	assert_int_equal(svc.slow_start_ns, 0);
	assert_int_equal(config_service_set(&svc, "capacity-streams", "400", why, sizeof(why)), 0);
	assert_int_equal(svc.capacity_streams, 400);
	/* the overload options and the capacity expressions are services' too */
	assert_int_equal(config_service_set(&svc, "admission", "pie", why, sizeof(why)), 0);
	assert_int_equal(svc.overload.admission, WEIR_ADMISSION_PIE);
	assert_int_equal(config_service_set(&svc, "capacity-limit", "auto", why, sizeof(why)), 0);
	assert_true(svc.overload.capacity_limit_auto);
	before = svc;
	assert_int_equal(config_service_set(&svc, "priority", "9", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "9 is not a priority (0-7)");
	assert_int_equal(config_service_set(&svc, "idle-timeout", "0s", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "0s is too short (must be longer than 0)");
	assert_int_equal(config_service_set(&svc, "delay-target", "0", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "0 is not a duration from 1ms to 10s");
	assert_int_equal(config_service_set(&svc, "scale-out", "(", why, sizeof(why)), -EINVAL);
	assert_memory_equal(why, "column ", 7);
	assert_memory_equal(&svc, &before, sizeof(svc));
	/* the key is the socket's other business */
	assert_int_equal(config_service_set(&svc, "vip", "198.18.1.1", why, sizeof(why)), -ENOENT);
	assert_int_equal(config_service_set(&svc, "paused", "true", why, sizeof(why)), -ENOENT);
	assert_int_equal(config_service_set(&svc, "health", "tcp", why, sizeof(why)), -ENOENT);
	assert_true(config_service_option("steering"));
	assert_true(config_service_option("breaker-window"));
	assert_true(config_service_option("scale-hook"));
	assert_false(config_service_option("name"));
	assert_false(config_service_option("backends"));
	assert_int_equal(config_health_set(&svc.health, "port", "0", why, sizeof(why)), 0);
	assert_int_equal(config_health_set(&svc.health, "port", "65536", why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "65536 is not a port (1-65535, or 0 for the service port)");
}

static void test_names(void **state)
{
	uint8_t v = 77;

	(void)state;
	assert_int_equal(config_parse_steering("weighted", &v), 0);
	assert_int_equal(v, WEIR_STEER_WEIGHTED);
	assert_int_equal(config_parse_steering("maglev", &v), 0);
	assert_int_equal(v, WEIR_STEER_MAGLEV);
	assert_int_equal(config_parse_steering("Weighted", &v), -EINVAL);
	assert_int_equal(v, WEIR_STEER_MAGLEV);
	assert_int_equal(config_parse_forwarding("ipip", &v), 0);
	assert_int_equal(v, WEIR_FWD_IPIP);
	assert_int_equal(config_parse_forwarding("nat", &v), -EINVAL);
	assert_int_equal(config_parse_refuse("reset", &v), 0);
	assert_int_equal(v, WEIR_REFUSE_RESET);
	assert_int_equal(config_parse_refuse("", &v), -EINVAL);
	assert_int_equal(config_parse_xdp_mode("generic", &v), 0);
	assert_int_equal(v, WEIR_XDP_GENERIC);
	assert_int_equal(config_parse_xdp_mode("skb", &v), -EINVAL);
	assert_string_equal(config_steering_name(WEIR_STEER_ROUND_ROBIN), "round-robin");
	assert_string_equal(config_steering_name(3), "?");
	assert_string_equal(config_forwarding_name(WEIR_FWD_DSR), "dsr");
	assert_string_equal(config_forwarding_name(2), "?");
	assert_string_equal(config_refuse_name(WEIR_REFUSE_DROP), "drop");
	assert_string_equal(config_refuse_name(255), "?");
	assert_string_equal(config_xdp_mode_name(WEIR_XDP_NATIVE), "native");
	assert_string_equal(config_xdp_mode_name(2), "?");
}

static void test_check_name(void **state)
{
	(void)state;
	assert_int_equal(config_check_name("web"), 0);
	assert_int_equal(config_check_name("A_z-0.9"), 0);
	assert_int_equal(config_check_name("abcdefghijabcdefghijabcdefghij1"), 0);
	assert_int_equal(config_check_name("abcdefghijabcdefghijabcdefghij12"), -EINVAL);
	assert_int_equal(config_check_name(""), -EINVAL);
	assert_int_equal(config_check_name("a b"), -EINVAL);
	assert_int_equal(config_check_name("a/b"), -EINVAL);
	assert_int_equal(config_check_name("caf\xc3\xa9"), -EINVAL);
}

#define N_ERRORS (sizeof(error_cases) / sizeof(error_cases[0]))
#define N_CHECKS (sizeof(check_cases) / sizeof(check_cases[0]))

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_shipped_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_order),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_round_trip_parsed),
		cmocka_unit_test(test_round_trip_built),
		cmocka_unit_test(test_round_trip_colon_end),
		cmocka_unit_test(test_round_trip_unicode_breaks),
		cmocka_unit_test(test_emit_format),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_totals),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_service_set),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_yaml_syntax_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_admission_document),
		cmocka_unit_test(test_overload_document),
		cmocka_unit_test(test_metrics_document),
		cmocka_unit_test(test_lifecycle_document),
		cmocka_unit_test(test_nesting_depth),
	};
	static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + N_ERRORS + N_CHECKS];
	static char names[N_ERRORS + N_CHECKS][80];
	size_t n = 0, i;

	/* One test per table row, named after the message it expects, so a
	 * failure says which case broke. */
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < N_ERRORS; i++, n++) {
		snprintf(names[i], sizeof(names[i]), "error: %s", error_cases[i].message);
		tests[n] = (struct CMUnitTest){ .name = names[i],
						.test_func = test_error_case,
						.initial_state = (void *)&error_cases[i] };
	}
	for (i = 0; i < N_CHECKS; i++, n++) {
		snprintf(names[N_ERRORS + i], sizeof(names[0]), "check: %s",
			 check_cases[i].message);
		tests[n] = (struct CMUnitTest){ .name = names[N_ERRORS + i],
						.test_func = test_check_case,
						.initial_state = (void *)&check_cases[i] };
	}
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
