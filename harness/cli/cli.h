/*
 * cli.h: the hcfuzz command table and helpers shared by commands.
 *
 * Each command is a row: name, one-line summary, entry point. An entry point
 * parses its own options (getopt_long), answers --help with its usage on
 * stdout and exit 0, and returns a process exit code (oracles/verdict.h).
 */
#ifndef HCF_CLI_H
#define HCF_CLI_H

#include <stdio.h>

#include "spec/spec.h"
#include "util/status.h"

struct hcf_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);  /* argv[0] is the command name */
};

extern const struct hcf_command hcf_cmds[];
extern const char hcf_version[];

int hcf_cmd_spec(int argc, char **argv);
int hcf_cmd_conform(int argc, char **argv);
int hcf_cmd_run(int argc, char **argv);
int hcf_cmd_fuzz(int argc, char **argv);
int hcf_cmd_minimize(int argc, char **argv);
int hcf_cmd_repro(int argc, char **argv);
int hcf_cmd_replay(int argc, char **argv);
int hcf_cmd_diff(int argc, char **argv);
int hcf_cmd_learn(int argc, char **argv);
int hcf_cmd_report(int argc, char **argv);
int hcf_cmd_decode(int argc, char **argv);
int hcf_cmd_encode(int argc, char **argv);
int hcf_cmd_seeds(int argc, char **argv);
int hcf_cmd_detect(int argc, char **argv);
int hcf_cmd_targets(int argc, char **argv);

/* Load a spec, printing diagnostics to stderr. Returns 0, or HCF_EXIT_USAGE. */
int hcf_cli_load_spec(const char *path, struct hcf_abi **abi);


/* Find specs/NAME.yaml: $HCF_SPEC_DIR, next to the binary (build tree or
 * install), ./specs. Returns 0 with the path in out, or -1. */
int hcf_cli_find_spec(const char *name, char *out, size_t len);

/* "hcfuzz CMD: " prefixed error to stderr. */
void hcf_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* HCF_CLI_H */
