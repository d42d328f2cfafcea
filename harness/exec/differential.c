/* differential.c: a second target's run of each program, its differences as issues. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/differential.h"
#include "exec/targets.h"
#include "oracles/difference.h"
#include "spec/transport.h"
#include "util/xalloc.h"

int hcf_side_split(char *text, const char **name, const char **transport,
		   struct hcf_target_opts *opts, char *err, size_t errlen)
{
	char *save = NULL;
	*name = strtok_r(text, ",", &save);
	*transport = NULL;
	if (!*name || !hcf_target_find(*name)) {
		snprintf(err, errlen, "unknown target '%s' (`hcfuzz targets` lists them)",
			 *name ? *name : "");
		return -1;
	}
	for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		if (!strncmp(kv, "transport=", 10)) {
			*transport = kv + 10;
		} else if (opts->nparams == HCF_TARGET_MAX_PARAMS) {
			snprintf(err, errlen, "at most %u target parameters", HCF_TARGET_MAX_PARAMS);
			return -1;
		} else {
			opts->params[opts->nparams++] = kv;
		}
	}
	return 0;
}

int hcf_diff_target_open(struct hcf_diff_target *d, const char *spec_path, const char *side,
			 const struct hcf_abi *first_abi, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	hcf_judged_init(&d->j);
	snprintf(d->label, sizeof(d->label), "%s", side);
	d->text = hcf_xstrdup(side);
	const char *name, *transport;
	struct hcf_target_opts opts = { 0 };
	if (hcf_side_split(d->text, &name, &transport, &opts, err, errlen) != 0)
		goto fail;
	struct hcf_diags diags;
	hcf_diags_init(&diags);
	if (hcf_spec_load(spec_path, &d->abi, &diags) != 0) {
		snprintf(err, errlen, "%s: cannot load the spec", spec_path);
		goto fail;
	}
	if (transport && hcf_spec_use_transport(d->abi, transport, err, errlen) != 0)
		goto fail;
	char ta[64], tb[64];
	hcf_xport_describe(&first_abi->transport, ta, sizeof(ta));
	hcf_xport_describe(&d->abi->transport, tb, sizeof(tb));
	d->same_transport = !strcmp(ta, tb);
	/* A target runs programs of the ABI it was opened for: with the same
	 * transport, the first target's, so that programs need no conversion. */
	const struct hcf_abi *run_abi = d->same_transport ? first_abi : d->abi;
	char why[400];
	if (hcf_target_open(name, &d->t, run_abi, &opts, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "target %s: %s", side, why);
		goto fail;
	}
	d->have_model = hcf_model_open(&d->model, run_abi, d->t->ops->info(d->t)) == 0;
	hcf_prog_init(&d->conv, d->abi);
	return 0;
fail:
	hcf_diff_target_close(d);
	return -1;
}

void hcf_diff_target_close(struct hcf_diff_target *d)
{
	if (d->have_model)
		hcf_model_close(&d->model);
	if (d->abi)
		hcf_prog_free(&d->conv);
	hcf_judged_free(&d->j);
	hcf_target_close(d->t);
	hcf_spec_free(d->abi);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

int hcf_diff_target_judge(struct hcf_diff_target *d, const struct hcf_target_info *ti_a,
			  const struct hcf_prog *p, struct hcf_judged *ja)
{
	const struct hcf_prog *pb = p;
	if (!d->same_transport) {
		hcf_prog_free(&d->conv);
		if (hcf_prog_convert(p, d->abi, &d->conv) != 0) {
			snprintf(d->j.res.detail, sizeof(d->j.res.detail),
				 "the program cannot be made with %s's transport", d->label);
			return -1;
		}
		pb = &d->conv;
	}
	hcf_run_judged(d->t, d->have_model ? &d->model : NULL, pb, HCF_RUN_FROM_BOOT, NULL, &d->j);
	if (d->j.target_failed)
		return -1;
	struct hcf_diff_side a = { .res = &ja->res, .abi = p->abi,
				   .rflags_captured = ti_a->rflags_captured };
	struct hcf_diff_side b = { .res = &d->j.res, .abi = d->abi,
				   .rflags_captured = d->t->ops->info(d->t)->rflags_captured };
	struct hcf_differences df;
	hcf_differ(p, &a, &b, &df);
	if (!p->ncalls || !ja->cvs)
		return (int)df.found;
	for (size_t k = 0; k < df.n; k++) {
		const struct hcf_difference *x = &df.d[k];
		/* a difference of the program as a whole goes to its last call */
		size_t call = x->call < p->ncalls ? x->call : p->ncalls - 1;
		struct hcf_call_verdict *cv = &ja->cvs[call];
		if (x->has_values)
			hcf_call_verdict_add_values(cv, HCF_V_FAIL, "diff", &x->loc, x->was_v, x->now_v,
						    "differs on %s: here %s, there %s", d->label,
						    x->was, x->now);
		else
			hcf_call_verdict_add(cv, HCF_V_FAIL, "diff", &x->loc,
					     "differs on %s: here %s, there %s", d->label, x->was,
					     x->now);
	}
	if (df.found)
		ja->worst = hcf_verdict_worst(ja->worst, HCF_V_FAIL);
	d->differences += df.found;
	return (int)df.found;
}
