// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Tables of keys: the kinds of value they take, parsed by units.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/option.h"
#include "core/units.h"

#define REASON_MAX 160
#define VALUE_SHOWN 64 /* bytes of a refused value a message quotes */

static void store(const struct option *o, void *obj, uint64_t v)
{
	void *field = option_field(o, obj);

	if (o->size == sizeof(uint8_t))
		*(uint8_t *)field = (uint8_t)v;
	else if (o->size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else if (o->size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)v;
	else
		*(uint64_t *)field = v;
}

static uint64_t load(const struct option *o, const void *obj)
{
	const void *field = option_const_field(o, obj);

	if (o->size == sizeof(uint8_t))
		return *(const uint8_t *)field;
	if (o->size == sizeof(uint16_t))
		return *(const uint16_t *)field;
	if (o->size == sizeof(uint32_t))
		return *(const uint32_t *)field;
	return *(const uint64_t *)field;
}

static int parse_number(const struct option *o, void *obj, const char *text, char *why, size_t len)
{
	uint32_t v;

	if (!units_parse_u32(text, (uint32_t)o->lo, (uint32_t)o->hi, &v)) {
		store(o, obj, v);
		return 0;
	}
	snprintf(why, len, "is %s (%llu-%llu)",
		 *text && strspn(text, "0123456789") == strlen(text) ? "out of range"
								     : "not a number",
		 (unsigned long long)o->lo, (unsigned long long)o->hi);
	return -EINVAL;
}

static const char *format_number(const struct option *o, const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)load(o, obj));
	return buf;
}

const struct option_kind option_number = { parse_number, format_number, false };

static int parse_duration(const struct option *o, void *obj, const char *text, char *why,
			  size_t len)
{
	char a[32], b[32];
	uint64_t ns;

	if (units_parse_duration(text, &ns)) {
		snprintf(why, len, "is not a duration (a number with ms, s or m)");
		return -EINVAL;
	}
	if (ns >= o->lo && ns <= o->hi) {
		*(uint64_t *)option_field(o, obj) = ns;
		return 0;
	}
	if (o->lo == 1 && !ns)
		snprintf(why, len, "is too short (must be longer than 0)");
	else
		snprintf(why, len, "is out of range (%s-%s)",
			 units_format_duration(o->lo, a, sizeof(a)),
			 units_format_duration(o->hi, b, sizeof(b)));
	return -EINVAL;
}

static const char *format_duration(const struct option *o, const void *obj, char *buf, size_t len)
{
	return units_format_duration(*(const uint64_t *)option_const_field(o, obj), buf, len);
}

const struct option_kind option_duration = { parse_duration, format_duration, false };

static int parse_rate(const struct option *o, void *obj, const char *text, char *why, size_t len)
{
	if (!units_parse_rate(text, (uint64_t *)option_field(o, obj)))
		return 0;
	snprintf(why, len, "is not a rate (bit/s, like 8mbit or 1gbit)");
	return -EINVAL;
}

static const char *format_rate(const struct option *o, const void *obj, char *buf, size_t len)
{
	return units_format_rate(*(const uint64_t *)option_const_field(o, obj), buf, len);
}

const struct option_kind option_rate = { parse_rate, format_rate, false };

static int parse_choice(const struct option *o, void *obj, const char *text, char *why, size_t len)
{
	size_t i, n;

	for (i = 0; o->names[i]; i++) {
		if (!strcmp(o->names[i], text)) {
			*(uint8_t *)option_field(o, obj) = (uint8_t)i;
			return 0;
		}
	}
	n = (size_t)snprintf(why, len, "is not one of ");
	for (i = 0; o->names[i] && n < len; i++)
		n += (size_t)snprintf(why + n, len - n, "%s%s", i ? ", " : "", o->names[i]);
	return -EINVAL;
}

static const char *format_choice(const struct option *o, const void *obj, char *buf, size_t len)
{
	uint8_t v = *(const uint8_t *)option_const_field(o, obj);
	size_t i;

	(void)buf;
	(void)len;
	for (i = 0; o->names[i]; i++)
		if (i == v)
			return o->names[i];
	return "?";
}

const struct option_kind option_choice = { parse_choice, format_choice, false };

static int parse_bool(const struct option *o, void *obj, const char *text, char *why, size_t len)
{
	if (!units_parse_bool(text, (bool *)option_field(o, obj)))
		return 0;
	snprintf(why, len, "is not true or false");
	return -EINVAL;
}

static const char *format_bool(const struct option *o, const void *obj, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return *(const bool *)option_const_field(o, obj) ? "true" : "false";
}

const struct option_kind option_bool = { parse_bool, format_bool, false };

static int parse_permille(const struct option *o, void *obj, const char *text, char *why,
			  size_t len)
{
	char a[16], b[16];

	if (!units_parse_permille(text, (uint32_t)o->lo, (uint32_t)o->hi,
				  (uint32_t *)option_field(o, obj)))
		return 0;
	snprintf(why, len, "is not a percentage from %s to %s",
		 units_format_permille((uint32_t)o->lo, a, sizeof(a)),
		 units_format_permille((uint32_t)o->hi, b, sizeof(b)));
	return -EINVAL;
}

static const char *format_permille(const struct option *o, const void *obj, char *buf, size_t len)
{
	return units_format_permille(*(const uint32_t *)option_const_field(o, obj), buf, len);
}

const struct option_kind option_permille = { parse_permille, format_permille, false };

const struct option *option_find(const struct option *table, const char *key)
{
	for (; table->key; table++)
		if (!strcmp(table->key, key))
			return table;
	return NULL;
}

int option_set(const struct option *table, void *obj, const char *key, const char *text, char *why,
	       size_t len)
{
	const struct option *o = option_find(table, key);
	char reason[REASON_MAX];

	if (!o)
		return -ENOENT;
	if (!o->kind->parse(o, obj, text, reason, sizeof(reason)))
		return 0;
	if (o->expected)
		snprintf(reason, sizeof(reason), "is not %s", o->expected);
	if (why && len)
		snprintf(why, len, "%.*s %s", VALUE_SHOWN, text, reason);
	return -EINVAL;
}

const char *option_format(const struct option *o, const void *obj, char *buf, size_t len)
{
	return o->kind->format(o, obj, buf, len);
}
