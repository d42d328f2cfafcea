/* cmd_spec.c: placeholder until the command lands. */
#include <stdio.h>
#include "cli/cli.h"
#include "oracles/verdict.h"
int hcf_cmd_spec(int argc, char **argv)
{
	fprintf(stderr, "hcfuzz: spec: unavailable in this build\n");
	return HCF_EXIT_USAGE;
}
