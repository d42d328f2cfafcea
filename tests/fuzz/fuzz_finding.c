/*
 * fuzz_finding.c: the finding reader (hcf_finding_parse_meta, the text of
 * findings/<id>/finding.json that "hcfuzz minimize", "repro" and "replay"
 * start from) on arbitrary bytes. A finding it accepts has its typed place
 * printable, and the place written back as JSON reads back the same.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/finding.h"
#include "fuzz_common.h"
#include "reports/report.h"
#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct hcf_finding f; /* 10 KiB: off the stack */
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_finding_parse_meta("finding.json", (const char *)data, len, &f, &d) != 0) {
		if (!d.n)
			hcf_fuzz_fail("a finding was refused without a diagnostic");
		return 0;
	}
	if (strnlen(f.sig.id, sizeof(f.sig.id)) == sizeof(f.sig.id) ||
	    strnlen(f.reason, sizeof(f.reason)) == sizeof(f.reason) ||
	    strnlen(f.spec, sizeof(f.spec)) == sizeof(f.spec))
		hcf_fuzz_fail("a field of a loaded finding is not terminated");
	if (f.has_loc) {
		char a[160], b[160];
		hcf_loc_format(&f.loc, a, sizeof(a));
		json_t *j = hcf_loc_to_json_v(&f.loc);
		struct hcf_loc back;
		if (hcf_loc_from_json_v(j, &back) != 0)
			hcf_fuzz_fail("the place %s, written as JSON, does not read back", a);
		json_decref(j);
		hcf_loc_format(&back, b, sizeof(b));
		if (strcmp(a, b))
			hcf_fuzz_fail("the place %s, written as JSON, reads back as %s", a, b);
	}
	hcf_finding_free(&f);
	return 0;
}
