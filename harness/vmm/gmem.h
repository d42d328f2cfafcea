/*
 * gmem.h: guest memory as the host sees it, and the one checked accessor.
 *
 * Guest-physical and guest-virtual addresses have distinct types so that a
 * GVA is never used where a GPA is meant. Every host access to guest memory
 * goes through hcf_gmem_at(), which returns NULL instead of a pointer when any
 * byte of the range lies outside guest RAM or the range arithmetic overflows:
 * a hostile guest can make the harness report an error, never read or write
 * out of bounds.
 */
#ifndef HCF_GMEM_H
#define HCF_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t v;
} hcf_gpa_t;

typedef struct {
	uint64_t v;
} hcf_gva_t;

static inline hcf_gpa_t hcf_gpa(uint64_t v)
{
	return (hcf_gpa_t){ v };
}

static inline hcf_gva_t hcf_gva(uint64_t v)
{
	return (hcf_gva_t){ v };
}

struct hcf_gmem {
	uint8_t *host;  /* host mapping of guest RAM, GPA 0 .. size */
	uint64_t size;
};

/* Host pointer to [gpa, gpa + len) or NULL if any part is outside RAM. */
void *hcf_gmem_at(const struct hcf_gmem *m, hcf_gpa_t gpa, uint64_t len);

/* Copy out of / into guest memory through the accessor. Return 0 or -1. */
int hcf_gmem_read(const struct hcf_gmem *m, hcf_gpa_t gpa, void *dst, uint64_t len);
int hcf_gmem_write(const struct hcf_gmem *m, hcf_gpa_t gpa, const void *src, uint64_t len);

/*
 * Translate an agent address. The in-process VMM maps guest RAM identity
 * (GVA == GPA) in the low 4 GiB; anything else has no translation (-1).
 */
int hcf_gva_to_gpa(const struct hcf_gmem *m, hcf_gva_t gva, hcf_gpa_t *gpa);

#endif /* HCF_GMEM_H */
