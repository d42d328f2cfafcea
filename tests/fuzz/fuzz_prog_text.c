/*
 * fuzz_prog_text.c: the program text parser (hcf_prog_parse) on arbitrary
 * text, and what a parsed program promises: it is valid, it prints, the
 * printed text parses back to an equal program, and where the codec can
 * express it, its encoding decodes back to an equal program. The input's
 * first byte picks the spec (abis.list); the rest is the text. Corpus
 * files (*.hcf) reach the parser this way in "hcfuzz encode", replay,
 * finding loads and campaign seeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "prog/codec.h"
#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct hcf_abi *abi = hcf_fuzz_pick_abi(&data, &len);
	if (!abi)
		return 0;
	struct hcf_prog p, q;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_prog_parse(&p, abi, "fuzz.hcf", (const char *)data, len, &d) != 0) {
		if (!d.n)
			hcf_fuzz_fail("a program was refused without a diagnostic");
		if (p.ncalls || p.nbufs)
			hcf_fuzz_fail("a refused program was left with calls or buffers");
		hcf_prog_free(&p);
		return 0;
	}
	char why[256];
	if (hcf_prog_validate(&p, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a parsed program is invalid: %s", why);
	char *text = hcf_prog_to_text(&p);
	if (!text)
		hcf_fuzz_fail("a parsed program does not print");
	hcf_diags_init(&d);
	if (hcf_prog_parse(&q, abi, "printed.hcf", text, strlen(text), &d) != 0) {
		hcf_diags_print(&d, stderr);
		hcf_fuzz_fail("a printed program does not parse:\n%s", text);
	}
	if (!hcf_prog_equal(&p, &q))
		hcf_fuzz_fail("a printed program parses to another program:\n%s", text);
	hcf_prog_free(&q);
	free(text);

	uint8_t *bytes = NULL;
	size_t n = 0;
	if (hcf_prog_encode(&p, &bytes, &n, why, sizeof(why)) == 0) {
		hcf_prog_init(&q, abi);
		hcf_prog_decode(&q, abi, bytes, n);
		if (!hcf_prog_equal(&p, &q))
			hcf_fuzz_fail("an encoded program decodes to another program");
		hcf_prog_free(&q);
		free(bytes);
	}
	hcf_prog_free(&p);
	return 0;
}
