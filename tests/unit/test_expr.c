// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for expr.c: precedence and associativity, every function and
 * aggregate over a three-backend pool with exact numbers, Red5's own
 * examples, the exact message and column of each compile error, every
 * limit on both sides of its edge, evaluation errors, the name check, and
 * random input that must compile or fail cleanly (run under ASan and UBSan
 * by `make test`). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/expr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_BACKENDS 4
#define MAX_METRICS 4
#define RANDOM_INPUTS 200

#define B EXPR_BACKEND
#define P EXPR_POOL

/* A pool by metric name, as the controller holds it; fill_matrix() lays it
 * out in the order a compiled expression asks for. */
struct metric {
	const char *name;
	double value[MAX_BACKENDS];
	unsigned char missing[MAX_BACKENDS];
};

struct fixture {
	size_t n_backends;
	struct metric metrics[MAX_METRICS];
};

struct matrix {
	double values[MAX_BACKENDS * EXPR_MAX_VARS];
	unsigned char present[MAX_BACKENDS * EXPR_MAX_VARS];
	struct expr_pool pool;
};

struct value_case {
	enum expr_scope scope;
	size_t backend;
	const char *text;
	double value;
};

struct error_case {
	enum expr_scope scope;
	const char *text;
	const char *message;
};

struct eval_error_case {
	enum expr_scope scope;
	size_t backend;
	const char *text;
	int code;
	const char *message;
};

/* z is missing on backend 1, w is not a number on backend 0. */
static const struct fixture three = {
	.n_backends = 3,
	.metrics = {
		{ "x", { 1, 0, 5 }, { 0 } },
		{ "y", { 10, 20, -30 }, { 0 } },
		{ "z", { 3, 0, 4 }, { 0, 1, 0 } },
		{ "w", { NAN, 1, 1 }, { 0 } },
	},
};

/* The compile output is compared with this to show failure leaves it alone;
 * max_align_t keeps the cast well defined. */
static max_align_t untouched;
#define UNTOUCHED ((struct expr *)&untouched)

static struct expr *compile_ok(const char *text, enum expr_scope scope)
{
	struct expr_error err;
	struct expr *e = NULL;

	if (expr_compile(text, scope, NULL, NULL, &e, &err))
		fail_msg("'%s' did not compile: %s", text, err.message);
	return e;
}

static void fill_matrix(const struct expr *e, const struct fixture *f, struct matrix *m)
{
	size_t n = expr_var_count(e), v, b, i;

	m->pool = (struct expr_pool){ f->n_backends, n, m->values, m->present };
	for (v = 0; v < n; v++) {
		const struct metric *metric = NULL;

		for (i = 0; i < MAX_METRICS && f->metrics[i].name; i++)
			if (!strcmp(f->metrics[i].name, expr_var_name(e, v)))
				metric = &f->metrics[i];
		if (!metric)
			fail_msg("the fixture has no %s", expr_var_name(e, v));
		for (b = 0; b < f->n_backends; b++) {
			m->values[b * n + v] = metric->value[b];
			m->present[b * n + v] = !metric->missing[b];
		}
	}
}

static int eval_text(const struct fixture *f, enum expr_scope scope, size_t backend,
		     const char *text, double *out, struct expr_error *err)
{
	struct expr *e = compile_ok(text, scope);
	struct matrix m;
	int ret;

	fill_matrix(e, f, &m);
	ret = expr_eval(e, &m.pool, backend, out, err);
	expr_free(e);
	return ret;
}

static void check_value(const struct fixture *f, const struct value_case *c)
{
	struct expr_error err;
	double v;

	if (eval_text(f, c->scope, c->backend, c->text, &v, &err))
		fail_msg("'%s' for backend %zu failed: %s", c->text, c->backend, err.message);
	/* Exact: every expected value is the double the formula gives. */
	if (v != c->value)
		fail_msg("'%s' for backend %zu: %.17g, expected %.17g", c->text, c->backend, v,
			 c->value);
}

static void check_values(const struct fixture *f, const struct value_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_value(f, &cases[i]);
}

/* The column field must agree with the "column N: " the message starts with. */
static void expect_message(const struct expr_error *err, const char *text, const char *message)
{
	int column = 0;

	if (strcmp(err->message, message))
		fail_msg("'%s': got \"%s\", expected \"%s\"", text, err->message, message);
	if (sscanf(message, "column %d:", &column) != 1)
		column = 0;
	assert_int_equal(err->column, column);
}

static void expect_rejected(enum expr_scope scope, const char *text, expr_check_name_fn *check_name,
			    void *ctx, const char *message)
{
	struct expr *e = UNTOUCHED;
	struct expr_error err;
	int ret = expr_compile(text, scope, check_name, ctx, &e, &err);

	if (!ret)
		expr_free(e);
	if (ret != -EINVAL)
		fail_msg("'%s' gave %d, expected -EINVAL", text, ret);
	assert_ptr_equal(e, UNTOUCHED);
	expect_message(&err, text, message);
}

static void test_precedence(void **state)
{
	static const struct value_case cases[] = {
		{ B, 0, "1 + 2 * 3", 7 },
		{ B, 0, "10 - 4 - 3", 3 },
		{ B, 0, "2 * 3 % 4", 2 },
		{ B, 0, "-2 * -3", 6 },
		{ B, 0, "!0 + 1", 2 },
		{ B, 0, "1 < 2 == 1", 1 },
		{ B, 0, "1 || 1 / 0", 1 },
		{ B, 0, "0 && 1/0", 0 },
		{ B, 0, "1 || 0 && 0", 1 }, /* && binds tighter */
		{ B, 0, "(1 + 2) * 3", 9 },
		{ B, 0, "2 * (3 + 4)", 14 },
		{ B, 0, "100 / 8", 12.5 },
		{ B, 0, "12 / 2 / 3", 2 },
		{ B, 0, "10 / 4 * 2", 5 },
		{ B, 0, "2 - 3 * 4 / 2", -4 },
		{ B, 0, "7 % 3", 1 },
		{ B, 0, "-7 % 3", -1 }, /* fmod: sign of the dividend */
		{ B, 0, "7.5 % 2", 1.5 },
		{ B, 0, "1 - -1", 2 },
		{ B, 0, "--1", 1 },
		{ B, 0, "-(2 + 3)", -5 },
		{ B, 0, "!5", 0 },
		{ B, 0, "!!5", 1 },
		{ B, 0, "-!0", -1 },
		{ B, 0, "2 && 3", 1 },
		{ B, 0, "0 || 7", 1 },
		{ B, 0, "0 || 0", 0 },
		{ B, 0, "1 == 1 && 2 != 2 || 1", 1 },
		{ B, 0, "3 > 2 > 1", 0 }, /* (3 > 2) > 1 */
		{ B, 0, "1 + 2 == 3", 1 },
		{ B, 0, "1 <= 1", 1 },
		{ B, 0, "2 >= 3", 0 },
		{ B, 0, "1 < 1", 0 },
		{ B, 0, "1 != 1", 0 },
		{ B, 0, "1e3 + 0.5", 1000.5 },
		{ B, 0, "2.5e-1", 0.25 },
		{ B, 0, "1E+2", 100 },
		{ B, 0, "007", 7 },
		{ B, 0, "0.1 + 0.2", 0.1 + 0.2 },
		{ B, 0, " \t1\n+\r2 ", 3 },
		{ B, 2, "nodeCount * 2 - 1", 5 },
		{ P, 0, "nodeCount", 3 },
		{ P, 0, "(((1)))", 1 },
	};
	static const struct fixture no_metrics = { .n_backends = 3 };

	(void)state;
	check_values(&no_metrics, cases, ARRAY_SIZE(cases));
}

/* x = 1 0 5, y = 10 20 -30 */
static void test_functions(void **state)
{
	static const struct value_case cases[] = {
		{ B, 0, "min(x, y)", 1 },
		{ B, 2, "min(x, y)", -30 },
		{ B, 0, "max(x, y, 7)", 10 },
		{ B, 2, "max(x, y, 7)", 7 },
		{ B, 0, "min(3, 1, 2)", 1 },
		{ B, 0, "max(-1, -2)", -1 },
		{ B, 2, "abs(y)", 30 },
		{ B, 0, "abs(-0.5)", 0.5 },
		{ B, 2, "x - avg(x)", 3 },
		{ B, 1, "y / sum(abs(y))", 20.0 / 60.0 },
		{ B, 2, "x == max(x)", 1 },
		{ B, 0, "x == max(x)", 0 },
		{ P, 0, "avg(x)", 2 },
		{ P, 0, "sum(y)", 0 },
		{ P, 0, "count(x)", 2 },
		{ P, 0, "count(y)", 3 },
		{ P, 0, "min(y)", -30 },
		{ P, 0, "max(x)", 5 },
		{ P, 0, "min(x + 1)", 1 }, /* not 0: no backend has 0 */
		{ P, 0, "max(y - 100)", -80 },
		{ P, 0, "min(x + y)", -25 },
		{ P, 0, "avg(x + y)", 2 },
		{ P, 0, "count(x > 0 && y > 0)", 1 },
		{ P, 0, "sum(abs(y))", 60 },
		{ P, 0, "max(y) - min(y)", 50 },
		{ P, 0, "sum(abs(x - avg(x)))", 6 }, /* aggregates nest */
		{ P, 0, "max(min(x), 1, min(y))", 1 }, /* scalar max of aggregates */
		{ P, 0, "count(1)", 3 },
		{ P, 0, "sum(nodeCount)", 9 },
		{ P, 0, "avg(max(x, y))", 35.0 / 3.0 },
		{ P, 0, "sum(x) / nodeCount == avg(x)", 1 },
	};

	(void)state;
	check_values(&three, cases, ARRAY_SIZE(cases));
}

static double eval_constant(const char *text, size_t n_backends)
{
	struct expr *e = compile_ok(text, EXPR_POOL);
	struct expr_pool pool = { .n_backends = n_backends };
	struct expr_error err;
	double v = NAN;

	if (expr_eval(e, &pool, 0, &v, &err))
		fail_msg("'%s' with %zu backends: %s", text, n_backends, err.message);
	expr_free(e);
	return v;
}

/* The examples Red5 Stream Manager 2.0 gives for its capacity settings. */
static void test_red5_examples(void **state)
{
	static const struct fixture connections = {
		.n_backends = 3,
		.metrics = {
			{ "connections.publisher", { 1, 2, 0 }, { 0 } },
			{ "connections.subscriber", { 5, 30, 0 }, { 0 } },
		},
	};
	static const struct fixture busy = {
		.n_backends = 3,
		.metrics = { { "connections.publisher", { 10, 20, 30 }, { 0 } } },
	};
	static const struct fixture quiet = {
		.n_backends = 3,
		.metrics = { { "connections.publisher", { 10, 12, 14 }, { 0 } } },
	};
	static const char *const ranking = "connections.publisher * 10 + connections.subscriber";
	static const char *const scale_out = "avg(connections.publisher) > 15";
	static const size_t pool_sizes[] = { 0, 1, 3, 19, 20, 21, 1000 };
	size_t i;

	(void)state;
	check_value(&connections, &(struct value_case){ B, 0, ranking, 15 });
	check_value(&connections, &(struct value_case){ B, 1, ranking, 50 });
	check_value(&connections, &(struct value_case){ B, 2, ranking, 0 });
	check_value(&busy, &(struct value_case){ P, 0, scale_out, 1 });
	check_value(&quiet, &(struct value_case){ P, 0, scale_out, 0 });
	/* min(...) never exceeds 2, so max(..., 5) is 5 for any pool. */
	for (i = 0; i < ARRAY_SIZE(pool_sizes); i++)
		assert_true(eval_constant("max(min(nodeCount*0.1, 2), 5)", pool_sizes[i]) == 5);
	assert_true(eval_constant("min(nodeCount * 0.1, 2)", 10) == 10 * 0.1);
}

static void test_compile_errors(void **state)
{
	static const struct error_case cases[] = {
		{ B, "", "column 1: the expression is empty" },
		{ B, "  \t ", "column 1: the expression is empty" },
		{ B, "(1 + 2", "column 7: expected ')' to close '(' of column 1" },
		{ B, "2 * (3 + (4 - 1)", "column 17: expected ')' to close '(' of column 5" },
		{ B, "1 + 2)", "column 6: unexpected ')' after the expression" },
		{ B, "1 + 2 x", "column 7: unexpected 'x' after the expression" },
		{ B, "x y", "column 3: unexpected 'y' after the expression" },
		{ B, "1 (2)", "column 3: unexpected '(' after the expression" },
		{ B, "mean(x)", "column 1: unknown function 'mean'" },
		{ B, "1 + rx.bps(2)", "column 5: unknown function 'rx.bps'" },
		{ B, "nodeCount(1)", "column 1: unknown function 'nodeCount'" },
		{ B, "1 + * 2", "column 5: expected a number, a variable, '(' or a function" },
		{ B, "1 +", "column 4: expected a number, a variable, '(' or a function" },
		{ B, "+1", "column 1: expected a number, a variable, '(' or a function" },
		{ B, "()", "column 2: expected a number, a variable, '(' or a function" },
		{ B, "max(1, )", "column 8: expected a number, a variable, '(' or a function" },
		{ B, "1+min()", "column 3: min needs at least one argument" },
		{ B, "max(1 2)", "column 7: expected ',' or ')' to close '(' of column 4" },
		{ B, "avg(x y)", "column 7: expected ')' to close '(' of column 4" },
		{ B, "abs(1, 2)", "column 1: abs takes exactly one argument" },
		{ B, "count(x, y)", "column 1: count takes exactly one argument" },
		{ B, "avg + 1", "column 1: avg is a function: expected '(' after it" },
		{ B, "1 = 2", "column 3: '=' is not an operator: use '=='" },
		{ B, "x & y", "column 3: '&' is not an operator: use '&&'" },
		{ B, "x | y", "column 3: '|' is not an operator: use '||'" },
		{ B, "1 @ 2", "column 3: unexpected character '@'" },
		{ B, "1 \x01", "column 3: unexpected byte 0x01" },
		{ B, "x \xc3\xa9", "column 3: unexpected byte 0xc3" },
		{ B, "1.", "column 3: expected a digit after '.'" },
		{ B, ".5", "column 1: unexpected character '.'" },
		{ B, "1e+", "column 4: expected a digit in the exponent" },
		{ B, "2e", "column 3: expected a digit in the exponent" },
		{ B, "1e999", "column 1: number 1e999 is too large" },
		{ B, "rx..bps",
		  "column 3: '.' in a name must be followed by a letter, a digit or '_'" },
		{ B, "rx. + 1",
		  "column 3: '.' in a name must be followed by a letter, a digit or '_'" },
		{ P, "streams.active > 3",
		  "column 1: streams.active is a backend's value: use it inside avg, min, max, sum "
		  "or "
		  "count" },
		{ P, "avg(x) > y",
		  "column 10: y is a backend's value: use it inside avg, min, max, sum or count" },
		{ P, "min(x, 1)",
		  "column 5: x is a backend's value: use it inside avg, min, max, sum or count" },
		{ P, "sum(x) + abs(x)",
		  "column 14: x is a backend's value: use it inside avg, min, max, sum or count" },
		{ P, "max(y) && min(x, 2)",
		  "column 15: x is a backend's value: use it inside avg, min, max, sum or count" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		expect_rejected(cases[i].scope, cases[i].text, NULL, NULL, cases[i].message);
}

/* text = head repeated n times, then middle, then tail repeated n times. */
static const char *repeat(char *buf, size_t size, const char *head, size_t n, const char *middle,
			  const char *tail)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, size - len, "%s", head);
	len += snprintf(buf + len, size - len, "%s", middle);
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, size - len, "%s", tail);
	assert_true(len < size);
	return buf;
}

static void expect_compiles(const char *text, enum expr_scope scope)
{
	expr_free(compile_ok(text, scope));
}

static void test_limits_text_and_depth(void **state)
{
	static char text[4096];

	(void)state;
	memset(text, ' ', EXPR_MAX_TEXT + 1);
	text[0] = '1';
	text[EXPR_MAX_TEXT] = '\0';
	expect_compiles(text, B);
	text[EXPR_MAX_TEXT] = ' ';
	text[EXPR_MAX_TEXT + 1] = '\0';
	expect_rejected(B, text, NULL, NULL, "column 1025: expression longer than 1024 characters");

	expect_compiles(repeat(text, sizeof(text), "(", 64, "1", ")"), B);
	expect_rejected(B, repeat(text, sizeof(text), "(", 65, "1", ")"), NULL, NULL,
			"column 65: nested more than 64 levels deep");
	expect_compiles(repeat(text, sizeof(text), "-", 64, "1", ""), B);
	expect_rejected(B, repeat(text, sizeof(text), "!", 65, "1", ""), NULL, NULL,
			"column 65: nested more than 64 levels deep");
	expect_compiles(repeat(text, sizeof(text), "abs(", 64, "1", ")"), B);
	expect_rejected(B, repeat(text, sizeof(text), "abs(", 65, "1", ")"), NULL, NULL,
			"column 260: nested more than 64 levels deep");
}

/* min(1,1,...,1) with n arguments */
static const char *min_call(char *buf, size_t size, size_t n)
{
	size_t i, len = snprintf(buf, size, "min(1");

	for (i = 1; i < n; i++)
		len += snprintf(buf + len, size - len, ",1");
	len += snprintf(buf + len, size - len, ")");
	assert_true(len < size);
	return buf;
}

static void test_limits_sizes(void **state)
{
	static char text[4096];
	struct value_case longest = { B, 0, NULL, 254 };

	(void)state;
	/* 256 terms and 255 '+' are 511 nodes, the leading '-' the 512th. */
	longest.text = repeat(text, sizeof(text), "1+", 255, "-1", "");
	check_value(&three, &longest);
	/* term 257 is node 512; the '+' before it, at column 512, one too many */
	expect_rejected(
		B, repeat(text, sizeof(text), "1+", 256, "1", ""), NULL, NULL,
		"column 512: expression too large: more than 512 numbers, names and operators");
	expect_compiles(min_call(text, sizeof(text), EXPR_MAX_ARGS), B);
	expect_rejected(B, min_call(text, sizeof(text), EXPR_MAX_ARGS + 1), NULL, NULL,
			"column 1: min takes at most 32 arguments");
	memset(text, 'n', 64);
	text[63] = '\0';
	expect_compiles(text, B);
	text[63] = 'n';
	text[64] = '\0';
	expect_rejected(B, text, NULL, NULL, "column 1: name longer than 63 characters");
	memset(text, '9', 65);
	text[64] = '\0';
	expect_compiles(text, B);
	text[64] = '9';
	text[65] = '\0';
	expect_rejected(B, text, NULL, NULL, "column 1: number longer than 64 characters");
}

static void test_limits_variables(void **state)
{
	char text[1024], message[EXPR_MESSAGE_LEN];
	size_t len = 0, i, column = 0;
	struct expr *e;

	(void)state;
	for (i = 0; i < EXPR_MAX_VARS; i++)
		len += snprintf(text + len, sizeof(text) - len, "%sv%zu", i ? "+" : "", i);
	e = compile_ok(text, B);
	assert_int_equal(expr_var_count(e), EXPR_MAX_VARS);
	assert_string_equal(expr_var_name(e, EXPR_MAX_VARS - 1), "v63");
	expr_free(e);
	column = len + 2; /* past the '+' */
	snprintf(text + len, sizeof(text) - len, "+v64+v0");
	snprintf(message, sizeof(message), "column %zu: more than 64 distinct variables", column);
	expect_rejected(B, text, NULL, NULL, message);
}

/* Without memoising, 60 nested aggregates over 3 backends are 3^60 visits;
 * and a long chain is a deep tree that evaluation walks. */
static void test_deep_evaluation(void **state)
{
	static char text[4096];
	struct value_case nested = { P, 0, NULL, 2 }, chain = { B, 2, NULL, 5 - 255 * 5 };

	(void)state;
	nested.text = repeat(text, sizeof(text), "avg(", 60, "x", ")");
	check_value(&three, &nested);
	chain.text = repeat(text, sizeof(text), "x-", 255, "x", "");
	check_value(&three, &chain);
}

static void test_eval_errors(void **state)
{
	static const struct eval_error_case cases[] = {
		{ B, 0, "1 / 0", -EDOM, "column 3: division by zero" },
		{ B, 0, "5 % (1 - 1)", -EDOM, "column 3: division by zero" },
		{ B, 0, "x / (x - x)", -EDOM, "column 3: division by zero" },
		{ P, 0, "avg(x) / min(x)", -EDOM, "column 8: division by zero" },
		{ B, 0, "1e308 * 10", -EDOM, "column 7: the result is too large" },
		{ P, 0, "sum(1e308 + 0 * x)", -EDOM, "column 1: the result is too large" },
		{ B, 1, "x + z", -ENODATA, "column 5: z not known for backend 1" },
		{ P, 0, "sum(z)", -ENODATA, "column 5: z not known for backend 1" },
		{ B, 1, "x || z", -ENODATA, "column 6: z not known for backend 1" },
		{ B, 0, "w", -EDOM, "column 1: w is not a finite number for backend 0" },
	};
	static const struct value_case spared[] = {
		{ B, 0, "x + z", 4 },
		{ B, 0, "x || z", 1 }, /* z is not needed */
		{ B, 1, "x && z", 0 },
		{ B, 1, "w", 1 },
	};
	struct expr_error err;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct eval_error_case *c = &cases[i];
		double v = -1;
		int ret = eval_text(&three, c->scope, c->backend, c->text, &v, &err);

		if (ret != c->code)
			fail_msg("'%s' gave %d, expected %d", c->text, ret, c->code);
		assert_true(v == -1);
		expect_message(&err, c->text, c->message);
	}
	check_values(&three, spared, ARRAY_SIZE(spared));
}

static void test_empty_pool(void **state)
{
	static const struct eval_error_case cases[] = {
		{ P, 0, "avg(x)", -EDOM, "column 1: avg over a pool without backends" },
		{ P, 0, "1 + min(x)", -EDOM, "column 5: min over a pool without backends" },
		{ P, 0, "max(x)", -EDOM, "column 1: max over a pool without backends" },
	};
	static const struct fixture empty = { .n_backends = 0,
					      .metrics = { { "x", { 0 }, { 0 } } } };
	static const struct value_case fine[] = {
		{ P, 0, "sum(x)", 0 },
		{ P, 0, "count(x)", 0 },
		{ P, 0, "nodeCount", 0 },
		{ P, 0, "nodeCount == 0 || avg(x) > 1", 1 },
	};
	struct expr_error err;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		double v;

		assert_int_equal(eval_text(&empty, P, 0, cases[i].text, &v, &err), cases[i].code);
		expect_message(&err, cases[i].text, cases[i].message);
	}
	check_values(&empty, fine, ARRAY_SIZE(fine));
}

/* What the controller would pass: the metrics it measures. */
struct known_names {
	const char *const *names;
	int calls;
	char seen[128];
};

static int check_known(const char *name, void *ctx, char *why, size_t len)
{
	struct known_names *known = ctx;
	size_t i;

	known->calls++;
	strncat(known->seen, name, sizeof(known->seen) - strlen(known->seen) - 2);
	strcat(known->seen, " ");
	for (i = 0; known->names[i]; i++)
		if (!strcmp(known->names[i], name))
			return 0;
	snprintf(why, len, "unknown metric '%s'", name);
	return -1;
}

static int reject_silently(const char *name, void *ctx, char *why, size_t len)
{
	(void)name;
	(void)ctx;
	(void)why;
	(void)len;
	return -1;
}

/* A reason that fills the buffer without a terminating NUL. */
static int reject_verbosely(const char *name, void *ctx, char *why, size_t len)
{
	(void)name;
	(void)ctx;
	memset(why, 'r', len);
	return -1;
}

static void test_check_name(void **state)
{
	static const char *const metrics[] = { "connections.publisher", "connections.subscriber",
					       NULL };
	struct known_names known = { .names = metrics };
	char long_reason[EXPR_MESSAGE_LEN];
	struct expr_error err;
	struct expr *e;

	(void)state;
	assert_int_equal(expr_compile("connections.publisher * 10 + connections.subscriber + "
				      "connections.publisher + nodeCount",
				      B, check_known, &known, &e, &err),
			 0);
	expr_free(e);
	/* once per distinct name, in order; nodeCount is not a metric */
	assert_int_equal(known.calls, 2);
	assert_string_equal(known.seen, "connections.publisher connections.subscriber ");

	expect_rejected(B, "1 + connections.publsher", check_known, &known,
			"column 5: unknown metric 'connections.publsher'");
	expect_rejected(P, "max(1, avg(connections.subscriber), min(rx))", check_known, &known,
			"column 41: unknown metric 'rx'");
	expect_rejected(B, "nodeCount + x", reject_silently, NULL, "column 13: x is not accepted");
	/* the reason is cut at its buffer's last byte, not read past it */
	strcpy(long_reason, "column 1: ");
	memset(long_reason + 10, 'r', EXPR_MESSAGE_LEN - 16 - 1);
	long_reason[10 + EXPR_MESSAGE_LEN - 16 - 1] = '\0';
	expect_rejected(B, "x", reject_verbosely, NULL, long_reason);
}

static void test_variable_order(void **state)
{
	struct expr *e = compile_ok("b + a * b + nodeCount + c.d_2 + avg(a)", EXPR_BACKEND);

	(void)state;
	assert_int_equal(expr_var_count(e), 3);
	assert_string_equal(expr_var_name(e, 0), "b");
	assert_string_equal(expr_var_name(e, 1), "a");
	assert_string_equal(expr_var_name(e, 2), "c.d_2");
	assert_null(expr_var_name(e, 3));
	expr_free(e);
	e = compile_ok("1 + nodeCount", EXPR_POOL);
	assert_int_equal(expr_var_count(e), 0);
	assert_null(expr_var_name(e, 0));
	expr_free(e);
}

struct each_seen {
	size_t calls;
	int ret[MAX_BACKENDS];
	double value[MAX_BACKENDS];
	char message[MAX_BACKENDS][EXPR_MESSAGE_LEN];
};

static void record_each(void *ctx, size_t backend, int ret, double value,
			const struct expr_error *err)
{
	struct each_seen *seen = ctx;

	assert_int_equal(backend, seen->calls);
	seen->calls++;
	seen->ret[backend] = ret;
	seen->value[backend] = ret ? 0 : value;
	snprintf(seen->message[backend], EXPR_MESSAGE_LEN, "%s", ret ? err->message : "");
}

/* expr_eval_each gives every backend what expr_eval gives it: values,
 * codes and messages, with aggregates that fail, short-circuits and
 * aggregates inside aggregates. */
static void test_eval_each(void **state)
{
	static const char *const texts[] = {
		"x / avg(x)",  "y - min(y) + count(x)",	   "z / max(z)",    "w * 2",
		"x && avg(z)", "sum(abs(y - avg(y))) + x", "z + nodeCount",
	};
	struct expr_error err;
	struct matrix m;
	size_t i, b;
	double v;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		struct expr *e = compile_ok(texts[i], EXPR_BACKEND);
		struct each_seen seen = { 0 };
		int ret;

		fill_matrix(e, &three, &m);
		assert_int_equal(expr_eval_each(e, &m.pool, record_each, &seen), 0);
		assert_int_equal(seen.calls, three.n_backends);
		for (b = 0; b < three.n_backends; b++) {
			ret = expr_eval(e, &m.pool, b, &v, &err);
			assert_int_equal(seen.ret[b], ret);
			if (ret)
				assert_string_equal(seen.message[b], err.message);
			else
				assert_true(seen.value[b] == v);
		}
		m.pool.n_backends = 0;
		assert_int_equal(expr_eval_each(e, &m.pool, record_each, &seen), 0);
		assert_int_equal(seen.calls, three.n_backends);
		m.pool.n_backends = three.n_backends;
		m.pool.n_vars++;
		assert_int_equal(expr_eval_each(e, &m.pool, record_each, &seen), -EINVAL);
		assert_int_equal(expr_eval_each(e, NULL, record_each, &seen), -EINVAL);
		assert_int_equal(seen.calls, three.n_backends);
		expr_free(e);
	}
}

static void test_misuse(void **state)
{
	struct expr *e = UNTOUCHED, *x = compile_ok("x", EXPR_BACKEND);
	double values[3] = { 1, 2, 3 }, v = -1;
	unsigned char present[3] = { 1, 1, 1 };
	struct expr_pool pool = { 3, 1, values, present };
	struct expr_pool wrong = { 3, 2, values, present };
	struct expr_pool hollow = { 3, 1, NULL, NULL };
	struct expr_error err;

	(void)state;
	assert_int_equal(expr_compile(NULL, B, NULL, NULL, &e, &err), -EINVAL);
	assert_int_equal(err.column, 0);
	assert_int_equal(expr_compile("1", (enum expr_scope)7, NULL, NULL, &e, &err), -EINVAL);
	assert_int_equal(expr_compile("1", B, NULL, NULL, NULL, &err), -EINVAL);
	assert_int_equal(expr_compile("(", B, NULL, NULL, &e, NULL), -EINVAL);
	assert_ptr_equal(e, UNTOUCHED);

	assert_int_equal(expr_eval(x, &pool, 2, &v, NULL), 0);
	assert_true(v == 3);
	v = -1;
	assert_int_equal(expr_eval(x, &wrong, 0, &v, &err), -EINVAL);
	expect_message(&err, "x", "the pool has 2 variables per backend, the expression reads 1");
	assert_int_equal(expr_eval(x, &pool, 3, &v, &err), -EINVAL);
	expect_message(&err, "x", "backend 3 is not in the pool of 3");
	assert_int_equal(expr_eval(x, &hollow, 0, &v, &err), -EINVAL);
	assert_int_equal(expr_eval(NULL, &pool, 0, &v, &err), -EINVAL);
	assert_int_equal(expr_eval(x, NULL, 0, &v, &err), -EINVAL);
	assert_int_equal(expr_eval(x, &pool, 0, NULL, &err), -EINVAL);
	assert_true(v == -1);
	expr_free(x);

	/* pool scope ignores the backend argument */
	x = compile_ok("sum(x)", EXPR_POOL);
	assert_int_equal(expr_eval(x, &pool, SIZE_MAX, &v, &err), 0);
	assert_true(v == 6);
	expr_free(x);
	expr_free(NULL);
	assert_int_equal(expr_var_count(NULL), 0);
	assert_null(expr_var_name(NULL, 0));
}

/* Marsaglia's xorshift32: a fixed sequence, so a failure reproduces. */
static uint32_t xorshift32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Whatever compiled must evaluate to a number or fail with a reason. */
static void try_input(const char *text, uint32_t *seed)
{
	static double values[MAX_BACKENDS * EXPR_MAX_VARS];
	static unsigned char present[MAX_BACKENDS * EXPR_MAX_VARS];
	enum expr_scope scope = xorshift32(seed) & 1 ? EXPR_POOL : EXPR_BACKEND;
	struct expr_error err = { .column = -1 };
	struct expr *e = NULL;
	struct expr_pool pool;
	size_t i;
	double v;
	int ret;

	ret = expr_compile(text, scope, NULL, NULL, &e, &err);
	if (ret) {
		assert_int_equal(ret, -EINVAL);
		assert_true(err.column >= 1 && err.column <= EXPR_MAX_TEXT + 1);
		assert_true(!strncmp(err.message, "column ", 7));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		values[i] = (double)(xorshift32(seed) % 7) - 2;
		present[i] = xorshift32(seed) % 8 != 0;
	}
	pool = (struct expr_pool){ xorshift32(seed) % (MAX_BACKENDS + 1), expr_var_count(e), values,
				   present };
	ret = expr_eval(e, &pool, 0, &v, &err);
	if (pool.n_backends == 0 && scope == EXPR_BACKEND)
		assert_int_equal(ret, -EINVAL);
	else if (ret)
		assert_true(ret == -EDOM || ret == -ENODATA);
	else
		assert_true(isfinite(v));
	expr_free(e);
}

static void test_random_bytes(void **state)
{
	static char text[1100 + 1];
	uint32_t seed = 0x5eed;
	size_t i, j, len;

	(void)state;
	for (i = 0; i < RANDOM_INPUTS; i++) {
		len = xorshift32(&seed) % (sizeof(text) - 1);
		/* every other string printable, to get past the lexer more often */
		for (j = 0; j < len; j++)
			text[j] = i % 2 ? (char)(' ' + xorshift32(&seed) % 95)
					: (char)(1 + xorshift32(&seed) % 255);
		text[len] = '\0';
		try_input(text, &seed);
	}
}

/* The pieces of a token soup; the last three are wrong on purpose. */
static const char *const soup[] = {
	"x",	"y",	"rx.bps", "nodeCount", "1",    "0",	"2.5", "1e3", "min(",
	"max(", "avg(", "sum(",	  "count(",    "abs(", "(",	")",   ")",   ",",
	"+",	"-",	"*",	  "/",	       "%",    "!",	"&&",  "||",  "==",
	"!=",	"<",	"<=",	  ">",	       ">=",   "mean(", "=",   ".",
};

static void test_random_tokens(void **state)
{
	static char text[EXPR_MAX_TEXT + 64];
	uint32_t seed = 0xc0ffee;
	size_t i, j, n, len;

	(void)state;
	for (i = 0; i < RANDOM_INPUTS; i++) {
		n = 1 + xorshift32(&seed) % 40;
		for (j = 0, len = 0; j < n; j++) {
			const char *sep = xorshift32(&seed) % 3 ? " " : "";

			len += snprintf(text + len, sizeof(text) - len, "%s%s",
					soup[xorshift32(&seed) % ARRAY_SIZE(soup)], sep);
		}
		try_input(text, &seed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_red5_examples),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_limits_text_and_depth),
		cmocka_unit_test(test_limits_sizes),
		cmocka_unit_test(test_limits_variables),
		cmocka_unit_test(test_deep_evaluation),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_empty_pool),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_variable_order),
		cmocka_unit_test(test_eval_each),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_random_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
