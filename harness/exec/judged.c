/* judged.c: back to boot, run, judge (judged.h). */
#include "exec/judged.h"
#include "exec/requires.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

void hcf_judged_init(struct hcf_judged *j)
{
	memset(j, 0, sizeof(*j));
	hcf_result_init(&j->res, 0);
}

void hcf_judged_free(struct hcf_judged *j)
{
	hcf_result_free(&j->res);
	free(j->cvs);
	j->cvs = NULL;
	j->cvs_cap = 0;
}

/* The hypervisor lacks the ABI (exec/requires.h): nothing runs, every call
 * is SKIP with the reason. */
static enum hcf_verdict not_applicable(const struct hcf_prog *p, const char *why,
				       struct hcf_judged *j)
{
	hcf_result_reserve(&j->res, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++)
		hcf_call_result_init(&j->res.calls[i], p->calls[i].gpr);
	j->res.liveness = HCF_LIVE_OK;
	snprintf(j->res.detail, sizeof(j->res.detail), "not applicable: %s", why);
	j->reset_s = j->run_s = j->judge_s = 0;
	size_t n = p->ncalls ? p->ncalls : 1;
	if (n > j->cvs_cap) {
		free(j->cvs);
		j->cvs_cap = n;
		j->cvs = hcf_xcalloc(n, sizeof(*j->cvs));
	}
	for (size_t i = 0; i < n; i++) {
		hcf_call_verdict_init(&j->cvs[i]);
		j->cvs[i].idx = i;
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
		snprintf(loc.name, sizeof(loc.name), "abi");
		hcf_call_verdict_add(&j->cvs[i], HCF_V_SKIP, "requires", &loc, "not applicable: %s",
				     why);
	}
	j->worst = HCF_V_SKIP;
	return j->worst;
}

enum hcf_verdict hcf_run_judged(struct hcf_target *t, struct hcf_model *model,
				const struct hcf_prog *p, enum hcf_run_from from, bool *matched,
				struct hcf_judged *j)
{
	double t0 = hcf_now_s();
	j->target_failed = false;
	if (p->abi && p->abi->nrequires) {
		char why[256];
		const char *doc;
		if (hcf_requirements_check(p->abi, t->ops->info(t), why, sizeof(why), &doc) ==
		    HCF_REQ_ABSENT)
			return not_applicable(p, why, j);
	}
	if (from == HCF_RUN_FROM_BOOT) {
		if (t->ops->reset(t) != 0) {
			/* nothing ran: judge an empty result the harness lost */
			j->target_failed = true;
			hcf_result_reserve(&j->res, p->ncalls);
			hcf_result_clear(&j->res);
			j->res.ncalls = j->res.ndone = 0;
			j->res.liveness = HCF_LIVE_HARNESS;
			snprintf(j->res.detail, sizeof(j->res.detail),
				 "the target could not go back to its boot snapshot");
		}
		/* The target's snapshot holds the guest's memory and registers,
		 * not necessarily the hypervisor's state for it (an external
		 * Xen keeps its event channels): the model keeps what holds
		 * either way. */
		hcf_model_forget(model);
	}
	double t1 = hcf_now_s();
	if (j->before_run)
		j->before_run(j->before_run_arg);
	uint64_t wall0 = hcf_realtime_ns();
	if (!j->target_failed && t->ops->run(t, p, &j->res) != 0)
		j->target_failed = true;
	j->res.realtime_ns[0] = wall0;
	j->res.realtime_ns[1] = hcf_realtime_ns();
	double t2 = hcf_now_s();
	j->reset_s = t1 - t0;
	j->run_s = t2 - t1;
	j->judge_s = 0;
	if (j->no_judge) {
		j->worst = j->target_failed ? HCF_V_ERROR : HCF_V_PASS;
		return j->worst;
	}
	size_t n = p->ncalls ? p->ncalls : 1;
	if (n > j->cvs_cap) {
		free(j->cvs);
		j->cvs_cap = n;
		j->cvs = hcf_xcalloc(n, sizeof(*j->cvs));
	}
	j->worst = hcf_oracles_check_anomalies(p->abi, p, &j->res, model, t->ops->info(t), j->cvs,
					       matched);
	if (j->target_failed)
		j->worst = hcf_verdict_worst(j->worst, HCF_V_ERROR);
	j->judge_s = hcf_now_s() - t2;
	return j->worst;
}
