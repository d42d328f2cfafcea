/*
 * cli_target.h: the target options every running command shares.
 *
 * --target, --watchdog, --timing, --vec, --agent, --batch, --target-opt,
 * --transport and
 * the kvm target's switches (--responder and the PVM/KVM ones, which become
 * its parameters), parsed in one place; and opening the target, with the spec
 * picked from what the target detects when the user gave none.
 */
#ifndef HCF_CLI_TARGET_H
#define HCF_CLI_TARGET_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "target/target.h"

struct hcf_cli_target {
	const char *name;              /* "kvm", "model" */
	struct hcf_target_opts opts;   /* its params point into param_store */
	char param_store[HCF_TARGET_MAX_PARAMS][128];
	size_t batch;                  /* calls per mailbox batch (0: default) */
	const char *transport;         /* --transport: one of the spec's list, or NULL */
};

void hcf_cli_target_defaults(struct hcf_cli_target *t);
/* The option lines for a command's --help. */
const char *hcf_cli_target_usage(void);
/* Append the target options to lopts at index `at` (room for 13 more plus the
 * terminating zero entry is the caller's to provide). */
void hcf_cli_target_options(struct option *lopts, size_t at);
/* Handle option ch if it is a target option: 0 handled, 1 not ours; on a bad
 * value prints an error and returns -1. */
int hcf_cli_target_option(struct hcf_cli_target *t, int ch, const char *arg, const char *cmd);

/* dst = src, its parameters pointing into dst's own storage. */
void hcf_cli_target_copy(struct hcf_cli_target *dst, const struct hcf_cli_target *src);
/* One target parameter "key" or "key=value", as --target-opt gives it. 0, or
 * -1 having printed why. */
int hcf_cli_target_param(struct hcf_cli_target *t, const char *kv, const char *cmd);

/* Load spec with the transport --transport chose (or its first). Returns
 * HCF_EXIT_PASS, or the exit code to return, having printed why. */
int hcf_cli_load_spec_for(const struct hcf_cli_target *t, const char *spec, const char *cmd,
			  struct hcf_abi **abi);

/*
 * Load spec (or detect it when spec is NULL) and open the target for it.
 * Returns HCF_EXIT_PASS, or the exit code to return (usage for a bad spec,
 * error when the target cannot be opened), having printed why.
 */
int hcf_cli_open_target(struct hcf_cli_target *t, const char *spec, const char *cmd,
			struct hcf_abi **abi, struct hcf_target **target, bool quiet);

/* A target with consoles (QEMU's, Xen's, a guest kernel's): all its boots'
 * output to DIR/console.log, the run's record of what the hypervisor said;
 * says where unless quiet. Nothing for targets without one. */
void hcf_cli_save_console(struct hcf_target *t, const char *dir, const char *cmd, bool quiet);

/* Parse a decimal or 0x-hex unsigned 64-bit number. */
int hcf_cli_parse_u64(const char *s, uint64_t *v);

#endif /* HCF_CLI_TARGET_H */
