/*
 * kvm_machine.h: the x86-64 machine hcfuzz's VMs start in, as plain C over a
 * host mapping of guest RAM and the KVM ioctls.
 *
 * Two programs build this machine: hcfuzz's in-process VMM (vmm_kvm.c,
 * x86_setup.c) and every reproducer `hcfuzz repro` writes, which carries this
 * file verbatim (reports/repro_rt/). So it depends on nothing but libc,
 * <linux/kvm.h> and the layout in hcf_proto.h, and every function is static:
 * whatever changes here changes both at once.
 *
 * The machine: identity page tables over the low 4 GiB, every entry
 * user-accessible (PVM runs a guest natively only then) with accessed and
 * dirty preset (the CPU never writes the tables, so a dirty page-table page
 * means someone else wrote it); page 0 and the stack below its top page
 * (HCF_GPA_STACK_MAPPED) left unmapped; a flat GDT with a 64-bit code segment and a busy TSS; 256
 * interrupt gates; long mode with SSE, no EFER.SCE (a stray syscall is a clean
 * #UD); the CPUID table KVM supports; KVM's FIX_HYPERCALL_INSN quirk off.
 */
#ifndef HCF_KVM_MACHINE_H
#define HCF_KVM_MACHINE_H

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hcf_proto.h"

/* Older kernel headers lack these (Linux 6.0 added the quirk control). */
#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2 213
#endif
#ifndef KVM_X86_QUIRK_FIX_HYPERCALL_INSN
#define KVM_X86_QUIRK_FIX_HYPERCALL_INSN (1 << 5)
#endif

#define HCF_X86_SEL_CODE 0x08
#define HCF_X86_SEL_DATA 0x10
#define HCF_X86_SEL_TSS  0x18

#define HCF_KM_PML4 (HCF_GPA_PGTABLES + 0x0000)
#define HCF_KM_PDPT (HCF_GPA_PGTABLES + 0x1000)
#define HCF_KM_PD   (HCF_GPA_PGTABLES + 0x2000) /* four PDs, one per GiB */
#define HCF_KM_PT0  (HCF_GPA_PGTABLES + 0x6000) /* 4 KiB pages of the first 2 MiB */
#define HCF_KM_TSS  (HCF_GPA_GDT + 0x800)
/* Guest RAM the tables occupy: a mapping at least this big can take them. */
#define HCF_KM_TABLES_END (HCF_KM_PT0 + 0x1000)

_Static_assert(HCF_KM_PT0 + 0x1000 <= HCF_GPA_STACK_GUARD &&
		       HCF_GPA_STACK_GUARD + 0x1000 == HCF_GPA_STACK_LO &&
		       HCF_GPA_STACK_LO < HCF_GPA_STACK_MAPPED && HCF_GPA_STACK_MAPPED < HCF_GPA_STACK_HI,
	       "page tables, the stack's guard page and the stack overlap");

/* A page of the first 2 MiB no table maps: page 0 (NULL faults) and the
 * stack from its guard page up to its mapped top. Shared with the guests'
 * own tables through hcf_proto.h's constants. */
static inline int hcf_km_page_unmapped(uint64_t gpa)
{
	return gpa < 0x1000 || (gpa >= HCF_GPA_STACK_GUARD && gpa < HCF_GPA_STACK_MAPPED);
}

static inline void hcf_km_put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

/*
 * Page tables and GDT into guest RAM (at least HCF_KM_TABLES_END bytes).
 * The first 2 MiB are mapped in 4 KiB pages so that page 0 stays unmapped
 * (NULL faults), and so does the stack below its top page: a guest whose
 * exception delivery loops runs its stack into the hole and shuts down
 * after about 74 frames, instead of 1,400 (each some 50 us under PVM) or of
 * writing its frames over the page tables.
 */
static inline void hcf_km_build_tables(uint8_t *mem)
{
	const uint64_t f = 0x1 | 0x2 | 0x4 | 0x20 | 0x40; /* P RW US A D */
	memset(mem + HCF_KM_PML4, 0, 0x2000);
	hcf_km_put64(mem, HCF_KM_PML4, HCF_KM_PDPT | f);
	for (uint64_t g = 0; g < 4; g++) {
		hcf_km_put64(mem, HCF_KM_PDPT + 8 * g, (HCF_KM_PD + 0x1000 * g) | f);
		for (uint64_t i = 0; i < 512; i++)
			hcf_km_put64(mem, HCF_KM_PD + 0x1000 * g + 8 * i, (g << 30 | i << 21) | f | 0x80 /* PS */);
	}
	hcf_km_put64(mem, HCF_KM_PD, HCF_KM_PT0 | f);
	for (uint64_t i = 0; i < 512; i++)
		hcf_km_put64(mem, HCF_KM_PT0 + 8 * i,
			     hcf_km_page_unmapped(i << 12) ? 0 : i << 12 | f);

	/* Flat GDT: 64-bit code, data, and a 16-byte busy TSS descriptor. */
	const uint64_t tss = HCF_KM_TSS;
	memset(mem + HCF_GPA_GDT, 0, 0x1000);
	hcf_km_put64(mem, HCF_GPA_GDT + HCF_X86_SEL_CODE, 0x00af9b000000ffffull);
	hcf_km_put64(mem, HCF_GPA_GDT + HCF_X86_SEL_DATA, 0x00cf93000000ffffull);
	hcf_km_put64(mem, HCF_GPA_GDT + HCF_X86_SEL_TSS,
		     0x67 | (tss & 0xffffff) << 16 | 0x8bull << 40 | (tss >> 24 & 0xff) << 56);
	hcf_km_put64(mem, HCF_GPA_GDT + HCF_X86_SEL_TSS + 8, tss >> 32);
}

/* The IDT at HCF_GPA_IDT: 256 DPL0 interrupt gates, vector v to handlers[v]. */
static inline void hcf_km_build_idt(uint8_t *mem, const uint64_t handlers[256])
{
	for (uint64_t v = 0; v < 256; v++) {
		uint64_t a = handlers[v];
		hcf_km_put64(mem, HCF_GPA_IDT + 16 * v,
			     (a & 0xffff) | (uint64_t)HCF_X86_SEL_CODE << 16 | 0x8eull << 40 |
				     (a >> 16 & 0xffff) << 48);
		hcf_km_put64(mem, HCF_GPA_IDT + 16 * v + 8, a >> 32);
	}
}

/* Segment and control registers for long mode; IDTR points at the IDT above. */
static inline void hcf_km_long_mode_sregs(struct kvm_sregs *s)
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
		.base = HCF_KM_TSS, .limit = 0x67, .selector = HCF_X86_SEL_TSS, .type = 11,
		.present = 1, .s = 0,
	};
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = tss;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.unusable = 1;
	s->gdt.base = HCF_GPA_GDT;
	s->gdt.limit = 0x800 - 1;
	s->idt.base = HCF_GPA_IDT;
	s->idt.limit = 256 * 16 - 1;
	s->cr3 = HCF_KM_PML4;
	s->cr0 = 0x80000033; /* PG NE ET MP PE */
	s->cr4 = 0x620;      /* OSXMMEXCPT OSFXSR PAE */
	s->efer = 0x500;     /* LMA LME */
}

/*
 * Pages no page-by-page memory check judges: the VIF page (the hypervisor's
 * once registered), the mailbox (written by both sides; outside the dirty
 * log) and the arena (judged buffer by buffer, with guards). And the agent's
 * stacks, which its own calls write. Every other page of guest RAM must keep
 * its bytes unless a call was told to write there. Marked unused: not every
 * reproducer checks pages.
 */
__attribute__((unused)) static inline int hcf_km_page_unjudged(uint64_t gpa)
{
	return (gpa >= HCF_GPA_VIF && gpa < HCF_GPA_VIF + 0x1000) ||
	       (gpa >= HCF_GPA_MBOX && gpa < HCF_GPA_MBOX + HCF_MBOX_SIZE) ||
	       (gpa >= HCF_GPA_ARENA && gpa < HCF_GPA_ARENA + HCF_ARENA_SIZE);
}

__attribute__((unused)) static inline int hcf_km_page_stack(uint64_t gpa)
{
	return gpa >= HCF_GPA_STACK_LO && gpa < HCF_GPA_XSTACK_HI;
}

/* The capabilities a VM cannot do without, and what for. NULL: all there;
 * else the first missing one, "KVM_CAP_...: what for". */
static inline const char *hcf_km_missing_cap(int kvm_fd)
{
	static const struct {
		int cap;
		const char *text;
	} required[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY, needed for guest RAM from this process" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT, needed for the watchdog that turns a "
					  "stuck guest into a hang" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID, needed for the guest's CPUID table" },
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, required[i].cap) <= 0)
			return required[i].text;
	return NULL;
}

/*
 * The CPUID table KVM supports, as the guest's (KVM_SET_CPUID2), and the
 * vendor string it names (13 bytes). 0, or -1 with errno and *what naming
 * the ioctl that failed. The table is asked for with room for 256 entries
 * and doubled while KVM says E2BIG.
 */
static inline int hcf_km_set_cpuid(int kvm_fd, int vcpu_fd, char vendor[13], const char **what)
{
	for (unsigned n = 256; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
		if (!c) {
			*what = "KVM_GET_SUPPORTED_CPUID";
			errno = ENOMEM;
			return -1;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			int e = errno;
			free(c);
			if (e == E2BIG)
				continue;
			*what = "KVM_GET_SUPPORTED_CPUID";
			errno = e;
			return -1;
		}
		memset(vendor, 0, 13);
		for (unsigned i = 0; i < c->nent; i++)
			if (c->entries[i].function == 0) {
				memcpy(vendor, &c->entries[i].ebx, 4);
				memcpy(vendor + 4, &c->entries[i].edx, 4);
				memcpy(vendor + 8, &c->entries[i].ecx, 4);
			}
		int rc = ioctl(vcpu_fd, KVM_SET_CPUID2, c);
		int e = errno;
		free(c);
		if (rc < 0) {
			*what = "KVM_SET_CPUID2";
			errno = e;
			return -1;
		}
		return 0;
	}
	*what = "KVM_GET_SUPPORTED_CPUID (more than 4096 entries)";
	errno = E2BIG;
	return -1;
}

/*
 * With KVM's FIX_HYPERCALL_INSN quirk the hypervisor rewrites the other
 * vendor's vmcall/vmmcall in guest memory; hcfuzz turns it off so that the
 * instruction is a clean #UD. 1: off now, 0: the host cannot turn it off.
 */
static inline int hcf_km_disable_hypercall_quirk(int kvm_fd, int vm_fd)
{
	int quirks = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	if (quirks <= 0 || !(quirks & KVM_X86_QUIRK_FIX_HYPERCALL_INSN))
		return 0;
	struct kvm_enable_cap ec;
	memset(&ec, 0, sizeof(ec));
	ec.cap = KVM_CAP_DISABLE_QUIRKS2;
	ec.args[0] = KVM_X86_QUIRK_FIX_HYPERCALL_INSN;
	return ioctl(vm_fd, KVM_ENABLE_CAP, &ec) == 0;
}

#endif /* HCF_KVM_MACHINE_H */
