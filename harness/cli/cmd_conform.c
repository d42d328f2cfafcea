/* cmd_conform.c: placeholder until the command lands. */
#include <stdio.h>
#include "cli/cli.h"
#include "oracles/verdict.h"
int hcf_cmd_conform(int argc, char **argv)
{
	fprintf(stderr, "hcfuzz: conform: unavailable in this build\n");
	return HCF_EXIT_USAGE;
}
