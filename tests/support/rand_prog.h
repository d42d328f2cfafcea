/*
 * rand_prog.h: random values for property tests over programs.
 *
 * Both the codec and the text-format tests build random programs through the
 * API; the values they put in registers come from here so the two explore
 * the same space: boundaries, sentinels, the ABI's call numbers and
 * constants, and plain random words.
 */
#ifndef HCF_TEST_RAND_PROG_H
#define HCF_TEST_RAND_PROG_H

#include <stdint.h>

#include "spec/spec.h"
#include "util/splitmix.h"

/* The next word of the generator (SplitMix64). */
static inline uint64_t rnd(uint64_t *s)
{
	return hcf_splitmix64(s);
}

/* A register value a program could plausibly hold, for abi. */
uint64_t rnd_value(uint64_t *s, const struct hcf_abi *abi);

#endif /* HCF_TEST_RAND_PROG_H */
