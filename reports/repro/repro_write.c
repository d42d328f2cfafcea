/* repro_write.c: the reproducer's text: its comment, its tables and the contract in words. */
#include "reports/repro/repro_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/repro_rt/repro_rt.h"
#include "spec/transport.h"
#include "target/target.h"
#include "util/x86.h"

/* ---- text helpers ----------------------------------------------------------- */

/* Text for a C comment: printable ASCII, and nothing that ends or nests a
 * comment or forms a trigraph. */
void rp_cmt(const char *s, char *out, size_t len)
{
	size_t o = 0;
	char prev = 0;
	for (; s && *s && o + 3 < len; s++) {
		char c = (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s;
		if ((prev == '*' && c == '/') || (prev == '/' && c == '*') || (prev == '?' && c == '?'))
			out[o++] = ' ';
		out[o++] = c;
		prev = c;
	}
	out[o] = '\0';
}

/* A C string literal body: escapes, octal for anything unprintable, no
 * trigraphs. */
void rp_cstr(const char *s, char *out, size_t len)
{
	size_t o = 0;
	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\' || c == '?') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			o += (size_t)snprintf(out + o, len - o, "\\%03o", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* An int64_t as a C expression of that type. */
const char *rp_c_i64(int64_t v, char *buf, size_t len)
{
	if (v == INT64_MIN)
		snprintf(buf, len, "INT64_MIN");
	else if (v < INT32_MIN || v > INT32_MAX)
		snprintf(buf, len, "INT64_C(%" PRId64 ")", v);
	else
		snprintf(buf, len, "%" PRId64, v);
	return buf;
}

void rp_pf(struct em *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_pf(struct em *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(e->f, fmt, ap);
	va_end(ap);
}

/* Upper-case register name as the emitted enum spells it. */
const char *rp_reg_upper(unsigned r)
{
	static const char *const names[HCF_NGPR] = {
		"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
		"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
	};
	return r < HCF_NGPR ? names[r] : "RAX";
}

/* A comment paragraph: text wrapped at 96 columns after `first` (then
 * `cont`), sanitized for a comment. */
void rp_pwrap(struct em *e, const char *first, const char *cont, const char *text)
{
	char clean[2048];
	rp_cmt(text, clean, sizeof(clean));
	const char *p = clean, *prefix = first;
	const size_t width = 96;
	do {
		size_t room = width > strlen(prefix) ? width - strlen(prefix) : 40;
		size_t n = strlen(p);
		if (n > room) {
			size_t cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			n = cut ? cut : room;
		}
		rp_pf(e, "%s%.*s\n", prefix, (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
		prefix = cont;
	} while (*p);
}

static void fmt_regmask(hcf_regmask_t m, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned r = 0; r < HCF_NGPR && o < len; r++)
		if (m & HCF_REGBIT(r))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", asm_reg_name(r));
	if (!o)
		snprintf(buf, len, "no register");
}

void rp_fmt_vset(const struct hcf_vset *s, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (s->any) {
		snprintf(buf, len, "any value");
		return;
	}
	for (size_t i = 0; i < s->n && o + 1 < len; i++) {
		int k = s->r[i].lo == s->r[i].hi ?
				snprintf(buf + o, len - o, "%s%" PRId64, i ? ", " : "", s->r[i].lo) :
				snprintf(buf + o, len - o, "%s%" PRId64 "..%" PRId64, i ? ", " : "", s->r[i].lo,
					 s->r[i].hi);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (!s->n)
		snprintf(buf, len, "none");
}

/* Error codes with their names from the constants table: "ENOSYS (38)". */
void rp_fmt_errors(const struct cx *cx, const struct hcf_op *op, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; op && i < op->nerrors && o + 1 < len; i++) {
		const char *name = NULL;
		for (size_t k = 0; k < cx->abi->nconsts && !name; k++)
			if (cx->abi->consts[k].value == op->errors[i])
				name = cx->abi->consts[k].name;
		int n = name ? snprintf(buf + o, len - o, "%s%s (%" PRId64 ")", o ? ", " : "", name, op->errors[i]) :
			       snprintf(buf + o, len - o, "%s%" PRId64, o ? ", " : "", op->errors[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(buf, len, "none");
}

void rp_fmt_vectors(uint32_t mask, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned v = 0; v < 32 && o + 1 < len; v++)
		if (mask & (1u << v)) {
			const char *m = hcf_x86_exc_mnemonic(v);
			int n = m ? snprintf(buf + o, len - o, "%s%s", o ? ", " : "", m) :
				    snprintf(buf + o, len - o, "%svector %u", o ? ", " : "", v);
			if (n < 0)
				break;
			o += (size_t)n;
		}
	if (!o)
		snprintf(buf, len, "none");
}

static hcf_regmask_t may_change(const struct cx *cx, const struct hcf_op *op)
{
	return op ? hcf_op_may_change(cx->abi, op) : hcf_abi_undeclared_may_change(cx->abi);
}

uint32_t rp_allowed_vectors(const struct plan *pl)
{
	return pl->op ? pl->op->exceptions : pl->undeclared->exceptions;
}

static const char *err_conv_name(const struct cx *cx, const struct hcf_op *op)
{
	return hcf_err_conv_name(op ? op->err : cx->abi->err);
}

/* What the contract says, in a sentence, for the comment block. */
void rp_contract_text(struct em *e, char *buf, size_t len)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_op *op = pl->op;
	char m[160], r[160], x[160];
	switch (pl->kind) {
	case CK_CLOBBER_REG:
		fmt_regmask(may_change(cx, op), m, sizeof(m));
		snprintf(buf, len, "%s may change %s (outputs, declared clobbers, transport clobbers); "
				   "%s must come back as it was loaded, whether the call returns or raises an "
				   "exception.",
			 pl->name, m, asm_reg_name(pl->reg));
		break;
	case CK_CLOBBER_FLAG:
		snprintf(buf, len, "%s may change RFLAGS bits 0x%" PRIx64 "%s; bit %u (%s) is not among them.",
			 pl->name, op ? op->rflags_may_change : 0,
			 (op ? op->err : cx->abi->err) == HCF_ERR_CARRY ? " and CF (carry convention)" : "", pl->bit,
			 hcf_x86_rflags_name(pl->bit) ? hcf_x86_rflags_name(pl->bit) : "unnamed");
		break;
	case CK_CLOBBER_XMM:
		snprintf(buf, len, "no call may change a vector register; xmm%u is loaded with a sentinel "
				   "pattern before the call and compared after it.", pl->xmm);
		break;
	case CK_EXCEPTION:
		rp_fmt_vectors(rp_allowed_vectors(pl), x, sizeof(x));
		snprintf(buf, len, "the exceptions %s may raise: %s.", pl->name, x);
		break;
	case CK_RETVAL:
		if (!op) {
			rp_fmt_vset(&pl->undeclared->returns, r, sizeof(r));
			snprintf(buf, len, "an undeclared number must return %s in %s (%u bits).", r,
				 asm_reg_name(pl->reg), pl->width);
		} else {
			rp_fmt_vset(&op->returns, r, sizeof(r));
			rp_fmt_errors(cx, op, x, sizeof(x));
			snprintf(buf, len, "%s returns %s in %s (%u bits); errors: %s; error convention %s.",
				 pl->name, r, pl->reg < HCF_NGPR ? asm_reg_name(pl->reg) : "no register", pl->width, x,
				 err_conv_name(cx, op));
		}
		break;
	case CK_MODEL_REG:
		snprintf(buf, len, "hcfuzz's reference model (%s) predicted %s = 0x%" PRIx64
				   " after the call (compared in its low %u bits).",
			 cx->abi->model ? cx->abi->model : "spec", asm_reg_name(pl->reg), pl->expect, pl->width);
		break;
	case CK_MODEL_FLAG:
		snprintf(buf, len, "hcfuzz's reference model predicted RFLAGS bit %u = %" PRIu64 " after the call.",
			 pl->bit, pl->expect);
		break;
	case CK_MODEL_EXC:
		if (pl->exp_vector < 0)
			snprintf(buf, len, "hcfuzz's reference model predicted that the call returns.");
		else
			snprintf(buf, len, "hcfuzz's reference model predicted exception %s (vector %d).",
				 hcf_x86_exc_mnemonic((unsigned)pl->exp_vector) ?
					 hcf_x86_exc_mnemonic((unsigned)pl->exp_vector) : "?",
				 pl->exp_vector);
		break;
	case CK_MODEL_MONO:
		snprintf(buf, len, "the spec says %s of %s never goes back: it must not be smaller than after "
				   "call %zu.", asm_reg_name(pl->reg), pl->name, pl->prev);
		break;
	case CK_MEMORY:
		snprintf(buf, len, "the hypervisor may write only OUT fields and writable buffers; the guards "
				   "around every buffer and every other byte keep what was written before the run.");
		break;
	case CK_PAGES:
		snprintf(buf, len, "the hypervisor may not change guest memory outside the pages the guest "
				   "writes itself (stack, results, buffers, VIF and hypercall pages).");
		break;
	case CK_LIVENESS:
		if (op && op->destructive)
			snprintf(buf, len, "the call must come back (the spec marks %s destructive, so hcfuzz "
					   "allows it to take the guest down; the check asks anyway).", pl->name);
		else
			snprintf(buf, len, "the call must come back: %s is not marked destructive in the spec.",
				 pl->name);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

void rp_emit_header(struct em *e)
{
	const struct cx *cx = e->cx;
	const struct plan *pl = e->pl;
	const struct hcf_finding *f = cx->f;
	const struct hcf_prog *p = cx->p;
	char t[1024], u[512];

	const char *file = cx->src->file_name ? cx->src->file_name : "repro.c";
	char fc[256];
	rp_cmt(file, fc, sizeof(fc));
	rp_pf(e, "/*\n");
	snprintf(t, sizeof(t), "%s: hcfuzz finding %s, as a program of its own.", fc, f->sig.id);
	rp_pwrap(e, " * ", " * ", t);
	rp_pf(e, " *\n");
	snprintf(t, sizeof(t), "%s (%s)", f->sig.text, hcf_verdict_name(f->sig.verdict));
	rp_pwrap(e, " * Signature    ", " *              ", t);
	rp_contract_text(e, u, sizeof(u));
	snprintf(t, sizeof(t), "%s: %s", pl->what, u);
	rp_pwrap(e, " * Checks       ", " *              ", t);
	if (f->has_values)
		snprintf(t, sizeof(t), "expected 0x%" PRIx64 ", got 0x%" PRIx64 "%s%s", f->expected, f->got,
			 f->reason[0] ? ": " : "", f->reason);
	else
		snprintf(t, sizeof(t), "%s", f->reason[0] ? f->reason : "(no reason recorded)");
	rp_pwrap(e, " * hcfuzz saw   ", " *              ", t);
	char xp[160];
	hcf_xport_describe(&cx->abi->transport, xp, sizeof(xp));
	snprintf(t, sizeof(t), "call %zu of %zu: %s, number 0x%" PRIx64 ", through %s", pl->call, p->ncalls,
		 pl->name, hcf_pcall_nr(p, &p->calls[pl->call]), xp);
	rp_pwrap(e, " * The call     ", " *              ", t);
	snprintf(t, sizeof(t), "%s (ABI %s%s%s)", cx->src->spec_path ? cx->src->spec_path : cx->abi->path,
		 cx->abi->name, cx->abi->description ? ": " : "", cx->abi->description ? cx->abi->description : "");
	rp_pwrap(e, " * Spec         ", " *              ", t);
	if (pl->op && pl->op->doc) {
		snprintf(t, sizeof(t), "%s: %s", pl->op->name, pl->op->doc);
		rp_pwrap(e, " *              ", " *              ", t);
	}
	snprintf(t, sizeof(t), "%s%s%s%s%s", cx->src->first_seen ? cx->src->first_seen : "",
		 f->engine[0] ? " by " : "", f->engine, cx->src->hypervisor ? " on " : "",
		 cx->src->hypervisor ? cx->src->hypervisor : "");
	if (t[0])
		rp_pwrap(e, " * Found        ", " *              ", t);
	snprintf(t, sizeof(t), "%s of the finding (%zu call%s, %zu buffer%s)%s",
		 cx->src->program_name ? cx->src->program_name : "the program", p->ncalls,
		 p->ncalls == 1 ? "" : "s", p->nbufs, p->nbufs == 1 ? "" : "s",
		 pl->ncalls < p->ncalls ? "; the calls after the checked one are left out, they cannot "
					  "change what it did" : "");
	rp_pwrap(e, " * Program      ", " *              ", t);
	char *text = hcf_prog_to_text(p);
	size_t shown = 0;
	for (char *line = text, *nl; line && *line && shown < 200; line = nl ? nl + 1 : NULL, shown++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char c[1024];
		rp_cmt(line, c, sizeof(c));
		rp_pf(e, " *     %.200s%s\n", c, strlen(c) > 200 ? " ..." : "");
		if (!nl)
			break;
	}
	if (shown >= 200)
		rp_pf(e, " *     ... (the rest of the program is in the finding's directory)\n");
	free(text);
	rp_pf(e, " *\n"
	      " * Build and run (x86-64 Linux, read and write access to /dev/kvm, libc only):\n"
	      " *\n"
	      " *     cc -O2 -o repro %s && ./repro\n"
	      " *\n", fc);
	rp_pf(e, " * It prints what it saw and one verdict line, and exits\n"
	      " *     0  NOT REPRODUCED  the hypervisor keeps the contract now\n"
	      " *     1  REPRODUCED      the finding is still there\n"
	      " *     2  setup error     no usable /dev/kvm, a missing KVM capability, a guest lost\n"
	      " *                        before its first call\n"
	      " *     3  INCONCLUSIVE    the guest hung or died before the call could be checked\n"
	      " *\n"
	      " * How: the VM is the one hcfuzz builds for its guest agent, with hcfuzz's own code for it\n"
	      " * (the runtime below): 8 MiB of RAM at guest-physical 0 in one memory slot, identity\n"
	      " * page tables over 4 GiB (user-accessible, accessed and dirty preset, page 0 unmapped),\n"
	      " * a flat GDT with a TSS, an IDT that catches all 256 vectors, long mode, CPUID from\n"
	      " * KVM_GET_SUPPORTED_CPUID and KVM's FIX_HYPERCALL_INSN quirk disabled. The guest code\n"
	      " * in guest_code[] (machine code, every instruction's assembly beside it) reads MSR\n"
	      " * 0x4b564d11 and, when it says \"PVM\",\n"
	      " * registers PVM's VIF page so that the guest runs natively (hcfuzz's agent does the\n"
	      " * same; elsewhere the read faults and the guest goes on). Then, per call, it loads every\n"
	      " * general-purpose register but RSP with the value hcfuzz loaded (loaded[] below: the\n"
	      " * program's values, buffer addresses, and a sentinel 0x5e5e<reg><call> in each register\n"
	      " * the program leaves unset), issues the transport's instruction and stores every\n"
	      " * register and RFLAGS into the call's result slot. An exception lands in the IDT, which\n"
	      " * records it in the slot and goes on with the next call. Port and MMIO accesses exit to\n"
	      " * this program, which answers like hcfuzz's default responder (reads return all ones);\n"
	      " * every KVM_RUN runs under a watchdog.\n"
	      " */\n");
}

void rp_emit_finding(struct em *e)
{
	struct gen *g = e->g;
	const struct cx *cx = e->cx;
	const struct hcf_prog *p = cx->p;
	char s[256];

	rp_pf(e, "\n/* ---- this finding's program ------------------------------------------------ */\n\n");
	rp_pf(e, "#define NCALLS %zuu               /* calls replayed */\n", g->ncalls);
	rp_pf(e, "#define CHECK_CALL %zuu           /* the call the finding is about */\n", e->pl->call);
	rp_pf(e, "#define SLOT_PROBE (NCALLS + 0)  /* setup slots after the calls: the PVM probe, */\n"
	      "#define SLOT_VIF (NCALLS + 1)    /* the VIF page registration, */\n"
	      "#define SLOT_HCPAGE (NCALLS + 2) /* the hypercall page (hypercall_page transport) */\n"
	      "#define NSLOTS (NCALLS + 3)\n");
	rp_pf(e, "#define ENTRY_OFF 0x%zxu         /* where the guest starts in guest_code[] */\n", g->entry_off);
	rp_pf(e, "#define STUBS_OFF 0x%zxu       /* the 256 exception stubs, 16 bytes each */\n\n", g->stubs_off);
	rp_pf(e, "const size_t rt_ncalls = NCALLS, rt_check_call = CHECK_CALL;\n"
	      "const size_t rt_entry_off = ENTRY_OFF, rt_stubs_off = STUBS_OFF;\n"
	      "const unsigned rt_watchdog_ms = %uu; /* hcfuzz's default watchdog */\n\n",
	   HCF_WATCHDOG_DEFAULT_MS);

	rp_pf(e, "const char *const call_name[NCALLS] = {\n");
	for (size_t i = 0; i < g->ncalls; i++) {
		char n[96];
		hcf_pcall_name(p, &p->calls[i], n, sizeof(n));
		rp_cstr(n, s, sizeof(s));
		rp_pf(e, "\t\"%s\",\n", s);
	}
	rp_pf(e, "};\n\n");

	rp_pf(e, "/*\n"
	      " * The register image each call loads, exactly as hcfuzz loaded it: the program's\n"
	      " * values, buffer addresses, and in every register the program leaves unset its\n"
	      " * sentinel 0x5e5e<reg><call>. RSP is not loaded: the guest keeps its stack.\n"
	      " */\n");
	rp_pf(e, "const uint64_t loaded[NCALLS][NGPR] = {\n");
	for (size_t i = 0; i < g->ncalls; i++) {
		char n[96], set[160];
		hcf_pcall_name(p, &p->calls[i], n, sizeof(n));
		rp_cmt(n, s, sizeof(s));
		fmt_regmask(p->calls[i].set, set, sizeof(set));
		rp_pf(e, "\t/* call %zu: %s; set by the program: %s */\n\t{", i, s, set);
		unsigned col = 0;
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			if (r == HCF_RSP)
				continue;
			if (col && col % 3 == 0)
				rp_pf(e, "\n\t ");
			rp_pf(e, " [%s] = 0x%016" PRIx64 "ull,", rp_reg_upper(r), g->img[i][r]);
			col++;
		}
		rp_pf(e, " },\n");
	}
	rp_pf(e, "};\n\n");

	rp_pf(e, "/* Where the exception path goes on, per slot: the next call's code (offsets in\n"
	      " * guest_code[]); the host writes the table to CONT_GPA. */\n");
	rp_pf(e, "const uint32_t cont_off[NSLOTS] = {");
	for (size_t sl = 0; sl < g->nslots; sl++)
		rp_pf(e, "%s0x%05zx,", sl % 8 ? " " : "\n\t", g->a.label[g->cont_l[sl]]);
	rp_pf(e, "\n};\n\n");

	rp_pf(e, "/*\n"
	      " * The guest code: machine code, each instruction with its assembly. res[i] is the\n"
	      " * struct slot of call i at RES_GPA, ctl the struct ctl at CTL_GPA; every address is\n"
	      " * absolute.\n"
	      " */\n");
	rp_pf(e, "const uint8_t guest_code[] = {\n");
	for (size_t k = 0; k < g->a.nlines; k++) {
		const struct as_line *l = &g->a.lines[k];
		char c[160];
		rp_cmt(l->text, c, sizeof(c));
		if (!l->len) {
			rp_pf(e, "\t/* %s */\n", c);
			continue;
		}
		char bytes[128];
		size_t o = 0;
		for (size_t b = 0; b < l->len && o + 8 < sizeof(bytes); b++)
			o += (size_t)snprintf(bytes + o, sizeof(bytes) - o, "0x%02x,%s", g->a.code[l->off + b],
					      b + 1 < l->len ? " " : "");
		rp_pf(e, "\t%-60s /* %s */\n", bytes, c);
	}
	rp_pf(e, "};\nconst size_t guest_code_size = sizeof(guest_code);\n\n");

	if (g->nnative) {
		rp_pf(e, "/* Offsets of the native transport's instruction, emitted as vmcall (0f 01 c1):\n"
		      " * hcfuzz issues vmcall on Intel CPUs and vmmcall (0f 01 d9) on all others. */\n");
		rp_pf(e, "static const uint32_t native_at[] = {");
		for (size_t k = 0; k < g->nnative; k++)
			rp_pf(e, "%s0x%05zx,", k % 8 ? " " : "\n\t", g->native_at[k]);
		rp_pf(e, "\n};\n\n");
		rp_pf(e, "void patch_native(uint8_t *code, const char *vendor)\n{\n"
		      "\tif (!strcmp(vendor, \"GenuineIntel\"))\n\t\treturn;\n"
		      "\tfor (size_t i = 0; i < sizeof(native_at) / sizeof(native_at[0]); i++)\n"
		      "\t\tcode[native_at[i] + 2] = 0xd9; /* vmcall -> vmmcall */\n}\n\n");
	} else {
		hcf_xport_describe(&cx->abi->transport, s, sizeof(s));
		rp_pf(e, "/* The transport (%s) does not depend on the CPU vendor. */\n", s);
		rp_pf(e, "void patch_native(uint8_t *code, const char *vendor)\n{\n"
		      "\t(void)code;\n\t(void)vendor;\n}\n\n");
	}

	if (!p->nbufs) {
		rp_pf(e, "/* The program has no buffers. */\n"
		      "void write_buffers(uint8_t *mem)\n{\n\t(void)mem;\n}\n");
		return;
	}
	rp_pf(e, "/*\n"
	      " * The program's buffers, laid out as hcfuzz's kvm target lays them out: from\n"
	      " * ARENA_GPA, each between GUARD bytes of GUARD_BYTE on either side, 64-byte aligned;\n"
	      " * pointers inside them already hold the addresses they point to.\n"
	      " */\n");
	rp_pf(e, "#define NBUFS %zuu\n", p->nbufs);
	for (size_t b = 0; b < p->nbufs; b++) {
		const struct hcf_buf *buf = &p->bufs[b];
		const char *sname = buf->struct_idx >= 0 && (size_t)buf->struct_idx < cx->abi->nstructs ?
					    cx->abi->structs[buf->struct_idx].name : NULL;
		rp_cmt(sname ? sname : "", s, sizeof(s));
		rp_pf(e, "/* buf%zu: %u bytes at 0x%" PRIx64 ", %s%s%s */\n", b, buf->size, g->buf_gpa[b],
		   sname ? "struct " : "raw, ", sname ? s : "",
		   sname ? "" : (buf->dir & HCF_DIR_OUT) ? "writable" : "read-only");
		rp_pf(e, "static const uint8_t buf%zu_init[%u] = {", b, buf->size);
		for (uint32_t i = 0; i < buf->size; i++)
			rp_pf(e, "%s0x%02x,", i % 16 ? " " : "\n\t", g->buf_init[b][i]);
		rp_pf(e, "\n};\n");
	}
	rp_pf(e, "static const struct {\n\tuint64_t gpa;\n\tuint32_t size;\n\tconst uint8_t *init;\n} bufs[NBUFS] = {\n");
	for (size_t b = 0; b < p->nbufs; b++)
		rp_pf(e, "\t{ 0x%" PRIx64 "ull, %u, buf%zu_init },\n", g->buf_gpa[b], p->bufs[b].size, b);
	rp_pf(e, "};\n\n");
	rp_pf(e, "void write_buffers(uint8_t *mem)\n{\n"
	      "\tfor (size_t b = 0; b < NBUFS; b++) {\n"
	      "\t\tmemset(mem + bufs[b].gpa - GUARD, GUARD_BYTE, bufs[b].size + 2 * GUARD);\n"
	      "\t\tmemcpy(mem + bufs[b].gpa, bufs[b].init, bufs[b].size);\n"
	      "\t}\n}\n");
}

