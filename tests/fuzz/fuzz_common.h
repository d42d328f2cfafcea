/*
 * fuzz_common.h: what the parser fuzz targets share: the specs programs run
 * against (abis.list), cutting one input into several files, and failing
 * loudly when a property does not hold.
 */
#ifndef HCF_FUZZ_COMMON_H
#define HCF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/diag.h"

/* Between two files of one input (a YAML comment line, so that a FastABI
 * seed of several files is still YAML). make-seeds.sh writes the same. */
#define HCF_FUZZ_SPLIT "\n#--hcfuzz-next-file--\n"

/* The specs of tests/fuzz/abis.list, loaded once (the source tree from
 * $HCF_SOURCE_DIR, else the one this was built from). Exits when one does
 * not load: the targets would test nothing. */
size_t hcf_fuzz_abis(const struct hcf_abi *const **abis);

/* The spec an input's first byte picks; *data and *len move past it.
 * NULL for an empty input. */
const struct hcf_abi *hcf_fuzz_pick_abi(const uint8_t **data, size_t *len);

/* Cut data at every HCF_FUZZ_SPLIT into at most max parts (the last one
 * keeps the rest). Returns how many; parts point into data. */
struct hcf_fuzz_part {
	const char *p;
	size_t len;
};
size_t hcf_fuzz_split(const uint8_t *data, size_t len, struct hcf_fuzz_part *parts, size_t max);

/* What a spec load promises, checked (abi freed): refused, a diagnostic
 * and nothing returned; accepted, the codec decodes data against it into a
 * valid program. */
void hcf_fuzz_check_spec_load(int rc, struct hcf_abi *abi, const struct hcf_diags *d,
			      const uint8_t *data, size_t len);

/* A property that failed: print why and abort (libFuzzer keeps the input). */
_Noreturn void hcf_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HCF_FUZZ_COMMON_H */
