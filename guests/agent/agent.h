/*
 * agent.h: the guest agent's internals, shared by its C and assembly files.
 *
 * The trampoline (trampoline.S) works on one call at a time through fixed
 * globals reached RIP-relative, because while a call is being made every
 * general-purpose register belongs to the call: no pointer survives in a
 * register. The offsets below are checked against the C structures in agent.c.
 */
#ifndef HCF_AGENT_H
#define HCF_AGENT_H

/* struct hcf_wire_call */
#define WC_XPORT   0
#define WC_WIDTH   1
#define WC_VECTOR  2
#define WC_FLAGS   3
#define WC_TARGET  8
#define WC_RFLAGS  16
#define WC_GPR     24
/* struct hcf_wire_result */
#define WR_SEQ        0
#define WR_OUTCOME    8
#define WR_VECTOR     12
#define WR_ERROR_CODE 16
#define WR_FAULT_RIP  24
#define WR_CR2        32
#define WR_TSC_DELTA  40
#define WR_RFL_BEFORE 48
#define WR_RFL_AFTER  56
#define WR_RSP_BEFORE 64
#define WR_GPR        72

/* Constants the assembly needs (checked against hcf_proto.h in agent.c). */
#define AS_CALL_VEC 1
#define AS_CALL_TSC 2
#define AS_WO_RETURNED 1
#define AS_WO_EXCEPTION 2
#define AS_WX_INT 3
#define AS_XSTACK_HI 0x24000
/* The pages boot32.S leaves unmapped below the stack's mapped top:
 * [AS_STACK_GUARD_PG, AS_STACK_MAPPED_PG) (page numbers). */
#define AS_STACK_GUARD_PG 0xf
#define AS_STACK_MAPPED_PG 0x1f
/* Vectors whose hardware delivery pushes an error code. */
#define AS_ERRCODE_VECTORS ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | \
			    (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

/* Transports only the agent itself uses (probes), after the wire ones. */
#define AGENT_XP_RDMSR 0x40
#define AGENT_XP_WRMSR 0x41

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "hcf_proto.h"

/* Globals the trampoline reads and writes. */
extern const struct hcf_wire_call *hcf_cur_call; /* the call in flight */
extern struct hcf_wire_result *hcf_cur_res;      /* where its result goes */
extern uint64_t hcf_cur_stub;     /* address of the instruction stub to jump to */
extern uint64_t hcf_cur_rflags;   /* value loaded with popfq before the call */
extern uint64_t hcf_cur_target;   /* hypercall-page entry */
extern uint64_t hcf_cur_xport;    /* transport and vector, for the exception path */
extern uint64_t hcf_cur_vector;
extern uint64_t hcf_cur_flags;    /* HCF_CALL_* */
extern uint8_t hcf_xmm_in[16][16];
extern uint8_t hcf_xmm_out[16][16];

/* Run hcf_cur_call through hcf_cur_stub; fills hcf_cur_res. */
void hcf_tramp(void);
/* Issue hcf_cur_call `count` times with no capture (benchmark baseline). */
void hcf_raw_loop(uint64_t count);

/* Instruction stubs (trampoline.S). */
extern const char hcf_stub_none[], hcf_stub_vmcall[], hcf_stub_vmmcall[], hcf_stub_syscall[],
	hcf_stub_hcpage[], hcf_stub_rdmsr[], hcf_stub_wrmsr[];
extern const char hcf_stub_pio_out1[], hcf_stub_pio_out2[], hcf_stub_pio_out4[];
extern const char hcf_stub_pio_in1[], hcf_stub_pio_in2[], hcf_stub_pio_in4[];
extern const char hcf_stub_mmio_w1[], hcf_stub_mmio_w2[], hcf_stub_mmio_w4[], hcf_stub_mmio_w8[];
extern const char hcf_stub_mmio_r1[], hcf_stub_mmio_r2[], hcf_stub_mmio_r4[], hcf_stub_mmio_r8[];
extern const char hcf_stub_int_table[];  /* 256 entries of 8 bytes: int $n; jmp */
extern const uint64_t hcf_exc_entry[256]; /* IDT targets */

/* Exception outside a call: report to the host and stop (agent.c). */
void agent_panic(uint64_t vector, uint64_t error_code, uint64_t rip, uint64_t cr2)
	__attribute__((noreturn));

/* Set by a front-end whose channel a program's calls can take away (a PV
 * dom0's port I/O privilege): called before every doorbell (agent.c). */
extern void (*agent_channel_restore)(void);

/* Set by a front-end whose VMM takes the doorbell's frames another way
 * than the debug port (a Solo5 tender: its console call). */
extern void (*agent_frame_out)(const void *frame, unsigned long len);
/* The devices the VMM gave the guest, by handle, as a front-end read them
 * (a Solo5 manifest): agent_external_boot puts them in the boot block. */
extern struct hcf_boot_device agent_boot_devices[HCF_MAX_DEVICES];
extern uint32_t agent_boot_ndevices;

/* Bytes to the debug console port (agent.c). */
void agent_debug_puts(const char *s);
/* Entry of an agent started by an external hypervisor, once its front-end
 * (boot32.S, xenpv/) has a stack, exception entries and port I/O: write the
 * boot block with `flags` added, tag the shared pages under Xen, serve. */
void agent_external_boot(uint32_t flags) __attribute__((noreturn));

/* Under Xen (xen.c): the agent's own hypercalls through the hypercall
 * page, a line on Xen's console, and the wake-up event for calls that
 * block. A PV front-end sets where its shared_info is (start_info's
 * machine address) and its upcall's entry before the agent arms them. */
long agent_xen_call(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3);
void agent_xen_say(const char *what);
int agent_xen_events_arm(int pv);
void agent_xen_events_quiet(void);
void agent_xen_wake_later(void);
void agent_xen_pv_nmi_done(void);
extern uint64_t agent_xen_shinfo_maddr;
extern uint32_t agent_xen_wake_port;
extern uint64_t agent_xen_pv_upcall;

void *memcpy(void *d, const void *s, unsigned long n);
void *memset(void *d, int c, unsigned long n);

#endif /* __ASSEMBLER__ */
#endif /* HCF_AGENT_H */
