/* bench_inputs.h: what the fuzzing benchmarks share: their arguments and their seeded inputs. */
#ifndef HCF_BENCH_INPUTS_H
#define HCF_BENCH_INPUTS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The spec a benchmark runs: argv[1], else specs/pvm.yaml under
 * HCF_SOURCE_DIR (the current directory without it). */
static inline void bench_spec_arg(int argc, char **argv, char *spec, size_t speclen)
{
	const char *src = getenv("HCF_SOURCE_DIR") ? getenv("HCF_SOURCE_DIR") : ".";
	if (argc > 1)
		snprintf(spec, speclen, "%s", argv[1]);
	else
		snprintf(spec, speclen, "%s/specs/pvm.yaml", src);
}

/*
 * [SPEC] [INPUTS] [ROUNDS]: the spec (default specs/pvm.yaml under
 * HCF_SOURCE_DIR), how many inputs (default 2000), rounds (1..50, default
 * 5). Returns 0, or 2 after printing the usage of name.
 */
static inline int bench_args(int argc, char **argv, const char *name, char *spec, size_t speclen,
			     size_t *n, int *rounds)
{
	bench_spec_arg(argc, argv, spec, speclen);
	*n = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000;
	*rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (*n == 0 || *rounds < 1 || *rounds > 50) {
		fprintf(stderr, "usage: %s [SPEC] [INPUTS] [ROUNDS (1..50)]\n", name);
		return 2;
	}
	return 0;
}

/* n inputs of 8..128 bytes each (input i at i * 128, its length in
 * (*lens)[i]), the same every run: splitmix64 from a fixed seed, as
 * bench_fuzz makes them. */
static inline uint8_t *bench_make_inputs(size_t n, size_t **lens)
{
	uint64_t x = 0x6863667a7a62656eull;
	uint8_t *buf = malloc(n * 128);
	*lens = malloc(n * sizeof(**lens));
	for (size_t i = 0; i < n; i++) {
		x += 0x9e3779b97f4a7c15ull;
		uint64_t z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		(*lens)[i] = 8 + (z >> 40) % 121;
		for (size_t k = 0; k < 128; k++) {
			x += 0x9e3779b97f4a7c15ull;
			z = x;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			buf[i * 128 + k] = (uint8_t)(z ^ (z >> 31));
		}
	}
	return buf;
}

#endif /* HCF_BENCH_INPUTS_H */
