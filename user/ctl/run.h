/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_RUN_H
#define WEIR_RUN_H

#include <getopt.h>

/* Its options and usage text, also read by the CLI's completion and the
 * manual page's generator. */
extern const struct option run_options[];
extern const char run_usage[];

/* `weir run ...`: argv[0] is "run". Returns the process exit code. */
int run_main(int argc, char **argv);

#endif
