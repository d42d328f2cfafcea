/*
 * codec.h: fuzzer bytes <-> programs.
 *
 * Decoding is total: every byte string, the empty one included, decodes to a
 * valid program for the given spec; nothing is rejected. The spec drives the
 * choices: which call and sub-operation (declared ones weighted far above
 * undeclared numbers), interesting values per argument width (boundaries,
 * the spec's hints and constants, sign bits, garbage above a narrow width),
 * guest addresses (a program buffer, its edges, outside guest RAM, the
 * agent's own code and data, non-canonical), structure arguments laid out in
 * buffers with pointer and length fields aimed at valid, boundary and invalid
 * places. Encoding is the inverse: any program the decoder can produce, and
 * any program the text format can express within the codec's limits, encodes
 * to bytes that decode back to an equal program (hcf_prog_equal), and the
 * encoding of a decoded program is canonical. docs/fuzz-input-format.md
 * describes the byte layout.
 */
#ifndef HCF_CODEC_H
#define HCF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "prog/prog.h"
#include "spec/spec.h"

#define HCF_CODEC_VERSION 1
#define HCF_CODEC_MAX_CALLS 32   /* calls a decoded program can have */
#define HCF_CODEC_MAX_BUFS 8     /* buffers a decoded program can have */

/* Decode data[0..len) into p (initialised with hcf_prog_init for abi; any
 * previous content is reset). Never fails for a valid abi. */
void hcf_prog_decode(struct hcf_prog *p, const struct hcf_abi *abi, const uint8_t *data,
		     size_t len);

/*
 * Encode p. Returns 0 with a malloc'ed buffer in *out and its length, or -1
 * when p is outside what the codec can express (more calls or buffers than
 * its limits), with the reason in err.
 */
int hcf_prog_encode(const struct hcf_prog *p, uint8_t **out, size_t *len, char *err,
		    size_t errlen);

#endif /* HCF_CODEC_H */
