/*
 * features.h: what the hypervisor did, as coverage features for the engines.
 *
 * The harness code is the same for every input; what should steer a fuzzer
 * is the hypervisor's behaviour. Every completed call gives one feature: a
 * hash of the call (op, or the class of an undeclared number), how it ended
 * (outcome, exception vector, a bucket of its return value: zero, the exact
 * errno, small, by magnitude) and the set of registers it changed. A call
 * that drew an issue adds a feature for the oracle and where. Consecutive
 * calls add a pair feature, so order matters too. Features index a table of
 * HCF_FEATURE_SLOTS counters that each engine reads its own way (libFuzzer:
 * extra counters; AFL++: a byte each of its shared coverage map).
 *
 * The host kernel's kcov, where the kernel has it, adds the KVM code paths
 * each execution took; here it is detected and reported, and silently absent
 * is never an option: the campaign prints why it is off.
 */
#ifndef HCF_FEATURES_H
#define HCF_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracles/verdict.h"
#include "prog/prog.h"
#include "target/result.h"

#define HCF_FEATURE_SLOTS 16384u

/* Feature slots an executed program hit (deduplicated, at most max). */
size_t hcf_features_of(const struct hcf_prog *p, const struct hcf_prog_result *r,
		       const struct hcf_call_verdict *cvs, uint32_t *slots, size_t max);

/* A set of slots seen (for "features" counts and "time since new"). */
struct hcf_feature_set {
	uint64_t bits[HCF_FEATURE_SLOTS / 64];
	size_t count;
};
/* Add slots; returns how many were new. */
size_t hcf_feature_set_add(struct hcf_feature_set *s, const uint32_t *slots, size_t n);
void hcf_feature_set_or(struct hcf_feature_set *dst, const struct hcf_feature_set *src);

/* kcov: the host kernel's coverage of one thread. */
struct hcf_kcov {
	int fd;
	uint64_t *area;
	size_t words;
	bool on;
	char why[160];   /* why it is off, or what it is */
};
/* Try to enable kcov for the calling thread; fills why either way. */
void hcf_kcov_open(struct hcf_kcov *k);
void hcf_kcov_reset(struct hcf_kcov *k);                 /* before an execution */
size_t hcf_kcov_collect(struct hcf_kcov *k, uint32_t *slots, size_t max); /* after it */
void hcf_kcov_close(struct hcf_kcov *k);

#endif /* HCF_FEATURES_H */
