// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: config_parse() on any bytes. A document it accepts is emitted
 * (what `weir config dump` prints) and the emitted text parsed again: it
 * must parse, hold the same values field by field, pass config_check()
 * exactly when the original did, and emit the same text, since a dump has
 * to load back unchanged. A deep copy emits
 * the same text too. Any difference abort()s with both texts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "common/same_config.h"

static void fail(const char *what, const char *err, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n--- first emit:\n%s\n--- second:\n%s\n", what,
		err ? ": " : "", err ? err : "", a ? a : "(none)", b ? b : "(none)");
	abort();
}

static char *emit_or_die(const struct weir_config *cfg)
{
	char *text = NULL;

	/* config_emit fails only when out of memory */
	if (config_emit(cfg, &text) || !text)
		fail("config_emit failed", NULL, NULL, NULL);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weir_config cfg, again, copy;
	char err[WEIR_ERR_MAX], check_err[WEIR_ERR_MAX];
	char *first, *second;
	const char *field;
	int checked;

	if (config_parse((const char *)data, size, &cfg, err, sizeof(err))) {
		/* a refusal always says why */
		if (!err[0])
			fail("refused without a message", NULL, NULL, NULL);
		return 0;
	}
	checked = config_check(&cfg, check_err, sizeof(check_err));
	first = emit_or_die(&cfg);
	if (config_copy(&copy, &cfg))
		fail("config_copy failed", NULL, first, NULL);
	second = emit_or_die(&copy);
	if (strcmp(first, second))
		fail("a copy emits other text", NULL, first, second);
	free(second);
	config_free(&copy);

	if (config_parse(first, strlen(first), &again, err, sizeof(err)))
		fail("the emitted text does not parse", err, first, NULL);
	field = same_config(&cfg, &again);
	if (field)
		fail("the round trip changed a value", field, first, NULL);
	if ((config_check(&again, err, sizeof(err)) == 0) != (checked == 0))
		fail("config_check differs after the round trip", checked ? check_err : err, first,
		     NULL);
	second = emit_or_die(&again);
	if (strcmp(first, second))
		fail("the round trip emits other text", NULL, first, second);
	free(first);
	free(second);
	config_free(&cfg);
	config_free(&again);
	return 0;
}
