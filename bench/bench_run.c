/*
 * bench_run.c: calls per second of "hcfuzz run" against a raw loop of the
 * same hypercall in the same VM.
 *
 * One process, one VM. The cheap call is the detected hypervisor's
 * not-implemented number (PVM: 0x1006, -ENOSYS; KVM: an undeclared number,
 * -KVM_ENOSYS). Measured, interleaved over several rounds:
 *   raw      the agent issues the call in a bare loop (registers loaded, no
 *            capture, no mailbox, no host work): the ceiling of this VM;
 *   hcfuzz   the path of "hcfuzz run": the program marshalled into the
 *            mailbox, every call captured by the agent, results validated,
 *            all oracles and the reference model applied;
 *   empty    one mailbox round trip with no call (doorbell cost).
 * Medians are printed with the ratio hcfuzz/raw. Also timed: the whole
 * "hcfuzz run --summary" command on a program of the same calls (process
 * start, spec and program parsing, VM boot included), if HCFUZZ names it.
 * Figures on a shared machine are noisy: compare the ratio, not absolutes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_stats.h"
#include "exec/judged.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/clock.h"

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : HCF_PROG_MAX_CALLS;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	const char *src = getenv("HCF_SOURCE_DIR") ? getenv("HCF_SOURCE_DIR") : ".";
	if (n == 0 || n > HCF_PROG_MAX_CALLS || rounds < 1 || rounds > 99) {
		fprintf(stderr, "usage: bench_run [CALLS (1..%u)] [ROUNDS]\n", HCF_PROG_MAX_CALLS);
		return 2;
	}

	/* Which hypervisor is this? Boot once without a spec. */
	struct hcf_target *t = NULL;
	struct hcf_target_opts o = { 0 };
	char err[512];
	if (hcf_target_open("kvm", &t, NULL, &o, err, sizeof(err)) != 0) {
		printf("SKIP bench_run: %s\n", err);
		return 77;
	}
	int pvm = !strcmp(t->ops->info(t)->hypervisor, "pvm");
	hcf_target_close(t);

	char path[4096];
	snprintf(path, sizeof(path), "%s/specs/%s", src, pvm ? "pvm.yaml" : "kvm.yaml");
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		return 2;
	}
	if (hcf_target_open("kvm", &t, abi, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_run: %s\n", err);
		return 1;
	}
	const struct hcf_target_info *ti = t->ops->info(t);
	const struct hcf_op *op = pvm ? hcf_spec_op_by_name(abi, "reserved_1006") : NULL;
	uint64_t nr = pvm ? 0x1006 : 0x7f00;
	int opi = op ? (int)(op - abi->ops) : -1;

	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	for (size_t i = 0; i < n; i++)
		hcf_prog_add_call(&p, opi, nr);
	struct hcf_judged j;
	hcf_judged_init(&j);
	struct hcf_model m;
	hcf_model_open(&m, abi, ti);

	double raw[99], har[99], emp[99];
	enum hcf_verdict worst = HCF_V_PASS;
	/* one warm-up of each path: first-touch page faults are not the harness */
	double s;
	t->ops->raw_loop(t, &p, n, &s);
	hcf_run_judged(t, &m, &p, HCF_RUN_AS_IS, NULL, &j);
	for (int k = 0; k < rounds; k++) {
		if (t->ops->raw_loop(t, &p, n, &raw[k]) != 0) {
			fprintf(stderr, "bench_run: raw loop failed\n");
			return 1;
		}
		double t0 = hcf_now_s();
		hcf_run_judged(t, &m, &p, HCF_RUN_AS_IS, NULL, &j);
		har[k] = hcf_now_s() - t0;
		if (j.target_failed || j.res.ndone != n) {
			fprintf(stderr, "bench_run: run failed: %s\n", j.res.detail);
			return 1;
		}
		worst = hcf_verdict_worst(worst, j.worst);
		t->ops->empty_round_trip(t, &emp[k]);
	}
	double mr = bench_median(raw, rounds), mh = bench_median(har, rounds), me = bench_median(emp, rounds);
	printf("bench_run: %s, %zu calls of %s (nr 0x%" PRIx64 "), median of %d rounds\n", ti->hypervisor,
	       n, op ? op->name : "an undeclared number", nr, rounds);
	printf("  raw loop in the guest   %10.0f calls/s  %7.3f us/call\n", (double)n / mr, mr / (double)n * 1e6);
	printf("  hcfuzz run path         %10.0f calls/s  %7.3f us/call  (verdict %s)\n", (double)n / mh,
	       mh / (double)n * 1e6, hcf_verdict_name(worst));
	printf("  ratio hcfuzz/raw        %10.3f        overhead %.1f%%\n", mr / mh, (mh / mr - 1) * 100);
	printf("  empty mailbox round trip %9.1f us\n", me * 1e6);

	/* The whole command, as a user runs it. */
	const char *hcfuzz = getenv("HCFUZZ");
	if (hcfuzz) {
		char prog[] = "/tmp/hcf-bench-XXXXXX";
		int fd = mkstemp(prog);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (f) {
			for (size_t i = 0; i < n; i++)
				fprintf(f, pvm ? "call reserved_1006\n" : "call nr=0x7f00\n");
			fclose(f);
			char cmd[8192];
			snprintf(cmd, sizeof(cmd), "%s run --summary --spec %s %s > /dev/null", hcfuzz, path, prog);
			double w[99];
			for (int k = 0; k < rounds; k++) {
				double t0 = hcf_now_s();
				int rc = system(cmd);
				w[k] = hcf_now_s() - t0;
				if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
					fprintf(stderr, "bench_run: '%s' failed\n", cmd);
					break;
				}
			}
			double mw = bench_median(w, rounds);
			printf("  whole 'hcfuzz run' command %7.0f calls/s  (%.1f ms: process, parsing, VM boot)\n",
			       (double)n / mw, mw * 1e3);
			unlink(prog);
		}
	}
	hcf_judged_free(&j);
	hcf_model_close(&m);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
	return 0;
}
