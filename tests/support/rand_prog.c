/* rand_prog.c: random register values for property tests (rand_prog.h). */
#include "rand_prog.h"

#include "prog/prog.h"

uint64_t rnd_value(uint64_t *s, const struct hcf_abi *abi)
{
	switch (rnd(s) % 10) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return rnd(s) & 0xff;
	case 3: return rnd(s) & 0xffffffffull;
	case 4: return 1ull << (rnd(s) % 64);
	case 5: return hcf_sentinel((unsigned)rnd(s) % HCF_NGPR, rnd(s) % 4);
	case 6: return abi->ncalls ? abi->calls[rnd(s) % abi->ncalls].nr + rnd(s) % 3 - 1 : 0;
	case 7: return abi->nconsts ? (uint64_t)abi->consts[rnd(s) % abi->nconsts].value : 7;
	default: return rnd(s);
	}
}
