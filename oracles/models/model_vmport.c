/*
 * model_vmport.c: the reference model of QEMU's VMware backdoor (ABI
 * "vmware-backdoor", QEMU 7.2's hw/i386/vmport.c and hw/input/vmmouse.c).
 *
 * What vmport_ioport_read does with an `in` from port 0x5658: eax must hold
 * the magic in its 32 bits, or the answer is 0xffffffff; the command is ecx's
 * low byte (an unsigned char), and a byte without a handler answers
 * 0xffffffff too. Every register a handler sets is set through QEMU's
 * 32-bit view of the register file, so it comes back zero-extended:
 * - GETVERSION: eax = 6 (vmware-vmx-version), ebx = the magic, ecx = 2
 *   (vmware-vmx-type, ESX Server);
 * - GETBIOSUUID: eax, ebx, ecx, edx = the machine's UUID, zero unless QEMU
 *   was given -uuid (the qemu target does not give one);
 * - GETRAMSIZE: ebx = 0x1177; eax = the RAM size, which the model does not
 *   know (the target's -m);
 * - GETHZ, GET_VCPU_INFO: depend on the vCPU (TSC and APIC frequencies,
 *   x2APIC): left to the spec;
 * - the vmmouse commands rewrite eax..edi as 32-bit registers with their
 *   own lower halves, except what they answer: COMMAND answers eax as it came
 *   (the magic), STATUS and DATA answer from the mouse's queue, which a
 *   stateless model does not follow.
 * Everything the model does not name comes back unchanged (the clobber
 * oracle's business). Numbers come from the spec's ops by name, so the
 * model follows the spec it is paired with.
 */
#include <stdlib.h>
#include <string.h>

#include "oracles/models/model.h"

#define VMPORT_MAGIC 0x564d5868u

enum vmport_cmd { C_GETVERSION, C_GETBIOSUUID, C_GETRAMSIZE, C_VMMOUSE_DATA, C_VMMOUSE_STATUS,
		  C_VMMOUSE_COMMAND, C_GETHZ, C_GET_VCPU_INFO, C_COUNT };

static const struct {
	const char *name;  /* the op in the spec */
	uint8_t nr;        /* include/hw/i386/vmport.h, when the spec lacks the op */
} cmds[C_COUNT] = {
	[C_GETVERSION] = { "GETVERSION", 10 },
	[C_GETBIOSUUID] = { "GETBIOSUUID", 19 },
	[C_GETRAMSIZE] = { "GETRAMSIZE", 20 },
	[C_VMMOUSE_DATA] = { "VMMOUSE_DATA", 39 },
	[C_VMMOUSE_STATUS] = { "VMMOUSE_STATUS", 40 },
	[C_VMMOUSE_COMMAND] = { "VMMOUSE_COMMAND", 41 },
	[C_GETHZ] = { "GETHZ", 45 },
	[C_GET_VCPU_INFO] = { "GET_VCPU_INFO", 68 },
};

struct vmport_model {
	uint8_t nr[C_COUNT];
};

static void *vmport_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	(void)ti;
	struct vmport_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < C_COUNT; i++) {
		const struct hcf_op *op = abi ? hcf_spec_op_by_name(abi, cmds[i].name) : NULL;
		m->nr[i] = op ? (uint8_t)op->nr : cmds[i].nr;
	}
	return m;
}

static void vmport_destroy(void *st)
{
	free(st);
}

static void predict(struct hcf_expect *e, unsigned reg, uint64_t v)
{
	e->known |= HCF_REGBIT(reg);
	e->gpr[reg] = v;
}

/* The vmmouse handler writes back eax..edi from its 32-bit copies. */
static void vmmouse_rewrites(struct hcf_expect *e, const uint64_t before[HCF_NGPR])
{
	static const unsigned regs[] = { HCF_RBX, HCF_RCX, HCF_RDX, HCF_RSI, HCF_RDI };
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		predict(e, regs[i], before[regs[i]] & 0xffffffffull);
}

static void vmport_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			   const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	const struct vmport_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	e->why_model = "vmport";
	if ((uint32_t)before[HCF_RAX] != VMPORT_MAGIC) {
		predict(e, HCF_RAX, 0xffffffffull);
		e->why = "eax does not hold the magic: 0xffffffff";
		return;
	}
	uint8_t nr = (uint8_t)before[HCF_RCX];
	size_t c = 0;
	while (c < C_COUNT && m->nr[c] != nr)
		c++;
	e->why_what = c < C_COUNT ? cmds[c].name : NULL;
	switch (c) {
	case C_GETVERSION:
		predict(e, HCF_RAX, 6);
		predict(e, HCF_RBX, VMPORT_MAGIC);
		predict(e, HCF_RCX, 2);
		e->why = "version 6, the magic, product type 2 (vmport's defaults)";
		break;
	case C_GETBIOSUUID:
		predict(e, HCF_RAX, 0);
		predict(e, HCF_RBX, 0);
		predict(e, HCF_RCX, 0);
		predict(e, HCF_RDX, 0);
		e->why = "the UUID, all zero without -uuid";
		break;
	case C_GETRAMSIZE:
		predict(e, HCF_RBX, 0x1177);
		e->why = "0x1177 in ebx; the RAM size in eax depends on -m";
		break;
	case C_VMMOUSE_COMMAND:
		predict(e, HCF_RAX, VMPORT_MAGIC);
		vmmouse_rewrites(e, before);
		e->why = "vmmouse commands answer eax as it came and rewrite ebx..edi as 32-bit";
		break;
	case C_VMMOUSE_STATUS:
		vmmouse_rewrites(e, before);
		e->why = "vmmouse rewrites ebx..edi as 32-bit; the status depends on its state";
		break;
	case C_VMMOUSE_DATA:
	case C_GETHZ:
	case C_GET_VCPU_INFO:
		e->why = "depends on the mouse's queue or the vCPU";
		break;
	default:
		predict(e, HCF_RAX, 0xffffffffull);
		e->why = "a command byte without a handler: 0xffffffff";
		break;
	}
}

const struct hcf_model_ops hcf_model_vmport = {
	.name = "vmport",
	.summary = "QEMU 7.2's VMware backdoor (vmport.c, vmmouse.c), stateless",
	.create = vmport_create,
	.destroy = vmport_destroy,
	.predict = vmport_predict,
};
