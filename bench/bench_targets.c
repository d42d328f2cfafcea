/*
 * bench_targets.c: the external targets' boot and call rate, each against a
 * raw loop of the same call in the same guest.
 *
 *   bench_targets [ROUNDS] [CASE...]     cases: qemu-pc qemu-microvm kvm-nested xen-pvh
 *                                        xen-pv xen-pv-syscall solo5
 *
 * Per case, measured in one run:
 *   boot     opening the target: the hypervisor started, the agent booted,
 *            READY and one empty command: boot to first call;
 *   raw      the agent issues the call in a bare loop: the ceiling;
 *   hcfuzz   the run path: mailbox, capture, validation, oracles;
 *   empty    one command without calls: the channel's round trip.
 * Medians, and the ratio hcfuzz/raw. The qemu cases call
 * tests/fixtures/responder.yaml's ping (an `out` to a port no QEMU device
 * claims, the cheapest exit a TCG guest makes); kvm-nested calls
 * KVM_HC_SEND_IPI with an empty bitmap (a vmmcall that reaches KVM's
 * dispatcher and changes nothing); the Xen cases call xen_version.version
 * (XENVER_version): xen-pvh through vmmcall, xen-pv through the hypercall
 * page, xen-pv-syscall through a raw syscall; solo5 calls HVT_HYPERCALL_WALLTIME
 * with its struct in the arena (the tender the build made: ninja -C build
 * solo5). Nested KVM boots once (about 8 s);
 * the others ROUNDS times. QEMU comes from HCF_QEMU or the build's cache
 * (ninja -C build qemu), the kernel from the build's cache (ninja -C build
 * linux); a case whose target cannot run here prints SKIP with the reason.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_stats.h"
#include "exec/judged.h"
#include "exec/targets.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/clock.h"

struct bench_case {
	const char *name;
	const char *target;
	const char *param;       /* one target parameter, or NULL */
	const char *spec;        /* under the source tree */
	const char *transport;   /* one of the spec's list, or NULL: its first */
	const char *call;
	unsigned reg;            /* set to value in every call */
	uint64_t value;
	bool boot_once;          /* too slow to boot ROUNDS times */
	size_t calls;            /* per program */
};

#define XEN_SPEC "specs/xen.yaml"

static const struct bench_case cases[] = {
	{ "qemu-pc", "qemu", "machine=pc", "tests/fixtures/responder.yaml", NULL, "ping", HCF_RAX, 1,
	  false, 4096 },
	{ "qemu-microvm", "qemu", "machine=microvm", "tests/fixtures/responder.yaml", NULL, "ping",
	  HCF_RAX, 1, false, 4096 },
	{ "kvm-nested", "kvm-nested", NULL, "specs/kvm.yaml", NULL, "KVM_HC_SEND_IPI", HCF_RBX, 0, true,
	  1024 },
	{ "xen-pvh", "xen-pvh", NULL, XEN_SPEC, "native", "xen_version.version", HCF_RSI, 0, false, 4096 },
	{ "xen-pv", "xen-pv", NULL, XEN_SPEC, "hypercall_page", "xen_version.version", HCF_RSI, 0, false,
	  4096 },
	{ "xen-pv-syscall", "xen-pv", NULL, XEN_SPEC, "syscall", "xen_version.version", HCF_RSI, 0, false,
	  4096 },
	{ "solo5", "solo5", NULL, "specs/solo5-hvt.yaml", NULL, "WALLTIME", HCF_RAX, 0x700000, false,
	  4096 },
};

/* 0 measured, 77 skipped, 1 failed. */
static int bench(const struct bench_case *bc, const char *src, int rounds)
{
	char path[4096], err[1024];
	snprintf(path, sizeof(path), "%s/%s", src, bc->spec);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		return 1;
	}
	if (bc->transport && hcf_spec_use_transport(abi, bc->transport, err, sizeof(err)) != 0) {
		printf("FAIL %s: %s\n", bc->name, err);
		hcf_spec_free(abi);
		return 1;
	}
	struct hcf_target_opts o = { 0 };
	if (bc->param)
		o.params[o.nparams++] = bc->param;
	const struct hcf_target_ops *ops = hcf_target_find(bc->target);
	if (ops && ops->available && ops->available(&o, err, sizeof(err)) != 0) {
		printf("SKIP %s: %s\n", bc->name, err);
		hcf_spec_free(abi);
		return 77;
	}
	struct hcf_target *t = NULL;
	int boots = bc->boot_once ? 1 : rounds;
	double boot[99];
	for (int k = 0; k < boots; k++) {
		double t0 = hcf_now_s();
		if (hcf_target_open(bc->target, &t, abi, &o, err, sizeof(err)) != 0) {
			printf("FAIL %s: %s\n", bc->name, err);
			hcf_spec_free(abi);
			return 1;
		}
		boot[k] = hcf_now_s() - t0;
		if (k + 1 < boots)
			hcf_target_close(t);
	}
	const struct hcf_op *op = hcf_spec_op_by_name(abi, bc->call);
	if (!op) {
		printf("FAIL %s: no op %s in %s\n", bc->name, bc->call, bc->spec);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return 1;
	}
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < bc->calls; i++) {
		struct hcf_pcall *c = hcf_prog_add_call(&p, (int)(op - abi->ops), op->nr);
		hcf_pcall_set(c, bc->reg, bc->value);
	}
	struct hcf_judged j;
	hcf_judged_init(&j);
	double raw[99], har[99], emp[99], s;
	int rc = 0;
	t->ops->raw_loop(t, &p, bc->calls, &s);
	hcf_run_judged(t, NULL, &p, HCF_RUN_AS_IS, NULL, &j);
	for (int k = 0; k < rounds && rc == 0; k++) {
		double t0 = hcf_now_s();
		hcf_run_judged(t, NULL, &p, HCF_RUN_AS_IS, NULL, &j);
		har[k] = hcf_now_s() - t0;
		if (t->ops->raw_loop(t, &p, bc->calls, &raw[k]) != 0 || j.target_failed ||
		    j.res.ndone != bc->calls || t->ops->empty_round_trip(t, &emp[k]) != 0) {
			printf("FAIL %s: a run failed: %s\n", bc->name, j.res.detail);
			rc = 1;
		}
	}
	if (rc == 0) {
		double mb = bench_median(boot, boots), mr = bench_median(raw, rounds),
		       mh = bench_median(har, rounds), me = bench_median(emp, rounds);
		double n = (double)bc->calls;
		printf("%s: %zu calls of %s, median of %d rounds (boot: %d)\n  %s\n", bc->name, bc->calls,
		       bc->call, rounds, boots, t->ops->info(t)->notes);
		printf("  boot to first call      %10.3f s\n", mb);
		printf("  raw loop in the guest   %10.0f calls/s  %9.3f us/call\n", n / mr, mr / n * 1e6);
		printf("  hcfuzz run path         %10.0f calls/s  %9.3f us/call  (verdict %s)\n", n / mh,
		       mh / n * 1e6, hcf_verdict_name(j.worst));
		printf("  ratio hcfuzz/raw        %10.3f\n", mr / mh);
		printf("  empty round trip        %10.1f us\n", me * 1e6);
	}
	hcf_judged_free(&j);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
	return rc;
}

int main(int argc, char **argv)
{
	const char *src = getenv("HCF_SOURCE_DIR") ? getenv("HCF_SOURCE_DIR") : ".";
	int rounds = 7, first = 1;
	if (argc > 1 && atoi(argv[1]) > 0) {
		rounds = atoi(argv[1]);
		first = 2;
	}
	if (rounds > 99)
		rounds = 99;
	int worst = 0, ran = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool wanted = first >= argc;
		for (int a = first; a < argc; a++)
			wanted |= !strcmp(argv[a], cases[i].name);
		if (!wanted)
			continue;
		int rc = bench(&cases[i], src, rounds);
		ran += rc == 0;
		if (rc == 1)
			worst = 1;
	}
	return worst ? 1 : ran ? 0 : 77;
}
