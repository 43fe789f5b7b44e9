// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: every parser of user/core/units.h, and the class rules'
 * config_parse_match(), on the input (up to its
 * first NUL byte). A parser that refuses must leave its output as it was;
 * a value that parses is formatted and the text parsed back, which must
 * give the same value (what `weir config dump` prints must load back).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/abi.h"
#include "core/config.h"
#include "core/units.h"

#define TEXT_MAX 256
#define FILL 0xa5

static const char *input;

static void fail(const char *what, const char *formatted)
{
	fprintf(stderr, "fuzz_units: '%s': %s%s%s\n", input, what, formatted ? ": " : "",
		formatted ? formatted : "");
	abort();
}

static bool untouched(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != FILL)
			return false;
	return true;
}

static bool same_addr(const struct weir_addr *a, const struct weir_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static void check_addr(const char *s)
{
	struct weir_addr a, b;
	char text[WEIR_ADDR_STRLEN];

	memset(&a, FILL, sizeof(a));
	if (units_parse_addr(s, &a)) {
		if (!untouched(&a, sizeof(a)))
			fail("addr: refused but written", NULL);
		return;
	}
	units_format_addr(&a, text, sizeof(text));
	if (units_parse_addr(text, &b) || !same_addr(&a, &b) || !units_addr_equal(&a, &b))
		fail("addr: the formatted address parses to another", text);
}

static void check_endpoint(const char *s)
{
	struct weir_addr a, b;
	uint16_t port = 0x5a5a, port2;
	char text[WEIR_ADDR_STRLEN + 8];

	memset(&a, FILL, sizeof(a));
	if (units_parse_endpoint(s, &a, &port)) {
		if (!untouched(&a, sizeof(a)) || port != 0x5a5a)
			fail("endpoint: refused but written", NULL);
		return;
	}
	/* the formatter the dump and statsd use */
	if (port)
		units_format_endpoint(&a, port, text, sizeof(text));
	else
		units_format_addr(&a, text, sizeof(text));
	if (units_parse_endpoint(text, &b, &port2) || !same_addr(&a, &b) || port != port2)
		fail("endpoint: the formatted endpoint parses to another", text);
}

static void check_port(const char *s)
{
	uint16_t v = 0x5a5a, w;
	char text[16];

	if (units_parse_port(s, &v)) {
		if (v != 0x5a5a)
			fail("port: refused but written", NULL);
		return;
	}
	snprintf(text, sizeof(text), "%u", v);
	if (!v || units_parse_port(text, &w) || v != w)
		fail("port: the formatted port parses to another", text);
}

static void check_proto(const char *s)
{
	uint8_t v = 0x5a, w;
	const char *text;

	if (units_parse_proto(s, &v)) {
		if (v != 0x5a)
			fail("proto: refused but written", NULL);
		return;
	}
	text = units_proto_name(v);
	if (units_parse_proto(text, &w) || v != w)
		fail("proto: the name parses to another", text);
}

static void check_mac(const char *s)
{
	uint8_t mac[6], again[6];
	char text[WEIR_MAC_STRLEN], text2[WEIR_MAC_STRLEN];

	memset(mac, FILL, sizeof(mac));
	if (units_parse_mac(s, mac)) {
		if (!untouched(mac, sizeof(mac)))
			fail("mac: refused but written", NULL);
		return;
	}
	units_format_mac(mac, text, sizeof(text));
	if (units_parse_mac(text, again) || memcmp(mac, again, sizeof(mac)))
		fail("mac: the formatted MAC parses to another", text);
	units_format_mac(again, text2, sizeof(text2));
	if (strcmp(text, text2))
		fail("mac: formats differently the second time", text2);
}

static void check_u32(const char *s)
{
	static const uint32_t ranges[][2] = { { 0, UINT32_MAX }, { 1, 65535 }, { 5, 1000 } };
	uint32_t all = 0x5a5a5a5a;
	int all_ret = units_parse_u32(s, 0, UINT32_MAX, &all);
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint32_t v = 0x5a5a5a5a, w;
		char text[16];

		if (units_parse_u32(s, ranges[i][0], ranges[i][1], &v)) {
			if (v != 0x5a5a5a5a)
				fail("u32: refused but written", NULL);
			continue;
		}
		/* in range, and the same number the full range reads */
		if (v < ranges[i][0] || v > ranges[i][1] || all_ret || v != all)
			fail("u32: a value outside its range", NULL);
		snprintf(text, sizeof(text), "%u", v);
		if (units_parse_u32(text, ranges[i][0], ranges[i][1], &w) || v != w)
			fail("u32: the formatted number parses to another", text);
	}
}

static void check_rate(const char *s)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL, w;
	char text[32];

	if (units_parse_rate(s, &v)) {
		if (v != 0x5a5a5a5a5a5a5a5aULL)
			fail("rate: refused but written", NULL);
		return;
	}
	units_format_rate(v, text, sizeof(text));
	if (units_parse_rate(text, &w) || v != w)
		fail("rate: the formatted rate parses to another", text);
	/* a bare number is bit/s */
	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	if (units_parse_rate(text, &w) || v != w)
		fail("rate: the bare number parses to another", text);
}

static void check_duration(const char *s)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL, w;
	char text[48];

	if (units_parse_duration(s, &v)) {
		if (v != 0x5a5a5a5a5a5a5a5aULL)
			fail("duration: refused but written", NULL);
		return;
	}
	units_format_duration(v, text, sizeof(text));
	if (units_parse_duration(text, &w) || v != w)
		fail("duration: the formatted duration parses to another", text);
}

static bool same_match(const struct weir_match *a, const struct weir_match *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == WEIR_RULE_PORTS)
		return a->port_lo == b->port_lo && a->port_hi == b->port_hi;
	if (a->kind == WEIR_RULE_DSCP)
		return a->dscp == b->dscp;
	return a->prefix_len == b->prefix_len && same_addr(&a->addr, &b->addr);
}

static void check_match(const char *s)
{
	struct weir_match m, again;
	char text[64];

	memset(&m, FILL, sizeof(m));
	if (config_parse_match(s, &m)) {
		if (!untouched(&m, sizeof(m)))
			fail("match: refused but written", NULL);
		return;
	}
	config_format_match(&m, text, sizeof(text));
	if (config_parse_match(text, &again) || !same_match(&m, &again))
		fail("match: the formatted rule parses to another", text);
}

/* As the dump writes priority-reserve and breaker-failures. */
static void check_percent(const char *s)
{
	uint32_t v = 0x5a5a5a5a, w;
	char text[24];

	if (units_parse_permille(s, 0, 1000, &v)) {
		if (v != 0x5a5a5a5a)
			fail("percent: refused but written", NULL);
		return;
	}
	if (v > 1000)
		fail("percent: above 100%", NULL);
	units_format_permille(v, text, sizeof(text));
	if (units_parse_permille(text, 0, 1000, &w) || v != w)
		fail("percent: the formatted percentage parses to another", text);
}

/* As the dump writes statsd-sample-rate. */
static void check_ppm(const char *s)
{
	uint32_t v = 0x5a5a5a5a, w;
	char text[24];

	if (units_parse_ppm(s, 0, UINT32_MAX, &v)) {
		if (v != 0x5a5a5a5a)
			fail("ppm: refused but written", NULL);
		return;
	}
	units_format_ppm(v, text, sizeof(text));
	if (units_parse_ppm(text, 0, UINT32_MAX, &w) || v != w)
		fail("ppm: the formatted fraction parses to another", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[TEXT_MAX + 1];

	if (size > TEXT_MAX)
		size = TEXT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	input = text;
	check_addr(text);
	check_endpoint(text);
	check_port(text);
	check_proto(text);
	check_mac(text);
	check_u32(text);
	check_rate(text);
	check_duration(text);
	check_match(text);
	check_percent(text);
	check_ppm(text);
	return 0;
}
