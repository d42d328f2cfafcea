/* x86_setup.c: kvm_machine.h's machine written into checked guest memory. */
#include "vmm/x86_setup.h"

#include "hcf_proto.h"
#include "vmm/kvm_machine.h"

int hcf_x86_build_tables(const struct hcf_gmem *m)
{
	uint8_t *mem = hcf_gmem_at(m, hcf_gpa(0), HCF_KM_TABLES_END);
	if (!mem)
		return -1;
	hcf_km_build_tables(mem);
	return 0;
}

int hcf_x86_build_idt(const struct hcf_gmem *m, const uint64_t handlers[256])
{
	uint8_t *mem = hcf_gmem_at(m, hcf_gpa(0), HCF_GPA_IDT + 256 * 16);
	if (!mem)
		return -1;
	hcf_km_build_idt(mem, handlers);
	return 0;
}

void hcf_x86_long_mode_sregs(struct kvm_sregs *s)
{
	hcf_km_long_mode_sregs(s);
}
