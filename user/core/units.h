/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsing and printing of the values operators type: addresses, ports,
 * protocols, MACs, RATE and DUR. Pure: no I/O, no allocation. Every parser
 * returns 0 or -EINVAL and never writes its output on failure. */
#ifndef WEIR_UNITS_H
#define WEIR_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address in the ABI's layout: IPv4 in the first 4 bytes,
 * the rest zero. family is WEIR_AF_INET or WEIR_AF_INET6. */
struct weir_addr {
	uint8_t bytes[16];
	uint8_t family;
};

#define WEIR_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define WEIR_MAC_STRLEN 18

int units_parse_addr(const char *s, struct weir_addr *out);
/* Writes at most len bytes, always NUL-terminated; returns buf. */
const char *units_format_addr(const struct weir_addr *a, char *buf, size_t len);
int units_addr_equal(const struct weir_addr *a, const struct weir_addr *b);
/* ADDR[:PORT], an IPv6 address with a port in brackets; port 0 when none. */
int units_parse_endpoint(const char *s, struct weir_addr *addr, uint16_t *port);
/* ADDR:PORT, [ADDR]:PORT for IPv6; what units_parse_endpoint() reads. */
const char *units_format_endpoint(const struct weir_addr *a, uint16_t port, char *buf, size_t len);

/* 1-65535, decimal only. */
int units_parse_port(const char *s, uint16_t *out);
/* "tcp" or "udp" -> IPPROTO_TCP / IPPROTO_UDP. */
int units_parse_proto(const char *s, uint8_t *out);
const char *units_proto_name(uint8_t proto);

/* "02:00:00:00:00:11" (also upper case). */
int units_parse_mac(const char *s, uint8_t out[6]);
const char *units_format_mac(const uint8_t mac[6], char *buf, size_t len);
/* Neither all zeros nor a group (multicast or broadcast) address. */
int units_mac_is_unicast(const uint8_t mac[6]);
/* An address a host can be: not unspecified, loopback, multicast, link-
 * local broadcast (255.255.255.255) or IPv4 class E. */
int units_addr_is_unicast(const struct weir_addr *a);

/* "true" or "false", only the two words the dump writes: YAML 1.1's
 * yes/no/on/off surprise people ("NO" the country code) more than they
 * help. */
int units_parse_bool(const char *s, bool *out);

/* Unsigned decimal within [min, max]; no sign, no trailing garbage. */
int units_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* RATE in bit/s: a number with an optional suffix bit, kbit, mbit, gbit,
 * tbit (decimal, 1000-based; case-insensitive); a bare number is bit/s.
 * Fractions allowed ("1.5mbit"); overflow and 0-suffix garbage rejected. */
int units_parse_rate(const char *s, uint64_t *bits_per_second);
/* Shortest exact form: 8000000 -> "8mbit", 1500 -> "1500bit". */
const char *units_format_rate(uint64_t bits_per_second, char *buf, size_t len);

/* DUR in nanoseconds: a number with a required suffix ms, s or m; or a
 * bare 0. */
int units_parse_duration(const char *s, uint64_t *ns);
/* Shortest exact form: "100ms", "1s", "2m"; "0". */
const char *units_format_duration(uint64_t ns, char *buf, size_t len);

/* A percentage with at most one decimal ("10%", "12.5%") in permille,
 * within [lo, hi] permille. */
int units_parse_permille(const char *s, uint32_t lo, uint32_t hi, uint32_t *permille);
/* Shortest exact form: 100 -> "10%", 125 -> "12.5%". */
const char *units_format_permille(uint32_t permille, char *buf, size_t len);

/* A plain decimal with at most six decimals ("1", "0.125") in parts per
 * million, within [lo, hi] ppm. */
int units_parse_ppm(const char *s, uint32_t lo, uint32_t hi, uint32_t *ppm);
/* Shortest exact form: 1000000 -> "1", 500000 -> "0.5". */
const char *units_format_ppm(uint32_t ppm, char *buf, size_t len);

#endif
