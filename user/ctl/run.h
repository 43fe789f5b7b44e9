/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef WEIR_RUN_H
#define WEIR_RUN_H

/* `weir run ...`: argv[0] is "run". Returns the process exit code. */
int run_main(int argc, char **argv);

#endif
