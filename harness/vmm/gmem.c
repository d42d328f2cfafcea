/* gmem.c: the bounds- and overflow-checked guest memory accessor. */
#include "vmm/gmem.h"

#include <string.h>

void *hcf_gmem_at(const struct hcf_gmem *m, hcf_gpa_t gpa, uint64_t len)
{
	if (!m || !m->host)
		return NULL;
	/* gpa + len must not wrap and must stay inside RAM; len 0 is a valid
	 * empty range only at an address inside RAM. */
	if (gpa.v >= m->size || len > m->size - gpa.v)
		return NULL;
	return m->host + gpa.v;
}

int hcf_gmem_read(const struct hcf_gmem *m, hcf_gpa_t gpa, void *dst, uint64_t len)
{
	const void *p = hcf_gmem_at(m, gpa, len);
	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int hcf_gmem_write(const struct hcf_gmem *m, hcf_gpa_t gpa, const void *src, uint64_t len)
{
	void *p = hcf_gmem_at(m, gpa, len);
	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int hcf_gva_to_gpa(const struct hcf_gmem *m, hcf_gva_t gva, hcf_gpa_t *gpa)
{
	if (gva.v >= m->size)
		return -1;
	*gpa = hcf_gpa(gva.v);
	return 0;
}
