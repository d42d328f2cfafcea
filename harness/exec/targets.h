/*
 * targets.h: every target hcfuzz can run programs on, by name.
 *
 * The table lives here, above the targets (harness/target/) and the oracles'
 * models, because it names both kinds: the in-process KVM VMM and the model
 * target that answers with a reference model.
 */
#ifndef HCF_TARGETS_H
#define HCF_TARGETS_H

#include <stddef.h>

#include "spec/spec.h"
#include "target/target.h"

extern const struct hcf_target_ops hcf_target_model_ops;

/* Table of all targets, NULL-terminated. */
extern const struct hcf_target_ops *const hcf_targets[];

const struct hcf_target_ops *hcf_target_find(const char *name);

/* Open the target of this name; -1 with the reason (or the names known). */
int hcf_target_open(const char *name, struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen);

#endif /* HCF_TARGETS_H */
