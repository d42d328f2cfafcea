/* repro_c.c: "hcfuzz repro": a finding as a standalone C program on /dev/kvm. */
/*
 * The emitted program has four parts. hcfuzz's reproducer runtime
 * (reports/repro_rt/, C the build compiles and embeds verbatim): the guest
 * layout, the machine (vmm/kvm_machine.h, the code hcfuzz's own VMM builds
 * its VM with), a run loop under a watchdog that answers port and MMIO exits
 * like hcfuzz's default "empty" responder, and the verdict. Generated tables
 * (repro/repro_write.c): the register image of every call, the program's
 * buffers, and the guest code (repro/repro_guest.c) as machine-code bytes,
 * each instruction on its own line with its assembly in a comment. A
 * generated check (repro/repro_checks.c): the one comparison the finding's
 * typed place calls for (repro/repro_plan.c), with the contract values taken
 * from the spec and written into the program as constants.
 */
#include "reports/repro.h"

#include <stdio.h>
#include <string.h>

#include "reports/repro/repro_int.h"

/* reports/repro_rt/, embedded by the build (reports/repro_rt_blob.S): the
 * head goes before the generated part, the run loop and main after it. */
extern const char hcf_repro_rt_head[], hcf_repro_rt_tail[];

int hcf_repro_emit(FILE *out, const struct hcf_repro_src *src, struct hcf_repro_info *info,
		   char *err, size_t errlen)
{
	if (!src || !src->abi || !src->f || src->f->prog.abi != src->abi) {
		snprintf(err, errlen, "the finding's program was not parsed against the spec given");
		return -1;
	}
	if (!src->f->has_loc) {
		snprintf(err, errlen, "the finding has no typed place (\"loc\" in finding.json): it was "
				      "stored by an older hcfuzz; run the campaign again");
		return -1;
	}
	struct cx cx = { .src = src, .abi = src->abi, .p = &src->f->prog, .f = src->f };
	char why[256];
	if (hcf_prog_validate(cx.p, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "the finding's program is not valid: %s", why);
		return -1;
	}
	struct plan pl;
	if (rp_make_plan(&pl, &cx, err, errlen) != 0)
		return -1;
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.cx = &cx;
	g.pl = &pl;
	int rc = -1;
	if (rp_gen_code(&g, err, errlen) != 0)
		goto out;
	struct em e = { .f = out, .cx = &cx, .pl = &pl, .g = &g };
	rp_emit_header(&e);
	rp_pf(&e, "#define _GNU_SOURCE\n#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	       "#include <string.h>\n\n/* ---- hcfuzz's reproducer runtime, head (reports/repro_rt/ in hcfuzz's "
	       "source) ---- */\n");
	fputs(hcf_repro_rt_head, out);
	rp_emit_finding(&e);
	rp_emit_check(&e);
	rp_pf(&e, "\n/* ---- hcfuzz's reproducer runtime: the VM, the run, the verdict ---- */\n");
	fputs(hcf_repro_rt_tail, out);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "writing the program failed");
		goto out;
	}
	if (info) {
		info->call = pl.call;
		info->ncalls = pl.ncalls;
		snprintf(info->check, sizeof(info->check), "%s", pl.what);
	}
	rc = 0;
out:
	rp_gen_free(&g);
	return rc;
}

