/*
 * xen_pv.c: the agent as a Xen PV dom0 (hcf-agent-xenpv.elf).
 *
 * A PV kernel runs at CPL3 on page tables Xen built: it has no IDT, no port
 * I/O and no privileged instructions of its own. So before the agent's core
 * runs, this front-end asks Xen, through the hypercall page Xen filled from
 * the ELF note, for what the core needs: its exception entries (trap
 * table), port I/O for the doorbell (a virtual IOPL), and the unmapped pages
 * the agent's own machine has (page 0, the stack guard), so that a NULL
 * pointer faults here as it does everywhere else. Then it writes its own
 * boot block and tags the shared pages, like every dom0 of Xen's.
 */
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/* Xen's public interface, the numbers this front-end uses (xen.h,
 * physdev.h, arch-x86/xen-x86_64.h). */
enum {
	XEN_SET_TRAP_TABLE = 0,
	XEN_UPDATE_VA_MAPPING = 14,
	XEN_PHYSDEV_OP = 33,
	PHYSDEVOP_SET_IOPL = 6,
	UVMF_INVLPG = 2,
	FLAT_KERNEL_CS = 0xe033,
};

struct xen_trap_info {
	uint8_t vector;
	uint8_t flags;    /* bits 0-1: the DPL an `int` needs; bit 2: mask events */
	uint16_t cs;
	uint64_t address;
};
_Static_assert(sizeof(struct xen_trap_info) == 16, "trap_info");

extern const char hcf_xen_pv_exc[]; /* 32 entries of 16 bytes (pv_entry.S) */
extern const char hcf_xen_pv_event[]; /* the event upcall (pv_entry.S) */

static struct xen_trap_info traps[33]; /* the last one, zero, ends the table */

/* Before the doorbell works, Xen's console (in the target's log) is the
 * only way to say why the boot stopped; the host then sees no READY. */
static __attribute__((noreturn)) void fail(const char *what)
{
	agent_xen_say(what);
	for (;;)
		__asm__ volatile("pause");
}

/* The doorbell and the debug console are port I/O, which a PV kernel does
 * by Xen's leave: a program may have revoked it (physdev_op set_iopl). */
static void restore_iopl(void)
{
	uint32_t iopl = 3;
	agent_xen_call(XEN_PHYSDEV_OP, PHYSDEVOP_SET_IOPL, (uint64_t)&iopl, 0);
}

void agent_xen_pv_main(const void *start_info);

void agent_xen_pv_main(const void *start_info)
{
	/* start_info (xen.h): magic[32], nr_pages, then shared_info's machine
	 * address, which the agent maps for its wake-up event (xen.c) */
	agent_xen_shinfo_maddr = *(const uint64_t *)((const uint8_t *)start_info + 40);
	agent_xen_pv_upcall = (uint64_t)hcf_xen_pv_event;
	for (unsigned v = 0; v < 32; v++)
		traps[v] = (struct xen_trap_info){
			.vector = (uint8_t)v, .flags = 0, .cs = FLAT_KERNEL_CS,
			.address = (uint64_t)hcf_xen_pv_exc + 16u * v,
		};
	if (agent_xen_call(XEN_SET_TRAP_TABLE, (uint64_t)traps, 0, 0) != 0)
		fail("hcf-agent: xen pv: set_trap_table failed\n");
	/* the doorbell and the debug console are port I/O */
	uint32_t iopl = 3;
	if (agent_xen_call(XEN_PHYSDEV_OP, PHYSDEVOP_SET_IOPL, (uint64_t)&iopl, 0) != 0)
		fail("hcf-agent: xen pv: set_iopl failed\n");
	agent_channel_restore = restore_iopl;
	/* the holes of the agent's machine: page 0 and the stack below its
	 * mapped top, from its guard page up */
	if (agent_xen_call(XEN_UPDATE_VA_MAPPING, 0, 0, UVMF_INVLPG) != 0)
		fail("hcf-agent: xen pv: unmapping page 0 failed\n");
	for (uint64_t va = HCF_GPA_STACK_GUARD; va < HCF_GPA_STACK_MAPPED; va += 0x1000)
		if (agent_xen_call(XEN_UPDATE_VA_MAPPING, va, 0, UVMF_INVLPG) != 0)
			fail("hcf-agent: xen pv: unmapping the stack's hole failed\n");
	agent_external_boot(HCF_BOOT_XEN_PV | HCF_BOOT_IDT_READY);
}
