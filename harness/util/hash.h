/*
 * hash.h: FNV-1a, the one hash hcfuzz names things with (finding ids, seed
 * and plan file names, test ids) and checks its channels' messages with.
 * Not for anything an adversary could exploit: a checksum and a name.
 */
#ifndef HCF_HASH_H
#define HCF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HCF_FNV64_SEED 0xcbf29ce484222325ull

/* h extended with n bytes at p (start with HCF_FNV64_SEED). */
static inline uint64_t hcf_fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* h extended with the bytes of string s (NULL: none). */
static inline uint64_t hcf_fnv64_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

#endif /* HCF_HASH_H */
