/*
 * model_run.h: specs from the source tree and programs run on the model
 * target, for unit tests.
 *
 * The source tree is HCF_SOURCE_DIR (ctest sets it); without it a test that
 * needs it is skipped, saying why. Every failure here fails the test with
 * the loader's or the parser's diagnostics.
 */
#ifndef HCF_TEST_MODEL_RUN_H
#define HCF_TEST_MODEL_RUN_H

#include <stdbool.h>

#include "oracles/models/model.h"
#include "oracles/verdict.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/result.h"
#include "target/target.h"

const char *mr_src_dir(void);
/* A spec from text, named name in diagnostics. */
struct hcf_abi *mr_load_text(const char *name, const char *text);
/* The spec at rel in the source tree. */
struct hcf_abi *mr_load_src(const char *rel);
/* The same with its first `from` replaced by `to` (a misstated copy). */
struct hcf_abi *mr_load_variant(const char *rel, const char *from, const char *to);
/* A program in the text format. */
void mr_parse(struct hcf_prog *p, const struct hcf_abi *abi, const char *text);

#define MR_MAXCALLS 32

/* A program, what the model target answered, room for its verdicts. */
struct mr_run {
	struct hcf_prog p;
	struct hcf_prog_result res;
	struct hcf_call_verdict cvs[MR_MAXCALLS];
	enum hcf_verdict worst;
	struct hcf_target_info ti;  /* the model target's */
};

/* The model target for abi, and a model of the ABI opened on its info, as
 * hcfuzz conform --target model opens them (hcf_target_close, hcf_model_close). */
void mr_open_model(const struct hcf_abi *abi, struct hcf_target **t, struct hcf_model *m);

/* Parse text (at most MR_MAXCALLS calls) and run it on a model target of
 * its own, closed again: every run starts from the model's boot state. */
void mr_run_model(struct mr_run *r, const struct hcf_abi *abi, const char *text);
void mr_run_free(struct mr_run *r);

/* Make the one-call result of r say the VMM did otherwise than the model
 * target: the call came back, or the guest was lost in it this way. */
void mr_as_returned(struct mr_run *r);
void mr_as_lost(struct mr_run *r, enum hcf_liveness why);

/* Has cv an issue of that oracle, at that place (NULL: any), whose reason
 * holds reason_part (NULL: any)? */
bool mr_has_issue(const struct hcf_call_verdict *cv, const char *oracle, const char *where,
		  const char *reason_part);

#endif /* HCF_TEST_MODEL_RUN_H */
