// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capacity expressions. The parser climbs precedences over one token of
 * lookahead and builds the tree in a fixed array on the stack; only a
 * complete, checked tree is copied into the single allocation the caller
 * owns, so no error path has anything to free. Children are always stored
 * before their parent: the root is the last node and passes over the whole
 * tree walk the array backwards instead of recursing. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NO_CHILD UINT16_MAX
/* Every aggregate has a child, so at most half the nodes are aggregates. */
#define MAX_AGGREGATES (EXPR_MAX_NODES / 2)
#define MAX_NUMBER_TEXT 64
#define SHOWN_TOKEN 40 /* bytes of an unexpected token quoted in a message */
#define WHY_LEN (EXPR_MESSAGE_LEN - 16) /* room for "column N: " */
#define LOWEST_PRECEDENCE 1

_Static_assert(EXPR_MAX_NODES < NO_CHILD, "expr: node indexes fit in 16 bits");
_Static_assert(EXPR_MAX_TEXT + 1 < UINT16_MAX, "expr: columns fit in 16 bits");
_Static_assert(WHY_LEN + sizeof("column 1025: ") <= EXPR_MESSAGE_LEN, "expr: reasons fit");

enum node_kind {
	NODE_NONE,
	NODE_NUMBER,
	NODE_VAR,
	NODE_NODE_COUNT,
	NODE_NEG,
	NODE_NOT,
	NODE_ABS,
	NODE_OR,
	NODE_AND,
	NODE_EQ,
	NODE_NE,
	NODE_LT,
	NODE_LE,
	NODE_GT,
	NODE_GE,
	NODE_ADD,
	NODE_SUB,
	NODE_MUL,
	NODE_DIV,
	NODE_MOD,
	NODE_MIN, /* min and max of 2+ arguments fold into chains of these */
	NODE_MAX,
	NODE_AVG, /* the aggregates, from here to the end */
	NODE_SUM,
	NODE_COUNT,
	NODE_POOL_MIN,
	NODE_POOL_MAX,
};

struct node {
	uint8_t kind;
	uint16_t column;
	uint16_t left; /* the only child of unary nodes and aggregates */
	uint16_t right;
	uint16_t slot; /* variable index, or an aggregate's memo slot */
	double number;
};

struct expr {
	enum expr_scope scope;
	size_t n_nodes;
	size_t n_vars;
	size_t n_aggregates;
	const char *names[EXPR_MAX_VARS]; /* point past the last node */
	struct node nodes[];
};

struct operator_info {
	const char *text;
	uint8_t binary; /* node kind, NODE_NONE if only unary */
	uint8_t precedence; /* 0 if only unary */
	uint8_t unary; /* node kind, NODE_NONE if only binary */
};

/* Two-character operators first: the lexer takes the first that matches. */
static const struct operator_info operators[] = {
	{ "||", NODE_OR, 1, NODE_NONE },
	{ "&&", NODE_AND, 2, NODE_NONE },
	{ "==", NODE_EQ, 3, NODE_NONE },
	{ "!=", NODE_NE, 3, NODE_NONE },
	{ "<=", NODE_LE, 4, NODE_NONE },
	{ ">=", NODE_GE, 4, NODE_NONE },
	{ "<", NODE_LT, 4, NODE_NONE },
	{ ">", NODE_GT, 4, NODE_NONE },
	{ "+", NODE_ADD, 5, NODE_NONE },
	{ "-", NODE_SUB, 5, NODE_NEG }, /* the only one that is both */
	{ "*", NODE_MUL, 6, NODE_NONE },
	{ "/", NODE_DIV, 6, NODE_NONE },
	{ "%", NODE_MOD, 6, NODE_NONE },
	{ "!", NODE_NONE, 0, NODE_NOT },
};

struct function {
	const char *name;
	uint8_t one; /* node for a single argument */
	uint8_t many; /* node folding 2+ arguments, NODE_NONE if one only */
};

static const struct function functions[] = {
	{ "min", NODE_POOL_MIN, NODE_MIN }, /* aggregate with one argument */
	{ "max", NODE_POOL_MAX, NODE_MAX }, /* aggregate with one argument */
	{ "abs", NODE_ABS, NODE_NONE }, /* per value, not an aggregate */
	{ "avg", NODE_AVG, NODE_NONE }, /* mean over the pool */
	{ "sum", NODE_SUM, NODE_NONE }, /* over the pool; 0 for no backends */
	{ "count", NODE_COUNT, NODE_NONE }, /* backends where it is non-zero */
};

enum token_kind {
	TOK_END,
	TOK_NUMBER,
	TOK_NAME,
	TOK_OPEN,
	TOK_CLOSE,
	TOK_COMMA,
	TOK_OPERATOR,
};

struct token {
	enum token_kind kind;
	size_t start; /* byte offset: the column is start + 1 */
	size_t len;
	const struct operator_info *op;
	double number;
};

/* A variable's first appearance in the text. */
struct var_ref {
	uint16_t start;
	uint16_t len;
};

struct parser {
	const char *text;
	size_t pos;
	struct token tok;
	enum expr_scope scope;
	expr_check_name_fn *check_name;
	void *ctx;
	struct expr_error *err;
	int depth;
	size_t n_nodes;
	size_t n_vars;
	size_t n_aggregates;
	size_t name_bytes;
	struct var_ref vars[EXPR_MAX_VARS];
	struct node nodes[EXPR_MAX_NODES];
};

static int vreport(struct expr_error *err, int code, size_t column, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static int report(struct expr_error *err, int code, size_t column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int parse_error(struct parser *p, size_t column, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vreport(struct expr_error *err, int code, size_t column, const char *fmt, va_list ap)
{
	int n = 0;

	if (!err)
		return code;
	err->column = (int)column;
	if (column)
		n = snprintf(err->message, sizeof(err->message), "column %zu: ", column);
	vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
	return code;
}

static int report(struct expr_error *err, int code, size_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(err, code, column, fmt, ap);
	va_end(ap);
	return code;
}

static int parse_error(struct parser *p, size_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p->err, -EINVAL, column, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

static bool is_aggregate(uint8_t kind)
{
	return kind >= NODE_AVG;
}

static size_t skip_digits(const char *s, size_t i)
{
	while (is_digit(s[i]))
		i++;
	return i;
}

/* The text is NUL-terminated and every scan stops at a NUL, so looking one
 * byte ahead never reads past it. */
static int lex_number(struct parser *p, size_t start)
{
	const char *s = p->text;
	char buf[MAX_NUMBER_TEXT + 1];
	size_t i = skip_digits(s, start), len;
	char *end;

	if (s[i] == '.') {
		if (!is_digit(s[++i]))
			return parse_error(p, i + 1, "expected a digit after '.'");
		i = skip_digits(s, i);
	}
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!is_digit(s[i]))
			return parse_error(p, i + 1, "expected a digit in the exponent");
		i = skip_digits(s, i);
	}
	len = i - start;
	if (len > MAX_NUMBER_TEXT)
		return parse_error(p, start + 1, "number longer than %d characters",
				   MAX_NUMBER_TEXT);
	memcpy(buf, s + start, len);
	buf[len] = '\0';
	/* The syntax is checked above, byte by byte; strtod only converts. A
	 * locale with another decimal point would show as a short read. */
	p->tok.number = strtod(buf, &end);
	if (end != buf + len)
		return parse_error(p, start + 1, "number %s not understood", buf);
	if (!isfinite(p->tok.number))
		return parse_error(p, start + 1, "number %s is too large", buf);
	p->tok.kind = TOK_NUMBER;
	p->tok.len = len;
	return 0;
}

/* Dots only between parts: "rx..bps" and "rx." are typos, not names. */
static int lex_name(struct parser *p, size_t start)
{
	const char *s = p->text;
	size_t i = start;

	for (;;) {
		while (is_name_char(s[i]))
			i++;
		if (s[i] != '.')
			break;
		if (!is_name_char(s[i + 1]))
			return parse_error(
				p, i + 1,
				"'.' in a name must be followed by a letter, a digit or '_'");
		i++;
	}
	if (i - start > EXPR_MAX_NAME)
		return parse_error(p, start + 1, "name longer than %d characters", EXPR_MAX_NAME);
	p->tok.kind = TOK_NAME;
	p->tok.len = i - start;
	return 0;
}

static int lex_operator(struct parser *p, size_t start)
{
	const char *s = p->text + start;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(operators); i++) {
		size_t len = strlen(operators[i].text);

		if (!strncmp(s, operators[i].text, len)) {
			p->tok.kind = TOK_OPERATOR;
			p->tok.op = &operators[i];
			p->tok.len = len;
			return 0;
		}
	}
	/* The usual slips from other languages get a hint. */
	if (*s == '=' || *s == '&' || *s == '|')
		return parse_error(p, start + 1, "'%c' is not an operator: use '%c%c'", *s, *s, *s);
	if (*s > ' ' && *s < 0x7f)
		return parse_error(p, start + 1, "unexpected character '%c'", *s);
	return parse_error(p, start + 1, "unexpected byte 0x%02x", (unsigned char)*s);
}

static int next_token(struct parser *p)
{
	const char *s = p->text;
	size_t i = p->pos;
	int ret = 0;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	p->tok.start = i;
	p->tok.len = 1;
	if (!s[i]) {
		p->tok.kind = TOK_END;
		p->tok.len = 0;
	} else if (s[i] == '(') {
		p->tok.kind = TOK_OPEN;
	} else if (s[i] == ')') {
		p->tok.kind = TOK_CLOSE;
	} else if (s[i] == ',') {
		p->tok.kind = TOK_COMMA;
	} else if (is_digit(s[i])) {
		ret = lex_number(p, i);
	} else if (is_name_start(s[i])) {
		ret = lex_name(p, i);
	} else {
		ret = lex_operator(p, i);
	}
	p->pos = i + p->tok.len;
	return ret;
}

static bool token_is(const struct parser *p, const struct token *tok, const char *word)
{
	return tok->len == strlen(word) && !memcmp(p->text + tok->start, word, tok->len);
}

static const struct function *find_function(const struct parser *p, const struct token *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(functions); i++)
		if (token_is(p, name, functions[i].name))
			return &functions[i];
	return NULL;
}

static int add_node(struct parser *p, uint8_t kind, size_t column, uint16_t left, uint16_t right,
		    uint16_t *index)
{
	if (p->n_nodes == EXPR_MAX_NODES)
		return parse_error(
			p, column,
			"expression too large: more than %d numbers, names and operators",
			EXPR_MAX_NODES);
	p->nodes[p->n_nodes] = (struct node){
		.kind = kind,
		.column = (uint16_t)column,
		.left = left,
		.right = right,
	};
	*index = (uint16_t)p->n_nodes++;
	return 0;
}

/* Parentheses, calls and unary operators are where the parser recurses:
 * counting them bounds the stack whatever the input. */
static int enter(struct parser *p, size_t column)
{
	if (++p->depth > EXPR_MAX_DEPTH)
		return parse_error(p, column, "nested more than %d levels deep", EXPR_MAX_DEPTH);
	return 0;
}

static int vet_name(struct parser *p, const struct token *name)
{
	char text[EXPR_MAX_NAME + 1];
	char why[WHY_LEN] = "";

	if (!p->check_name)
		return 0;
	memcpy(text, p->text + name->start, name->len);
	text[name->len] = '\0';
	if (!p->check_name(text, p->ctx, why, sizeof(why)))
		return 0;
	why[sizeof(why) - 1] = '\0'; /* in case the callback filled it all */
	if (!why[0])
		return parse_error(p, name->start + 1, "%s is not accepted", text);
	return parse_error(p, name->start + 1, "%s", why);
}

/* The variable's index, allotted on first appearance so that the order of
 * the matrix follows the text. */
static int find_var(struct parser *p, const struct token *name, uint16_t *slot)
{
	size_t i;

	for (i = 0; i < p->n_vars; i++) {
		if (p->vars[i].len == name->len &&
		    !memcmp(p->text + p->vars[i].start, p->text + name->start, name->len)) {
			*slot = (uint16_t)i;
			return 0;
		}
	}
	if (p->n_vars == EXPR_MAX_VARS)
		return parse_error(p, name->start + 1, "more than %d distinct variables",
				   EXPR_MAX_VARS);
	if (vet_name(p, name))
		return -EINVAL;
	p->vars[p->n_vars] = (struct var_ref){ (uint16_t)name->start, (uint16_t)name->len };
	p->name_bytes += name->len + 1;
	*slot = (uint16_t)p->n_vars++;
	return 0;
}

static int parse_binary(struct parser *p, int min_precedence, uint16_t *out);

static int parse_name(struct parser *p, const struct token *name, uint16_t *out)
{
	size_t column = name->start + 1;
	uint16_t slot = 0;

	if (find_function(p, name))
		return parse_error(p, column, "%.*s is a function: expected '(' after it",
				   (int)name->len, p->text + name->start);
	if (token_is(p, name, "nodeCount"))
		return add_node(p, NODE_NODE_COUNT, column, NO_CHILD, NO_CHILD, out);
	if (find_var(p, name, &slot) || add_node(p, NODE_VAR, column, NO_CHILD, NO_CHILD, out))
		return -EINVAL;
	p->nodes[*out].slot = slot;
	return 0;
}

/* Arguments after the first fold into f->many nodes as they come; *n is
 * how many there were. */
static int parse_arguments(struct parser *p, const struct function *f, size_t column, uint16_t *acc,
			   size_t *n)
{
	uint16_t arg;

	if (parse_binary(p, LOWEST_PRECEDENCE, acc))
		return -EINVAL;
	for (*n = 1; p->tok.kind == TOK_COMMA; (*n)++) {
		if (!f->many)
			return parse_error(p, column, "%s takes exactly one argument", f->name);
		if (*n == EXPR_MAX_ARGS)
			return parse_error(p, column, "%s takes at most %d arguments", f->name,
					   EXPR_MAX_ARGS);
		if (next_token(p) || parse_binary(p, LOWEST_PRECEDENCE, &arg) ||
		    add_node(p, f->many, column, *acc, arg, acc))
			return -EINVAL;
	}
	return 0;
}

static int parse_call(struct parser *p, const struct token *name, uint16_t *out)
{
	const struct function *f = find_function(p, name);
	size_t column = name->start + 1, open = p->tok.start + 1, n;
	uint16_t acc;

	if (!f)
		return parse_error(p, column, "unknown function '%.*s'", (int)name->len,
				   p->text + name->start);
	if (enter(p, open) || next_token(p))
		return -EINVAL;
	if (p->tok.kind == TOK_CLOSE)
		return parse_error(p, column, "%s needs at least one argument", f->name);
	if (parse_arguments(p, f, column, &acc, &n))
		return -EINVAL;
	if (p->tok.kind != TOK_CLOSE)
		return parse_error(p, p->tok.start + 1, "expected %s')' to close '(' of column %zu",
				   f->many ? "',' or " : "", open);
	p->depth--;
	if (n > 1) {
		*out = acc;
	} else {
		if (add_node(p, f->one, column, acc, NO_CHILD, out))
			return -EINVAL;
		if (is_aggregate(f->one))
			p->nodes[*out].slot = (uint16_t)p->n_aggregates++;
	}
	return next_token(p);
}

static int parse_group(struct parser *p, uint16_t *out)
{
	size_t open = p->tok.start + 1;

	if (enter(p, open) || next_token(p) || parse_binary(p, LOWEST_PRECEDENCE, out))
		return -EINVAL;
	if (p->tok.kind != TOK_CLOSE)
		return parse_error(p, p->tok.start + 1, "expected ')' to close '(' of column %zu",
				   open);
	p->depth--;
	return next_token(p);
}

static int parse_primary(struct parser *p, uint16_t *out)
{
	struct token tok = p->tok;

	switch (tok.kind) {
	case TOK_NUMBER:
		if (add_node(p, NODE_NUMBER, tok.start + 1, NO_CHILD, NO_CHILD, out))
			return -EINVAL;
		p->nodes[*out].number = tok.number;
		return next_token(p);
	case TOK_NAME:
		if (next_token(p))
			return -EINVAL;
		if (p->tok.kind == TOK_OPEN)
			return parse_call(p, &tok, out);
		return parse_name(p, &tok, out);
	case TOK_OPEN:
		return parse_group(p, out);
	default:
		return parse_error(p, tok.start + 1,
				   "expected a number, a variable, '(' or a function");
	}
}

static int parse_unary(struct parser *p, uint16_t *out)
{
	const struct operator_info *op = p->tok.op;
	size_t column = p->tok.start + 1;
	uint16_t operand;

	if (p->tok.kind != TOK_OPERATOR || op->unary == NODE_NONE)
		return parse_primary(p, out);
	if (enter(p, column) || next_token(p) || parse_unary(p, &operand))
		return -EINVAL;
	p->depth--;
	return add_node(p, op->unary, column, operand, NO_CHILD, out);
}

/* Precedence climbing: the right operand only takes operators that bind
 * tighter, which makes every binary operator associate left. Each nested
 * call raises min_precedence, so this recursion is at most 6 deep per
 * level counted by enter(). */
static int parse_binary(struct parser *p, int min_precedence, uint16_t *out)
{
	uint16_t left, right;

	if (parse_unary(p, &left))
		return -EINVAL;
	while (p->tok.kind == TOK_OPERATOR && p->tok.op->precedence &&
	       p->tok.op->precedence >= min_precedence) {
		const struct operator_info *op = p->tok.op;
		size_t column = p->tok.start + 1;

		if (next_token(p) || parse_binary(p, op->precedence + 1, &right) ||
		    add_node(p, op->binary, column, left, right, &left))
			return -EINVAL;
	}
	*out = left;
	return 0;
}

/* In pool scope a name must sit inside an aggregate. Known only once a
 * call's arguments are counted (min(x) vs min(x, 1)), so checked on the
 * finished tree: parents first, handing "inside" down to their children. */
static int check_scope(struct parser *p)
{
	bool inside[EXPR_MAX_NODES] = { false };
	size_t i, bare = SIZE_MAX;

	if (p->scope != EXPR_POOL)
		return 0;
	for (i = p->n_nodes; i-- > 0;) {
		const struct node *n = &p->nodes[i];
		bool in = inside[i] || is_aggregate(n->kind);

		if (n->left != NO_CHILD)
			inside[n->left] = in;
		if (n->right != NO_CHILD)
			inside[n->right] = in;
		/* leaves are stored in text order: the lowest index is leftmost */
		if (n->kind == NODE_VAR && !inside[i])
			bare = i;
	}
	if (bare == SIZE_MAX)
		return 0;
	return parse_error(p, p->nodes[bare].column,
			   "%.*s is a backend's value: use it inside avg, min, max, sum or count",
			   (int)p->vars[p->nodes[bare].slot].len,
			   p->text + p->vars[p->nodes[bare].slot].start);
}

/* One block: the header, the nodes, then the names' bytes. */
static struct expr *build(const struct parser *p)
{
	size_t size = sizeof(struct expr) + p->n_nodes * sizeof(struct node) + p->name_bytes;
	struct expr *e = malloc(size);
	char *names;
	size_t i;

	if (!e)
		return NULL;
	e->scope = p->scope;
	e->n_nodes = p->n_nodes;
	e->n_vars = p->n_vars;
	e->n_aggregates = p->n_aggregates;
	memcpy(e->nodes, p->nodes, p->n_nodes * sizeof(struct node));
	names = (char *)(e->nodes + p->n_nodes);
	for (i = 0; i < p->n_vars; i++) {
		memcpy(names, p->text + p->vars[i].start, p->vars[i].len);
		names[p->vars[i].len] = '\0';
		e->names[i] = names;
		names += p->vars[i].len + 1;
	}
	return e;
}

static int parse(struct parser *p)
{
	uint16_t root;

	if (next_token(p))
		return -EINVAL;
	if (p->tok.kind == TOK_END)
		return parse_error(p, 1, "the expression is empty");
	if (parse_binary(p, LOWEST_PRECEDENCE, &root))
		return -EINVAL;
	if (p->tok.kind != TOK_END)
		return parse_error(p, p->tok.start + 1, "unexpected '%.*s' after the expression",
				   (int)(p->tok.len < SHOWN_TOKEN ? p->tok.len : SHOWN_TOKEN),
				   p->text + p->tok.start);
	return check_scope(p);
}

int expr_compile(const char *text, enum expr_scope scope, expr_check_name_fn *check_name, void *ctx,
		 struct expr **out, struct expr_error *err)
{
	struct parser p = {
		.text = text,
		.scope = scope,
		.check_name = check_name,
		.ctx = ctx,
		.err = err,
	};
	struct expr *e;

	if (!text || !out || (scope != EXPR_BACKEND && scope != EXPR_POOL))
		return report(err, -EINVAL, 0, "expr_compile: missing text, output or scope");
	/* strnlen: a huge text is refused without being read to its end */
	if (strnlen(text, EXPR_MAX_TEXT + 1) > EXPR_MAX_TEXT)
		return report(err, -EINVAL, EXPR_MAX_TEXT + 1,
			      "expression longer than %d characters", EXPR_MAX_TEXT);
	if (parse(&p))
		return -EINVAL;
	e = build(&p);
	if (!e)
		return report(err, -ENOMEM, 0, "out of memory for the compiled expression");
	*out = e;
	return 0;
}

void expr_free(struct expr *e)
{
	free(e);
}

size_t expr_var_count(const struct expr *e)
{
	return e ? e->n_vars : 0;
}

const char *expr_var_name(const struct expr *e, size_t i)
{
	return e && i < e->n_vars ? e->names[i] : NULL;
}

struct eval {
	const struct expr *e;
	const struct expr_pool *pool;
	struct expr_error *err;
	bool done[MAX_AGGREGATES];
	double memo[MAX_AGGREGATES];
};

static int eval_node(struct eval *s, uint16_t index, size_t backend, double *out);

static const char *function_name(uint8_t kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(functions); i++)
		if (functions[i].one == kind || functions[i].many == kind)
			return functions[i].name;
	return "?";
}

static int eval_var(struct eval *s, const struct node *n, size_t backend, double *out)
{
	const struct expr_pool *pool = s->pool;
	size_t cell = backend * pool->n_vars + n->slot;
	const char *name = s->e->names[n->slot];

	if (!pool->present[cell])
		return report(s->err, -ENODATA, n->column, "%s not known for backend %zu", name,
			      backend);
	if (!isfinite(pool->values[cell]))
		return report(s->err, -EDOM, n->column, "%s is not a finite number for backend %zu",
			      name, backend);
	*out = pool->values[cell];
	return 0;
}

static int eval_unary(struct eval *s, const struct node *n, size_t backend, double *out)
{
	double v;
	int ret = eval_node(s, n->left, backend, &v);

	if (ret)
		return ret;
	if (n->kind == NODE_NEG)
		*out = -v;
	else if (n->kind == NODE_NOT)
		*out = v == 0;
	else
		*out = fabs(v);
	return 0;
}

/* When the left side decides, the right one is not evaluated at all, so
 * its errors do not count: 1 || 1 / 0 is 1. */
static int eval_logic(struct eval *s, const struct node *n, size_t backend, double *out)
{
	double left, right;
	int ret = eval_node(s, n->left, backend, &left);

	if (ret)
		return ret;
	if ((n->kind == NODE_OR) == (left != 0)) {
		*out = left != 0;
		return 0;
	}
	ret = eval_node(s, n->right, backend, &right);
	if (ret)
		return ret;
	*out = right != 0;
	return 0;
}

static double apply(uint8_t kind, double a, double b)
{
	switch (kind) {
	case NODE_EQ:
		return a == b;
	case NODE_NE:
		return a != b;
	case NODE_LT:
		return a < b;
	case NODE_LE:
		return a <= b;
	case NODE_GT:
		return a > b;
	case NODE_GE:
		return a >= b;
	case NODE_ADD:
		return a + b;
	case NODE_SUB:
		return a - b;
	case NODE_MUL:
		return a * b;
	case NODE_DIV:
		return a / b;
	case NODE_MOD:
		return fmod(a, b);
	case NODE_MIN:
		return a < b ? a : b;
	default: /* NODE_MAX */
		return a > b ? a : b;
	}
}

static int eval_binary(struct eval *s, const struct node *n, size_t backend, double *out)
{
	double a, b;
	int ret = eval_node(s, n->left, backend, &a);

	if (!ret)
		ret = eval_node(s, n->right, backend, &b);
	if (ret)
		return ret;
	if ((n->kind == NODE_DIV || n->kind == NODE_MOD) && b == 0)
		return report(s->err, -EDOM, n->column, "division by zero");
	*out = apply(n->kind, a, b);
	return 0;
}

static double accumulate(uint8_t kind, double acc, double v, bool first)
{
	switch (kind) {
	case NODE_POOL_MIN:
		return first || v < acc ? v : acc;
	case NODE_POOL_MAX:
		return first || v > acc ? v : acc;
	case NODE_COUNT:
		return acc + (v != 0);
	default: /* NODE_SUM, NODE_AVG */
		return acc + v;
	}
}

/* An aggregate visits every backend whichever is current, so it has one
 * value per evaluation: remembering it keeps nested aggregates linear in
 * the pool instead of a power of it. */
static int eval_aggregate(struct eval *s, const struct node *n, double *out)
{
	size_t b, count = s->pool->n_backends;
	double acc = 0, v;
	int ret;

	if (s->done[n->slot]) {
		*out = s->memo[n->slot];
		return 0;
	}
	if (!count && n->kind != NODE_SUM && n->kind != NODE_COUNT)
		return report(s->err, -EDOM, n->column, "%s over a pool without backends",
			      function_name(n->kind));
	for (b = 0; b < count; b++) {
		ret = eval_node(s, n->left, b, &v);
		if (ret)
			return ret;
		acc = accumulate(n->kind, acc, v, b == 0);
	}
	if (n->kind == NODE_AVG)
		acc /= (double)count;
	s->memo[n->slot] = acc;
	s->done[n->slot] = true;
	*out = acc;
	return 0;
}

/* Recursion follows the tree, whose height is below EXPR_MAX_NODES. */
static int eval_node(struct eval *s, uint16_t index, size_t backend, double *out)
{
	const struct node *n = &s->e->nodes[index];
	double v = 0;
	int ret = 0;

	if (n->kind == NODE_NUMBER)
		v = n->number;
	else if (n->kind == NODE_NODE_COUNT)
		v = (double)s->pool->n_backends;
	else if (n->kind == NODE_VAR)
		ret = eval_var(s, n, backend, &v);
	else if (n->kind == NODE_NEG || n->kind == NODE_NOT || n->kind == NODE_ABS)
		ret = eval_unary(s, n, backend, &v);
	else if (n->kind == NODE_AND || n->kind == NODE_OR)
		ret = eval_logic(s, n, backend, &v);
	else if (is_aggregate(n->kind))
		ret = eval_aggregate(s, n, &v);
	else
		ret = eval_binary(s, n, backend, &v);
	if (ret)
		return ret;
	/* From finite operands only an overflow gets here (0 / 0 and x % 0 are
	 * caught above); report it where it happened. */
	if (!isfinite(v))
		return report(s->err, -EDOM, n->column, "the result is too large");
	*out = v;
	return 0;
}

static int check_pool(const struct expr *e, const struct expr_pool *pool, size_t backend,
		      const double *out, struct expr_error *err)
{
	if (!e || !pool || !out)
		return report(err, -EINVAL, 0, "expr_eval: missing expression, pool or output");
	if (pool->n_vars != e->n_vars)
		return report(err, -EINVAL, 0,
			      "the pool has %zu variables per backend, the expression reads %zu",
			      pool->n_vars, e->n_vars);
	if (pool->n_vars && pool->n_backends > SIZE_MAX / pool->n_vars)
		return report(err, -EINVAL, 0, "the pool's matrix is too large");
	if (pool->n_vars && pool->n_backends && (!pool->values || !pool->present))
		return report(err, -EINVAL, 0, "the pool has no values");
	if (e->scope == EXPR_BACKEND && backend >= pool->n_backends)
		return report(err, -EINVAL, 0, "backend %zu is not in the pool of %zu", backend,
			      pool->n_backends);
	return 0;
}

/* An aggregate's value does not depend on the backend being evaluated
 * (its names are those of the backends it visits), so one memo serves
 * the whole pool. */
int expr_eval_each(const struct expr *e, const struct expr_pool *pool, expr_each_fn *each,
		   void *ctx)
{
	struct expr_error err;
	struct eval s;
	double v = 0;
	size_t b;
	int ret;

	if (!each || !pool || !pool->n_backends)
		return each && e && pool && pool->n_vars == e->n_vars ? 0 : -EINVAL;
	ret = check_pool(e, pool, 0, &v, NULL);
	if (ret)
		return ret;
	s.e = e;
	s.pool = pool;
	s.err = &err;
	memset(s.done, 0, sizeof(s.done));
	for (b = 0; b < pool->n_backends; b++) {
		ret = eval_node(&s, (uint16_t)(e->n_nodes - 1), b, &v);
		each(ctx, b, ret, v, &err);
	}
	return 0;
}

int expr_eval(const struct expr *e, const struct expr_pool *pool, size_t backend, double *out,
	      struct expr_error *err)
{
	struct eval s;
	double v;
	int ret = check_pool(e, pool, backend, out, err);

	if (ret)
		return ret;
	s.e = e;
	s.pool = pool;
	s.err = err;
	memset(s.done, 0, sizeof(s.done));
	/* In pool scope no name is read outside an aggregate, so the backend
	 * passed down is never used there. */
	ret = eval_node(&s, (uint16_t)(e->n_nodes - 1), backend, &v);
	if (ret)
		return ret;
	*out = v;
	return 0;
}
