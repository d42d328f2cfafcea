/*
 * exec.c: run tests on a target in mailbox-sized batches and judge them.
 *
 * Independent single-call tests (no buffers, not destructive) are packed into
 * one program per batch, so a conformance plan costs one VM exit per few
 * thousand calls. Verdicts are computed per test on a one-call view of the
 * batch's result. When the guest is lost at call m of a batch, tests before m
 * are judged, test m gets the liveness verdict, and the rest of the batch is
 * run again in the restored VM. A batch that dirtied a stray page is re-run
 * one test at a time, so the page is pinned on the call that wrote it.
 */
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/judged.h"
#include "exec/requires.h"
#include "util/clock.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

static bool batchable(const struct hcf_abi *abi, const struct hcf_test *t)
{
	const struct hcf_prog *p = &t->prog;
	if (p->ncalls != 1 || p->nbufs != 0)
		return false;
	int op = hcf_pcall_op(p, &p->calls[0]);
	return !(op >= 0 && (size_t)op < abi->nops && abi->ops[op].destructive);
}

struct run_ctx {
	struct hcf_target *t;
	const struct hcf_abi *abi;
	struct hcf_model *model;
	hcf_test_done_fn done;
	void *ctx;
	struct hcf_exec_stats *stats;
	struct hcf_prog batch;
	struct hcf_prog_result res;        /* of a batch */
	struct hcf_judged one;             /* a test run on its own */
	struct hcf_call_verdict *cvs;
	size_t cvs_cap;
	int consecutive_harness_errors;
	bool reset_each;
	/* the last run left guest pages changed (the dirty log found them): the
	 * next one starts from the snapshot, or it would be judged on its
	 * predecessor's writes */
	bool memory_touched;
	bool *matched;       /* per known anomaly: matched in the test being judged */
};

static void report(struct run_ctx *rc, size_t i, const struct hcf_test *t,
		   const struct hcf_prog_result *view, const struct hcf_call_verdict *cvs,
		   enum hcf_verdict v, double seconds)
{
	struct hcf_test_outcome o = { .v = v, .res = view, .cvs = cvs, .seconds = seconds };
	rc->stats->tests++;
	rc->stats->calls += t->prog.ncalls;
	hcf_tally_add(&rc->stats->tally, v);
	if (rc->done)
		rc->done(rc->ctx, i, t, &o);
}

static struct hcf_call_verdict *cvs_for(struct run_ctx *rc, size_t n)
{
	if (n > rc->cvs_cap) {
		free(rc->cvs);
		rc->cvs_cap = n;
		rc->cvs = hcf_xcalloc(n, sizeof(*rc->cvs));
	}
	return rc->cvs;
}

/*
 * A known anomaly's own program must still show it: if none of its issues
 * matched the anomaly, the test gets an XPASS issue on its last call.
 */
static enum hcf_verdict check_reproduced(struct run_ctx *rc, const struct hcf_test *t,
					 struct hcf_call_verdict *cvs, enum hcf_verdict v)
{
	size_t k = (size_t)(t->anomaly - rc->abi->anomalies);
	if (k >= rc->abi->nanomalies || rc->matched[k] || !t->prog.ncalls)
		return v;
	struct hcf_call_verdict *cv = &cvs[t->prog.ncalls - 1];
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
	snprintf(loc.name, sizeof(loc.name), "%s", t->anomaly->id);
	struct hcf_issue *is = hcf_call_verdict_add(cv, HCF_V_XPASS, "anomaly", &loc,
						    "known anomaly %s did not reproduce: %s; its "
						    "program ran without it (fixed? then remove it "
						    "from the spec)",
						    t->anomaly->id, t->anomaly->summary);
	if (is)
		is->anomaly = t->anomaly->id;
	return hcf_verdict_worst(v, cv->v);
}

/* Test t judged (cvs, v): its known anomaly checked, then reported. */
static void settle(struct run_ctx *rc, size_t i, const struct hcf_test *t,
		   const struct hcf_prog_result *view, struct hcf_call_verdict *cvs,
		   enum hcf_verdict v, double seconds)
{
	if (t->anomaly)
		v = check_reproduced(rc, t, cvs, v);
	report(rc, i, t, view, cvs, v, seconds);
}

/* Judge test t of a batch, whose result is `view` (its slice of the batch's). */
static void judge(struct run_ctx *rc, size_t i, const struct hcf_test *t,
		  const struct hcf_prog_result *view, double seconds)
{
	const struct hcf_target_info *ti = rc->t->ops->info(rc->t);
	struct hcf_call_verdict *cvs = cvs_for(rc, t->prog.ncalls ? t->prog.ncalls : 1);
	enum hcf_verdict v = hcf_oracles_check_anomalies(rc->abi, &t->prog, view, rc->model, ti,
							 cvs, rc->matched);
	settle(rc, i, t, view, cvs, v, seconds);
}

/*
 * The same issue on every call of test t, for a test judged without running
 * (the harness stopped, the anomaly belongs elsewhere, the ABI is absent):
 * reports walk every call's verdict, and one left as an earlier test had it
 * would be reported as this test's (its issues' strings may be gone).
 */
static struct hcf_call_verdict *every_call(struct run_ctx *rc, const struct hcf_test *t,
					   enum hcf_verdict v, const char *oracle,
					   const struct hcf_loc *loc, const char *text)
{
	size_t n = t->prog.ncalls ? t->prog.ncalls : 1;
	struct hcf_call_verdict *cvs = cvs_for(rc, n);
	for (size_t k = 0; k < n; k++) {
		hcf_call_verdict_init(&cvs[k]);
		cvs[k].idx = k;
		hcf_call_verdict_add(&cvs[k], v, oracle, loc, "%s", text);
	}
	return cvs;
}

/* Every remaining test: ERROR, because the harness cannot go on. */
static void report_error(struct run_ctx *rc, struct hcf_test *tests, size_t from, size_t to,
			 const char *why)
{
	for (size_t i = from; i < to; i++) {
		struct hcf_call_verdict *cvs = every_call(rc, &tests[i], HCF_V_ERROR, "harness",
							  NULL, why);
		struct hcf_prog_result empty;
		memset(&empty, 0, sizeof(empty));
		empty.liveness = HCF_LIVE_HARNESS;
		snprintf(empty.detail, sizeof(empty.detail), "%s", why);
		report(rc, i, &tests[i], &empty, cvs, HCF_V_ERROR, 0);
	}
}

/* A known anomaly recorded for other targets than this one: its test does
 * not apply here (its program may do anything on this hypervisor). */
static bool anomaly_elsewhere(const struct run_ctx *rc, const struct hcf_test *t)
{
	return t->anomaly && !hcf_anomaly_on_target(t->anomaly, rc->t->ops->info(rc->t)->target);
}

static void report_elsewhere(struct run_ctx *rc, size_t i, const struct hcf_test *t)
{
	char where[160] = "";
	size_t n = 0;
	for (size_t k = 0; k < t->anomaly->ntargets && n < sizeof(where); k++)
		n += (size_t)snprintf(where + n, sizeof(where) - n, "%s%s", k ? ", " : "",
				      t->anomaly->targets[k]);
	char text[320];
	snprintf(text, sizeof(text), "known anomaly %s is recorded on %s, not on target %s",
		 t->anomaly->id, where, rc->t->ops->info(rc->t)->target);
	struct hcf_call_verdict *cvs = every_call(rc, t, HCF_V_SKIP, "anomaly", NULL, text);
	struct hcf_prog_result empty;
	memset(&empty, 0, sizeof(empty));
	report(rc, i, t, &empty, cvs, HCF_V_SKIP, 0);
}

/* The guest went back to its boot state (a loss, a destructive program):
 * the model starts from boot too. */
/* The ABI is absent from this hypervisor (stats->requirement says why):
 * every test SKIP with that reason, every call of it, none made. */
static void report_not_applicable(struct run_ctx *rc, struct hcf_test *tests, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hcf_test *t = &tests[i];
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
		snprintf(loc.name, sizeof(loc.name), "abi");
		char text[300];
		snprintf(text, sizeof(text), "not applicable: %s", rc->stats->requirement);
		struct hcf_call_verdict *cvs = every_call(rc, t, HCF_V_SKIP, "requires", &loc, text);
		struct hcf_prog_result empty;
		memset(&empty, 0, sizeof(empty));
		struct hcf_test_outcome o = { .v = HCF_V_SKIP, .res = &empty, .cvs = cvs };
		rc->stats->tests++;
		rc->stats->calls_not_applicable += t->prog.ncalls;
		hcf_tally_add(&rc->stats->tally, HCF_V_SKIP);
		if (rc->done)
			rc->done(rc->ctx, i, t, &o);
	}
}

static void model_reset(struct run_ctx *rc)
{
	hcf_model_reset(rc->model);
}

/* Run one test on its own. Returns 0, or -1 if the harness failed. */
static int run_single(struct run_ctx *rc, struct hcf_test *tests, size_t i)
{
	struct hcf_judged *j = &rc->one;
	enum hcf_verdict v = hcf_run_judged(rc->t, rc->model, &tests[i].prog,
					    rc->reset_each || rc->memory_touched ? HCF_RUN_FROM_BOOT
										 : HCF_RUN_AS_IS,
					    rc->matched, j);
	rc->memory_touched = j->res.pages_found > 0;
	rc->stats->batches++;
	if (j->target_failed) {
		report_error(rc, tests, i, i + 1, j->res.detail[0] ? j->res.detail : "the target failed");
		return -1;
	}
	settle(rc, i, &tests[i], &j->res, j->cvs, v, j->run_s);
	/* A lost guest goes back to its boot state, and targets give the
	 * program after a destructive one a guest as booted: the model starts
	 * over with them.
	 * After a program that only had buffers the guest goes on as it is,
	 * and so does the model, which saw every call it made (Xen's event
	 * channels outlive the program that opened them). */
	if (j->res.liveness != HCF_LIVE_OK || hcf_prog_has_destructive(&tests[i].prog))
		model_reset(rc);
	return 0;
}

/*
 * Run tests [i, j) packed into one program. Returns how many tests were
 * settled (judged), or -1 if the harness failed.
 */
static long run_batch(struct run_ctx *rc, struct hcf_test *tests, size_t i, size_t j)
{
	struct hcf_prog *b = &rc->batch;
	if (rc->memory_touched) {
		if (rc->t->ops->reset(rc->t) != 0) {
			report_error(rc, tests, i, j, "the target could not go back to its boot snapshot");
			return -1;
		}
		/* the guest's memory went back; the hypervisor's state for it
		 * need not have (judged.h) */
		hcf_model_forget(rc->model);
		rc->memory_touched = false;
	}
	hcf_prog_reset(b);
	for (size_t k = i; k < j; k++) {
		const struct hcf_pcall *src = &tests[k].prog.calls[0];
		struct hcf_pcall *dst = hcf_prog_add_call(b, src->op, hcf_pcall_nr(&tests[k].prog, src));
		if (!dst)
			return -1;
		*dst = *src;
	}
	double t0 = hcf_now_s();
	uint64_t wall0 = hcf_realtime_ns();
	int r = rc->t->ops->run(rc->t, b, &rc->res);
	rc->res.realtime_ns[0] = wall0;
	rc->res.realtime_ns[1] = hcf_realtime_ns();
	double per = (hcf_now_s() - t0) / (double)(j - i);
	rc->stats->batches++;
	if (r != 0) {
		report_error(rc, tests, i, j, rc->res.detail[0] ? rc->res.detail : "the target failed");
		return -1;
	}
	rc->memory_touched = rc->res.pages_found > 0;
	if (hcf_result_nstray(&rc->res) && j - i > 1) {
		/* Pin stray writes on their call: judge these tests one by one,
		 * each from the snapshot while memory is changed. */
		for (size_t k = i; k < j; k++)
			if (run_single(rc, tests, k) != 0)
				return -1;
		return (long)(j - i);
	}
	size_t lost_at = rc->res.liveness == HCF_LIVE_OK ? j - i : rc->res.ndone;
	size_t settled = lost_at < j - i ? lost_at + 1 : j - i;
	for (size_t k = 0; k < settled; k++) {
		struct hcf_prog_result view;
		memset(&view, 0, sizeof(view));
		view.calls = &rc->res.calls[k];
		view.ncalls = 1;
		view.ndone = k < rc->res.ndone ? 1 : 0;
		view.liveness = k == lost_at ? rc->res.liveness : HCF_LIVE_OK;
		if (k == lost_at)
			snprintf(view.detail, sizeof(view.detail), "%s", rc->res.detail);
		view.pages_checked = rc->res.pages_checked;
		view.seconds = per;
		memcpy(view.realtime_ns, rc->res.realtime_ns, sizeof(view.realtime_ns));
		if (k == settled - 1) {
			/* shared, read only: the view lives no longer than res */
			view.pages = rc->res.pages;
			view.npages = rc->res.npages;
			view.pages_found = rc->res.pages_found;
		}
		judge(rc, i + k, &tests[i + k], &view, per);
	}
	if (lost_at < j - i)
		model_reset(rc);
	return (long)settled;
}

int hcf_exec_tests(struct hcf_target *t, const struct hcf_abi *abi, struct hcf_model *model,
		   struct hcf_test *tests, size_t n, const struct hcf_exec_opts *opts,
		   hcf_test_done_fn done, void *ctx, struct hcf_exec_stats *stats)
{
	struct hcf_exec_stats local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	struct run_ctx rc = { .t = t, .abi = abi, .model = model, .done = done, .ctx = ctx,
			      .stats = stats };
	hcf_prog_init(&rc.batch, abi);
	hcf_result_init(&rc.res, 1);
	hcf_judged_init(&rc.one);
	rc.matched = hcf_xcalloc(abi->nanomalies ? abi->nanomalies : 1, sizeof(*rc.matched));
	size_t batch_max = opts && opts->batch_max ? opts->batch_max : HCF_MBOX_MAX_CALLS;
	rc.reset_each = opts && opts->reset_each;
	/* programs that must each start from the snapshot run one by one */
	bool no_batching = opts && (opts->no_batching || opts->reset_each);
	double t0 = hcf_now_s();
	const struct hcf_target_info *ti = t->ops->info(t);
	uint64_t restores0 = ti->restores, rebuilds0 = ti->rebuilds;
	int ret = 0;
	size_t i = 0;
	/* Once per run: is the ABI there at all? */
	enum hcf_req_state rq = hcf_requirements_check(abi, t->ops->info(t), stats->requirement,
						       sizeof(stats->requirement),
						       &stats->requirement_doc);
	if (rq == HCF_REQ_ABSENT) {
		stats->not_applicable = true;
		report_not_applicable(&rc, tests, n);
		i = n;
	}
	while (i < n) {
		if (hcf_interrupted()) {
			report_error(&rc, tests, i, n, "interrupted");
			ret = -1;
			break;
		}
		long settled;
		if (anomaly_elsewhere(&rc, &tests[i])) {
			report_elsewhere(&rc, i, &tests[i]);
			i++;
			continue;
		}
		if (!no_batching && batchable(abi, &tests[i])) {
			size_t j = i + 1;
			while (j < n && j - i < batch_max && batchable(abi, &tests[j]) &&
			       !anomaly_elsewhere(&rc, &tests[j]))
				j++;
			settled = j - i == 1 ? (run_single(&rc, tests, i) == 0 ? 1 : -1)
					     : run_batch(&rc, tests, i, j);
			if (settled < 0)
				settled = (long)(j - i); /* reported as ERROR */
		} else {
			settled = run_single(&rc, tests, i) == 0 ? 1 : -1;
			if (settled < 0)
				settled = 1;
		}
		/* two harness failures in a row: the target is gone for good */
		if (rc.res.liveness == HCF_LIVE_HARNESS) {
			if (++rc.consecutive_harness_errors >= 2) {
				i += (size_t)settled;
				report_error(&rc, tests, i, n, "the target failed twice in a row; giving up");
				ret = -1;
				break;
			}
		} else {
			rc.consecutive_harness_errors = 0;
		}
		i += (size_t)settled;
	}
	stats->seconds = hcf_now_s() - t0;
	ti = t->ops->info(t);
	stats->restores = (size_t)(ti->restores - restores0);
	stats->rebuilds = (size_t)(ti->rebuilds - rebuilds0);
	hcf_prog_free(&rc.batch);
	hcf_judged_free(&rc.one);
	hcf_result_free(&rc.res);
	free(rc.cvs);
	free(rc.matched);
	return ret;
}
