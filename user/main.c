// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One binary: `weir run` is the controller, anything else the CLI. */
#include <string.h>

#include "cli/cli.h"
#include "ctl/run.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	return cli_main(argc, argv);
}
