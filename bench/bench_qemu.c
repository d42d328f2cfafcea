/*
 * bench_qemu.c: the qemu target's boot and call rate against a raw loop of
 * the same call in the same QEMU guest.
 *
 * The call is tests/fixtures/responder.yaml's ping: an `out` to a port no
 * QEMU device claims, so QEMU answers it in its own I/O dispatch, which is
 * the cheapest exit a TCG guest makes. Measured in one run:
 *   boot     opening the target: QEMU started, the agent booted through
 *            multiboot, READY and one empty command: boot to first call;
 *   raw      the agent issues the call in a bare loop: the ceiling;
 *   hcfuzz   the run path: mailbox, capture, validation, oracles;
 *   empty    one command without calls: the channel's round trip (the
 *            framed doorbell out, the mailbox's seq in).
 * Medians, and the ratio hcfuzz/raw. QEMU comes from HCF_QEMU or the build's
 * cache (ninja -C build qemu); without one the benchmark is SKIP (77).
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

int main(int argc, char **argv)
{
	const char *src = getenv("HCF_SOURCE_DIR") ? getenv("HCF_SOURCE_DIR") : ".";
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	if (rounds < 1 || rounds > 99)
		rounds = 7;
	const size_t n = 4096;
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/responder.yaml", src);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		return 2;
	}
	struct hcf_target_opts o = { 0 };
	struct hcf_target *t = NULL;
	char err[512];
	double boot[99];
	for (int k = 0; k < rounds; k++) {
		double t0 = hcf_now_s();
		if (hcf_target_open("qemu", &t, abi, &o, err, sizeof(err)) != 0) {
			printf("SKIP bench_qemu: %s\n", err);
			return 77;
		}
		boot[k] = hcf_now_s() - t0;
		if (k + 1 < rounds)
			hcf_target_close(t);
	}
	const struct hcf_op *op = hcf_spec_op_by_name(abi, "ping");
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < n; i++) {
		struct hcf_pcall *c = hcf_prog_add_call(&p, (int)(op - abi->ops), op->nr);
		hcf_pcall_set(c, HCF_RAX, 1);
	}
	struct hcf_judged j;
	hcf_judged_init(&j);
	double raw[99], har[99], emp[99], s;
	t->ops->raw_loop(t, &p, n, &s);
	hcf_run_judged(t, NULL, &p, HCF_RUN_AS_IS, NULL, &j);
	for (int k = 0; k < rounds; k++) {
		if (t->ops->raw_loop(t, &p, n, &raw[k]) != 0) {
			fprintf(stderr, "bench_qemu: raw loop failed\n");
			return 1;
		}
		double t0 = hcf_now_s();
		hcf_run_judged(t, NULL, &p, HCF_RUN_AS_IS, NULL, &j);
		har[k] = hcf_now_s() - t0;
		if (j.target_failed || j.res.ndone != n) {
			fprintf(stderr, "bench_qemu: run failed: %s\n", j.res.detail);
			return 1;
		}
		t->ops->empty_round_trip(t, &emp[k]);
	}
	double mb = bench_median(boot, rounds), mr = bench_median(raw, rounds),
	       mh = bench_median(har, rounds), me = bench_median(emp, rounds);
	printf("bench_qemu: %s, %zu calls of ping (out to port 0x500), median of %d rounds\n",
	       t->ops->info(t)->notes, n, rounds);
	printf("  boot to first call      %10.3f s\n", mb);
	printf("  raw loop in the guest   %10.0f calls/s  %7.3f us/call\n", (double)n / mr, mr / (double)n * 1e6);
	printf("  hcfuzz run path         %10.0f calls/s  %7.3f us/call  (verdict %s)\n", (double)n / mh,
	       mh / (double)n * 1e6, hcf_verdict_name(j.worst));
	printf("  ratio hcfuzz/raw        %10.3f\n", mr / mh);
	printf("  empty round trip        %10.1f us\n", me * 1e6);
	hcf_judged_free(&j);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
	return 0;
}
