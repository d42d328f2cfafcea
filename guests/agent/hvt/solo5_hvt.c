/*
 * solo5_hvt.c: the agent as a Solo5 hvt guest (hcf-agent-hvt.elf).
 *
 * A Solo5 tender (solo5-hvt, a KVM VMM of its own) loads the image, builds
 * long mode with its GDT and page tables in the pages below 0x10000 (which
 * it leaves unmapped), copies the manifest into the boot info at 0x10000
 * and enters hcf_hvt_start. The agent wants its own machine there (boot
 * block, GDT, IDT, page tables with page 0 and the stack guard unmapped),
 * so the front-end first moves to page tables of its own in the arena,
 * which the host fills only later, builds the agent's usual ones where
 * they always are, and switches to them. What the manifest says of each
 * device goes into the boot block, for the model of the device calls.
 *
 * The channel needs no call under test but one: the host maps the guest's
 * memory (the tender's shared mapping of it), the agent polls the mailbox
 * as under every external hypervisor, and its doorbell frames go out
 * through HVT_HYPERCALL_PUTS, which the tender writes to its stdout: the
 * only way out a tender offers that changes no guest state (the others are
 * the devices, whose contents are what the calls under test act on, and
 * HALT, which ends the guest).
 */
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/* Solo5's hvt ABI (include/hvt_abi.h, mft_abi.h), the parts used here. */
enum {
	HVT_PIO_BASE = 0x500,
	HVT_PUTS = 2,
	MFT_BLOCK_BASIC = 1,
	MFT_NET_BASIC = 2,
	MFT_ENTRY_SIZE = 104,
	MFT_ENTRY_TYPE = 68,
	MFT_ENTRY_CAPACITY = 72,
	MFT_ENTRY_BLOCK_SIZE = 80,
	MFT_ENTRY_MTU = 78,
	MFT_MAX_ENTRIES = 64,
	BOOT_INFO_MFT = 32,       /* struct hvt_boot_info: the manifest's address */
};

/* The agent's machine (as boot32.S and the host build it): PML4, PDPT,
 * four PDs over 4 GiB in 2 MiB pages, the first 2 MiB in 4 KiB pages with
 * page 0 and the stack guard unmapped; GDT with code 0x08, data 0x10 and a
 * TSS at 0x18 whose body follows the GDT at +0x800. */
#define PTE 0x67ull /* P RW US A D */
#define PT_PS 0x80ull
#define TMP_TABLES 0x7f0000ull /* three pages in the arena, only until the switch */

void hcf_hvt_switch(uint64_t cr3, const void *gdtr);
void hcf_hvt_ltr(void);
void agent_hvt_machine(const void *boot_info);
void agent_hvt_serve(void);

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void zero_page(uint64_t gpa)
{
	memset((void *)gpa, 0, 0x1000);
}

/* Identity tables over the low 1 GiB in 2 MiB pages at TMP_TABLES, which
 * the tender's tables map: what lets the front-end reach the low pages. */
static void temporary_tables(void)
{
	uint64_t *pml4 = (uint64_t *)TMP_TABLES, *pdpt = pml4 + 512, *pd = pml4 + 1024;
	for (uint64_t p = 0; p < 3; p++)
		zero_page(TMP_TABLES + p * 0x1000);
	pml4[0] = (uint64_t)pdpt | PTE;
	pdpt[0] = (uint64_t)pd | PTE;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE | PT_PS;
}

static void agent_tables(void)
{
	uint64_t *pml4 = (uint64_t *)HCF_GPA_PGTABLES, *pdpt = pml4 + 512, *pd = pml4 + 1024;
	uint64_t *pt0 = pml4 + 6 * 512;
	for (uint64_t p = 0; p < 7; p++)
		zero_page(HCF_GPA_PGTABLES + p * 0x1000);
	pml4[0] = (uint64_t)pdpt | PTE;
	for (uint64_t g = 0; g < 4; g++)
		pdpt[g] = (uint64_t)(pd + 512 * g) | PTE;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE | PT_PS;
	pd[0] = (uint64_t)pt0 | PTE;
	for (uint64_t i = 0; i < 512; i++)
		pt0[i] = (i == 0 || (i * 0x1000 >= HCF_GPA_STACK_GUARD &&
				     i * 0x1000 < HCF_GPA_STACK_MAPPED)) ? 0 : (i << 12) | PTE;

	uint64_t *gdt = (uint64_t *)HCF_GPA_GDT;
	zero_page(HCF_GPA_GDT);
	gdt[1] = 0x00af9b000000ffffull; /* 64-bit code */
	gdt[2] = 0x00cf93000000ffffull; /* data */
	uint64_t tss = HCF_GPA_GDT + 0x800;
	gdt[3] = 0x67 | (tss & 0xffffff) << 16 | 0x89ull << 40 | (tss >> 24 & 0xff) << 56;
}

/* The doorbell: the frame as a HVT_HYPERCALL_PUTS of its bytes. */
static void puts_frame(const void *frame, unsigned long len)
{
	static volatile struct {
		uint64_t data, len;
	} puts;
	puts.data = (uint64_t)frame;
	puts.len = len;
	__asm__ volatile("outl %0, %1"
			 :
			 : "a"((uint32_t)(uint64_t)&puts), "Nd"((uint16_t)(HVT_PIO_BASE + HVT_PUTS))
			 : "memory");
}

/* The manifest's devices (the tender's copy: untrusted as everything a
 * VMM says, so counted and bounded), by handle, into the boot block's
 * list. */
static void take_devices(const void *boot_info)
{
	uint64_t mft = *(const volatile uint64_t *)((const uint8_t *)boot_info + BOOT_INFO_MFT);
	if (mft < 0x10000 || mft >= HCF_GPA_AGENT)
		return;
	uint32_t entries = *(const volatile uint32_t *)(mft + 4);
	if (entries > MFT_MAX_ENTRIES)
		return;
	for (uint32_t h = 0; h < entries && h < HCF_MAX_DEVICES; h++) {
		const volatile uint8_t *e = (const volatile uint8_t *)(mft + 8 + h * MFT_ENTRY_SIZE);
		struct hcf_boot_device *d = &agent_boot_devices[h];
		uint32_t type = *(const volatile uint32_t *)(e + MFT_ENTRY_TYPE);
		d->type = type == MFT_BLOCK_BASIC ? HCF_DEV_BLOCK : type == MFT_NET_BASIC ? HCF_DEV_NET :
										      HCF_DEV_NONE;
		if (d->type == HCF_DEV_BLOCK) {
			d->capacity = *(const volatile uint64_t *)(e + MFT_ENTRY_CAPACITY);
			d->block_size = *(const volatile uint16_t *)(e + MFT_ENTRY_BLOCK_SIZE);
		} else if (d->type == HCF_DEV_NET) {
			d->mtu = *(const volatile uint16_t *)(e + MFT_ENTRY_MTU);
		}
		for (unsigned i = 0; i + 1 < sizeof(d->name) && e[i]; i++)
			d->name[i] = (char)e[i];
		agent_boot_ndevices = h + 1;
	}
}

/* On the tender's stack: the devices, then the agent's machine. */
void agent_hvt_machine(const void *boot_info)
{
	take_devices(boot_info); /* before the boot info's page is the agent's stack */
	temporary_tables();
	struct gdtr keep; /* the tender's GDT stays loaded until the next switch */
	__asm__ volatile("sgdt %0" : "=m"(keep));
	hcf_hvt_switch(TMP_TABLES, &keep);
	agent_tables();
	static const struct gdtr gdtr = { 0x1000 - 1, HCF_GPA_GDT };
	hcf_hvt_switch(HCF_GPA_PGTABLES, &gdtr);
	hcf_hvt_ltr();
}

/* On the agent's stack: serve. A tender runs on whatever /dev/kvm is: on
 * PVM the agent registers its VIF page, as on the kvm target, or PVM
 * emulates every instruction it executes (the agent's page tables are
 * U/S=1, as PVM's native mode wants). */
void agent_hvt_serve(void)
{
	agent_frame_out = puts_frame;
	agent_external_boot(HCF_BOOT_PVM_NATIVE);
}
