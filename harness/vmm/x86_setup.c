/* x86_setup.c: page tables, GDT, TSS and long-mode control registers for the agent. */
#include "vmm/x86_setup.h"

#include <string.h>

#include "hcf_proto.h"

#define PTE_P  0x001ull
#define PTE_RW 0x002ull
#define PTE_US 0x004ull
#define PTE_A  0x020ull
#define PTE_D  0x040ull
#define PTE_PS 0x080ull

#define PML4_GPA (HCF_GPA_PGTABLES + 0x0000)
#define PDPT_GPA (HCF_GPA_PGTABLES + 0x1000)
#define PD_GPA   (HCF_GPA_PGTABLES + 0x2000) /* four PDs, one per GiB */
#define PT0_GPA  (HCF_GPA_PGTABLES + 0x6000) /* 4 KiB pages of the first 2 MiB */
#define TSS_GPA  (HCF_GPA_GDT + 0x800)

_Static_assert(PT0_GPA + 0x1000 <= HCF_GPA_STACK_GUARD &&
		       HCF_GPA_STACK_GUARD + 0x1000 == HCF_GPA_STACK_LO,
	       "page tables, the stack's guard page and the stack overlap");

int hcf_x86_build_tables(const struct hcf_gmem *m)
{
	/* Accessed and dirty are set up front so the CPU never writes the page
	 * tables: a dirty page-table page then means someone else wrote it. */
	const uint64_t flags = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	uint64_t *pml4 = hcf_gmem_at(m, hcf_gpa(PML4_GPA), 0x1000);
	uint64_t *pdpt = hcf_gmem_at(m, hcf_gpa(PDPT_GPA), 0x1000);
	uint64_t *pd = hcf_gmem_at(m, hcf_gpa(PD_GPA), 0x4000);
	uint64_t *pt = hcf_gmem_at(m, hcf_gpa(PT0_GPA), 0x1000);
	uint64_t *gdt = hcf_gmem_at(m, hcf_gpa(HCF_GPA_GDT), 0x1000);
	if (!pml4 || !pdpt || !pd || !pt || !gdt)
		return -1;
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = PDPT_GPA | flags;
	for (unsigned g = 0; g < 4; g++) {
		pdpt[g] = (PD_GPA + g * 0x1000ull) | flags;
		for (unsigned i = 0; i < 512; i++)
			pd[g * 512 + i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) | flags | PTE_PS;
	}
	/* The first 2 MiB in 4 KiB pages, so page 0 can stay unmapped, and the
	 * page below the stack: a guest whose exception delivery loops (SMEP
	 * over the agent's user pages makes every handler fetch fault again)
	 * runs its stack down into it and shuts down, instead of writing its
	 * frames over the page tables below. */
	pd[0] = PT0_GPA | flags;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = i == 0 || i == HCF_GPA_STACK_GUARD >> 12 ? 0 : ((uint64_t)i << 12) | flags;

	memset(gdt, 0, 0x1000);
	gdt[0] = 0;
	gdt[HCF_X86_SEL_CODE / 8] = 0x00af9b000000ffffull; /* 64-bit code, DPL0 */
	gdt[HCF_X86_SEL_DATA / 8] = 0x00cf93000000ffffull; /* data, DPL0 */
	/* 64-bit TSS descriptor (16 bytes): base TSS_GPA, limit 0x67, busy. */
	uint64_t base = TSS_GPA, limit = 0x67;
	gdt[HCF_X86_SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |
				    ((base >> 24) & 0xff) << 56;
	gdt[HCF_X86_SEL_TSS / 8 + 1] = base >> 32;
	return 0;
}

int hcf_x86_build_idt(const struct hcf_gmem *m, const uint64_t handlers[256])
{
	uint8_t *idt = hcf_gmem_at(m, hcf_gpa(HCF_GPA_IDT), 256 * 16);
	if (!idt)
		return -1;
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = handlers[v];
		uint64_t lo = (a & 0xffff) | ((uint64_t)HCF_X86_SEL_CODE << 16) | (0x8eull << 40) |
			      ((a >> 16) & 0xffff) << 48;
		uint64_t hi = a >> 32;
		memcpy(idt + v * 16, &lo, 8);
		memcpy(idt + v * 16 + 8, &hi, 8);
	}
	return 0;
}

void hcf_x86_long_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = HCF_X86_SEL_CODE, .type = 11,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = HCF_X86_SEL_DATA, .type = 3,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment tss = {
		.base = TSS_GPA, .limit = 0x67, .selector = HCF_X86_SEL_TSS, .type = 11,
		.present = 1, .s = 0,
	};
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = tss;
	s->ldt = (struct kvm_segment){ .unusable = 1 };
	s->gdt.base = HCF_GPA_GDT;
	s->gdt.limit = 0x800 - 1;
	s->idt.base = HCF_GPA_IDT;
	s->idt.limit = 256 * 16 - 1;
	s->cr3 = PML4_GPA;
	s->cr0 = 0x80000033;     /* PG | NE | ET | MP | PE */
	s->cr4 = 0x620;          /* OSXMMEXCPT | OSFXSR | PAE */
	s->efer = 0x500;         /* LMA | LME; no SCE: a stray syscall is a clean #UD */
}
