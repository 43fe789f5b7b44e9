// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsing and printing of operator-typed values. Every parser works on a
 * scratch value and stores it only once the whole string has been accepted,
 * so a failed parse never changes the caller's output. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "weir/abi.h"
#include "core/units.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define NS_PER_MIN (60 * NS_PER_S)

/* 10^19 is the largest power of ten in a uint64_t. */
#define MAX_FRACTION_DIGITS 19

struct unit {
	const char *suffix;
	uint64_t scale;
};

/* Largest first: the formatters pick the first unit that divides exactly. */
static const struct unit rate_units[] = {
	{ "tbit", 1000000000000ULL },
	{ "gbit", 1000000000ULL },
	{ "mbit", 1000000ULL },
	{ "kbit", 1000ULL },
	{ "bit", 1ULL },
	{ "", 1ULL }, /* a bare number is bit/s */
	{ NULL, 0 },
};

static const struct unit duration_units[] = {
	{ "m", NS_PER_MIN },
	{ "s", NS_PER_S },
	{ "ms", NS_PER_MS },
	{ NULL, 0 },
};

static const struct unit percent_units[] = {
	{ "%", 10 }, /* in permille */
	{ NULL, 0 },
};

static const struct unit fraction_units[] = {
	{ "", 1000000 }, /* in parts per million */
	{ NULL, 0 },
};

/* A decimal number as typed: digits, optionally "." and more digits. */
struct decimal {
	uint64_t whole;
	uint64_t fraction; /* fraction / 10^digits, trailing zeros dropped */
	unsigned int digits;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads a run of at least one digit; fails on overflow. */
static int parse_digits(const char **pos, uint64_t *out)
{
	const char *p = *pos;
	uint64_t v = 0;

	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		unsigned int d = *p - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*pos = p;
	*out = v;
	return 0;
}

static int parse_fraction(const char **pos, struct decimal *dec)
{
	const char *p = *pos;
	const char *end;

	if (!is_digit(*p))
		return -EINVAL; /* "1." is a typo, not 1 */
	for (end = p; is_digit(*end); end++)
		;
	*pos = end;
	/* Trailing zeros carry no value; dropping them keeps "1.50000..."
	 * within range. */
	while (end > p && end[-1] == '0')
		end--;
	dec->fraction = 0;
	dec->digits = 0;
	for (; p < end; p++) {
		/* More significant digits than 10^19 holds can never give an
		 * integral result with our scales. */
		if (++dec->digits > MAX_FRACTION_DIGITS)
			return -EINVAL;
		dec->fraction = dec->fraction * 10 + (unsigned int)(*p - '0');
	}
	return 0;
}

static int parse_decimal(const char **pos, struct decimal *dec)
{
	const char *p = *pos;

	if (parse_digits(&p, &dec->whole))
		return -EINVAL;
	dec->fraction = 0;
	dec->digits = 0;
	if (*p == '.') {
		p++;
		if (parse_fraction(&p, dec))
			return -EINVAL;
	}
	*pos = p;
	return 0;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static uint64_t pow10u(unsigned int n)
{
	uint64_t v = 1;

	while (n--)
		v *= 10;
	return v;
}

/* dec * scale, which must be an integer that fits in 64 bits. */
static int scale_decimal(const struct decimal *dec, uint64_t scale, uint64_t *out)
{
	uint64_t whole, part = 0;

	if (dec->whole && scale > UINT64_MAX / dec->whole)
		return -EINVAL;
	whole = dec->whole * scale;
	if (dec->fraction) {
		/* fraction * scale / 10^digits without overflowing: cancel the
		 * common factor first, then the rest must divide exactly. */
		uint64_t den = pow10u(dec->digits);
		uint64_t g = gcd64(scale, den);

		den /= g;
		if (dec->fraction % den)
			return -EINVAL;
		part = dec->fraction / den;
		if (part > UINT64_MAX / (scale / g))
			return -EINVAL;
		part *= scale / g;
	}
	if (whole > UINT64_MAX - part)
		return -EINVAL;
	*out = whole + part;
	return 0;
}

static const struct unit *find_unit(const struct unit *units, const char *suffix)
{
	for (; units->suffix; units++)
		if (!strcasecmp(units->suffix, suffix))
			return units;
	return NULL;
}

static int parse_with_unit(const char *s, const struct unit *units, uint64_t *out)
{
	const struct unit *unit;
	struct decimal dec;
	uint64_t v;

	if (!s || !out || parse_decimal(&s, &dec))
		return -EINVAL;
	unit = find_unit(units, s);
	if (!unit || scale_decimal(&dec, unit->scale, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

int units_parse_rate(const char *s, uint64_t *bits_per_second)
{
	return parse_with_unit(s, rate_units, bits_per_second);
}

int units_parse_duration(const char *s, uint64_t *ns)
{
	/* Zero is zero in every unit, so it alone needs none ("pie-burst: 0"). */
	if (s && ns && !strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	return parse_with_unit(s, duration_units, ns);
}

static int parse_in(const char *s, const struct unit *units, uint32_t lo, uint32_t hi,
		    uint32_t *out)
{
	uint64_t v;

	if (!out || parse_with_unit(s, units, &v) || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int units_parse_permille(const char *s, uint32_t lo, uint32_t hi, uint32_t *permille)
{
	return parse_in(s, percent_units, lo, hi, permille);
}

int units_parse_ppm(const char *s, uint32_t lo, uint32_t hi, uint32_t *ppm)
{
	return parse_in(s, fraction_units, lo, hi, ppm);
}

/* v / 10^digits as the shortest exact decimal, then the suffix. */
static const char *format_decimal(uint64_t v, unsigned int digits, const char *suffix, char *buf,
				  size_t len)
{
	uint64_t den = pow10u(digits), frac = v % den;

	for (; frac && frac % 10 == 0; frac /= 10)
		digits--;
	if (frac)
		snprintf(buf, len, "%llu.%0*llu%s", (unsigned long long)(v / den), (int)digits,
			 (unsigned long long)frac, suffix);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)(v / den), suffix);
	return buf;
}

const char *units_format_rate(uint64_t bits_per_second, char *buf, size_t len)
{
	const struct unit *u = rate_units;

	/* 0 divides by every unit; "0bit" reads better than "0tbit". */
	if (!bits_per_second)
		u = find_unit(rate_units, "bit");
	while (bits_per_second % u->scale)
		u++;
	snprintf(buf, len, "%llu%s", (unsigned long long)(bits_per_second / u->scale), u->suffix);
	return buf;
}

const char *units_format_duration(uint64_t ns, char *buf, size_t len)
{
	const struct unit *u;

	if (!ns) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (u = duration_units; u->suffix; u++) {
		if (ns % u->scale == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / u->scale),
				 u->suffix);
			return buf;
		}
	}
	/* Below a millisecond there is no unit, but a fraction of one still
	 * parses back to the same value. */
	return format_decimal(ns, 6, "ms", buf, len);
}

int units_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!s || !out || parse_digits(&s, &v) || *s)
		return -EINVAL;
	if (v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int units_parse_bool(const char *s, bool *out)
{
	if (!s || !out || (strcmp(s, "true") && strcmp(s, "false")))
		return -EINVAL;
	*out = !strcmp(s, "true");
	return 0;
}

int units_parse_port(const char *s, uint16_t *out)
{
	uint32_t v;

	if (!out || units_parse_u32(s, 1, 65535, &v))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int units_parse_proto(const char *s, uint8_t *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "tcp"))
		*out = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*out = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

const char *units_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "unknown";
	}
}

int units_parse_addr(const char *s, struct weir_addr *out)
{
	struct weir_addr a = { 0 };

	if (!s || !out)
		return -EINVAL;
	/* inet_pton accepts only the full dotted quad and rejects spaces,
	 * so it is strict enough on its own. */
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = WEIR_AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = WEIR_AF_INET6;
	else
		return -EINVAL;
	*out = a;
	return 0;
}

const char *units_format_addr(const struct weir_addr *a, char *buf, size_t len)
{
	char text[WEIR_ADDR_STRLEN];
	int af = -1;

	if (a->family == WEIR_AF_INET)
		af = AF_INET;
	else if (a->family == WEIR_AF_INET6)
		af = AF_INET6;
	if (af < 0 || !inet_ntop(af, a->bytes, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	snprintf(buf, len, "%s", text);
	return buf;
}

int units_addr_equal(const struct weir_addr *a, const struct weir_addr *b)
{
	/* IPv4 compares only its 4 bytes so stray bytes past them cannot
	 * make two equal addresses differ. */
	size_t n = a->family == WEIR_AF_INET ? 4 : sizeof(a->bytes);

	return a->family == b->family && !memcmp(a->bytes, b->bytes, n);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int units_parse_mac(const char *s, uint8_t out[6])
{
	uint8_t mac[6];
	int i;

	if (!s || !out || strlen(s) != WEIR_MAC_STRLEN - 1)
		return -EINVAL;
	for (i = 0; i < 6; i++, s += 3) {
		int hi = hex_value(s[0]), lo = hex_value(s[1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, mac, sizeof(mac));
	return 0;
}

const char *units_format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

int units_mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, sizeof(zero)) != 0;
}

static int ipv4_is_unicast(const uint8_t *b)
{
	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved
	 * and the limited broadcast 255.255.255.255 with it. */
	return b[0] != 0 && b[0] != 127 && b[0] < 224;
}

static int ipv6_is_unicast(const uint8_t *b)
{
	static const uint8_t loopback[16] = { [15] = 1 }, any[16];

	if (b[0] == 0xff)
		return 0; /* multicast */
	if (!memcmp(b, any, 16) || !memcmp(b, loopback, 16))
		return 0;
	/* IPv4-mapped ::ffff:a.b.c.d carries an IPv4 address: judge that. */
	if (!memcmp(b, any, 10) && b[10] == 0xff && b[11] == 0xff)
		return ipv4_is_unicast(b + 12);
	return 1;
}

int units_addr_is_unicast(const struct weir_addr *a)
{
	if (a->family == WEIR_AF_INET)
		return ipv4_is_unicast(a->bytes);
	if (a->family == WEIR_AF_INET6)
		return ipv6_is_unicast(a->bytes);
	return 0;
}

/* "198.18.0.2", "198.18.0.2:5000", "2001:db8::2", "[2001:db8::2]:5000". */
int units_parse_endpoint(const char *s, struct weir_addr *addr, uint16_t *port)
{
	char text[WEIR_ADDR_STRLEN + 2];
	const char *colon, *close;
	uint16_t p = 0;
	size_t len;

	if (!s || !addr || !port)
		return -EINVAL;
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close || (close[1] && (close[1] != ':' || units_parse_port(close + 2, &p))))
			return -EINVAL;
		len = close - s - 1;
		s++;
	} else {
		colon = strchr(s, ':');
		/* a second colon: an IPv6 address without a port */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		if (colon && units_parse_port(colon + 1, &p))
			return -EINVAL;
		len = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';
	if (units_parse_addr(text, addr))
		return -EINVAL;
	*port = p;
	return 0;
}

const char *units_format_endpoint(const struct weir_addr *a, uint16_t port, char *buf, size_t len)
{
	char text[WEIR_ADDR_STRLEN];

	units_format_addr(a, text, sizeof(text));
	snprintf(buf, len, a->family == WEIR_AF_INET6 ? "[%s]:%u" : "%s:%u", text, port);
	return buf;
}

const char *units_format_ppm(uint32_t ppm, char *buf, size_t len)
{
	return format_decimal(ppm, 6, "", buf, len);
}

const char *units_format_permille(uint32_t permille, char *buf, size_t len)
{
	return format_decimal(permille, 1, "%", buf, len);
}
