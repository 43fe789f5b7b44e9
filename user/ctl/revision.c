// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The source revision this binary was built from: `git describe --always
 * --dirty` at build time, or "unknown" outside a git tree. The Makefile
 * rewrites weir_revision.h only when it changes, so only this file is
 * rebuilt. */
#include "ctl/ctl.h"
#include "weir_revision.h"

const char weir_revision[] = WEIR_REVISION;
