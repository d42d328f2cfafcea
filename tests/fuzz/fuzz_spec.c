/*
 * fuzz_spec.c: the spec loader (hcf_spec_load_buffer) on arbitrary bytes,
 * either dialect: the native language and a Xen FastABI operation file.
 * Bad input is diagnosed, never a crash; an accepted spec is one the codec
 * can decode any bytes against into a valid program.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	int rc = hcf_spec_load_buffer("fuzz.yaml", (const char *)data, len, &abi, &d);
	hcf_fuzz_check_spec_load(rc, abi, &d, data, len);
	return 0;
}
