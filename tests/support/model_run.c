/* model_run.c: specs from the source tree and programs on the model target, for unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_run.h"
#include "exec/targets.h"
#include "util/fileio.h"

const char *mr_src_dir(void)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src) {
		print_message("skipped: HCF_SOURCE_DIR not set (run under ctest)\n");
		skip();
	}
	return src;
}

struct hcf_abi *mr_load_text(const char *name, const char *text)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer(name, text, strlen(text), &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("%s does not load", name);
	}
	return abi;
}

struct hcf_abi *mr_load_src(const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", mr_src_dir(), rel);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("%s does not load", path);
	}
	return abi;
}

struct hcf_abi *mr_load_variant(const char *rel, const char *from, const char *to)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", mr_src_dir(), rel);
	size_t len;
	char *orig = hcf_read_file(path, 1u << 20, &len);
	assert_non_null(orig);
	const char *at = strstr(orig, from);
	if (!at)
		fail_msg("%s does not hold \"%s\"", rel, from);
	char *text = malloc(len + strlen(to) + 1);
	assert_non_null(text);
	size_t head = (size_t)(at - orig);
	memcpy(text, orig, head);
	strcpy(text + head, to);
	strcat(text, at + strlen(from));
	struct hcf_abi *abi = mr_load_text("variant.yaml", text);
	free(text);
	free(orig);
	return abi;
}

void mr_parse(struct hcf_prog *p, const struct hcf_abi *abi, const char *text)
{
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_prog_parse(p, abi, "test.hcf", text, strlen(text), &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("program does not parse: %s", text);
	}
}

static struct hcf_target *open_model_target(const struct hcf_abi *abi)
{
	struct hcf_target *t = NULL;
	struct hcf_target_opts opts = { 0 };
	char err[256];
	if (hcf_target_open("model", &t, abi, &opts, err, sizeof(err)) != 0)
		fail_msg("the model target does not open: %s", err);
	return t;
}

void mr_open_model(const struct hcf_abi *abi, struct hcf_target **t, struct hcf_model *m)
{
	*t = open_model_target(abi);
	assert_int_equal(hcf_model_open(m, abi, (*t)->ops->info(*t)), 0);
}

void mr_run_model(struct mr_run *r, const struct hcf_abi *abi, const char *text)
{
	memset(r, 0, sizeof(*r));
	mr_parse(&r->p, abi, text);
	assert_true(r->p.ncalls <= MR_MAXCALLS);
	struct hcf_target *t = open_model_target(abi);
	hcf_result_init(&r->res, 0);
	assert_int_equal(hcf_target_run(t, &r->p, &r->res), 0);
	r->ti = *t->ops->info(t);
	hcf_target_close(t);
}

void mr_run_free(struct mr_run *r)
{
	hcf_result_free(&r->res);
	hcf_prog_free(&r->p);
}

void mr_as_returned(struct mr_run *r)
{
	r->res.calls[0].outcome = HCF_CO_RETURNED;
	r->res.liveness = HCF_LIVE_OK;
	r->res.ndone = 1;
}

void mr_as_lost(struct mr_run *r, enum hcf_liveness why)
{
	r->res.calls[0].outcome = why == HCF_LIVE_HANG ? HCF_CO_HANG : HCF_CO_GUEST_LOST;
	r->res.calls[0].lost_why = why;
	r->res.liveness = why;
	r->res.ndone = 0;
}

bool mr_has_issue(const struct hcf_call_verdict *cv, const char *oracle, const char *where,
		  const char *reason_part)
{
	for (size_t k = 0; k < cv->nissues; k++) {
		const struct hcf_issue *is = &cv->issues[k];
		if (!strcmp(is->oracle, oracle) && (!where || !strcmp(is->where, where)) &&
		    (!reason_part || strstr(is->reason, reason_part)))
			return true;
	}
	return false;
}
