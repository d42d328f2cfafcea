/*
 * fuzz_codec.c: the fuzz input codec's promises on arbitrary bytes (the
 * input's first byte picks the spec of abis.list, the rest is decoded):
 * decoding never fails and gives a valid program within the codec's
 * limits; it encodes, the encoding decodes to an equal program and encodes
 * again to the same bytes; it prints, and the text parses back to an equal
 * program. Corpus entries and a finding's input.bin take this way ("hcfuzz
 * decode", minimize, replay).
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
	hcf_prog_init(&p, abi);
	hcf_prog_decode(&p, abi, data, len);
	char why[256];
	if (hcf_prog_validate(&p, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a decoded program is invalid: %s", why);
	if (p.ncalls > HCF_CODEC_MAX_CALLS || p.nbufs > HCF_CODEC_MAX_BUFS)
		hcf_fuzz_fail("a decoded program is beyond the codec's limits");

	uint8_t *b1 = NULL, *b2 = NULL;
	size_t n1 = 0, n2 = 0;
	if (hcf_prog_encode(&p, &b1, &n1, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a decoded program does not encode: %s", why);
	hcf_prog_init(&q, abi);
	hcf_prog_decode(&q, abi, b1, n1);
	if (!hcf_prog_equal(&p, &q))
		hcf_fuzz_fail("an encoding decodes to another program");
	if (hcf_prog_encode(&q, &b2, &n2, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a decoded encoding does not encode: %s", why);
	if (n1 != n2 || memcmp(b1, b2, n1))
		hcf_fuzz_fail("encoding is not canonical: %zu and %zu bytes", n1, n2);
	free(b1);
	free(b2);
	hcf_prog_free(&q);

	char *text = hcf_prog_to_text(&p);
	if (!text)
		hcf_fuzz_fail("a decoded program does not print");
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_prog_parse(&q, abi, "decoded.hcf", text, strlen(text), &d) != 0) {
		hcf_diags_print(&d, stderr);
		hcf_fuzz_fail("a decoded program's text does not parse:\n%s", text);
	}
	if (!hcf_prog_equal(&p, &q))
		hcf_fuzz_fail("a decoded program's text parses to another program:\n%s", text);
	hcf_prog_free(&q);
	free(text);
	hcf_prog_free(&p);
	return 0;
}
