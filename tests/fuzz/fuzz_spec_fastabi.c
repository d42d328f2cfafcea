/*
 * fuzz_spec_fastabi.c: the Xen FastABI dialect as a directory of operation
 * files merged into one ABI (hcf_spec_load_fastabi_texts, the code behind
 * loading a directory): an input is up to 16 files, cut at HCF_FUZZ_SPLIT,
 * so that clashes between files (numbers, names, sub-operations) are fuzzed.
 */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "util/diag.h"

#define MAX_FILES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hcf_fuzz_part parts[MAX_FILES];
	size_t n = hcf_fuzz_split(data, len, parts, MAX_FILES);
	struct hcf_spec_text files[MAX_FILES];
	char names[MAX_FILES][16];
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "op%02zu.yml", i);
		files[i] = (struct hcf_spec_text){ names[i], parts[i].p, parts[i].len };
	}
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_spec_load_fastabi_texts("fuzz-fastabi", files, n, &abi, &d);
	hcf_fuzz_check_spec_load(rc, abi, &d, data, len);
	return 0;
}
