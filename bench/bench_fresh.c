/*
 * bench_fresh.c: tests/s of a conformance plan run the hcfuzz way against a
 * fresh VM per test, the same plan in one run.
 *
 *   reused   hcfuzz conform's path: one VM (its boot counted), independent
 *            tests packed into mailbox batches, the boot snapshot restored
 *            after destructive ones (exec/exec.c)
 *   fresh    what users of kvm-unit-tests or KVM's selftests get: every test
 *            builds and boots its own VM (hcf_target_open), runs, is judged
 *            by the same oracles and model, and tears the VM down
 *   process  (with HCFUZZ set) a process per test as well: `hcfuzz run`
 *            with the test's program, started directly (no shell), as
 *            kvm-unit-tests' and the selftests' runners start one binary
 *            per test
 * Printed: tests/s of each (the median of the rounds), the ratios, and how
 * many tests got the same verdict both ways (the plan's tests do not depend
 * on each other, but a VM that ran other programs may differ from a new one:
 * docs/pvm-observations.md).
 *
 *   HCF_SOURCE_DIR=$PWD build/bench/bench_fresh [SPEC] [ROUNDS]
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_inputs.h"
#include "bench/bench_stats.h"
#include "exec/exec.h"
#include "exec/judged.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "prog/plan.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/clock.h"
#include "vmm/vmm.h"

/* The verdict of every test of the reused run. */
static void on_test(void *ctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	(void)t;
	((enum hcf_verdict *)ctx)[i] = o->v;
}

/* The plan on one VM. Seconds, or a negative number when it failed. */
static double run_reused(const struct hcf_abi *abi, struct hcf_test *tests, size_t n,
			 enum hcf_verdict *v)
{
	double t0 = hcf_now_s();
	struct hcf_target *t = NULL;
	struct hcf_target_opts o = { 0 };
	char err[512];
	if (hcf_target_open("kvm", &t, abi, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_fresh: %s\n", err);
		return -1;
	}
	struct hcf_model model;
	bool have_model = hcf_model_open(&model, abi, t->ops->info(t)) == 0;
	struct hcf_exec_stats stats;
	int rc = hcf_exec_tests(t, abi, have_model ? &model : NULL, tests, n, NULL, on_test, v, &stats);
	if (have_model)
		hcf_model_close(&model);
	hcf_target_close(t);
	return rc == 0 ? hcf_now_s() - t0 : -1;
}

/* Every test in a VM of its own. Seconds, or a negative number. */
static double run_fresh(const struct hcf_abi *abi, struct hcf_test *tests, size_t n,
			enum hcf_verdict *v)
{
	double t0 = hcf_now_s();
	struct hcf_judged j;
	hcf_judged_init(&j);
	for (size_t i = 0; i < n; i++) {
		struct hcf_target *t = NULL;
		struct hcf_target_opts o = { 0 };
		char err[512];
		if (hcf_target_open("kvm", &t, abi, &o, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_fresh: test %s: %s\n", tests[i].id, err);
			hcf_judged_free(&j);
			return -1;
		}
		struct hcf_model model;
		bool have_model = hcf_model_open(&model, abi, t->ops->info(t)) == 0;
		v[i] = hcf_run_judged(t, have_model ? &model : NULL, &tests[i].prog, HCF_RUN_AS_IS, NULL,
				      &j);
		if (have_model)
			hcf_model_close(&model);
		hcf_target_close(t);
	}
	hcf_judged_free(&j);
	return hcf_now_s() - t0;
}

/* One `hcfuzz run` of prog, its output discarded: its exit status, or -1. */
static int run_one_process(const char *hcfuzz, const char *spec, const char *prog)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char *argv[] = { (char *)hcfuzz, "run", "--summary", "--spec", (char *)spec, (char *)prog,
			 NULL };
	extern char **environ;
	pid_t pid;
	int rc = posix_spawn(&pid, hcfuzz, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	int status;
	if (rc != 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Every test of the plan as a process of its own (`hcfuzz run`). Seconds
 * per test, or a negative number; *ran tells how many ran. */
static double run_processes(const char *hcfuzz, const char *spec, struct hcf_test *tests, size_t n,
			    size_t *ran)
{
	char prog[] = "/tmp/hcf-bench-fresh-XXXXXX";
	int fd = mkstemp(prog);
	if (fd < 0)
		return -1;
	close(fd);
	double total = 0;
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(prog, "w");
		if (!f || hcf_prog_print(&tests[i].prog, f) != 0) {
			if (f)
				fclose(f);
			continue; /* a program the text format cannot spell: not run */
		}
		fclose(f);
		double t0 = hcf_now_s();
		int rc = run_one_process(hcfuzz, spec, prog);
		total += hcf_now_s() - t0;
		/* exit codes 0..3 are verdicts; anything else is a failure */
		if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) > 3) {
			fprintf(stderr, "bench_fresh: '%s run --summary --spec %s' of test %s failed\n", hcfuzz,
				spec, tests[i].id);
			unlink(prog);
			return -1;
		}
		done++;
	}
	unlink(prog);
	*ran = done;
	return done ? total / (double)done : -1;
}

int main(int argc, char **argv)
{
	char spec[4096];
	bench_spec_arg(argc, argv, spec, sizeof(spec));
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	if (rounds < 1 || rounds > 50) {
		fprintf(stderr, "usage: bench_fresh [SPEC] [ROUNDS (1..50)]\n");
		return 2;
	}
	char why[256];
	if (hcf_vmm_available(why, sizeof(why)) != 0) {
		printf("SKIP bench_fresh: %s\n", why);
		return 77;
	}
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	struct hcf_test *tests = NULL;
	size_t n = 0;
	if (hcf_spec_load(spec, &abi, &d) != 0 || hcf_plan_build(abi, NULL, &tests, &n) != 0 ||
	    hcf_plan_add_anomalies(abi, &tests, &n, &d) != 0) {
		hcf_diags_print(&d, stderr);
		return 2;
	}
	enum hcf_verdict *vr = calloc(n, sizeof(*vr)), *vf = calloc(n, sizeof(*vf));
	const char *hcfuzz = getenv("HCFUZZ");
	double reused[50], fresh[50], process[50];
	size_t ran = 0;
	for (int k = 0; k < rounds; k++) {
		reused[k] = run_reused(abi, tests, n, vr);
		fresh[k] = run_fresh(abi, tests, n, vf);
		if (reused[k] < 0 || fresh[k] < 0)
			return 1;
		if (hcfuzz && (process[k] = run_processes(hcfuzz, spec, tests, n, &ran)) < 0)
			return 1;
	}
	double mr = bench_median(reused, rounds), mf = bench_median(fresh, rounds);
	size_t agree = 0;
	for (size_t i = 0; i < n; i++)
		agree += vr[i] == vf[i];
	printf("bench_fresh: %s, the conformance plan's %zu tests, median of %d rounds\n", spec, n,
	       rounds);
	printf("  fresh VM per test            %8.1f tests/s  %8.3f ms/test\n", (double)n / mf,
	       mf / (double)n * 1e3);
	printf("  hcfuzz: one VM, batched      %8.1f tests/s  %8.3f ms/test (its VM's boot included)\n",
	       (double)n / mr, mr / (double)n * 1e3);
	printf("  ratio hcfuzz/fresh           %8.1fx\n", mf / mr);
	printf("  same verdict both ways       %zu of %zu tests\n", agree, n);
	for (size_t i = 0, shown = 0; i < n && shown < 5; i++)
		if (vr[i] != vf[i]) {
			printf("    %s: %s reused, %s fresh\n", tests[i].id, hcf_verdict_name(vr[i]),
			       hcf_verdict_name(vf[i]));
			shown++;
		}
	if (hcfuzz) {
		double per = bench_median(process, rounds);
		printf("  a process per test ('hcfuzz run' of %zu tests) %6.1f tests/s; ratio hcfuzz/process "
		       "%.1fx\n",
		       ran, 1.0 / per, per / (mr / (double)n));
	}
	free(vr);
	free(vf);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
	return 0;
}
