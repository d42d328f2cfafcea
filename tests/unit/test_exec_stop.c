/*
 * test_exec_stop.c: a plan stopped part way (Ctrl-C: util/interrupt.h) still
 * reports every remaining test whole: every call of it ERROR, "interrupted",
 * none left with the verdict an earlier test's call had. (A stale verdict
 * once made conform on xen-pv crash in the report writer when interrupted.)
 * Its own binary: the stop flag cannot be taken back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "model_run.h"
#include "prog/plan.h"
#include "util/diag.h"
#include "util/interrupt.h"

struct seen {
	size_t n, stopped_at, multi_after_stop;
	char bad[240];
};

static void on_test(void *ctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct seen *s = ctx;
	s->n++;
	if (i == s->stopped_at) {
		hcf_interrupt_request(); /* as the SIGINT handler does */
		return;
	}
	/* the batch the stop landed in runs to its end, judged as ever */
	if (i < s->stopped_at || s->bad[0] || o->v != HCF_V_ERROR)
		return;
	s->multi_after_stop += t->prog.ncalls > 1;
	for (size_t k = 0; k < t->prog.ncalls && !s->bad[0]; k++) {
		const struct hcf_call_verdict *cv = &o->cvs[k];
		if (cv->v != HCF_V_ERROR || cv->nissues != 1 || strcmp(cv->issues[0].oracle, "harness") ||
		    !strstr(cv->issues[0].reason, "interrupted"))
			snprintf(s->bad, sizeof(s->bad), "%s call %zu after the stop: %s, %zu issues",
				 t->id, k, hcf_verdict_name(cv->v), cv->nissues);
	}
}

static void test_stop_reports_every_call(void **state)
{
	struct hcf_abi *abi = mr_load_src("specs/pvm.yaml");
	struct hcf_test *tests = NULL;
	size_t n = 0;
	struct hcf_plan_opts popts = { 0 };
	assert_int_equal(hcf_plan_build(abi, &popts, &tests, &n), 0);
	struct hcf_diags d;
	hcf_diags_init(&d);
	/* the known anomalies' programs, several calls each, come last */
	assert_int_equal(hcf_plan_add_anomalies(abi, &tests, &n, &d), 0);
	struct hcf_target *t;
	struct hcf_model m;
	mr_open_model(abi, &t, &m);
	/* stop half way: the multi-call tests after it were judged with room
	 * for one call's verdict only */
	struct seen s = { .stopped_at = n / 2 };
	struct hcf_exec_stats st;
	hcf_exec_tests(t, abi, &m, tests, n, NULL, on_test, &s, &st);
	if (s.bad[0])
		fail_msg("%s", s.bad);
	assert_int_equal(s.n, n);
	assert_true(s.multi_after_stop > 0);
	hcf_model_close(&m);
	hcf_target_close(t);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_reports_every_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
