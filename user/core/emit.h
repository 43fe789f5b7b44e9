/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growing text buffer for the documents weir writes (config dump, the
 * metrics page). Pure. */
#ifndef WEIR_EMIT_H
#define WEIR_EMIT_H

#include <stdbool.h>
#include <stddef.h>

struct emit_buf {
	char *data; /* malloc'd, NUL-terminated once anything was written */
	size_t len, cap;
	bool failed; /* out of memory: later writes do nothing */
};

/* Appends printf-style; on failure sets b->failed and keeps what it had. */
void emit(struct emit_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n bytes of s. */
void emit_bytes(struct emit_buf *b, const char *s, size_t n);

#endif
