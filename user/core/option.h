/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A table of the keys an object takes as text: one row a key, saying where
 * its value goes, how it parses, what it accepts and how it prints. The
 * config file's scalar keys, the control socket's options and the dump all
 * go through the same row, so a key is read, refused and written the same
 * everywhere. Pure: no I/O, no allocation.
 */
#ifndef WEIR_OPTION_H
#define WEIR_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct option;

struct option_kind {
	/* 0, or -EINVAL with the reason ("is out of range (0-7)") in why;
	 * writes nothing into obj on failure. */
	int (*parse)(const struct option *o, void *obj, const char *text, char *why, size_t len);
	/* The value as the dump writes it (and parse reads it back). */
	const char *(*format)(const struct option *o, const void *obj, char *buf, size_t len);
	bool quoted; /* the dump writes it in double quotes */
};

struct option {
	const char *key; /* NULL ends a table */
	const struct option_kind *kind;
	size_t offset, size; /* the field in the object: OPTION_FIELD() */
	uint64_t lo, hi; /* numbers, durations, percentages: the range taken */
	const char *const *names; /* choices: indexed by value, NULL-terminated */
	/* "a priority (0-7)": a refusal says "is not" this, whatever failed */
	const char *expected;
};

#define OPTION_FIELD(type, member) offsetof(type, member), sizeof(((type *)0)->member)

/* The row's field in obj, for kinds of its own. */
static inline void *option_field(const struct option *o, void *obj)
{
	return (char *)obj + o->offset;
}

static inline const void *option_const_field(const struct option *o, const void *obj)
{
	return (const char *)obj + o->offset;
}

/* A decimal number in [lo, hi] (at most 2^32 - 1) into an integer field of
 * any width; without expected the reason is "is out of range (lo-hi)" or
 * "is not a number (lo-hi)". */
extern const struct option_kind option_number;
/* A DUR (units_parse_duration) in [lo, hi] into a uint64_t; lo 1 refuses 0
 * as "is too short (must be longer than 0)". */
extern const struct option_kind option_duration;
/* A RATE (units_parse_rate) into a uint64_t. */
extern const struct option_kind option_rate;
/* One of names into a uint8_t: "is not one of a, b, c". */
extern const struct option_kind option_choice;
/* true or false into a bool. */
extern const struct option_kind option_bool;
/* A percentage (units_parse_permille) in [lo, hi] permille into a uint32_t. */
extern const struct option_kind option_permille;

/* The row of key, or NULL. */
const struct option *option_find(const struct option *table, const char *key);
/*
 * Sets key's field of obj from text. 0; -ENOENT for a key the table does
 * not have; -EINVAL with why: the value and the reason, as in
 * "70000 is not a port (1-65535)" (why may be NULL). obj is unchanged on
 * failure.
 */
int option_set(const struct option *table, void *obj, const char *key, const char *text, char *why,
	       size_t len);
const char *option_format(const struct option *o, const void *obj, char *buf, size_t len);

#endif
