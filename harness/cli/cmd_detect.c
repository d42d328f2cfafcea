/*
 * cmd_detect.c: "hcfuzz detect": what hypervisor is behind the target, and
 * which spec of specs/ describes it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/targets.h"
#include "oracles/verdict.h"
#include "target/target.h"

int hcf_cmd_detect(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: hcfuzz detect\n\n"
		       "Boot the agent on /dev/kvm and print what it found: the hypervisor (first\n"
		       "word of the first line: pvm, kvm or unknown), the matching spec if there is\n"
		       "one, and the target's notes.\n\n"
		       "exit codes: 0 detected, 4 /dev/kvm is not usable\n");
		return HCF_EXIT_PASS;
	}
	struct hcf_target *t = NULL;
	struct hcf_target_opts o = { 0 };
	char err[512];
	if (hcf_target_open("kvm", &t, NULL, &o, err, sizeof(err)) != 0) {
		hcf_cli_error("detect", "%s", err);
		return HCF_EXIT_ERROR;
	}
	const struct hcf_target_info *ti = t->ops->info(t);
	char spec[4096];
	bool have = hcf_cli_find_spec(ti->hypervisor, spec, sizeof(spec)) == 0;
	printf("%s %s\n%s\n", ti->hypervisor, have ? spec : "(no spec)", ti->notes);
	hcf_target_close(t);
	return HCF_EXIT_PASS;
}
