// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/core/units.c: every parser's accepted and rejected
 * forms, that a failed parse leaves its output alone, and that every
 * formatter's output parses back to the same value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "weir/abi.h"
#include "core/units.h"

#define SENTINEL64 0xdeadbeefcafef00dULL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct rate_case {
	const char *text;
	uint64_t bits_per_second;
};

struct duration_case {
	const char *text;
	uint64_t ns;
};

/* Rejected strings must fail and leave the sentinel in place. */
static void expect_rate_rejected(const char *text)
{
	uint64_t v = SENTINEL64;

	if (units_parse_rate(text, &v) != -EINVAL)
		fail_msg("rate \"%s\" was accepted", text);
	assert_int_equal(v, SENTINEL64);
}

static void expect_duration_rejected(const char *text)
{
	uint64_t v = SENTINEL64;

	if (units_parse_duration(text, &v) != -EINVAL)
		fail_msg("duration \"%s\" was accepted", text);
	assert_int_equal(v, SENTINEL64);
}

static void test_rate_accepts(void **state)
{
	static const struct rate_case cases[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "1500", 1500 },
		{ "1500bit", 1500 },
		{ "8kbit", 8000 },
		{ "8mbit", 8000000 },
		{ "8MBIT", 8000000 },
		{ "8MBit", 8000000 },
		{ "10gbit", 10000000000ULL },
		{ "2tbit", 2000000000000ULL },
		{ "1.5mbit", 1500000 },
		{ "0.001kbit", 1 },
		{ "1.50000000000000000000000000kbit", 1500 },
		{ "007kbit", 7000 },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615bit", UINT64_MAX },
		{ "18446744.073709551615tbit", UINT64_MAX },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = SENTINEL64;

		if (units_parse_rate(cases[i].text, &v))
			fail_msg("rate \"%s\" was rejected", cases[i].text);
		assert_int_equal(v, cases[i].bits_per_second);
	}
}

static void test_rate_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		" 1mbit",
		"1mbit ",
		"1 mbit",
		"+1mbit",
		"-1mbit",
		"mbit",
		"1mbitx",
		"1mb",
		"1kibit",
		"1mbps",
		"1.5bit", /* not an integral number of bit/s */
		"1.5", /* same, bare number is bit/s */
		"0.0001kbit", /* 0.1 bit/s */
		"1.", /* no digits after the point */
		".5mbit", /* no digits before the point */
		"1..5mbit",
		"1,5mbit",
		"0x10",
		"1e3",
		"99999999999999tbit", /* overflow in the multiplication */
		"18446744073709551616", /* overflow in the digits */
		"18446744.073709551616tbit", /* overflow in the addition */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_rate_rejected(bad[i]);
	assert_int_equal(units_parse_rate(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_rate_format(void **state)
{
	static const struct rate_case cases[] = {
		{ "0bit", 0 },
		{ "1bit", 1 },
		{ "1500bit", 1500 },
		{ "1kbit", 1000 },
		{ "8mbit", 8000000 },
		{ "1500kbit", 1500000 },
		{ "10gbit", 10000000000ULL },
		{ "3tbit", 3000000000000ULL },
		{ "1000tbit", 1000000000000000ULL },
		{ "18446744073709551615bit", UINT64_MAX },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t back;

		assert_string_equal(units_format_rate(cases[i].bits_per_second, buf, sizeof(buf)),
				    cases[i].text);
		assert_int_equal(units_parse_rate(buf, &back), 0);
		assert_int_equal(back, cases[i].bits_per_second);
	}
}

static void test_duration_accepts(void **state)
{
	static const struct duration_case cases[] = {
		{ "0", 0 }, /* zero needs no unit */
		{ "0s", 0 },
		{ "0ms", 0 },
		{ "1ms", 1000000 },
		{ "100ms", 100000000 },
		{ "100MS", 100000000 },
		{ "1s", 1000000000 },
		{ "1.5s", 1500000000 },
		{ "0.000001s", 1000 },
		{ "0.5ms", 500000 },
		{ "0.000001ms", 1 },
		{ "2m", 120000000000ULL },
		{ "0.25m", 15000000000ULL },
		{ "1.5m", 90000000000ULL },
		{ "18446744073709.551615ms", UINT64_MAX },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = SENTINEL64;

		if (units_parse_duration(cases[i].text, &v))
			fail_msg("duration \"%s\" was rejected", cases[i].text);
		assert_int_equal(v, cases[i].ns);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"100", /* a unit is required */
		"1",
		"0.0",
		"00",
		"1.5",
		"s",
		" 1s",
		"1s ",
		"+1s",
		"-1s",
		"1sec",
		"1h",
		"1us",
		"1ns",
		"1 ms",
		"1.s",
		".5s",
		"0.0000001ms", /* 0.1 ns */
		"99999999999m",
		"18446744073709551616ms",
		"18446744073709.551616ms",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_duration_rejected(bad[i]);
	assert_int_equal(units_parse_duration(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_duration_format(void **state)
{
	static const struct duration_case cases[] = {
		{ "0", 0 },
		{ "100ms", 100000000 },
		{ "1500ms", 1500000000 },
		{ "1s", 1000000000 },
		{ "90s", 90000000000ULL },
		{ "2m", 120000000000ULL },
		{ "61s", 61000000000ULL },
		{ "0.5ms", 500000 },
		{ "0.000001ms", 1 },
		{ "1.25ms", 1250000 },
		{ "18446744073709.551615ms", UINT64_MAX },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t back;

		assert_string_equal(units_format_duration(cases[i].ns, buf, sizeof(buf)),
				    cases[i].text);
		assert_int_equal(units_parse_duration(buf, &back), 0);
		assert_int_equal(back, cases[i].ns);
	}
}

static void test_format_truncates(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(units_format_rate(8000000, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "8mb");
	assert_string_equal(units_format_duration(100000000, buf, sizeof(buf)), "100");
	assert_string_equal(
		units_format_mac((const uint8_t[6]){ 2, 0, 0, 0, 0, 0x11 }, buf, sizeof(buf)),
		"02:");
}

static void test_u32(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(units_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(units_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(units_parse_u32("10", 10, 10, &v), 0);
	assert_int_equal(v, 10);

	v = 7;
	assert_int_equal(units_parse_u32("4294967296", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(units_parse_u32("99999999999999999999999", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(units_parse_u32("9", 10, 20, &v), -EINVAL);
	assert_int_equal(units_parse_u32("21", 10, 20, &v), -EINVAL);
	assert_int_equal(units_parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("1.0", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32("0x1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_u32(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(v, 7);
}

struct fixed_case {
	const char *text;
	uint32_t value;
};

typedef int (*fixed_parser)(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);

/* Each good text parses to its value over the full range; each bad one
 * fails and leaves the output alone. */
static void expect_fixed(fixed_parser parse, const struct fixed_case *good, size_t n_good,
			 const char *const *bad, size_t n_bad)
{
	uint32_t v;
	size_t i;

	for (i = 0; i < n_good; i++) {
		v = 7;
		if (parse(good[i].text, 0, UINT32_MAX, &v))
			fail_msg("\"%s\" was rejected", good[i].text);
		assert_int_equal(v, good[i].value);
	}
	for (i = 0; i < n_bad; i++) {
		v = 7;
		if (parse(bad[i], 0, UINT32_MAX, &v) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(v, 7);
	}
	assert_int_equal(parse(NULL, 0, UINT32_MAX, &v), -EINVAL);
}

/* Percentages in permille: a tenth of a percent at most, exactly. */
static void test_permille(void **state)
{
	static const struct fixed_case good[] = {
		{ "0%", 0 },	   { "10%", 100 }, { "12.5%", 125 },
		{ "12.50%", 125 }, { "0.1%", 1 },  { "100%", 1000 },
	};
	static const char *const bad[] = {
		"",	 "10",	 "%",	"12.55%", "-1%",  "+1%",  "1e1%",
		"0x10%", "10.%", ".5%", " 10%",	  "10 %", "10%%",
	};
	uint32_t v = 7;
	char buf[16];

	(void)state;
	expect_fixed(units_parse_permille, good, ARRAY_SIZE(good), bad, ARRAY_SIZE(bad));
	assert_int_equal(units_parse_permille("0.5%", 10, 1000, &v), -EINVAL);
	assert_int_equal(units_parse_permille("50.1%", 10, 500, &v), -EINVAL);
	assert_int_equal(units_parse_permille("50%", 10, 500, &v), 0);
	assert_int_equal(v, 500);
	assert_string_equal(units_format_permille(0, buf, sizeof(buf)), "0%");
	assert_string_equal(units_format_permille(125, buf, sizeof(buf)), "12.5%");
	assert_string_equal(units_format_permille(1000, buf, sizeof(buf)), "100%");
	assert_string_equal(units_format_permille(UINT32_MAX, buf, sizeof(buf)), "429496729.5%");
}

/* Fractions in parts per million: six decimals at most, exactly. */
static void test_ppm(void **state)
{
	static const struct fixed_case good[] = {
		{ "0", 0 },	   { "1", 1000000 },	    { "0.125", 125000 },
		{ "0.000001", 1 }, { "1.000000", 1000000 }, { "4294.967295", UINT32_MAX },
	};
	static const char *const bad[] = {
		"",   "0.0000001", "0.0000015", "1e-1", "-0.5",
		"1.", ".5",	   "0.5%",	" 1",	"4294.967296",
	};
	uint32_t v = 7;
	char buf[24];

	(void)state;
	expect_fixed(units_parse_ppm, good, ARRAY_SIZE(good), bad, ARRAY_SIZE(bad));
	assert_int_equal(units_parse_ppm("1.5", 1, 1000000, &v), -EINVAL);
	assert_int_equal(units_parse_ppm("0", 1, 1000000, &v), -EINVAL);
	assert_int_equal(units_parse_ppm("1", 1, 1000000, &v), 0);
	assert_int_equal(v, 1000000);
	assert_string_equal(units_format_ppm(1, buf, sizeof(buf)), "0.000001");
	assert_string_equal(units_format_ppm(500000, buf, sizeof(buf)), "0.5");
	assert_string_equal(units_format_ppm(1000000, buf, sizeof(buf)), "1");
	assert_string_equal(units_format_ppm(UINT32_MAX, buf, sizeof(buf)), "4294.967295");
}

static void test_port(void **state)
{
	uint16_t port = 4242;

	(void)state;
	assert_int_equal(units_parse_port("1", &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(units_parse_port("80", &port), 0);
	assert_int_equal(port, 80);
	assert_int_equal(units_parse_port("65535", &port), 0);
	assert_int_equal(port, 65535);

	port = 4242;
	assert_int_equal(units_parse_port("0", &port), -EINVAL);
	assert_int_equal(units_parse_port("65536", &port), -EINVAL);
	assert_int_equal(units_parse_port("131152", &port), -EINVAL); /* 80 + 2^17 */
	assert_int_equal(units_parse_port("", &port), -EINVAL);
	assert_int_equal(units_parse_port(" 80", &port), -EINVAL);
	assert_int_equal(units_parse_port("80 ", &port), -EINVAL);
	assert_int_equal(units_parse_port("+80", &port), -EINVAL);
	assert_int_equal(units_parse_port("-1", &port), -EINVAL);
	assert_int_equal(units_parse_port("80/tcp", &port), -EINVAL);
	assert_int_equal(units_parse_port("0x50", &port), -EINVAL);
	assert_int_equal(units_parse_port("http", &port), -EINVAL);
	assert_int_equal(port, 4242);
}

static void test_proto(void **state)
{
	uint8_t proto = 0;

	(void)state;
	assert_int_equal(units_parse_proto("tcp", &proto), 0);
	assert_int_equal(proto, IPPROTO_TCP);
	assert_int_equal(units_parse_proto("udp", &proto), 0);
	assert_int_equal(proto, IPPROTO_UDP);

	proto = 99;
	assert_int_equal(units_parse_proto("", &proto), -EINVAL);
	assert_int_equal(units_parse_proto("tcp ", &proto), -EINVAL);
	assert_int_equal(units_parse_proto("sctp", &proto), -EINVAL);
	assert_int_equal(units_parse_proto("6", &proto), -EINVAL);
	assert_int_equal(units_parse_proto(NULL, &proto), -EINVAL);
	assert_int_equal(proto, 99);

	assert_string_equal(units_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(units_proto_name(IPPROTO_UDP), "udp");
	assert_non_null(units_proto_name(IPPROTO_ICMP));
	assert_string_not_equal(units_proto_name(IPPROTO_ICMP), "tcp");
	assert_string_not_equal(units_proto_name(IPPROTO_ICMP), "udp");
}

static void test_mac(void **state)
{
	static const uint8_t expect[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x11 };
	static const uint8_t mixed[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const char *const bad[] = {
		"",
		"02:00:00:00:00",
		"02:00:00:00:00:11:22",
		"zz:00:00:00:00:11",
		"02:00:00:00:00:1g",
		"02-00-00-00-00-11",
		"02:00:00:00:00:11 ",
		" 02:00:00:00:00:11",
		"2:0:0:0:0:11",
		"020000000011",
		"02:00:00:00:00:+1",
		"02:00:00:00:00::1",
	};
	uint8_t mac[6];
	char buf[WEIR_MAC_STRLEN];
	size_t i;

	(void)state;
	assert_int_equal(units_parse_mac("02:00:00:00:00:11", mac), 0);
	assert_memory_equal(mac, expect, 6);
	assert_int_equal(units_parse_mac("AA:bb:Cc:DD:ee:FF", mac), 0);
	assert_memory_equal(mac, mixed, 6);
	assert_string_equal(units_format_mac(mixed, buf, sizeof(buf)), "aa:bb:cc:dd:ee:ff");
	assert_string_equal(units_format_mac(expect, buf, sizeof(buf)), "02:00:00:00:00:11");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(mac, 0x5a, sizeof(mac));
		if (units_parse_mac(bad[i], mac) != -EINVAL)
			fail_msg("MAC \"%s\" was accepted", bad[i]);
		assert_memory_equal(mac, "\x5a\x5a\x5a\x5a\x5a\x5a", 6);
	}
	assert_int_equal(units_parse_mac(NULL, mac), -EINVAL);
}

static void test_addr_ipv4(void **state)
{
	static const uint8_t expect[16] = { 198, 18, 0, 11 };
	struct weir_addr a;
	char buf[WEIR_ADDR_STRLEN];

	(void)state;
	/* Fill with garbage: bytes 4..15 must come back zero. */
	memset(&a, 0xff, sizeof(a));
	assert_int_equal(units_parse_addr("198.18.0.11", &a), 0);
	assert_int_equal(a.family, WEIR_AF_INET);
	assert_memory_equal(a.bytes, expect, sizeof(expect));
	assert_string_equal(units_format_addr(&a, buf, sizeof(buf)), "198.18.0.11");
}

static void test_addr_ipv6(void **state)
{
	static const uint8_t expect[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 11 };
	struct weir_addr a;
	char buf[WEIR_ADDR_STRLEN];

	(void)state;
	assert_int_equal(units_parse_addr("2001:db8::1", &a), 0);
	assert_int_equal(a.family, WEIR_AF_INET6);
	assert_memory_equal(a.bytes, expect, 16);
	assert_string_equal(units_format_addr(&a, buf, sizeof(buf)), "2001:db8::1");

	assert_int_equal(units_parse_addr("2001:DB8:0:0:0:0:0:1", &a), 0);
	assert_string_equal(units_format_addr(&a, buf, sizeof(buf)), "2001:db8::1");

	/* IPv4-mapped stays an IPv6 address: it is what the packet carries. */
	assert_int_equal(units_parse_addr("::ffff:198.18.0.11", &a), 0);
	assert_int_equal(a.family, WEIR_AF_INET6);
	assert_memory_equal(a.bytes, mapped, 16);
}

static void test_addr_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		" 198.18.0.11",
		"198.18.0.11 ",
		"198.18.0",
		"198.18.0.256",
		"198.18.0.11.1",
		"198.18.0.11/32",
		"198.18.0.11:80",
		"2001:db8::1::2",
		"2001:db8::g",
		"[2001:db8::1]",
		"localhost",
	};
	struct weir_addr a, before;
	size_t i;

	(void)state;
	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		a = before;
		if (units_parse_addr(bad[i], &a) != -EINVAL)
			fail_msg("address \"%s\" was accepted", bad[i]);
		assert_memory_equal(&a, &before, sizeof(a));
	}
	assert_int_equal(units_parse_addr(NULL, &a), -EINVAL);
}

static void test_addr_equal(void **state)
{
	struct weir_addr a, b, mapped;

	(void)state;
	assert_int_equal(units_parse_addr("198.18.0.11", &a), 0);
	assert_int_equal(units_parse_addr("198.18.0.11", &b), 0);
	assert_true(units_addr_equal(&a, &b));

	assert_int_equal(units_parse_addr("198.18.0.12", &b), 0);
	assert_false(units_addr_equal(&a, &b));

	/* Same 16 bytes, different family. */
	b = a;
	b.family = WEIR_AF_INET6;
	assert_false(units_addr_equal(&a, &b));

	/* The mapped form is a different key in the data plane. */
	assert_int_equal(units_parse_addr("::ffff:198.18.0.11", &mapped), 0);
	assert_false(units_addr_equal(&a, &mapped));

	assert_int_equal(units_parse_addr("2001:db8::1", &a), 0);
	assert_int_equal(units_parse_addr("2001:db8::2", &b), 0);
	assert_false(units_addr_equal(&a, &b));
	assert_int_equal(units_parse_addr("2001:db8:0::1", &b), 0);
	assert_true(units_addr_equal(&a, &b));
}

static void test_addr_format_edges(void **state)
{
	struct weir_addr a;
	char small[8];
	char buf[WEIR_ADDR_STRLEN];

	(void)state;
	assert_int_equal(units_parse_addr("198.18.0.11", &a), 0);
	memset(small, 'x', sizeof(small));
	assert_ptr_equal(units_format_addr(&a, small, sizeof(small)), small);
	assert_string_equal(small, "198.18.");

	/* The longest IPv6 text fits WEIR_ADDR_STRLEN. */
	assert_int_equal(units_parse_addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0);
	units_format_addr(&a, buf, sizeof(buf));
	assert_int_equal(units_parse_addr(buf, &a), 0);
	assert_int_equal(a.bytes[15], 255);

	/* An unknown family must not print as an address. */
	memset(&a, 0, sizeof(a));
	a.family = 7;
	units_format_addr(&a, buf, sizeof(buf));
	assert_int_equal(units_parse_addr(buf, &a), -EINVAL);
}

static void endpoint_ok(const char *text, const char *addr, uint16_t port)
{
	struct weir_addr a, want;
	uint16_t p = 99;

	assert_int_equal(units_parse_endpoint(text, &a, &p), 0);
	assert_int_equal(units_parse_addr(addr, &want), 0);
	assert_true(units_addr_equal(&a, &want));
	assert_int_equal(p, port);
}

static void test_endpoints(void **state)
{
	static const char *const bad[] = { "",
					   "198.18.0.2:",
					   "198.18.0.2:0",
					   "198.18.0.2:70000",
					   "[2001:db8::2]:",
					   "[2001:db8::2",
					   "[198.18.0.2]x",
					   "host:80",
					   "2001:db8::2:99999" };
	struct weir_addr a;
	uint16_t p;
	size_t i;

	(void)state;
	endpoint_ok("198.18.0.2", "198.18.0.2", 0);
	endpoint_ok("198.18.0.2:5000", "198.18.0.2", 5000);
	endpoint_ok("2001:db8::2", "2001:db8::2", 0);
	endpoint_ok("[2001:db8::2]:443", "2001:db8::2", 443);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!units_parse_endpoint(bad[i], &a, &p))
			fail_msg("'%s' was accepted", bad[i]);
	endpoint_ok("[2001:db8::2]", "2001:db8::2", 0);
}

static int unicast(const char *text)
{
	struct weir_addr a;

	assert_int_equal(units_parse_addr(text, &a), 0);
	return units_addr_is_unicast(&a);
}

static void test_unicast(void **state)
{
	static const uint8_t ok[6] = { 2, 0, 0, 0, 0, 1 }, group[6] = { 1, 0, 0x5e, 0, 0, 1 },
			     zero[6];

	(void)state;
	assert_true(unicast("198.18.0.1"));
	assert_true(unicast("2001:db8::1"));
	assert_false(unicast("0.0.0.0"));
	assert_false(unicast("127.0.0.1"));
	assert_false(unicast("224.0.0.1"));
	assert_false(unicast("255.255.255.255"));
	assert_false(unicast("::"));
	assert_false(unicast("::1"));
	assert_false(unicast("ff02::1"));
	assert_false(unicast("::ffff:127.0.0.1"));
	assert_true(unicast("::ffff:198.18.0.1"));
	assert_true(units_mac_is_unicast(ok));
	assert_false(units_mac_is_unicast(group));
	assert_false(units_mac_is_unicast(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_accepts),
		cmocka_unit_test(test_rate_rejects),
		cmocka_unit_test(test_rate_format),
		cmocka_unit_test(test_duration_accepts),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_format_truncates),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_permille),
		cmocka_unit_test(test_ppm),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_addr_ipv4),
		cmocka_unit_test(test_addr_ipv6),
		cmocka_unit_test(test_addr_rejects),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_addr_format_edges),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_unicast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
