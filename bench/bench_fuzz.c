/*
 * bench_fuzz.c: a fuzzing run's executions/s and calls/s against the ceiling
 * of the same VM, with the reset cost and dirty pages per execution.
 *
 * One process, one VM, one session (harness/fuzz/session.h), exactly the code
 * a fuzz target runs per input, fed seeded pseudo-random inputs (the same
 * inputs every run). Measured in one run, interleaved over rounds:
 *   fuzz      decode + reset to the boot snapshot + run + oracles + features
 *             (findings are judged but not written: no campaign directory)
 *   run only  the same without oracles and features
 *   ceiling   an empty program's mailbox round trip: no decode, no reset, no
 *             call, no oracles - the fastest one execution can be in this VM
 *   rebuild   the fuzzing path on the first inputs with the kvm target's
 *             no-restore: a new VM after every destructive program or lost
 *             guest instead of a restore of the boot snapshot (how hcfuzz
 *             ran before restores), against the fuzzing path on those inputs
 * Printed with the ratios to the ceiling, the reset cost (us per execution:
 * the memory and, after a destructive program, the vCPU's whole state with
 * the agent's rearm check), the pages a reset copies back, the time inside
 * KVM_RUN (the guest's and the hypervisor's, which bounds the rate whatever
 * the harness does), and how often a reset restored the vCPU and how often
 * it cost a new VM.
 *
 *   HCF_SOURCE_DIR=$PWD build/bench/bench_fuzz [SPEC] [INPUTS] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_inputs.h"
#include "bench/bench_stats.h"
#include "exec/targets.h"
#include "fuzz/session.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/clock.h"

/* An execution this long is the guest's or the hypervisor's doing (a
 * runaway held to the watchdog, an exception storm), not the harness's. */
#define SLOW_EXEC_S 0.010

struct pass {
	double seconds;
	double head_seconds; /* the first `head` inputs' */
	double slow_seconds; /* in executions of SLOW_EXEC_S or more */
	unsigned long long slow;
	unsigned long long execs, calls, resets, pages, restores, rebuilds;
	double reset_s;
	double guest_s;      /* inside KVM_RUN */
};

static int fuzz_pass(struct hcf_fuzz_session *s, const uint8_t *in, const size_t *lens, size_t n,
		     size_t head, struct pass *out)
{
	const struct hcf_fuzz_counters *c = hcf_fuzz_session_counters(s);
	struct hcf_fuzz_counters before = *c;
	uint32_t slots[512];
	double t0 = hcf_now_s();
	out->head_seconds = out->slow_seconds = 0;
	out->slow = 0;
	for (size_t i = 0; i < n; i++) {
		double t1 = hcf_now_s();
		if (i == head)
			out->head_seconds = t1 - t0;
		if (hcf_fuzz_session_exec(s, in + i * 128, lens[i], slots, 512) == (size_t)-1)
			return -1;
		double dt = hcf_now_s() - t1;
		if (dt >= SLOW_EXEC_S) {
			out->slow_seconds += dt;
			out->slow++;
		}
	}
	out->seconds = hcf_now_s() - t0;
	if (head >= n)
		out->head_seconds = out->seconds;
	c = hcf_fuzz_session_counters(s);
	out->execs = c->execs - before.execs;
	out->calls = c->calls - before.calls;
	out->resets = c->resets - before.resets;
	out->pages = c->pages_restored - before.pages_restored;
	out->restores = c->restores - before.restores;
	out->rebuilds = c->rebuilds - before.rebuilds;
	out->reset_s = c->reset_seconds - before.reset_seconds;
	out->guest_s = c->guest_seconds - before.guest_seconds;
	return 0;
}

int main(int argc, char **argv)
{
	char spec[4096];
	size_t n;
	int rounds;
	if (bench_args(argc, argv, "bench_fuzz", spec, sizeof(spec), &n, &rounds))
		return 2;
	char err[512];
	struct hcf_fuzz_session *full = NULL, *bare = NULL, *old = NULL;
	struct hcf_fuzz_session_opts o = { .spec_path = spec, .engine = "bench" };
	if (hcf_fuzz_session_open(&full, &o, err, sizeof(err)) != 0) {
		printf("SKIP bench_fuzz: %s\n", err);
		return 77;
	}
	o.target_params = "no-restore";
	if (hcf_fuzz_session_open(&old, &o, err, sizeof(err)) != 0) {
		printf("SKIP bench_fuzz: %s\n", err);
		return 77;
	}
	o.target_params = NULL;
	o.no_oracles = true;
	if (hcf_fuzz_session_open(&bare, &o, err, sizeof(err)) != 0) {
		printf("SKIP bench_fuzz: %s\n", err);
		return 77;
	}
	/* The ceiling: the same kind of VM, an empty command each time. */
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	struct hcf_target *t = NULL;
	struct hcf_target_opts to = { 0 };
	if (hcf_spec_load(spec, &abi, &d) != 0 ||
	    hcf_target_open("kvm", &t, abi, &to, err, sizeof(err)) != 0) {
		printf("SKIP bench_fuzz: %s\n", d.n ? d.d[0].msg : err);
		return 77;
	}
	size_t *lens;
	uint8_t *in = bench_make_inputs(n, &lens);
	/* the rebuilding pass is slow: the first inputs only */
	size_t head = n < 250 ? n : 250;
	struct pass warm;
	fuzz_pass(full, in, lens, n / 4 + 1, n, &warm);
	fuzz_pass(bare, in, lens, n / 4 + 1, n, &warm);
	fuzz_pass(old, in, lens, head / 4 + 1, n, &warm);

	double f_eps[50], f_cps[50], b_eps[50], ceil_eps[50], head_eps[50], old_eps[50];
	struct pass last = { 0 }, last_old = { 0 };
	for (int k = 0; k < rounds; k++) {
		struct pass f, b, r;
		if (fuzz_pass(full, in, lens, n, head, &f) != 0 || fuzz_pass(bare, in, lens, n, n, &b) != 0 ||
		    fuzz_pass(old, in, lens, head, n, &r) != 0) {
			fprintf(stderr, "bench_fuzz: a finding could not be stored\n");
			return 1;
		}
		head_eps[k] = (double)head / f.head_seconds;
		old_eps[k] = (double)r.execs / r.seconds;
		last_old = r;
		double total = 0;
		for (size_t i = 0; i < n; i++) {
			double s;
			t->ops->empty_round_trip(t, &s);
			total += s;
		}
		f_eps[k] = (double)f.execs / f.seconds;
		f_cps[k] = (double)f.calls / f.seconds;
		b_eps[k] = (double)b.execs / b.seconds;
		ceil_eps[k] = (double)n / total;
		last = f;
	}
	double fe = bench_median(f_eps, rounds), fc = bench_median(f_cps, rounds), be = bench_median(b_eps, rounds),
	       ce = bench_median(ceil_eps, rounds), he = bench_median(head_eps, rounds),
	       oe = bench_median(old_eps, rounds);
	printf("bench_fuzz: %s, %zu seeded inputs x %d rounds (median)\n", spec, n, rounds);
	printf("  ceiling: empty round trip    %9.0f execs/s   %7.1f us/exec\n", ce, 1e6 / ce);
	printf("  run only (no oracles)        %9.0f execs/s   ratio to ceiling %.3f\n", be, be / ce);
	printf("  fuzzing (decode..features)   %9.0f execs/s   ratio to ceiling %.3f   %.0f calls/s (%.1f calls/exec)\n",
	       fe, fe / ce, fc, fc / fe);
	double reset_us = last.resets ? last.reset_s / (double)last.resets * 1e6 : 0.0;
	double judge_us = (1.0 / fe - 1.0 / be) * 1e6; /* decode + oracles + features */
	double exec_us = 1e6 / fe;
	printf("  reset                        %7.1f us/exec, %.1f dirty pages/exec restored\n", reset_us,
	       last.resets ? (double)last.pages / (double)last.resets : 0.0);
	printf("  harness per execution        %7.1f us: decode, oracles, features %.1f us + reset %.1f us\n",
	       judge_us + reset_us, judge_us, reset_us);
	printf("                               = %.1f%% of an execution (%.1f us), %.0f%% of the ceiling's round trip\n",
	       (judge_us + reset_us) / exec_us * 100, exec_us, (judge_us + reset_us) / (1e6 / ce) * 100);
	double guest_us = last.execs ? last.guest_s / (double)last.execs * 1e6 : 0.0;
	printf("  inside KVM_RUN               %7.1f us/exec: the guest and the hypervisor (the %.1f calls,\n"
	       "                               their exits, the restored guest's check), %.1f%% of the last round;\n"
	       "                               with no harness at all at most %.0f execs/s\n",
	       guest_us, fc / fe, last.seconds > 0 ? last.guest_s / last.seconds * 100 : 0.0,
	       guest_us > 0 ? 1e6 / guest_us : 0.0);
	printf("  executions of %.0f ms or more  %.1f per 1000, %.0f%% of the time (runaways, exception "
	       "storms,\n                               lost guests); without them %.0f execs/s\n",
	       SLOW_EXEC_S * 1e3, last.execs ? (double)last.slow * 1000.0 / (double)last.execs : 0.0,
	       last.seconds > 0 ? last.slow_seconds / last.seconds * 100 : 0.0,
	       last.seconds > last.slow_seconds ?
		       (double)(last.execs - last.slow) / (last.seconds - last.slow_seconds) :
		       0.0);
	double per_k = last.execs ? 1000.0 / (double)last.execs : 0.0;
	printf("  vCPU restores                %.1f per 1000 execs (after destructive calls, lost guests)\n",
	       (double)last.restores * per_k);
	printf("  VM rebuilds                  %.1f per 1000 execs = %.2f%% of executions (a restore "
	       "that failed its check)\n",
	       (double)last.rebuilds * per_k, (double)last.rebuilds * per_k / 10.0);
	printf("  a new VM instead (no-restore) %8.0f execs/s on the first %zu inputs, %.1f rebuilds per "
	       "1000 execs;\n",
	       oe, head, last_old.execs ? (double)last_old.rebuilds * 1000.0 / (double)last_old.execs : 0.0);
	printf("                               restoring: %.0f execs/s on them, %.1fx\n", he, he / oe);
	free(in);
	free(lens);
	hcf_target_close(t);
	hcf_spec_free(abi);
	hcf_fuzz_session_close(full);
	hcf_fuzz_session_close(bare);
	hcf_fuzz_session_close(old);
	return 0;
}
