/*
 * splitmix.h: SplitMix64, the small seeded generator behind every
 * reproducible random choice (plan values, property tests).
 *
 * One 64-bit word of state, a full period of 2^64 and good enough mixing
 * for choosing test values; the same seed gives the same sequence on every
 * machine, which is what makes a plan or a failing property test repeatable.
 */
#ifndef HCF_SPLITMIX_H
#define HCF_SPLITMIX_H

#include <stdint.h>

static inline uint64_t hcf_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* HCF_SPLITMIX_H */
