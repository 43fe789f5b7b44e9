// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: capacity expressions. The input is the expression's text up
 * to its first NUL byte; the bytes after it fill a small pool (the number
 * of backends, then one byte per cell: absent, a special value or a small
 * integer). The text is compiled in both scopes with weir's own name
 * check; what compiles is evaluated for every backend (backend scope) or
 * once (pool scope), twice, and must give the same answer both times.
 * Checked: compile errors are -EINVAL with a column inside the text and a
 * message that starts with it; evaluation returns 0 with a finite value,
 * or -ENODATA / -EDOM with a message, and leaves the output alone on
 * failure; the variable names are distinct, weir accepts each, and a
 * text that compiles for the pool compiles for a backend too.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/capacity.h"
#include "core/expr.h"

#define MAX_BACKENDS 5
#define SENTINEL 12345.678

static const double specials[] = {
	0, 1, -1, 0.5, -0.5, 1e308, -1e308, 5e-324, 100, 1e15, NAN, INFINITY, -INFINITY, 3, 7, 80,
};

static void fail(const char *text, const char *fmt, const char *detail)
{
	fprintf(stderr, "fuzz_expr: '%s': %s %s\n", text, fmt, detail ? detail : "");
	abort();
}

/* One cell from one byte: 0xff absent; the top bit set: specials[] by the
 * low bits; else a small integer around zero. */
static void fill_cell(uint8_t b, double *value, unsigned char *present)
{
	*present = b != 0xff;
	if (b & 0x80)
		*value = specials[b % (sizeof(specials) / sizeof(specials[0]))];
	else
		*value = (double)b - 32;
}

static void check_compile_error(const char *text, int ret, const struct expr_error *err)
{
	char prefix[32];
	size_t len = strlen(text);

	if (ret != -EINVAL)
		fail(text, "compile: not -EINVAL:", err->message);
	if (!err->message[0])
		fail(text, "compile: error without a message", NULL);
	/* the column may point one past the end ("expected ')'") */
	if (err->column < 0 || (size_t)err->column > len + 1)
		fail(text, "compile: column outside the text:", err->message);
	if (err->column) {
		snprintf(prefix, sizeof(prefix), "column %d: ", err->column);
		if (strncmp(err->message, prefix, strlen(prefix)))
			fail(text,
			     "compile: message does not start with its column:", err->message);
	}
}

static void check_names(const char *text, const struct expr *e)
{
	char why[256];
	size_t i, j, n = expr_var_count(e);

	if (n > EXPR_MAX_VARS || expr_var_name(e, n))
		fail(text, "names: count out of range", NULL);
	for (i = 0; i < n; i++) {
		const char *name = expr_var_name(e, i);

		if (!name || !*name || strlen(name) > EXPR_MAX_NAME || !strstr(text, name))
			fail(text, "names: a bad name:", name);
		if (capacity_check_name(name, NULL, why, sizeof(why)))
			fail(text, "names: a name weir refuses was accepted:", name);
		for (j = 0; j < i; j++)
			if (!strcmp(name, expr_var_name(e, j)))
				fail(text, "names: listed twice:", name);
	}
}

static int eval_checked(const char *text, const struct expr *e, const struct expr_pool *pool,
			size_t backend, double *v)
{
	struct expr_error err = { .column = -1 };
	int ret;

	*v = SENTINEL;
	ret = expr_eval(e, pool, backend, v, &err);
	if (ret == 0 && !isfinite(*v))
		fail(text, "eval: a value that is not finite", NULL);
	if (ret && ret != -ENODATA && ret != -EDOM)
		fail(text, "eval: unexpected error:", err.message);
	if (ret && (*v != SENTINEL || !err.message[0]))
		fail(text, "eval: a failure wrote the output or said nothing", err.message);
	return ret;
}

static void evaluate(const char *text, const struct expr *e, enum expr_scope scope,
		     const uint8_t *tail, size_t tail_len)
{
	double values[MAX_BACKENDS * EXPR_MAX_VARS];
	unsigned char present[MAX_BACKENDS * EXPR_MAX_VARS];
	struct expr_pool pool = { .n_vars = expr_var_count(e) };
	size_t b, cells, i;

	pool.n_backends = tail_len ? tail[0] % (MAX_BACKENDS + 1) : 1;
	cells = pool.n_backends * pool.n_vars;
	for (i = 0; i < cells; i++)
		fill_cell(i + 1 < tail_len ? tail[i + 1] : 0, &values[i], &present[i]);
	pool.values = values;
	pool.present = present;
	for (b = 0; b < (scope == EXPR_BACKEND ? pool.n_backends : 1); b++) {
		double v1, v2;
		int r1 = eval_checked(text, e, &pool, b, &v1);
		int r2 = eval_checked(text, e, &pool, b, &v2);

		/* memcmp: NaN never gets here, and -0 vs 0 would be a change */
		if (r1 != r2 || (!r1 && memcmp(&v1, &v2, sizeof(v1))))
			fail(text, "eval: two evaluations disagree", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum expr_scope scopes[] = { EXPR_POOL, EXPR_BACKEND };
	const uint8_t *nul = memchr(data, '\0', size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	bool pool_ok = false;
	char *text;
	size_t s;

	if (text_len > EXPR_MAX_TEXT + 16)
		return 0;
	text = malloc(text_len + 1);
	if (!text)
		return 0;
	memcpy(text, data, text_len);
	text[text_len] = '\0';
	for (s = 0; s < 2; s++) {
		struct expr_error err = { .column = -1 };
		struct expr *e = NULL;
		int ret = expr_compile(text, scopes[s], capacity_check_name, NULL, &e, &err);

		if (ret) {
			check_compile_error(text, ret, &err);
			if (e)
				fail(text, "compile: failed but set the output", NULL);
			if (pool_ok)
				fail(text,
				     "compiles for the pool but not for a backend:", err.message);
			continue;
		}
		pool_ok = scopes[s] == EXPR_POOL;
		check_names(text, e);
		evaluate(text, e, scopes[s], nul ? nul + 1 : NULL, nul ? size - text_len - 1 : 0);
		expr_free(e);
	}
	free(text);
	return 0;
}
