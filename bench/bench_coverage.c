/*
 * bench_coverage.c: what feeding the spec coverage matrix costs a fuzzing
 * execution, against the oracles that judge the same programs.
 *
 * A fuzzing process feeds every judged execution into its matrix
 * (fuzz/session.c), right after the oracles. Both are pure computation over
 * the program and its result, so both are timed here without a VM, on the
 * same programs: bench_fuzz's seeded inputs (bench_inputs.h), decoded by the fuzzer's codec,
 * every call returned with its registers as loaded (neither cost depends on
 * the values; the matrix's retval classifier is the one the oracles run).
 * As in a session, where the matrix is fed right after the oracles judged
 * a program, each program is in the cache: each is judged, and then fed,
 * REPEAT times in a row (the first time warms the cache). Printed:
 * microseconds per execution for each, and the matrix's share of the
 * oracles' time (the raw baseline of the same run); bench_fuzz gives an
 * execution's whole time on a VM.
 *
 *   HCF_SOURCE_DIR=$PWD build/bench/bench_coverage [SPEC] [INPUTS] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_inputs.h"
#include "bench/bench_stats.h"
#include "oracles/oracle.h"
#include "prog/codec.h"
#include "prog/prog.h"
#include "reports/coverage.h"
#include "spec/spec.h"
#include "util/clock.h"

#define REPEAT 8

int main(int argc, char **argv)
{
	char spec[4096];
	size_t n;
	int rounds;
	if (bench_args(argc, argv, "bench_coverage", spec, sizeof(spec), &n, &rounds))
		return 2;
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(spec, &abi, &d) != 0) {
		printf("SKIP bench_coverage: %s\n", d.n ? d.d[0].msg : spec);
		return 77;
	}
	size_t *lens;
	uint8_t *in = bench_make_inputs(n, &lens);
	struct hcf_prog *p = calloc(n, sizeof(*p));
	struct hcf_prog_result *r = calloc(n, sizeof(*r));
	size_t ncalls = 0, maxcalls = 1;
	for (size_t i = 0; i < n; i++) {
		hcf_prog_init(&p[i], abi);
		hcf_prog_decode(&p[i], abi, in + i * 128, lens[i]);
		hcf_result_init(&r[i], p[i].ncalls);
		r[i].ncalls = r[i].ndone = p[i].ncalls;
		for (size_t k = 0; k < p[i].ncalls; k++) {
			hcf_call_result_init(&r[i].calls[k], p[i].calls[k].gpr);
			r[i].calls[k].outcome = HCF_CO_RETURNED;
		}
		ncalls += p[i].ncalls;
		if (p[i].ncalls > maxcalls)
			maxcalls = p[i].ncalls;
	}
	struct hcf_call_verdict *cvs = calloc(maxcalls, sizeof(*cvs));
	struct hcf_cov *cov = hcf_cov_new(abi, NULL);
	double feed_us[50], judge_us[50];
	for (int k = 0; k < rounds; k++) {
		double t0 = hcf_now_s();
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < REPEAT; j++)
				hcf_oracles_check(abi, &p[i], &r[i], NULL, NULL, cvs);
		double t1 = hcf_now_s();
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < REPEAT; j++)
				hcf_cov_add(cov, &p[i], &r[i]);
		double t2 = hcf_now_s();
		judge_us[k] = (t1 - t0) / (double)(n * REPEAT) * 1e6;
		feed_us[k] = (t2 - t1) / (double)(n * REPEAT) * 1e6;
	}
	double fu = bench_median(feed_us, rounds), ju = bench_median(judge_us, rounds);
	printf("bench_coverage: %s, %zu seeded inputs (%.1f calls each) x %d rounds (median)\n", spec, n,
	       (double)ncalls / (double)n, rounds);
	printf("  oracles (no model)           %8.3f us/exec   the baseline\n", ju);
	printf("  coverage matrix feed         %8.3f us/exec   ratio to the oracles %.3f\n", fu,
	       ju > 0 ? fu / ju : 0.0);
	printf("  matrix reached after the inputs: %d%%\n", hcf_cov_percent(cov));
	hcf_cov_free(cov);
	for (size_t i = 0; i < n; i++) {
		hcf_prog_free(&p[i]);
		hcf_result_free(&r[i]);
	}
	free(p);
	free(r);
	free(cvs);
	free(in);
	free(lens);
	hcf_spec_free(abi);
	return 0;
}
