/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Capacity expressions: the operator's formulas over backend metrics
 * (capacity-ranking, capacity-limit, shuffle-size, scale-out, scale-in).
 * Pure: no I/O; compiling allocates the compiled form once, evaluating
 * allocates nothing.
 *
 * Grammar, lowest precedence first; binary operators associate left:
 *   ||    &&    == !=    < <= > >=    + -    * / %    unary ! -
 * Values are doubles. Comparisons and logic yield 1 or 0, any non-zero is
 * true, && and || skip their right side when the left decides. % is the
 * C fmod (sign of the dividend). Numbers: 10, 0.5, 1e3, 2.5e-1 (a digit
 * must follow '.'; no sign: -1 is unary minus). Names: parts of letters,
 * digits and '_' joined by single dots, not starting with a digit
 * (rx.bps, probe.latency_ms). nodeCount is the number of backends in the
 * pool. Functions: min(a, b, ...) and max(a, b, ...) with 2 to 32
 * arguments, abs(x); over the pool: avg(x), sum(x), count(x) (backends
 * where x is non-zero), min(x) and max(x) with one argument. Inside an
 * aggregate a name is the value of the backend being visited; aggregates
 * may nest (sum(abs(x - avg(x)))) and each is computed once per
 * evaluation. Spaces, tabs and line breaks between tokens are ignored.
 */
#ifndef WEIR_EXPR_H
#define WEIR_EXPR_H

#include <stddef.h>

#define EXPR_MAX_TEXT 1024 /* bytes of expression text */
#define EXPR_MAX_DEPTH 64 /* parentheses, calls and unary operators inside each other */
#define EXPR_MAX_NODES 512 /* numbers, names and operators */
#define EXPR_MAX_VARS 64 /* distinct names, nodeCount not counted */
#define EXPR_MAX_ARGS 32 /* arguments of one call */
#define EXPR_MAX_NAME 63 /* bytes of one name */
#define EXPR_MESSAGE_LEN 320

enum expr_scope {
	/* Evaluated for one backend of the pool: a bare name is its value.
	 * capacity-ranking, capacity-limit. */
	EXPR_BACKEND,
	/* Evaluated once for the pool: names only inside aggregates.
	 * shuffle-size, scale-out, scale-in. */
	EXPR_POOL,
};

/* message always holds a full sentence ready to show, starting with
 * "column N: " when column is not 0. column is 1-based, in bytes; 0 when the
 * error is not at a place in the text (bad arguments to expr_eval). */
struct expr_error {
	int column;
	char message[EXPR_MESSAGE_LEN];
};

struct expr;

/* Vets a name when it first appears: returns 0 to accept it, or non-zero
 * with a full sentence in why (len bytes, e.g. "unknown metric 'rx.bsp'");
 * the error is then "column N: " followed by why. */
typedef int expr_check_name_fn(const char *name, void *ctx, char *why, size_t len);

/* Compiles text for scope. check_name may be NULL (every name accepted).
 * Returns 0 and *out (free with expr_free), -EINVAL with err filled (err
 * may be NULL), or -ENOMEM. *out is left alone on failure. */
int expr_compile(const char *text, enum expr_scope scope, expr_check_name_fn *check_name, void *ctx,
		 struct expr **out, struct expr_error *err);
void expr_free(struct expr *e);

/* The distinct names the expression reads, in order of first appearance,
 * nodeCount excluded: index i is column i of the matrix expr_eval reads.
 * expr_var_name returns NULL when i is out of range. */
size_t expr_var_count(const struct expr *e);
const char *expr_var_name(const struct expr *e, size_t i);

/* The metrics of the pool: values[b * n_vars + v] is variable v of backend
 * b, valid only where present[b * n_vars + v] is non-zero. n_vars must equal
 * expr_var_count(); values and present may be NULL when the matrix is empty.
 * nodeCount is n_backends. */
struct expr_pool {
	size_t n_backends;
	size_t n_vars;
	const double *values;
	const unsigned char *present;
};

/* Evaluates e for backend (EXPR_BACKEND; ignored for EXPR_POOL) and stores
 * the result in *out only on success. Returns 0; -ENODATA when a cell it
 * needs is absent ("column 5: rx.bps not known for backend 2"); -EDOM for
 * division or % by zero, a non-finite result or cell, and avg, min or max
 * over a pool without backends; -EINVAL when the arguments do not fit e
 * (then column is 0). err may be NULL. */
int expr_eval(const struct expr *e, const struct expr_pool *pool, size_t backend, double *out,
	      struct expr_error *err);

/* What expr_eval gives each backend of the pool, in order: ret, value
 * (when ret is 0) and err (when it is not) as expr_eval returns them. */
typedef void expr_each_fn(void *ctx, size_t backend, int ret, double value,
			  const struct expr_error *err);

/* Evaluates e for every backend of the pool, each aggregate computed once
 * for them all: O(pool) for `cpu / avg(cpu)` where a call per backend is
 * O(pool^2). Returns 0 after calling each for every backend (none for an
 * empty pool), or -EINVAL without calling it when the arguments do not
 * fit e, as expr_eval would. */
int expr_eval_each(const struct expr *e, const struct expr_pool *pool, expr_each_fn *each,
		   void *ctx);

#endif
