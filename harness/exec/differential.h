/*
 * differential.h: a second target that every program also runs on, and
 * their differences as issues of the first run.
 *
 * `hcfuzz fuzz --diff-target B` and the minimizer of what it finds run each
 * program on the campaign's target and then on B, from boot both; every
 * place where B's result differs from the first (oracles/difference.h:
 * declared nondeterminism and transport clobbers left out) becomes a FAIL
 * issue of oracle "diff" on the first run's call verdicts, with both values,
 * so findings, their signatures, deduplication and minimization treat a
 * difference like any other issue.
 *
 * A side is written NAME[,transport=X][,KEY[=VALUE]]... (as the diff
 * command's --target): a target with its own transport and parameters.
 */
#ifndef HCF_DIFFERENTIAL_H
#define HCF_DIFFERENTIAL_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/judged.h"
#include "oracles/models/model.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"

/* Split a side in place: its target name, transport (NULL: the spec's
 * first) and parameters into opts (pointing into text). 0, or -1 with err. */
int hcf_side_split(char *text, const char **name, const char **transport,
		   struct hcf_target_opts *opts, char *err, size_t errlen);

struct hcf_diff_target {
	char label[128];               /* the side as given */
	char *text;                    /* split copy the target's parameters point into */
	struct hcf_abi *abi;           /* the spec loaded again, with the side's transport (the
	                                  target runs the first ABI when the transports agree) */
	struct hcf_target *t;
	struct hcf_model model;
	bool have_model;
	struct hcf_judged j;           /* its run of the current program */
	struct hcf_prog conv;          /* the program against abi (transports differ) */
	bool same_transport;           /* programs run on it as they are */
	size_t differences;            /* found in every program so far */
};

/* Open side `side` for spec_path; first_abi is the first target's (programs
 * run on the side as they are when the transports agree). 0, or -1 with
 * err; d is then closed. */
int hcf_diff_target_open(struct hcf_diff_target *d, const char *spec_path, const char *side,
			 const struct hcf_abi *first_abi, char *err, size_t errlen);
void hcf_diff_target_close(struct hcf_diff_target *d);

/*
 * p has just run on the first target (ti_a its info) with the judgement in
 * ja: run it on d from boot and add every difference to ja->cvs. Returns
 * how many differences, or -1 when d could not run it (ja unchanged; the
 * reason in d->j.res.detail).
 */
int hcf_diff_target_judge(struct hcf_diff_target *d, const struct hcf_target_info *ti_a,
			  const struct hcf_prog *p, struct hcf_judged *ja);

#endif /* HCF_DIFFERENTIAL_H */
