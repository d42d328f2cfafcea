/* repro_guest.c: the reproducer's guest code, the agent's work for each call unrolled. */
/*
 * The guest code does what hcfuzz's agent does for a call (guests/agent/
 * trampoline.S), unrolled: load every register but RSP, issue the
 * transport's instruction, store every register and RFLAGS. Exceptions go
 * through the host-built IDT, whose stubs record them into the call's result
 * slot and continue at the next call through a per-slot continuation table.
 * Addresses are absolute (everything lives below 8 MiB), so the code needs
 * no relocation and the bytes in the C array are exactly what runs.
 */
#include "reports/repro/repro_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcf_proto.h"
#include "reports/repro_rt/repro_rt.h"
#include "spec/transport.h"
#include "util/xalloc.h"

/* ---- the emitted program's guest layout ---------------------------------- */

/* reports/repro_rt/repro_rt.h defines the layout and struct ctl for both the
 * generated guest code (these offsets) and the runtime; a call's result is
 * the agent's struct hcf_wire_result, its vector state a struct hcf_wire_vec. */
_Static_assert(CONT_GPA + 8ull * (HCF_REPRO_MAX_CALLS + NSETUP) <= RES_GPA,
	       "continuation table overlaps the result slots");
_Static_assert(HCF_REPRO_MAX_CALLS + NSETUP <= MAX_SLOTS,
	       "more results than repro_rt.h makes room for");

enum {
	CTL_CUR = offsetof(struct ctl, cur),
	CTL_CUR_SLOT = offsetof(struct ctl, cur_slot),
	CTL_IN_CALL = offsetof(struct ctl, in_call),
	CTL_SCRATCH = offsetof(struct ctl, scratch),
	CTL_HC_TARGET = offsetof(struct ctl, hc_target),
	CTL_PANIC_VECTOR = offsetof(struct ctl, panic_vector),
	CTL_PANIC_ERR = offsetof(struct ctl, panic_error_code),
	CTL_PANIC_RIP = offsetof(struct ctl, panic_rip),
	CTL_XMM = offsetof(struct ctl, xmm_sentinel),
};
enum {
	SL_SEQ = offsetof(struct hcf_wire_result, seq),
	SL_OUTCOME = offsetof(struct hcf_wire_result, outcome),
	SL_VECTOR = offsetof(struct hcf_wire_result, vector),
	SL_ERR = offsetof(struct hcf_wire_result, error_code),
	SL_RIP = offsetof(struct hcf_wire_result, fault_rip),
	SL_CR2 = offsetof(struct hcf_wire_result, cr2),
	SL_RFL_BEFORE = offsetof(struct hcf_wire_result, rflags_before),
	SL_RFL_AFTER = offsetof(struct hcf_wire_result, rflags_after),
	SL_RSP_BEFORE = offsetof(struct hcf_wire_result, rsp_before),
	SL_GPR = offsetof(struct hcf_wire_result, gpr),
};

static uint64_t slot_gpa(size_t s)
{
	return RES_GPA + (uint64_t)s * sizeof(struct hcf_wire_result);
}

/* Where call i's XMM0-15 go. */
static uint64_t vec_gpa(size_t i)
{
	return VEC_GPA + (uint64_t)i * sizeof(struct hcf_wire_vec);
}

static const char *slot_str(const struct gen *g, size_t s, char *buf, size_t len)
{
	if (s < g->ncalls)
		snprintf(buf, len, "res[%zu]", s);
	else
		snprintf(buf, len, "res[%s]", s == g->slot_probe ? "PROBE" : s == g->slot_vif ? "VIF" : "HCPAGE");
	return buf;
}

/* The buffers where hcfuzz's kvm target puts them, with the same bytes
 * (prog/layout.h: one definition for both). */
static int layout_bufs(struct gen *g, char *err, size_t errlen)
{
	const struct hcf_prog *p = g->cx->p;
	if (hcf_layout_place(p, &g->layout, err, errlen) != 0)
		return -1;
	for (size_t b = 0; b < p->nbufs; b++) {
		g->buf_gpa[b] = g->layout.buf_gva[b];
		g->buf_image[b] = hcf_xcalloc(1, (size_t)p->bufs[b].size + 2 * HCF_BUF_GUARD);
		hcf_layout_image(p, &g->layout, b, g->buf_image[b]);
		g->buf_init[b] = g->buf_image[b] + HCF_BUF_GUARD;
	}
	return 0;
}

/* The register image hcfuzz's kvm target loads for call i (the agent keeps
 * its own RSP); the hypercall-page entry in *target. */
static void call_image(const struct gen *g, size_t i, uint64_t gpr[HCF_NGPR], uint64_t *target)
{
	hcf_layout_call_image(g->cx->p, &g->layout, i, gpr, target);
	gpr[HCF_RSP] = 0;
}

/* Slot bookkeeping before the instruction: which slot, and "in a call". */
static void gen_slot_begin(struct gen *g, size_t s)
{
	struct as *a = &g->a;
	char sn[32], why[48];
	slot_str(g, s, sn, sizeof(sn));
	snprintf(why, sizeof(why), "%s is in flight", sn);
	asm_store_imm(a, asm_abs(CTL_GPA + CTL_CUR), (uint32_t)s, "ctl.cur", why);
	snprintf(why, sizeof(why), "its address");
	asm_store_imm(a, asm_abs(CTL_GPA + CTL_CUR_SLOT), (uint32_t)slot_gpa(s), "ctl.cur_slot", why);
}

static void gen_in_call(struct gen *g, bool on)
{
	asm_store_imm(&g->a, asm_abs(CTL_GPA + CTL_IN_CALL), on ? 1 : 0, "ctl.in_call",
		    on ? "an exception from here on is the call's" : "the call is over");
}

/* After the stores: the outcome, then the seq tag that makes the slot complete. */
static void gen_slot_end(struct gen *g, size_t s)
{
	char sn[32], d[48];
	slot_str(g, s, sn, sizeof(sn));
	snprintf(d, sizeof(d), "%s.outcome", sn);
	asm_store_imm32(&g->a, asm_abs(slot_gpa(s) + SL_OUTCOME), HCF_WO_RETURNED, d, "returned");
	snprintf(d, sizeof(d), "%s.seq", sn);
	asm_store_imm(&g->a, asm_abs(slot_gpa(s) + SL_SEQ), SEQ_TAG ^ (uint32_t)s, d, "SEQ_TAG ^ slot: complete");
}

/* wrmsr ecx <- eax (edx = 0) as a setup slot. */
static void gen_setup_wrmsr(struct gen *g, size_t s, uint32_t msr, uint32_t value, const char *what)
{
	struct as *a = &g->a;
	gen_slot_begin(g, s);
	gen_in_call(g, true);
	asm_mov_imm32(a, HCF_RCX, msr, what);
	asm_mov_imm32(a, HCF_RAX, value, "");
	asm_fixed(a, F_XOR_EDX, NULL);
	asm_fixed(a, F_WRMSR, NULL);
	gen_in_call(g, false);
	gen_slot_end(g, s);
}

/*
 * Setup, as hcfuzz's agent does it: load the IDT; read the PVM MSR (a #GP on
 * anything but PVM lands in the IDT and skips ahead); on PVM register the VIF
 * page so that the guest runs natively; fill the hypercall page when the
 * transport uses one.
 */
static void gen_setup(struct gen *g, size_t l_after_vif)
{
	struct as *a = &g->a;
	char sn[32], d[64];
	g->entry_off = a->len;
	asm_comment(a, "entry: the host built the IDT at IDT_GPA and loaded IDTR");
	asm_comment(a, "setup: does MSR 0x%x read \"PVM\"? (#GP elsewhere: on to after_vif)", HCF_MSR_PVM_ID);
	gen_slot_begin(g, g->slot_probe);
	gen_in_call(g, true);
	asm_mov_imm32(a, HCF_RCX, HCF_MSR_PVM_ID, "PVM's identification MSR");
	asm_fixed(a, F_RDMSR, NULL);
	gen_in_call(g, false);
	slot_str(g, g->slot_probe, sn, sizeof(sn));
	snprintf(d, sizeof(d), "%s.gpr[rax]", sn);
	asm_store(a, asm_abs(slot_gpa(g->slot_probe) + SL_GPR + 8 * HCF_RAX), HCF_RAX, d);
	snprintf(d, sizeof(d), "%s.gpr[rdx]", sn);
	asm_store(a, asm_abs(slot_gpa(g->slot_probe) + SL_GPR + 8 * HCF_RDX), HCF_RDX, d);
	gen_slot_end(g, g->slot_probe);
	asm_cmp_eax(a, (uint32_t)HCF_PVM_ID_VALUE, "\"PVM\"?");
	asm_jne(a, l_after_vif, "after_vif");
	asm_fixed(a, F_TEST_EDX, NULL);
	asm_jne(a, l_after_vif, "after_vif");

	asm_comment(a, "setup: PVM: register the VIF page; from the next instruction the guest runs natively");
	gen_setup_wrmsr(g, g->slot_vif, HCF_MSR_PVM_VIF, (uint32_t)HCF_GPA_VIF, "PVM's VIF MSR <- VIF_GPA");
	asm_bind(a, l_after_vif);
	asm_comment(a, "after_vif:");
	const struct hcf_transport *t = &g->cx->abi->transport;
	if (t->kind == HCF_XPORT_HCPAGE) {
		asm_comment(a, "setup: have the hypervisor fill the hypercall page (MSR 0x%x <- HCPAGE_GPA)",
			   t->hcpage_msr);
		gen_setup_wrmsr(g, g->slot_hcpage, t->hcpage_msr, (uint32_t)HCF_GPA_HCPAGE, "hypercall-page MSR");
	}
}

/* The transport's instruction for one call. */
static void gen_transport(struct gen *g)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	if (t->kind == HCF_XPORT_INT) {
		asm_int(a, t->vector);
		return;
	}
	if (t->kind == HCF_XPORT_HCPAGE) {
		size_t s = a->len;
		asm_mem(a, MF_CALL, 0, asm_abs(CTL_GPA + CTL_HC_TARGET));
		asm_note(a, s, "call [ctl.hc_target]");
		return;
	}
	/* NATIVE is emitted as vmcall; the program patches it to vmmcall at run
	 * time unless the CPU is Intel, as the kvm target resolves it from the
	 * vendor its agent reports. */
	uint8_t bytes[8];
	const char *mnemonic = "?";
	size_t n = hcf_xport_insn(t, bytes, &mnemonic), s = a->len;
	if (t->kind == HCF_XPORT_NATIVE) {
		g->native_at = hcf_xreallocarray(g->native_at, g->nnative + 1, sizeof(*g->native_at));
		g->native_at[g->nnative++] = a->len;
	}
	for (size_t k = 0; k < n; k++)
		asm_put8(a, bytes[k]);
	if (t->kind == HCF_XPORT_NATIVE)
		asm_note(a, s, "%-22s ; %s", mnemonic, "(vmmcall unless the CPU is Intel: patch_native)");
	else
		asm_note(a, s, "%s", mnemonic);
}

static const char *reg_role(const struct gen *g, size_t i, unsigned r, char *buf, size_t len)
{
	const struct hcf_prog *p = g->cx->p;
	const struct hcf_pcall *c = &p->calls[i];
	const struct hcf_op *op = hcf_prog_call_op(p, i);
	const struct hcf_transport *t = &g->cx->abi->transport;
	buf[0] = '\0';
	if (hcf_xport_uses_rdx(t) && r == HCF_RDX)
		snprintf(buf, len, t->kind == HCF_XPORT_PIO ? "port" : "MMIO address");
	else if (r == hcf_prog_nr_reg(g->cx->abi) && (c->set & HCF_REGBIT(r)))
		snprintf(buf, len, "call number");
	else if (c->ref[r].buf >= 0)
		snprintf(buf, len, "&buf%d%+d", c->ref[r].buf, c->ref[r].offset);
	else if (!(c->set & HCF_REGBIT(r)))
		snprintf(buf, len, "sentinel");
	for (size_t k = 0; op && k < op->nargs && !buf[0]; k++)
		if (op->args[k].reg == r && op->args[k].name)
			snprintf(buf, len, "%s", op->args[k].name);
	return buf;
}

/* One call: load, issue, store (trampoline.S, unrolled). */
static void gen_call(struct gen *g, size_t i)
{
	struct as *a = &g->a;
	const struct hcf_prog *p = g->cx->p;
	const struct hcf_pcall *c = &p->calls[i];
	bool vec = g->pl->vec && i == g->pl->call;
	char name[96], sn[32], d[64], role[48];
	uint64_t target;
	call_image(g, i, g->img[i], &target);
	slot_str(g, i, sn, sizeof(sn));
	hcf_pcall_name(p, c, name, sizeof(name));

	asm_bind(a, g->call_l[i]);
	asm_comment(a, "0x%05zx call %zu: %s", a->len, i, name);
	gen_slot_begin(g, i);
	if (g->cx->abi->transport.kind == HCF_XPORT_HCPAGE)
		asm_store_imm(a, asm_abs(CTL_GPA + CTL_HC_TARGET), (uint32_t)target, "ctl.hc_target",
			    "its hypercall-page entry");
	for (unsigned x = 0; vec && x < 16; x++) {
		snprintf(d, sizeof(d), "ctl.xmm_sentinel[%u]", x);
		asm_movdqu(a, false, x, asm_abs(CTL_GPA + CTL_XMM + 16 * x), d);
	}
	gen_in_call(g, true);
	uint32_t rfl = (uint32_t)(0x2 | (c->rflags & HCF_RFLAGS_LOADABLE));
	asm_push_imm(a, rfl, "RFLAGS the program asks for");
	asm_fixed(a, F_POPFQ, NULL);
	snprintf(d, sizeof(d), "%s.rflags_before", sn);
	asm_save_rflags(a, slot_gpa(i) + SL_RFL_BEFORE, d);
	snprintf(d, sizeof(d), "%s.rsp_before", sn);
	asm_store(a, asm_abs(slot_gpa(i) + SL_RSP_BEFORE), HCF_RSP, d);
	for (unsigned r = 1; r <= HCF_NGPR; r++) {
		unsigned reg = r % HCF_NGPR; /* rcx .. r15, rax last as the agent does */
		if (reg == HCF_RSP)
			continue;
		asm_mov_imm64(a, reg, g->img[i][reg], reg_role(g, i, reg, role, sizeof(role)));
	}
	gen_transport(g);
	for (unsigned r = 0; r < HCF_NGPR; r++) {
		snprintf(d, sizeof(d), "%s.gpr[%s]", sn, asm_reg_name(r));
		asm_store(a, asm_abs(slot_gpa(i) + SL_GPR + 8 * r), r, d);
	}
	asm_set_rsp(a, (uint32_t)STACK_TOP, "the guest's own stack again");
	snprintf(d, sizeof(d), "%s.rflags_after", sn);
	asm_save_rflags(a, slot_gpa(i) + SL_RFL_AFTER, d);
	for (unsigned x = 0; vec && x < 16; x++) {
		snprintf(d, sizeof(d), "%s.xmm[%u]", sn, x);
		asm_movdqu(a, true, x, asm_abs(vec_gpa(i) + 16 * x), d);
	}
	gen_in_call(g, false);
	gen_slot_end(g, i);
}

/* After an exception in the checked call: its XMM registers, then on. */
static void gen_vec_tail(struct gen *g, size_t l)
{
	struct as *a = &g->a;
	size_t i = g->pl->call;
	char sn[32], d[64];
	slot_str(g, i, sn, sizeof(sn));
	asm_bind(a, l);
	asm_comment(a, "after an exception in call %zu: its XMM registers too", i);
	for (unsigned x = 0; x < 16; x++) {
		snprintf(d, sizeof(d), "%s.xmm[%u]", sn, x);
		asm_movdqu(a, true, x, asm_abs(vec_gpa(i) + 16 * x), d);
	}
	asm_jmp(a, g->call_l[i + 1], i + 1 < g->ncalls ? "the next call" : "done");
}

/*
 * The exception path, common to all 256 stubs (stack: vector, error code,
 * RIP, CS, RFLAGS, RSP, SS). Outside a call it is the guest's own fault:
 * report a panic. Inside, store the registers at the fault and the frame into
 * the slot in flight, and go on where the continuation table says.
 */
static void gen_exc(struct gen *g, size_t l_exc, size_t l_panic)
{
	struct as *a = &g->a;
	const unsigned RAX = HCF_RAX, RCX = HCF_RCX, RSI = HCF_RSI, RSP = HCF_RSP;
	char d[48];
	asm_bind(a, l_exc);
	asm_comment(a, "exc_common: an exception; the stubs pushed the vector (and 0 for no error code)");
	asm_cmp_mem_imm8(a, asm_abs(CTL_GPA + CTL_IN_CALL), 0, "ctl.in_call");
	asm_je(a, l_panic, "panic");
	asm_store(a, asm_abs(CTL_GPA + CTL_SCRATCH), RAX, "ctl.scratch");
	asm_load(a, RAX, asm_abs(CTL_GPA + CTL_CUR_SLOT), "ctl.cur_slot");
	for (unsigned r = 1; r < HCF_NGPR; r++) {
		if (r == RSP)
			continue;
		snprintf(d, sizeof(d), "rax + gpr[%s]", asm_reg_name(r));
		asm_store(a, asm_base(RAX, SL_GPR + 8 * (int32_t)r), r, d);
	}
	asm_load(a, RCX, asm_abs(CTL_GPA + CTL_SCRATCH), "ctl.scratch");
	asm_store(a, asm_base(RAX, SL_GPR), RCX, "rax + gpr[rax]");
	asm_load(a, RSI, asm_base(RSP, 0), "rsp");
	asm_store32(a, asm_base(RAX, SL_VECTOR), RSI, "rax + vector");
	static const struct {
		int32_t frame;
		int32_t slot;
		const char *what;
	} frame_fields[] = {
		{ 8, SL_ERR, "error_code" },
		{ 16, SL_RIP, "fault_rip" },
		{ 32, SL_RFL_AFTER, "rflags_after" },
		{ 40, SL_GPR + 8 * HCF_RSP, "gpr[rsp]" },
	};
	for (size_t k = 0; k < sizeof(frame_fields) / sizeof(frame_fields[0]); k++) {
		char src[24];
		snprintf(src, sizeof(src), "rsp + %d", frame_fields[k].frame);
		asm_load(a, RCX, asm_base(RSP, frame_fields[k].frame), src);
		snprintf(d, sizeof(d), "rax + %s", frame_fields[k].what);
		asm_store(a, asm_base(RAX, frame_fields[k].slot), RCX, d);
	}
	size_t l_nocr2 = asm_new_label(a);
	asm_fixed(a, F_XOR_ECX, NULL);
	asm_cmp_reg_imm8(a, RSI, 14);
	asm_jne(a, l_nocr2, "1f (CR2 only for #PF)");
	asm_fixed(a, F_MOV_RCX_CR2, NULL);
	asm_bind(a, l_nocr2);
	asm_comment(a, "1:");
	asm_store(a, asm_base(RAX, SL_CR2), RCX, "rax + cr2");
	asm_store_imm32(a, asm_base(RAX, SL_OUTCOME), HCF_WO_EXCEPTION, "rax + outcome", "exception");
	gen_in_call(g, false);
	asm_load(a, RCX, asm_abs(CTL_GPA + CTL_CUR), "ctl.cur");
	asm_xor_imm(a, RCX, SEQ_TAG);
	asm_store(a, asm_base(RAX, SL_SEQ), RCX, "rax + seq");
	asm_set_rsp(a, (uint32_t)STACK_TOP, "drop the frame");
	asm_load(a, RAX, asm_abs(CTL_GPA + CTL_CUR), "ctl.cur");
	asm_jmp_table(a, CONT_GPA, "cont");

	asm_bind(a, l_panic);
	asm_comment(a, "panic: an exception outside a call; tell the host and stop");
	static const struct {
		int32_t frame;
		uint32_t ctl;
		const char *what;
	} panic_fields[] = {
		{ 0, CTL_PANIC_VECTOR, "ctl.panic_vector" },
		{ 8, CTL_PANIC_ERR, "ctl.panic_error_code" },
		{ 16, CTL_PANIC_RIP, "ctl.panic_rip" },
	};
	for (size_t k = 0; k < sizeof(panic_fields) / sizeof(panic_fields[0]); k++) {
		char src[24];
		snprintf(src, sizeof(src), "rsp + %d", panic_fields[k].frame);
		asm_load(a, RCX, asm_base(RSP, panic_fields[k].frame), src);
		asm_store(a, asm_abs(CTL_GPA + panic_fields[k].ctl), RCX, panic_fields[k].what);
	}
	size_t l_loop = asm_new_label(a);
	asm_bind(a, l_loop);
	asm_comment(a, "2:");
	asm_mov_imm32(a, HCF_RDX, DONE_PORT, "DONE_PORT");
	asm_mov_imm32(a, HCF_RAX, EV_PANIC, "EV_PANIC");
	asm_fixed(a, F_OUT32, NULL);
	asm_fixed(a, F_HLT, NULL);
	asm_jmp(a, l_loop, "2b");
}

/* 256 exception stubs of 16 bytes at STUBS_OFF. */
static void gen_stubs(struct gen *g, size_t l_exc)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	size_t pad = a->len;
	while (a->len % 16)
		asm_put8(a, 0xcc); /* int3 */
	if (a->len > pad)
		asm_note(a, pad, "int3 x %zu (padding: the stubs start 16-byte aligned)", a->len - pad);
	g->stubs_off = a->len;
	asm_comment(a, "0x%05zx the IDT's 256 stubs, 16 bytes each", a->len);
	for (unsigned v = 0; v < 256; v++) {
		size_t s = a->len;
		/* A software "int N" to a vector that normally has an error code
		 * pushes none: the transport's own vector is treated that way, as
		 * the agent does. */
		bool errcode = hcf_x86_exc_has_error_code(v) && !(t->kind == HCF_XPORT_INT && v == t->vector);
		if (!errcode) {
			asm_put8(a, 0x6a); /* push 0 */
			asm_put8(a, 0x00);
		}
		asm_put8(a, 0x68);
		asm_put32(a, v);
		asm_put8(a, 0xe9);
		asm_rel32(a, l_exc);
		const char *m = hcf_x86_exc_mnemonic(v);
		char what[24] = "";
		if (m)
			snprintf(what, sizeof(what), " (%s)", m);
		while ((a->len - g->stubs_off) % 16)
			asm_put8(a, 0xcc); /* int3 padding */
		asm_note(a, s, "vector %u%s: %spush %u; jmp exc_common; int3 padding", v, what,
			errcode ? "" : "push 0; ", v);
	}
}

void rp_gen_free(struct gen *g)
{
	asm_free(&g->a);
	free(g->img);
	free(g->call_l);
	free(g->cont_l);
	free(g->native_at);
	for (size_t b = 0; b < HCF_PROG_MAX_BUFS; b++)
		free(g->buf_image[b]);
}

int rp_gen_code(struct gen *g, char *err, size_t errlen)
{
	struct as *a = &g->a;
	const struct hcf_transport *t = &g->cx->abi->transport;
	uint8_t insn[8];
	if (t->kind != HCF_XPORT_INT && t->kind != HCF_XPORT_HCPAGE && !hcf_xport_insn(t, insn, NULL)) {
		snprintf(err, errlen, "transport %s (width %u) has no instruction in the reproducer",
			 hcf_xport_name(t->kind), t->width);
		return -1;
	}
	if (layout_bufs(g, err, errlen) != 0)
		return -1;
	g->ncalls = g->pl->ncalls;
	g->slot_probe = g->ncalls;
	g->slot_vif = g->ncalls + 1;
	g->slot_hcpage = g->ncalls + 2;
	g->nslots = g->ncalls + NSETUP;
	g->img = hcf_xcalloc(g->ncalls, sizeof(*g->img));
	g->call_l = hcf_xcalloc(g->ncalls + 1, sizeof(*g->call_l));
	g->cont_l = hcf_xcalloc(g->nslots, sizeof(*g->cont_l));
	for (size_t i = 0; i <= g->ncalls; i++)
		g->call_l[i] = asm_new_label(a);
	size_t l_after_vif = asm_new_label(a), l_exc = asm_new_label(a), l_panic = asm_new_label(a);
	size_t l_vec_tail = asm_new_label(a);

	gen_setup(g, l_after_vif);
	for (size_t i = 0; i < g->ncalls; i++) {
		gen_call(g, i);
		g->cont_l[i] = g->call_l[i + 1];
	}
	if (g->pl->vec)
		g->cont_l[g->pl->call] = l_vec_tail;
	g->cont_l[g->slot_probe] = l_after_vif;
	g->cont_l[g->slot_vif] = l_after_vif;
	g->cont_l[g->slot_hcpage] = g->call_l[0];

	asm_bind(a, g->call_l[g->ncalls]);
	asm_comment(a, "0x%05zx done: tell the host", a->len);
	asm_mov_imm32(a, HCF_RDX, DONE_PORT, "DONE_PORT");
	asm_mov_imm32(a, HCF_RAX, EV_DONE, "EV_DONE");
	asm_fixed(a, F_OUT32, NULL);
	asm_fixed(a, F_HLT, NULL);
	asm_jmp(a, g->call_l[g->ncalls], "done");
	if (g->pl->vec)
		gen_vec_tail(g, l_vec_tail);
	gen_exc(g, l_exc, l_panic);
	gen_stubs(g, l_exc);
	if (asm_resolve(a) != 0) {
		snprintf(err, errlen, "internal error: a jump to a label never placed");
		return -1;
	}
	/* guest_code[] is printed from the listing: it must hold every byte */
	size_t covered = 0;
	for (size_t k = 0; k < a->nlines; k++)
		if (a->lines[k].off == covered)
			covered += a->lines[k].len;
	if (covered != a->len) {
		snprintf(err, errlen, "internal error: the listing covers %zu of %zu code bytes", covered, a->len);
		return -1;
	}
	if (a->len > CODE_MAX) {
		snprintf(err, errlen, "the guest code (%zu bytes for %zu calls) does not fit its %llu bytes: "
				      "minimize the finding first (hcfuzz minimize)",
			 a->len, g->ncalls, (unsigned long long)CODE_MAX);
		return -1;
	}
	return 0;
}

