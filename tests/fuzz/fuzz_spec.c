/*
 * fuzz_spec.c: the spec loader (hcf_spec_load_buffer) on arbitrary bytes,
 * either dialect: the native language and a Xen FastABI operation file.
 * Bad input is diagnosed, never a crash; an accepted spec is one the codec
 * can decode any bytes against into a valid program.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "prog/codec.h"
#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer("fuzz.yaml", (const char *)data, len, &abi, &d) != 0) {
		if (abi)
			hcf_fuzz_fail("a spec that failed to load was returned");
		if (!d.n)
			hcf_fuzz_fail("a spec failed to load without a diagnostic");
		return 0;
	}
	/* the spec's own bytes as a fuzzer input for it */
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_decode(&p, abi, data, len);
	char why[256];
	if (hcf_prog_validate(&p, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a program decoded against an accepted spec is invalid: %s", why);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
	return 0;
}
