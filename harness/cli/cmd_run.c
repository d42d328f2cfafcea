/* cmd_run.c: placeholder until the command lands. */
#include <stdio.h>
#include "cli/cli.h"
#include "oracles/verdict.h"
int hcf_cmd_run(int argc, char **argv)
{
	fprintf(stderr, "hcfuzz: run: unavailable in this build\n");
	return HCF_EXIT_USAGE;
}
