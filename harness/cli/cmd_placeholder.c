/* cmd_placeholder.c: development scaffolding; each command moves to its own file. */
#include <stdio.h>
#include "cli/cli.h"
#include "oracles/verdict.h"
int hcf_cmd_spec(int argc, char **argv) { fprintf(stderr, "hcfuzz: spec: unavailable in this build\n"); return HCF_EXIT_USAGE; }
int hcf_cmd_conform(int argc, char **argv) { fprintf(stderr, "hcfuzz: conform: unavailable in this build\n"); return HCF_EXIT_USAGE; }
int hcf_cmd_run(int argc, char **argv) { fprintf(stderr, "hcfuzz: run: unavailable in this build\n"); return HCF_EXIT_USAGE; }
