/*
 * repro.h: a finding as a standalone C program ("hcfuzz repro").
 *
 * The program needs only libc and /dev/kvm: it builds a VM laid out like
 * hcfuzz's own (memory, page tables, GDT, CPUID, KVM quirks), runs guest code
 * generated for the finding's program (machine code in a commented C array,
 * no assembler needed), and checks the one thing the finding's signature
 * names: the register, flag, exception, return value, model prediction,
 * memory bytes or liveness of the call. It exits 0 when the hypervisor keeps
 * the contract, 1 when the finding still reproduces, 2 on a setup error (no
 * usable /dev/kvm) and 3 when the guest never got to the call. docs/repro.md
 * describes the program; reports/repro_c.c writes it.
 */
#ifndef HCF_REPRO_H
#define HCF_REPRO_H

#include <stddef.h>
#include <stdio.h>

#include "fuzz/finding.h"
#include "spec/spec.h"

/* Exit codes of the emitted program. */
#define HCF_REPRO_EXIT_FIXED 0        /* not reproduced: the contract is kept */
#define HCF_REPRO_EXIT_REPRODUCED 1
#define HCF_REPRO_EXIT_SETUP 2        /* no /dev/kvm, a missing capability, a guest lost in setup */
#define HCF_REPRO_EXIT_INCONCLUSIVE 3 /* the guest hung or died before the call was checked */

/* Calls the generated guest code can hold (fuzzed programs have at most 32;
 * a longer program is best minimized first). */
#define HCF_REPRO_MAX_CALLS 2048u

/* What the emitter works from. f->prog must be parsed against abi. */
struct hcf_repro_src {
	const struct hcf_abi *abi;
	const struct hcf_finding *f;
	const char *file_name;     /* the program's file name, for its comment (NULL: "repro.c") */
	const char *spec_path;     /* the spec file, for the comment (NULL: abi->path) */
	const char *program_name;  /* "minimized.hcf" or "program.hcf", for the comment */
	const char *hypervisor;    /* finding.json "hypervisor", NULL when absent */
	const char *first_seen;    /* finding.json "first_seen", NULL when absent */
};

/* What the emitted program checks, for the command's message. */
struct hcf_repro_info {
	size_t call;         /* the program call the check is on */
	size_t ncalls;       /* calls the emitted program replays */
	char check[200];     /* "clobber rax at call 0 (invlpg)" */
};

/*
 * Write the program to out. Returns 0, or -1 with the reason in err when the
 * finding cannot become a program (an oracle or place the emitter has no
 * check for, a model finding without its expected value, a program longer
 * than HCF_REPRO_MAX_CALLS, a call the signature names missing from the
 * program) or on a write error. info may be NULL.
 */
int hcf_repro_emit(FILE *out, const struct hcf_repro_src *src, struct hcf_repro_info *info,
		   char *err, size_t errlen);

#endif /* HCF_REPRO_H */
