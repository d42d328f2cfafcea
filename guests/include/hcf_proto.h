/*
 * hcf_proto.h: the protocol between the hcfuzz guest agent and the harness.
 *
 * One self-contained C99 header, included by the freestanding agent and by the
 * host. It fixes the guest memory layout of the in-process VMM, the boot block
 * the host fills before the first instruction, the shared-memory mailbox that
 * carries batches of calls in and results out, and the port-I/O doorbell the
 * agent rings when it needs the host.
 *
 * Every field is marked IN (host writes, guest reads) or OUT (guest writes,
 * host reads). The host treats every OUT field as hostile: a hypervisor under
 * test may have scribbled over it, so the harness reads it only through its
 * bounds-checked guest-memory accessor and validates it before use.
 *
 * Bump HCF_PROTO_VERSION on any change to a structure or constant below.
 */
#ifndef HCF_PROTO_H
#define HCF_PROTO_H

#include <stdint.h>

#define HCF_PROTO_VERSION 7u /* 2: external hypervisors (HCF_BOOT_EXTERNAL, struct hcf_frame);
                                3: page tags for a host that must find the guest's pages;
                                4: the hypervisor's CPUID leaves, a Xen PV dom0;
                                5: a Xen dom0's wake-up event (HCF_CALL_WAKE), the
                                   devices a VMM gave the guest (a Solo5 manifest);
                                6: HCF_CMD_REARM after a restored snapshot;
                                7: only the stack's top page mapped (STACK_MAPPED) */
#define HCF_BOOT_MAGIC 0x544f4f4246434855ull /* "UHCFBOOT" little-endian */
#define HCF_MBOX_MAGIC 0x584f424d46434855ull /* "UHCFMBOX" */

/*
 * General-purpose registers in x86 encoding order. Every register array in
 * this protocol and in the harness is indexed this way.
 */
enum hcf_gpr {
	HCF_RAX = 0, HCF_RCX, HCF_RDX, HCF_RBX, HCF_RSP, HCF_RBP, HCF_RSI, HCF_RDI,
	HCF_R8, HCF_R9, HCF_R10, HCF_R11, HCF_R12, HCF_R13, HCF_R14, HCF_R15,
	HCF_NGPR
};

/* RFLAGS bits the agent loads before a call: the arithmetic flags CF PF AF
 * ZF SF OF only (DF or TF set under the agent's own code would break it).
 * The bits' names are harness/util/x86.h's. */
#define HCF_RFLAGS_LOADABLE 0x08d5ull

/*
 * Guest memory layout of the in-process VMM (guest-physical == guest-virtual,
 * identity mapped by the host's page tables). Page 0 is left unmapped so that
 * a NULL dereference faults.
 */
#define HCF_GPA_BOOT        0x00001000ull /* struct hcf_boot, one page */
#define HCF_GPA_GDT         0x00002000ull /* host-built GDT */
#define HCF_GPA_IDT         0x00003000ull /* agent-built IDT, 256 gates */
#define HCF_GPA_VIF         0x00004000ull /* PVM virtual-interrupt-flag page */
#define HCF_GPA_HCPAGE      0x00005000ull /* hypercall page, filled by the hypervisor */
#define HCF_GPA_XEN_SHINFO  0x00006000ull /* under Xen: the dom0's shared_info page, mapped
                                             here by the agent (its wake-up event) */
#define HCF_GPA_PGTABLES    0x00008000ull /* PML4, PDPT, four PDs, the PT of the first 2 MiB */
#define HCF_GPA_STACK_GUARD 0x0000f000ull /* left unmapped: a stack that runs over faults
                                             here instead of writing the page tables */
#define HCF_GPA_STACK_LO    0x00010000ull /* agent stack, grows down from _HI */
#define HCF_GPA_STACK_HI    0x00020000ull
/* The part of the stack that is mapped: [_MAPPED, _HI). Every page table
 * that maps the agent (the host's, boot32.S's, Solo5's, a Xen PV dom0's)
 * leaves the pages from STACK_GUARD up to here unmapped too. The agent uses
 * at most 584 bytes of it (measured: the stack filled with a pattern, every
 * conformance plan and 2,000 fuzzed programs; 0x248 below _HI), about 700 on
 * its deepest static path under Xen: one page leaves a margin of six. Why
 * not all 64 KiB: a guest whose exception handlers cannot run (a triple fault
 * through SMEP, every fetch faulting again) delivers exceptions until its
 * stack runs out, under PVM about 50 us each: about 74 deliveries with one
 * page, 1,400 with 64 KiB (docs/pvm-observations.md). */
#define HCF_GPA_STACK_MAPPED 0x0001f000ull
#define HCF_GPA_XSTACK_LO   0x00020000ull /* stack the agent moves to for exceptions */
#define HCF_GPA_XSTACK_HI   0x00024000ull
#define HCF_GPA_AGENT       0x00100000ull /* agent image, linked here */
#define HCF_AGENT_MAX       0x00100000ull
#define HCF_GPA_MBOX        0x00200000ull /* struct hcf_mbox and its arrays */
#define HCF_MBOX_SIZE       0x00400000ull
#define HCF_GPA_ARENA       0x00600000ull /* buffers for in-memory arguments */
#define HCF_ARENA_SIZE      0x00200000ull
#define HCF_GUEST_MEM_SIZE  0x00800000ull /* 8 MiB of RAM in one slot at GPA 0 */
/* Every buffer in the arena lies between two guards of this many bytes,
 * filled with HCF_GUARD_BYTE; a byte of a guard that changes is a finding. */
#define HCF_BUF_GUARD       64u
#define HCF_GUARD_BYTE      0x5au

/* The doorbell: the agent writes a 32-bit event code to this port. */
#define HCF_PORT_DOORBELL 0x00e8u
/* Debug console: bytes of agent diagnostics, one per OUT. */
#define HCF_PORT_DEBUGCON 0x00e9u

/* Doorbell events (guest -> host). */
enum hcf_event {
	HCF_EV_READY = 0x52444159u, /* booted, probe block filled, waiting for a command */
	HCF_EV_DONE  = 0x454e4f44u, /* command finished, results in the mailbox */
	HCF_EV_PANIC = 0x43494e50u  /* agent broke (unexpected exception); see mbox panic fields */
};

/*
 * The doorbell of an external hypervisor: a frame the agent writes byte by
 * byte to HCF_PORT_DOORBELL, where a device of the hypervisor turns port
 * writes into a byte stream for the host (QEMU: isa-debugcon on a chardev).
 * The host resynchronizes on the magic; a frame with another version or a
 * wrong check is garbage, and garbage from a guest is a verdict.
 */
#define HCF_FRAME_MAGIC   0x42464348u /* "HCFB" */
#define HCF_FRAME_VERSION 1u
struct hcf_frame {
	uint32_t magic;
	uint32_t version;
	uint32_t event;   /* enum hcf_event */
	uint32_t seq;     /* low half of the mailbox seq the event answers */
	uint32_t check;   /* hcf_frame_check of the fields before */
};

/* FNV-1a over the frame's first 16 bytes. (Unused where this header is
 * embedded in a reproducer.) */
__attribute__((unused)) static inline uint32_t hcf_frame_check(const struct hcf_frame *f)
{
	const uint8_t *b = (const uint8_t *)f;
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Commands (host -> guest), written to hcf_mbox.cmd before resuming. */
enum hcf_cmd {
	HCF_CMD_NONE = 0,
	HCF_CMD_BATCH = 1,    /* run calls[0..ncalls), after the rearm_steps if any (as
	                         HCF_CMD_REARM: a restored guest's check costs no round trip) */
	HCF_CMD_RAW_LOOP = 2, /* issue calls[0] raw_iterations times, no capture (benchmark baseline) */
	HCF_CMD_EMPTY = 3,    /* ring DONE at once (round-trip ceiling) */
	HCF_CMD_REARM = 4     /* the host put the boot snapshot back (memory and vCPU state): do
	                         the rearm_steps (re-establish what no host can restore, check
	                         what the agent sees of itself), report in rearm_*, ring DONE */
};

/* HCF_CMD_REARM's steps (hcf_mbox.rearm_steps IN, rearm_faults OUT: the steps
 * that raised an exception or did not do what they should). */
#define HCF_REARM_VIF        0x1u /* register PVM's VIF page again (boot.vif_gpa): first
                                     thing after the doorbell, as at boot, for until then
                                     PVM's emulator runs the agent */
#define HCF_REARM_HCPAGE     0x2u /* write the hypercall page's MSR again (boot.hcpage_msr) */
#define HCF_REARM_EXCEPTION  0x4u /* an exception comes back through the agent's IDT: its
                                     GDT, IDT, TSS and exception stack work */

/* Boot flags (IN). */
#define HCF_BOOT_PVM_NATIVE 0x1u /* on PVM, register the VIF page to leave the emulator */
#define HCF_BOOT_HCPAGE     0x2u /* write hcpage_msr to have the hypervisor fill HCF_GPA_HCPAGE */
#define HCF_BOOT_IDT_READY  0x4u /* the host built the IDT at HCF_GPA_IDT and loaded IDTR */
#define HCF_BOOT_PVM_KNOWN  0x8u /* PVM is known (an earlier boot probed it): register the VIF
                                    page first thing, before any other instruction is emulated */
#define HCF_BOOT_EXTERNAL   0x10u /* an external hypervisor runs the agent (boot32.S filled
                                     this block): the doorbell is a frame (struct
                                     hcf_frame) and the agent polls the mailbox's seq
                                     for the next command, as nothing stops it */

#define HCF_BOOT_TAGGED     0x20u /* OUT: the agent tagged its shared pages (struct
                                     hcf_page_tag) because its guest-physical memory is
                                     not where its host's RAM puts it (a dom0 of Xen) */
#define HCF_BOOT_XEN_PV     0x40u /* OUT: the agent runs as a Xen PV dom0 (CPL3 on Xen's page
                                     tables; CPUID through Xen's forced-emulation prefix) */
#define HCF_BOOT_XEN_WAKE   0x80u /* OUT: under Xen, the agent armed its wake-up event (a
                                     periodic VIRQ_TIMER), so a call that blocks the vCPU
                                     until an event comes back (guests/agent/xen_events.c) */

/*
 * A page's tag: in the last bytes of every page the host shares with the
 * agent (the boot block, the mailbox and the arena), written at boot by an
 * agent whose guest-physical addresses are not its host's (under Xen the
 * dom0's pages lie anywhere in the machine's RAM, which is what QEMU
 * shares). The host scans the RAM for them and maps each page where the
 * agent sees it; from then on the protocol is the usual one.
 */
#define HCF_PAGE_TAG_MAGIC 0x31474154464348ull /* "HCFTAG1" */
struct hcf_page_tag {
	uint64_t magic;
	uint64_t gpa;     /* where the agent sees this page */
	uint64_t nonce;   /* one per boot: tags of an earlier boot do not count */
	uint64_t check;   /* magic ^ gpa ^ nonce ^ HCF_PAGE_TAG_SALT */
};
#define HCF_PAGE_TAG_SALT 0x9e3779b97f4a7c15ull
#define HCF_PAGE_TAG_OFF (0x1000u - sizeof(struct hcf_page_tag))

/*
 * Boot block at HCF_GPA_BOOT. The host fills the IN part before the first
 * KVM_RUN; the agent fills the OUT part before it rings HCF_EV_READY.
 */
#define HCF_HV_LEAVES 5u

/* A device the VMM gave the guest, by handle (a Solo5 tender's manifest
 * entries, index = handle), as the VMM described it at boot: what a model
 * of the device's calls needs (a block device's capacity and block size). */
#define HCF_MAX_DEVICES 4u
enum hcf_device_type { HCF_DEV_NONE = 0, HCF_DEV_BLOCK = 1, HCF_DEV_NET = 2 };
struct hcf_boot_device {
	uint32_t type;        /* enum hcf_device_type */
	uint16_t block_size;  /* block: bytes per block */
	uint16_t mtu;         /* net */
	uint64_t capacity;    /* block: bytes */
	char name[16];        /* the VMM's name for it (truncated) */
};

struct hcf_boot {
	/* IN */
	uint64_t magic;
	uint32_t version;
	uint32_t flags;
	uint64_t mbox_gpa;
	uint64_t vif_gpa;
	uint32_t hcpage_msr;
	uint32_t reserved0;
	/* OUT: what the agent saw of its hypervisor */
	uint32_t agent_version;
	uint32_t cpuid_max_leaf;
	char cpu_vendor[12];
	char hv_signature[12]; /* CPUID 0x40000000 EBX:ECX:EDX */
	uint32_t hv_max_leaf;
	uint32_t pvm_msr_faulted; /* 1 if reading HCF_MSR_PVM_ID raised an exception */
	uint64_t pvm_msr_value;
	uint32_t native;         /* 1 if the agent registered the PVM VIF page */
	uint32_t hcpage_faulted; /* 1 if the hypercall-page MSR write raised an exception */
	/* CPUID leaves hv_base+1 .. hv_base+5 (EAX, EBX, ECX, EDX; zero past
	 * hv_max_leaf): what the hypervisor says it offers, e.g. Xen's version
	 * (base+1 EAX) and HVM features (base+4 EAX) */
	uint32_t hv_leaf[HCF_HV_LEAVES][4];
	uint32_t ndevices;       /* devices[] the VMM gave the guest */
	uint32_t xen_wake_port;  /* under Xen, the event channel of the agent's wake-up event
	                            (HCF_BOOT_XEN_WAKE): a port in use from boot on */
	struct hcf_boot_device devices[HCF_MAX_DEVICES];
};

#define HCF_MSR_PVM_VIF 0x4b564d10u
#define HCF_MSR_PVM_ID  0x4b564d11u
#define HCF_PVM_ID_VALUE 0x4d5650ull /* "PVM" */

/* Transports as the agent knows them. "native" is resolved by the host. */
enum hcf_wire_xport {
	HCF_WX_NONE = 0,    /* no instruction at all (empty-call ceiling) */
	HCF_WX_VMCALL,
	HCF_WX_VMMCALL,
	HCF_WX_INT,         /* int $vector */
	HCF_WX_SYSCALL,
	HCF_WX_HCPAGE,      /* call *target (an entry of the hypercall page) */
	HCF_WX_PIO_OUT,     /* out rax(width) -> dx */
	HCF_WX_PIO_IN,      /* in dx -> rax(width) */
	HCF_WX_MMIO_WRITE,  /* mov rax(width) -> [target] */
	HCF_WX_MMIO_READ,   /* mov [target] -> rax(width) */
	HCF_WX_COUNT
};

/* Per-call flags (IN). */
#define HCF_CALL_VEC  0x1u /* load XMM sentinels before, store XMM0-15 after */
#define HCF_CALL_TSC  0x2u /* record rdtsc around the call */
#define HCF_CALL_WAKE 0x4u /* the call may block the vCPU until an event: where the agent
                              can (HCF_BOOT_XEN_WAKE), a wake-up event comes after it */

/*
 * One call (IN). gpr[] is the whole register image the agent loads right
 * before the instruction; gpr[HCF_RSP] is ignored (the agent keeps a valid
 * stack so that an exception can be delivered).
 */
struct hcf_wire_call {
	uint8_t xport;     /* enum hcf_wire_xport */
	uint8_t width;     /* PIO/MMIO access width in bytes: 1, 2, 4 (8 for MMIO) */
	uint8_t vector;    /* HCF_WX_INT */
	uint8_t flags;     /* HCF_CALL_* */
	uint32_t reserved;
	uint64_t target;   /* MMIO address or hypercall-page entry */
	uint64_t rflags;   /* HCF_RFLAGS_LOADABLE bits to set before the call */
	uint64_t gpr[HCF_NGPR];
};

/* Call outcome (OUT). */
enum hcf_wire_outcome {
	HCF_WO_NONE = 0,      /* not run (or result slot never written) */
	HCF_WO_RETURNED = 1,  /* the instruction completed and execution went on */
	HCF_WO_EXCEPTION = 2  /* the call raised an exception: vector, error code */
};

/* One result (OUT), written right after the call. */
struct hcf_wire_result {
	uint64_t seq;          /* batch seq XOR call index: proves the slot is fresh */
	uint32_t outcome;      /* enum hcf_wire_outcome */
	uint32_t vector;       /* exception vector */
	uint64_t error_code;   /* exception error code (0 where the vector has none) */
	uint64_t fault_rip;    /* RIP in the exception frame */
	uint64_t cr2;          /* CR2 after a #PF, else 0 */
	uint64_t tsc_delta;    /* rdtsc after - before, if HCF_CALL_TSC */
	uint64_t rflags_before;
	uint64_t rflags_after;
	uint64_t rsp_before;    /* RSP at the call instruction (the only GPR the host does not choose) */
	uint64_t gpr[HCF_NGPR]; /* every GPR right after the call (or at the exception) */
};

/* Vector state of one call (OUT, only for HCF_CALL_VEC calls). */
struct hcf_wire_vec {
	uint8_t xmm[16][16];
};

/*
 * The mailbox at boot.mbox_gpa. A fixed header followed by the call array,
 * the result array and the vector array at the offsets below.
 */
#define HCF_MBOX_MAX_CALLS 4096u
#define HCF_MBOX_CALLS_OFF   0x1000u
#define HCF_MBOX_RESULTS_OFF (HCF_MBOX_CALLS_OFF + HCF_MBOX_MAX_CALLS * 152u)
#define HCF_MBOX_VEC_OFF     (HCF_MBOX_RESULTS_OFF + HCF_MBOX_MAX_CALLS * 200u)
#define HCF_MBOX_END         (HCF_MBOX_VEC_OFF + HCF_MBOX_MAX_CALLS * 256u)

struct hcf_mbox {
	/* IN */
	uint64_t magic;
	uint32_t version;
	uint32_t cmd;            /* enum hcf_cmd */
	uint64_t seq;            /* batch number, changes with every command */
	uint32_t ncalls;         /* calls in calls[] for HCF_CMD_BATCH */
	uint32_t rearm_steps;    /* HCF_CMD_REARM, HCF_CMD_BATCH: HCF_REARM_* */
	uint64_t raw_iterations; /* HCF_CMD_RAW_LOOP */
	uint8_t xmm_sentinel[16][16]; /* loaded into XMM0-15 before HCF_CALL_VEC calls */
	/* OUT */
	uint64_t ack_seq;        /* seq of the command the agent finished */
	uint32_t ndone;          /* calls completed so far in this batch, updated every 64 calls
	                            and at the end (progress; the seq tags in the result slots
	                            say exactly how far a batch got) */
	uint32_t panic_vector;   /* HCF_EV_PANIC: exception the agent took outside a call */
	uint64_t panic_rip;
	uint64_t panic_error_code;
	uint64_t panic_cr2;
	/* rearm_steps: what the agent found; the host compares it with its
	 * answer right after boot */
	uint64_t rearm_seq;      /* seq of the command whose steps these are */
	uint32_t rearm_faults;   /* HCF_REARM_* steps that failed */
	uint32_t rearm_cs;       /* CS as the agent reads it (PVM's native mode shows RPL 3) */
	uint64_t rearm_rsp;      /* its stack pointer in the check */
};

/* Compile-time layout checks: both sides must agree byte for byte. */
typedef char hcf_assert_call_size[sizeof(struct hcf_wire_call) == 152 ? 1 : -1];
typedef char hcf_assert_result_size[sizeof(struct hcf_wire_result) == 200 ? 1 : -1];
typedef char hcf_assert_vec_size[sizeof(struct hcf_wire_vec) == 256 ? 1 : -1];
typedef char hcf_assert_mbox_fits[sizeof(struct hcf_mbox) <= HCF_MBOX_CALLS_OFF ? 1 : -1];
typedef char hcf_assert_mbox_size[HCF_MBOX_END <= HCF_MBOX_SIZE ? 1 : -1];
typedef char hcf_assert_frame_size[sizeof(struct hcf_frame) == 20 ? 1 : -1];

#endif /* HCF_PROTO_H */
